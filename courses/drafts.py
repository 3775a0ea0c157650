"""Drafts of live lessons: learners keep the published version until an author publishes.

A lesson is *live* when learners can open it (`services.is_live`). The admin shows live content
read-only; an author edits
a draft instead, as the text of the lesson's content file (content/FORMAT.md: front matter
with the quiz and the assignment, then the Markdown), which holds the lesson, its quiz and its
assignment in one place. Publishing reads the draft with the same reader and rules as
`import_content`, writes it onto the lesson's rows in place (as an import does: ids, and with
them learners' progress and attempts, survive) and refuses it while the publish check
(`services.validate_track_for_publishing`) finds a problem in the lesson. Each published draft
stays as a revision: who, when, whether it was a change in substance; any of them can be made
the draft again ("revert to this").
"""

import difflib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from audit import services as audit

from . import content_files as cf
from . import services
from .models import Lesson, LessonRevision, Module, PracticeAssignment, Question, Quiz, Track
from .services import is_live  # noqa: F401 - part of this module's vocabulary

DRAFT_NAME = Path("draft")  # how errors name the draft: "draft:12: ..."


class DraftError(Exception):
    """The draft can't be published; `problems` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def lesson_of(item) -> Lesson | None:
    """The lesson a piece of content belongs to (a lesson, quiz, question, choice, assignment,
    criterion or sample), or None for a track or module."""
    if isinstance(item, Lesson):
        return item
    if isinstance(item, (Track, Module)):
        return None
    if isinstance(item, (Quiz, PracticeAssignment)):
        return item.lesson
    if isinstance(item, Question):
        return item.quiz.lesson
    for parent in ("question", "assignment"):  # a choice; a rubric criterion or a sample
        if hasattr(item, f"{parent}_id"):
            return lesson_of(getattr(item, parent))
    return None


def published_text(lesson: Lesson) -> str:
    """What learners see now, as the text of the lesson's content file."""
    (row,) = services.lessons_for_specs(Lesson.objects.filter(pk=lesson.pk))
    return cf.lesson_file(services.lesson_spec(row))


def draft_of(lesson: Lesson) -> LessonRevision | None:
    return lesson.revisions.filter(published_at__isnull=True).first()


def history(lesson: Lesson) -> list[LessonRevision]:
    """The published revisions, newest first."""
    return list(
        lesson.revisions.filter(published_at__isnull=False)
        .select_related("created_by", "published_by")
        .order_by("-published_at", "-pk")
    )


def read(text: str, lesson: Lesson) -> tuple[cf.LessonSpec | None, list[str]]:
    """The draft as a spec and its problems as "draft:LINE: message" lines."""
    errors: list[cf.ContentError] = []
    spec = cf.read_lesson_text(text, lesson.slug, errors, path=DRAFT_NAME)
    return (None if errors else spec), [str(error) for error in errors]


def save_draft(lesson: Lesson, text: str, *, by) -> tuple[LessonRevision, list[str]]:
    """Keep `text` as the lesson's draft (always: an author never loses what they typed) and
    say what would stop it from being published."""
    text = text.replace("\r\n", "\n")
    draft = draft_of(lesson) or LessonRevision(lesson=lesson)
    draft.text = text
    draft.created_by = draft.created_by or by
    draft.save()
    _, problems = read(text, lesson)
    return draft, problems


def discard_draft(lesson: Lesson) -> bool:
    deleted, _ = lesson.revisions.filter(published_at__isnull=True).delete()
    return bool(deleted)


def revert_to(revision: LessonRevision, *, by) -> LessonRevision:
    """Make an earlier published version the draft (publishing it is a separate step)."""
    draft, _ = save_draft(revision.lesson, revision.text, by=by)
    return draft


@transaction.atomic
def publish_draft(lesson: Lesson, *, by, material: bool = False) -> LessonRevision:
    """Write the draft onto the lesson for learners, or raise DraftError and change nothing."""
    lesson = Lesson.objects.select_for_update().select_related("track", "module").get(pk=lesson.pk)
    draft = draft_of(lesson)
    if draft is None:
        raise DraftError(["There is no draft to publish."])
    spec, problems = read(draft.text, lesson)
    if spec is None:
        raise DraftError(problems)
    if not history(lesson):
        # The version learners had before the first draft, kept so it can be reverted to.
        LessonRevision.objects.create(
            lesson=lesson, text=published_text(lesson), published_at=lesson.updated_at
        )
    now = timezone.now()
    with transaction.atomic():  # undone on its own when the publish check refuses the result
        services.write_lesson(lesson, spec, now=now)
        lesson.refresh_from_db()
        problems = [problem.message for problem in services.lesson_problems(lesson)]
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise DraftError(problems)
    draft.published_at, draft.published_by, draft.material = now, by, material
    draft.save()
    services.record_content_change(kind=audit.Kind.CONTENT_PUBLISHED, item=lesson, by=by)
    if material:
        services.mark_lessons_changed(lessons=[lesson], when=now)
    services.curriculum_changed(track_ids={lesson.track_id})
    return draft


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same" or "gap"
    text: str


def diff(before: str, after: str, *, context: int = 3) -> list[DiffLine]:
    """A readable line diff of two versions (unchanged stretches shortened to `context`)."""
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [DiffLine("same", text) for text in matcher.a[a1:a2]]
                continue
            lines += [DiffLine("removed", text) for text in matcher.a[a1:a2]]
            lines += [DiffLine("added", text) for text in matcher.b[b1:b2]]
    return lines
