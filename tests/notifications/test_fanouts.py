"""The outbox of fan-outs (issue 22, item 6; issue 23, item 2): a track assigned to a team and a
policy version are announced by the worker after their change commits; one whose task never
reached the worker (Redis down) is run by the next hourly dispatch, and no one hears twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from governance import policy as policies
from governance import services as governance
from ledger import messaging, outbox
from ledger.models import Announcement, Message
from notifications import dispatch
from teams import services as team_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    manager = factories.UserFactory(email="max@example.com")
    people = [factories.UserFactory(email=f"p{n}@example.com") for n in range(3)]
    team = factories.team_with(manager=manager, learners=people)
    return {"manager": manager, "people": people, "team": team}


def hourly_dispatch_later(minutes=11):
    return dispatch.dispatch(now=timezone.now() + timedelta(minutes=minutes), enqueue=False)


def mailed(kind: str) -> list[str]:
    """The addresses the emails of one ledger kind went to. The dispatcher also sends what else
    is due at that hour (a Monday morning's digests, on a clock-ahead run), which isn't the
    subject here."""
    ids = {
        messaging.message_id(key)
        for key in Message.objects.filter(kind=kind).values_list("key", flat=True)
    }
    return sorted(m.to[0] for m in mail.outbox if m.extra_headers.get("Message-ID") in ids)


def test_the_worker_announces_an_assignment_once_it_commits(
    team, django_capture_on_commit_callbacks
):
    track = factories.make_track(modules=1, lessons_per_module=1)
    with django_capture_on_commit_callbacks(execute=True):
        team_services.assign_track(manager=team["manager"], track=track, team=team["team"])

    assert sorted(m.to[0] for m in mail.outbox) == [p.email for p in team["people"]]
    assert Announcement.objects.get().done_at is not None
    assert hourly_dispatch_later()["announcement"] == 0


def test_an_assignment_the_worker_never_heard_of_is_announced_by_the_next_dispatch(team):
    track = factories.make_track(modules=1, lessons_per_module=1)
    team_services.assign_track(manager=team["manager"], track=track, team=team["team"])
    assert mail.outbox == []  # the task was never run: as if Redis was down

    assert dispatch.dispatch(now=timezone.now(), enqueue=False)["announcement"] == 0  # too soon
    assert hourly_dispatch_later()["announcement"] == 1

    assert mailed(team_services.TRACK_ASSIGNED) == [p.email for p in team["people"]]
    assert hourly_dispatch_later(minutes=70)["announcement"] == 0
    assert Message.objects.filter(kind="track_assigned").count() == 3


def test_a_policy_version_published_while_the_broker_is_down_is_announced_later(team):
    organisation = team["team"].organisation
    policies.save_draft(organisation=organisation, body="1. Be kind.")
    governance.publish_policy(organisation=organisation, by=team["manager"])
    assert mail.outbox == []

    hourly_dispatch_later()  # the announcement, whose batches run in-process here
    hourly_dispatch_later(minutes=70)  # and again: no one is told twice

    everyone = [team["manager"].email, *(p.email for p in team["people"])]
    assert mailed(governance.POLICY_UPDATE) == sorted(everyone)


def test_a_policy_published_while_smtp_refuses_reaches_everyone_once_later(
    client, team, settings, django_capture_on_commit_callbacks
):
    """Issue 23, item 2: the publish answers at once; the worker's sends fail; the hourly
    dispatcher retries the failed one and makes the announcement again; nobody hears twice."""
    from django.urls import reverse

    from governance.models import PolicyOwner

    organisation = team["team"].organisation
    PolicyOwner.objects.create(user=team["manager"], organisation=organisation)
    client.force_login(team["manager"])
    settings.MAILERS = {"default": {"BACKEND": "tests.ledger.test_messaging.BrokenBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("governance:policy_edit"),
            {
                "body": "1. Ask before you post for a client.",
                "changes_summary": "",
                "effective_date": timezone.localdate().isoformat(),
                "action": "publish",
            },
        )
    assert response.status_code == 302
    assert Announcement.objects.get().done_at is None  # its sends failed
    assert mail.outbox == []

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    hourly_dispatch_later()
    hourly_dispatch_later(minutes=70)

    everyone = [team["manager"].email, *(p.email for p in team["people"])]
    assert mailed(governance.POLICY_UPDATE) == sorted(everyone)
    assert Announcement.objects.get().done_at is not None


def test_a_broker_outage_is_logged_once_a_minute_not_per_request(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from celery import current_app

    from core import tasks

    def refuse(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(current_app.tasks[outbox.RUN_TASK], "delay", refuse)
    monkeypatch.setattr(tasks, "_unlogged", {"count": 0, "next_at": 0.0})
    for n in range(5):  # five requests while the broker is down
        with django_capture_on_commit_callbacks(execute=True):
            tasks.enqueue_after_commit(outbox.RUN_TASK, announcement_ids=[n])

    warnings = [r.getMessage() for r in caplog.records if r.name == "core.tasks"]
    assert len(warnings) == 1
    assert "Could not enqueue" in warnings[0]
