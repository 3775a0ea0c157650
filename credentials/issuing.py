"""Certificates as Open Badges 3.0 credentials, and each issuer's revocation status list.

A credential is built from the certificate as it stands (its validity follows renewals) and
what `IssuedCredential` fixed at first download (issuer key, status bit, hashed address), then
signed. Signing canonicalises the document as RDF, which costs tens of milliseconds, so the
signed text is cached under a hash of what was signed: any change to the certificate makes a
new key, and an unchanged one is served from the cache.
"""

import hashlib
import json
import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from learners.models import Organisation
from progress.models import Certificate, Enrolment
from provisioning.people import organisations_of

from . import signing
from .models import IssuedCredential, IssuerKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MEDIA_TYPE = "application/vc"  # VC Data Model 2.0, section 6.3
CACHE_SECONDS = 24 * 3600
STATUS_CACHE_SECONDS = 300  # the list's validFrom is its signing time: re-signed at most this often


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- keys ------------------------------------------------------------------------------------


def active_key(organisation: Organisation | None) -> IssuerKey:
    """The key that signs new credentials for `organisation` (None: the site's own), made on
    first use."""
    key = IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is not None:
        return key
    private_pem, did = signing.new_key()
    try:
        with transaction.atomic():
            return IssuerKey.objects.create(
                organisation=organisation, did=did, private_key_pem=private_pem
            )
    except IntegrityError:  # made by a concurrent request a moment ago
        return IssuerKey.objects.get(organisation=organisation, retired_at__isnull=True)


@transaction.atomic
def rotate_key(organisation: Organisation | None) -> IssuerKey:
    """Retire the active key and make a new one. Credentials already made keep their key."""
    IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    return active_key(organisation)


def issuing_organisation(certificate: Certificate) -> Organisation | None:
    """Who vouches for the certificate: the organisation whose team assigned the track, else
    the learner's organisation (the first made, when several), else nobody (the site)."""
    enrolment = (
        Enrolment.objects.filter(
            learner_id=certificate.learner_id,
            track_id=certificate.track_id,
            assignment__team__isnull=False,
        )
        .select_related("assignment__team__organisation")
        .first()
    )
    if enrolment is not None:
        return enrolment.assignment.team.organisation
    organisation_ids = organisations_of(certificate.learner)
    return Organisation.objects.filter(pk__in=organisation_ids).order_by("pk").first()


def _email_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def issued_credential(certificate: Certificate) -> IssuedCredential:
    """The certificate's fixed credential facts, made on first use: its issuer's active key,
    a random free bit in that key's status list, and the learner's address hashed with a salt
    (the holder can prove it is theirs; a reader of the credential can't recover it)."""
    try:
        return certificate.credential
    except IssuedCredential.DoesNotExist:
        pass
    key = active_key(issuing_organisation(certificate))
    salt = secrets.token_hex(8)
    for _ in range(50):  # a collision is rare until a list is nearly full
        try:
            with transaction.atomic():
                return IssuedCredential.objects.create(
                    certificate=certificate,
                    key=key,
                    status_index=secrets.randbelow(signing.STATUS_LIST_BITS),
                    salt=salt,
                    email_hash=_email_hash(certificate.learner.email, salt),
                )
        except IntegrityError:
            made = IssuedCredential.objects.filter(certificate=certificate).first()
            if made is not None:  # a concurrent download made it first
                return made
    raise RuntimeError(f"No free status list bit for key {key.pk}: rotate the key.")


# -- the credential --------------------------------------------------------------------------


def status_list_url(key: IssuerKey) -> str:
    return absolute(reverse("credentials:status_list", args=[key.pk]))


def credential_document(certificate: Certificate, issued: IssuedCredential) -> dict:
    """The unsigned OpenBadgeCredential for `certificate`."""
    key = issued.key
    issuer_name = key.organisation.name if key.organisation_id else settings.SITE_NAME
    status_url = status_list_url(key)
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": absolute(reverse("credentials:credential", args=[certificate.code])),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.track_title}: {certificate.learner_name}",
        "issuer": {
            "id": key.did,
            "type": ["Profile"],
            "name": issuer_name,
            "url": absolute("/"),
        },
        "validFrom": _iso(certificate.certified_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": issued.email_hash,
                    "salt": issued.salt,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.learner_name,
                },
            ],
            "achievement": {
                "id": absolute(reverse("progress:track", args=[certificate.track.slug])),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.track_title,
                "description": f"Completed the {settings.SITE_NAME} track “{certificate.track_title}”.",
                "criteria": {
                    "narrative": (
                        "Every lesson of the track completed, every quiz passed (questions drawn"
                        " from a bank, answers shown only after a pass) and every required"
                        " practice assignment approved by a reviewer."
                    )
                },
            },
        },
        "evidence": [
            {
                "id": absolute(certificate.get_absolute_url()),
                "type": ["Evidence"],
                "name": "The certificate's public page, with what was assessed",
            }
        ],
        "credentialStatus": {
            "id": f"{status_url}#{issued.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(issued.status_index),
            "statusListCredential": status_url,
        },
    }
    if certificate.expires_at is not None:
        document["validUntil"] = _iso(certificate.expires_at)
    return document


def _signed_text(document: dict, key: IssuerKey, created: datetime, cache_prefix: str, ttl: int):
    digest = hashlib.sha256(
        json.dumps([document, key.pk, _iso(created)], sort_keys=True).encode()
    ).hexdigest()
    cache_key = f"{cache_prefix}:{digest}"
    text = cache.get(cache_key)
    if text is None:
        signed = signing.sign(
            document,
            private_key_pem=key.private_key_pem,
            verification_method=key.verification_method,
            created=created,
        )
        text = json.dumps(signed, indent=2, ensure_ascii=False)
        cache.set(cache_key, text, ttl)
    return text


def credential_json(certificate: Certificate) -> str:
    """The signed credential as JSON text."""
    issued = issued_credential(certificate)
    document = credential_document(certificate, issued)
    # The proof's time: when this version of the credential was first possible.
    created = max(issued.created_at, certificate.certified_at)
    return _signed_text(document, issued.key, created, "credential", CACHE_SECONDS)


# -- the status list -------------------------------------------------------------------------


def revoked_bits(key: IssuerKey) -> list[int]:
    return sorted(
        IssuedCredential.objects.filter(key=key, certificate__revoked_at__isnull=False).values_list(
            "status_index", flat=True
        )
    )


def status_list_json(key: IssuerKey) -> str:
    """The key's signed BitstringStatusListCredential (purpose: revocation)."""
    url = status_list_url(key)
    bits = revoked_bits(key)
    # Signed at most every STATUS_CACHE_SECONDS for the same bits; new bits sign at once.
    now = timezone.now()
    created = now.replace(second=0, microsecond=0, minute=now.minute - now.minute % 5)
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.did,
        "validFrom": _iso(created),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": signing.encoded_list(bits),
        },
    }
    return _signed_text(document, key, created, "status-list", STATUS_CACHE_SECONDS)
