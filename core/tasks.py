"""What every sending task shares: which errors are worth a retry, and how to retry them."""

import logging
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
        except Exception:
            logger.warning("Could not enqueue %s %s", task_name, kwargs)

    transaction.on_commit(enqueue)
