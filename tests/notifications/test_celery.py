"""A real Celery worker on a real Redis: fan-out, exactly once, and Redis going away."""

from datetime import UTC, datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from ledger.models import Message
from notifications import dispatch
from progress import services
from tests import factories
from tests.polling import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def on_redis(redis_url, settings):
    """Point the Celery app at the suite's Redis, with tasks really queued."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.REDIS_URL = redis_url
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    app._pool = None  # drop connections made for the previous broker
    app.amqp._producer_pool = None
    yield app
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(on_redis):
    with start_worker(
        on_redis, perform_ping_check=False, pool="solo", shutdown_timeout=30
    ) as running:
        yield running


def learners(count: int):
    track = factories.make_track(modules=1, lessons_per_module=2)
    people = [factories.UserFactory(email=f"w{n}@example.com") for n in range(count)]
    for person in people:
        services.enrol(learner=person, track=track)
    return people


def digests_sent() -> int:
    return Message.objects.filter(kind="learner_digest", status="sent").count()


def test_the_dispatcher_fans_out_to_a_worker_and_each_digest_goes_once(worker):
    people = learners(7)
    result = dispatch.dispatch(now=MONDAY_9, enqueue=True)
    assert result["learner_digest"] == 7
    assert wait_for(lambda: digests_sent() == 7)
    # A second run in the same hour and a duplicated batch task send nothing more.
    dispatch.dispatch(now=MONDAY_9, enqueue=True)
    from notifications import tasks

    tasks.send_learner_digests.apply_async(
        kwargs={"user_ids": [p.pk for p in people], "now": MONDAY_9.isoformat()}
    )
    tasks.dispatch_due_messages.apply_async(kwargs={"now": MONDAY_9.isoformat()})
    assert not wait_for(lambda: len(mail.outbox) > 7, timeout=3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_with_redis_down_pages_work_and_the_next_run_catches_up(client, on_redis, redis_server):
    people = learners(3)
    redis_server.stop()
    try:
        assert client.get("/").status_code == 200
        assert client.get("/healthz").json()["broker"] == "unreachable"
        result = dispatch.dispatch(now=MONDAY_9, enqueue=True)
        assert result["enqueue_failed"] is True
        assert Message.objects.count() == 0  # nothing claimed, so nothing is lost
    finally:
        redis_server.start()
    app._pool = None
    app.amqp._producer_pool = None
    with start_worker(on_redis, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        dispatch.dispatch(now=MONDAY_9.replace(hour=10), enqueue=True)
        assert wait_for(lambda: digests_sent() == 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_tasks_keep_the_names_messages_already_queued_carry():
    """The digest and nudge tasks moved from progress.tasks to notifications.tasks; a message
    queued before the move (and beat's schedule) names the old task, which must still run."""
    from celery import current_app
    from django.conf import settings

    from notifications import tasks

    for name in (
        "dispatch_due_messages",
        "send_learner_digests",
        "send_manager_digests",
        "send_nudges",
        "resend_messages",
    ):
        registered = current_app.tasks[f"progress.tasks.{name}"]
        assert registered.run.__module__ == tasks.__name__ == "notifications.tasks"
    assert current_app.tasks["progress.tasks.announce_policy_version"]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(current_app.tasks)


def test_a_submission_reaches_its_reviewer_through_the_worker(worker):
    """Issue 22: the reviewer's email leaves the request. The submission commits, the task goes
    through Redis, the worker sends it once."""
    from courses.models import Lesson

    manager = factories.UserFactory(email="max@example.com")
    learner = factories.UserFactory(email="lena@example.com")
    factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=1)
    assignment = factories.add_rubric(factories.add_assignment(Lesson.objects.get(track=track)))

    services.submit_assignment(learner=learner, assignment=assignment, text="My report.")

    sent = Message.objects.filter(kind="review_waiting", status=Message.Status.SENT)
    assert wait_for(lambda: sent.count() == 1)
    assert [email.to for email in mail.outbox] == [["max@example.com"]]


def test_a_track_assigned_to_a_team_reaches_each_person_once_through_the_worker(worker):
    """Issue 22, item 6: the assignment commits with a notice for each person; the worker sends
    each their email once, however often the task runs."""
    from ledger.models import Notice
    from teams import services as team_services

    manager = factories.UserFactory(email="max@example.com", display_name="Max")
    people = [factories.UserFactory(email=f"t{n}@example.com") for n in range(3)]
    team = factories.team_with(manager=manager, learners=people)
    track = factories.make_track(modules=1, lessons_per_module=1)

    assignment = team_services.assign_track(manager=manager, track=track, team=team)

    sent = Message.objects.filter(kind="track_assigned", status=Message.Status.SENT)
    assert wait_for(lambda: sent.count() == 3)
    team_services.send_assignment_emails(assignment_id=assignment.pk)  # a task run twice
    assert sorted(email.to[0] for email in mail.outbox) == [p.email for p in people]
    assert Notice.objects.filter(kind="track_assigned").count() == 3
