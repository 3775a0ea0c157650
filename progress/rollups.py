"""Per-enrolment figures stored on the enrolment, so that the team pages read columns.

A manager's dashboard shows, for every person × assigned track, the lessons done, the quiz
average, the submissions waiting for review, the due date and who assigned it. Computing those
per row at request time (correlated subqueries over completions, attempts, submissions and
assignments) cost ~0.1 ms per row: 180 ms for a page of the 1,000-person team, 560 ms for its
CSV. So they are stored, and recomputed here, with one UPDATE per call, by the writes that change
them:

- `refresh_progress`: a lesson completed, a quiz attempt, a submission or a review (the progress
  services), and a change to the set of current lessons of a track (the `curriculum_changed`
  signal the course-authoring code sends).
- `refresh_assignments`: an assignment made, changed or cancelled, someone joining or leaving a
  team, an enrolment created (the team services and the admin).

`refresh_all()` rebuilds everything (`manage.py refresh_rollups`, after a bulk load).

The functions take the model classes from an app registry, so that a data migration can run them
against its historical models.
"""

from contextlib import nullcontext

from django.apps import apps as global_apps
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from progress import tallies


def _ids(values):
    """A list of ids, or a queryset of them left as a subquery."""
    return values if isinstance(values, QuerySet) else list(values)


def _enrolments(apps, learner_ids, track_ids):
    enrolments = apps.get_model("progress", "Enrolment").objects.all()
    if learner_ids is not None:
        enrolments = enrolments.filter(learner_id__in=_ids(learner_ids))
    if track_ids is not None:
        enrolments = enrolments.filter(track_id__in=_ids(track_ids))
    return enrolments


def _count(queryset, group: str) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def refresh_progress(*, learner_ids=None, track_ids=None, apps=global_apps) -> int:
    """Recompute lessons done (current lessons only), quiz average and submissions awaiting
    review for the enrolments of these learners and/or tracks (None: all). One UPDATE."""
    learner, track = OuterRef("learner_id"), OuterRef("track_id")
    completions = apps.get_model("progress", "LessonCompletion").objects.filter(
        learner=learner,
        lesson__track=track,
        lesson__archived_at__isnull=True,
        lesson__module__archived_at__isnull=True,
    )
    attempts = apps.get_model("progress", "QuizAttempt").objects.filter(
        learner=learner, quiz__lesson__track=track
    )
    waiting = apps.get_model("progress", "Submission").objects.filter(
        learner=learner, assignment__lesson__track=track, status="awaiting_review"
    )
    return _enrolments(apps, learner_ids, track_ids).update(
        lessons_done=_count(completions, "learner"),
        quiz_average=Subquery(
            attempts.order_by().values("learner").annotate(avg=Avg("score")).values("avg")[:1]
        ),
        pending_reviews=_count(waiting, "learner"),
    )


def active_assignments(apps=global_apps):
    """Active assignments of the outer enrolment's track to its learner directly or to a team
    they learn in; meant as a subquery of an Enrolment queryset."""
    learner_teams = (
        apps.get_model("learners", "Membership")
        .objects.filter(user=OuterRef(OuterRef("learner_id")), role="learner")
        .values("team_id")
    )
    assignments = apps.get_model("learners", "TrackAssignment").objects.filter(
        Q(learner=OuterRef("learner_id")) | Q(team_id__in=learner_teams),
        cancelled_at__isnull=True,
    )
    if connection.vendor == "sqlite":
        # SQLite (which keeps no statistics, ANALYZE or not) would find the candidates through
        # the (track, cancelled_at) index, i.e. every assignment of the track in every
        # organisation. Comparing `track_id + 0` makes it use the learner's and their teams'
        # indexes instead. PostgreSQL plans this well from its statistics.
        return assignments.alias(
            assigned_track=ExpressionWrapper(F("track_id") + Value(0), output_field=IntegerField())
        ).filter(assigned_track=OuterRef("track_id"))
    return assignments.filter(track=OuterRef("track_id"))


def refresh_assignments(*, learner_ids=None, track_ids=None, apps=global_apps) -> int:
    """Recompute which active assignment applies to each enrolment (the earliest made; None when
    none does) and the earliest due date among them. One UPDATE; for a team or everyone, with
    the team tallies' triggers held and the teams recounted once (`_tallies_held_for`)."""
    assignments = active_assignments(apps)
    with _tallies_held_for(learner_ids, track_ids, apps):
        return _enrolments(apps, learner_ids, track_ids).update(
            assignment_id=Subquery(assignments.order_by("created_at", "pk").values("pk")[:1]),
            due_date=Subquery(
                assignments.filter(due_date__isnull=False)
                .order_by("due_date")
                .values("due_date")[:1]
            ),
        )


def _tallies_held_for(learner_ids, track_ids, apps):
    """A refresh for everyone or for a queryset of people (a team's) can change thousands of
    enrolments of one team, which the tallies' per-row triggers count in quadratic time on
    PostgreSQL (tallies.held): hold them and recount the teams of the people refreshed. A list of
    named people keeps the triggers."""
    if learner_ids is None and track_ids is None:
        return tallies.held(None)
    if not isinstance(learner_ids, QuerySet):
        return nullcontext()
    learners = _enrolments(apps, learner_ids, track_ids).values("learner_id")
    teams = apps.get_model("learners", "Membership").objects.filter(
        user_id__in=learners, role="learner"
    )
    return tallies.held(set(teams.values_list("team_id", flat=True)))


def refresh_all(apps=global_apps) -> None:
    """Every enrolment's figures, with the tallies recounted once at the end."""
    with tallies.held(None):
        refresh_progress(apps=apps)
        refresh_assignments(apps=apps)


def curriculum_changed_receiver(sender, *, track_ids, **kwargs) -> None:
    """The set of current lessons of these tracks may have changed (courses.signals): recount
    every learner's lessons done in them, inside the curriculum write's transaction."""
    refresh_progress(track_ids=track_ids)
