"""The curriculum in the Django admin, made for authors (DESIGN.md §3, journey 7).

- Track → modules → lessons are edited as inlines; a lesson's quiz and practice assignment
  are one click away ("Edit quiz", "Edit assignment"), and each of their pages links back.
- Order is changed with ↑/↓ buttons beside each inline row (and "Move up/down" actions on
  the lists); `services.move_items` renumbers, nobody types positions.
- Tracks are drafts until published; publishing runs `services.validate_track_for_publishing`
  and refuses with every problem linked to the page that fixes it.
- Content that learners have records for is never deleted: the delete page says so and
  offers "Archive" instead (learner records point at content with on_delete=PROTECT).
- Import and export of zipped content folders, the lesson preview and the Markdown preview
  live in `admin_views`.
- Every save and delete here calls `services.curriculum_changed` (`CurriculumChangesAdmin`),
  so learners' pages, kept in memory by each worker, show the edit on their next view.

No action is offered on change forms (Django 6.1's change-form actions): a POST without a
save button would then be read as an action, and the ↑/↓ buttons rely on saving first.
"""

from collections import Counter
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import NestedObjects, model_ngettext, quote, unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import router
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from . import admin_views, services
from .admin_fields import LevelsField, ScoresField
from .models import (
    AssignmentSample,
    Choice,
    Lesson,
    Module,
    PracticeAssignment,
    Question,
    Quiz,
    Role,
    RubricCriterion,
    Track,
)

MOVE_FIELD = "_move"  # name of the ↑/↓ submit buttons in inline rows


# --------------------------------------------------------------------------------------------
# Helpers


def admin_change_url(obj) -> str | None:
    """The admin change page of `obj`, or None when its model has no admin."""
    opts = obj._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    except NoReverseMatch:
        return None


def problems_html(problems: list[services.Problem]):
    """A list of publishing problems, each linked to the admin page where it is fixed."""
    items = []
    for problem in problems:
        url = admin_change_url(problem.obj)
        items.append(
            (format_html('<a href="{}">{}</a>', url, problem.message) if url else problem.message,)
        )
    return format_html(
        '<ul class="problem-list">{}</ul>', format_html_join("", "<li>{}</li>", items)
    )


def learner_records(obj) -> Counter:
    """What would block deleting `obj` (learners' records, found through PROTECT), by kind."""
    collector = NestedObjects(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    return Counter(capfirst(record._meta.verbose_name_plural) for record in collector.protected)


def describe_records(records: Counter) -> str:
    return ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(records.items()))


def track_of(obj) -> Track | None:
    if obj is None or obj.pk is None:
        return None
    if isinstance(obj, Track):
        return obj
    if isinstance(obj, Module | Lesson):
        return obj.track
    if isinstance(obj, Quiz | PracticeAssignment):
        return obj.lesson.track
    if isinstance(obj, Question):
        return obj.quiz.lesson.track
    return None


def _subquery_count(queryset, outer_field: str):
    """Count rows of `queryset` per outer row, as a correlated subquery (no join fan-out)."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted), 0)


def archive_status(obj) -> str:
    if obj is None or obj.pk is None:
        return ""
    if obj.archived_at is not None:
        return f"Archived {obj.archived_at:%d %b %Y}"
    return "Current"


def active_child(lesson: Lesson, name: str):
    """The lesson's quiz or assignment ("quiz"/"assignment"), or None; no query when prefetched."""
    try:
        return getattr(lesson, name)
    except ObjectDoesNotExist:
        return None


def _label(*parts) -> str:
    return " › ".join(str(part) for part in parts)


@dataclass
class Tool:
    """A button in the object tools at the top of a change page."""

    label: str
    url: str
    post: bool = False  # a small POST form (changes something) rather than a link
    style: str = ""  # "primary" or "danger" for emphasis
    new_tab: bool = False


# --------------------------------------------------------------------------------------------
# List filters


class TrackStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"
    prefix = ""  # the path from the listed model to its track

    def lookups(self, request, model_admin):
        return [("published", "Published"), ("draft", "Draft"), ("archived", "Archived")]

    def queryset(self, request, queryset):
        p = self.prefix
        if self.value() == "published":
            return queryset.filter(**{f"{p}is_published": True, f"{p}archived_at__isnull": True})
        if self.value() == "draft":
            return queryset.filter(**{f"{p}is_published": False, f"{p}archived_at__isnull": True})
        if self.value() == "archived":
            return queryset.filter(**{f"{p}archived_at__isnull": False})
        return queryset


