from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Evidence, PracticePost


@admin.register(PracticePost)
class PracticePostAdmin(ReadOnlyAdmin):
    list_display = ["learner", "network", "status", "updated_at"]
    list_filter = ["network", "status"]
    search_fields = ["learner__email", "text"]
    list_select_related = ["learner"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["learner", "network", "url", "published_on"]
    list_filter = ["network"]
    search_fields = ["learner__email", "url"]
    list_select_related = ["learner"]
