"""Enrolment, completion, progress and "continue where you left off"."""

import pytest
from django.urls import reverse

from progress.models import Enrolment, LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db


def lesson_url(lesson) -> str:
    return lesson.get_absolute_url()


def complete_url(lesson) -> str:
    return reverse("progress:complete_lesson", args=[lesson.track.slug, lesson.slug])


@pytest.fixture
def track():
    return factories.make_track(modules=2, lessons_per_module=3)


def lesson(track, slug):
    return track.lessons.get(slug=slug)


def test_opening_a_lesson_enrols_the_learner(client, learner, track):
    client.force_login(learner)
    assert not Enrolment.objects.exists()
    client.get(lesson_url(lesson(track, "lesson-1-2")))
    enrolment = Enrolment.objects.get(learner=learner, track=track)
    assert enrolment.last_lesson.slug == "lesson-1-2"


def test_start_track_button_enrols_and_opens_the_first_lesson(client, learner, track):
    client.force_login(learner)
    body = client.get(track.get_absolute_url()).content.decode()
    assert "Start track" in body
    response = client.post(reverse("progress:start_track", args=[track.slug]))
    assert response["Location"] == lesson_url(lesson(track, "lesson-1-1"))
    assert Enrolment.objects.filter(learner=learner, track=track).exists()


def test_mark_complete_is_idempotent(client, learner, track):
    client.force_login(learner)
    target = lesson(track, "lesson-1-1")
    first = client.post(complete_url(target))
    second = client.post(complete_url(target))
    assert first.status_code == second.status_code == 302
    assert LessonCompletion.objects.filter(learner=learner, lesson=target).count() == 1
    assert first["Location"] == lesson_url(lesson(track, "lesson-1-2"))


def test_mark_complete_needs_post(client, learner, track):
    client.force_login(learner)
    assert client.get(complete_url(lesson(track, "lesson-1-1"))).status_code == 405


def test_a_quiz_lesson_is_completed_by_passing_its_quiz_not_by_the_button(client, learner, track):
    target = lesson(track, "lesson-1-1")
    factories.add_quiz(target)
    client.force_login(learner)
    response = client.post(complete_url(target), follow=True)
    assert "completed by passing its quiz" in response.content.decode()
    assert not LessonCompletion.objects.exists()
    assert "Mark complete" not in client.get(lesson_url(target)).content.decode()


def test_track_page_shows_states_progress_and_resume(client, learner, track):
    client.force_login(learner)
    for slug in ("lesson-1-1", "lesson-1-2"):
        client.post(complete_url(lesson(track, slug)))
    body = client.get(track.get_absolute_url()).content.decode()
    assert "33% complete" in body
    assert "2 of 6 lessons done" in body
    assert body.count("lesson-state--done") == 2
    assert body.count("lesson-state--current") == 1
    assert body.count("lesson-state--not-started") == 3
    assert "Continue where you left off: Lesson 1.3" in body
    assert 'value="67"' in body  # module 1: two of three lessons


def test_resume_prefers_the_last_lesson_opened_if_unfinished(client, learner, track):
    client.force_login(learner)
    client.post(complete_url(lesson(track, "lesson-1-1")))
    client.get(lesson_url(lesson(track, "lesson-2-2")))
    body = client.get(reverse("progress:me")).content.decode()
    assert "Continue where you left off" in body
    assert lesson_url(lesson(track, "lesson-2-2")) in body


def test_progress_counts_only_current_lessons_and_survives_archiving(client, learner, track):
    from courses import services as course_services

    client.force_login(learner)
    client.post(complete_url(lesson(track, "lesson-1-1")))
    course_services.archive_content(item=lesson(track, "lesson-1-1"))
    body = client.get(track.get_absolute_url()).content.decode()
    assert "0 of 5 lessons done" in body
    assert LessonCompletion.objects.filter(learner=learner).count() == 1  # kept


def test_draft_lessons_record_nothing(client, staff_user):
    draft = factories.make_track(slug="draft", published=False)
    client.force_login(staff_user)
    client.get(lesson_url(draft.lessons.first()))
    assert not Enrolment.objects.exists()
    assert client.post(complete_url(draft.lessons.first())).status_code == 404


def test_reimport_keeps_completions_and_archives_removed_lessons_with_records(
    client, learner, content_tree
):
    from courses import services as course_services
    from courses.models import Lesson

    course_services.import_specs(course_services.read_content(content_tree))
    welcome = Lesson.objects.get(slug="welcome")
    client.force_login(learner)
    client.post(complete_url(welcome))
    (content_tree / "sample-track/01-basics/01-welcome.md").unlink()

    report = course_services.import_specs(course_services.read_content(content_tree))

    welcome.refresh_from_db()
    assert welcome.archived_at is not None
    assert report.counts["lesson archived"] == 1
    assert LessonCompletion.objects.filter(lesson=welcome).exists()
    # Restoring the file brings the same lesson (and the learner's completion) back.
    from tests.conftest import FIXTURES

    original = FIXTURES / "content/sample-track/01-basics/01-welcome.md"
    (content_tree / "sample-track/01-basics/01-welcome.md").write_text(original.read_text())
    course_services.import_specs(course_services.read_content(content_tree))
    restored = Lesson.objects.get(slug="welcome")
    assert (restored.pk, restored.archived_at) == (welcome.pk, None)
