"""Roles, tracks and modules: the shape of the curriculum, edited as inlines."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import path
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from .. import services
from ..models import (
    Lesson,
    Module,
    Quiz,
    Role,
    Track,
)
from . import views as admin_views
from .base import (
    ArchivableAdmin,
    ArchivedFilter,
    CurriculumChangesAdmin,
    MovableListAdmin,
    OrderedInline,
    ParentTrackStatusFilter,
    Tool,
    TrackStatusFilter,
    _subquery_count,
    admin_change_url,
    archive_status,
    problems_html,
)

# Roles


@admin.register(Role)
class RoleAdmin(CurriculumChangesAdmin):
    list_display = ["title", "slug", "position", "track_count"]
    list_editable = ["position"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(track_count=_subquery_count(Track.objects.all(), "role"))
        )

    @admin.display(description="tracks", ordering="track_count")
    def track_count(self, obj):
        return obj.track_count


# --------------------------------------------------------------------------------------------
# Tracks


class ModuleInline(OrderedInline, admin.TabularInline):
    model = Module
    extra = 0
    fields = ["order", "title", "slug", "self_check", "status"]
    readonly_fields = ["order", "status"]
    prepopulated_fields = {"slug": ["title"]}
    show_change_link = True

    @admin.display(description="status")
    def status(self, obj):
        return archive_status(obj)


@admin.register(Track)
class TrackAdmin(ArchivableAdmin):
    list_display = [
        "title",
        "role",
        "status",
        "module_count",
        "lesson_count",
        "quiz_count",
        "enrolled_count",
        "updated_at",
    ]
    list_filter = [TrackStatusFilter, "role", "level"]
    search_fields = ["title", "slug", "summary"]
    list_select_related = ["role"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ModuleInline]
    actions = [
        "publish_selected",
        "unpublish_selected",
        "duplicate_selected",
        "export_selected",
        *ArchivableAdmin.actions,
    ]

    def get_fields(self, request, obj=None):
        fields = ["title", "slug", "role", "level", "summary", "position", "validity_months"]
        return fields if obj is None else [*fields, "status"]

    def get_readonly_fields(self, request, obj=None):
        return ["status"] if obj is not None else []

    def get_queryset(self, request):
        current_lessons = Lesson.objects.current()
        enrolment_model = Track._meta.get_field("enrolments").related_model
        return (
            super()
            .get_queryset(request)
            .annotate(
                module_count=_subquery_count(Module.objects.current(), "track"),
                lesson_count=_subquery_count(current_lessons, "track"),
                quiz_count=_subquery_count(
                    Quiz.objects.filter(
                        archived_at__isnull=True,
                        lesson__archived_at__isnull=True,
                        lesson__module__archived_at__isnull=True,
                    ),
                    "lesson__track",
                ),
                enrolled_count=_subquery_count(enrolment_model.objects.all(), "track"),
            )
        )

    @admin.display(description="status", ordering="is_published")
    def status(self, obj):
        if obj.archived_at is not None:
            return f"Archived {obj.archived_at:%d %b %Y}"
        return "Published" if obj.is_published else "Draft"

    @admin.display(description="modules", ordering="module_count")
    def module_count(self, obj):
        return obj.module_count

    @admin.display(description="lessons", ordering="lesson_count")
    def lesson_count(self, obj):
        return obj.lesson_count

    @admin.display(description="quizzes", ordering="quiz_count")
    def quiz_count(self, obj):
        return obj.quiz_count

    @admin.display(description="learners enrolled", ordering="enrolled_count")
    def enrolled_count(self, obj):
        return obj.enrolled_count

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="{}_{}_import".format(*info)),
            path(
                "<path:object_id>/export/",
                view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<path:object_id>/publish/",
                view(require_POST(self.publish_view)),
                name="{}_{}_publish".format(*info),
            ),
            path(
                "<path:object_id>/unpublish/",
                view(require_POST(self.unpublish_view)),
                name="{}_{}_unpublish".format(*info),
            ),
            path(
                "<path:object_id>/duplicate/",
                view(require_POST(self.duplicate_view)),
                name="{}_{}_duplicate".format(*info),
            ),
            *super().get_urls(),
        ]

    def tools(self, request, obj) -> list[Tool]:
        tools = []
        can_change = self.has_change_permission(request, obj)
        if can_change and obj.archived_at is None:
            if obj.is_published:
                tools.append(Tool("Unpublish", self._url("unpublish", quote(obj.pk)), post=True))
            else:
                tools.append(
                    Tool(
                        "Publish",
                        self._url("publish", quote(obj.pk)),
                        post=True,
                        style="primary",
                    )
                )
        if obj.archived_at is None:
            if self.has_add_permission(request):
                tools.append(
                    Tool("Duplicate as draft", self._url("duplicate", quote(obj.pk)), post=True)
                )
            tools.append(Tool("Download zip", self._url("export", quote(obj.pk))))
        return tools + super().tools(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        track = self.get_object(request, unquote(object_id))
        if track is not None and track.archived_at is None:
            problems = services.validate_track_for_publishing(track)
            extra_context["checklist"] = {
                "published": track.is_published,
                "problems": problems_html(problems) if problems else None,
                "count": len(problems),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- publishing --------------------------------------------------------------------------

    def _publish(self, request, tracks) -> None:
        for track in tracks:
            was_published = track.is_published
            problems = services.publish_track(track=track, by=request.user)
            if problems:
                self.message_user(
                    request,
                    format_html(
                        "“{}” was not published: {} {} to fix first.{}",
                        track,
                        len(problems),
                        "problem" if len(problems) == 1 else "problems",
                        problems_html(problems),
                    ),
                    messages.ERROR,
                )
            elif was_published:
                self.message_user(request, f"“{track}” was already published.")
            else:
                self.log_change(request, track, "Published.")
                self.message_user(
                    request, f"Published “{track}”: learners can now see it.", messages.SUCCESS
                )

    def _unpublish(self, request, tracks) -> None:
        for track in tracks:
            if services.unpublish_track(track=track, by=request.user):
                self.log_change(request, track, "Unpublished (back to draft).")
                enrolled = track.enrolments.count()
                self.message_user(
                    request,
                    f"“{track}” is a draft again. "
                    + (
                        f"{enrolled} enrolled learner(s) can't open it until it is published "
                        "again; their progress is kept."
                        if enrolled
                        else "Nobody was enrolled."
                    ),
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, f"“{track}” was already a draft.")

    def _duplicate(self, request, tracks) -> Track | None:
        copy = None
        for track in tracks:
            if track.archived_at is not None:
                self.message_user(
                    request, f"“{track}” is archived; restore it to duplicate it.", messages.ERROR
                )
                continue
            copy = services.duplicate_track(track=track)
            self.log_addition(request, copy, f"Duplicated from “{track}” ({track.slug}).")
            self.message_user(
                request,
                format_html(
                    'Created the draft <a href="{}">“{}”</a> ({}) as a copy of “{}”.',
                    self._change_url(copy),
                    copy,
                    copy.slug,
                    track,
                ),
                messages.SUCCESS,
            )
        return copy

    def publish_view(self, request, object_id):
        track = self._object_for_change(request, object_id)
        self._publish(request, [track])
        return HttpResponseRedirect(self._change_url(track))

    def unpublish_view(self, request, object_id):
        track = self._object_for_change(request, object_id)
        self._unpublish(request, [track])
        return HttpResponseRedirect(self._change_url(track))

    def duplicate_view(self, request, object_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        track = self.get_object(request, unquote(object_id))
        if track is None:
            raise Http404("No such track")
        copy = self._duplicate(request, [track])
        return HttpResponseRedirect(self._change_url(copy or track))

    @admin.action(description="Publish selected tracks", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._publish(request, queryset)

    @admin.action(description="Unpublish selected tracks (back to draft)", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._unpublish(request, queryset)

    @admin.action(description="Duplicate selected tracks as drafts", permissions=["add"])
    def duplicate_selected(self, request, queryset):
        self._duplicate(request, queryset)

    # -- import and export ---------------------------------------------------------------------

    @admin.action(description="Download selected tracks as a zip", permissions=["view"])
    def export_selected(self, request, queryset):
        return admin_views.export_tracks(self, request, queryset)

    def export_view(self, request, object_id):
        track = self.get_object(request, unquote(object_id))
        if track is None:
            raise Http404("No such track")
        if not self.has_view_or_change_permission(request, track):
            raise PermissionDenied
        return admin_views.export_tracks(self, request, Track.objects.filter(pk=track.pk))

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        return admin_views.import_tracks(self, request)


# --------------------------------------------------------------------------------------------
# Modules


class ModuleAdminForm(forms.ModelForm):
    def clean(self):
        # With `track` read-only (change page) Django skips the (track, slug) constraint.
        cleaned = super().clean()
        slug = cleaned.get("slug")
        if (
            "track" not in self.fields
            and slug
            and Module.objects.filter(track_id=self.instance.track_id, slug=slug)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("slug", f"Another module of “{self.instance.track}” uses “{slug}”.")
        return cleaned


class LessonInlineFormSet(BaseInlineFormSet):
    """Lesson slugs are unique in the whole track, which the inline form alone can't see."""

    def clean(self):
        super().clean()
        seen: dict[str, forms.Form] = {}
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            slug = getattr(form, "cleaned_data", {}).get("slug")
            if not slug:
                continue
            if slug in seen:
                form.add_error("slug", f"Another lesson on this page uses “{slug}”.")
            seen[slug] = form
        here = [form.instance.pk for form in self.forms if form.instance.pk]
        clashes = (
            Lesson.objects.filter(track_id=self.instance.track_id, slug__in=list(seen))
            .exclude(pk__in=here)
            .values_list("slug", flat=True)
        )
        for slug in clashes:
            seen[slug].add_error("slug", f"Another lesson in this track already uses “{slug}”.")


