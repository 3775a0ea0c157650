"""Safe changes: content with learner records is archived, never deleted; every change is logged."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from courses import drafts
from courses.models import Lesson, Module, PracticeAssignment, Quiz, Track
from progress.models import Enrolment, LessonCompletion, QuizAttempt, Submission
from tests import factories

pytestmark = pytest.mark.django_db


def admin_url(obj, view: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def track() -> Track:
    track = factories.make_track(with_quiz=True)
    factories.add_rubric(factories.add_assignment(track.lessons.get(slug="lesson-1-1")))
    return track


@pytest.fixture
def completed(track, learner) -> Lesson:
    """Lesson 1.2, which the learner has completed."""
    lesson = track.lessons.get(slug="lesson-1-2")
    Enrolment.objects.create(learner=learner, track=track)
    LessonCompletion.objects.create(learner=learner, lesson=lesson)
    return lesson


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


# -- deleting is refused when learners have records ----------------------------------------


def test_deleting_a_lesson_with_completions_is_refused_and_archive_offered(author, completed):
    response = author.get(admin_url(completed, "delete"))

    body = response.content.decode()
    assert response.status_code == 409
    assert "Learners have records for this lesson" in body
    assert "1 lesson completions" in body
    assert f'action="{admin_url(completed, "archive")}"' in body
    assert "Archive “Lesson 1.2”" in body

    response = author.post(admin_url(completed, "delete"), {"post": "yes"})
    assert response.status_code == 409
    assert Lesson.objects.filter(pk=completed.pk).exists()


def test_archive_hides_the_lesson_and_keeps_the_records(author, client, completed, learner):
    response = author.post(admin_url(completed, "archive"), follow=True)

    completed.refresh_from_db()
    assert completed.archived_at is not None
    assert "learners no longer see it and their records are kept" in messages_of(response)
    assert LessonCompletion.objects.filter(lesson=completed).count() == 1
    client.force_login(learner)
    assert client.get(completed.get_absolute_url()).status_code == 404
    assert client.get(completed.track.get_absolute_url()).status_code == 200

    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    client.post(admin_url(completed, "restore"))
    completed.refresh_from_db()
    assert completed.archived_at is None


def test_archive_needs_a_post(author, completed):
    assert author.get(admin_url(completed, "archive")).status_code == 405


def test_deleting_a_track_module_quiz_or_assignment_with_records_is_refused(author, track, learner):
    lesson = track.lessons.get(slug="lesson-1-1")
    Enrolment.objects.create(learner=learner, track=track)
    QuizAttempt.objects.create(
        learner=learner, quiz=lesson.quiz, token="t-1", number=1, score=100, passed=True, answers={}
    )
    Submission.objects.create(
        learner=learner, assignment=lesson.assignment, version=1, text_markdown="My posts"
    )

    for obj in (track, lesson.module, lesson.quiz, lesson.assignment):
        response = author.post(admin_url(obj, "delete"), {"post": "yes"})
        assert response.status_code == 409, obj
        assert "Archive it instead." in response.content.decode()

    assert Track.objects.filter(pk=track.pk).exists()
    assert Module.objects.filter(pk=lesson.module_id).exists()
    assert Quiz.objects.filter(pk=lesson.quiz.pk).exists()
    assert PracticeAssignment.objects.filter(pk=lesson.assignment.pk).exists()


def test_content_without_learner_records_can_still_be_deleted(author, track):
    lesson = track.lessons.get(slug="lesson-2-3")

    assert author.get(admin_url(lesson, "delete")).status_code == 200
    response = author.post(admin_url(lesson, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=lesson.pk).exists()


def test_bulk_delete_is_refused_when_any_has_records(author, track, completed):
    other = track.lessons.get(slug="lesson-2-1")

    response = author.post(
        reverse("admin:courses_lesson_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [completed.pk, other.pk]},
        follow=True,
    )

    text = messages_of(response)
    assert "Nothing was deleted: learners have records for 1 of the selected lessons" in text
    assert "Lesson 1.2 (1 lesson completions)" in text
    assert Lesson.objects.filter(pk__in=[completed.pk, other.pk]).count() == 2


def test_bulk_delete_without_records_asks_for_confirmation_as_usual(author, track):
    lessons = track.lessons.filter(module__slug="module-2")
    url = reverse("admin:courses_lesson_changelist")
    data = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [obj.pk for obj in lessons]}

    assert "Are you sure" in author.post(url, data).content.decode()
    author.post(url, {**data, "post": "yes"})

    assert not track.lessons.filter(module__slug="module-2").exists()


def test_archive_and_restore_actions(author, track, completed):
    url = reverse("admin:courses_lesson_changelist")

    response = author.post(
        url, {"action": "archive_selected", ACTION_CHECKBOX_NAME: [completed.pk]}, follow=True
    )
    assert "Archived 1 lesson; learners keep their records." in messages_of(response)
    assert Lesson.objects.get(pk=completed.pk).archived_at is not None
    author.post(url, {"action": "restore_selected", ACTION_CHECKBOX_NAME: [completed.pk]})
    assert Lesson.objects.get(pk=completed.pk).archived_at is None


def test_an_inline_lesson_with_records_is_not_deleted_from_the_module_page(author, completed):
    module = completed.module
    lessons = list(module.lessons.order_by("position"))
    data = {
        "title": module.title,
        "slug": module.slug,
        "summary": "",
        "self_check": "",
        "lessons-TOTAL_FORMS": str(len(lessons)),
        "lessons-INITIAL_FORMS": str(len(lessons)),
    }
    for index, lesson in enumerate(lessons):
        data |= {
            f"lessons-{index}-id": lesson.pk,
            f"lessons-{index}-module": module.pk,
            f"lessons-{index}-title": lesson.title,
            f"lessons-{index}-slug": lesson.slug,
            f"lessons-{index}-minutes": lesson.minutes,
        }
    data[f"lessons-{lessons.index(completed)}-DELETE"] = "on"

    response = author.post(admin_url(module, "change"), data)

    assert response.status_code == 200  # the form again, with the reason
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert Lesson.objects.filter(pk=completed.pk).exists()


# -- editing keeps progress; history is kept -------------------------------------------------


def test_editing_a_published_lesson_keeps_its_completions(author, completed, learner):
    text = drafts.published_text(completed)
    text = text.replace('title = "Lesson 1.2"', 'title = "Lesson 1.2, rewritten"')
    text = text.replace("minutes = 5", "minutes = 7").replace("Some *text*", "New **text**")

    response = author.post(
        reverse("admin:courses_lesson_draft", args=[completed.pk]),
        {"action": "publish", "text": text},
    )

    assert response.status_code == 302
    lesson = Lesson.objects.get(pk=completed.pk)
    assert (lesson.title, lesson.minutes, lesson.position) == ("Lesson 1.2, rewritten", 7, 2)
    assert "<strong>text</strong>" in lesson.body_html
    assert LessonCompletion.objects.filter(learner=learner, lesson=lesson).exists()


def test_changes_are_logged_and_shown_in_each_objects_history(author, track, completed):
    author.post(admin_url(completed, "archive"))
    author.post(reverse("admin:courses_track_unpublish", args=[track.pk]))

    lesson_history = author.get(admin_url(completed, "history")).content.decode()
    track_history = author.get(admin_url(track, "history")).content.decode()

    assert "Archived." in lesson_history
    assert "Unpublished (back to draft)." in track_history
    assert LogEntry.objects.count() == 2
    for obj in (completed.quiz, completed.quiz.questions.get(), completed.module):
        assert author.get(admin_url(obj, "history")).status_code == 200
