"""Bulk seeding: the real curriculum, generated tracks, and a population of learners.

Runs inside a Django process (bench.probe) against a throw-away database. Everything goes in
with bulk_create in chunks, so 10,000 learners with their records take seconds and memory stays
flat. Dates are spread over the last months (auto_now_add is switched off while seeding), so the
dashboards see realistic "last active", due dates and monthly certificates.
"""

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from audit.models import AuditEntry
from courses.markdown import render_markdown
from courses.models import (
    Choice,
    Lesson,
    Module,
    PracticeAssignment,
    Question,
    Quiz,
    Role,
    RubricCriterion,
    Track,
)
from governance import holdings
from governance.models import (
    BannedTerm,
    ClearanceLevel,
    Policy,
    PolicyAcknowledgement,
    PolicyOwner,
    PolicyVersion,
    policy_text_hash,
)
from learners.models import Membership, Organisation, Preferences, Team, TrackAssignment, User
from ledger.models import Message, Notice
from practice.models import (
    Evidence,
    GrowthProfile,
    GrowthSnapshot,
    Portfolio,
    PostReview,
    PracticePost,
)
from progress import item_analysis, rollups
from progress.models import (
    Certificate,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    Review,
    Submission,
)

from .config import Scale

CHUNK = 5_000
LESSONS_PER_MODULE = 8
BODY_BYTES = 3_000  # the ordinary lesson: ~3 KB of HTML
LONG_BODY_BYTES = 18_000  # the long one: ~18 KB
# Where the measured lessons sit in every generated track (both carry a quiz, so the two pages
# differ only in body length).
LESSON_SLUG = "lesson-2-2"
LONG_LESSON_SLUG = "lesson-2-4"

BENCH_LEARNER = "learner@bench.example"
BENCH_QUIZ_TAKER = "quiz-taker@bench.example"
BENCH_MANAGER = "manager@bench.example"
BENCH_AUTHOR = "author@bench.example"  # staff: the admin's quiz statistics are measured as them
# A team of three in the big team's organisation, for the dashboard's cost at the smallest size.
SMALL_TEAM_SIZE = 3
# The quiz the item-analysis page is measured on carries this many extra attempts, with
# snapshots shaped like real ones (question and choice ids), whatever the scale.
ITEM_ANALYSIS_ATTEMPTS = 10_000

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Carla",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Morgan",
    "Novak",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Singh",
    "Tanaka",
    "Urban",
    "Vega",
    "Walsh",
    "Young",
    "Zimmer",
]
TIMEZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Singapore", "UTC"]

SENTENCES = [
    "A post travels when the first people who see it react within the first hour.",
    "Write for the person scrolling past, not for the client's org chart.",
    "Every network rewards a different mix of saves, shares, replies and watch time.",
    "Check the brand guide's vocabulary list before you reach for an adjective.",
    "An approval that only exists in a hallway conversation is not an approval.",
    "Reply to the complaint in public once, then move the details to a private channel.",
    "Engagement rate is engagements divided by reach, not by followers, unless you say so.",
    "Alt text describes what matters in the image for someone who cannot see it.",
    "Schedule posts for when your audience is awake, not when you finish writing them.",
    "Escalate anything that mentions legal action, safety or the press within minutes.",
    "A monthly report leads with what changed and what you will do about it.",
    "Keep a log of voice decisions so nobody has to ask the same question twice.",
]


def _markdown_body(rng: random.Random, target_html_bytes: int) -> tuple[str, str]:
    """Markdown with headings, paragraphs and lists whose rendered HTML is about the target."""
    parts: list[str] = []
    source = html = ""
    while len(html.encode()) < target_html_bytes:
        kind = len(parts) % 4
        if kind == 0:
            parts.append(f"## {rng.choice(SENTENCES)[:48].rstrip(' ,.')}")
        elif kind == 2:
            parts.append("\n".join(f"- **Step {n}:** {rng.choice(SENTENCES)}" for n in (1, 2)))
        else:
            parts.append(" ".join(rng.sample(SENTENCES, 2)))
        source = "\n\n".join(parts)
        html = render_markdown(source)
    return source, html


@contextmanager
def historical_timestamps() -> Iterator[None]:
    """Let bulk_create store the dates we give instead of 'now' for auto_now_add fields."""
    touched = []
    for model in (
        Enrolment, LessonCompletion, QuizAttempt, Submission, Review, Certificate,
        Membership, TrackAssignment, PracticePost, PostReview, Evidence, GrowthProfile, Message,
    ):  # fmt: skip
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "auto_now_add", False):
                model_field.auto_now_add = False
                touched.append(model_field)
    try:
        yield
    finally:
        for model_field in touched:
            model_field.auto_now_add = True


