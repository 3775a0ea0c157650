"""Writes to the curriculum: importing specs from content files, archiving, exporting.

Importing matches rows by slug (tracks, modules, lessons) or by position inside their parent
(questions, choices, rubric criteria) and updates them in place, so primary keys, and with them
every learner's progress, survive edits and re-imports. A row is saved only when a field changed.

Every write here ends by calling `curriculum_changed` with the tracks it touched (see there).
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone

from audit import services as audit

from . import content_files as cf
from . import page_cache, signals
from .models import (
    AssignmentSample,
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


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    tracks: list[str] = field(default_factory=list)
    # What an author changed in the admin since the last import, left as it is: one line each.
    conflicts: list[str] = field(default_factory=list)

    def record(self, kind: str, outcome: str) -> None:
        self.counts[f"{kind} {outcome}"] += 1

    @property
    def changed(self) -> int:
        return sum(n for key, n in self.counts.items() if not key.endswith(" unchanged"))

    def lines(self) -> list[str]:
        kinds = {
            "track": "tracks",
            "module": "modules",
            "lesson": "lessons",
            "quiz": "quizzes",
            "question": "questions",
            "choice": "choices",
            "assignment": "assignments",
            "criterion": "rubric criteria",
            "sample": "sample answers",
        }
        outcomes = ["created", "updated", "unchanged", "archived", "deleted"]
        result = []
        for kind, plural in kinds.items():
            parts = [
                f"{self.counts[f'{kind} {o}']} {o}" for o in outcomes if self.counts[f"{kind} {o}"]
            ]
            if parts:
                result.append(f"{plural:<16} {', '.join(parts)}")
        return result


def known_role_slugs() -> set[str]:
    return set(Role.objects.values_list("slug", flat=True))


def read_content(root: Path) -> list[cf.TrackSpec]:
    """Read and validate a content tree against the roles in the database."""
    return cf.read_tree(Path(root), known_roles=known_role_slugs())


def _assign(obj: models.Model, **values) -> bool:
    changed = False
    for name, value in values.items():
        # Foreign keys are compared by id, so an unsaved row doesn't look up a missing relation.
        current = (
            getattr(obj, f"{name}_id") if isinstance(value, models.Model) else getattr(obj, name)
        )
        if current != (value.pk if isinstance(value, models.Model) else value):
            setattr(obj, name, value)
            changed = True
    return changed


def _save(obj: models.Model, kind: str, report: ImportReport, changed: bool) -> None:
    if obj.pk is None:
        obj.save()
        report.record(kind, "created")
    elif changed:
        obj.save()
        report.record(kind, "updated")
    else:
        report.record(kind, "unchanged")


def has_learner_records(obj: models.Model) -> bool:
    """True when any row outside the curriculum app points at `obj` (progress, attempts...).

    Found through the model's reverse relations, so `courses` needs no import of the apps that
    record learners' work, and a new kind of record is covered without changing this code.
    """
    for relation in obj._meta.related_objects:
        if relation.related_model._meta.app_label == "courses":
            continue
        if relation.one_to_one:
            if relation.related_model._default_manager.filter(
                **{relation.field.name: obj}
            ).exists():
                return True
        elif getattr(obj, relation.get_accessor_name()).exists():
            return True
    return False


def lesson_has_learner_records(lesson: Lesson) -> bool:
    for child in ("quiz", "assignment"):
        related = getattr(lesson, child, None) if _has_child(lesson, child) else None
        if related is not None and has_learner_records(related):
            return True
    return has_learner_records(lesson)


def _has_child(lesson: Lesson, name: str) -> bool:
    try:
        getattr(lesson, name)
    except (Quiz.DoesNotExist, PracticeAssignment.DoesNotExist):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Telling the rest of the site that the curriculum changed

# The path from each curriculum model to the id of the track it belongs to.
TRACK_ID_PATHS = {
    Role: "tracks__id",
    Track: "pk",
    Module: "track_id",
    Lesson: "track_id",
    Quiz: "lesson__track_id",
    PracticeAssignment: "lesson__track_id",
    Question: "quiz__lesson__track_id",
    Choice: "question__quiz__lesson__track_id",
    RubricCriterion: "assignment__lesson__track_id",
    AssignmentSample: "assignment__lesson__track_id",
}


def curriculum_track_ids(*, model: type[models.Model], pks: Iterable) -> set[int]:
    """The ids of the tracks the `model` rows `pks` belong to, as the database has them now
    (read it before a move or a delete to know the track an item leaves). One query."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return set()
    rows = model._default_manager.filter(pk__in=pks).values_list(TRACK_ID_PATHS[model], flat=True)
    return {track_id for track_id in rows if track_id is not None}


