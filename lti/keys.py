"""The tool's RSA signing keys: the newest key not retired signs; every key not retired is
published in the JWKS (/lti/jwks/). Rotating adds a key; the previous one stays published
until it is retired, so a platform that cached the key set still verifies what was signed
before the rotation (platforms re-read a key set when they meet an unknown kid)."""

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.utils import timezone
from jwcrypto.jwk import JWK

from .models import ToolKey


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk = JWK.from_pem(pem.encode())
    kid = jwk.thumbprint()  # RFC 7638: names the key by its public half
    public = {**json.loads(jwk.export_public()), "kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey.objects.create(kid=kid, private_key_pem=pem, public_jwk=public)


def signing_key() -> ToolKey:
    """The key that signs now; made on first use."""
    key = ToolKey.objects.filter(retired_at__isnull=True).first()
    return key if key is not None else _new_key()


@transaction.atomic
def rotate() -> ToolKey:
    """A new signing key; the previous ones stay in the JWKS until `retire_previous`."""
    return _new_key()


@transaction.atomic
def retire_previous() -> int:
    """Take every key but the signing one out of the JWKS. Returns how many were retired."""
    current = signing_key()
    return (
        ToolKey.objects.filter(retired_at__isnull=True)
        .exclude(pk=current.pk)
        .update(retired_at=timezone.now())
    )


def jwks() -> dict:
    """The public key set platforms verify the tool's signatures with."""
    signing_key()
    return {
        "keys": list(
            ToolKey.objects.filter(retired_at__isnull=True).values_list("public_jwk", flat=True)
        )
    }
