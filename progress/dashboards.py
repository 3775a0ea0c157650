"""The manager's team dashboard: one row per person × assigned track, computed in SQL.

Everything a row shows (progress, status, due date, last active, quiz average, pending reviews)
is an annotation on the enrolment, so filtering, sorting, counting and paging happen in the
database: a page of 50 rows costs the same queries for a team of 5 or of 1,000.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from courses.models import Lesson
from learners.models import Membership, Team, TrackAssignment, User

from .models import Enrolment, LessonCompletion, QuizAttempt, Submission
from .team import managed_teams, team_learners

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
    team: Team | None = None
    track_id: int | None = None
    status: str = ""
    sort: str = "name"


def _active_assignments() -> QuerySet[TrackAssignment]:
    """Active assignments of the enrolment's track to its learner directly or to a team they
    learn in; meant as a subquery of an Enrolment queryset."""
    learner_teams = Membership.objects.filter(
        user=OuterRef(OuterRef("learner_id")), role=Membership.Role.LEARNER
    ).values("team_id")
    assignments = TrackAssignment.objects.filter(
        Q(learner=OuterRef("learner_id")) | Q(team_id__in=learner_teams),
        cancelled_at__isnull=True,
    )
    if connection.vendor == "sqlite":
        # SQLite (which keeps no statistics, ANALYZE or not) would find the candidates through
        # the (track, cancelled_at) index, i.e. every assignment of the track in every
        # organisation, so each row's lookup grew with the number of teams in the database.
        # Comparing `track_id + 0` makes it use the learner's and their teams' indexes
        # instead: the 5,000-row export of bench/ went from 840 to 320 ms with 200 teams.
        # PostgreSQL plans this well from its statistics and is slower with the detour.
        return assignments.alias(
            assigned_track=ExpressionWrapper(F("track_id") + 0, output_field=IntegerField())
        ).filter(assigned_track=OuterRef("track_id"))
    return assignments.filter(track=OuterRef("track_id"))


def dashboard_rows(manager: User, filters: Filters | None = None) -> QuerySet[Enrolment]:
    """The annotated rows the dashboard and its CSV show, filtered and sorted in SQL."""
    filters = filters or Filters()
    teams = managed_teams(manager)
    if filters.team is not None:
        teams = teams.filter(pk=filters.team.pk)
    learner, track = OuterRef("learner_id"), OuterRef("track_id")
    assignments = _active_assignments()
    current_lessons = Lesson.objects.current().filter(track=track)
    today = timezone.localdate()
    rows = (
        Enrolment.objects.filter(learner__in=team_learners(teams), track__archived_at__isnull=True)
        .filter(Exists(assignments))
        .annotate(
            due_date=Subquery(
                assignments.filter(due_date__isnull=False)
                .order_by("due_date")
                .values("due_date")[:1]
            ),
            assigned_by_name=Subquery(
                assignments.order_by("created_at").values("assigned_by__display_name")[:1]
            ),
            team_name=Subquery(
                Membership.objects.filter(
                    user=learner, role=Membership.Role.LEARNER, team__in=teams
                )
                .order_by("team__name")
                .values("team__name")[:1]
            ),
            lessons_total=Coalesce(
                Subquery(
                    current_lessons.order_by()
                    .values("track")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            lessons_done=Coalesce(
                Subquery(
                    LessonCompletion.objects.filter(
                        learner=learner,
                        lesson__track=track,
                        lesson__archived_at__isnull=True,
                        lesson__module__archived_at__isnull=True,
                    )
                    .order_by()
                    .values("learner")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            quiz_average=Subquery(
                QuizAttempt.objects.filter(learner=learner, quiz__lesson__track=track)
                .order_by()
                .values("learner")
                .annotate(avg=Avg("score"))
                .values("avg")[:1]
            ),
            pending_reviews=Coalesce(
                Subquery(
                    Submission.objects.filter(
                        learner=learner,
                        assignment__lesson__track=track,
                        status=Submission.Status.AWAITING_REVIEW,
                    )
                    .order_by()
                    .values("learner")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
        .annotate(
            # The same rules as due_date and lessons_done, in a form the database answers
            # cheaply for every row (the summary counts statuses over the whole team): "overdue"
            # asks whether any matching due date has passed, and the in-progress test looks at
            # the enrolment's own column before counting completions.
            status=Case(
                When(completed_at__isnull=False, then=Value("completed")),
                When(Exists(assignments.filter(due_date__lt=today)), then=Value("overdue")),
                When(
                    Q(last_activity_at__isnull=False) | Q(lessons_done__gt=0),
                    then=Value("in_progress"),
                ),
                default=Value("not_started"),
                output_field=CharField(),
            )
        )
        .select_related("learner", "track")
    )
    if filters.track_id:
        rows = rows.filter(track_id=filters.track_id)
    if filters.status in dict(STATUSES):
        rows = rows.filter(status=filters.status)
    return rows.order_by(*SORTS.get(filters.sort, SORTS["name"]), "pk")


def summary(rows: QuerySet[Enrolment]) -> dict:
    """Counts for the top of the dashboard, in one query over the same rows."""
    counts = rows.order_by().aggregate(
        assignments=Count("pk"),
        people=Count("learner_id", distinct=True),
        completed=Count("pk", filter=Q(status="completed")),
        in_progress=Count("pk", filter=Q(status="in_progress")),
        not_started=Count("pk", filter=Q(status="not_started")),
        overdue=Count("pk", filter=Q(status="overdue")),
        awaiting_review=Sum("pending_reviews"),
    )
    counts["awaiting_review"] = counts["awaiting_review"] or 0
    return counts


def awaiting_review(manager: User) -> QuerySet[Submission]:
    """Submissions from the manager's teams waiting for review, oldest first."""
    return (
        Submission.objects.filter(
            status=Submission.Status.AWAITING_REVIEW,
            learner__in=team_learners(managed_teams(manager)),
        )
        .select_related("learner", "assignment__lesson__track")
        .order_by("submitted_at", "pk")
    )


@dataclass
class ChartSeries:
    track_title: str
    points: list[tuple[date, int]]  # (month, completions that month)


def completions_by_month(manager: User) -> list[ChartSeries]:
    """Certificates earned per track and month by the manager's people. One query."""
    from .models import Certificate

    rows = (
        Certificate.objects.filter(learner__in=team_learners(managed_teams(manager)))
        .annotate(month=TruncMonth("issued_at"))
        .values("track__title", "month")
        .annotate(n=Count("pk"))
        .order_by("track__title", "month")
    )
    series: dict[str, ChartSeries] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        series.setdefault(row["track__title"], ChartSeries(row["track__title"], [])).points.append(
            (month, row["n"])
        )
    return list(series.values())