def curriculum_changed(*, track_ids: Iterable[int]) -> None:
    """Tell every worker and every app that what learners see of these tracks may have changed.

    Every write to the curriculum calls this once it has written its rows (the services in this
    module, the admin), with the ids of all the tracks affected: for an item moved from one
    track to another, both; ids of tracks just deleted may be among them. It

    - starts a new curriculum version (`page_cache.bump`), under which the lesson and outline
      data kept in workers' memory is rebuilt: at once, so this process (and a test) sees the
      change on its next read, and again when the transaction commits, so a page another worker
      rebuilt from the old rows in between is dropped too;
    - sends `courses.signals.curriculum_changed(sender=Track, track_ids=frozenset(...))`
      synchronously, inside the caller's transaction: a receiver's writes commit or roll back
      with the change (an import preview rolls everything back). A receiver with effects
      outside the database should defer them with `transaction.on_commit`.

    Nothing happens for an empty set. Writes that bypass the services (a shell, QuerySet.update
    in a test or a data migration) must call this themselves; pages otherwise catch up within
    `page_cache.MAX_AGE`.
    """
    track_ids = frozenset(track_ids)
    if not track_ids:
        return
    page_cache.bump()
    transaction.on_commit(page_cache.bump)
    signals.curriculum_changed.send(sender=Track, track_ids=track_ids)


@transaction.atomic
def import_specs(specs: list[cf.TrackSpec], *, prefer_files: bool = False) -> ImportReport:
    """Create or update the tracks in `specs`; idempotent. Tracks not in `specs` are untouched.

    What an author changed in the admin since the last import (a track's settings or modules, a
    lesson with its quiz and assignment, a lesson created there) is left as it is and reported
    in `conflicts`, unless `prefer_files`: then the files win, as they always did before."""
    report = ImportReport()
    roles = {role.slug: role for role in Role.objects.all()}
    now = timezone.now()
    changed: set[int] = set()
    for spec in specs:
        before = report.changed
        track = _import_track(spec, roles, report, now, prefer_files=prefer_files)
        report.tracks.append(spec.slug)
        if report.changed != before:
            changed.add(track.pk)
    curriculum_changed(track_ids=changed)
    return report


def _import_track(
    spec: cf.TrackSpec, roles: dict, report: ImportReport, now, *, prefer_files: bool
) -> Track:
    track = Track.objects.filter(slug=spec.slug).first()
    held: dict[str, str] = {}  # lessons an author changed: slug -> why they are left alone
    if track is not None and not prefer_files:
        conflict = _conflict(track, spec)
        report.conflicts += conflict.lines(spec.slug)
        if conflict.track:
            return track
        held = conflict.lessons
    track = track or Track(slug=spec.slug)
    changed = _assign(
        track,
        title=spec.title,
        role=roles[spec.role],
        summary=spec.summary,
        level=spec.level,
        is_published=spec.published,
        validity_months=spec.validity_months,
        archived_at=None,
    )
    if spec.position is not None:
        changed |= _assign(track, position=spec.position)
    _save(track, "track", report, changed)

    modules = {module.slug: module for module in track.modules.all()}
    lessons = {lesson.slug: lesson for lesson in track.lessons.select_related("quiz", "assignment")}
    kept_lessons: set[str] = set(held)
    for m_position, m_spec in enumerate(spec.modules, start=1):
        module = modules.pop(m_spec.slug, None) or Module(track=track, slug=m_spec.slug)
        changed = _assign(
            module,
            title=m_spec.title,
            summary=m_spec.summary,
            self_check=m_spec.self_check,
            position=m_position,
            archived_at=None,
        )
        _save(module, "module", report, changed)
        for l_position, l_spec in enumerate(m_spec.lessons, start=1):
            if l_spec.slug in held:
                continue
            lesson = lessons.get(l_spec.slug) or Lesson(track=track, slug=l_spec.slug)
            kept_lessons.add(l_spec.slug)
            changed = _assign(lesson, module=module, position=l_position, archived_at=None)
            _write_lesson(lesson, l_spec, report, now, changed=changed)

    for slug, lesson in lessons.items():
        if slug not in kept_lessons:
            _retire_lesson(lesson, report, now)
    for module in modules.values():
        if not module.lessons.filter(slug__in=held).exists():  # an author's lesson keeps it
            _retire_module(module, report, now)
    _record_fingerprints(track, held=set(held))
    return track


