"""The dashboard's table rows, built as HTML in Python.

A page shows 50 rows of nine cells; through the template language each row cost ~0.3 ms (about
25 variable lookups, filters, two URL reversals and a CSRF tag each), more than the queries
behind the whole page. Here each row is one f-string from plain values, every text from the
database escaped with `escape` as the template would, and what all rows share (URLs, the CSRF
token, the page's own address) escaped once. tests/security checks the escaping with its XSS
payloads in names and titles.
"""

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

STATUS_LABELS = {
    "completed": "Completed",
    "overdue": "Overdue",
    "in_progress": "In progress",
    "not_started": "Not started",
}
MUTED_DASH = '<span class="muted">—</span>'
NEVER = '<span class="muted">never</span>'
NO_REVIEWS = '<span class="muted">0</span>'


# (seconds in the unit, the unit, below how many seconds it is used)
_AGO_UNITS = [
    (60, "minute", 3_600),
    (3_600, "hour", 86_400),
    (86_400, "day", 14 * 86_400),
    (7 * 86_400, "week", 60 * 86_400),
    (30 * 86_400, "month", 365 * 86_400),
    (365 * 86_400, "year", None),
]


def short_ago(then, now) -> str:
    """ "5 minutes ago", "3 days ago", "2 weeks ago": one unit, rounded down, which is what a
    table column needs (and a tenth of the cost of Django's two-unit, calendar-exact timesince,
    on 50 rows a page)."""
    if (now - then).total_seconds() < 60:
        return "just now"
    return f"{short_span(then, now)} ago"


def short_span(then, now) -> str:
    """How long from `then` to `now` in one unit, rounded down: "5 minutes", "3 days"."""
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "under a minute"
    for size, unit, below in _AGO_UNITS:
        if below is None or seconds < below:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")  # the last unit has no upper bound


@dataclass(frozen=True)
class TableContext:
    """What every row shares, computed (and escaped) once per page."""

    csrf_token: str
    next_url: str
    now: object  # an aware datetime, for "last active … ago"
    nudge_url: str = ""
    reviews_url: str = ""
    people_url: str = ""  # a person's page is this followed by their id and "/"

    @classmethod
    def for_request(cls, request, *, now) -> "TableContext":
        from django.middleware.csrf import get_token

        return cls(
            csrf_token=escape(get_token(request)),
            next_url=escape(request.get_full_path()),
            now=now,
            nudge_url=escape(reverse("teams:team_nudge")),
            reviews_url=escape(reverse("teams:team_reviews")),
            people_url=escape(reverse("teams:person", args=[0]).removesuffix("0/")),
        )


def rows_html(rows: list[dict], table: TableContext) -> SafeString:
    """The `<tr>`s of a page of dashboard rows, as one string (one template variable, not a
    loop of 50)."""
    # Every row escapes what it interpolates (row_html).
    return mark_safe("".join(row_html(row, table) for row in rows))  # noqa: S308  # nosec B308 B703


