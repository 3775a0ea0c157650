"""The roster's table rows, built as HTML in Python, as the team dashboard's are (teams/table.py).

A page shows 50 people with a cell per clearance level; through the template language each cell
cost several property lookups, a branch and date filters, and the page's rows took about a
quarter of its time. Here each cell is one f-string from plain values, every text from the
database (names, team, level, track and assignment titles) escaped with `escape` as the
template would. tests/security checks the escaping with its XSS payloads.
"""

from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from . import clearance

LAPSE_WORDS = {
    clearance.POLICY_CHANGED: "policy changed",
    clearance.CERTIFICATE_EXPIRED: "certificate expired",
    clearance.CERTIFICATE_REVOKED: "certificate revoked",
}


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(moment) -> str:
    """As the template's `|date:"j M Y"` in English: the day in the current time zone
    (dateformat's general formatter cost a tenth of the rows' time)."""
    local = timezone.localtime(moment)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def cell_html(status: clearance.LevelStatus) -> str:
    if status.status == clearance.CLEARED:
        until = f", until {_day(status.valid_until)}" if status.valid_until else ""
        return (
            '<span class="tag tag--ok">Cleared</span><br>'
            f'<span class="muted">since {_day(status.since)}{until}</span>'
        )
    if status.status == clearance.LOST:
        reasons = ", ".join(LAPSE_WORDS[reason] for reason in status.lapse_reasons)
        return (
            '<span class="tag tag--status-overdue">Lost</span><br>'
            f'<span class="muted">since {_day(status.lost_since)}: {reasons}</span>'
        )
    return (
        '<span class="tag">Not cleared</span><br>'
        f'<span class="muted">Missing: {escape(status.explanation)}</span>'
    )


def rows_html(rows) -> SafeString:
    """The `<tr>`s of a page of roster rows (governance.views.RosterRow), as one string."""
    html = [
        f"<tr><td><strong>{escape(row.person.name)}</strong><br>"
        f'<span class="muted">{escape(row.person.team_name or "")}</span></td>'
        + "".join(f"<td>{cell_html(status)}</td>" for status in row.levels)
        + "</tr>"
        for row in rows
    ]
    return mark_safe("\n".join(html))  # noqa: S308  # nosec B308 B703: every text escaped above
