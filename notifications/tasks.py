"""Celery tasks: thin doors to the dispatcher, the digests, the nudges and the ledger's resends.

Tasks take ids and an ISO timestamp, never model instances. They keep the names they had when
they lived in `progress.tasks`, so messages already queued (and beat's schedule) still find them.
"""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from core.tasks import SENDING
from ledger import messaging
from teams import services as teams

from . import digests, dispatch, fanouts, nudges, reviews

# Big enough to amortise the batch's few reads and its one claiming INSERT, small enough that a
# retried or re-queued batch redoes little (and stays well inside the 300 s time limit).
BATCH_SIZE = dispatch.BATCH_SIZE


def _when(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="progress.tasks.dispatch_due_messages")
def dispatch_due_messages(now: str | None = None) -> dict:
    """Hourly (beat): enqueue batches for everything due and not yet sent."""
    return dispatch.dispatch(now=_when(now), enqueue=True)


@shared_task(name="progress.tasks.send_learner_digests", **SENDING)
def send_learner_digests(*, user_ids: list[int], now: str) -> int:
    return digests.send_learner_digests(user_ids=user_ids, now=_when(now))


@shared_task(name="progress.tasks.send_manager_digests", **SENDING)
def send_manager_digests(*, user_ids: list[int], now: str) -> int:
    return digests.send_manager_digests(user_ids=user_ids, now=_when(now))


@shared_task(name="progress.tasks.send_nudges", **SENDING)
def send_nudges(*, user_ids: list[int], now: str) -> int:
    return nudges.send_nudges(user_ids=user_ids, now=_when(now))


@shared_task(name="progress.tasks.resend_messages", **SENDING)
def resend_messages(*, message_ids: list[int], now: str) -> int:
    """Send failed or abandoned ledger rows again, exactly as they were rendered."""
    sent, _ = messaging.deliver_all(messaging.retake(message_ids, now=_when(now)))
    return sent


@shared_task(name="notifications.tasks.send_review_result", **SENDING)
def send_review_result(*, review_id: int) -> int:
    """After a review is committed: tell the learner (progress enqueues this by name)."""
    return reviews.send_review_result(review_id=review_id)


@shared_task(name="notifications.tasks.run_announcements", **SENDING)
def run_announcements(*, announcement_ids: list[int], now: str | None = None) -> int:
    """The outbox's fan-outs: after the change that recorded them commits, and hourly for any
    left undone (ledger.outbox)."""
    return fanouts.run(announcement_ids)


@shared_task(name="notifications.tasks.send_assignment_emails", **SENDING)
def send_assignment_emails(*, assignment_id: int, learner_ids: list[int] | None = None) -> int:
    """After a track assignment is committed: tell the people it applies to (teams enqueues
    this by name)."""
    return teams.send_assignment_emails(assignment_id=assignment_id, learner_ids=learner_ids)


# The dispatcher enqueues these by name, so it needn't import this module (which imports it).
dispatch.register_senders(
    learner_digest=send_learner_digests,
    manager_digest=send_manager_digests,
    nudge=send_nudges,
    retry=resend_messages,
    announcement=run_announcements,
)