def _write_lesson(
    lesson: Lesson, spec: cf.LessonSpec, report: ImportReport, now, *, changed: bool = False
) -> None:
    """Make the lesson, its quiz and its assignment say what `spec` says, in place."""
    changed |= _assign(
        lesson,
        title=spec.title,
        minutes=spec.minutes,
        body_markdown=spec.body,
        platforms=spec.platforms,
        last_reviewed=spec.last_reviewed,
        facts_checked=spec.facts_checked,
    )
    _save(lesson, "lesson", report, changed)
    _import_quiz(lesson, spec.quiz, report, now)
    _import_assignment(lesson, spec.assignment, report, now)


def write_lesson(lesson: Lesson, spec: cf.LessonSpec, *, now=None) -> ImportReport:
    """Write one lesson's content (a published draft) as an import would; the caller calls
    `curriculum_changed`. Its place in the track (slug, module, position) doesn't change."""
    report = ImportReport()
    _write_lesson(lesson, spec, report, now or timezone.now())
    return report


def _retire(obj, kind: str, report: ImportReport, now, *, kept: bool) -> None:
    """Take `obj` (a lesson, module, quiz or assignment) out of the curriculum: archived when
    `kept` (learners' records point at it, so it stays readable to them), deleted otherwise."""
    if kept:
        if obj.archived_at is None:
            obj.archived_at = now
            obj.save(update_fields=["archived_at"])
            report.record(kind, "archived")
    else:
        obj.delete()
        report.record(kind, "deleted")


def _retire_lesson(lesson: Lesson, report: ImportReport, now) -> None:
    _retire(lesson, "lesson", report, now, kept=lesson_has_learner_records(lesson))


def _retire_module(module: Module, report: ImportReport, now) -> None:
    # Its lessons that are still there were kept for learners' records, and are archived.
    _retire(module, "module", report, now, kept=module.lessons.exists())


def _import_quiz(lesson: Lesson, spec: cf.QuizSpec | None, report: ImportReport, now) -> None:
    quiz = lesson.quiz if _has_child(lesson, "quiz") else None
    if spec is None:
        if quiz is not None:
            _retire(quiz, "quiz", report, now, kept=has_learner_records(quiz))
        return
    quiz = quiz or Quiz(lesson=lesson)
    changed = _assign(
        quiz,
        pass_mark=spec.pass_mark,
        max_attempts=spec.max_attempts,
        retry_after_hours=spec.retry_after_hours,
        draw=spec.draw,
        review=spec.review,
        archived_at=None,
    )
    _save(quiz, "quiz", report, changed)
    questions = _sync_positioned(
        existing=quiz.questions.prefetch_related("choices"),
        specs=spec.questions,
        new=lambda position: Question(quiz=quiz, position=position),
        values=lambda q_spec: {
            "prompt": q_spec.prompt,
            "kind": q_spec.kind,
            "explanation": q_spec.explanation,
            "objective": q_spec.objective,
            "section": q_spec.section,
        },
        kind="question",
        report=report,
    )
    for question, q_spec in questions:
        _sync_positioned(
            existing=question.choices.all(),
            specs=q_spec.choices,
            new=lambda position, _question=question: Choice(question=_question, position=position),
            values=lambda c_spec: {
                "text": c_spec.text,
                "is_correct": c_spec.correct,
                "feedback": c_spec.feedback,
            },
            kind="choice",
            report=report,
        )


def _sync_positioned(*, existing, specs: list, new, values, kind: str, report) -> list[tuple]:
    """Make a parent's ordered children match `specs`: update each in place by position (so
    its id, and whatever points at it, survives), create the missing, delete the rest (what
    learners did is kept elsewhere: attempts copy what was asked). Returns (child, spec) pairs.
    """
    by_position = {child.position: child for child in existing}
    pairs = []
    for position, child_spec in enumerate(specs, start=1):
        child = by_position.pop(position, None) or new(position)
        _save(child, kind, report, _assign(child, **values(child_spec)))
        pairs.append((child, child_spec))
    for child in by_position.values():
        child.delete()
        report.record(kind, "deleted")
    return pairs


