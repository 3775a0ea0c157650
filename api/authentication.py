"""Who is asking: an organisation's API token (never a session, so a signed-in browser can't be
made to read the API, and CSRF has nothing to ride on), and how often it may ask."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions, throttling

from . import tokens
from .models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer sc_api_…`. A token that is unknown, expired or revoked is a 401
    that says which; no header at all is left to the permission (a 401 too)."""

    def authenticate(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return None
        token = tokens.token_for(header)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This is not a Socialcraft API token. Send “Authorization: Bearer sc_api_…”."
            )
        if token.status == "revoked":
            raise exceptions.AuthenticationFailed(
                f"This token was revoked on {token.revoked_at:%Y-%m-%d}. Ask for a new one."
            )
        if token.status == "expired":
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d}. Ask for a new one."
            )
        # No person signs in: the token speaks for its organisation (request.auth).
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'  # makes DRF answer 401 rather than 403


class HasApiToken(permissions.BasePermission):
    message = "Send an API token: “Authorization: Bearer sc_api_…” (docs/api.md)."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiToken)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_RATE_LIMIT requests per token, counted in the default cache (Redis in production,
    shared by every web node); over it, a 429 with Retry-After."""

    scope = "api_token"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT  # read per request, so a settings change applies

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None  # refused before it counts (the schema and docs aren't throttled)
        return f"api-throttle:{request.auth.pk}"
