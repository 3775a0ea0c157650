"""Reads that serve the learner's pages; each runs a fixed number of queries."""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from core.prepared import PreparedRead, prepared
from courses.models import Lesson, Track
from courses.selectors import Outline, OutlineLesson
from learners.models import User
from learners.selectors import reviewed_learners

from . import recertification
from .models import Certificate, Enrolment, LessonCompletion, QuizAttempt, Submission


def submissions_visible_to(user: User):
    """The learner's own work; the work they review (learners.selectors.review_route);
    everything for staff."""
    if user.is_staff:
        return Submission.objects.all()
    return Submission.objects.filter(Q(learner=user) | reviewed_learners(user, person="learner_id"))


def submissions_reviewable_by(user: User):
    if user.is_staff:
        return Submission.objects.all()
    return Submission.objects.filter(reviewed_learners(user, person="learner_id"))


@dataclass
class ModuleProgress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class TrackProgress:
    done_ids: set[int]
    total: int
    resume: OutlineLesson | None
    modules: dict[int, ModuleProgress] = field(default_factory=dict)
    enrolled: bool = False

    @property
    def done(self) -> int:
        return len(self.done_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def state(self, lesson: OutlineLesson) -> str:
        if lesson.id in self.done_ids:
            return "done"
        if self.resume is not None and lesson.id == self.resume.id:
            return "current"
        return "not-started"

    def rows(self, outline: Outline, skim_module_ids: set[int] = frozenset()) -> list["ModuleRow"]:
        """The outline with each lesson's state, ready for a template."""
        return [
            ModuleRow(
                module=module,
                progress=self.modules.get(module.id, ModuleProgress(0, len(module.lessons))),
                lessons=[(lesson, self.state(lesson)) for lesson in module.lessons],
                skim=module.id in skim_module_ids,
            )
            for module in outline.modules
        ]


@dataclass
class ModuleRow:
    module: object
    progress: ModuleProgress
    lessons: list[tuple[OutlineLesson, str]]
    skim: bool = False


def enrolment_position(learner: User, track_id: int) -> dict | None:
    """Where the learner is in the track: `last_lesson_id` and `last_activity_at`, or None when
    not enrolled. One query."""
    # values_list()[:1] rather than values().first(): no ordering to add, no dict per row; this
    # runs on every lesson page.
    for last_lesson_id, last_activity_at in Enrolment.objects.filter(
        learner_id=learner.pk, track_id=track_id
    ).values_list("last_lesson_id", "last_activity_at")[:1]:
        return {"last_lesson_id": last_lesson_id, "last_activity_at": last_activity_at}
    return None


def track_progress(
    learner: User, track, outline: Outline, *, last_lesson_id: int | None = None
) -> TrackProgress:
    """The learner's progress through the current lessons of `track` (a Track, or anything with
    its `pk`). Two queries, or one when the caller already knows the last lesson visited (the
    lesson page has just recorded it)."""
    lessons = outline.lessons
    if not learner.is_authenticated:
        return build_progress(lessons, outline, set(), None)
    # By the lessons' track rather than `lesson_id__in` the outline's ids: a join compiles
    # faster than a list of 40 parameters. Completions of archived lessons come too;
    # build_progress only counts the outline's.
    done = set(
        LessonCompletion.objects.filter(
            learner_id=learner.pk, lesson__track_id=track.pk
        ).values_list("lesson_id", flat=True)
    )
    if last_lesson_id is not None:
        enrolment = {"last_lesson_id": last_lesson_id}
    else:
        enrolment = (
            Enrolment.objects.filter(learner=learner, track_id=track.pk)
            .values("last_lesson_id")
            .first()
        )
    return build_progress(lessons, outline, done, enrolment)


def build_progress(lessons, outline, done, enrolment) -> TrackProgress:
    last_id = enrolment["last_lesson_id"] if enrolment else None
    resume = next((lesson for lesson in lessons if lesson.id == last_id), None)
    if resume is None or resume.id in done:
        after = lessons.index(resume) if resume else 0
        resume = next((lesson for lesson in lessons[after:] if lesson.id not in done), None)
        resume = resume or next((lesson for lesson in lessons if lesson.id not in done), None)
    progress = TrackProgress(
        done_ids=done & {lesson.id for lesson in lessons},
        total=len(lessons),
        resume=resume,
        enrolled=enrolment is not None,
    )
    for module in outline.modules:
        progress.modules[module.id] = ModuleProgress(
            done=sum(1 for lesson in module.lessons if lesson.id in done),
            total=len(module.lessons),
        )
    return progress


# -- "My learning" -----------------------------------------------------------------------


@dataclass
class DashboardTrack:
    track: Track
    enrolment: Enrolment
    done: int
    total: int
    next_lesson: dict | None
    certificate: Certificate | None = None
    due_date: date | None = None
    assigned_by: str = ""

    @property
    def overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.certificate is None
            and self.due_date < timezone.localdate()
        )

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class Dashboard:
    tracks: list[DashboardTrack]
    attempts: list[QuizAttempt]
    submissions: list[Submission]
    certificates: list[Certificate]
    # Track id: its lesson records (recertification.lesson_records) when the learner holds a
    # certificate for it that expires, for the refreshers.
    refresher_lessons: dict[int, list[dict]] = field(default_factory=dict)

    @property
    def resume(self) -> DashboardTrack | None:
        """The track touched most recently that still has a lesson to do."""
        active = [t for t in self.tracks if t.next_lesson is not None]
        # A track someone worked in comes before one only assigned (enrolled, never opened).
        return max(
            active,
            key=lambda t: (
                t.enrolment.last_activity_at is not None,
                t.enrolment.last_activity_at or t.enrolment.enrolled_at,
            ),
            default=None,
        )


