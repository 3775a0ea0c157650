"""Celery tasks: thin doors to the digest, nudge and message services.

Tasks take ids and an ISO timestamp, never model instances. Sending tasks are idempotent (the
ledger's unique keys), so they are acknowledged late and re-queued if a worker dies mid-batch.
"""

import logging
from datetime import datetime
from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

logger = logging.getLogger(__name__)

# Big enough to amortise the batch's few reads and its one claiming INSERT, small enough that a
# retried or re-queued batch redoes little (and stays well inside the 300 s time limit).
BATCH_SIZE = 500
TRANSIENT = (DatabaseError, ConnectionError, TimeoutError, SMTPException)
SENDING = {
    "acks_late": True,
    "task_reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 6,
}


def _when(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task
def dispatch_due_messages(now: str | None = None) -> dict:
    """Hourly (beat): enqueue batches for everything due and not yet sent."""
    from progress import dispatch

    return dispatch.dispatch(now=_when(now), enqueue=True)


@shared_task(**SENDING)
def send_learner_digests(*, user_ids: list[int], now: str) -> int:
    from progress import digests

    return digests.send_learner_digests(user_ids=user_ids, now=_when(now))


@shared_task(**SENDING)
def send_manager_digests(*, user_ids: list[int], now: str) -> int:
    from progress import digests

    return digests.send_manager_digests(user_ids=user_ids, now=_when(now))


@shared_task(**SENDING)
def send_nudges(*, user_ids: list[int], now: str) -> int:
    from progress import nudges

    return nudges.send_nudges(user_ids=user_ids, now=_when(now))


@shared_task(**SENDING)
def resend_messages(*, message_ids: list[int], now: str) -> int:
    """Send failed or abandoned ledger rows again, exactly as they were rendered."""
    from progress import messaging

    sent, _ = messaging.deliver_all(messaging.retake(message_ids, now=_when(now)))
    return sent


@shared_task(**SENDING)
def announce_policy_version(*, version_id: int) -> int:
    """A policy version was published: queue its "please acknowledge" messages in batches."""
    from progress import governance

    return governance.announce_policy_version(version_id=version_id)


@shared_task(**SENDING)
def send_policy_updates(*, version_id: int, user_ids: list[int]) -> int:
    from progress import governance

    return governance.send_policy_updates(version_id=version_id, user_ids=user_ids)
