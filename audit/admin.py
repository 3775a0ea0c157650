from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Staff read the whole log here; nobody adds, edits or deletes an entry (the retention
    purge is the only deleter)."""

    list_display = [
        "occurred_at",
        "kind",
        "actor_email",
        "subject_email",
        "organisation_name",
        "target",
        "ip_address",
    ]
    list_filter = ["kind", "organisation", "occurred_at"]
    search_fields = ["actor_email", "subject_email"]
    date_hierarchy = "occurred_at"
    actions = None
    show_full_result_count = False  # the log grows large: no second COUNT per page

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
