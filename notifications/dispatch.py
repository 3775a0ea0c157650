"""The hourly dispatcher: find what is due and not yet sent, and fan it out in batches.

Runs from beat (through a task), from `manage.py send_due_messages`, and in tests. If Redis is
down, enqueueing fails quietly (logged once per run); the next run finds the same work again.
"""

import itertools
import logging
from datetime import datetime, timedelta

from django.db.models import Q

from ledger import messaging, outbox
from ledger.models import Message

from . import digests, nudges

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Big enough to amortise the batch's few reads and its one claiming INSERT, small enough that a
# retried or re-queued batch redoes little (and stays well inside the 300 s time limit).
BATCH_SIZE = 500
# The task that sends each kind of work, with the argument its ids go in (notifications.tasks
# registers them when it is imported, which Celery's autodiscovery and `django.setup()` do).
SENDERS: dict[str, tuple] = {}
ARGUMENTS = {"learner_digest": "user_ids", "manager_digest": "user_ids", "nudge": "user_ids",
             "retry": "message_ids", "announcement": "announcement_ids"}  # fmt: skip


def register_senders(**tasks) -> None:
    SENDERS.update(tasks)


def retry_candidates(*, now: datetime) -> list[int]:
    """Failed messages whose backoff has passed, and claims abandoned by a dead worker."""
    ids = []
    rows = Message.objects.filter(
        Q(status=Message.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
        | Q(status=Message.Status.PENDING, claimed_at__lt=now - messaging.CLAIM_TIMEOUT)
    ).values_list("pk", "status", "attempts", "claimed_at")
    for pk, status, attempts, claimed_at in rows.iterator(chunk_size=2000):
        backoff = timedelta(minutes=2**attempts)  # 2, 4, 8 ... minutes between tries
        if status == Message.Status.PENDING or claimed_at is None or claimed_at + backoff <= now:
            ids.append(pk)
    return ids


def plan(*, now: datetime) -> dict[str, list[int]]:
    return {
        "learner_digest": digests.recipients_due(digests.LEARNER_DIGEST, now=now),
        "manager_digest": digests.recipients_due(digests.MANAGER_DIGEST, now=now),
        "nudge": nudges.recipients_due(now=now),
        "retry": retry_candidates(now=now),
        "announcement": outbox.left_undone(now=now),
    }


def dispatch(*, now: datetime, enqueue: bool) -> dict:
    """Send (enqueue=False: in this process) or enqueue everything due at `now`. Returns how
    many of each kind were due and, in this process, how many each sender reports done ("done":
    emails sent; announcements made) — fewer when a nudge finds nothing new to say."""
    work = plan(now=now)
    stamp = now.isoformat()
    failed_to_enqueue = False
    done = dict.fromkeys(work, 0)  # in this process: what each kind's sender reports it sent
    for kind, ids in work.items():
        task, argument = SENDERS[kind], ARGUMENTS[kind]
        for batch in itertools.batched(ids, BATCH_SIZE):
            kwargs = {argument: list(batch), "now": stamp}
            if not enqueue:
                done[kind] += task.run(**kwargs) or 0
                continue
            try:
                task.apply_async(kwargs=kwargs)
            except Exception as error:
                if not failed_to_enqueue:
                    logger.warning("Could not enqueue %s: %s", task.name, error)
                failed_to_enqueue = True
    due = {kind: len(ids) for kind, ids in work.items()}
    return due | {"enqueue_failed": failed_to_enqueue, "done": None if enqueue else done}
