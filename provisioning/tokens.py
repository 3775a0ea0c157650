"""SCIM tokens: created and revoked by staff in the admin, one organisation each, kept as a
SHA-256 digest; the token itself is shown once."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from core import tokens as bearer_tokens
from learners.models import Organisation, User

from .models import ScimToken

PREFIX = "scim_"
# last_used_at is written at most this often, so a busy provider doesn't write on every call.
USE_RECORDED_EVERY = timedelta(minutes=5)


@transaction.atomic
def create_token(
    *, organisation: Organisation, name: str, by: User | None
) -> tuple[ScimToken, str]:
    """A new token for `organisation`; returns it and the secret, which is never shown again."""
    raw = bearer_tokens.new_secret(PREFIX)
    token = ScimToken.objects.create(
        organisation=organisation,
        name=name,
        digest=bearer_tokens.digest(raw),
        prefix=bearer_tokens.shown_prefix(raw),
        created_by=by,
    )
    audit.record(
        kind=audit.Kind.SCIM_TOKEN_CREATED,
        actor=by,
        organisation=organisation,
        target=f"SCIM token “{name}” ({token.prefix}…)",
    )
    return token, raw


@transaction.atomic
def revoke_token(*, token: ScimToken, by: User | None) -> None:
    if not bearer_tokens.revoke(token):
        return
    audit.record(
        kind=audit.Kind.SCIM_TOKEN_REVOKED,
        actor=by,
        organisation=token.organisation,
        target=f"SCIM token “{token.name}” ({token.prefix}…)",
    )


def token_for(authorization: str | None) -> ScimToken | None:
    """The live token an `Authorization: Bearer …` header carries, or None."""
    raw = bearer_tokens.bearer(authorization, prefix=PREFIX)
    if raw is None:
        return None
    token = (
        ScimToken.objects.select_related("organisation")
        .filter(digest=bearer_tokens.digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if bearer_tokens.use_is_due(token.last_used_at, now, USE_RECORDED_EVERY):
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
