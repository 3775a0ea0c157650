"""The manager's team dashboard: one row per person × assigned track.

Each row is an enrolment whose figures (lessons done, quiz average, reviews waiting, the
assignment that applies and its due date) are stored on it by progress.rollups, so filtering,
sorting, counting and paging are plain column reads in the database: a page of 50 rows costs the
same queries and about the same time for a team of 5 or of 1,000.

The rules are stated here with the ORM; the manager digest reads through them. The dashboard
page and its CSV run the same reads as SQL (teams.dashboard_sql), and a test holds the two
to the same rows, order and counts.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from core.pagination import COUNTED_UP_TO, PreparedRows, count_up_to
from core.prepared import prepared
from courses import page_cache
from courses.models import Lesson, Track
from learners.models import User
from learners.selectors import (
    learner_ids_in,
    managed_team_ids,
    managed_teams,
    reviewed_learners,
    team_learners,
)
from progress import extensions
from progress.models import Certificate, Enrolment, Submission

STATUSES = [
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("completed", "Completed"),
    ("overdue", "Overdue"),
]
SORTS = {
    "name": ("learner__display_name", "learner__email"),
    "-name": ("-learner__display_name", "-learner__email"),
    "progress": ("lessons_done", "learner__email"),
    "-progress": ("-lessons_done", "learner__email"),
    "due": (F("due_date").asc(nulls_last=True), "learner__email"),
    "-due": (F("due_date").desc(nulls_last=True), "learner__email"),
    "active": (F("last_activity_at").asc(nulls_first=True), "learner__email"),
    "-active": (F("last_activity_at").desc(nulls_last=True), "learner__email"),
    "track": ("track__title", "learner__email"),
}


@dataclass
class Filters:
    team_id: int | None = None  # one of the manager's teams (the form only offers those)
    track_id: int | None = None
    status: str = ""
    sort: str = "name"


def _scoped_learner_ids(manager: User, filters: Filters) -> QuerySet:
    """The ids of the people learning in the manager's (chosen) teams, as a subquery."""
    return learner_ids_in(managed_team_ids(manager, only=filters.team_id))


# The status rules, as conditions the database evaluates on each row's stored columns.
COMPLETED = Q(completed_at__isnull=False)
STARTED = Q(last_activity_at__isnull=False) | Q(lessons_done__gt=0)


def _overdue(today: date) -> Q:
    return Q(completed_at__isnull=True, due_date__lt=today)


def _in_progress(today: date) -> Q:
    return (
        Q(completed_at__isnull=True) & (Q(due_date__isnull=True) | Q(due_date__gte=today)) & STARTED
    )


def assigned_rows(manager: User, filters: Filters | None = None) -> QuerySet[Enrolment]:
    """Enrolments of people learning in the manager's (chosen) teams, in a track that an active
    assignment applies to, filtered by track when asked (not by status)."""
    filters = filters or Filters()
    rows = Enrolment.objects.filter(
        learner_id__in=_scoped_learner_ids(manager, filters),
        assignment__isnull=False,
        track__archived_at__isnull=True,
    )
    if filters.track_id:
        rows = rows.filter(track_id=filters.track_id)
    return rows


def dashboard_rows(manager: User, filters: Filters | None = None) -> QuerySet[Enrolment]:
    """The rows the dashboard and its CSV show, filtered and sorted in SQL.

    Status: completed; else overdue once the earliest due date has passed; else in progress once
    they opened or completed a lesson; else not started.
    """
    filters = filters or Filters()
    today = timezone.localdate()
    rows = (
        assigned_rows(manager, filters)
        .annotate(
            status=Case(
                When(COMPLETED, then=Value("completed")),
                When(_overdue(today), then=Value("overdue")),
                When(STARTED, then=Value("in_progress")),
                default=Value("not_started"),
                output_field=CharField(),
            ),
            assigned_by_name=F("assignment__assigned_by__display_name"),
        )
        .select_related("learner", "track")
    )
    if filters.status in dict(STATUSES):
        rows = rows.filter(status=filters.status)
    return rows.order_by(*SORTS.get(filters.sort, SORTS["name"]), "pk")


