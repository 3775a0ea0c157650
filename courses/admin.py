from django.contrib import admin

from .models import (
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


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["title"]}


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["position", "title", "slug", "archived_at"]
    show_change_link = True


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "role", "level", "is_published", "archived_at"]
    list_filter = ["role", "level", "is_published"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ModuleInline]


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["position", "title", "slug", "minutes", "archived_at"]
    show_change_link = True


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "track", "position", "archived_at"]
    list_filter = ["track"]
    search_fields = ["title", "slug"]
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "track",
        "module",
        "position",
        "minutes",
        "last_reviewed",
        "archived_at",
    ]
    list_filter = ["track__role", "track"]
    search_fields = ["title", "slug", "body_markdown"]
    list_select_related = ["track", "module"]
    exclude = ["track"]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["lesson", "pass_mark", "max_attempts"]
    inlines = [QuestionInline]
    list_select_related = ["lesson"]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "quiz", "kind", "position"]
    inlines = [ChoiceInline]


class RubricInline(admin.TabularInline):
    model = RubricCriterion
    extra = 0


@admin.register(PracticeAssignment)
class PracticeAssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "lesson", "required"]
    inlines = [RubricInline]
