"""Webhooks (issue 25, item 2): signed as Standard Webhooks say (checked with the reference
verifier, the `standardwebhooks` package), sent after commit, once per event, retried with
backoff when the receiver fails, never to another organisation. The receiver is a real HTTP
server on loopback; the worker tests use the suite's Redis and a real Celery worker."""

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from integrations import delivery
from integrations.models import Event, WebhookDelivery, WebhookEndpoint
from learners.models import Membership, Organisation
from progress import services, signals
from progress.models import Certificate, LessonCompletion
from tests import factories
from tests.notifications.test_celery import on_redis, worker  # noqa: F401 (fixtures)
from tests.polling import wait_for

ALL_EVENTS = [event.value for event in Event]


class Receiver:
    """An HTTP endpoint on loopback that records what it is sent and answers with the next of
    `statuses` (the last one repeats)."""

    def __init__(self, statuses=(204,)):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret: str) -> list[dict]:
        """What arrived, each verified by the reference implementation (raises if not), at the
        time it was sent (the verifier refuses a timestamp five minutes off its clock)."""
        verified = []
        for headers, body in self.received:
            sent_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
            with time_machine.travel(sent_at + timedelta(seconds=1), tick=False):
                verified.append(Webhook(secret).verify(body, headers))
        return verified

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def learner_in(organisation_slug: str):
    learner = factories.UserFactory(email=f"sean@{organisation_slug}.example", display_name="Sean")
    team = factories.team_with(learners=[learner])
    if organisation_slug != "acme":
        team.organisation = Organisation.objects.create(
            name=organisation_slug, slug=organisation_slug
        )
        team.save()
    return learner


def finish_track(learner) -> Certificate:
    track = factories.make_track(modules=1, lessons_per_module=1, slug=f"t-{learner.pk}")
    for lesson in track.lessons.all():
        LessonCompletion.objects.create(learner=learner, lesson=lesson)
    return services.issue_certificate_if_complete(learner=learner, track=track)


def endpoint_for(organisation, url, events=ALL_EVENTS, **extra) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organisation=organisation, url=url, events=events, **extra
    )


@pytest.mark.django_db
def test_a_certificate_is_announced_once_signed_as_standard_webhooks_say(
    receiver, django_capture_on_commit_callbacks
):
    learner = learner_in("acme")
    endpoint = endpoint_for(Organisation.objects.get(slug="acme"), receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = finish_track(learner)
    events = receiver.events(endpoint.secret)
    assert [event["type"] for event in events] == ["track.completed", "certificate.issued"]
    issued = events[1]["data"]
    assert issued["certificate"]["code"] == certificate.code
    assert issued["certificate"]["url"].endswith(f"/certificates/{certificate.code}/")
    assert issued["person"] == {"id": learner.pk, "email": learner.email, "name": "Sean"}
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}

    # The same event again (a signal sent twice) adds nothing: each event goes once.
    with django_capture_on_commit_callbacks(execute=True):
        signals.certificate_issued.send(sender=Certificate, certificate=certificate)
    assert len(receiver.received) == 2 and WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