RECENT_ATTEMPTS = 5


def dashboard(learner: User, *, recent_attempts: int = RECENT_ATTEMPTS) -> Dashboard:
    """Everything on /me/ in five queries, however many tracks and attempts there are (the
    latest `recent_attempts` of them). Each query is compiled once per process (core.prepared):
    on this page the ORM's compiling cost more than the database's work."""
    enrolments = _enrolments(learner_id=learner.pk)
    by_track: dict[int, list[dict]] = {}
    refresher_lessons: dict[int, list[dict]] = {}
    for row in _lessons_with_done(learner_id=learner.pk):
        rows = by_track if row["kind"] == _ENROLLED else refresher_lessons
        rows.setdefault(row["track_id"], []).append(row)
    certificates = _certificates(learner_id=learner.pk)
    certificate_by_track = {c.track_id: c for c in certificates}
    tracks = []
    for enrolment in enrolments:
        rows = by_track.get(enrolment.track_id, [])
        remaining = [row for row in rows if not row["done"]]
        last = next((r for r in remaining if r["id"] == enrolment.last_lesson_id), None)
        tracks.append(
            DashboardTrack(
                track=enrolment.track,
                enrolment=enrolment,
                done=len(rows) - len(remaining),
                total=len(rows),
                next_lesson=last or (remaining[0] if remaining else None),
                certificate=certificate_by_track.get(enrolment.track_id),
                **_assigned(enrolment.counting_assignment),
            )
        )
    # Assigned tracks first, soonest due date first; then the rest by recent activity.
    tracks.sort(key=lambda t: (t.due_date is None, t.due_date or date.max))
    attempts = _recent_attempts(recent_attempts)(learner_id=learner.pk)
    submissions = latest_submissions(learner)
    return Dashboard(
        tracks=tracks,
        attempts=attempts,
        submissions=submissions,
        certificates=certificates,
        refresher_lessons=refresher_lessons,
    )


@prepared
def _enrolments(learner_id: int):
    assigned = assignments_for(learner_id).filter(track_id=OuterRef("track_id"))
    return (
        Enrolment.objects.filter(learner_id=learner_id, track__archived_at__isnull=True)
        .select_related("track__role")
        .annotate(  # one subquery, not three
            counting_assignment=Subquery(
                assigned.values(
                    json=JSONObject(
                        due="due_date", name="assigned_by__display_name", email="assigned_by__email"
                    )
                )[:1]
            )
        )
        .order_by("-last_activity_at", "-enrolled_at")
    )


_ENROLLED, _REFRESHER = 0, 1


@prepared
def _lessons_with_done(learner_id: int):
    """The current lessons of the learner's unarchived tracks, each with whether it is done;
    then, in the same query, the lessons of tracks they hold an expiring certificate for, with
    what a refresher asks of them (recertification.lesson_records): /me/ shows the refresher of
    every certificate in its window without a query per certificate."""
    enrolled = Enrolment.objects.filter(learner_id=learner_id, track__archived_at__isnull=True)
    done = Exists(LessonCompletion.objects.filter(learner_id=learner_id, lesson_id=OuterRef("pk")))
    lessons = (
        Lesson.objects.current()
        .filter(track_id__in=enrolled.values("track_id"))
        .annotate(
            kind=Value(_ENROLLED),
            module_position=F("module__position"),
            done=done,
            done_at=Cast(Value(None), output_field=DateTimeField()),
            has_quiz=Cast(Value(None), output_field=BooleanField()),
            passed_at=Cast(Value(None), output_field=DateTimeField()),
        )
    )
    expiring = Certificate.objects.filter(learner_id=learner_id, expires_at__isnull=False)
    refresher = recertification.lesson_records(learner_id, expiring.values("track_id")).annotate(
        kind=Value(_REFRESHER),
        module_position=F("module__position"),
        done=Value(False),
        # done_at, has_quiz and passed_at: lesson_records'
    )
    columns = (*_LESSON_COLUMNS, "kind", "module_position", "done")
    return (
        lessons.order_by()
        .values(*columns, *recertification.EXTRA_RECORD_FIELDS)
        .union(
            refresher.order_by().values(*columns, *recertification.EXTRA_RECORD_FIELDS),
            all=True,
        )
        .order_by("kind", "track_id", "module_position", "position")
    )


