"""Quizzes, questions and choices; practice assignments with their rubric levels and samples."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from .. import services
from ..models import (
    AssignmentSample,
    Choice,
    Lesson,
    PracticeAssignment,
    Question,
    Quiz,
    RubricCriterion,
)
from .base import (
    ArchivableAdmin,
    ArchivedFilter,
    AuthoringAdmin,
    LessonTrackStatusFilter,
    MovableListAdmin,
    OrderedInline,
    QuestionTrackStatusFilter,
    Tool,
    _label,
    admin_change_url,
    markdown_widget,
)
from .fields import LevelsField, ScoresField

# --------------------------------------------------------------------------------------------
# Quizzes and questions


class LessonChoiceMixin:
    """The lesson select of a quiz or an assignment: "Track › Lesson", free lessons only."""

    lesson_relation = ""  # "quiz" or "assignment"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lesson":
            kwargs["queryset"] = (
                Lesson.objects.filter(**{f"{self.lesson_relation}__isnull": True})
                .exclude(services.live_lessons())  # a live lesson changes through its draft
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
            live = Lesson.objects.filter(services.live_lessons()).values("pk")
            kwargs["queryset"] = (
                Quiz.objects.exclude(lesson__in=live)  # a live quiz changes through its draft
                .select_related("lesson__track")
                .order_by("lesson__track__title", "lesson__module__position", "lesson__position")
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
            return markdown_widget(field, reverse("admin:courses_lesson_markdown_preview"))
        return field

    @admin.display(description="track", ordering="lesson__track__title")
    def track(self, obj):
        return obj.lesson.track

    @admin.display(description="rubric criteria", ordering="criteria_count")
    def criteria_count(self, obj):
        return obj.criteria_count

    def tools(self, request, obj) -> list[Tool]:
        return self.back_to_lesson(obj.lesson) + super().tools(request, obj)
