from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


def catalogue(request):
    return render(
        request,
        "courses/catalogue.html",
        {"sections": selectors.catalogue_sections(request.user)},
    )


def track_detail(request, track_slug: str):
    track = selectors.track_for_page(request.user, track_slug)
    outline = selectors.track_outline(track)
    return render(request, "courses/track_detail.html", {"track": track, "outline": outline})


@login_required
def lesson_detail(request, track_slug: str, lesson_slug: str):
    track = selectors.track_for_page(request.user, track_slug)
    lesson = selectors.lesson_for_page(request.user, track, lesson_slug)
    outline = selectors.track_outline(track)
    lessons = outline.lessons
    index = next(i for i, item in enumerate(lessons) if item.slug == lesson.slug)
    module = next(m for m in outline.modules if m.id == lesson.module_id)
    return render(
        request,
        "courses/lesson_detail.html",
        {
            "track": track,
            "lesson": lesson,
            "module": module,
            "outline": outline,
            "number": index + 1,
            "previous": lessons[index - 1] if index > 0 else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        },
    )
