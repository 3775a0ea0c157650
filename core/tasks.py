"""What every sending task shares: which errors are worth a retry, and how to retry them."""

from smtplib import SMTPException

from django.db import DatabaseError

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
