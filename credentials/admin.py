from django.contrib import admin

from core.admin import ReadOnlyAdmin

from . import issuing
from .models import IssuedCredential, IssuerKey


@admin.register(IssuerKey)
class IssuerKeyAdmin(ReadOnlyAdmin):
    """Keys are made on first use; the private half is never shown. Rotating retires a key:
    new credentials use the new one, and what the old one signed still verifies."""

    list_display = ["__str__", "organisation", "did", "created_at", "retired_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name", "did"]
    exclude = ["private_key_pem"]
    actions = ["rotate"]

    @admin.action(description="Rotate: retire the selected active keys and make new ones")
    def rotate(self, request, queryset):
        owners = {
            key.organisation_id: key.organisation
            for key in queryset.filter(retired_at__isnull=True).select_related("organisation")
        }
        for organisation in owners.values():
            issuing.rotate_key(organisation)
        self.message_user(request, f"Rotated {len(owners)} key(s).")


@admin.register(IssuedCredential)
class IssuedCredentialAdmin(ReadOnlyAdmin):
    list_display = ["certificate", "key", "status_index", "created_at"]
    list_select_related = ["certificate", "key__organisation"]
    search_fields = ["certificate__code", "certificate__learner__email"]
    exclude = ["salt"]
