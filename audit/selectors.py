"""Reading the audit log for a page or an export."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEntry


@dataclass(frozen=True)
class EntryFilter:
    organisation_id: int | None = None
    person: str = ""  # part of an email address: the actor's or the subject's
    kind: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries(*, organisation_ids: list[int] | None, chosen: EntryFilter) -> QuerySet[AuditEntry]:
    """The entries of these organisations (None: every entry, for staff), filtered, newest
    first. Every column a page shows is on the row itself: one query per page whatever the
    entries say."""
    rows = AuditEntry.objects.all()
    if organisation_ids is not None:
        rows = rows.filter(organisation_id__in=organisation_ids)
    if chosen.organisation_id is not None:
        rows = rows.filter(organisation_id=chosen.organisation_id)
    if chosen.person:
        rows = rows.filter(
            Q(actor_email__icontains=chosen.person) | Q(subject_email__icontains=chosen.person)
        )
    if chosen.kind:
        rows = rows.filter(kind=chosen.kind)
    if chosen.since:
        rows = rows.filter(occurred_at__gte=_start_of(chosen.since))
    if chosen.until:
        rows = rows.filter(occurred_at__lt=_start_of(chosen.until) + timedelta(days=1))
    return rows.order_by("-occurred_at", "-pk")
