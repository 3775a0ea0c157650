"""Helpers for the social-governance tests: organisations, policies, levels, certificates."""

from datetime import UTC, date, datetime

import time_machine

from courses.dates import add_months
from governance import holdings
from governance import policy as policies
from governance.models import ClearanceLevel, PolicyOwner, PolicyVersion
from learners.models import Membership, Organisation, Team
from progress.models import Certificate
from tests import factories

JAN_1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def organisation(slug: str = "acme") -> Organisation:
    return Organisation.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def team(org: Organisation, name: str, *, manager=None, learners=()) -> Team:
    created = Team.objects.create(organisation=org, name=name)
    if manager is not None:
        Membership.objects.create(user=manager, team=created, role="manager")
    for learner in learners:
        Membership.objects.create(user=learner, team=created, role="learner")
    return created


def owner(org: Organisation, user=None):
    user = user or factories.UserFactory(display_name="Carrie Owner")
    PolicyOwner.objects.create(organisation=org, user=user)
    return user


def publish(
    org: Organisation,
    text: str = "## Policy\n\nBe kind.",
    *,
    summary: str = "",
    effective: date | None = None,
    by=None,
) -> PolicyVersion:
    """Publish a version now (the caller travels in time to choose "now")."""
    policies.save_draft(
        organisation=org, body=text, changes_summary=summary, effective_date=effective
    )
    return policies.publish_draft(organisation=org, by=by)


def acknowledge(user, version: PolicyVersion):
    return policies.acknowledge(user=user, version=version, text_sha256=version.text_sha256)[0]


def level(org: Organisation, name: str = "Can post for the brand", *, tracks=(), assignment=None):
    """A level defined as the admin does: saved with its tracks, then who holds it rewritten."""
    created = ClearanceLevel.objects.create(organisation=org, name=name, assignment=assignment)
    created.tracks.set(tracks)
    holdings.refresh_holdings(organisation_ids=[org.pk])
    return created


def certify(learner, track, *, months: int | None = None) -> Certificate:
    """A certificate issued now, expiring after `months` (None: never)."""
    from django.utils import timezone

    now = timezone.now()
    certificate = Certificate.objects.create(
        learner=learner,
        track=track,
        learner_name=learner.name,
        track_title=track.title,
        expires_at=add_months(now, months) if months else None,
    )
    # Written directly rather than by completing the track: rewrite the holdings as
    # `issue_certificate_if_complete` does (tests/governance/test_holdings.py checks it does).
    holdings.refresh_holdings(user_ids=[learner.pk])
    return certificate