class ParentTrackStatusFilter(TrackStatusFilter):
    title = "track status"
    parameter_name = "track_status"
    prefix = "track__"


class LessonTrackStatusFilter(TrackStatusFilter):
    title = "track status"
    parameter_name = "track_status"
    prefix = "lesson__track__"


class QuestionTrackStatusFilter(TrackStatusFilter):
    title = "track status"
    parameter_name = "track_status"
    prefix = "quiz__lesson__track__"


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Current"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


# --------------------------------------------------------------------------------------------
# Shared behaviour


class OrderedInline:
    """An inline whose rows are ordered by `position`: shows it with ↑/↓ buttons.

    The buttons submit the parent's change form (so edits on the page are saved first); the
    parent admin's `response_change` then moves the row.
    """

    @admin.display(description="Order")
    def order(self, obj):
        if obj is None or obj.pk is None:
            return "new"
        name = obj._meta.model_name
        buttons = format_html_join(
            "",
            '<button type="submit" name="{}" value="{}:{}:{}" class="order-button" '
            'title="Move {}" aria-label="Move “{}” {}">{}</button>',
            [
                (MOVE_FIELD, name, obj.pk, direction, direction, obj, direction, arrow)
                for direction, arrow in (("up", "↑"), ("down", "↓"))
            ],
        )
        return format_html('<span class="order-buttons">{} {}</span>', obj.position, buttons)


