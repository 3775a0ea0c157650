from django.contrib import admin
from django.urls import reverse

from core.admin import ReadOnlyAdmin

from . import keys
from .models import GradeTarget, LtiIdentity, PlatformRegistration, ToolKey


@admin.register(PlatformRegistration)
class PlatformRegistrationAdmin(admin.ModelAdmin):
    """An LMS that launches people into tracks: what its administrator gives you goes here;
    what they need from Socialcraft is shown on the page (docs/lti.md walks through both)."""

    list_display = ["name", "organisation", "issuer", "client_id", "active", "created_at"]
    list_filter = ["active", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "issuer", "client_id", "organisation__name"]
    autocomplete_fields = ["organisation", "default_team"]
    readonly_fields = ["tool_urls"]
    fieldsets = [
        (None, {"fields": ["name", "organisation", "default_team", "active"]}),
        (
            "From the LMS",
            {
                "fields": [
                    "issuer",
                    "client_id",
                    "deployment_ids",
                    "auth_login_url",
                    "auth_token_url",
                    "auth_audience",
                    "key_set_url",
                    "key_set",
                ]
            },
        ),
        ("For the LMS", {"fields": ["tool_urls"]}),
    ]

    @admin.display(description="Socialcraft's URLs (paste these into the LMS)")
    def tool_urls(self, obj):
        from django.utils.html import format_html_join

        request = getattr(self, "_request", None)
        build = request.build_absolute_uri if request is not None else (lambda url: url)
        rows = [
            ("Login initiation URL (OIDC)", build(reverse("lti:login"))),
            ("Launch / redirect URL", build(reverse("lti:launch"))),
            ("Deep linking URL", build(reverse("lti:launch"))),
            ("Public keyset URL (JWKS)", build(reverse("lti:jwks"))),
            ("Custom parameter for a link to one track", "track=<the track's slug>"),
        ]
        return format_html_join("", "<p><strong>{}</strong><br><code>{}</code></p>", rows)

    def get_form(self, request, obj=None, **kwargs):
        self._request = request
        return super().get_form(request, obj, **kwargs)


@admin.register(ToolKey)
class ToolKeyAdmin(ReadOnlyAdmin):
    """The tool's signing keys; the private half is never shown. The newest key not retired
    signs; every key not retired is published at /lti/jwks/."""

    list_display = ["kid", "created_at", "retired_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    exclude = ["private_key_pem"]
    actions = ["rotate", "retire_previous"]

    @admin.action(description="Rotate: a new signing key (the old stays published until retired)")
    def rotate(self, request, queryset):
        key = keys.rotate()
        self.message_user(request, f"New signing key {key.kid}.")

    @admin.action(description="Retire every key but the signing one (out of the JWKS)")
    def retire_previous(self, request, queryset):
        self.message_user(request, f"Retired {keys.retire_previous()} key(s).")


@admin.register(LtiIdentity)
class LtiIdentityAdmin(ReadOnlyAdmin):
    list_display = ["subject", "issuer", "user", "registration", "created_at", "last_launch_at"]
    list_select_related = ["user", "registration"]
    search_fields = ["subject", "user__email", "issuer"]


@admin.register(GradeTarget)
class GradeTargetAdmin(ReadOnlyAdmin):
    list_display = ["user", "track", "registration", "score_sent_at", "last_error"]
    list_select_related = ["user", "track", "registration"]
    list_filter = [("score_sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "track__slug", "resource_link_id"]
