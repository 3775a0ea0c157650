"""The audit log for policy owners (their organisations' entries) and staff (every entry), as a
page and as CSV. Here rather than in `audit`: who owns which organisation is governance's, and
`audit` sits below it."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit import selectors as audit_selectors
from audit import services as audit
from audit.forms import EntryFilterForm
from core.csv import Echo, csv_safe
from core.pagination import CappedCountPaginator

from . import policy as policies

ENTRIES_PER_PAGE = 50  # as the roster: a screenful to scan, the rest a filter away
CSV_CHUNK = 1000  # rows read per round trip while the CSV streams


def _visible_entries(request):
    """(filter form, entries the visitor may see as filtered). Policy owners see their
    organisations' entries, staff every entry; anyone else gets 403."""
    owned = list(policies.owned_organisations(request.user).order_by("name"))
    if not owned and not request.user.is_staff:
        raise PermissionDenied("Only policy owners and staff can see the audit log.")
    form = EntryFilterForm(request.GET or None, organisations=owned)
    organisation_ids = None if request.user.is_staff else [o.pk for o in owned]
    rows = audit_selectors.entries(organisation_ids=organisation_ids, chosen=form.chosen())
    return form, owned, rows


@login_required
@require_safe
def audit_log(request):
    form, owned, rows = _visible_entries(request)
    page = CappedCountPaginator(rows, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/entry_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "organisations": owned},
    )


CSV_HEADER = [
    "time", "kind", "actor_email", "actor_name", "subject_email", "subject_name",
    "organisation", "target", "details", "ip_address",
]  # fmt: skip


def _csv_lines(rows):
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_HEADER)
    for entry in rows.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow(
            [
                entry.occurred_at.isoformat(),
                entry.kind,
                csv_safe(entry.actor_email),
                csv_safe(entry.actor_name),
                csv_safe(entry.subject_email),
                csv_safe(entry.subject_name),
                csv_safe(entry.organisation_name),
                csv_safe(entry.target),
                csv_safe(_details(entry.details)),
                entry.ip_address or "",
            ]
        )


def _details(details: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted(details.items()))


@login_required
@require_safe
def audit_export(request):
    """The entries the page shows with the same filters, streamed in constant memory. Taking
    the log away is itself an entry in it."""
    form, owned, rows = _visible_entries(request)
    chosen = form.chosen()
    exported_from = [o for o in owned if o.pk == chosen.organisation_id] or (
        [None] if request.user.is_staff else owned
    )
    for organisation in exported_from:
        audit.record(
            kind=audit.Kind.DATA_EXPORTED,
            actor=request.user,
            organisation=organisation,
            target="Audit log CSV",
        )
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