class CurriculumChangesAdmin(admin.ModelAdmin):
    """Calls `services.curriculum_changed` for every save and delete made through this admin
    (its inlines included), with the tracks concerned before and after: moving a lesson to a
    module of another track changes both. Actions go through services, which call it."""

    def save_model(self, request, obj, form, change):
        # Read before saving: the track the row leaves, if it moves.
        form.tracks_before_save = (
            services.curriculum_track_ids(model=type(obj), pks=[obj.pk]) if change else set()
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and not (form.has_changed() or any(f.has_changed() for f in formsets)):
            return  # "Save" without an edit
        obj = form.instance
        services.curriculum_changed(
            track_ids=getattr(form, "tracks_before_save", set())
            | services.curriculum_track_ids(model=type(obj), pks=[obj.pk])
        )

    def delete_model(self, request, obj):
        track_ids = services.curriculum_track_ids(model=type(obj), pks=[obj.pk])
        super().delete_model(request, obj)
        services.curriculum_changed(track_ids=track_ids)

    def delete_queryset(self, request, queryset):
        track_ids = services.curriculum_track_ids(
            model=queryset.model, pks=list(queryset.values_list("pk", flat=True))
        )
        super().delete_queryset(request, queryset)
        services.curriculum_changed(track_ids=track_ids)


class AuthoringAdmin(CurriculumChangesAdmin):
    """Base for the curriculum admins: object tools, ordering of inline rows, save warnings."""

    change_form_template = "admin/courses/change_form.html"
    save_on_top = True  # so Enter in a field presses "Save", never an inline ↑/↓ button

    def tools(self, request, obj) -> list[Tool]:
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context["tools"] = self.tools(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def _object_for_change(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id}")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_url(self, obj) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
        )

    def _url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    # -- positions of inline rows ----------------------------------------------------------

    def save_formset(self, request, form, formset, change):
        model = formset.model
        if model not in services.POSITIONED_PARENTS:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        position = services.next_position(model=model, parent=formset.instance)
        for obj in instances:
            if obj.pk is None:  # new rows go last; existing rows keep their place
                obj.position = position
                position += 1
            obj.save()
        formset.save_m2m()

    def _ordered_children(self) -> dict[str, type]:
        return {
            inline.model._meta.model_name: inline.model
            for inline in self.inlines
            if inline.model in services.POSITIONED_PARENTS
        }

    def response_change(self, request, obj):
        if MOVE_FIELD in request.POST:
            return self._move_child(request, obj)
        return super().response_change(request, obj)

    def log_change(self, request, obj, message):
        if MOVE_FIELD in request.POST and not message:
            return None  # a ↑/↓ click with no other edit: the move is logged on its own
        return super().log_change(request, obj, message)

    def _move_child(self, request, obj):
        try:
            model_name, pk, direction = request.POST[MOVE_FIELD].split(":")
            model = self._ordered_children()[model_name]
            child = model.objects.get(pk=int(pk), **{services.POSITIONED_PARENTS[model]: obj})
            if direction not in ("up", "down"):
                raise ValueError(direction)
        except (ValueError, KeyError, ObjectDoesNotExist):
            self.message_user(request, "That row is not part of this page.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        name = model._meta.verbose_name
        if services.move_item(item=child, direction=direction):
            self.message_user(request, f"Moved {name} “{child}” {direction}.", messages.SUCCESS)
            super().log_change(request, obj, f"Moved {name} “{child}” {direction}.")
        else:
            edge = "first" if direction == "up" else "last"
            self.message_user(request, f"{capfirst(name)} “{child}” is already {edge}.")
        return HttpResponseRedirect(request.path)

    # -- warnings after saving content of a published track --------------------------------

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        track = track_of(form.instance)
        if track is not None and track.is_published and track.archived_at is None:
            problems = services.validate_track_for_publishing(track)
            if problems:
                self.message_user(
                    request,
                    format_html(
                        "“{}” is published and learners see these changes now. It has "
                        "{} problem(s) to fix:{}",
                        track,
                        len(problems),
                        problems_html(problems),
                    ),
                    messages.WARNING,
                )


class ArchivableAdmin(AuthoringAdmin):
    """Content with `archived_at`: archive/restore, and deleting is refused for learner records."""

    actions = ["archive_selected", "restore_selected", "delete_selected"]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/archive/",
                self.admin_site.admin_view(require_POST(self.archive_view)),
                name="{}_{}_archive".format(*info),
            ),
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(require_POST(self.restore_view)),
                name="{}_{}_restore".format(*info),
            ),
            *super().get_urls(),
        ]

    def tools(self, request, obj) -> list[Tool]:
        tools = super().tools(request, obj)
        if not self.has_change_permission(request, obj):
            return tools
        if obj.archived_at is None:
            tools.append(Tool("Archive", self._url("archive", quote(obj.pk)), post=True))
        else:
            tools.append(Tool("Restore", self._url("restore", quote(obj.pk)), post=True))
        return tools

    def _archive(self, request, items) -> int:
        count = 0
        for item in items:
            if services.archive_content(item=item):
                self.log_change(request, item, "Archived.")
                count += 1
        return count

    def _restore(self, request, items) -> int:
        count = 0
        for item in items:
            if services.restore_content(item=item):
                self.log_change(request, item, "Restored from the archive.")
                count += 1
        return count

    def archive_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        if self._archive(request, [obj]):
            self.message_user(
                request,
                f"Archived {self.opts.verbose_name} “{obj}”: learners no longer see it and "
                "their records are kept. “Restore” brings it back.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, f"“{obj}” was already archived.")
        return HttpResponseRedirect(self._change_url(obj))

    def restore_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        if self._restore(request, [obj]):
            self.message_user(request, f"Restored “{obj}”.", messages.SUCCESS)
        else:
            self.message_user(request, f"“{obj}” was not archived.")
        return HttpResponseRedirect(self._change_url(obj))

    @admin.action(description="Archive selected %(verbose_name_plural)s", permissions=["change"])
    def archive_selected(self, request, queryset):
        count = self._archive(request, queryset)
        self.message_user(
            request,
            f"Archived {count} {model_ngettext(self.opts, count)}; learners keep their records.",
            messages.SUCCESS,
        )

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["change"])
    def restore_selected(self, request, queryset):
        count = self._restore(request, queryset)
        self.message_user(
            request, f"Restored {count} {model_ngettext(self.opts, count)}.", messages.SUCCESS
        )

    @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
    def delete_selected(self, request, queryset):
        """Django's delete action, refused up front when learners have records."""
        blocked = [(obj, records) for obj in queryset if (records := learner_records(obj))]
        if blocked:
            self.message_user(
                request,
                format_html(
                    "Nothing was deleted: learners have records for {} of the selected "
                    "{}. Archive them instead (the “Archive selected” action): learners "
                    "keep their records and the content disappears from the courses.{}",
                    len(blocked),
                    self.opts.verbose_name_plural,
                    format_html(
                        '<ul class="problem-list">{}</ul>',
                        format_html_join(
                            "",
                            "<li>{} ({})</li>",
                            ((obj, describe_records(records)) for obj, records in blocked),
                        ),
                    ),
                ),
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            records = learner_records(obj)
            if records:
                return self._delete_refused(request, obj, records)
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError:  # records added between the check and the delete
            return self._delete_refused(request, obj, learner_records(obj))

    def _delete_refused(self, request, obj, records: Counter):
        context = {
            **self.admin_site.each_context(request),
            "title": f"Can't delete {self.opts.verbose_name} “{obj}”",
            "opts": self.opts,
            "object": obj,
            "records": sorted(records.items()),
            "archived": obj.archived_at is not None,
            "archive_url": self._url("archive", quote(obj.pk)),
            "change_url": self._change_url(obj),
            "can_archive": self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "admin/courses/delete_refused.html", context, status=409)

    @admin.display(description="status")
    def status(self, obj):
        return archive_status(obj)


class MovableListAdmin:
    """ "Move up"/"Move down" actions on the change list (in place of typing positions)."""

    @admin.action(description="Move selected %(verbose_name_plural)s up", permissions=["change"])
    def move_up(self, request, queryset):
        moved = services.move_items(items=list(queryset), direction="up")
        self.message_user(request, f"Moved {moved} {model_ngettext(self.opts, moved)} up.")

    @admin.action(description="Move selected %(verbose_name_plural)s down", permissions=["change"])
    def move_down(self, request, queryset):
        moved = services.move_items(items=list(queryset), direction="down")
        self.message_user(request, f"Moved {moved} {model_ngettext(self.opts, moved)} down.")


# --------------------------------------------------------------------------------------------
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
            problems = services.publish_track(track=track)
            if problems:
                self.message_user(
                    request,
                    format_html(
                        "“{}” was not published: {} problem(s) to fix first.{}",
                        track,
                        len(problems),
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
            if services.unpublish_track(track=track):
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


# --------------------------------------------------------------------------------------------
# Lessons


class LessonAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        module, slug = cleaned.get("module"), cleaned.get("slug")
        if (
            module
            and slug
            and Lesson.objects.filter(track_id=module.track_id, slug=slug)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("slug", f"Another lesson of “{module.track}” uses “{slug}”.")
        return cleaned


def _markdown_widget(field, url: str):
    field.widget.attrs.update({"data-markdown-preview": url, "class": "markdown-source"})
    return field


@admin.register(Lesson)
class LessonAdmin(MovableListAdmin, ArchivableAdmin):
    form = LessonAdminForm
    list_display = [
        "title",
        "track",
        "module",
        "position",
        "minutes",
        "has_quiz",
        "has_assignment",
        "last_reviewed",
        "status",
    ]
    list_filter = [
        "track__role",
        "track",
        ParentTrackStatusFilter,
        ArchivedFilter,
        "last_reviewed",
    ]
    search_fields = ["title", "slug", "body_markdown", "track__title", "module__title"]
    list_select_related = ["track", "module", "quiz", "assignment"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["move_up", "move_down", "mark_changed", *ArchivableAdmin.actions]

    class Media:
        js = ["js/admin-markdown-preview.js"]

    def get_fields(self, request, obj=None):
        fields = [
            "module",
            "title",
            "slug",
            "minutes",
            "platforms",
            "last_reviewed",
            "facts_checked",
            "body_markdown",
        ]
        return fields if obj is None else [*fields, "changed_at", "status"]

    def get_readonly_fields(self, request, obj=None):
        # `changed_at` is set by the "materially changed" action, not typed.
        return ["changed_at", "status"] if obj is not None else []

    @admin.action(
        description="Mark selected lessons as materially changed (recertifying learners "
        "read them again)",
        permissions=["change"],
    )
    def mark_changed(self, request, queryset):
        lessons = list(queryset)
        count = services.mark_lessons_changed(lessons=lessons)
        for lesson in lessons:
            self.log_change(request, lesson, "Marked as materially changed.")
        self.message_user(
            request,
            f"Marked {count} {model_ngettext(self.opts, count)} as materially changed: learners "
            "recertifying on the track are asked to read them again.",
            messages.SUCCESS,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "module":
            kwargs["queryset"] = Module.objects.select_related("track").order_by(
                "track__title", "position"
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda module: _label(module.track, module)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body_markdown":
            return _markdown_widget(field, reverse("admin:courses_lesson_markdown_preview"))
        return field

    @admin.display(description="quiz", boolean=True)
    def has_quiz(self, obj):
        return active_child(obj, "quiz") is not None

    @admin.display(description="assignment", boolean=True)
    def has_assignment(self, obj):
        return active_child(obj, "assignment") is not None

    def save_model(self, request, obj, form, change):
        if not change or "module" in form.changed_data:  # new, or moved: last in its module
            obj.position = services.next_position(model=Lesson, parent=obj.module)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "markdown-preview/",
                view(require_POST(self.markdown_preview_view)),
                name="{}_{}_markdown_preview".format(*info),
            ),
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        return admin_views.lesson_preview(self, request, object_id)

    def markdown_preview_view(self, request):
        return admin_views.markdown_preview(self, request)

    def tools(self, request, obj) -> list[Tool]:
        tools = [
            Tool("Preview", self._url("preview", quote(obj.pk)), new_tab=True, style="primary")
        ]
        quiz = active_child(obj, "quiz")
        assignment = active_child(obj, "assignment")
        if quiz is not None:
            tools.append(Tool("Edit quiz", admin_change_url(quiz)))
        else:
            tools.append(Tool("Add a quiz", f"{reverse('admin:courses_quiz_add')}?lesson={obj.pk}"))
        if assignment is not None:
            tools.append(Tool("Edit assignment", admin_change_url(assignment)))
        else:
            tools.append(
                Tool(
                    "Add an assignment",
                    f"{reverse('admin:courses_practiceassignment_add')}?lesson={obj.pk}",
                )
            )
        tools.append(Tool(f"Back to module “{obj.module}”", admin_change_url(obj.module)))
        return tools + super().tools(request, obj)


# --------------------------------------------------------------------------------------------
# Quizzes and questions


class LessonChoiceMixin:
    """The lesson select of a quiz or an assignment: "Track › Lesson", free lessons only."""

    lesson_relation = ""  # "quiz" or "assignment"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lesson":
            kwargs["queryset"] = (
                Lesson.objects.filter(**{f"{self.lesson_relation}__isnull": True})
                .select_related("track")
                .order_by("track__title", "module__position", "position")
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda lesson: _label(lesson.track, lesson)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return ["lesson", *readonly] if obj is not None else readonly

    def back_to_lesson(self, lesson) -> list[Tool]:
        return [
            Tool(f"Back to lesson “{lesson}”", admin_change_url(lesson)),
            Tool(
                "Preview lesson",
                reverse("admin:courses_lesson_preview", args=[lesson.pk]),
                new_tab=True,
            ),
        ]


class QuestionInline(OrderedInline, admin.StackedInline):
    model = Question
    extra = 0
    fields = ["order", "prompt", "kind", "objective", "section", "explanation", "choice_summary"]
    readonly_fields = ["order", "choice_summary"]
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                choice_count=Count("choices"),
                correct_count=Count("choices", filter=Q(choices__is_correct=True)),
            )
        )

    @admin.display(description="choices")
    def choice_summary(self, obj):
        if obj is None or obj.pk is None:
            return "Save, then add the choices on the question's page."
        url = admin_change_url(obj)
        return format_html(
            '{} choice(s), {} correct — <a href="{}">edit the choices</a>',
            obj.choice_count,
            obj.correct_count,
            url,
        )


@admin.register(Quiz)
class QuizAdmin(LessonChoiceMixin, ArchivableAdmin):
    lesson_relation = "quiz"
    list_display = ["__str__", "track", "pass_mark", "max_attempts", "question_count", "status"]
    list_filter = [LessonTrackStatusFilter, "lesson__track", ArchivedFilter]
    search_fields = ["lesson__title", "lesson__track__title", "questions__prompt"]
    list_select_related = ["lesson__track"]
    inlines = [QuestionInline]

    def get_fields(self, request, obj=None):
        fields = ["lesson", "pass_mark", "draw", "review", "max_attempts", "retry_after_hours"]
        return fields if obj is None else [*fields, "status"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "status"] if obj is not None else readonly

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_count=Count("questions"))

    @admin.display(description="track", ordering="lesson__track__title")
    def track(self, obj):
        return obj.lesson.track

    @admin.display(description="questions", ordering="question_count")
    def question_count(self, obj):
        return obj.question_count

    def tools(self, request, obj) -> list[Tool]:
        return self.back_to_lesson(obj.lesson) + super().tools(request, obj)


class ChoiceInline(OrderedInline, admin.TabularInline):
    model = Choice
    fields = ["order", "text", "is_correct", "feedback"]
    readonly_fields = ["order"]

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else 0


class QuestionAdminForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["quiz", "prompt", "kind", "objective", "section", "explanation"]


@admin.register(Question)
class QuestionAdmin(MovableListAdmin, AuthoringAdmin):
    form = QuestionAdminForm
    list_display = ["__str__", "quiz", "kind", "position", "choice_count"]
    list_filter = ["kind", QuestionTrackStatusFilter, "quiz__lesson__track"]
    search_fields = ["prompt", "explanation", "choices__text", "quiz__lesson__title"]
    list_select_related = ["quiz__lesson"]
    inlines = [ChoiceInline]
    actions = ["move_up", "move_down"]

    def get_readonly_fields(self, request, obj=None):
        return ["quiz"] if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(choice_count=Count("choices"))

    @admin.display(description="choices", ordering="choice_count")
    def choice_count(self, obj):
        return obj.choice_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "quiz":
            kwargs["queryset"] = Quiz.objects.select_related("lesson__track").order_by(
                "lesson__track__title", "lesson__module__position", "lesson__position"
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda quiz: _label(quiz.lesson.track, quiz.lesson)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.position = services.next_position(model=Question, parent=obj.quiz)
        super().save_model(request, obj, form, change)

    def tools(self, request, obj) -> list[Tool]:
        lesson = obj.quiz.lesson
        return [
            Tool("Back to quiz", admin_change_url(obj.quiz)),
            Tool(f"Back to lesson “{lesson}”", admin_change_url(lesson)),
            *super().tools(request, obj),
        ]


# --------------------------------------------------------------------------------------------
# Practice assignments


class RubricCriterionForm(forms.ModelForm):
    levels = LevelsField(label="Score levels")

    class Meta:
        model = RubricCriterion
        fields = ["criterion", "description", "points", "levels", "must_pass", "pass_at"]

    def clean(self):
        cleaned = super().clean()
        levels, points = cleaned.get("levels") or [], cleaned.get("points")
        if levels and points and (levels[0]["points"] != 0 or levels[-1]["points"] != points):
            self.add_error("levels", f"Levels run from 0 to the criterion's {points} points.")
        if cleaned.get("pass_at") and points and cleaned["pass_at"] > points:
            self.add_error("pass_at", f"The bar can't be above the criterion's {points} points.")
        return cleaned


class RubricInline(OrderedInline, admin.StackedInline):
    model = RubricCriterion
    form = RubricCriterionForm
    fields = ["order", "criterion", "description", "points", "levels", "must_pass", "pass_at"]
    readonly_fields = ["order"]

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 0


class SampleForm(forms.ModelForm):
    scores = ScoresField(label="Scores")

    class Meta:
        model = AssignmentSample
        fields = ["level", "submission", "scores", "why"]


class SampleInline(OrderedInline, admin.StackedInline):
    """Annotated example submissions reviewers see beside the rubric."""

    model = AssignmentSample
    form = SampleForm
    fields = ["order", "level", "submission", "scores", "why"]
    readonly_fields = ["order"]
    extra = 0


@admin.register(PracticeAssignment)
class PracticeAssignmentAdmin(LessonChoiceMixin, ArchivableAdmin):
    lesson_relation = "assignment"
    list_display = ["title", "lesson", "track", "required", "criteria_count", "status"]
    list_filter = ["required", LessonTrackStatusFilter, "lesson__track", ArchivedFilter]
    search_fields = ["title", "brief_markdown", "lesson__title", "lesson__track__title"]
    list_select_related = ["lesson__track"]
    inlines = [RubricInline, SampleInline]

    class Media:
        js = ["js/admin-markdown-preview.js"]

    def get_fields(self, request, obj=None):
        fields = ["lesson", "title", "required", "pass_points", "brief_markdown"]
        return fields if obj is None else [*fields, "status"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "status"] if obj is not None else readonly

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(criteria_count=Count("rubric"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "brief_markdown":
            return _markdown_widget(field, reverse("admin:courses_lesson_markdown_preview"))
        return field

    @admin.display(description="track", ordering="lesson__track__title")
    def track(self, obj):
        return obj.lesson.track

    @admin.display(description="rubric criteria", ordering="criteria_count")
    def criteria_count(self, obj):
        return obj.criteria_count

    def tools(self, request, obj) -> list[Tool]:
        return self.back_to_lesson(obj.lesson) + super().tools(request, obj)
