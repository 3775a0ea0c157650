"""The outbox of fan-outs (ledger.Announcement): recorded with the change, run by the worker
after it commits, and again by the hourly dispatcher if that never happened."""

from datetime import datetime, timedelta

from django.utils import timezone

from core.tasks import enqueue_after_commit

from .models import Announcement

RUN_TASK = "notifications.tasks.run_announcements"
# The worker normally runs an announcement within seconds; the dispatcher takes up only those
# left this long (so it doesn't race the worker), and gives up on any a week old.
RETRY_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(days=7)


def announce(kind: str, object_id: int) -> Announcement:
    announcement = Announcement.objects.create(kind=kind, object_id=object_id)
    enqueue_after_commit(RUN_TASK, announcement_ids=[announcement.pk])
    return announcement


def left_undone(*, now: datetime) -> list[int]:
    return list(
        Announcement.objects.filter(
            done_at__isnull=True,
            created_at__lt=now - RETRY_AFTER,
            created_at__gte=now - GIVE_UP_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def to_run(announcement_ids: list[int]) -> list[Announcement]:
    return list(
        Announcement.objects.filter(pk__in=announcement_ids, done_at__isnull=True).order_by("pk")
    )


def mark_done(announcement: Announcement) -> None:
    Announcement.objects.filter(pk=announcement.pk).update(done_at=timezone.now())
