"""A worker killed (SIGKILL) in the middle of a batch loses no message and doubles none.

The worker's mail backend kills its own process just before sending message k+1, so k messages
went out and were marked sent; the rest of the batch was claimed and abandoned. The next
dispatcher run (after the claim timeout) hands the abandoned claims to a fresh worker, which
sends them exactly as rendered. A negative control shows that the check catches duplicates.
"""

import email
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from ledger import messaging
from ledger.models import Message
from notifications import dispatch, tasks
from progress import services
from tests import factories
from tests.polling import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PEOPLE, CRASH_AFTER = 6, 3


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, password = settings["USER"], settings["PASSWORD"]
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def start_worker_process(redis_url: str, mail_dir: Path, crash_after: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "WORKER_DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "MAIL_DIR": str(mail_dir),
        "CRASH_AFTER": str(crash_after),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def delivered(mail_dir: Path) -> Counter:
    return Counter(
        email.message_from_bytes(path.read_bytes())["To"] for path in mail_dir.glob("*.eml")
    )


def assert_exactly_once(counts: Counter, people) -> None:
    assert counts == Counter({person.email: 1 for person in people}), counts


@pytest.fixture
def on_redis(redis_url):
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    # An empty queue: nothing left over from other tests.
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    yield redis_url
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(on_redis, tmp_path):
    track = factories.make_track(modules=1, lessons_per_module=2)
    people = [factories.UserFactory(email=f"k{n}@example.com") for n in range(PEOPLE)]
    for person in people:
        services.enrol(learner=person, track=track)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    dispatch.dispatch(now=MONDAY_9, enqueue=True)  # one batch of six, queued in Redis
    first = start_worker_process(on_redis, mail_dir, crash_after=CRASH_AFTER)
    assert first.wait(timeout=90) == -9  # killed by SIGKILL in the middle of the batch
    assert sum(delivered(mail_dir).values()) == CRASH_AFTER
    assert Message.objects.filter(status="sent").count() == CRASH_AFTER
    assert Message.objects.filter(status="pending").count() == PEOPLE - CRASH_AFTER

    # The next dispatcher run, after the abandoned claims went stale, re-queues them.
    later = MONDAY_9 + messaging.CLAIM_TIMEOUT + timedelta(minutes=1)
    result = dispatch.dispatch(now=later, enqueue=True)
    assert result["retry"] == PEOPLE - CRASH_AFTER
    assert result["learner_digest"] == 0  # everyone's key is in the ledger already
    # Redis would also redeliver the unacknowledged batch (acks_late, reject on worker lost)
    # once its visibility timeout passes; queue that redelivery now: it must send nothing.
    tasks.send_learner_digests.apply_async(
        kwargs={"user_ids": [p.pk for p in people], "now": MONDAY_9.isoformat()}
    )
    second = start_worker_process(on_redis, mail_dir, crash_after=-1)
    try:
        assert wait_for(lambda: Message.objects.filter(status="sent").count() == PEOPLE, timeout=60)
        time.sleep(2)  # give the redelivered batch time to run (and find nothing to send)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert_exactly_once(delivered(mail_dir), people)


def test_negative_control_without_the_ledger_a_rerun_doubles_messages(tmp_path):
    """Sending straight from the user list (no claims) after the same crash duplicates the
    first k recipients: the exactly-once check above would fail."""
    people = [factories.UserFactory(email=f"n{n}@example.com") for n in range(PEOPLE)]
    sent: Counter = Counter()
    for person in people[:CRASH_AFTER]:  # the run that died after k messages
        sent[person.email] += 1
    for person in people:  # the naive rerun: no ledger, so it cannot know who already got one
        sent[person.email] += 1
    with pytest.raises(AssertionError):
        assert_exactly_once(sent, people)
