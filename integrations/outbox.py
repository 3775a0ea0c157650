"""What every outbox (webhook deliveries, xAPI statements) does the same way: a row is written
in the transaction of the change and handed to the worker after commit; an attempt sends a
row whose time has come and records the answer; a failure is tried again on one schedule,
until the last retry or an answer that says retrying can't help."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.tasks import enqueue_after_commit

from .models import Outbox

# After the first attempt: the waits before each retry (Standard Webhooks' suggested
# schedule, shortened at the end); after the last, the row has failed.
RETRY_AFTER = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
]
TIMEOUT_SECONDS = 10
DUE_BATCH = 500  # a beat run sends at most this many; the next run (minutes later) goes on


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the HTTP status (None: no answer), what went wrong for the log,
    and whether it was delivered or refused for good (not worth a retry)."""

    status: int | None
    error: str = ""
    delivered: bool = False
    permanent: bool = False


def write(rows: Iterable[Outbox], *, task: str) -> list[int]:
    """Save each row unless the same message to the same destination is there already (its
    unique key), and hand the new ones to `task` (kwarg `delivery_ids`) after commit."""
    made = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # written before: already in the log
        made.append(row.pk)
    if made:
        enqueue_after_commit(task, delivery_ids=made)
    return made


def attempt(
    rows: QuerySet, pk: int, *, send: Callable[[Outbox, datetime], Answer], now=None
) -> Outbox | None:
    """Send one pending row whose time has come and record the answer; None when there is
    nothing to do (sent already, failed, not due, its destination switched off, or another
    worker has it)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            rows.select_for_update(skip_locked=True)
            .filter(pk=pk, state=Outbox.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None or not row.destination.active:
            return None
        answer = send(row, now)
        row.attempts += 1
        row.last_attempt_at, row.last_status = now, answer.status
        row.last_error = answer.error[:300]
        if answer.delivered:
            row.state, row.delivered_at = Outbox.State.DELIVERED, now
        elif answer.permanent or row.attempts > len(RETRY_AFTER):
            row.state = Outbox.State.FAILED
        else:
            row.next_attempt_at = now + RETRY_AFTER[row.attempts - 1]
        row.save()
        return row


def send_each(ids: list[int], *, attempt_one: Callable[[int], Outbox | None], task) -> int:
    """The worker's loop: attempt each row; one that will be retried is queued again for when
    its retry is due (beat's retry job catches any the broker loses). Returns how many were
    delivered."""
    sent = 0
    for pk in ids:
        done = attempt_one(pk)
        if done is None:
            continue
        if done.state == Outbox.State.DELIVERED:
            sent += 1
        elif done.state == Outbox.State.PENDING:
            wait = (done.next_attempt_at - done.last_attempt_at).total_seconds()
            task.apply_async(kwargs={"delivery_ids": [done.pk]}, countdown=wait)
    return sent


def due(rows: QuerySet, now=None) -> list[int]:
    """Pending rows whose time has come (the retries, and any the broker never took)."""
    now = now or timezone.now()
    return list(
        rows.filter(state=Outbox.State.PENDING, next_attempt_at__lte=now).values_list(
            "pk", flat=True
        )[:DUE_BATCH]
    )
