"""Parts that the apps above add to the learner's pages, registered when they start.

`/me/` and the submission page belong to `progress`, but some of what they show belongs to an app
that depends on `progress` (governance: the policy to acknowledge, clearance held, "use as our
policy draft"). `progress` must not import those apps, so they register a part here (a template
to include, the function that builds its context, and whether it has anything to show) and the
page includes the parts it is given, in the order they were registered.
"""

from collections.abc import Callable
from dataclasses import dataclass

PAGES = ("me", "submission")


@dataclass(frozen=True)
class PagePart:
    template: str
    # Called with the page's keyword arguments (me: user, now, and the certificates and latest
    # submissions the page read; submission: user, submission).
    context: Callable[..., dict]
    shows: Callable[[dict], bool] = bool


_parts: dict[str, list[PagePart]] = {page: [] for page in PAGES}


def register(page: str, part: PagePart) -> None:
    if part not in _parts[page]:
        _parts[page].append(part)


def parts(page: str, **kwargs) -> tuple[list[str], dict]:
    """The templates to include on `page` (only the parts with something to show) and the
    context they need, merged."""
    templates, context = [], {}
    for part in _parts[page]:
        extra = part.context(**kwargs)
        context.update(extra)
        if part.shows(extra):
            templates.append(part.template)
    return templates, context


# -- the one review inbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSource:
    """Work that an app above asks a person to review (practice: posts), shown in the review
    inbox (/team/reviews/) beside the assignments and counted with them."""

    template: str  # the inbox's section, given `section` (teams.dashboards.ReviewSection)
    # (user) -> what waits for their review, oldest first: a queryset or anything sliceable
    # with count_up_to(limit) (core.pagination), so the inbox reads only the oldest and counts a little
    items: Callable
    waiting: Callable  # (user) -> the same as a queryset, for counting with the others


_review_sources: list[ReviewSource] = []


def register_review_source(source: ReviewSource) -> None:
    if source not in _review_sources:
        _review_sources.append(source)


def review_sources() -> list[ReviewSource]:
    return list(_review_sources)