class LessonInline(OrderedInline, admin.TabularInline):
    model = Lesson
    formset = LessonInlineFormSet
    extra = 0
    fields = ["order", "title", "slug", "minutes", "status"]
    readonly_fields = ["order", "status"]
    prepopulated_fields = {"slug": ["title"]}
    show_change_link = True

    @admin.display(description="status")
    def status(self, obj):
        return archive_status(obj)

    # In a module of a published track the lessons are live: each changes through its draft,
    # and a new one is added (hidden until complete) from "Add lesson".
    def has_add_permission(self, request, obj=None):
        return not _shows_to_learners(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _shows_to_learners(obj) and super().has_change_permission(request, obj)


def _shows_to_learners(module: Module | None) -> bool:
    return module is not None and module.pk is not None and services.module_is_live(module)


@admin.register(Module)
class ModuleAdmin(MovableListAdmin, ArchivableAdmin):
    form = ModuleAdminForm
    list_display = ["title", "track", "position", "lesson_count", "status"]
    list_filter = ["track__role", "track", ParentTrackStatusFilter, ArchivedFilter]
    search_fields = ["title", "slug", "summary", "self_check", "track__title"]
    list_select_related = ["track"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LessonInline]
    actions = ["move_up", "move_down", *ArchivableAdmin.actions]

    def get_fields(self, request, obj=None):
        fields = ["track", "title", "slug", "summary", "self_check"]
        return fields if obj is None else [*fields, "status"]

    def get_readonly_fields(self, request, obj=None):
        # A module's lessons carry its track; moving the module would split them from it.
        return ["track", "status"] if obj is not None else []

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                lesson_count=_subquery_count(Lesson.objects.filter(archived_at=None), "module")
            )
        )

    @admin.display(description="lessons", ordering="lesson_count")
    def lesson_count(self, obj):
        return obj.lesson_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.position = services.next_position(model=Module, parent=obj.track)
        super().save_model(request, obj, form, change)

    def tools(self, request, obj) -> list[Tool]:
        return [
            Tool(f"Back to track “{obj.track}”", admin_change_url(obj.track)),
            *super().tools(request, obj),
        ]
