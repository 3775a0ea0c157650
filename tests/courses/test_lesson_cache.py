"""The lesson page's shared data, kept in each worker's memory (courses.page_cache).

Every write path of the curriculum must show on the next page view, drafts must never reach
learners, and a warm page must not read the curriculum tables at all.
"""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import drafts, page_cache, services, signals
from courses.models import Lesson, Role, Track
from tests import factories
from tests.courses.test_admin import lesson_body, submit_change_form

pytestmark = pytest.mark.django_db


def lesson_url(track_slug: str, lesson_slug: str) -> str:
    return reverse("progress:lesson", args=[track_slug, lesson_slug])


def view(client, track_slug: str, lesson_slug: str):
    return client.get(lesson_url(track_slug, lesson_slug))


def text(client, track_slug: str, lesson_slug: str) -> str:
    response = view(client, track_slug, lesson_slug)
    assert response.status_code == 200
    return response.content.decode()


def module_nav(html: str) -> list[str]:
    """The lesson titles of the side navigation, in order."""
    aside = re.search(r'<aside class="module-nav".*?</aside>', html, re.S).group(0)
    return re.findall(r"<li><a [^>]*>(?:<span[^>]*>Done: </span>✓ )?([^<]+)</a></li>", aside)


@pytest.fixture
def track() -> Track:
    """Two modules of three lessons; lesson 1.2 has a quiz, lesson 1.3 an assignment."""
    track = factories.make_track(modules=2, lessons_per_module=3)
    factories.add_quiz(track.lessons.get(slug="lesson-1-2"))
    factories.add_rubric(factories.add_assignment(track.lessons.get(slug="lesson-1-3")))
    return track


@pytest.fixture
def reader(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def author(staff_user):
    from django.test import Client

    author = Client()
    author.force_login(staff_user)
    return author


@pytest.fixture
def sent():
    """The `track_ids` of every `curriculum_changed` signal sent during the test."""
    calls: list[frozenset] = []

    def receiver(sender, track_ids, **kwargs):
        assert sender is Track
        calls.append(track_ids)

    signals.curriculum_changed.connect(receiver)
    yield calls
    signals.curriculum_changed.disconnect(receiver)


# -- cost ------------------------------------------------------------------------------------------


def test_lesson_page_queries_are_few_and_do_not_grow_with_lessons(
    client, learner, django_assert_num_queries
):
    client.force_login(learner)
    for slug, modules in (("small", 1), ("large", 10)):  # 10 and 100 lessons
        factories.make_track(slug=slug, modules=modules, lessons_per_module=10)
        url = lesson_url(slug, "lesson-1-2")
        client.get(url)  # enrols the learner; this process now keeps the page
        # user + enrolment (last lesson, last activity) + completions = 3; reloading the
        # lesson within five minutes writes nothing
        with django_assert_num_queries(3):
            assert client.get(url).status_code == 200
        page_cache.bump()  # as after an edit
        # the same + lesson (with track, role, quiz, assignment, question count) + outline = 5
        with django_assert_num_queries(5):
            assert client.get(url).status_code == 200


def test_a_warm_lesson_page_reads_no_curriculum_table(reader, track):
    view(reader, track.slug, "lesson-1-2")

    with CaptureQueriesContext(connection) as queries:
        assert view(reader, track.slug, "lesson-1-2").status_code == 200

    # completions join courses_lesson to filter by track; nothing is read from the curriculum
    assert not [q["sql"] for q in queries if 'FROM "courses_' in q["sql"]]


def test_the_cached_page_shows_what_the_database_holds(reader, track):
    first = text(reader, track.slug, "lesson-1-2")
    again = text(reader, track.slug, "lesson-1-2")

    lesson = track.lessons.get(slug="lesson-1-2")
    assert lesson_body(again) == lesson_body(first) == lesson.body_html
    assert "1 questions · pass mark 50%" in again
    assert "Lesson 2 of 6" in again
    assert module_nav(again) == ["Lesson 1.1", "Lesson 1.2", "Lesson 1.3"]
    assert f'href="{lesson_url(track.slug, "lesson-1-3")}" rel="next"' in again
    assert f'href="{reverse("progress:quiz", args=[track.slug, "lesson-1-2"])}"' in again


# -- drafts ----------------------------------------------------------------------------------------


def test_a_draft_kept_for_staff_is_never_shown_to_a_learner(client, author, learner):
    factories.make_track(slug="draft", published=False)
    assert "Draft — visible to admins only" in text(author, "draft", "lesson-1-1")

    client.force_login(learner)
    assert view(client, "draft", "lesson-1-1").status_code == 404
    client.logout()
    assert view(client, "draft", "lesson-1-1").status_code == 302  # to the login page


def test_unpublishing_a_viewed_track_hides_its_lessons_at_once(reader, author, track):
    text(reader, track.slug, "lesson-1-1")
    text(author, track.slug, "lesson-1-1")

    services.unpublish_track(track=track)

    assert view(reader, track.slug, "lesson-1-1").status_code == 404
    assert "Draft — visible to admins only" in text(author, track.slug, "lesson-1-1")


def test_the_preview_reads_the_database_and_keeps_nothing_for_learners(author, reader):
    draft = factories.make_track(slug="draft", published=False)
    lesson = draft.lessons.get(slug="lesson-1-1")
    text(author, "draft", "lesson-1-1")  # staff's learner page: kept in memory
    # A write that bypasses the services (no version bump): the preview still shows it.
    Lesson.objects.filter(pk=lesson.pk).update(title="Edited in a shell")

    preview = author.get(reverse("admin:courses_lesson_preview", args=[lesson.pk]))

    assert "Edited in a shell" in preview.content.decode()
    assert view(reader, "draft", "lesson-1-1").status_code == 404


# -- invalidation: the version is shared, entries expire -------------------------------------------


def test_a_bump_from_another_worker_reaches_this_one(reader, track):
    text(reader, track.slug, "lesson-1-1")
    Lesson.objects.filter(track=track, slug="lesson-1-1").update(title="Renamed elsewhere")

    cache.set(page_cache.VERSION_KEY, "set-by-another-worker")  # what its bump() does

    assert "Renamed elsewhere" in text(reader, track.slug, "lesson-1-1")


def test_a_flushed_cache_starts_a_new_version(reader, track):
    text(reader, track.slug, "lesson-1-1")
    Lesson.objects.filter(track=track, slug="lesson-1-1").update(title="Renamed")

    cache.clear()  # Redis restarted or evicted the version

    assert "Renamed" in text(reader, track.slug, "lesson-1-1")


def test_kept_pages_expire_after_max_age(reader, track, monkeypatch):
    text(reader, track.slug, "lesson-1-1")
    Lesson.objects.filter(track=track, slug="lesson-1-1").update(title="Renamed in a shell")
    now = page_cache.time.monotonic()

    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now + page_cache.MAX_AGE)

    assert "Renamed in a shell" in text(reader, track.slug, "lesson-1-1")


