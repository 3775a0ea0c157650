"""Which events an organisation's endpoints hear, written to the delivery log in the
transaction of the change that caused them (sent after commit by tasks.deliver_webhooks)."""

import hashlib
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from governance.clearance import Rules
from governance.models import ClearanceLevel, LevelHolding
from learners.models import Organisation, User
from progress.models import Enrolment
from provisioning.people import organisations_of

from . import outbox
from .models import ClearanceWatch, Event, WebhookDelivery, WebhookEndpoint

DELIVER_TASK = "integrations.tasks.deliver_webhooks"


def message_id(key: str) -> str:
    """The event's id, the same however often it is emitted or sent (Standard Webhooks'
    webhook-id): receivers deduplicate on it."""
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def emit(*, event: str, key: str, organisation_ids, data: dict, occurred_at=None) -> list[int]:
    """One delivery per active endpoint of these organisations that listens to `event`, once
    per `key` (emitting the same event again adds nothing). Returns the deliveries' ids."""
    occurred_at = occurred_at or timezone.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organisation_id__in=organisation_ids, active=True
        )
        if event in endpoint.events
    ]
    rows = (
        WebhookDelivery(
            endpoint=endpoint,
            message_id=message_id(key),
            event=event,
            payload={"type": event, "timestamp": occurred_at.isoformat(), "data": data},
            occurred_at=occurred_at,
            next_attempt_at=occurred_at,
        )
        for endpoint in endpoints
    )
    return outbox.write(rows, task=DELIVER_TASK)


def _person(user) -> dict:
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def site_url(path: str) -> str:
    """An absolute URL on the site (SITE_URL), for what is sent to other systems."""
    return settings.SITE_URL.rstrip("/") + path


def on_certificate_issued(sender, certificate, **kwargs) -> None:
    learner, track = certificate.learner, certificate.track
    organisation_ids = organisations_of(learner)
    if not organisation_ids:
        return
    track_data = {"slug": track.slug, "title": certificate.track_title}
    emit(
        event=Event.TRACK_COMPLETED,
        key=f"track.completed:{learner.pk}:{track.pk}:{certificate.pk}",
        organisation_ids=organisation_ids,
        occurred_at=certificate.issued_at,
        data={"person": _person(learner), "track": track_data,
              "completed_at": certificate.issued_at.isoformat()},
    )  # fmt: skip
    emit(
        event=Event.CERTIFICATE_ISSUED,
        key=f"certificate.issued:{certificate.pk}",
        organisation_ids=organisation_ids,
        occurred_at=certificate.issued_at,
        data={
            "person": _person(learner),
            "certificate": {
                "code": certificate.code,
                "track": track_data,
                "issued_at": certificate.issued_at.isoformat(),
                "expires_at": certificate.expires_at.isoformat()
                if certificate.expires_at
                else None,
                "url": site_url(reverse("progress:certificate", args=[certificate.code])),
            },
        },
    )


def on_submission_reviewed(sender, review, **kwargs) -> None:
    submission = review.submission
    organisation_ids = organisations_of(submission.learner)
    if not organisation_ids:
        return
    emit(
        event=Event.SUBMISSION_REVIEWED,
        key=f"submission.reviewed:{review.pk}",
        organisation_ids=organisation_ids,
        occurred_at=review.reviewed_at,
        data={
            "person": _person(submission.learner),
            "submission": {
                "id": submission.pk,
                "assignment": submission.assignment.title,
                "version": submission.version,
                "outcome": review.outcome,
            },
            "reviewed_at": review.reviewed_at.isoformat(),
        },
    )


def announce_overdue_assignments(*, today=None) -> int:
    """Hourly (beat): an `assignment.overdue` for each person whose assigned track passed its
    due date unfinished, once per due date (a new due date that passes is a new event), to
    the endpoints that asked for it. Reads the enrolments' stored due dates (the dashboard's
    rollups); nothing runs for organisations without such an endpoint. Returns how many."""
    today = today or timezone.localdate()
    listening = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True)
        if Event.ASSIGNMENT_OVERDUE in endpoint.events
    ]
    organisation_ids = {endpoint.organisation_id for endpoint in listening}
    if not organisation_ids:
        return 0
    in_scope = Q(assignment__team__organisation_id__in=organisation_ids) | Q(
        assignment__team__isnull=True,
        learner__memberships__team__organisation_id__in=organisation_ids,
    )
    overdue = (
        Enrolment.objects.filter(
            in_scope, assignment__isnull=False, completed_at__isnull=True, due_date__lt=today
        )
        .select_related("learner", "track", "assignment__team")
        .distinct()
        .order_by("pk")
    )
    announced = 0
    for rows in batched(overdue.iterator(chunk_size=500), 500):
        keys = {enrolment.pk: message_id(_overdue_key(enrolment)) for enrolment in rows}
        # Announced already (the common case, hour after hour): one query per 500 people.
        sent = set(
            WebhookDelivery.objects.filter(message_id__in=keys.values()).values_list(
                "message_id", flat=True
            )
        )
        announced += sum(
            _announce_overdue(enrolment) for enrolment in rows if keys[enrolment.pk] not in sent
        )
    return announced