def _import_assignment(
    lesson: Lesson, spec: cf.AssignmentSpec | None, report: ImportReport, now
) -> None:
    assignment = lesson.assignment if _has_child(lesson, "assignment") else None
    if spec is None:
        if assignment is not None:
            _retire(assignment, "assignment", report, now, kept=has_learner_records(assignment))
        return
    assignment = assignment or PracticeAssignment(lesson=lesson)
    changed = _assign(
        assignment,
        title=spec.title,
        required=spec.required,
        brief_markdown=spec.brief,
        pass_points=spec.pass_points,
        archived_at=None,
    )
    _save(assignment, "assignment", report, changed)
    _sync_positioned(
        existing=assignment.rubric.all(),
        specs=spec.rubric,
        new=lambda position: RubricCriterion(assignment=assignment, position=position),
        values=lambda c_spec: {
            "criterion": c_spec.criterion,
            "description": c_spec.description,
            "points": c_spec.points,
            "levels": [
                {"points": lv.points, "description": lv.description} for lv in c_spec.levels
            ],
            "must_pass": c_spec.must_pass,
            "pass_at": c_spec.pass_at,
        },
        kind="criterion",
        report=report,
    )
    _sync_positioned(
        existing=assignment.samples.all(),
        specs=spec.samples,
        new=lambda position: AssignmentSample(assignment=assignment, position=position),
        values=lambda s_spec: {
            "level": s_spec.level,
            "submission": s_spec.submission,
            "scores": s_spec.scores,
            "why": s_spec.why,
        },
        kind="sample",
        report=report,
    )


# -- who changed what last: the files or an author in the admin ---------------------------------
# Each track and lesson keeps a fingerprint of its content as the last import left it: a hash of
# what `export_content` would write for it (track.toml's settings and modules; the lesson file,
# quiz and assignment included, with its module, position and whether it is archived). When the
# row's fingerprint today differs from the stored one, an author changed it in the admin since.

FINGERPRINT_UNKNOWN = "unknown"  # rows from before fingerprints (migration 0007): files win


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _track_fingerprint(spec: cf.TrackSpec, *, archived: bool) -> str:
    return _fingerprint(f"archived: {archived}\n{cf.track_toml(spec)}")


def _lesson_fingerprint(spec: cf.LessonSpec, *, module: str, position: int, archived: bool) -> str:
    return _fingerprint(f"{module}/{position}, archived: {archived}\n{cf.lesson_file(spec)}")


@dataclass
class Fingerprints:
    track: str
    lessons: dict[str, str]  # by slug
    rows: list[Lesson] = field(default_factory=list)  # the lessons, when read from the database

    @classmethod
    def of_spec(cls, spec: cf.TrackSpec) -> "Fingerprints":
        """The content files' version."""
        return cls(
            track=_track_fingerprint(spec, archived=False),
            lessons={
                l_spec.slug: _lesson_fingerprint(
                    l_spec, module=m_spec.slug, position=position, archived=False
                )
                for m_spec in spec.modules
                for position, l_spec in enumerate(m_spec.lessons, start=1)
            },
        )

    @classmethod
    def of_track(cls, track: Track) -> "Fingerprints":
        """The database's version: every lesson of the track, archived ones too."""
        rows = list(lessons_for_specs(Lesson.objects.filter(track=track)).select_related("module"))
        spec = _track_spec(track, modules=track.modules.current().order_by("position"))
        return cls(
            track=_track_fingerprint(spec, archived=track.archived_at is not None),
            lessons={
                lesson.slug: _lesson_fingerprint(
                    lesson_spec(lesson),
                    module=lesson.module.slug,
                    position=lesson.position,
                    archived=lesson.archived_at is not None,
                )
                for lesson in rows
            },
            rows=rows,
        )


@dataclass
class Conflict:
    """What an author changed in the admin that the files would overwrite: the track's
    settings or modules (then the whole track is theirs), or some lessons."""

    track: str = ""  # why, if the track is
    lessons: dict[str, str] = field(default_factory=dict)  # slug -> why

    def lines(self, track_slug: str) -> list[str]:
        if self.track:
            return [f"track {track_slug}: {self.track}; the whole track is left as it is"]
        return [
            f"lesson {track_slug}/{slug}: {why}; left as it is"
            for slug, why in self.lessons.items()
        ]


def _conflict(track: Track, spec: cf.TrackSpec) -> Conflict:
    stored = Fingerprints.of_track(track)
    from_files = Fingerprints.of_spec(spec)
    why = _authored(track.imported_fingerprint, stored.track, from_files.track)
    if why:
        return Conflict(track=why)
    lessons = {
        lesson.slug: _authored(
            lesson.imported_fingerprint,
            stored.lessons[lesson.slug],
            from_files.lessons.get(lesson.slug),
        )
        for lesson in stored.rows
    }
    return Conflict(lessons={slug: why for slug, why in lessons.items() if why})