_LESSON_COLUMNS = ("id", "slug", "title", "track_id", "position", "changed_at")


@prepared
def _certificates(learner_id: int):
    return (
        Certificate.objects.filter(learner_id=learner_id)
        .select_related("track")
        .order_by("-issued_at")
    )


@functools.cache
def _recent_attempts(limit: int) -> PreparedRead:
    return prepared(
        lambda learner_id: QuizAttempt.objects.filter(learner_id=learner_id)
        .select_related("quiz__lesson__track")
        .only(
            "score", "passed", "submitted_at", "quiz__pass_mark", "quiz__lesson__title",
            "quiz__lesson__slug", "quiz__lesson__track__slug", "quiz__lesson__track__title",
        )[:limit]
    )  # fmt: skip


def _assigned(assignment: dict | None) -> dict:
    """The due date and assigner's name of the assignment that counts (see assignments_for)."""
    if assignment is None:
        return {}
    due = assignment["due"]
    return {
        "due_date": date.fromisoformat(due) if isinstance(due, str) else due,
        "assigned_by": assignment["name"] or (assignment["email"] or "").split("@")[0],
    }


def assignments_for(learner: User | int):
    """The active assignments of tracks to the learner or to their teams, the one that counts
    first: when a track is assigned twice, the earliest due date wins (no date comes last)."""
    from learners.models import Membership, TrackAssignment

    teams = Membership.objects.filter(user=learner, role=Membership.Role.LEARNER).values("team_id")
    return (
        TrackAssignment.objects.active()
        .filter(Q(learner=learner) | Q(team_id__in=teams))
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def latest_submissions(learner: User) -> list[Submission]:
    """The newest version of each of the learner's assignments. One query."""
    return _latest_submissions(learner_id=learner.pk)


@prepared
def _latest_submissions(learner_id: int):
    newer = Submission.objects.filter(
        learner_id=learner_id,
        assignment_id=OuterRef("assignment_id"),
        version__gt=OuterRef("version"),
    )
    return (
        Submission.objects.filter(learner_id=learner_id)
        .exclude(Exists(newer))
        .select_related("assignment__lesson__track", "review")
        .order_by("-submitted_at")
    )


# -- what a certificate certifies ---------------------------------------------------------


@dataclass(frozen=True)
class QuizEvidence:
    lesson: str
    score: int  # the best passing score
    passed_at: datetime


@dataclass(frozen=True)
class AssignmentEvidence:
    title: str
    points: int
    out_of: int
    approved_at: datetime
    reviewed_against_rubric: bool


@dataclass
class CertificateEvidence:
    quizzes: list[QuizEvidence] = field(default_factory=list)
    assignments: list[AssignmentEvidence] = field(default_factory=list)


def certificate_evidence(certificate: Certificate) -> CertificateEvidence:
    """The quizzes passed (best score, first pass) and the assignments approved against their
    rubric (points, when) behind a certificate, for its public page. Two queries."""
    passes = (
        QuizAttempt.objects.filter(
            learner_id=certificate.learner_id,
            quiz__lesson__track_id=certificate.track_id,
            quiz__archived_at__isnull=True,
            quiz__lesson__archived_at__isnull=True,
            passed=True,
        )
        .values("quiz_id", "quiz__lesson__title", "quiz__lesson__module__position")
        .annotate(
            best=Max("score"), first=Min("submitted_at"), position=Min("quiz__lesson__position")
        )
        .order_by("quiz__lesson__module__position", "position")
    )
    approved = (
        Submission.objects.filter(
            learner_id=certificate.learner_id,
            assignment__lesson__track_id=certificate.track_id,
            assignment__archived_at__isnull=True,
            status=Submission.Status.APPROVED,
        )
        .select_related("assignment__lesson__module", "review")
        .order_by("assignment__lesson__module__position", "assignment__lesson__position")
    )
    return CertificateEvidence(
        quizzes=[
            QuizEvidence(row["quiz__lesson__title"], row["best"], row["first"]) for row in passes
        ],
        assignments=[
            AssignmentEvidence(
                title=submission.assignment.title,
                points=submission.review.total,
                out_of=submission.review.total_possible,
                approved_at=submission.review.reviewed_at,
                reviewed_against_rubric=bool(submission.review.scores),
            )
            for submission in approved
            if hasattr(submission, "review")
        ],
    )