def row_html(row: dict, table: TableContext) -> str:
    """One `<tr>` for a dashboard row (dashboard_sql.DashboardQuery.rows). Every text from the
    database goes through `escape`: the standard library's, which Django's own wraps (the
    wrapper's lazy-string checks cost more than the escaping on 500 values a page)."""
    name = escape(row["learner__display_name"] or row["learner__email"].split("@", 1)[0])
    track = escape(row["track__title"])
    total = row["lessons_total"]
    percent = round(100 * row["lessons_done"] / total) if total else 0
    due = row["due_date"]
    due_cell = (
        f'<time datetime="{due.isoformat()}">{due.day} {due:%b %Y}</time>' if due else MUTED_DASH
    )
    active = row["last_activity_at"]
    active_cell = short_ago(active, table.now) if active else NEVER
    quiz = row["quiz_average"]
    # Rounded half up, as the template's floatformat:0 did (at a tenth of its cost).
    quiz_cell = f"{int(quiz + 0.5)}%" if quiz is not None else MUTED_DASH
    waiting = row["pending_reviews"]
    reviews_cell = f'<a href="{table.reviews_url}">{waiting} waiting</a>' if waiting else NO_REVIEWS
    status = row["status"]
    nudge = ""
    if status != "completed":
        nudge = (
            f'<form method="post" action="{table.nudge_url}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{table.csrf_token}">'
            f'<input type="hidden" name="learner" value="{row["learner_id"]}">'
            f'<input type="hidden" name="track" value="{row["track_id"]}">'
            f'<input type="hidden" name="next" value="{table.next_url}">'
            '<button type="submit" class="button button--small button--secondary">'
            f'Nudge<span class="sr-only"> {name} about {track}</span></button></form>'
        )
    # Every interpolated value is escaped above, or a number, a date or one of our constants.
    return (
        f'<tr><td><a href="{table.people_url}{row["learner_id"]}/"><strong>{name}</strong></a>'
        f'<br><span class="muted">{escape(row["team_name"])}'
        f"</span></td><td>{track}</td>"
        f'<td>{percent}%<br><progress class="progress" value="{percent}" max="100"'
        f' aria-label="{name}: {track}">{percent}%</progress></td>'
        f'<td><span class="tag tag--status-{status}">{STATUS_LABELS[status]}</span></td>'
        f"<td>{due_cell}</td><td>{active_cell}</td><td>{quiz_cell}</td>"
        f"<td>{reviews_cell}</td><td>{nudge}</td></tr>"
    )


def inbox_rows_html(submissions, now) -> SafeString:
    """The review inbox's `<tr>`s for a page of waiting submissions (dashboards.waiting_for_review):
    built here for the dashboard's reason (through the template language, with Django's
    timesince and a URL reversal per row, 50 rows cost 4.8 ms, more than the rest of the page)."""
    first = reverse("progress:submission", args=[0])
    before, after = escape(first.removesuffix("0/")), "/"
    rows = []
    for submission in submissions:
        name = escape(submission.learner.name)
        assignment = submission.assignment
        title = escape(assignment.title)
        # Kept on one line in a narrow column, as Django's timesince does.
        waited = short_span(submission.submitted_at, now).replace(" ", "\xa0")
        rows.append(
            f"<tr><td>{name}</td>"
            f'<td>{title}<br><span class="muted">{escape(assignment.lesson.track.title)}</span></td>'
            f"<td>{submission.version}</td><td>{waited}</td>"
            f'<td><a class="button button--small" href="{before}{submission.pk}{after}">Review'
            f'<span class="sr-only"> {name}\'s {title}</span></a></td></tr>'
        )
    # Every text from the database (names, titles) is escaped above.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703


def clearance_html(clearance: list, roster_url: str) -> SafeString:
    """The dashboard's clearance section: a list per organisation of how many hold, lost or lack
    each level, each count opening the roster at its level. Built here for the same reason as
    the rows: staff see every organisation's levels, and through the template language their
    ~40 counts cost more than the query that counted them."""
    roster = escape(roster_url)
    lists = []
    for organisation, counts in clearance:
        slug = escape(quote(organisation.slug, safe="/"))
        items = []
        for count in counts:
            lost = f" · {count.lost} lost" if count.lost else ""
            missing = f" · {count.not_cleared} not yet" if count.not_cleared else ""
            items.append(
                f'<li class="{"stats--alert" if count.lost else ""}">'
                f'<a href="{roster}?organisation={slug}&amp;level={count.level.pk}">'
                f'<span class="stats__value">{count.cleared}</span> {escape(count.level.name)}</a>'
                f"{lost}{missing}</li>"
            )
        lists.append(f'<ul class="stats">{"".join(items)}</ul>')
    # Every text from the database (slugs, level names) is escaped above.
    return mark_safe("\n".join(lists))  # noqa: S308  # nosec B308 B703