def find_conflicts(specs: list[cf.TrackSpec]) -> list[str]:
    """What importing `specs` would leave alone because an author changed it in the admin
    (one line each; empty when the files may write everything). Reads only."""
    tracks = {track.slug: track for track in Track.objects.filter(slug__in=[s.slug for s in specs])}
    return [
        line
        for spec in specs
        if spec.slug in tracks
        for line in _conflict(tracks[spec.slug], spec).lines(spec.slug)
    ]


def _authored(stored: str, now: str, from_files: str | None) -> str:
    """Why a row must be left alone (an author changed it in the admin), or "" if the files
    may write it: it is as the last import left it, or the files already hold the same."""
    if stored in (FINGERPRINT_UNKNOWN, now) or from_files == now:
        return ""
    if not stored:
        return "created in the admin, not in the content files"
    return "changed in the admin since the last import"


def _record_fingerprints(track: Track, *, held: set[str]) -> None:
    """After an import: the track and its lessons as the import left them (the lessons an
    author changed keep their old fingerprint, so they stay reported until resolved)."""
    now = Fingerprints.of_track(track)
    if track.imported_fingerprint != now.track:
        Track.objects.filter(pk=track.pk).update(imported_fingerprint=now.track)
    for lesson in now.rows:
        if lesson.slug not in held and lesson.imported_fingerprint != now.lessons[lesson.slug]:
            Lesson.objects.filter(pk=lesson.pk).update(
                imported_fingerprint=now.lessons[lesson.slug]
            )


def track_specs(tracks=None) -> list[cf.TrackSpec]:
    """The current (non-archived) content of `tracks` (default: all) as specs, for export."""
    queryset = (tracks if tracks is not None else Track.objects.all()).select_related("role")
    specs = []
    for track in queryset.filter(archived_at__isnull=True).order_by("slug"):
        lessons = lessons_for_specs(
            Lesson.objects.filter(track=track, archived_at__isnull=True)
        ).order_by("position")
        by_module: dict[int, list[Lesson]] = {}
        for lesson in lessons:
            by_module.setdefault(lesson.module_id, []).append(lesson)
        modules = track.modules.current().order_by("position")
        specs.append(_track_spec(track, modules=modules, lessons=by_module))
    return specs


def lessons_for_specs(lessons):
    return lessons.select_related("quiz", "assignment").prefetch_related(
        "quiz__questions__choices", "assignment__rubric", "assignment__samples"
    )


def _track_spec(track: Track, *, modules, lessons: dict[int, list[Lesson]] | None = None):
    """`track` as a spec with `modules`, each with its `lessons` (by module id; none if None)."""
    return cf.TrackSpec(
        slug=track.slug,
        title=track.title,
        role=track.role.slug,
        summary=track.summary,
        level=track.level,
        published=track.is_published,
        position=track.position or None,
        validity_months=track.validity_months,
        modules=[
            cf.ModuleSpec(
                slug=module.slug,
                title=module.title,
                summary=module.summary,
                self_check=module.self_check,
                lessons=[lesson_spec(lesson) for lesson in (lessons or {}).get(module.pk, [])],
            )
            for module in modules
        ],
    )


def lesson_spec(lesson: Lesson) -> cf.LessonSpec:
    quiz = lesson.quiz if _has_child(lesson, "quiz") and lesson.quiz.archived_at is None else None
    assignment = (
        lesson.assignment
        if _has_child(lesson, "assignment") and lesson.assignment.archived_at is None
        else None
    )
    return cf.LessonSpec(
        slug=lesson.slug,
        title=lesson.title,
        minutes=lesson.minutes,
        body=lesson.body_markdown,
        platforms=list(lesson.platforms or []),
        last_reviewed=lesson.last_reviewed,
        facts_checked=lesson.facts_checked,
        quiz=cf.QuizSpec(
            pass_mark=quiz.pass_mark,
            max_attempts=quiz.max_attempts,
            retry_after_hours=quiz.retry_after_hours,
            draw=quiz.draw,
            review=quiz.review,
            questions=[
                cf.QuestionSpec(
                    prompt=q.prompt,
                    kind=q.kind,
                    explanation=q.explanation,
                    objective=q.objective,
                    section=q.section,
                    choices=[
                        cf.ChoiceSpec(text=c.text, correct=c.is_correct, feedback=c.feedback)
                        for c in q.choices.all()
                    ],
                )
                for q in quiz.questions.all()
            ],
        )
        if quiz
        else None,
        assignment=cf.AssignmentSpec(
            title=assignment.title,
            required=assignment.required,
            brief=assignment.brief_markdown,
            pass_points=assignment.pass_points,
            rubric=[
                cf.CriterionSpec(
                    criterion=c.criterion,
                    description=c.description,
                    points=c.points,
                    levels=[cf.LevelSpec(lv["points"], lv["description"]) for lv in c.levels],
                    must_pass=c.must_pass,
                    pass_at=c.pass_at,
                )
                for c in assignment.rubric.all()
            ],
            samples=[
                cf.SampleSpec(level=x.level, submission=x.submission, scores=x.scores, why=x.why)
                for x in assignment.samples.all()
            ],
        )
        if assignment
        else None,
    )