def test_curriculum_changed_bumps_now_and_again_on_commit(django_capture_on_commit_callbacks):
    before = page_cache.version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.curriculum_changed(track_ids={1})
        during = page_cache.version()

    assert len(callbacks) == 1
    assert len({before, during, page_cache.version()}) == 3


def test_curriculum_changed_with_no_track_does_nothing(sent):
    before = page_cache.version()

    services.curriculum_changed(track_ids=[])

    assert page_cache.version() == before
    assert sent == []


# -- every write path of the services shows on the next view ---------------------------------------


def test_import_shows_new_text_and_an_unchanged_import_signals_nothing(reader, track, sent):
    text(reader, track.slug, "lesson-1-1")
    (spec,) = services.track_specs(Track.objects.filter(pk=track.pk))
    spec.modules[0].lessons[0].body = "## Fresh\n\nWords written today."

    services.import_specs([spec])

    assert "Words written today." in text(reader, track.slug, "lesson-1-1")
    assert sent == [{track.pk}]
    services.import_specs([spec])
    assert sent == [{track.pk}]


def test_an_import_preview_is_rolled_back_and_keeps_the_old_page(reader, track):
    (spec,) = services.track_specs(Track.objects.filter(pk=track.pk))
    spec.modules[0].lessons[0].body = "## Maybe\n\nNot imported."

    services.preview_import([spec])

    assert "Not imported." not in text(reader, track.slug, "lesson-1-1")


def test_publish_and_unpublish_show_at_once(reader, track, sent):
    text(reader, track.slug, "lesson-1-1")

    services.unpublish_track(track=track)
    assert view(reader, track.slug, "lesson-1-1").status_code == 404

    services.publish_track(track=track)
    assert view(reader, track.slug, "lesson-1-1").status_code == 200
    assert sent == [{track.pk}, {track.pk}]


def test_a_duplicate_is_a_draft_for_staff_only(reader, author, track, sent):
    copy = services.duplicate_track(track=track)

    assert sent == [{copy.pk}]
    assert "Draft — visible to admins only" in text(author, copy.slug, "lesson-1-1")
    assert view(reader, copy.slug, "lesson-1-1").status_code == 404


