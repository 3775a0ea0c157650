from django.contrib import admin

from audit import services as audit
from learners.admin import OrganisationAdmin as BaseOrganisationAdmin
from learners.models import Organisation

from . import holdings, policy
from .models import (
    BannedTerm,
    ClearanceLevel,
    Policy,
    PolicyAcknowledgement,
    PolicyOwner,
    PolicyVersion,
)


class BannedTermInline(admin.TabularInline):
    model = BannedTerm
    extra = 0
    fields = ["term", "reason"]


# An organisation's banned terms are edited on its page: governance extends the organisation's
# admin (learners, below, doesn't know governance exists).
admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationAdmin(BaseOrganisationAdmin):
    inlines = [*BaseOrganisationAdmin.inlines, BannedTermInline]


@admin.register(BannedTerm)
class BannedTermAdmin(admin.ModelAdmin):
    """The words an organisation keeps out of public posts; the post studio flags them."""

    list_display = ["term", "organisation", "reason", "created_at"]
    list_filter = ["organisation"]
    search_fields = ["term", "reason", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(PolicyOwner)
class PolicyOwnerAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "created_at"]
    list_filter = ["organisation"]
    search_fields = ["user__email", "user__display_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]

    def save_model(self, request, obj, form, change):
        if change and not {"user", "organisation"} & set(form.changed_data):
            return super().save_model(request, obj, form, change)
        if change:  # another person or organisation: one owner less, another more
            before = PolicyOwner.objects.select_related("user", "organisation").get(pk=obj.pk)
            policy.record_policy_owner(
                kind=audit.Kind.POLICY_OWNER_REMOVED, owner=before, by=request.user
            )
        super().save_model(request, obj, form, change)
        policy.record_policy_owner(kind=audit.Kind.POLICY_OWNER_ADDED, owner=obj, by=request.user)
        return None

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        policy.record_policy_owner(kind=audit.Kind.POLICY_OWNER_REMOVED, owner=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        removed = list(queryset.select_related("user", "organisation"))
        super().delete_queryset(request, queryset)
        for owner in removed:
            policy.record_policy_owner(
                kind=audit.Kind.POLICY_OWNER_REMOVED, owner=owner, by=request.user
            )


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["number", "effective_date", "published_at", "changes_summary"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # drafts are written on the policy owner's page (/policy/edit/)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "created_at"]
    search_fields = ["title", "organisation__name"]
    inlines = [PolicyVersionInline]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["policy", "number", "effective_date", "published_at", "published_by"]
    list_filter = ["policy__organisation"]
    list_select_related = ["policy__organisation", "published_by"]
    readonly_fields = ["text_sha256", "source_submission", "published_at", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            # People acknowledged this exact text (by hash): a published version never changes.
            return [field.name for field in PolicyVersion._meta.fields]
        return self.readonly_fields


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["user", "version", "acknowledged_at"]
    list_filter = ["version__policy__organisation"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user", "version__policy__organisation"]
    readonly_fields = ["user", "version", "acknowledged_at", "text_sha256"]

    def has_add_permission(self, request) -> bool:
        return False  # only the person acknowledges, on /policy/


@admin.register(ClearanceLevel)
class ClearanceLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "position"]
    list_filter = ["organisation"]
    search_fields = ["name", "organisation__name"]
    filter_horizontal = ["tracks"]
    raw_id_fields = ["assignment"]

    def save_related(self, request, form, formsets, change):
        """What the level asks for may have changed: rewrite who holds it (after its tracks
        are saved)."""
        super().save_related(request, form, formsets, change)
        holdings.refresh_holdings(organisation_ids=[form.instance.organisation_id])
