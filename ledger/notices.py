"""In-app notifications: record an event for the people it concerns, mark it read, and keep
each person's unread count (the header's badge) stored on their user row, so a page reads it
with the signed-in user at no extra query. Recorded in the transaction of the change it reports,
so a notice exists exactly when the change does."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import (
    AbstractBaseUser as User,  # the ledger sits below the user model's app
)
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Notice


@dataclass(frozen=True)
class Event:
    recipient_id: int
    key: str
    kind: str
    title: str
    url: str


RECOUNT_BATCH = 500


def recount(user_ids: Iterable[int]) -> None:
    """Store each person's unread count afresh: one UPDATE per RECOUNT_BATCH people, exact
    whatever ran before."""
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), RECOUNT_BATCH):
        _recount(ids[start : start + RECOUNT_BATCH])


def _recount(user_ids: list[int]) -> None:
    unread = (
        Notice.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    get_user_model().objects.filter(pk__in=user_ids).update(
        unread_notices=Coalesce(Subquery(unread), Value(0))
    )


def record(events: list[Event]) -> None:
    """Record each event once (a key recorded before is left as it is). One INSERT per 500."""
    if not events:
        return
    Notice.objects.bulk_create(
        [
            Notice(
                recipient_id=event.recipient_id,
                key=event.key[:200],
                kind=event.kind,
                title=event.title[:200],
                url=event.url[:300],
            )
            for event in events
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    recount(event.recipient_id for event in events)


def of(user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient_id=user.pk)


def mark_read(user: User, *, notice_id: int | None = None) -> int:
    """Mark one of the person's notices (or all of them) read; returns how many changed."""
    unread = of(user).filter(read_at__isnull=True)
    if notice_id is not None:
        unread = unread.filter(pk=notice_id)
    changed = unread.update(read_at=timezone.now())
    if changed:
        _recount([user.pk])
    return changed