def test_an_edited_body_or_another_secret_fails_the_reference_verifier(
    receiver, django_capture_on_commit_callbacks
):
    from standardwebhooks.webhooks import WebhookVerificationError

    learner = learner_in("acme")
    endpoint = endpoint_for(
        Organisation.objects.get(slug="acme"), receiver.url, ["certificate.issued"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        finish_track(learner)
    headers, body = receiver.received[0]
    Webhook(endpoint.secret).verify(body, headers)  # the control
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace(b"Sean", b"Mallory"), headers)
    other = WebhookEndpoint(organisation=endpoint.organisation, url=receiver.url)  # a new secret
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(body, headers)


@pytest.mark.django_db
def test_a_failing_receiver_gets_the_same_message_again_with_backoff_then_it_fails():
    failing = Receiver(statuses=[500, 503, 200])
    try:
        learner = learner_in("acme")
        endpoint = endpoint_for(
            Organisation.objects.get(slug="acme"), failing.url, ["certificate.issued"]
        )
        finish_track(learner)  # no commit in this test: the worker's part is called below
        sent = WebhookDelivery.objects.get()
        now = timezone.now()

        first = delivery.attempt(sent.pk, now=now)
        assert (first.state, first.last_status, first.attempts) == ("pending", 500, 1)
        assert first.next_attempt_at == now + timedelta(seconds=5)
        assert delivery.attempt(sent.pk, now=now + timedelta(seconds=4)) is None  # not yet due
        second = delivery.attempt(sent.pk, now=now + timedelta(seconds=5))
        assert (second.state, second.last_status) == ("pending", 503)
        assert second.next_attempt_at == now + timedelta(seconds=5) + timedelta(minutes=5)
        third = delivery.attempt(sent.pk, now=second.next_attempt_at)
        assert (third.state, third.attempts) == ("delivered", 3)
        ids = {headers["webhook-id"] for headers, _ in failing.received}
        assert ids == {sent.message_id}  # one id: the receiver can drop repeats
        assert len(failing.events(endpoint.secret)) == 3  # each attempt signed afresh
    finally:
        failing.close()

    # A receiver that never answers well: given up after the last retry.
    down = WebhookDelivery.objects.create(
        endpoint=endpoint, message_id="msg_down", event="certificate.issued", payload={},
        occurred_at=now, next_attempt_at=now,
    )  # fmt: skip
    endpoint.url = "http://127.0.0.1:9/nothing-listens-here"
    endpoint.save()
    when = now
    for _ in range(len(delivery.RETRY_AFTER) + 1):
        done = delivery.attempt(down.pk, now=when)
        when = done.next_attempt_at
    assert done.state == "failed" and "ConnectionError" in done.last_error


@pytest.mark.django_db
def test_only_the_organisations_active_endpoints_that_asked_hear(
    receiver, django_capture_on_commit_callbacks
):
    learner = learner_in("acme")
    acme = Organisation.objects.get(slug="acme")
    globex = Organisation.objects.create(name="Globex", slug="globex")
    endpoint_for(globex, receiver.url + "/globex")
    endpoint_for(acme, receiver.url + "/inactive", active=False)
    endpoint_for(acme, receiver.url + "/reviews-only", ["submission.reviewed"])
    with django_capture_on_commit_callbacks(execute=True):
        finish_track(learner)
    assert receiver.received == []
    assert not WebhookDelivery.objects.filter(endpoint__organisation=globex).exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_commit_and_retries_a_failing_receiver(worker):  # noqa: F811
    failing = Receiver(statuses=[500, 204])
    try:
        learner = learner_in("acme")
        endpoint = endpoint_for(
            Organisation.objects.get(slug="acme"), failing.url, ["certificate.issued"]
        )
        finish_track(learner)  # commits: the worker takes it from Redis
        sent = WebhookDelivery.objects.filter(endpoint=endpoint)
        assert wait_for(lambda: sent.filter(state="delivered").exists(), timeout=40)
        delivered = sent.get()
        assert delivered.attempts == 2 and len(failing.received) == 2
        assert failing.events(endpoint.secret)[0]["type"] == "certificate.issued"
    finally:
        failing.close()


@pytest.mark.django_db
def test_a_review_is_announced_with_its_outcome(receiver, django_capture_on_commit_callbacks):
    learner = learner_in("acme")
    manager = factories.UserFactory(email="max@acme.example")
    endpoint = endpoint_for(
        Organisation.objects.get(slug="acme"), receiver.url, ["submission.reviewed"]
    )
    track = factories.make_track(modules=1, lessons_per_module=1, slug="reviewed")
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.first()), ("Voice", 4))
    submission = services.submit_assignment(learner=learner, assignment=assignment, text="My plan.")
    criterion = assignment.rubric.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_submission(
            reviewer=manager, submission=submission, outcome="needs_revision",
            feedback="Tighten the hook.", points={criterion.pk: 2},
        )  # fmt: skip
    [event] = receiver.events(endpoint.secret)
    assert event["type"] == "submission.reviewed"
    assert event["data"]["submission"] == {
        "id": submission.pk, "assignment": "Practice", "version": 1, "outcome": "needs_revision",
    }  # fmt: skip
    assert event["data"]["person"]["email"] == learner.email


