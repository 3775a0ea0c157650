from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from . import tokens
from .models import ApiToken


class NewTokenForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1,
        initial=tokens.lifetime_days,
        help_text="How long it works (at most a year); make a new one before it expires.",
    )

    class Meta:
        model = ApiToken
        fields = ["organisation", "name"]

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        try:
            tokens.expiry(days)
        except tokens.TokenError as error:
            raise forms.ValidationError(str(error)) from None
        return days


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here and shown once; they are revoked, never edited or deleted, so the
    audit log's mentions of them stay explained."""

    list_display = ["name", "organisation", "prefix", "status", "expires_at", "last_used_at"]
    list_filter = ["organisation", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "organisation__name", "prefix"]
    readonly_fields = [
        "prefix", "status", "expires_at", "created_by", "created_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    actions = ["revoke"]

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        return token.status

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "days"]
        return ["organisation", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organisation", "name", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, raw = tokens.create_token(
            organisation=obj.organisation,
            name=obj.name,
            by=request.user,
            expires_at=tokens.expiry(form.cleaned_data["days"], now=timezone.now()),
        )
        obj.pk, obj.prefix, obj.expires_at = token.pk, token.prefix, token.expires_at
        messages.warning(
            request,
            f"Copy this token for {obj.organisation}'s reporting client now: it is not shown "
            f"again. It works until {token.expires_at:%Y-%m-%d}. API: "
            f"{request.build_absolute_uri('/api/v1/')} · Token: {raw}",
        )

    @admin.action(description="Revoke the selected tokens (their clients stop at once)")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True).select_related("organisation"):
            tokens.revoke_token(token=token, by=request.user)
        messages.success(request, "Revoked.")
