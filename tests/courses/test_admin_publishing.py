"""Drafts and publishing: validation, publish/unpublish, duplicate as draft."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from courses import services
from courses.models import Choice, Lesson, Module, Question, Quiz, Track
from progress.models import Enrolment, LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def draft() -> Track:
    """A valid draft: two modules of two lessons; lesson 1.1 has a quiz and an assignment."""
    track = factories.make_track(slug="draft", published=False, lessons_per_module=2)
    lesson = track.lessons.get(slug="lesson-1-1")
    factories.add_quiz(lesson)
    factories.add_rubric(factories.add_assignment(lesson))
    return track


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


# -- validation -----------------------------------------------------------------------------------


def test_a_complete_track_has_no_problems(draft):
    assert services.validate_track_for_publishing(draft) == []


def test_every_problem_is_listed_with_the_object_to_fix(draft):
    lesson = draft.lessons.get(slug="lesson-1-1")
    quiz = lesson.quiz
    first = quiz.questions.get()
    first.choices.update(is_correct=False)
    Choice.objects.filter(question=first, position=2).update(feedback="  ")
    single = factories.add_multiple_choice_question(quiz, position=2)
    Question.objects.filter(pk=single.pk).update(kind="single")  # two correct choices
    lonely = Question.objects.create(
        quiz=quiz, position=3, prompt="Alone?", kind="single", explanation="Yes."
    )
    Choice.objects.create(question=lonely, position=1, text="Yes", is_correct=True, feedback="Ok")
    empty_quiz = Quiz.objects.create(lesson=draft.lessons.get(slug="lesson-2-1"))
    assignment = lesson.assignment
    assignment.rubric.all().delete()
    empty_module = Module.objects.create(track=draft, slug="empty", title="Empty", position=3)
    blank = draft.lessons.get(slug="lesson-1-2")
    blank.body_markdown = " \n"
    blank.save()

    problems = services.validate_track_for_publishing(draft)

    assert [(problem.message, problem.obj) for problem in problems] == [
        ("The quiz of “Lesson 1.1”, question 1 has no correct choice.", first),
        ("The quiz of “Lesson 1.1”, question 1, choice 2 has no feedback.", first),
        (
            "The quiz of “Lesson 1.1”, question 2 is single choice but has 2 correct choices.",
            single,
        ),
        ("The quiz of “Lesson 1.1”, question 3 needs at least two choices.", lonely),
        (
            "The required assignment “Practice” of “Lesson 1.1” has no rubric criteria.",
            assignment,
        ),
        ("Lesson “Lesson 1.2” has no text.", blank),
        ("The quiz of “Lesson 2.1” has no questions.", empty_quiz),
        ("Module “Empty” has no current lesson.", empty_module),
    ]


def test_a_pass_mark_outside_1_to_100_is_a_problem(draft):
    # The database refuses such a row (a check constraint); the validator checks anyway.
    lesson = (
        Lesson.objects.select_related("quiz")
        .prefetch_related("quiz__questions__choices", "assignment__rubric")
        .get(track=draft, slug="lesson-1-1")
    )
    lesson.quiz.pass_mark = 0

    problems = services.lesson_problems(lesson)

    assert [p.message for p in problems] == [
        "The quiz of “Lesson 1.1” has pass mark 0%; use 1 to 100."
    ]


def test_optional_assignments_and_archived_content_are_not_checked(draft):
    lesson = draft.lessons.get(slug="lesson-1-1")
    lesson.assignment.rubric.all().delete()
    lesson.assignment.required = False
    lesson.assignment.save()
    broken = factories.add_quiz(draft.lessons.get(slug="lesson-1-2"))
    broken.questions.get().choices.update(is_correct=False)
    Quiz.objects.filter(pk=broken.pk).update(archived_at="2026-01-01T00:00Z")
    Module.objects.create(
        track=draft, slug="gone", title="Gone", position=3, archived_at="2026-01-01T00:00Z"
    )

    assert services.validate_track_for_publishing(draft) == []


def test_a_track_without_modules_is_a_problem():
    track = factories.make_track(slug="bare", modules=0, published=False)

    assert [p.message for p in services.validate_track_for_publishing(track)] == [
        "The track has no modules."
    ]


# -- publish and unpublish -------------------------------------------------------------------


def test_publishing_a_valid_draft(author, draft):
    response = author.post(reverse("admin:courses_track_publish", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.is_published
    assert "learners can now see it" in messages_of(response)
    entry = LogEntry.objects.get(object_id=str(draft.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "Published."


def test_publishing_is_refused_with_each_problem_linked_to_its_page(author, draft):
    question = draft.lessons.get(slug="lesson-1-1").quiz.questions.get()
    question.choices.update(is_correct=False)
    module = Module.objects.create(track=draft, slug="empty", title="Empty", position=3)

    response = author.post(
        reverse("admin:courses_track_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert not draft.is_published
    body = response.content.decode()
    assert "“Track draft” was not published: 2 problems to fix first." in body
    assert (
        f'<a href="{change_url(question)}">The quiz of “Lesson 1.1”, question 1 has no '
        "correct choice.</a>"
    ) in body
    assert f'<a href="{change_url(module)}">Module “Empty” has no current lesson.</a>' in body
    assert not LogEntry.objects.filter(object_id=str(draft.pk)).exists()


def test_an_archived_track_is_not_published(draft):
    Track.objects.filter(pk=draft.pk).update(archived_at="2026-01-01T00:00Z")
    draft.refresh_from_db()

    problems = services.publish_track(track=draft)

    assert problems[0].message == "The track is archived: restore it before publishing."
    assert not Track.objects.get(pk=draft.pk).is_published


def test_the_track_page_shows_the_publishing_checklist(author, draft):
    body = author.get(change_url(draft)).content.decode()
    assert "Ready to publish" in body
    assert reverse("admin:courses_track_publish", args=[draft.pk]) in body

    Module.objects.create(track=draft, slug="empty", title="Empty", position=3)
    body = author.get(change_url(draft)).content.decode()
    assert "1 thing to fix before publishing" in body
    assert "Module “Empty” has no current lesson." in body


def test_unpublishing_keeps_progress_and_says_who_is_affected(author, draft, learner):
    services.publish_track(track=draft)
    Enrolment.objects.create(learner=learner, track=draft)
    LessonCompletion.objects.create(learner=learner, lesson=draft.lessons.first())

    response = author.post(
        reverse("admin:courses_track_changelist"),
        {"action": "unpublish_selected", ACTION_CHECKBOX_NAME: [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert not draft.is_published
    assert "1 enrolled learner(s) can't open it until it is published again" in messages_of(
        response
    )
    assert LessonCompletion.objects.filter(learner=learner).count() == 1
    assert (
        author.get(change_url(draft))
        .content.decode()
        .count(reverse("admin:courses_track_publish", args=[draft.pk]))
    )


def test_the_published_flag_is_not_a_form_field(author, draft):
    # Publishing goes through validation: the change form can't tick it past the checks.
    body = author.get(change_url(draft)).content.decode()

    assert 'name="is_published"' not in body


def test_content_of_a_published_track_cant_be_saved_half_built(author, draft):
    """Publishing checked the track; its lessons then change only through a checked draft."""
    services.publish_track(track=draft)
    question = draft.lessons.get(slug="lesson-1-1").quiz.questions.get()

    response = author.post(
        change_url(question),
        {
            "prompt": question.prompt,
            "kind": "single",
            "explanation": question.explanation,
            "choices-TOTAL_FORMS": "0",
            "choices-INITIAL_FORMS": "2",
        },
    )

    assert response.status_code == 403
    assert question.choices.count() == 2


# -- duplicate as draft ------------------------------------------------------------------------


def test_duplicate_is_a_deep_draft_copy_with_a_new_slug(author, draft):
    services.publish_track(track=draft)
    draft.modules.filter(slug="module-1").update(self_check="I can do module one.")
    archived = draft.lessons.get(slug="lesson-2-2")
    Lesson.objects.filter(pk=archived.pk).update(archived_at="2026-01-01T00:00Z")

    response = author.post(reverse("admin:courses_track_duplicate", args=[draft.pk]), follow=True)

    copy = Track.objects.get(slug="draft-copy")
    assert response.redirect_chain[-1][0] == change_url(copy)
    assert "as a copy of “Track draft”" in messages_of(response)
    assert (copy.title, copy.is_published, copy.role) == ("Track draft (copy)", False, draft.role)
    assert list(copy.modules.values_list("slug", "self_check")) == [
        ("module-1", "I can do module one."),
        ("module-2", ""),
    ]
    assert list(
        copy.lessons.order_by("module__position", "position").values_list("slug", flat=True)
    ) == [
        "lesson-1-1",
        "lesson-1-2",
        "lesson-2-1",
    ]
    lesson = copy.lessons.get(slug="lesson-1-1")
    original = draft.lessons.get(slug="lesson-1-1")
    assert lesson.pk != original.pk and lesson.body_html == original.body_html
    assert [
        (c.text, c.is_correct, c.feedback) for c in lesson.quiz.questions.get().choices.all()
    ] == [("Right", True, "Yes."), ("Wrong", False, "No.")]
    assert [(c.criterion, c.points) for c in lesson.assignment.rubric.all()] == [
        ("Voice", 4),
        ("Accuracy", 3),
    ]
    assert draft.lessons.count() == 4  # the original is untouched
    assert LogEntry.objects.get(object_id=str(copy.pk)).action_flag == ADDITION


def test_duplicating_again_numbers_the_copies(author, draft):
    url = reverse("admin:courses_track_changelist")
    author.post(url, {"action": "duplicate_selected", ACTION_CHECKBOX_NAME: [draft.pk]})
    author.post(url, {"action": "duplicate_selected", ACTION_CHECKBOX_NAME: [draft.pk]})

    assert set(Track.objects.values_list("slug", flat=True)) == {
        "draft",
        "draft-copy",
        "draft-copy-2",
    }


def test_a_long_slug_still_fits_when_copied():
    track = factories.make_track(slug="x" * 80, published=False, modules=1, lessons_per_module=1)

    copy = services.duplicate_track(track=track)

    assert copy.slug.endswith("-copy") and len(copy.slug) <= 80