class Buffer:
    """Collects rows per model and writes them with bulk_create every CHUNK rows."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[models.Model]] = {}
        self.counts: dict[str, int] = {}

    def add(self, obj: models.Model) -> None:
        rows = self.rows.setdefault(type(obj), [])
        rows.append(obj)
        if len(rows) >= CHUNK:
            self.flush(type(obj))

    def flush(self, model: type[models.Model] | None = None) -> None:
        for kind in [model] if model else list(self.rows):
            rows = self.rows.get(kind) or []
            if rows:
                kind.objects.bulk_create(rows, batch_size=1_000)
                name = kind._meta.label
                self.counts[name] = self.counts.get(name, 0) + len(rows)
            self.rows[kind] = []


# -- the curriculum ----------------------------------------------------------------------


def import_curriculum() -> None:
    """The real curriculum, exactly as `manage.py import_content content/` imports it."""
    content = Path(settings.BASE_DIR) / "content"
    call_command("import_content", str(content), stdout=open("/dev/null", "w"))  # noqa: SIM115


@transaction.atomic
def generate_tracks(scale: Scale, seed: int = 11) -> list[Track]:
    """`scale.generated_tracks` published tracks of 5 × 8 lessons: a quiz on every even lesson,
    a practice assignment at the end of each module, ~3 KB bodies and one ~18 KB lesson."""
    rng = random.Random(seed)
    roles = list(Role.objects.order_by("position", "pk"))
    bodies = [_markdown_body(rng, BODY_BYTES) for _ in range(6)]
    long_body = _markdown_body(rng, LONG_BODY_BYTES)
    last_position = Track.objects.order_by("-position").values_list("position", flat=True).first()
    modules_per_track = scale.lessons_per_track // LESSONS_PER_MODULE
    tracks = Track.objects.bulk_create(
        [
            Track(
                slug=f"bench-{n}",
                title=f"Generated track {n}: social media operations at scale",
                role=roles[(n - 1) % len(roles)],
                summary="A generated track for the benchmark: 40 lessons in five modules.",
                level=Track.Level.INTERMEDIATE,
                is_published=True,
                position=(last_position or 0) + n,
            )
            for n in range(1, scale.generated_tracks + 1)
        ]
    )
    modules = Module.objects.bulk_create(
        [
            Module(
                track=track,
                slug=f"module-{m}",
                title=f"Module {m}: {SENTENCES[m % len(SENTENCES)][:50]}",
                summary=SENTENCES[(m + 3) % len(SENTENCES)],
                self_check="I can do this without help.",
                position=m,
            )
            for track in tracks
            for m in range(1, modules_per_track + 1)
        ]
    )
    lessons = []
    for module in modules:
        for n in range(1, LESSONS_PER_MODULE + 1):
            slug = f"lesson-{module.position}-{n}"
            markdown, html = long_body if slug == LONG_LESSON_SLUG else rng.choice(bodies)
            lessons.append(
                Lesson(
                    track_id=module.track_id,
                    module=module,
                    slug=slug,
                    title=f"Lesson {module.position}.{n}: {rng.choice(SENTENCES)[:60]}",
                    position=n,
                    minutes=rng.randint(4, 15),
                    body_markdown=markdown,
                    body_html=html,
                    platforms=["linkedin", "instagram"],
                )
            )
    lessons = Lesson.objects.bulk_create(lessons)
    quizzes = Quiz.objects.bulk_create(
        # Unlimited attempts: quiz_submit posts thousands of attempts as one taker, and each
        # must take the recording path, not the "no attempts left" refusal.
        [
            Quiz(lesson=lesson, pass_mark=70, max_attempts=None)
            for lesson in lessons
            if lesson.position % 2 == 0
        ]
    )
    questions = Question.objects.bulk_create(
        [
            Question(
                quiz=quiz,
                position=q,
                prompt=f"Question {q}: {rng.choice(SENTENCES)} Which is right?",
                kind=Question.Kind.MULTIPLE if q == 3 else Question.Kind.SINGLE,
                explanation=rng.choice(SENTENCES),
            )
            for quiz in quizzes
            for q in range(1, 4)
        ]
    )
    Choice.objects.bulk_create(
        [
            Choice(
                question=question,
                position=c,
                text=rng.choice(SENTENCES),
                is_correct=c == 1 or (question.kind == Question.Kind.MULTIPLE and c == 2),
                feedback=rng.choice(SENTENCES),
            )
            for question in questions
            for c in range(1, 5)
        ]
    )
    brief, brief_html = _markdown_body(rng, 1_200)
    assignments = PracticeAssignment.objects.bulk_create(
        [
            PracticeAssignment(
                lesson=lesson,
                title=f"Practice: {lesson.title[:100]}",
                brief_markdown=brief,
                brief_html=brief_html,
                required=True,
            )
            for lesson in lessons
            if lesson.position == LESSONS_PER_MODULE
        ]
    )
    RubricCriterion.objects.bulk_create(
        [
            RubricCriterion(assignment=assignment, position=p, criterion=f"Criterion {p}", points=4)
            for assignment in assignments
            for p in range(1, 4)
        ]
    )
    return tracks


# -- people ------------------------------------------------------------------------------


@dataclass
class TrackInfo:
    """What seeding needs to know about a track, read once."""

    id: int
    lesson_ids: list[int]  # current lessons in order
    quiz_by_lesson: dict[int, int] = field(default_factory=dict)
    assignment_by_lesson: dict[int, int] = field(default_factory=dict)


def _track_infos() -> list[TrackInfo]:
    infos = {
        track.pk: TrackInfo(track.pk, [])
        for track in Track.objects.published().order_by("position", "pk")
    }
    lessons = (
        Lesson.objects.published()
        .order_by("track__position", "module__position", "position")
        .values_list("pk", "track_id")
    )
    for lesson_id, track_id in lessons:
        infos[track_id].lesson_ids.append(lesson_id)
    for quiz_id, lesson_id, track_id in Quiz.objects.filter(archived_at__isnull=True).values_list(
        "pk", "lesson_id", "lesson__track_id"
    ):
        if track_id in infos:
            infos[track_id].quiz_by_lesson[lesson_id] = quiz_id
    for assignment_id, lesson_id, track_id in PracticeAssignment.objects.filter(
        archived_at__isnull=True
    ).values_list("pk", "lesson_id", "lesson__track_id"):
        if track_id in infos:
            infos[track_id].assignment_by_lesson[lesson_id] = assignment_id
    return list(infos.values())


def _attempt_answers(rng: random.Random, passed: bool) -> list[dict]:
    """A short copy of what was asked and answered, shaped like the real snapshot."""
    return [
        {
            "prompt": rng.choice(SENTENCES),
            "kind": "single",
            "explanation": "",
            "correct": passed or n > 0,
            "choices": [],
        }
        for n in range(3)
    ]


class People:
    """Writes one population: organisations, teams, people and everything they did."""

    def __init__(self, scale: Scale, seed: int = 7) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.buffer = Buffer()
        self.attempt_numbers: dict[tuple[int, int], int] = {}
        self.tracks = _track_infos()
        self.generated_ids = set(
            Track.objects.filter(slug__startswith="bench-").values_list("pk", flat=True)
        )
        self.password = make_password("bench-not-a-real-password")  # one hash for everyone
        self.managers: dict[int, int] = {}  # team id: its manager's id
        # (learner, assignment, version): outcome, for the reviews written after the insert
        self.reviewed: dict[tuple[int, int, int], str] = {}

    def _ago(self, days_max: float, days_min: float = 0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(days_min, days_max))

    def _user(self, email: str, name: str) -> User:
        return User(
            email=email,
            display_name=name,
            password=self.password,
            timezone=self.rng.choice(TIMEZONES),
            date_joined=self._ago(400, 120),
        )

    @transaction.atomic
    def seed(self) -> dict:
        scale = self.scale
        with historical_timestamps():
            organisations = Organisation.objects.bulk_create(
                [
                    # Every other one allows peer review, the bench learner's (the second)
                    # among them: a post's reviewers are then their whole team.
                    Organisation(
                        name=f"Company {n:02d}",
                        slug=f"company-{n:02d}",
                        allow_peer_review=n % 2 == 1,
                    )
                    for n in range(organisations_for(scale))
                ]
            )
            teams = Team.objects.bulk_create(
                [
                    Team(
                        organisation=organisations[n % len(organisations)],
                        name=_team_name(scale, n),
                    )
                    for n in range(scale.teams)
                ]
            )
            members = self._people(teams)
            self._assignments_and_progress(teams, members)
            self._bench_people(teams)
            self.buffer.flush()
            self._governance(organisations, teams, members)
            self._practice_and_notifications(members)
            self._audit_log(organisations, teams, members)
            self.buffer.flush()
        return self.buffer.counts

    def _audit_log(self, organisations, teams: list[Team], members: dict[int, list[int]]) -> None:
        """A month of each organisation's audit log: everyone's weekly sign-in and the tracks
        assigned to each team (what most of a real log is)."""
        names = {organisation.pk: organisation.name for organisation in organisations}
        for team in teams:
            where = {
                "organisation_id": team.organisation_id,
                "organisation_name": names[team.organisation_id],
            }
            for user_id in members[team.pk]:
                for week in range(4):
                    self.buffer.add(
                        AuditEntry(
                            kind=AuditEntry.Kind.SIGN_IN,
                            occurred_at=self.now - timedelta(days=7 * week + 1),
                            actor_id=user_id,
                            actor_email=f"person{user_id}@bench.example",
                            subject_id=user_id,
                            subject_email=f"person{user_id}@bench.example",
                            ip_address="192.0.2.10",
                            **where,
                        )
                    )
            self.buffer.add(
                AuditEntry(
                    kind=AuditEntry.Kind.TRACK_ASSIGNED,
                    occurred_at=self._ago(60, 1),
                    target=f"{team.name}: bench track",
                    **where,
                )
            )

    def _people(self, teams: list[Team]) -> dict[int, list[int]]:
        """Learners (the big team first, the rest spread evenly), one manager per team."""
        scale, rng = self.scale, self.rng
        rest = max(0, scale.learners - scale.big_team - SMALL_TEAM_SIZE)
        others = len(teams) - 2
        spread = iter(rest // others + (1 if n < rest % others else 0) for n in range(others))
        small = small_team_index(scale)
        sizes = [scale.big_team]
        sizes += [SMALL_TEAM_SIZE if n == small else next(spread) for n in range(1, len(teams))]
        users = []
        for n in range(sum(sizes)):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            users.append(self._user(f"learner{n:05d}@bench.example", name))
        users.extend(
            self._user(f"manager{n:03d}@bench.example", f"Manager {n:03d}")
            for n in range(len(teams))
        )
        users = User.objects.bulk_create(users, batch_size=1_000)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
            batch_size=1_000,
        )
        members: dict[int, list[int]] = {}
        start = 0
        for team, size in zip(teams, sizes, strict=True):
            members[team.pk] = [u.pk for u in users[start : start + size]]
            start += size
        managers = users[start:]
        for team, manager in zip(teams, managers, strict=True):
            joined = self._ago(300, 100)
            self.buffer.add(
                Membership(user=manager, team=team, role=Membership.Role.MANAGER, joined_at=joined)
            )
            for user_id in members[team.pk]:
                self.buffer.add(
                    Membership(
                        user_id=user_id,
                        team=team,
                        role=Membership.Role.LEARNER,
                        joined_at=self._ago(200, 30),
                    )
                )
        self.buffer.flush(Membership)
        self.managers = {team.pk: manager.pk for team, manager in zip(teams, managers, strict=True)}
        return members

    def _assignments_and_progress(self, teams: list[Team], members: dict[int, list[int]]) -> None:
        rng = self.rng
        for index, team in enumerate(teams):
            if index == 0:
                assigned = self.tracks[-self.scale.big_team_tracks :]
            else:
                assigned = rng.sample(self.tracks, rng.randint(1, 3))
            for n, info in enumerate(assigned):
                due = None
                if index == 0:
                    due = self.today + timedelta(days=-10 if n == 0 else 14 * n)
                elif rng.random() < 0.8:
                    due = self.today + timedelta(days=rng.randint(-20, 60))
                self.buffer.add(
                    TrackAssignment(
                        track_id=info.id,
                        team=team,
                        due_date=due,
                        assigned_by_id=self.managers[team.pk],
                        created_at=self._ago(120, 40),
                    )
                )
            for user_id in members[team.pk]:
                tracks = list(assigned)
                if rng.random() < 0.02:  # a personal assignment on top of the team's
                    extra = rng.choice(self.tracks)
                    if extra not in tracks:
                        tracks.append(extra)
                        self.buffer.add(
                            TrackAssignment(
                                track_id=extra.id,
                                learner_id=user_id,
                                due_date=self.today + timedelta(days=rng.randint(-5, 45)),
                                assigned_by_id=self.managers[team.pk],
                                created_at=self._ago(60, 10),
                            )
                        )
                if rng.random() < 0.1:  # enrolled on their own in something else
                    extra = rng.choice(self.tracks)
                    if extra not in tracks:
                        tracks.append(extra)
                for info in tracks:
                    roll = rng.random()
                    if roll < 0.2:
                        done = 0
                    elif roll < 0.75:
                        done = rng.randint(1, len(info.lesson_ids) - 1)
                    else:
                        done = len(info.lesson_ids)
                    self._progress(user_id, info, done)

    def _progress(self, user_id: int, info: TrackInfo, done: int, *, complete: bool = True) -> None:
        """One enrolment with its first `done` lessons completed, in order, and what goes with
        them: passed (and some failed) quiz attempts, submissions and reviews, a certificate."""
        rng = self.rng
        enrolled_at = self._ago(180, 20)
        finished = done == len(info.lesson_ids) and complete
        last_activity = None
        when = enrolled_at
        step = (self.now - enrolled_at) / (len(info.lesson_ids) + 1)
        for lesson_id in info.lesson_ids[:done]:
            when = when + step * rng.uniform(0.2, 1.0)
            last_activity = when
            self.buffer.add(
                LessonCompletion(learner_id=user_id, lesson_id=lesson_id, completed_at=when)
            )
            quiz_id = info.quiz_by_lesson.get(lesson_id)
            if quiz_id is not None:
                if rng.random() < 0.3:
                    self._attempt(user_id, quiz_id, when - timedelta(minutes=10), passed=False)
                self._attempt(user_id, quiz_id, when, passed=True)
            assignment_id = info.assignment_by_lesson.get(lesson_id)
            if assignment_id is not None:
                self._submissions(user_id, assignment_id, when, approved=finished)
        if done < len(info.lesson_ids):
            next_quiz = info.quiz_by_lesson.get(info.lesson_ids[done])
            if next_quiz is not None and done and rng.random() < 0.3:
                self._attempt(user_id, next_quiz, when, passed=False)
        last_lesson = info.lesson_ids[min(done, len(info.lesson_ids) - 1)] if done else None
        self.buffer.add(
            Enrolment(
                learner_id=user_id,
                track_id=info.id,
                enrolled_at=enrolled_at,
                last_activity_at=last_activity,
                last_lesson_id=last_lesson,
                completed_at=last_activity if finished else None,
            )
        )
        if finished:
            self.buffer.add(
                Certificate(
                    learner_id=user_id,
                    track_id=info.id,
                    code=uuid.uuid4().hex[:16],
                    issued_at=last_activity,
                    learner_name="A learner",
                    track_title="A track",
                )
            )

    def _attempt(self, user_id: int, quiz_id: int, when: datetime, *, passed: bool) -> None:
        score = self.rng.randint(70, 100) if passed else self.rng.randint(20, 65)
        key = (user_id, quiz_id)
        self.attempt_numbers[key] = self.attempt_numbers.get(key, 0) + 1
        self.buffer.add(
            QuizAttempt(
                learner_id=user_id,
                quiz_id=quiz_id,
                token=uuid.uuid4().hex,
                number=self.attempt_numbers[key],
                submitted_at=when,
                score=score,
                passed=passed,
                answers=_attempt_answers(self.rng, passed),
            )
        )

    def _submissions(self, user_id: int, assignment_id: int, when: datetime, *, approved: bool):
        rng = self.rng
        roll = rng.random()
        if approved or roll < 0.4:
            statuses = ["approved"] if rng.random() < 0.7 else ["needs_revision", "approved"]
        elif roll < 0.9:
            statuses = ["awaiting_review"]
        else:
            statuses = ["needs_revision"]
        for version, status in enumerate(statuses, start=1):
            text = " ".join(rng.sample(SENTENCES, 3))
            submission = Submission(
                learner_id=user_id,
                assignment_id=assignment_id,
                version=version,
                text_markdown=text,
                text_html=f"<p>{text}</p>",
                status=status,
                submitted_at=when + timedelta(hours=version),
            )
            self.buffer.add(submission)
            if status != "awaiting_review":
                self.reviewed[(user_id, assignment_id, version)] = status

    def _governance(self, organisations, teams: list[Team], members: dict[int, list[int]]) -> None:
        """What organisations switch on: a policy with two versions (most people acknowledged
        the current one, some only the first), two clearance levels (the policy and a
        certificate; the policy, two certificates and an approved assignment), a policy owner,
        banned terms, and some certificates expired or running out."""
        rng = random.Random(31)
        big_tracks = self.tracks[-self.scale.big_team_tracks :]
        first, second = big_tracks[0], big_tracks[1 % len(big_tracks)]
        assignment_id = next(iter(first.assignment_by_lesson.values()), None)
        people_of: dict[int, list[int]] = {}
        for team in teams:
            people_of.setdefault(team.organisation_id, []).extend(members[team.pk])
        for organisation in organisations:
            policy = Policy.objects.create(organisation=organisation)
            versions = []
            for number, days_ago in ((1, 200), (2, 30)):
                text = f"## Social media policy, version {number}\n\n" + " ".join(SENTENCES)
                versions.append(
                    PolicyVersion(
                        policy=policy,
                        number=number,
                        body_markdown=text,
                        body_html=render_markdown(text),
                        text_sha256=policy_text_hash(text),
                        changes_summary="" if number == 1 else "Disclosure wording changed.",
                        effective_date=self.today - timedelta(days=days_ago),
                        published_at=self.now - timedelta(days=days_ago + 3),
                        published_by_id=self.managers[teams[0].pk],
                    )
                )
            versions = PolicyVersion.objects.bulk_create(versions)
            owner_id = people_of[organisation.pk][0]
            PolicyOwner.objects.create(organisation=organisation, user_id=owner_id)
            BannedTerm.objects.bulk_create(
                BannedTerm(organisation=organisation, term=term, reason="Not announced yet")
                for term in ("Project Falcon", "Q3 forecast", "Acme merger")
            )
            post = ClearanceLevel.objects.create(
                organisation=organisation, name="Can post for the brand", position=1
            )
            post.tracks.set([first.id])
            campaigns = ClearanceLevel.objects.create(
                organisation=organisation,
                name="Can run paid campaigns",
                position=2,
                assignment_id=assignment_id,
            )
            campaigns.tracks.set([first.id, second.id])
            for user_id in people_of[organisation.pk]:
                roll = rng.random()
                acknowledged = versions[1:] if roll < 0.7 else versions[:1] if roll < 0.85 else []
                for version in acknowledged:
                    self.buffer.add(
                        PolicyAcknowledgement(
                            version=version,
                            user_id=user_id,
                            acknowledged_at=version.published_at + timedelta(days=2),
                            text_sha256=version.text_sha256,
                        )
                    )
        self.buffer.flush(PolicyAcknowledgement)
        # A tenth of certificates expired, half run out within a year, the rest never do. The
        # measured accounts' records stay the same at every scale: the bench learner's one
        # certificate ran out 20 days ago, so /me/ is measured with its refresher open.
        bench_accounts = (BENCH_LEARNER, BENCH_QUIZ_TAKER, BENCH_MANAGER, BENCH_AUTHOR)
        Certificate.objects.filter(learner__email=BENCH_LEARNER).update(
            expires_at=self.now - timedelta(days=20)
        )
        ids = list(
            Certificate.objects.exclude(learner__email__in=bench_accounts).values_list(
                "pk", flat=True
            )
        )
        rng.shuffle(ids)
        tenth = len(ids) // 10
        Certificate.objects.filter(pk__in=ids[:tenth]).update(
            expires_at=self.now - timedelta(days=20)
        )
        for start in range(tenth, tenth + len(ids) // 2, CHUNK):
            chunk = ids[start : min(start + CHUNK, tenth + len(ids) // 2)]
            Certificate.objects.filter(pk__in=chunk).update(
                expires_at=self.now + timedelta(days=200)
            )
        # Written in bulk, past the services: rewrite the stored clearance holdings once, as
        # the services do per person.
        holdings.refresh_holdings()

    def _practice_and_notifications(self, members: dict[int, list[int]]) -> None:
        """Practice in public and the ledger, as active organisations have them: drafts in the
        studio (some reviewed), growth profiles with weekly snapshots, evidence, portfolios,
        preferences, and a month of weekly digests in the ledger."""
        rng = random.Random(47)
        everyone = [user_id for ids in members.values() for user_id in ids]
        reviewer_of = {
            user_id: self.managers[team_id] for team_id, ids in members.items() for user_id in ids
        }
        for user_id in everyone:
            if rng.random() < 0.3:
                for _ in range(rng.randint(1, 3)):
                    status = rng.choice(["draft", "in_review", "approved", "published"])
                    self.buffer.add(
                        PracticePost(
                            learner_id=user_id,
                            network=rng.choice(["linkedin", "instagram", "x", "threads"]),
                            text=" ".join(rng.sample(SENTENCES, 2)),
                            status=status,
                            reviewer_id=reviewer_of[user_id] if status != "draft" else None,
                            created_at=self._ago(90, 5),
                            updated_at=self._ago(5),
                        )
                    )
            if rng.random() < 0.2:
                self.buffer.add(
                    GrowthProfile(
                        learner_id=user_id,
                        network="linkedin",
                        handle=f"person-{user_id}",
                        weekly_post_goal=rng.choice([None, 1, 2, 3]),
                        created_at=self._ago(120, 60),
                    )
                )
            if rng.random() < 0.15:
                self.buffer.add(
                    Evidence(
                        learner_id=user_id,
                        url=f"https://www.linkedin.com/posts/person-{user_id}-1",
                        network="linkedin",
                        published_on=self.today - timedelta(days=rng.randint(1, 60)),
                        on_portfolio=rng.random() < 0.5,
                        created_at=self._ago(60),
                    )
                )
            if rng.random() < 0.1:
                self.buffer.add(
                    Portfolio(
                        learner_id=user_id,
                        handle=f"person-{user_id}",
                        is_public=True,
                        headline="Learning the craft in public",
                        share_growth_with_team=rng.random() < 0.5,
                    )
                )
            if rng.random() < 0.5:
                self.buffer.add(Preferences(user_id=user_id, digest_weekday=rng.randint(0, 6)))
            for week in range(4):
                sent_at = self.now - timedelta(days=7 * week + 1)
                self.buffer.add(
                    Message(
                        key=f"learner_digest:{user_id}:{sent_at:%G-W%V}",
                        kind="learner_digest",
                        recipient_id=user_id,
                        to_email=f"person{user_id}@bench.example",
                        subject="Your week in Socialcraft",
                        body_text="Your week.",
                        body_html="<p>Your week.</p>",
                        status=Message.Status.SENT,
                        attempts=1,
                        created_at=sent_at,
                        sent_at=sent_at,
                    )
                )
            # In-app notices: the track assigned and a review read, this week's policy not yet.
            for number, (kind, read) in enumerate(
                [("track_assigned", True), ("reviewed", True), ("policy_update", False)]
            ):
                self.buffer.add(
                    Notice(
                        recipient_id=user_id,
                        key=f"bench:{kind}:{user_id}",
                        kind=kind,
                        title=f"Bench notice {number + 1}",
                        url="/me/",
                        read_at=self.now if read else None,
                    )
                )
        self._bench_learner_practice()
        self.buffer.flush()
        User.objects.filter(notices__read_at__isnull=True).update(unread_notices=1)
        posts = PracticePost.objects.filter(status__in=["approved", "published"]).values_list(
            "pk", "reviewer_id", "text", "network"
        )
        for post_id, reviewer_id, text, network in posts.iterator(chunk_size=CHUNK):
            self.buffer.add(
                PostReview(
                    post_id=post_id,
                    reviewer_id=reviewer_id,
                    outcome="approved",
                    network_reviewed=network,
                    text_reviewed=text,
                    created_at=self._ago(30, 2),
                )
            )
        for profile_id, learner_id in GrowthProfile.objects.values_list("pk", "learner_id"):
            followers = rng.randint(200, 3_000)
            for week in range(8):
                followers += rng.randint(0, 40)
                self.buffer.add(
                    GrowthSnapshot(
                        profile_id=profile_id,
                        learner_id=learner_id,
                        taken_on=self.today - timedelta(days=7 * (8 - week)),
                        followers=followers,
                        posts_published=rng.randint(0, 3),
                        engagement=rng.randint(0, 200),
                    )
                )

    def _bench_learner_practice(self) -> None:
        """The bench learner's own studio, journal and public portfolio, and a draft waiting
        for the bench manager's review: the same at every scale."""
        learner = User.objects.get(email=BENCH_LEARNER)
        manager = User.objects.get(email=BENCH_MANAGER)
        # The bench manager reviews the big team: the draft waiting for them is a member's.
        member_id = (
            Membership.objects.filter(team__name="Big team", role=Membership.Role.LEARNER)
            .order_by("pk")
            .values_list("user_id", flat=True)[0]
        )
        for author_id, status, reviewer in (
            (learner.pk, "draft", None),
            (member_id, "in_review", manager),
            (learner.pk, "approved", None),
        ):
            self.buffer.add(
                PracticePost(
                    learner_id=author_id,
                    network="linkedin",
                    text=" ".join(SENTENCES[:2]),
                    status=status,
                    reviewer=reviewer,
                    created_at=self.now - timedelta(days=3),
                )
            )
        self.buffer.add(
            GrowthProfile(
                learner=learner,
                network="linkedin",
                handle="bench-learner",
                weekly_post_goal=2,
                created_at=self.now - timedelta(days=70),
            )
        )
        self.buffer.add(
            Evidence(
                learner=learner,
                url="https://www.linkedin.com/posts/bench-learner-1",
                network="linkedin",
                published_on=self.today - timedelta(days=5),
                on_portfolio=True,
                created_at=self.now - timedelta(days=5),
            )
        )
        self.buffer.add(
            Portfolio(learner=learner, handle="bench-learner", is_public=True, show_growth=True)
        )

    def _bench_people(self, teams: list[Team]) -> None:
        """The accounts the pages are measured with; the same records at every scale."""
        big, regular = teams[0], teams[1 % len(teams)]
        learner = self._user(BENCH_LEARNER, "Bench Learner")
        taker = self._user(BENCH_QUIZ_TAKER, "Bench Quiz Taker")
        manager = self._user(BENCH_MANAGER, "Bench Manager")
        author = self._user(BENCH_AUTHOR, "Bench Author")
        author.is_staff = author.is_superuser = True
        users = User.objects.bulk_create([learner, taker, manager, author])
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        # Production's settings send staff without a second factor to set one up
        # (MFA_REQUIRED_FOR_STAFF): the author has an authenticator app, as staff there do.
        Authenticator.objects.create(
            user=author, type=Authenticator.Type.TOTP, data={"secret": "BENCHBENCHBENCHBENCH"}
        )
        joined = self.now - timedelta(days=90)
        Membership.objects.bulk_create(
            [
                Membership(user=learner, team=regular, role="learner", joined_at=joined),
                Membership(user=taker, team=regular, role="learner", joined_at=joined),
                Membership(user=manager, team=big, role="manager", joined_at=joined),
            ]
        )
        saved = self.rng
        self.rng = random.Random(2024)  # the bench learner's records don't depend on the scale
        generated = [t for t in self.tracks if t.id in self.generated_ids]
        others = [t for t in self.tracks if t.id not in self.generated_ids]
        plan = [(generated[0], 12)]
        plan += [(info, [3, len(info.lesson_ids), 0][n % 3]) for n, info in enumerate(others[:3])]
        for info, done in plan:
            self._progress(learner.pk, info, done)
        self._progress(taker.pk, generated[0], 9)
        self.rng = saved


