"""Reporting API tokens: created and revoked by staff (the admin, `manage.py api_token`), one
organisation each, kept as a SHA-256 digest (core.tokens); the token itself is shown once."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from core import tokens as bearer_tokens
from learners.models import Organisation, User

from .models import ApiToken

PREFIX = "sc_api_"
# last_used_at is written at most this often, so a busy client doesn't write on every request.
USE_RECORDED_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token that can't be made as asked (its lifetime)."""


def lifetime_days() -> tuple[int, int]:
    """(default, maximum) days a new token lives: settings API_TOKEN_DAYS, API_TOKEN_MAX_DAYS."""
    return settings.API_TOKEN_DAYS, settings.API_TOKEN_MAX_DAYS


def expiry(days: int | None, *, now: datetime | None = None) -> datetime:
    """When a token made now for `days` (None: the default) expires; refuses more than the
    maximum and less than a day."""
    default, maximum = lifetime_days()
    days = default if days is None else days
    if not 1 <= days <= maximum:
        raise TokenError(f"A token lives between 1 and {maximum} days (asked: {days}).")
    return (now or timezone.now()) + timedelta(days=days)


def _described(token: ApiToken) -> str:
    return f"API token “{token.name}” ({token.prefix}…)"[:200]


@transaction.atomic
def create_token(
    *, organisation: Organisation, name: str, by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `organisation`; returns it and the secret, which is never shown again.
    `expires_at` defaults to API_TOKEN_DAYS from now and may not be later than the maximum."""
    now = timezone.now()
    latest = expiry(lifetime_days()[1], now=now)
    expires_at = expires_at or expiry(None, now=now)
    if not now < expires_at <= latest:
        raise TokenError(f"Choose an expiry in the future and no later than {latest:%Y-%m-%d}.")
    raw = bearer_tokens.new_secret(PREFIX)
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        digest=bearer_tokens.digest(raw),
        prefix=bearer_tokens.shown_prefix(raw),
        created_by=by,
        expires_at=expires_at,
    )
    audit.record(
        kind=audit.Kind.API_TOKEN_CREATED,
        actor=by,
        organisation=organisation,
        target=_described(token),
        details={"expires_at": expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, by: User | None) -> None:
    """Stop `token` at once. Idempotent: revoking a revoked token changes nothing."""
    if not bearer_tokens.revoke(token):
        return
    audit.record(
        kind=audit.Kind.API_TOKEN_REVOKED,
        actor=by,
        organisation=token.organisation,
        target=_described(token),
    )


def token_for(authorization: str | None) -> ApiToken | None:
    """The token an `Authorization: Bearer …` header carries, live or not (the caller says why
    a dead one is refused), or None. One query; records the use at most once a minute."""
    raw = bearer_tokens.bearer(authorization, prefix=PREFIX)
    if raw is None:
        return None
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(digest=bearer_tokens.digest(raw))
        .first()
    )
    if token is not None and token.status == "live":
        now = timezone.now()
        if bearer_tokens.use_is_due(token.last_used_at, now, USE_RECORDED_EVERY):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
