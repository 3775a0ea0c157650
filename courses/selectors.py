"""Reads that serve the curriculum pages; each runs a fixed number of queries."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from . import page_cache, pages
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


@dataclass(frozen=True)
class OutlineLesson:
    id: int
    slug: str
    title: str
    minutes: int
    module_id: int
    number: int  # 1-based position in the whole track
    url: str


@dataclass(frozen=True)
class OutlineModule:
    id: int
    slug: str
    title: str
    summary: str
    lessons: tuple[OutlineLesson, ...]

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True)
class Outline:
    modules: tuple[OutlineModule, ...]
    lessons: tuple[OutlineLesson, ...]  # every module's, in order
    minutes: int


def track_outline(track) -> Outline:
    """Modules and their current lessons in order, as plain values, each lesson with its URL.

    Kept in memory per worker and curriculum version (`page_cache`): usually no query, one when
    the curriculum changed. Shared by every request: read-only.
    """
    return page_cache.get(("outline", track.pk), lambda: _build_outline(track))


def _build_outline(track) -> Outline:
    """One query. Modules come from the lessons' rows: a module without current lessons has
    nothing to show."""
    rows = (
        Lesson.objects.current()
        .filter(track_id=track.pk)
        .order_by("module__position", "position")
        .values_list(
            "id", "slug", "title", "minutes", "module_id",
            "module__slug", "module__title", "module__summary",
        )
    )  # fmt: skip
    heads: dict[int, list] = {}  # module id → slug, title, summary
    lessons_of: dict[int, list[OutlineLesson]] = {}
    for number, (pk, slug, title, minutes, module_id, *head) in enumerate(rows, start=1):
        url = pages.lesson_url(track.slug, slug)
        heads.setdefault(module_id, head)
        lessons_of.setdefault(module_id, []).append(
            OutlineLesson(pk, slug, title, minutes, module_id, number, url)
        )
    modules = tuple(
        OutlineModule(module_id, *heads[module_id], tuple(lessons))
        for module_id, lessons in lessons_of.items()
    )
    lessons = tuple(lesson for module in modules for lesson in module.lessons)
    return Outline(modules, lessons, sum(lesson.minutes for lesson in lessons))


def track_for_page(user, track_slug: str) -> Track:
    try:
        return visible_tracks(user).select_related("role").get(slug=track_slug)
    except Track.DoesNotExist:
        raise Http404("No such track") from None


def _lesson_query():
    """Current lessons with their track and role, quiz, assignment and number of quiz questions."""
    questions = (
        Question.objects.filter(quiz__lesson=OuterRef("pk"))
        .order_by()
        .values("quiz")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        Lesson.objects.current()
        .select_related("track__role", "quiz", "assignment")
        .annotate(question_count=Coalesce(Subquery(questions), 0))
    )


def lesson_for_page(user, track_slug: str, lesson_slug: str) -> Lesson:
    """The lesson with its track and role, quiz, assignment and number of quiz questions, in one
    query. Published tracks for everyone, drafts for staff (as `visible_tracks`)."""
    lessons = _lesson_query().filter(
        track__slug=track_slug, slug=lesson_slug, track__archived_at__isnull=True
    )
    if not (user.is_authenticated and user.is_staff):
        lessons = lessons.filter(track__is_published=True)
    try:
        return lessons.get()
    except Lesson.DoesNotExist:
        raise Http404("No such lesson") from None


# -- the lesson page ---------------------------------------------------------------------
# Plain values with the models' attribute names, so that the template reads them like models.


@dataclass(frozen=True)
class PageTrack:
    id: int
    slug: str
    title: str
    is_published: bool
    url: str

    @property
    def pk(self) -> int:
        return self.id

    def get_absolute_url(self) -> str:
        return self.url


def page_track(track: Track) -> PageTrack:
    return PageTrack(
        id=track.pk,
        slug=track.slug,
        title=track.title,
        is_published=track.is_published,
        url=track.get_absolute_url(),
    )


def tracks_by_id() -> dict[int, PageTrack]:
    """Every track, archived ones too, by id: for pages that know tracks only by id (the
    clearance levels). Kept in the worker's memory with the lesson pages, so no query."""
    return page_cache.get(
        ("tracks_by_id",), lambda: {track.pk: page_track(track) for track in Track.objects.all()}
    )


@dataclass(frozen=True)
class PageLesson:
    id: int
    track_id: int
    module_id: int
    slug: str
    title: str
    minutes: int
    body_html: str
    url: str
    quiz_url: str
    assignment_url: str
    complete_url: str

    @property
    def pk(self) -> int:
        return self.id

    def reference(self) -> Lesson:
        """A Lesson holding only its keys (the rest deferred), for writes that point at it."""
        return Lesson.from_db(
            None, ["id", "track_id", "module_id"], (self.id, self.track_id, self.module_id)
        )


@dataclass(frozen=True)
class PageQuiz:
    pass_mark: int
    max_attempts: int | None
    question_count: int


@dataclass(frozen=True)
class PageAssignment:
    title: str
    required: bool


@dataclass(frozen=True)
class LessonPage:
    """What the lesson page shows that is the same for every learner."""

    track: PageTrack
    lesson: PageLesson
    quiz: PageQuiz | None  # None when there is none or it is archived
    assignment: PageAssignment | None  # likewise
    outline: Outline
    module: OutlineModule
    number: int  # 1-based in the track
    previous: OutlineLesson | None
    next: OutlineLesson | None


