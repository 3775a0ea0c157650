"""Bearer tokens for machine clients (SCIM, the reporting API): random secrets with a prefix
that names their kind, kept as a SHA-256 digest and shown once.

The secret holds 256 random bits, so a fast hash is enough: nobody can search that space,
and a slow password hash would only cost every request time.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

# The first characters of a token, kept beside the digest so that a list can show which one is
# which ("scim_Ab3…") without keeping anything that authenticates.
SHOWN_PREFIX_LENGTH = 8


def new_secret(prefix: str) -> str:
    """A new token: `prefix` followed by 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(raw: str) -> str:
    """What is stored for a token, and looked up when one is presented."""
    return hashlib.sha256(raw.encode()).hexdigest()


def shown_prefix(raw: str) -> str:
    return raw[:SHOWN_PREFIX_LENGTH]


def bearer(authorization: str | None, *, prefix: str) -> str | None:
    """The token an `Authorization: Bearer …` header carries when it has our `prefix`, or None."""
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(prefix):
        return None
    return raw


def use_is_due(last_used_at: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether to write a token's last use again: at most once per `every`, so that a busy
    client doesn't write a row on every request."""
    return last_used_at is None or now - last_used_at > every


def revoke(token) -> bool:
    """Stop a token (a model with `revoked_at`) at once; False when it already was stopped, so
    that revoking twice records nothing twice."""
    if token.revoked_at:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return True
