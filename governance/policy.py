"""The organisation's social media policy: who owns it, drafting, publishing, acknowledging.

Only `learners` rows are written here. Announcing a new version to everyone (one message per
person, through the ledger) is `governance.services.publish_policy`, which calls
`publish_draft`; `manage.py seed_demo` calls `publish_draft` directly and announces nothing.

"Today" is the site's local date: a version is *in effect* from its effective date on, and the
newest version in effect is the *current* one. A version published with a later effective date
is *upcoming*: people may acknowledge it already, and that acknowledgement counts once it takes
effect.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from audit import services as audit
from core.prepared import prepared
from learners.models import Organisation, User

from . import holdings
from .models import Policy, PolicyAcknowledgement, PolicyOwner, PolicyVersion, policy_text_hash


class PolicyError(Exception):
    """A request the policy rules refuse; the message is shown as-is."""


# -- who ------------------------------------------------------------------------------------


def organisations_of(user: User) -> QuerySet[Organisation]:
    """Organisations `user` belongs to through any team membership."""
    return Organisation.objects.filter(teams__memberships__user=user).distinct()


def owned_organisations(user: User) -> QuerySet[Organisation]:
    """Organisations whose policy `user` may edit and publish: their own, or every one for staff."""
    if user.is_staff:
        return Organisation.objects.all()
    return Organisation.objects.filter(policy_owners__user=user).distinct()


def is_policy_owner(user: User, organisation: Organisation) -> bool:
    return owned_organisations(user).filter(pk=organisation.pk).exists()


def make_policy_owner(*, user: User, organisation: Organisation) -> PolicyOwner:
    """Let `user` publish `organisation`'s policy (idempotent)."""
    owner, created = PolicyOwner.objects.get_or_create(user=user, organisation=organisation)
    if created:
        record_policy_owner(kind=audit.Kind.POLICY_OWNER_ADDED, owner=owner)
    return owner


def record_policy_owner(*, kind: str, owner: PolicyOwner, by: User | None = None) -> None:
    """An audit entry for someone made, or no longer, a policy owner (the admin's too)."""
    audit.record(kind=kind, actor=by, subject=owner.user, organisation=owner.organisation)


# -- reading the policy ----------------------------------------------------------------------


def effective_at(version: PolicyVersion) -> datetime:
    """The moment a published version took (or takes) effect: the start of its effective date,
    or its publication when that came later."""
    start = timezone.make_aware(datetime.combine(version.effective_date, time.min))
    return max(start, version.published_at)


@dataclass
class PolicyState:
    """An organisation's published versions (newest first) and which one is current."""

    organisation: Organisation
    versions: list[PolicyVersion] = field(default_factory=list)
    current: PolicyVersion | None = None
    upcoming: PolicyVersion | None = None  # published, effective date still to come

    @property
    def latest(self) -> PolicyVersion | None:
        """The version people are asked to acknowledge: the upcoming one, else the current."""
        return self.upcoming or self.current


# What a version's text is kept in: left unread where only its number and dates matter.
TEXT_FIELDS = ("body_markdown", "body_html")


def policy_state(
    organisation: Organisation, *, today: date | None = None, with_text: bool = True
) -> PolicyState:
    """The organisation's published versions and the current one. One query, compiled once
    (the roster reads it on every visit). Without `with_text` the versions' texts stay unread:
    the clearance rules need numbers and dates, and a policy's text runs to many kilobytes
    per version."""
    versions = published_versions(organisation, with_text=with_text)
    return state_of(organisation, versions, today=today or timezone.localdate())


def published_versions(organisation: Organisation, *, with_text: bool) -> list[PolicyVersion]:
    """The organisation's published versions, newest first (see `policy_state`)."""
    read = _published_versions_of if with_text else _published_versions_without_text_of
    versions = read(organisation_id=organisation.pk)
    for version in versions:
        version.policy.organisation = organisation  # no query
    return versions


@prepared
def _published_versions_of(organisation_id: int):
    return (
        PolicyVersion.objects.published()
        .filter(policy__organisation_id=organisation_id)
        .select_related("policy", "published_by")
        .order_by("-number")
    )


@prepared
def _published_versions_without_text_of(organisation_id: int):
    # For the clearance rules: numbers and dates, neither the texts nor who published them.
    return (
        _published_versions_of.build(organisation_id=organisation_id)
        .select_related(None)
        .select_related("policy")
        .defer(*TEXT_FIELDS)
    )