def _overdue_key(enrolment) -> str:
    return f"assignment.overdue:{enrolment.learner_id}:{enrolment.track_id}:{enrolment.due_date}"


def _announce_overdue(enrolment) -> bool:
    team = enrolment.assignment.team
    with transaction.atomic():
        return bool(
            emit(
                event=Event.ASSIGNMENT_OVERDUE,
                key=_overdue_key(enrolment),
                organisation_ids=[team.organisation_id]
                if team
                else organisations_of(enrolment.learner),
                data={
                    "person": _person(enrolment.learner),
                    "track": {"slug": enrolment.track.slug, "title": enrolment.track.title},
                    "assignment": {
                        "id": enrolment.assignment_id,
                        "team": team.name if team else None,
                    },
                    "due_date": enrolment.due_date.isoformat(),
                },
            )
        )


def announce_clearance_changes(*, now=None) -> int:
    """Hourly (beat): a `clearance.changed` for each person who gained or lost one of their
    organisation's clearance levels since the last run, for organisations with an endpoint
    that asked for it. Compares who is cleared now (the stored holdings, read with the rules
    the roster uses: the policy version in effect acknowledged, no certificate expired) with
    who was announced last time; so it sees every cause, an expiry or a new policy version
    included. An organisation's first run only takes note (no flood of "gained" for everyone
    already cleared). One transaction per organisation: a re-run announces nothing twice."""
    now = now or timezone.now()
    organisation_ids = {
        endpoint.organisation_id
        for endpoint in WebhookEndpoint.objects.filter(active=True)
        if Event.CLEARANCE_CHANGED in endpoint.events
    }
    announced = 0
    for organisation in Organisation.objects.filter(pk__in=organisation_ids).order_by("pk"):
        with transaction.atomic():
            announced += _announce_clearance_changes(organisation, now)
    return announced


def _announce_clearance_changes(organisation: Organisation, now) -> int:
    rules = Rules(organisation, now=now)
    cleared_now = set(
        LevelHolding.objects.filter(level__organisation=organisation)
        .filter(rules.cleared_holding())
        .values_list("user_id", "level_id")
    )
    watched = ClearanceWatch.objects.select_for_update().filter(organisation=organisation)
    first_reading = not watched.filter(level__isnull=True).exists()
    before = set(watched.filter(level__isnull=False).values_list("user_id", "level_id"))
    gained, lost = cleared_now - before, before - cleared_now
    ClearanceWatch.objects.bulk_create(
        [
            ClearanceWatch(organisation=organisation, user_id=u, level_id=lv, since=now)
            for u, lv in gained
        ]
        + ([ClearanceWatch(organisation=organisation, since=now)] if first_reading else [])
    )
    for user_id, level_id in lost:
        watched.filter(user_id=user_id, level_id=level_id).delete()
    if first_reading:
        return 0
    levels = ClearanceLevel.objects.in_bulk({level for _, level in gained | lost})
    people = User.objects.in_bulk({user for user, _ in gained | lost})
    for (user_id, level_id), cleared in sorted(
        [(pair, True) for pair in gained] + [(pair, False) for pair in lost]
    ):
        level = levels[level_id]
        emit(
            event=Event.CLEARANCE_CHANGED,
            key=f"clearance.changed:{user_id}:{level_id}:{'gained' if cleared else 'lost'}:{now.isoformat()}",
            organisation_ids=[organisation.pk],
            occurred_at=now,
            data={
                "person": _person(people[user_id]),
                "level": {"id": level.pk, "name": level.name},
                "cleared": cleared,
            },
        )
    return len(gained) + len(lost)
