"""The learner's pages of the curriculum, served by the app above that records progress.

The track and lesson pages live in `progress` (reading a lesson marks where the learner is), but
the curriculum links to them (the outline, a lesson's URL, the admin's "view on site") and the
admin previews a lesson exactly as a learner sees it. `courses` must not import the app above
it, so that app registers its pages here when it starts (`progress.apps`), and `courses` asks
for them by purpose.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


@dataclass(frozen=True)
class LearnerPages:
    track: str  # URL name, kwargs track_slug
    lesson: str  # URL names, kwargs track_slug and lesson_slug
    quiz: str
    assignment: str
    complete_lesson: str
    lesson_template: str
    # (request, courses.selectors.LessonPage, *, preview: bool) -> the lesson template's context
    lesson_context: Callable[..., dict]


_registered: list[LearnerPages] = []


def register(pages: LearnerPages) -> None:
    _registered[:] = [pages]


def learner_pages() -> LearnerPages:
    if not _registered:
        raise ImproperlyConfigured(
            "No app serves the learner's track and lesson pages: install 'progress'."
        )
    return _registered[0]


def track_url(track_slug: str) -> str:
    return reverse(learner_pages().track, kwargs={"track_slug": track_slug})


def lesson_url(track_slug: str, lesson_slug: str, page: str = "lesson") -> str:
    """The lesson page, or its `quiz`, `assignment` or `complete_lesson` page."""
    name = getattr(learner_pages(), page)
    return reverse(name, kwargs={"track_slug": track_slug, "lesson_slug": lesson_slug})