class _DryRunRollbackError(Exception):
    pass


def preview_import(specs: list[cf.TrackSpec], *, prefer_files: bool = False) -> ImportReport:
    """What `import_specs(specs)` would change, computed in a transaction that is rolled back."""
    report = ImportReport()
    try:
        with transaction.atomic():
            report = import_specs(specs, prefer_files=prefer_files)
            raise _DryRunRollbackError
    except _DryRunRollbackError:
        pass
    return report


# --------------------------------------------------------------------------------------------
# Authoring: publishing, duplicating, archiving, ordering


@dataclass(frozen=True)
class Problem:
    """Something that stops a track from being published, and the row to open to fix it."""

    message: str
    obj: models.Model

    def __str__(self) -> str:
        return self.message


def validate_track_for_publishing(track: Track) -> list[Problem]:
    """Every reason the track's current content is not fit for learners; [] when it is.

    Checks what learners would see (modules, lessons, quizzes and assignments that are not
    archived) with the same rules as the content-file validator, so a track that publishes
    also exports and re-imports. Runs a fixed number of queries (about seven).
    """
    problems: list[Problem] = []
    modules = list(track.modules.current().order_by("position", "pk"))
    if not modules:
        problems.append(Problem("The track has no modules.", track))
    lessons = (
        Lesson.objects.current()
        .filter(track=track)
        .select_related("quiz", "assignment")
        .prefetch_related("quiz__questions__choices", "assignment__rubric")
        .order_by("module__position", "position", "pk")
    )
    by_module: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        by_module.setdefault(lesson.module_id, []).append(lesson)
    for module in modules:
        module_lessons = by_module.get(module.pk, [])
        if not module_lessons:
            problems.append(Problem(f"Module “{module.title}” has no current lesson.", module))
        for lesson in module_lessons:
            problems += lesson_problems(lesson)
    return problems


def lesson_problems(lesson: Lesson) -> list[Problem]:
    problems = []
    if not lesson.body_markdown.strip():
        problems.append(Problem(f"Lesson “{lesson.title}” has no text.", lesson))
    quiz = lesson.active_quiz
    if quiz is not None:
        where = f"The quiz of “{lesson.title}”"
        if not 1 <= quiz.pass_mark <= 100:
            problems.append(
                Problem(f"{where} has pass mark {quiz.pass_mark}%; use 1 to 100.", quiz)
            )
        questions = list(quiz.questions.all())
        if not questions:
            problems.append(Problem(f"{where} has no questions.", quiz))
        for number, question in enumerate(questions, start=1):
            problems += _question_problems(question, f"{where}, question {number}")
    assignment = lesson.active_assignment
    if assignment is not None and assignment.required and not assignment.rubric.all():
        problems.append(
            Problem(
                f"The required assignment “{assignment.title}” of “{lesson.title}” has no "
                "rubric criteria.",
                assignment,
            )
        )
    return problems


def _question_problems(question: Question, where: str) -> list[Problem]:
    problems = []
    if not question.prompt.strip():
        problems.append(Problem(f"{where} has no prompt.", question))
    if not question.explanation.strip():
        problems.append(Problem(f"{where} has no explanation.", question))
    choices = list(question.choices.all())
    if len(choices) < 2:
        problems.append(Problem(f"{where} needs at least two choices.", question))
    correct = sum(choice.is_correct for choice in choices)
    if choices and correct == 0:
        problems.append(Problem(f"{where} has no correct choice.", question))
    elif question.kind == Question.Kind.SINGLE and correct > 1:
        problems.append(
            Problem(
                f"{where} is single choice but has {correct} correct choices.",
                question,
            )
        )
    for number, choice in enumerate(choices, start=1):
        if not choice.text.strip():
            problems.append(Problem(f"{where}, choice {number} has no text.", question))
        if not choice.feedback.strip():
            problems.append(Problem(f"{where}, choice {number} has no feedback.", question))
    return problems