@dataclass(frozen=True)
class CurriculumFacts:
    """What the team pages need to know of the curriculum, for every track."""

    titles: Mapping[int, str]
    archived: frozenset[int]  # tracks whose rows the team pages leave out
    published: tuple[tuple[int, str], ...]  # (id, title) in catalogue order: the track filter
    lesson_counts: Mapping[int, int]  # current lessons per track


def curriculum_facts() -> CurriculumFacts:
    """Read in two queries once per curriculum version and kept in the curriculum page cache
    (so no query on most pages; every curriculum write starts a new version)."""

    def read() -> CurriculumFacts:
        tracks = Track.objects.order_by("role__position", "position", "title").values_list(
            "pk", "title", "is_published", "archived_at"
        )
        lessons = Lesson.objects.current().order_by().values("track_id").annotate(n=Count("pk"))
        tracks = list(tracks)
        return CurriculumFacts(
            titles=MappingProxyType({pk: title for pk, title, _, _ in tracks}),
            archived=frozenset(pk for pk, _, _, archived in tracks if archived is not None),
            published=tuple(
                (pk, title)
                for pk, title, published, archived in tracks
                if published and archived is None
            ),
            lesson_counts=MappingProxyType(dict(lessons.values_list("track_id", "n"))),
        )

    return page_cache.get(("team-curriculum-facts",), read)


def summary(rows: QuerySet[Enrolment]) -> dict:
    """Counts for the top of the dashboard over `rows` (assigned_rows, or dashboard_rows without a
    status filter), in one query."""
    today = timezone.localdate()
    counts = rows.order_by().aggregate(
        assignments=Count("pk"),
        people=Count("learner_id", distinct=True),
        completed=Count("pk", filter=COMPLETED),
        in_progress=Count("pk", filter=_in_progress(today)),
        overdue=Count("pk", filter=_overdue(today)),
        awaiting_review=Sum("pending_reviews"),
    )
    counts["not_started"] = (
        counts["assignments"] - counts["completed"] - counts["in_progress"] - counts["overdue"]
    )
    counts["awaiting_review"] = counts["awaiting_review"] or 0
    return counts


REVIEWS_COUNTED_UP_TO = 100  # a badge says "99+" beyond: counting thousands costs, telling doesn't
REVIEWS_WAITING_SECONDS = 60  # the menu's count may lag by this much (the inbox refreshes it)


def reviews_waiting(user: User) -> int:
    """How much waits for the person's review (assignments of their teams' people, for staff
    everyone's; what other apps route to them, such as practice posts), counted up to
    REVIEWS_COUNTED_UP_TO of each kind. One query, however many are waiting."""
    kinds = [
        awaiting_review(user),
        *(source.waiting(user) for source in extensions.review_sources()),
    ]
    parts, params = [], []
    for kind in kinds:
        sql, kind_params = (
            kind.order_by().values("pk")[:REVIEWS_COUNTED_UP_TO].query.sql_with_params()
        )
        # The ORM's own SQL and parameters, wrapped: nothing from the request is in the text.
        parts.append(f"SELECT COUNT(*) FROM ({sql}) AS waiting")  # noqa: S608  # nosec B608
        params += kind_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return sum(count for (count,) in cursor.fetchall())


def _reviews_waiting_key(user: User) -> str:
    return f"teams:reviews-waiting:{user.pk}"


def reviews_waiting_for_menu(user: User) -> int:
    """`reviews_waiting`, kept for a minute: the team menu shows it on every team page."""
    return cache.get_or_set(
        _reviews_waiting_key(user), lambda: reviews_waiting(user), REVIEWS_WAITING_SECONDS
    )


def remember_reviews_waiting(user: User, count: int) -> None:
    """The inbox counted exactly: the menu shows that from now on."""
    cache.set(_reviews_waiting_key(user), count, REVIEWS_WAITING_SECONDS)


def awaiting_review(manager: User) -> QuerySet[Submission]:
    """Submissions waiting for review, oldest first: from the manager's teams, or, for staff,
    from everyone (people who signed up on their own have no manager: staff review them)."""
    return _awaiting_review(None if manager.is_staff else manager.pk)


