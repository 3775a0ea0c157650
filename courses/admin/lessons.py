"""Lessons: Markdown with a live preview, the lesson preview as learners see it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext, quote
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..models import (
    Lesson,
    Module,
)
from . import views as admin_views
from .base import (
    ArchivableAdmin,
    ArchivedFilter,
    MovableListAdmin,
    ParentTrackStatusFilter,
    Tool,
    _label,
    active_child,
    admin_change_url,
    markdown_widget,
)
from .fields import PlatformsField

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
    # Each track's lessons together, in the order learners meet them.
    ordering = ["track__title", "module__position", "position"]
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
        if db_field.name == "platforms":
            known = {slug for slug in (selectors.platform_reviews() or {}) if " " not in slug}
            return PlatformsField(label="Platforms", known=known)
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body_markdown":
            return markdown_widget(field, reverse("admin:courses_lesson_markdown_preview"))
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
        obj.track_id = obj.module.track_id  # as Lesson.save does, to read it before saving
        if not change and services.is_live(obj):
            # Learners would see a half-written lesson: it starts hidden, and "Restore" (which
            # runs the publish check) shows it once it is complete.
            obj.archived_at = timezone.now()
            self.message_user(
                request,
                f"“{obj.module.track}” is published, so the new lesson is hidden from learners "
                "until it is complete: add its quiz or assignment if it has one, then use "
                "“Restore” to publish it.",
                messages.WARNING,
            )
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
            path(
                "<path:object_id>/draft/",
                view(self.draft_view),
                name="{}_{}_draft".format(*info),
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        return admin_views.lesson_preview(self, request, object_id)

    def draft_view(self, request, object_id):
        return admin_views.lesson_draft(self, request, object_id)

    def markdown_preview_view(self, request):
        return admin_views.markdown_preview(self, request)

    def tools(self, request, obj) -> list[Tool]:
        tools = [
            Tool("Preview", self._url("preview", quote(obj.pk)), new_tab=True, style="primary")
        ]
        quiz = active_child(obj, "quiz")
        assignment = active_child(obj, "assignment")
        if services.is_live(obj):  # changes go through the draft (the base tools)
            if quiz is not None:
                tools.append(Tool("View quiz", admin_change_url(quiz)))
            if assignment is not None:
                tools.append(Tool("View assignment", admin_change_url(assignment)))
        else:
            add = "?lesson=" + str(obj.pk)
            tools.append(
                Tool("Edit quiz", admin_change_url(quiz))
                if quiz is not None
                else Tool("Add a quiz", reverse("admin:courses_quiz_add") + add)
            )
            tools.append(
                Tool("Edit assignment", admin_change_url(assignment))
                if assignment is not None
                else Tool(
                    "Add an assignment", reverse("admin:courses_practiceassignment_add") + add
                )
            )
        tools.append(Tool(f"Back to module “{obj.module}”", admin_change_url(obj.module)))
        return tools + super().tools(request, obj)