@pytest.mark.parametrize("kind", ["lesson", "module", "track"])
def test_archiving_and_restoring_show_at_once(reader, track, sent, kind):
    lesson = track.lessons.get(slug="lesson-1-1")
    item = {"lesson": lesson, "module": lesson.module, "track": track}[kind]
    text(reader, track.slug, "lesson-1-1")

    services.archive_content(item=item)
    assert view(reader, track.slug, "lesson-1-1").status_code == 404

    services.restore_content(item=item)
    assert view(reader, track.slug, "lesson-1-1").status_code == 200
    assert sent == [{track.pk}, {track.pk}]


def test_archiving_a_quiz_or_an_assignment_shows_at_once(reader, track, sent):
    quiz = track.lessons.get(slug="lesson-1-2").quiz
    assignment = track.lessons.get(slug="lesson-1-3").assignment
    assert "Check your understanding" in text(reader, track.slug, "lesson-1-2")
    assert "Open the assignment" in text(reader, track.slug, "lesson-1-3")

    services.archive_content(item=quiz)
    services.archive_content(item=assignment)

    assert "Check your understanding" not in text(reader, track.slug, "lesson-1-2")
    assert "Open the assignment" not in text(reader, track.slug, "lesson-1-3")
    assert sent == [{track.pk}, {track.pk}]


def test_moving_lessons_and_modules_shows_the_new_order(reader, track, sent):
    assert module_nav(text(reader, track.slug, "lesson-1-1")) == [
        "Lesson 1.1",
        "Lesson 1.2",
        "Lesson 1.3",
    ]
    assert "Lesson 4 of 6" in text(reader, track.slug, "lesson-2-1")

    services.move_item(item=track.lessons.get(slug="lesson-1-3"), direction="up")
    services.move_items(items=[track.modules.get(slug="module-2")], direction="up")

    page = text(reader, track.slug, "lesson-1-1")
    assert module_nav(page) == ["Lesson 1.1", "Lesson 1.3", "Lesson 1.2"]
    assert "Lesson 4 of 6" in page
    assert "Lesson 1 of 6" in text(reader, track.slug, "lesson-2-1")
    assert sent == [{track.pk}, {track.pk}]


def test_a_move_that_changes_nothing_signals_nothing(track, sent):
    services.move_item(item=track.lessons.get(slug="lesson-1-1"), direction="up")

    assert sent == []


def test_marking_lessons_changed_signals_their_track(track, sent):
    services.mark_lessons_changed(lessons=track.lessons.filter(slug="lesson-1-1"))

    assert sent == [{track.pk}]


# -- every write path of the admin shows on the next view ------------------------------------------


def publish_draft(author, lesson, old: str, new: str):
    """Publish a draft of a live lesson through the admin's draft page."""
    text = drafts.published_text(lesson)
    assert old in text, text
    return author.post(
        reverse("admin:courses_lesson_draft", args=[lesson.pk]),
        {"action": "publish", "text": text.replace(old, new)},
    )


def test_publishing_a_draft_in_the_admin_shows_at_once(reader, author, track, sent):
    lesson = track.lessons.get(slug="lesson-1-1")
    text(reader, track.slug, "lesson-1-1")

    response = publish_draft(author, lesson, "Some *text* for lesson 1.1.", "Rewritten today.")

    assert response.status_code == 302
    page = text(reader, track.slug, "lesson-1-1")
    assert "Rewritten today." in lesson_body(page)
    assert sent == [{track.pk}]


def test_saving_a_draft_shows_learners_nothing_and_signals_nothing(reader, author, track, sent):
    lesson = track.lessons.get(slug="lesson-1-1")
    text(reader, track.slug, "lesson-1-1")

    author.post(
        reverse("admin:courses_lesson_draft", args=[lesson.pk]),
        {"action": "save", "text": drafts.published_text(lesson).replace("Some", "Drafted")},
    )

    assert "Drafted" not in text(reader, track.slug, "lesson-1-1")
    assert sent == []


def test_saving_without_an_edit_signals_nothing(author, track, sent):
    response = submit_change_form(author, track.modules.get(slug="module-1"), form_id="module_form")

    assert response.status_code == 302
    assert sent == []