def record_content_change(*, kind: str, item: models.Model, by=None) -> None:
    """An audit entry for content published, unpublished, archived, restored or imported by
    `by` (content is everyone's: the entry is for staff)."""
    audit.record(
        kind=kind,
        actor=by,
        target=f"{type(item)._meta.verbose_name.capitalize()} “{item}”",
        details={"id": item.pk},
    )


@transaction.atomic
def publish_track(*, track: Track, by=None) -> list[Problem]:
    """Publish the track if it passes validation; returns the problems (nothing saved if any)."""
    problems = validate_track_for_publishing(track)
    if track.archived_at is not None:
        problems.insert(0, Problem("The track is archived: restore it before publishing.", track))
    if not problems and not track.is_published:
        track.is_published = True
        track.save(update_fields=["is_published", "updated_at"])
        curriculum_changed(track_ids={track.pk})
        record_content_change(kind=audit.Kind.CONTENT_PUBLISHED, item=track, by=by)
    return problems


@transaction.atomic
def unpublish_track(*, track: Track, by=None) -> bool:
    """Make the track a draft again (learners' records stay); False when it already was one."""
    if not track.is_published:
        return False
    track.is_published = False
    track.save(update_fields=["is_published", "updated_at"])
    curriculum_changed(track_ids={track.pk})
    record_content_change(kind=audit.Kind.CONTENT_UNPUBLISHED, item=track, by=by)
    return True


