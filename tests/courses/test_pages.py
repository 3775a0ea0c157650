"""Catalogue, track and lesson pages."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def lesson_url(track_slug: str, lesson_slug: str) -> str:
    return reverse("progress:lesson", args=[track_slug, lesson_slug])


def test_catalogue_groups_tracks_by_role_for_anonymous_visitors(client):
    factories.make_track(slug="newbie-track", modules=2, lessons_per_module=3)
    factories.make_track(slug="exec-track", role_slug="executive", modules=1, lessons_per_module=2)
    factories.make_track(slug="hidden-draft", published=False)

    response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Which track is for me?" in body
    assert "For the newcomer" in body
    assert "For the executive" in body
    assert "Track newbie-track" in body
    assert "6 lessons" in body
    assert "about 30 min" in body
    assert "hidden-draft" not in body


def test_track_outline_lists_modules_and_lessons_in_order(client):
    track = factories.make_track(modules=2, lessons_per_module=2)

    response = client.get(track.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    positions = [body.index(f"Lesson {m}.{n}") for m in (1, 2) for n in (1, 2)]
    assert positions == sorted(positions)
    assert "Module 1" in body
    assert "Start with lesson 1" in body
    assert "about 20 minutes" in body


def test_lesson_needs_an_account_and_returns_after_login(client):
    track = factories.make_track()
    url = lesson_url(track.slug, "lesson-1-1")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_lesson_page_renders_stored_html_with_navigation(client, learner):
    track = factories.make_track(modules=2, lessons_per_module=2)
    client.force_login(learner)

    response = client.get(lesson_url(track.slug, "lesson-1-2"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<em>text</em>" in body
    assert 'aria-label="Breadcrumb"' in body
    assert 'rel="prev"' in body
    assert lesson_url(track.slug, "lesson-1-1") in body
    assert 'rel="next"' in body
    assert lesson_url(track.slug, "lesson-2-1") in body
    assert "Lesson 2 of 4" in body


@pytest.mark.parametrize(
    "path",
    [
        "/tracks/no-such-track/",
        "/tracks/test-track/no-such-lesson/",
        "/tracks/draft-track/lesson-1-1/",
    ],
)
def test_unknown_or_unpublished_content_is_404(client, learner, path):
    factories.make_track()
    factories.make_track(slug="draft-track", published=False)
    client.force_login(learner)
    response = client.get(path)
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_unpublished_track_outline_is_404_for_anonymous(client):
    factories.make_track(slug="draft-track", published=False)
    assert client.get("/tracks/draft-track/").status_code == 404


def test_staff_can_read_a_draft_with_a_banner(client, staff_user):
    factories.make_track(slug="draft-track", published=False)
    client.force_login(staff_user)
    response = client.get(lesson_url("draft-track", "lesson-1-1"))
    assert response.status_code == 200
    assert "Draft — visible to admins only" in response.content.decode()


def test_archived_lesson_is_404(client, learner):
    from django.utils import timezone

    track = factories.make_track()
    track.lessons.filter(slug="lesson-1-1").update(archived_at=timezone.now())
    client.force_login(learner)
    assert client.get(lesson_url(track.slug, "lesson-1-1")).status_code == 404
    assert "lesson-1-1" not in client.get(track.get_absolute_url()).content.decode()


# -- query budgets: pages must not run a query per lesson --------------------------------


def count_queries(client, url, django_assert_max_num_queries, budget):
    client.get(url)  # warm up (session, site)
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["catalogue", "track", "lesson"])
def test_queries_do_not_grow_with_lessons(client, learner, django_assert_max_num_queries, page):
    client.force_login(learner)
    counts = []
    for slug, modules in (("small", 1), ("large", 4)):
        factories.make_track(slug=slug, modules=modules, lessons_per_module=10)
        url = {
            "catalogue": "/",
            "track": f"/tracks/{slug}/",
            "lesson": lesson_url(slug, "lesson-1-2"),
        }[page]
        # (the session is in the cache after the warm-up)
        # catalogue: user + tracks with counts = 2
        # track: user + track + completions + enrolment + placement skims = 5 (the outline
        #   is kept in memory after the warm-up)
        # lesson: user + enrolment + completions = 3 (the lesson and outline are kept in
        #   memory; see test_lesson_cache for the count after an edit)
        counts.append(count_queries(client, url, django_assert_max_num_queries, 6))
    assert counts[0] == counts[1], counts