def organisations_for(scale: Scale) -> int:
    return max(1, scale.teams // 20)


def small_team_index(scale: Scale) -> int:
    """Teams go round the organisations, so this one is in the big team's (the first); no bench
    account learns in it (they learn in the second team)."""
    return 2 * organisations_for(scale)


def small_team_manager(scale: Scale) -> str:
    """The small team's manager (team n's manager is manager n)."""
    return f"manager{small_team_index(scale):03d}@bench.example"


def _team_name(scale: Scale, n: int) -> str:
    if n == 0:
        return "Big team"
    return "Team of three" if n == small_team_index(scale) else f"Team {n:03d}"


def seed_people(scale: Scale) -> dict:
    """Seed the population for `scale`; returns the number of rows written per model."""
    people = People(scale)
    counts = people.seed()
    counts[Review._meta.label] = _reviews(people)
    counts["item analysis attempts"] = _item_analysis_attempts()
    # PostgreSQL plans the recount below once, for every enrolment: without statistics on the
    # rows just written (autovacuum analyses them a minute or more later) it picked scans that
    # took over 18 minutes at 50,000 learners.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Rows written in bulk skip the services: compute the figures the team pages read, as
    # `manage.py refresh_rollups` does after any bulk load.
    rollups.refresh_all()
    item_analysis.recount()
    return counts


@transaction.atomic
def _item_analysis_attempts() -> int:
    """ITEM_ANALYSIS_ATTEMPTS attempts at the measured quiz, spread over the learners (each
    numbered after the learner's own earlier attempts), with realistic answer snapshots."""
    rng = random.Random(11)
    quiz = Quiz.objects.get(lesson__track__slug="bench-1", lesson__slug=LESSON_SLUG)
    questions = list(quiz.questions.prefetch_related("choices"))
    learners = list(
        User.objects.filter(memberships__role="learner").values_list("pk", flat=True).distinct()
    )
    numbers = dict(
        QuizAttempt.objects.filter(quiz=quiz)
        .values("learner_id")
        .annotate(last=Max("number"))
        .values_list("learner_id", "last")
    )
    attempts = []
    for n in range(ITEM_ANALYSIS_ATTEMPTS):
        learner_id = learners[n % len(learners)]
        numbers[learner_id] = numbers.get(learner_id, 0) + 1
        skill = rng.random()  # stronger learners get more right: discrimination has signal
        snapshot = []
        for question in questions:
            choices = list(question.choices.all())
            right = rng.random() < 0.35 + 0.6 * skill
            picked = {c.pk for c in choices if c.is_correct} if right else {rng.choice(choices).pk}
            snapshot.append(
                {
                    "question": question.pk,
                    "prompt": question.prompt,
                    "kind": question.kind,
                    "explanation": question.explanation,
                    "correct": right,
                    "choices": [
                        {"choice": c.pk, "text": c.text, "correct": c.is_correct,
                         "feedback": c.feedback, "chosen": c.pk in picked}
                        for c in choices
                    ],
                }
            )  # fmt: skip
        score = round(100 * sum(item["correct"] for item in snapshot) / len(snapshot))
        attempts.append(
            QuizAttempt(
                learner_id=learner_id,
                quiz=quiz,
                token=uuid.uuid4().hex,
                number=numbers[learner_id],
                score=score,
                passed=score >= quiz.pass_mark,
                answers=snapshot,
            )
        )
    QuizAttempt.objects.bulk_create(attempts, batch_size=2_000)
    return len(attempts)


@transaction.atomic
def _reviews(people: People) -> int:
    """Reviews for the reviewed submissions (their ids exist only after the insert)."""
    keys = people.reviewed
    written = 0
    rows = Submission.objects.exclude(status=Submission.Status.AWAITING_REVIEW).values_list(
        "pk", "learner_id", "assignment_id", "version", "submitted_at"
    )
    managers_by_learner = dict(
        Membership.objects.filter(role=Membership.Role.LEARNER).values_list("user_id", "team_id")
    )
    reviews = []
    with historical_timestamps():
        for pk, learner_id, assignment_id, version, submitted_at in rows.iterator(chunk_size=5_000):
            status = keys.get((learner_id, assignment_id, version))
            if status is None:
                continue
            team_id = managers_by_learner.get(learner_id)
            reviews.append(
                Review(
                    submission_id=pk,
                    reviewer_id=people.managers.get(team_id),
                    outcome=status,
                    feedback_markdown="Good work. Tighten the opening line.",
                    feedback_html="<p>Good work. Tighten the opening line.</p>",
                    scores=[{"criterion": "Voice", "points": 3, "max": 4}],
                    reviewed_at=submitted_at + timedelta(days=1),
                )
            )
            if len(reviews) >= CHUNK:
                Review.objects.bulk_create(reviews, batch_size=1_000)
                written += len(reviews)
                reviews = []
        Review.objects.bulk_create(reviews, batch_size=1_000)
    return written + len(reviews)
