from django.contrib import admin, messages

from audit import services as audit
from core.admin import ReadOnlyAdmin

from . import tokens
from .models import CompanySignIn, ProvisionedPerson, ScimToken


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """Tokens are created here and shown once; they are revoked, never edited or deleted, so the
    audit log's mentions of them stay explained."""

    list_display = ["name", "organisation", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "organisation__name", "prefix"]
    fields = ["organisation", "name"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["organisation"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else ["organisation", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organisation", "name", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, raw = tokens.create_token(
            organisation=obj.organisation, name=obj.name, by=request.user
        )
        obj.pk, obj.prefix = token.pk, token.prefix
        messages.warning(
            request,
            f"Copy this token into {obj.organisation}'s identity provider now: it is not shown "
            f"again. SCIM base URL: {request.build_absolute_uri('/scim/v2')} · Token: {raw}",
        )

    @admin.action(description="Revoke the selected tokens (their provider stops at once)")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True).select_related("organisation"):
            tokens.revoke_token(token=token, by=request.user)
        messages.success(request, "Revoked.")


@admin.register(ProvisionedPerson)
class ProvisionedPersonAdmin(ReadOnlyAdmin):
    """Who each organisation's identity provider manages: read only (the provider writes)."""

    list_display = ["user_name", "user", "organisation", "external_id", "updated_at", "removed_at"]
    list_filter = ["organisation"]
    search_fields = ["user_name", "user__email", "external_id"]
    list_select_related = ["user", "organisation"]


@admin.register(CompanySignIn)
class CompanySignInAdmin(admin.ModelAdmin):
    """An organisation's identity provider: make its OpenID Connect app under Social
    applications first (client id, secret, provider ID, server URL, this site), then link it
    here with the organisation's domains. Every change is in the organisation's audit log."""

    list_display = ["organisation", "app", "email_domains", "required", "team_claim"]
    list_select_related = ["organisation", "app"]
    search_fields = ["organisation__name", "email_domains"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            kind=audit.Kind.SSO_CONFIGURED,
            actor=request.user,
            organisation=obj.organisation,
            target=f"Company sign-in: {obj.app.name}"[:200],
            details={
                "domains": obj.domains(),
                "required": obj.required,
                "changed": sorted(form.changed_data) if change else ["created"],
            },
        )

    def delete_model(self, request, obj):
        organisation, name = obj.organisation, obj.app.name
        super().delete_model(request, obj)
        audit.record(
            kind=audit.Kind.SSO_CONFIGURED,
            actor=request.user,
            organisation=organisation,
            target=f"Company sign-in: {name}"[:200],
            details={"changed": ["deleted"]},
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("organisation", "app"):
            self.delete_model(request, obj)
