"""What every curriculum admin shares: links and counts of learners' records, status filters,
ordered inlines with ↑/↓, the save/delete hooks that refresh learners' pages, publishing
checks and archiving instead of deleting."""

from collections import Counter
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import NestedObjects, model_ngettext, quote, unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import router
from django.db.models import Count, OuterRef, Subquery
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from .. import drafts, services
from ..models import (
    Lesson,
    Module,
    PracticeAssignment,
    Question,
    Quiz,
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


def live_lesson(obj) -> "Lesson | None":
    """The live lesson `obj` is part of (see courses.drafts), or None."""
    lesson = drafts.lesson_of(obj) if obj is not None and obj.pk is not None else None
    return lesson if lesson is not None and drafts.is_live(lesson) else None


def live_part_of(obj) -> "Lesson | None":
    """The live lesson `obj` is a part of (not the lesson, quiz or assignment itself)."""
    if obj is None or isinstance(obj, (Lesson, Quiz, PracticeAssignment)):
        return None
    return live_lesson(obj)


class OrderedInline:
    """An inline whose rows are ordered by `position`: shows it with ↑/↓ buttons.

    The buttons submit the parent's change form (so edits on the page are saved first); the
    parent admin's `response_change` then moves the row. Read-only when the parent is live.
    """

    def has_add_permission(self, request, obj=None):
        return live_lesson(obj) is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return live_lesson(obj) is None and super().has_change_permission(request, obj)

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
        lesson = live_lesson(obj)
        if lesson is None:
            return []
        label = "Edit the draft" if isinstance(obj, Lesson) else f"Edit the draft of “{lesson}”"
        return [
            Tool(label, reverse("admin:courses_lesson_draft", args=[lesson.pk]), style="primary")
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context["tools"] = self.tools(request, obj)
            extra_context["live_lesson"] = live_lesson(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    # -- live content is read-only: it changes by publishing a draft (courses.drafts) ------

    def has_change_permission(self, request, obj=None):
        if live_lesson(obj) is not None:
            return False
        return super().has_change_permission(request, obj)

    # A whole live lesson, quiz or assignment may be deleted (with the record checks of
    # ArchivableAdmin); a part of one (a question, a choice, a rubric criterion) is removed in
    # the lesson's draft, or the quiz would change under learners' feet.

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        lesson = live_part_of(obj)
        if lesson is not None:
            self.message_user(
                request,
                format_html(
                    "“{}” is part of “{}”, which learners see now: remove it in "
                    '<a href="{}">the lesson\'s draft</a>.',
                    obj,
                    lesson,
                    reverse("admin:courses_lesson_draft", args=[lesson.pk]),
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(self._change_url(obj))
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        if any(live_part_of(obj) is not None for obj in queryset):
            raise PermissionDenied("Parts of a live lesson are removed in its draft.")
        super().delete_queryset(request, queryset)

    def _object_for_action(self, request, object_id):
        """The object for archive/restore: allowed with the model's change permission even
        when live (hiding content from learners is immediate by design)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id}")
        if not super().has_change_permission(request):
            raise PermissionDenied
        return obj

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
                        "{} {} to fix:{}",
                        track,
                        len(problems),
                        "problem" if len(problems) == 1 else "problems",
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
        if not self.has_change_permission(request):  # the model's: archiving live content is fine
            return tools
        if obj.archived_at is None:
            tools.append(Tool("Archive", self._url("archive", quote(obj.pk)), post=True))
        else:
            tools.append(Tool("Restore", self._url("restore", quote(obj.pk)), post=True))
        return tools

    def _archive(self, request, items) -> int:
        count = 0
        for item in items:
            if services.archive_content(item=item, by=request.user):
                self.log_change(request, item, "Archived.")
                count += 1
        return count

    def _restore(self, request, items) -> int:
        count = 0
        for item in items:
            try:
                restored = services.restore_content(item=item, by=request.user)
            except services.ContentProblemsError as refused:
                self.message_user(
                    request,
                    format_html(
                        "“{}” was not restored: learners would see it with {} {} to fix first:{}",
                        item,
                        len(refused.problems),
                        "problem" if len(refused.problems) == 1 else "problems",
                        problems_html(refused.problems),
                    ),
                    messages.ERROR,
                )
                continue
            if restored:
                self.log_change(request, item, "Restored from the archive.")
                count += 1
        return count

    def archive_view(self, request, object_id):
        obj = self._object_for_action(request, object_id)
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
        obj = self._object_for_action(request, object_id)
        if obj.archived_at is None:
            self.message_user(request, f"“{obj}” was not archived.")
        elif self._restore(request, [obj]):  # else it said why not
            self.message_user(request, f"Restored “{obj}”.", messages.SUCCESS)
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
            "can_archive": self.has_change_permission(request),
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


def markdown_widget(field, url: str):
    """A Markdown textarea that the admin's script previews live from `url`."""
    field.widget.attrs.update({"data-markdown-preview": url, "class": "markdown-source"})
    return field