def lesson_page(user, track_slug: str, lesson_slug: str) -> LessonPage:
    """The lesson page's shared data: published tracks for everyone, drafts for staff (as
    `lesson_for_page`); archived lessons, modules and tracks are 404.

    Kept in memory per worker and curriculum version (`page_cache`), drafts included: the
    published check is made here on every call, so a learner never gets a draft. Usually no
    query; at most two (lesson, outline) after the curriculum changed. Read-only.
    """
    page = page_cache.get(
        ("lesson", track_slug, lesson_slug), lambda: _load_lesson_page(track_slug, lesson_slug)
    )
    if page is None or not (page.track.is_published or (user.is_authenticated and user.is_staff)):
        raise Http404("No such lesson")
    return page


def _load_lesson_page(track_slug: str, lesson_slug: str) -> LessonPage | None:
    lesson = (
        _lesson_query()
        .filter(track__slug=track_slug, slug=lesson_slug, track__archived_at__isnull=True)
        .first()
    )
    if lesson is None:
        return None
    outline = track_outline(lesson.track)
    if all(item.id != lesson.pk for item in outline.lessons):
        # The remembered outline predates this lesson (written without a version bump, e.g.
        # from a shell): read it again rather than fail.
        outline = _build_outline(lesson.track)
    return _build_lesson_page(lesson, outline)


def lesson_preview_page(lesson_id: int) -> LessonPage | None:
    """The lesson page's data for the admin preview, whatever the track's state, straight from
    the database (never the page cache): None when the lesson or its module is archived. Two
    queries."""
    lesson = _lesson_query().filter(pk=lesson_id).first()
    return None if lesson is None else _build_lesson_page(lesson, _build_outline(lesson.track))


def _build_lesson_page(lesson: Lesson, outline: Outline) -> LessonPage:
    track = lesson.track
    slugs = (track.slug, lesson.slug)
    index = next(i for i, item in enumerate(outline.lessons) if item.id == lesson.pk)
    quiz = lesson.active_quiz
    assignment = lesson.active_assignment
    return LessonPage(
        track=page_track(track),
        lesson=PageLesson(
            id=lesson.pk,
            track_id=lesson.track_id,
            module_id=lesson.module_id,
            slug=lesson.slug,
            title=lesson.title,
            minutes=lesson.minutes,
            body_html=lesson.body_html,
            url=pages.lesson_url(*slugs),
            quiz_url=pages.lesson_url(*slugs, page="quiz"),
            assignment_url=pages.lesson_url(*slugs, page="assignment"),
            complete_url=pages.lesson_url(*slugs, page="complete_lesson"),
        ),
        quiz=None
        if quiz is None
        else PageQuiz(quiz.pass_mark, quiz.max_attempts, lesson.question_count),
        assignment=None
        if assignment is None
        else PageAssignment(assignment.title, assignment.required),
        outline=outline,
        module=next(m for m in outline.modules if m.id == lesson.module_id),
        number=index + 1,
        previous=outline.lessons[index - 1] if index > 0 else None,
        next=outline.lessons[index + 1] if index + 1 < len(outline.lessons) else None,
    )


# -- freshness ---------------------------------------------------------------------------


# Apps that keep a dated table of platform rules (the post studio's network table) register a
# function returning {platform name or slug: date its rules were last reviewed}; the freshness
# report reads them all without the curriculum knowing who keeps them.
_platform_review_sources: list[Callable[[], dict[str, date]]] = []


def register_platform_reviews(source: Callable[[], dict[str, date]]) -> None:
    if source not in _platform_review_sources:
        _platform_review_sources.append(source)


def platform_reviews() -> dict[str, date] | None:
    """Every registered platform's last review date; None when no table has one."""
    reviews: dict[str, date] = {}
    for source in _platform_review_sources:
        reviews.update(source())
    return reviews or None


@dataclass
class StaleLesson:
    lesson: Lesson
    reasons: list[str]


def stale_lessons(
    *,
    reviewed_before: date,
    platform_reviews: dict[str, date] | None = None,
    facts_checked_before: date | None = None,
) -> list[StaleLesson]:
    """Current lessons (of tracks not archived) that need an editor's look: never reviewed,
    last reviewed before `reviewed_before`, reviewed before the rules of a platform they
    cover last changed (`platform_reviews`: platform name, lowercased → date), or whose
    volatile facts were checked before `facts_checked_before` (or never). One query."""
    platform_reviews = {name.lower(): day for name, day in (platform_reviews or {}).items()}
    lessons = (
        Lesson.objects.current()
        .filter(track__archived_at__isnull=True)
        .select_related("track", "module")
        .only(
            "slug", "title", "platforms", "last_reviewed", "facts_checked", "changed_at", "position",
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
        if facts_checked_before is not None:
            checked = lesson.facts_checked
            if checked is None:
                reasons.append("facts never checked")
            elif checked < facts_checked_before:
                reasons.append(f"facts checked {checked.isoformat()}")
        if reasons:
            found.append(StaleLesson(lesson=lesson, reasons=reasons))
    return found