def _free_track_slug(slug: str) -> str:
    max_length = Track._meta.get_field("slug").max_length
    base = f"{slug[: max_length - len('-copy-999')].rstrip('-')}-copy"
    taken = set(Track.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@transaction.atomic
def duplicate_track(*, track: Track) -> Track:
    """A draft deep copy of the track's current content under a new slug (`<slug>-copy`, ...).

    Goes through the same specs the export and import use, so the copy holds exactly what an
    export would: archived modules, lessons, quizzes and assignments are left behind.
    """
    if track.archived_at is not None:
        raise ValueError("archived tracks can't be duplicated; restore the track first")
    (spec,) = track_specs(Track.objects.filter(pk=track.pk))
    spec.slug = _free_track_slug(track.slug)
    spec.title = f"{track.title} (copy)"[: Track._meta.get_field("title").max_length]
    spec.published = False
    spec.position = track.position
    import_specs([spec])
    return Track.objects.get(slug=spec.slug)


ARCHIVABLE = (Track, Module, Lesson, Quiz, PracticeAssignment)


def is_live(lesson: Lesson) -> bool:
    """Learners can open the lesson: it isn't archived, and its module is live. (`live_lessons`
    is the same rule in SQL.)"""
    return lesson.archived_at is None and module_is_live(lesson.module)


def module_is_live(module: Module) -> bool:
    """Learners can open the module's lessons: it isn't archived, and its track is published
    and not archived."""
    return (
        module.archived_at is None
        and module.track.is_published
        and module.track.archived_at is None
    )


def live_lessons() -> models.Q:
    """`is_live` as a filter on lessons."""
    return models.Q(
        archived_at__isnull=True,
        module__archived_at__isnull=True,
        track__is_published=True,
        track__archived_at__isnull=True,
    )


class ContentProblemsError(Exception):
    """A change refused because it would show learners a lesson with these problems."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


@transaction.atomic
def archive_content(*, item: models.Model, by=None) -> bool:
    """Hide a track, module, lesson, quiz or assignment from learners; their records stay.

    Returns False when it was already archived.
    """
    if not isinstance(item, ARCHIVABLE):
        raise TypeError(f"{type(item).__name__} can't be archived")
    if item.archived_at is not None:
        return False
    item.archived_at = timezone.now()
    item.save(update_fields=["archived_at"])
    curriculum_changed(track_ids=curriculum_track_ids(model=type(item), pks=[item.pk]))
    record_content_change(kind=audit.Kind.CONTENT_ARCHIVED, item=item, by=by)
    return True


@transaction.atomic
def restore_content(*, item: models.Model, by=None) -> bool:
    """Undo `archive_content`; returns False when the item was not archived."""
    if not isinstance(item, ARCHIVABLE):
        raise TypeError(f"{type(item).__name__} can't be restored")
    if item.archived_at is None:
        return False
    item.archived_at = None
    item.save(update_fields=["archived_at"])
    # A lesson (or its quiz or assignment) coming back into a live track must be complete:
    # the same check as publishing a track.
    lesson = item if isinstance(item, Lesson) else getattr(item, "lesson", None)
    if lesson is not None:
        lesson = Lesson.objects.select_related("track", "module").get(pk=lesson.pk)
        problems = lesson_problems(lesson) if is_live(lesson) else []
        if problems:
            raise ContentProblemsError(problems)  # rolls the restore back
    curriculum_changed(track_ids=curriculum_track_ids(model=type(item), pks=[item.pk]))
    record_content_change(kind=audit.Kind.CONTENT_RESTORED, item=item, by=by)
    return True


# The models ordered by `position` inside a parent, and the field naming the parent.
POSITIONED_PARENTS = {
    Module: "track",
    Lesson: "module",
    Question: "quiz",
    Choice: "question",
    RubricCriterion: "assignment",
    AssignmentSample: "assignment",
}


def next_position(*, model: type[models.Model], parent: models.Model) -> int:
    """The position that puts a new child of `parent` last."""
    field_name = POSITIONED_PARENTS[model]
    highest = model.objects.filter(**{field_name: parent}).aggregate(models.Max("position"))
    return (highest["position__max"] or 0) + 1


@transaction.atomic
def move_items(*, items, direction: str) -> int:
    """Move each item one place up or down among its siblings; returns how many moved.

    Items chosen together move as a block; an item already first (up) or last (down) stays,
    and so do chosen items behind it. The siblings are renumbered 1..n, so positions that were
    equal or had gaps become an unambiguous order. One read and at most 2n updates per parent.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    groups: dict[tuple[type, int], set[int]] = {}
    for item in items:
        model = type(item)
        parent_id = getattr(item, f"{POSITIONED_PARENTS[model]}_id")
        groups.setdefault((model, parent_id), set()).add(item.pk)
    moved = 0
    touched: set[int] = set()
    for (model, parent_id), chosen in groups.items():
        field_name = POSITIONED_PARENTS[model]
        rows = list(
            model.objects.select_for_update()
            .filter(**{f"{field_name}_id": parent_id})
            .order_by("position", "pk")
            .values_list("pk", "position")
        )
        order = [pk for pk, _ in rows]
        indexes = range(1, len(order)) if direction == "up" else range(len(order) - 2, -1, -1)
        step = -1 if direction == "up" else 1
        for index in indexes:
            if order[index] in chosen and order[index + step] not in chosen:
                order[index], order[index + step] = order[index + step], order[index]
                moved += 1
        if _renumber(model, dict(rows), order):
            touched |= curriculum_track_ids(model=model, pks=chosen)
    curriculum_changed(track_ids=touched)
    return moved


def move_item(*, item: models.Model, direction: str) -> bool:
    """Move one item a place up or down among its siblings; False when it is already at the end."""
    return move_items(items=[item], direction=direction) == 1


def _renumber(model: type[models.Model], current: dict[int, int], order: list[int]) -> bool:
    """Give the rows positions 1..n in `order`; False when they already had them."""
    wanted = {pk: position for position, pk in enumerate(order, start=1)}
    changed = [pk for pk in order if current[pk] != wanted[pk]]
    if not changed:
        return False
    # Questions, choices and criteria have unique positions in their parent: park the changed
    # rows above every position in use first, so no intermediate state collides.
    parking = max([*current.values(), *wanted.values()]) + 1
    for offset, pk in enumerate(changed):
        model.objects.filter(pk=pk).update(position=parking + offset)
    for pk in changed:
        model.objects.filter(pk=pk).update(position=wanted[pk])
    return True


# --------------------------------------------------------------------------------------------
# Freshness


@transaction.atomic
def mark_lessons_changed(*, lessons, when=None) -> int:
    """Flag lessons as materially changed (now, unless `when` is given): learners taking the
    refresher of their track are asked to read them again. One UPDATE; returns the count."""
    lessons = list(lessons)
    count = Lesson.objects.filter(pk__in=[lesson.pk for lesson in lessons]).update(
        changed_at=when or timezone.now()
    )
    curriculum_changed(track_ids={lesson.track_id for lesson in lessons})
    return count
