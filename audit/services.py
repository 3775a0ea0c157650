"""Writing the audit log: one `record` call where each event happens, the purge of entries older
than the retention period, and forgetting a deleted person."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from .models import AuditEntry

Kind = AuditEntry.Kind

# The organisations a person belongs to, by the app that knows (learners registers it from its
# AppConfig.ready): this app sits below it and can't ask.
OrganisationsOf = Callable[[models.Model], Iterable[models.Model]]


def _no_organisations(person) -> tuple:
    return ()


_organisations_of: OrganisationsOf = _no_organisations


def register_organisations_of(finder: OrganisationsOf) -> None:
    global _organisations_of  # a registry, set once at start-up
    _organisations_of = finder


def client_ip(request) -> str | None:
    """The client's address as the sign-in limits see it (allauth's, which honours
    TRUSTED_PROXY_COUNT), or None."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address at all (a test client without REMOTE_ADDR)
        return None


def _name(person) -> str:
    return (getattr(person, "display_name", "") or "")[:80]


def record(
    *,
    kind: str,
    actor=None,
    subject=None,
    organisation=None,
    target: str = "",
    details: dict | None = None,
    subject_email: str = "",
    request=None,
) -> list[AuditEntry]:
    """Append an entry: `actor` did `kind` to `subject` (a person) or `target` (a thing).

    The entry goes in `organisation`'s log; without one, in the log of each organisation the
    subject belongs to (one entry each; none: staff only). `target` and `details` must not name
    people (account deletion finds people only in the actor and subject fields);
    `subject_email` stands in for a subject with no account (a failed sign-in). The client's
    address comes from `request`, or from the request being served. One insert per
    organisation, plus one query when the subject's organisations are looked up.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    if organisation is not None:
        organisations = [organisation]
    else:
        organisations = list(_organisations_of(subject)) if subject is not None else []
    request = request or allauth_context.request
    common = {
        "kind": kind,
        "actor": actor,
        "actor_email": actor.email if actor else "",
        "actor_name": _name(actor),
        "subject": subject,
        "subject_email": subject.email if subject is not None else subject_email[:254],
        "subject_name": _name(subject),
        "target": target[:200],
        "details": details or {},
        "ip_address": client_ip(request) if request is not None else None,
    }
    entries = [
        AuditEntry(organisation=org, organisation_name=org.name if org else "", **common)
        for org in organisations or [None]
    ]
    return AuditEntry.objects.bulk_create(entries)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS; returns how many. The only deleter.

    One DELETE on the indexed date: a daily run removes a day's entries.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted


def forget_person(*, person, old_email: str, email: str, name: str) -> None:
    """Account deletion: entries by or about `person` keep what happened but name them as
    `name` at `email` (as their other records do); their address no longer sits anywhere in
    the log, and the addresses they signed in from are dropped."""
    by_them = models.Q(actor=person) | models.Q(actor_email__iexact=old_email)
    about_them = models.Q(subject=person) | models.Q(subject_email__iexact=old_email)
    AuditEntry.objects.filter(by_them).update(actor_email=email, actor_name=name, ip_address=None)
    AuditEntry.objects.filter(about_them).update(subject_email=email, subject_name=name)