def test_moving_a_lesson_to_another_track_in_the_admin_changes_both(reader, author, track, sent):
    """Lessons are moved while their track is a draft; learners then see both tracks anew."""
    other = factories.make_track(slug="other", modules=1, lessons_per_module=1)
    lesson = track.lessons.get(slug="lesson-2-3")
    text(reader, track.slug, "lesson-2-3")
    text(reader, "other", "lesson-1-1")
    services.unpublish_track(track=track)
    sent.clear()

    response = submit_change_form(
        author, lesson, {"module": str(other.modules.get().pk)}, form_id="lesson_form"
    )
    services.publish_track(track=track)

    assert response.status_code == 302
    assert sent == [{track.pk, other.pk}, {track.pk}]
    assert view(reader, track.slug, "lesson-2-3").status_code == 404
    assert "Lesson 2 of 2" in text(reader, "other", "lesson-2-3")
    assert "Lesson 2.3" in module_nav(text(reader, "other", "lesson-1-1"))


def test_editing_a_track_in_the_admin_shows_at_once(reader, author, track, sent):
    text(reader, track.slug, "lesson-1-1")

    submit_change_form(author, track, {"title": "A renamed track"}, form_id="track_form")

    assert "A renamed track" in text(reader, track.slug, "lesson-1-1")
    assert sent == [{track.pk}]


def test_inline_rows_and_their_buttons_show_at_once(reader, author, track, sent):
    module = track.modules.get(slug="module-1")
    third = module.lessons.get(slug="lesson-1-3")
    text(reader, track.slug, "lesson-1-1")

    submit_change_form(
        author,
        module,
        {"_move": f"lesson:{third.pk}:up", "summary": "A new summary"},
        form_id="module_form",
    )

    assert module_nav(text(reader, track.slug, "lesson-1-1")) == [
        "Lesson 1.1",
        "Lesson 1.3",
        "Lesson 1.2",
    ]
    assert sent == [{track.pk}, {track.pk}]  # the save, then the move


def test_quiz_questions_added_or_deleted_in_the_admin_show_at_once(reader, author, track, sent):
    lesson = track.lessons.get(slug="lesson-1-2")
    assert "1 questions" in text(reader, track.slug, "lesson-1-2")
    one = drafts.published_text(lesson)
    question = one[one.index("[[quiz.questions]]") : one.index("\n+++", 4)]
    two = one.replace(question, question + "\n" + question.replace("Which is right?", "And?"))
    url = reverse("admin:courses_lesson_draft", args=[lesson.pk])

    author.post(url, {"action": "publish", "text": two})
    assert "2 questions" in text(reader, track.slug, "lesson-1-2")
    author.post(url, {"action": "publish", "text": one})

    assert "1 questions" in text(reader, track.slug, "lesson-1-2")
    assert sent == [{track.pk}, {track.pk}]


def test_editing_an_assignment_in_the_admin_shows_at_once(reader, author, track, sent):
    lesson = track.lessons.get(slug="lesson-1-3")
    text(reader, track.slug, "lesson-1-3")

    publish_draft(author, lesson, 'title = "Practice"', 'title = "Write a client report"')

    assert "Practice: Write a client report" in text(reader, track.slug, "lesson-1-3")
    assert sent == [{track.pk}]


def test_admin_actions_show_at_once(reader, author, track, sent):
    text(reader, track.slug, "lesson-1-1")
    text(reader, track.slug, "lesson-1-2")

    author.post(
        reverse("admin:courses_lesson_changelist"),
        {
            "action": "archive_selected",
            ACTION_CHECKBOX_NAME: [Lesson.objects.get(slug="lesson-1-1", track=track).pk],
        },
    )
    assert view(reader, track.slug, "lesson-1-1").status_code == 404

    author.post(
        reverse("admin:courses_track_changelist"),
        {"action": "unpublish_selected", ACTION_CHECKBOX_NAME: [track.pk]},
    )
    assert view(reader, track.slug, "lesson-1-2").status_code == 404
    assert sent == [{track.pk}, {track.pk}]


def test_deleting_in_the_admin_shows_at_once(reader, author, sent):
    track = factories.make_track(slug="young", modules=1, lessons_per_module=3)
    first, second = track.lessons.order_by("position")[:2]
    text(reader, "young", first.slug)
    text(reader, "young", second.slug)

    author.post(reverse("admin:courses_lesson_delete", args=[first.pk]), {"post": "yes"})
    author.post(
        reverse("admin:courses_lesson_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [second.pk], "post": "yes"},
    )

    assert not Lesson.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert view(reader, "young", first.slug).status_code == 404
    assert view(reader, "young", second.slug).status_code == 404
    assert sent == [{track.pk}, {track.pk}]


def test_editing_a_role_signals_its_tracks(author, track, sent):
    role = Role.objects.get(slug="newcomer")

    response = submit_change_form(author, role, {"title": "Beginner"}, form_id="role_form")

    assert response.status_code == 302
    assert sent == [{track.pk}]