@pytest.mark.django_db
def test_an_assignment_past_its_due_date_is_announced_once_per_due_date(
    receiver, django_capture_on_commit_callbacks
):
    from integrations import events
    from teams import services as team_services

    learner = learner_in("acme")
    finished = factories.UserFactory(email="done@acme.example")
    manager = factories.UserFactory(email="max@acme.example")
    team = learner.memberships.get().team
    Membership.objects.create(user=finished, team=team, role="learner")
    Membership.objects.create(user=manager, team=team, role="manager")
    acme = team.organisation
    endpoint = endpoint_for(acme, receiver.url, ["assignment.overdue"])
    track = factories.make_track(modules=1, lessons_per_module=1, slug="due")
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - timedelta(days=5)):  # assigned last week
        assignment = team_services.assign_track(
            manager=manager, track=track, team=team, due_date=today - timedelta(days=1)
        )
    finish = track.lessons.first()
    LessonCompletion.objects.create(learner=finished, lesson=finish)
    services.issue_certificate_if_complete(learner=finished, track=track)
    # Another organisation's overdue person is not acme's business.
    other = learner_in("globex")
    globex_team = other.memberships.get().team
    globex_boss = factories.UserFactory(email="boss@globex.example")
    Membership.objects.create(user=globex_boss, team=globex_team, role="manager")
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        team_services.assign_track(
            manager=globex_boss, track=track, team=globex_team, due_date=today - timedelta(days=3)
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert events.announce_overdue_assignments(today=today) == 1
    [event] = receiver.events(endpoint.secret)
    assert event["type"] == "assignment.overdue"
    assert event["data"]["person"]["email"] == learner.email
    assert event["data"]["due_date"] == (today - timedelta(days=1)).isoformat()
    assert event["data"]["assignment"] == {"id": assignment.pk, "team": team.name}

    with django_capture_on_commit_callbacks(execute=True):  # the next hour: nothing new
        assert events.announce_overdue_assignments(today=today) == 0
    # A new due date that passes is a new event for the same person.
    team_services.change_due_date(
        assignment=assignment, due_date=today + timedelta(days=2), by=manager
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert events.announce_overdue_assignments(today=today) == 0  # not due yet
        assert events.announce_overdue_assignments(today=today + timedelta(days=3)) == 1
    assert len(receiver.received) == 2


@pytest.mark.django_db
def test_clearance_gained_and_lost_is_announced_from_the_second_reading_on(
    receiver, django_capture_on_commit_callbacks
):
    from integrations import events
    from tests.governance import helpers as gov

    acme = gov.organisation("acme")
    sean, carrie = (
        factories.UserFactory(email="sean@acme.example"),
        factories.UserFactory(email="carrie@acme.example"),
    )
    gov.team(acme, "Social", learners=[sean, carrie])
    gov.owner(acme)
    track = factories.make_track(modules=1, lessons_per_module=1, slug="policy-101")
    first = gov.publish(acme)
    level = gov.level(acme, "Can post for the brand", tracks=[track])
    gov.certify(sean, track)
    gov.acknowledge(sean, first)
    endpoint = endpoint_for(acme, receiver.url, ["clearance.changed"])

    with django_capture_on_commit_callbacks(execute=True):
        assert events.announce_clearance_changes() == 0  # the first reading only takes note
        gov.certify(carrie, track)
        gov.acknowledge(carrie, first)
        assert events.announce_clearance_changes() == 1
    [gained] = receiver.events(endpoint.secret)
    assert gained["data"] == {
        "person": {"id": carrie.pk, "email": carrie.email, "name": carrie.display_name},
        "level": {"id": level.pk, "name": "Can post for the brand"},
        "cleared": True,
    }

    with django_capture_on_commit_callbacks(execute=True):
        gov.publish(acme, "## Policy\n\nBe kinder.", summary="Kinder.")  # nobody has read it
        assert events.announce_clearance_changes() == 2
        assert events.announce_clearance_changes() == 0  # nothing twice
    lost = receiver.events(endpoint.secret)[1:]
    assert sorted((e["data"]["person"]["id"], e["data"]["cleared"]) for e in lost) == sorted(
        [(sean.pk, False), (carrie.pk, False)]
    )
