"""Writes to the curriculum: importing specs from content files, archiving, exporting.

Importing matches rows by slug (tracks, modules, lessons) or by position inside their parent
(questions, choices, rubric criteria) and updates them in place, so primary keys, and with them
every learner's progress, survive edits and re-imports. A row is saved only when a field changed.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone

from . import content_files as cf
from .models import (
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


@transaction.atomic
def import_specs(specs: list[cf.TrackSpec]) -> ImportReport:
    """Create or update the tracks in `specs`; idempotent. Tracks not in `specs` are untouched."""
    report = ImportReport()
    roles = {role.slug: role for role in Role.objects.all()}
    now = timezone.now()
    for spec in specs:
        _import_track(spec, roles, report, now)
        report.tracks.append(spec.slug)
    return report


def _import_track(spec: cf.TrackSpec, roles: dict, report: ImportReport, now) -> None:
    track = Track.objects.filter(slug=spec.slug).first() or Track(slug=spec.slug)
    changed = _assign(
        track,
        title=spec.title,
        role=roles[spec.role],
        summary=spec.summary,
        level=spec.level,
        is_published=spec.published,
        archived_at=None,
    )
    if spec.position is not None:
        changed |= _assign(track, position=spec.position)
    _save(track, "track", report, changed)

    modules = {module.slug: module for module in track.modules.all()}
    lessons = {lesson.slug: lesson for lesson in track.lessons.select_related("quiz", "assignment")}
    kept_lessons: set[str] = set()
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
            lesson = lessons.get(l_spec.slug) or Lesson(track=track, slug=l_spec.slug)
            kept_lessons.add(l_spec.slug)
            changed = _assign(
                lesson,
                module=module,
                title=l_spec.title,
                position=l_position,
                minutes=l_spec.minutes,
                body_markdown=l_spec.body,
                platforms=l_spec.platforms,
                last_reviewed=l_spec.last_reviewed,
                archived_at=None,
            )
            _save(lesson, "lesson", report, changed)
            _import_quiz(lesson, l_spec.quiz, report, now)
            _import_assignment(lesson, l_spec.assignment, report, now)

    for slug, lesson in lessons.items():
        if slug not in kept_lessons:
            _retire_lesson(lesson, report, now)
    for module in modules.values():
        _retire_module(module, report, now)


def _retire_lesson(lesson: Lesson, report: ImportReport, now) -> None:
    if lesson_has_learner_records(lesson):
        if lesson.archived_at is None:
            lesson.archived_at = now
            lesson.save(update_fields=["archived_at"])
            report.record("lesson", "archived")
    else:
        lesson.delete()
        report.record("lesson", "deleted")


def _retire_module(module: Module, report: ImportReport, now) -> None:
    if module.lessons.exists():  # lessons kept because learners have records, now archived
        if module.archived_at is None:
            module.archived_at = now
            module.save(update_fields=["archived_at"])
            report.record("module", "archived")
    else:
        module.delete()
        report.record("module", "deleted")


def _import_quiz(lesson: Lesson, spec: cf.QuizSpec | None, report: ImportReport, now) -> None:
    quiz = lesson.quiz if _has_child(lesson, "quiz") else None
    if spec is None:
        if quiz is not None:
            if has_learner_records(quiz):
                if quiz.archived_at is None:
                    quiz.archived_at = now
                    quiz.save(update_fields=["archived_at"])
                    report.record("quiz", "archived")
            else:
                quiz.delete()
                report.record("quiz", "deleted")
        return
    quiz = quiz or Quiz(lesson=lesson)
    changed = _assign(
        quiz, pass_mark=spec.pass_mark, max_attempts=spec.max_attempts, archived_at=None
    )
    _save(quiz, "quiz", report, changed)
    questions = {q.position: q for q in quiz.questions.prefetch_related("choices")}
    for position, q_spec in enumerate(spec.questions, start=1):
        question = questions.pop(position, None) or Question(quiz=quiz, position=position)
        changed = _assign(
            question, prompt=q_spec.prompt, kind=q_spec.kind, explanation=q_spec.explanation
        )
        _save(question, "question", report, changed)
        choices = {c.position: c for c in question.choices.all()} if question.pk else {}
        for c_position, c_spec in enumerate(q_spec.choices, start=1):
            choice = choices.pop(c_position, None) or Choice(question=question, position=c_position)
            changed = _assign(
                choice, text=c_spec.text, is_correct=c_spec.correct, feedback=c_spec.feedback
            )
            _save(choice, "choice", report, changed)
        for choice in choices.values():
            choice.delete()
            report.record("choice", "deleted")
    # Attempts keep a copy of what was asked and answered, so removed questions can go.
    for question in questions.values():
        question.delete()
        report.record("question", "deleted")


def _import_assignment(
    lesson: Lesson, spec: cf.AssignmentSpec | None, report: ImportReport, now
) -> None:
    assignment = lesson.assignment if _has_child(lesson, "assignment") else None
    if spec is None:
        if assignment is not None:
            if has_learner_records(assignment):
                if assignment.archived_at is None:
                    assignment.archived_at = now
                    assignment.save(update_fields=["archived_at"])
                    report.record("assignment", "archived")
            else:
                assignment.delete()
                report.record("assignment", "deleted")
        return
    assignment = assignment or PracticeAssignment(lesson=lesson)
    changed = _assign(
        assignment,
        title=spec.title,
        required=spec.required,
        brief_markdown=spec.brief,
        archived_at=None,
    )
    _save(assignment, "assignment", report, changed)
    criteria = {c.position: c for c in assignment.rubric.all()}
    for position, c_spec in enumerate(spec.rubric, start=1):
        criterion = criteria.pop(position, None) or RubricCriterion(
            assignment=assignment, position=position
        )
        changed = _assign(
            criterion,
            criterion=c_spec.criterion,
            description=c_spec.description,
            points=c_spec.points,
        )
        _save(criterion, "criterion", report, changed)
    for criterion in criteria.values():
        criterion.delete()
        report.record("criterion", "deleted")


def track_specs(tracks=None) -> list[cf.TrackSpec]:
    """The current (non-archived) content of `tracks` (default: all) as specs, for export."""
    queryset = (tracks if tracks is not None else Track.objects.all()).select_related("role")
    specs = []
    for track in queryset.filter(archived_at__isnull=True).order_by("slug"):
        spec = cf.TrackSpec(
            slug=track.slug,
            title=track.title,
            role=track.role.slug,
            summary=track.summary,
            level=track.level,
            published=track.is_published,
            position=track.position or None,
        )
        lessons = (
            Lesson.objects.filter(track=track, archived_at__isnull=True)
            .select_related("quiz", "assignment")
            .prefetch_related("quiz__questions__choices", "assignment__rubric")
            .order_by("position")
        )
        by_module: dict[int, list[Lesson]] = {}
        for lesson in lessons:
            by_module.setdefault(lesson.module_id, []).append(lesson)
        for module in track.modules.current().order_by("position"):
            spec.modules.append(
                cf.ModuleSpec(
                    slug=module.slug,
                    title=module.title,
                    summary=module.summary,
                    self_check=module.self_check,
                    lessons=[_lesson_spec(lesson) for lesson in by_module.get(module.pk, [])],
                )
            )
        specs.append(spec)
    return specs


def _lesson_spec(lesson: Lesson) -> cf.LessonSpec:
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
        quiz=cf.QuizSpec(
            pass_mark=quiz.pass_mark,
            max_attempts=quiz.max_attempts,
            questions=[
                cf.QuestionSpec(
                    prompt=q.prompt,
                    kind=q.kind,
                    explanation=q.explanation,
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
            rubric=[
                cf.CriterionSpec(criterion=c.criterion, description=c.description, points=c.points)
                for c in assignment.rubric.all()
            ],
        )
        if assignment
        else None,
    )