def state_of(
    organisation: Organisation, versions: list[PolicyVersion], *, today: date
) -> PolicyState:
    """The organisation's policy state from its published versions, newest first (no query)."""
    state = PolicyState(organisation=organisation, versions=versions)
    state.current = next((v for v in versions if v.effective_date <= today), None)
    newest = versions[0] if versions else None
    if newest is not None and newest is not state.current:
        state.upcoming = newest
    return state


def draft_for(organisation: Organisation) -> PolicyVersion | None:
    return PolicyVersion.objects.drafts().filter(policy__organisation=organisation).first()


# -- writing -----------------------------------------------------------------------------------


def _policy(organisation: Organisation, *, lock: bool = False) -> Policy:
    policy, _ = Policy.objects.get_or_create(organisation=organisation)
    if lock:
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
    return policy


@transaction.atomic
def save_draft(
    *,
    organisation: Organisation,
    body: str,
    changes_summary: str | None = None,
    effective_date: date | None = None,
    source_submission_id: int | None = None,
) -> PolicyVersion:
    """Create or update the organisation's one draft. Fields given as None keep their value."""
    policy = _policy(organisation, lock=True)
    draft = policy.versions.drafts().first() or PolicyVersion(policy=policy)
    draft.body_markdown = body
    if changes_summary is not None:
        draft.changes_summary = changes_summary.strip()
    if effective_date is not None:
        draft.effective_date = effective_date
    if source_submission_id is not None:
        draft.source_submission_id = source_submission_id
    draft.save()
    return draft


@transaction.atomic
def discard_draft(*, organisation: Organisation) -> bool:
    deleted, _ = PolicyVersion.objects.drafts().filter(policy__organisation=organisation).delete()
    return bool(deleted)


@transaction.atomic
def publish_draft(
    *, organisation: Organisation, by: User | None, today: date | None = None
) -> PolicyVersion:
    """Publish the draft as the next version number; it never changes afterwards.

    Refused (PolicyError) without a text, without a "what changed" summary (after the first
    version), with an effective date in the past or before the previous version's.
    """
    today = today or timezone.localdate()
    policy = _policy(organisation, lock=True)  # numbers are given one publisher at a time
    draft = policy.versions.drafts().first()
    if draft is None:
        raise PolicyError("There is no draft to publish.")
    previous = policy.versions.published().order_by("-number").first()
    if not draft.body_markdown.strip():
        raise PolicyError("The policy has no text yet.")
    if previous is not None and not draft.changes_summary:
        raise PolicyError("Say in a sentence or two what changed in this version.")
    effective = draft.effective_date or today
    if effective < today:
        raise PolicyError("The effective date is in the past.")
    if previous is not None and effective < previous.effective_date:
        raise PolicyError(
            f"The effective date is before that of version {previous.number} "
            f"({previous.effective_date:%Y-%m-%d})."
        )
    highest = policy.versions.aggregate(highest=Max("number"))["highest"] or 0
    draft.number = highest + 1
    draft.effective_date = effective
    draft.changes_summary = draft.changes_summary or "First version."
    draft.published_at = timezone.now()
    draft.published_by = by
    draft.save()
    audit.record(
        kind=audit.Kind.POLICY_PUBLISHED,
        actor=by,
        organisation=organisation,
        target=f"Policy version {draft.number}",
        details={"effective_date": draft.effective_date.isoformat()},
    )
    return draft


@transaction.atomic
def acknowledge(
    *, user: User, version: PolicyVersion, text_sha256: str
) -> tuple[PolicyAcknowledgement, bool]:
    """Record that `user` read and accepts `version`; returns (acknowledgement, created).

    `text_sha256` is the hash of the text the page showed: it must match the version's, so an
    acknowledgement always names the exact text. Idempotent per person and version.
    """
    if not version.is_published:
        raise PolicyError("Only a published version can be acknowledged.")
    if not organisations_of(user).filter(pk=version.policy.organisation_id).exists():
        raise PolicyError("This policy belongs to an organisation you are not part of.")
    expected = policy_text_hash(version.body_markdown)
    if text_sha256 != expected or version.text_sha256 != expected:
        raise PolicyError(
            "The policy text you read is not this version's. Please read it again and then "
            "acknowledge it."
        )
    try:
        with transaction.atomic():
            acknowledgement, created = PolicyAcknowledgement.objects.get_or_create(
                version=version, user=user, defaults={"text_sha256": expected}
            )
            if created:
                holdings.refresh_holdings(
                    organisation_ids=[version.policy.organisation_id], user_ids=[user.pk]
                )
            return acknowledgement, created
    except IntegrityError:  # a double click raced itself; the first one counts
        return PolicyAcknowledgement.objects.get(version=version, user=user), False
