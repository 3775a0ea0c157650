"""What every sending task shares: which errors are worth a retry, and how to retry them."""

import logging
import time
from smtplib import SMTPException

from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)

TRANSIENT = (DatabaseError, ConnectionError, TimeoutError, SMTPException)
# Sending tasks are idempotent (the ledger's unique keys), so they are acknowledged late and
# re-queued if a worker dies mid-batch, and retried with backoff on transient errors.
SENDING = {
    "acks_late": True,
    "task_reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 6,
}


# While the broker is down every request that enqueues would log the same warning: it is
# logged once, then at most once a minute with how many were not enqueued meanwhile.
WARN_EVERY = 60.0
_unlogged = {"count": 0, "next_at": 0.0}


def _broker_down(task_name: str, error: Exception) -> None:
    now = time.monotonic()
    if now < _unlogged["next_at"]:
        _unlogged["count"] += 1
        return
    missed, _unlogged["count"], _unlogged["next_at"] = _unlogged["count"], 0, now + WARN_EVERY
    logger.warning(
        "Could not enqueue %s (%s)%s; the hourly dispatcher will find its work in the ledger",
        task_name,
        error,
        f", nor {missed} other task(s) in the last minute" if missed else "",
    )


def enqueue_after_commit(task_name: str, **kwargs) -> None:
    """Hand work to the worker once the current transaction commits (at once outside one).
    Tasks are named, not imported: the apps that send them sit below the apps that define them.
    Run in-process when there is no broker (as under `make run`). A broker that is down is
    logged and the request goes on: what the task would send is found again by the hourly
    dispatcher where it is in the ledger."""

    def enqueue() -> None:
        from celery import current_app

        try:
            current_app.tasks[task_name].delay(**kwargs)
        except Exception as error:
            _broker_down(task_name, error)

    transaction.on_commit(enqueue)
