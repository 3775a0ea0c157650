"""What a validated launch does here: refuse a nonce already used, find or make the person in
the registration's organisation, sign-in's audit entry, enrolment, and where the grade goes."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from core.tasks import enqueue_after_commit
from courses.models import Track
from learners import services as learner_services
from learners.models import Membership, User, normalise_email
from progress import services as progress_services
from progress.models import Certificate
from provisioning.people import organisations_of

from .models import GradeTarget, LtiIdentity, PlatformRegistration, UsedNonce

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# The custom parameter a resource link names its track by (deep linking sets it).
TRACK_PARAMETER = "track"
# A nonce is remembered at least this long even when the id_token says it expires sooner.
NONCE_MINIMUM = timedelta(hours=1)


class LaunchRefusedError(Exception):
    """A launch this site won't act on; `reason` keys views.REASONS (what to tell whom)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Arrival:
    user: User
    track: Track
    created: bool


def use_nonce(*, issuer: str, nonce: str, expires: int | None) -> None:
    """Record the launch's nonce as used; a nonce seen before is a replay (LaunchRefusedError).
    Expired records are purged on the way (their id_tokens are refused by their expiry)."""
    now = timezone.now()
    UsedNonce.objects.filter(expires_at__lt=now).delete()
    until = max(datetime.fromtimestamp(expires, tz=UTC) if expires else now, now + NONCE_MINIMUM)
    try:
        with transaction.atomic():
            UsedNonce.objects.create(issuer=issuer, nonce=nonce[:255], expires_at=until)
    except IntegrityError:
        raise LaunchRefusedError("replayed") from None


def track_named(claims: dict) -> Track:
    """The published track the launch's custom parameter names."""
    slug = str((claims.get(CUSTOM) or {}).get(TRACK_PARAMETER) or "").strip()
    if not slug:
        raise LaunchRefusedError("no_track")
    track = Track.objects.published().filter(slug=slug).first()
    if track is None:
        raise LaunchRefusedError("unknown_track", slug[:80])
    return track


def _verified_email(claims: dict) -> str:
    email = normalise_email(str(claims.get("email") or ""))
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _stand_in_email(issuer: str, subject: str) -> str:
    """An address for someone the platform gave none: unique, and never delivered to."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]
    return f"lti-{digest}@lti.invalid"


def _display_name(claims: dict) -> str:
    name = claims.get("name") or " ".join(
        str(part) for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return str(name or "").strip()[:80]


def _join(user: User, registration: PlatformRegistration) -> None:
    team = registration.default_team or learner_services.ensure_team(
        organisation=registration.organisation, name=registration.name[:120]
    )
    learner_services.ensure_membership(user=user, team=team, role=Membership.Role.LEARNER)


@transaction.atomic
def person_for(*, registration: PlatformRegistration, claims: dict, request=None) -> tuple:
    """The account the platform's user (issuer + sub) is here, and whether it was made now.

    Known sub: the same account. First launch: an account of the registration's organisation
    with the platform's address is linked (never staff's, never another organisation's: the
    launch is refused instead); otherwise a new account joins the organisation, in the
    registration's team, with no password (it signs in through the LMS, or sets one with
    "Forgotten your password?")."""
    issuer, subject = registration.issuer, str(claims.get("sub") or "")
    if not subject:
        raise LaunchRefusedError("no_subject")
    identity = (
        LtiIdentity.objects.select_for_update()
        .select_related("user", "registration")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        user = identity.user
        if identity.registration.organisation_id != registration.organisation_id and (
            registration.organisation_id not in organisations_of(user)
        ):
            raise LaunchRefusedError(
                "other_organisation"
            )  # the same LMS, another customer's client
        if user.is_staff:
            raise LaunchRefusedError("staff")
        if not user.is_active:
            raise LaunchRefusedError("inactive")
        identity.last_launch_at = timezone.now()
        identity.save(update_fields=["last_launch_at"])
        return user, False
    email = _verified_email(claims)
    existing = User.objects.filter(email__iexact=email).first() if email else None
    created = existing is None
    if existing is not None:
        if existing.is_staff:
            raise LaunchRefusedError("staff")
        if organisations_of(existing) != {registration.organisation_id}:
            raise LaunchRefusedError("other_organisation")
        if not existing.is_active:
            raise LaunchRefusedError("inactive")
        user = existing
    else:
        user, _ = learner_services.ensure_user(
            email=email or _stand_in_email(issuer, subject),
            display_name=_display_name(claims),
            password=None,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        _join(user, registration)
        audit.record(
            kind=audit.Kind.ACCOUNT_PROVISIONED,
            subject=user,
            organisation=registration.organisation,
            target=f"LTI: {registration.name}",
            request=request,
        )
    LtiIdentity.objects.create(registration=registration, issuer=issuer, subject=subject, user=user)
    return user, created


def remember_grade_target(
    *, registration: PlatformRegistration, user: User, track: Track, claims: dict
) -> GradeTarget | None:
    """Where this launch's grade goes, when the platform offers the score service; a track
    already completed sends its score now."""
    service = claims.get(AGS) or {}
    scopes = [str(scope) for scope in service.get("scope") or []]
    link = str((claims.get(RESOURCE_LINK) or {}).get("id") or "")
    if SCORE_SCOPE not in scopes or not link:
        return None
    if not (service.get("lineitem") or service.get("lineitems")):
        return None
    target, _ = GradeTarget.objects.update_or_create(
        registration=registration,
        user=user,
        resource_link_id=link[:255],
        defaults={
            "track": track,
            "subject": str(claims.get("sub"))[:255],
            "context_id": str((claims.get(CONTEXT) or {}).get("id") or "")[:255],
            "lineitem_url": str(service.get("lineitem") or "")[:500],
            "lineitems_url": str(service.get("lineitems") or "")[:500],
            "scopes": scopes,
        },
    )
    if (
        target.score_sent_at is None
        and Certificate.objects.filter(learner=user, track=track, revoked_at__isnull=True).exists()
    ):
        enqueue_after_commit("lti.tasks.send_scores", target_ids=[target.pk])
    return target


@transaction.atomic
def arrive(*, registration: PlatformRegistration, claims: dict, request=None) -> Arrival:
    """A resource link launch: the person (found or made), enrolled in the link's track, with
    where their grade goes remembered. The caller signs them in."""
    track = track_named(claims)
    user, created = person_for(registration=registration, claims=claims, request=request)
    progress_services.enrol(learner=user, track=track)
    remember_grade_target(registration=registration, user=user, track=track, claims=claims)
    audit.record(
        kind=audit.Kind.SIGN_IN_SSO,
        actor=user,
        subject=user,
        organisation=registration.organisation,
        target=f"LTI: {registration.name}",
        request=request,
    )
    return Arrival(user=user, track=track, created=created)


def record_refusal(*, registration: PlatformRegistration | None, reason: str, request) -> None:
    """A refused launch, in the registration's organisation's log when it is known."""
    if registration is None:
        return
    audit.record(
        kind=audit.Kind.SIGN_IN_FAILED,
        organisation=registration.organisation,
        target=f"LTI: {registration.name}",
        details={"reason": reason},
        request=request,
    )
