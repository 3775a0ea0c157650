"""Reads that serve the curriculum pages; each runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from .models import Lesson, Question, Role, Track

CURRENT_LESSONS = Q(lessons__archived_at__isnull=True, lessons__module__archived_at__isnull=True)


def visible_tracks(user):
    """Published tracks for everyone; staff also see drafts (with a banner)."""
    tracks = Track.objects.filter(archived_at__isnull=True)
    if user.is_authenticated and user.is_staff:
        return tracks
    return tracks.filter(is_published=True)


@dataclass
class RoleSection:
    role: Role
    tracks: list[Track]


def catalogue_sections(user) -> list[RoleSection]:
    """Tracks grouped by role, with lesson counts and minutes. One query."""
    tracks = (
        visible_tracks(user)
        .select_related("role")
        .annotate(
            lesson_count=Count("lessons", filter=CURRENT_LESSONS),
            total_minutes=Sum("lessons__minutes", filter=CURRENT_LESSONS, default=0),
        )
        .order_by("role__position", "role__title", "position", "title")
    )
    sections: dict[int, RoleSection] = {}
    for track in tracks:
        sections.setdefault(track.role_id, RoleSection(role=track.role, tracks=[])).tracks.append(
            track
        )
    return list(sections.values())


@dataclass
class OutlineLesson:
    id: int
    slug: str
    title: str
    minutes: int
    module_id: int
    number: int  # 1-based position in the whole track


@dataclass
class OutlineModule:
    id: int
    slug: str
    title: str
    summary: str
    lessons: list[OutlineLesson]

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass
class Outline:
    modules: list[OutlineModule]

    @property
    def lessons(self) -> list[OutlineLesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def minutes(self) -> int:
        return sum(module.minutes for module in self.modules)


def track_outline(track: Track) -> Outline:
    """Modules and their current lessons in order, as plain values. One query.

    Modules come from the lessons' rows: a module without current lessons has nothing to show.
    """
    rows = (
        Lesson.objects.current()
        .filter(track=track)
        .order_by("module__position", "position")
        .values_list(
            "id", "slug", "title", "minutes", "module_id",
            "module__slug", "module__title", "module__summary",
        )
    )  # fmt: skip
    modules: dict[int, OutlineModule] = {}
    for number, row in enumerate(rows, start=1):
        pk, slug, title, minutes, module_id, module_slug, module_title, module_summary = row
        module = modules.get(module_id)
        if module is None:
            module = modules[module_id] = OutlineModule(
                id=module_id,
                slug=module_slug,
                title=module_title,
                summary=module_summary,
                lessons=[],
            )
        module.lessons.append(OutlineLesson(pk, slug, title, minutes, module_id, number))
    return Outline(modules=list(modules.values()))


def track_for_page(user, track_slug: str) -> Track:
    try:
        return visible_tracks(user).select_related("role").get(slug=track_slug)
    except Track.DoesNotExist:
        raise Http404("No such track") from None


def lesson_for_page(user, track: Track, lesson_slug: str) -> Lesson:
    """The lesson with its quiz, assignment and number of quiz questions, in one query."""
    questions = (
        Question.objects.filter(quiz__lesson=OuterRef("pk"))
        .order_by()
        .values("quiz")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    try:
        return (
            Lesson.objects.current()
            .select_related("quiz", "assignment")
            .annotate(question_count=Coalesce(Subquery(questions), 0))
            .get(track=track, slug=lesson_slug)
        )
    except Lesson.DoesNotExist:
        raise Http404("No such lesson") from None


# -- freshness ---------------------------------------------------------------------------


@dataclass
class StaleLesson:
    lesson: Lesson
    reasons: list[str]


def stale_lessons(
    *, reviewed_before: date, platform_reviews: dict[str, date] | None = None
) -> list[StaleLesson]:
    """Current lessons (of tracks not archived) that need an editor's look: never reviewed,
    last reviewed before `reviewed_before`, or reviewed before the rules of a platform they
    cover last changed (`platform_reviews`: platform name, lowercased → date). One query."""
    platform_reviews = {name.lower(): day for name, day in (platform_reviews or {}).items()}
    lessons = (
        Lesson.objects.current()
        .filter(track__archived_at__isnull=True)
        .select_related("track", "module")
        .only(
            "slug", "title", "platforms", "last_reviewed", "changed_at", "position",
            "track__slug", "track__title", "track__is_published", "module__title",
            "module__position",
        )
        .order_by("track__title", "module__position", "position", "pk")
    )  # fmt: skip
    found = []
    for lesson in lessons:
        reasons = []
        reviewed = lesson.last_reviewed
        if reviewed is None:
            reasons.append("never reviewed")
        elif reviewed < reviewed_before:
            reasons.append(f"last reviewed {reviewed.isoformat()}")
        for platform in lesson.platforms or []:
            changed = platform_reviews.get(str(platform).lower())
            if changed is not None and (reviewed is None or reviewed < changed):
                reasons.append(f"{platform} rules reviewed {changed.isoformat()}, after the lesson")
        if reasons:
            found.append(StaleLesson(lesson=lesson, reasons=reasons))
    return found