# What a list of them shows (the inbox, the digest): the lesson's and the track's texts and
# the submission's own would be read 50 times over for nothing.
_INBOX_COLUMNS = (
    "learner_id", "assignment_id", "version", "status", "submitted_at",
    "learner__display_name", "learner__email",
    "assignment__title", "assignment__lesson_id",
    "assignment__lesson__track_id", "assignment__lesson__track__title",
)  # fmt: skip


def _awaiting_review(reviewer_id: int | None) -> QuerySet[Submission]:
    """`awaiting_review` for the reviewer with this id, or for staff (None)."""
    waiting = Submission.objects.filter(status=Submission.Status.AWAITING_REVIEW)
    if reviewer_id is not None:
        waiting = waiting.filter(reviewed_learners(User(pk=reviewer_id), person="learner_id"))
    return (
        waiting.select_related("learner", "assignment__lesson__track")
        .only(*_INBOX_COLUMNS)
        .order_by("submitted_at", "pk")
    )


# The inbox reads them on every visit: compiled once (core.prepared), which took the page's
# list from 7 ms of worker CPU to ~2.
_waiting_for_reviewer = prepared(lambda reviewer_id: _awaiting_review(reviewer_id))
_waiting_for_staff = prepared(lambda: _awaiting_review(None))
_waiting_ids_for_reviewer = prepared(
    lambda reviewer_id: _awaiting_review(reviewer_id).order_by().values("pk")
)
_waiting_ids_for_staff = prepared(lambda: _awaiting_review(None).order_by().values("pk"))


def waiting_for_review(manager: User) -> PreparedRows:
    """`awaiting_review(manager)` as the inbox's paginator reads it, through the compiled reads."""
    if manager.is_staff:
        return PreparedRows(_waiting_for_staff, _waiting_ids_for_staff)
    return PreparedRows(_waiting_for_reviewer, _waiting_ids_for_reviewer, reviewer_id=manager.pk)


@dataclass(frozen=True)
class ReviewSection:
    """What an app above routes to a reviewer (progress.extensions.ReviewSource), as the inbox
    shows it: the items waiting longest, and how many wait in all."""

    template: str
    items: list
    count: int  # counted up to core.pagination.COUNTED_UP_TO
    more: bool  # more than that wait


def review_sections(user: User, *, shown: int) -> list[ReviewSection]:
    """The inbox's other sections, each with its `shown` oldest items. One query a section,
    and a count only when more than `shown` wait."""
    sections = []
    for source in extensions.review_sources():
        waiting = source.items(user)
        rows = waiting[0 : shown + 1]
        found = len(rows) if len(rows) <= shown else count_up_to(waiting, COUNTED_UP_TO + 1)
        sections.append(
            ReviewSection(
                template=source.template,
                items=rows[:shown],
                count=min(found, COUNTED_UP_TO),
                more=found > COUNTED_UP_TO,
            )
        )
    return sections


@dataclass
class ChartSeries:
    track_title: str
    points: list[tuple[date, int]]  # (month, completions that month)


def completions_by_month(manager: User, *, months: list[date]) -> list[ChartSeries]:
    """Certificates earned per track in each of `months` (first days, in order, in the current
    time zone) by the manager's people. One query, grouped by track, with a count per month
    bounded by plain comparisons (no date function per row)."""

    starts = [timezone.make_aware(datetime.combine(m, time.min)) for m in months]
    following = months[-1].replace(day=28) + timedelta(days=4)  # some day of the next month
    ends = [*starts[1:], timezone.make_aware(datetime.combine(following.replace(day=1), time.min))]
    counts = {
        f"m{i}": Count("pk", filter=Q(issued_at__gte=start, issued_at__lt=end))
        for i, (start, end) in enumerate(zip(starts, ends, strict=True))
    }
    rows = (
        Certificate.objects.filter(
            learner__in=team_learners(managed_teams(manager)),
            issued_at__gte=starts[0],
            issued_at__lt=ends[-1],
        )
        .values("track__title")
        .annotate(**counts)
        .order_by("track__title")
    )
    return [
        ChartSeries(
            row["track__title"],
            [(month, row[f"m{i}"]) for i, month in enumerate(months) if row[f"m{i}"]],
        )
        for row in rows
    ]
