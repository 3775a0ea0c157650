"""Drafts of live lessons (issue 22, item 1): the admin can't change what learners see in one
save; an author edits a draft, publishing checks it like an import and a track's publication,
learners keep the published version meanwhile, and every published version can come back."""

import pytest
from django.urls import reverse

from courses import drafts, services
from courses.models import Choice, Lesson, LessonRevision, Question, Quiz
from progress.models import LessonCompletion
from tests import factories
from tests.courses.test_admin import submit_change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(db) -> Lesson:
    """Lesson 1.1 of a published track, with a quiz and learners' records."""
    factories.make_track(with_quiz=True)
    return Lesson.objects.select_related("track", "module").get(slug="lesson-1-1")


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


def draft_url(lesson) -> str:
    return reverse("admin:courses_lesson_draft", args=[lesson.pk])


def learner_sees(client, lesson) -> str:
    learner = factories.UserFactory()
    client.force_login(learner)
    return client.get(lesson.get_absolute_url()).content.decode()


def rewritten(lesson, old: str, new: str) -> str:
    text = drafts.published_text(lesson)
    assert old in text, text
    return text.replace(old, new)


# -- the admin shows live content read-only ------------------------------------------------------


def test_a_live_lessons_change_form_is_read_only_and_points_to_the_draft(author, live):
    page = author.get(reverse("admin:courses_lesson_change", args=[live.pk])).content.decode()

    assert 'name="_save"' not in page
    assert "so it is read-only here" in page
    assert draft_url(live) in page

    response = submit_change_form(
        author, live, {"title": "Changed in one save"}, form_id="lesson_form"
    )
    assert response.status_code == 403
    assert Lesson.objects.get(pk=live.pk).title == "Lesson 1.1"


def test_a_live_quiz_and_its_questions_cant_be_changed_or_added_to(author, live):
    quiz, question = live.quiz, live.quiz.questions.get()
    for obj in (quiz, question):
        admin_name = f"admin:courses_{obj._meta.model_name}_change"
        page = author.get(reverse(admin_name, args=[obj.pk])).content.decode()
        assert 'name="_save"' not in page
        assert draft_url(live) in page
    # No live lesson is offered for a new quiz, and no live quiz for a new question.
    add_question = author.get(reverse("admin:courses_question_add")).content.decode()
    assert f'value="{quiz.pk}"' not in add_question
    response = author.post(
        reverse("admin:courses_question_add"),
        {"quiz": quiz.pk, "prompt": "Half-built", "kind": "single", "explanation": "x"},
    )
    assert response.status_code == 200  # the form again, with "Select a valid choice"
    assert not Question.objects.filter(prompt="Half-built").exists()


def test_a_lesson_of_an_unpublished_track_is_edited_directly(author):
    factories.make_track(published=False)
    lesson = Lesson.objects.get(slug="lesson-1-1")

    response = submit_change_form(author, lesson, {"title": "Edited"}, form_id="lesson_form")

    assert response.status_code == 302
    assert Lesson.objects.get(pk=lesson.pk).title == "Edited"
    assert author.get(draft_url(lesson)).status_code == 302  # no draft needed


# -- drafting and publishing ----------------------------------------------------------------------


def test_learners_keep_the_published_version_until_the_draft_is_published(author, client, live):
    text = rewritten(live, "Some *text* for lesson 1.1.", "A better explanation, drafted.")

    response = author.post(draft_url(live), {"action": "save", "text": text})

    assert response.status_code == 302
    assert "A better explanation" not in learner_sees(client, live)
    assert "Some <em>text</em> for lesson 1.1." in learner_sees(client, live)

    author.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = author.post(draft_url(live), {"action": "publish", "text": text})

    assert response.status_code == 302
    assert "A better explanation, drafted." in learner_sees(client, live)
    assert drafts.draft_of(live) is None


def test_a_draft_quiz_question_without_choices_is_refused_and_nothing_changes(author, live):
    text = drafts.published_text(live)
    start = text.index("choices = [")
    end = text.index("]", text.index("feedback", start)) + 1
    broken = text[:start] + "choices = []" + text[end:]

    response = author.post(draft_url(live), {"action": "publish", "text": broken})

    assert response.status_code == 400
    body = response.content.decode()
    assert "to fix before this draft can be published" in body
    assert "draft:" in body  # problems name the draft's lines
    assert Choice.objects.filter(question__quiz__lesson=live).count() == 2
    assert drafts.draft_of(live).text == broken.replace("\r\n", "\n")  # the author's work is kept


def test_publishing_runs_the_track_publish_check_too(live):
    """The reader accepts a quiz with no questions line; the publish check doesn't."""
    text = drafts.published_text(live)
    no_questions = text[: text.index("[[quiz.questions]]")] + text[text.index("\n+++", 4) :]
    staff = factories.UserFactory(is_staff=True)
    drafts.save_draft(live, no_questions, by=staff)

    with pytest.raises(drafts.DraftError) as refused:
        drafts.publish_draft(live, by=staff)

    assert any(
        "no questions" in problem or "question" in problem for problem in refused.value.problems
    )
    assert Question.objects.filter(quiz__lesson=live).count() == 1


def test_progress_and_attempts_survive_publishing(live):
    learner = factories.UserFactory()
    LessonCompletion.objects.create(learner=learner, lesson=live)
    quiz, question = live.quiz, live.quiz.questions.get()
    staff = factories.UserFactory(is_staff=True)
    drafts.save_draft(live, rewritten(live, "Which is right?", "Which one is right?"), by=staff)

    drafts.publish_draft(live, by=staff)

    assert LessonCompletion.objects.filter(learner=learner, lesson=live).exists()
    assert Quiz.objects.get(pk=quiz.pk).lesson_id == live.pk
    question.refresh_from_db()  # updated in place: attempts keep pointing at it
    assert question.prompt == "Which one is right?"


def test_a_change_in_substance_asks_recertifying_learners_to_read_it_again(live):
    staff = factories.UserFactory(is_staff=True)
    drafts.save_draft(live, rewritten(live, "Some *text*", "New *guidance*"), by=staff)

    drafts.publish_draft(live, by=staff, material=True)

    live.refresh_from_db()
    assert live.changed_at is not None
    assert live.revisions.get(published_by=staff).material


def test_a_wording_fix_does_not(live):
    staff = factories.UserFactory(is_staff=True)
    drafts.save_draft(live, rewritten(live, "Some *text*", "Some *words*"), by=staff)

    drafts.publish_draft(live, by=staff)

    live.refresh_from_db()
    assert live.changed_at is None


# -- history, diff, revert, discard -------------------------------------------------------------


def test_each_published_version_is_kept_and_can_be_reverted_to(author, client, live):
    original = drafts.published_text(live)
    staff = factories.UserFactory(is_staff=True, display_name="Pat Author")
    for words in ("First rewrite.", "Second rewrite."):
        text = original.replace("Some *text* for lesson 1.1.", words)
        drafts.save_draft(live, text, by=staff)
        drafts.publish_draft(live, by=staff)

    history = drafts.history(live)
    assert len(history) == 3  # the version before the first draft, then the two published
    assert history[-1].text == original and history[-1].published_by is None

    page = author.get(draft_url(live) + f"?compare={history[-1].pk}").content.decode()
    assert "Pat Author" in page and "before drafts" in page
    assert "lesson-diff__removed" in page and "Second rewrite." in page

    response = author.post(draft_url(live), {"action": "revert", "revision": history[-1].pk})
    assert response.status_code == 302
    assert drafts.draft_of(live).text == original
    assert "Second rewrite." in learner_sees(client, live)  # reverting makes a draft only

    author.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    author.post(draft_url(live), {"action": "publish", "text": original})
    assert "Some <em>text</em> for lesson 1.1." in learner_sees(client, live)


def test_the_draft_page_shows_what_the_draft_changes(author, live):
    text = rewritten(live, "Some *text* for lesson 1.1.", "Drafted words.")
    author.post(draft_url(live), {"action": "save", "text": text})

    page = author.get(draft_url(live)).content.decode()

    assert "What the draft changes" in page
    assert "Drafted words." in page and "lesson-diff__added" in page


def test_a_draft_can_be_discarded(author, live):
    drafts.save_draft(live, "anything", by=None)

    author.post(draft_url(live), {"action": "discard"})

    assert not LessonRevision.objects.exists()


def test_reverting_to_another_lessons_revision_is_refused(author, live):
    other = Lesson.objects.get(slug="lesson-1-2")
    staff = factories.UserFactory(is_staff=True)
    drafts.save_draft(other, rewritten(other, "Some *text*", "Other"), by=staff)
    drafts.publish_draft(other, by=staff)

    author.post(draft_url(live), {"action": "revert", "revision": other.revisions.first().pk})

    assert drafts.draft_of(live) is None


def test_the_diff_marks_added_and_removed_lines():
    lines = drafts.diff("a\nb\nc\n", "a\nB\nc\n")

    assert [(line.kind, line.text) for line in lines] == [
        ("same", "a"),
        ("removed", "b"),
        ("added", "B"),
        ("same", "c"),
    ]


# -- permissions -------------------------------------------------------------------------------


def test_the_draft_page_needs_the_lesson_change_permission(client, live):
    viewer = factories.UserFactory(is_staff=True)
    client.force_login(viewer)
    assert client.get(draft_url(live)).status_code == 403

    client.force_login(factories.UserFactory())
    response = client.get(draft_url(live))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# -- new lessons in a live track -----------------------------------------------------------------


def test_a_lesson_added_to_a_live_track_starts_hidden_and_is_shown_only_when_complete(author, live):
    response = author.post(
        reverse("admin:courses_lesson_add"),
        {
            "module": live.module_id,
            "title": "Added today",
            "slug": "added-today",
            "minutes": 5,
            "platforms": "",
            "body_markdown": "## New\n\nFresh text.",
        },
        follow=True,
    )
    added = Lesson.objects.get(slug="added-today")
    assert added.archived_at is not None
    assert "hidden from learners until it is complete" in response.content.decode()

    # A quiz with a question but no choices yet: restoring (publishing) is refused.
    quiz = Quiz.objects.create(lesson=added, pass_mark=50)
    Question.objects.create(quiz=quiz, position=1, prompt="Q?", kind="single", explanation="E")
    response = author.post(reverse("admin:courses_lesson_restore", args=[added.pk]), follow=True)
    added.refresh_from_db()
    assert added.archived_at is not None
    assert "was not restored" in response.content.decode()

    question = quiz.questions.get()
    Choice.objects.create(question=question, position=1, text="Yes", is_correct=True, feedback="Y")
    Choice.objects.create(question=question, position=2, text="No", is_correct=False, feedback="N")
    author.post(reverse("admin:courses_lesson_restore", args=[added.pk]), follow=True)
    added.refresh_from_db()
    assert added.archived_at is None
    assert services.is_live(added)


def test_a_question_of_a_live_quiz_is_removed_in_the_draft_not_deleted(author, live):
    question = live.quiz.questions.get()

    response = author.post(
        reverse("admin:courses_question_delete", args=[question.pk]), {"post": "yes"}, follow=True
    )

    assert Question.objects.filter(pk=question.pk).exists()
    assert "which learners see now: remove it in" in response.content.decode()


def test_a_whole_live_lesson_without_records_can_still_be_deleted(author, live):
    response = author.post(reverse("admin:courses_lesson_delete", args=[live.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=live.pk).exists()


def test_the_lessons_of_a_live_module_are_listed_read_only(author, live):
    page = author.get(
        reverse("admin:courses_module_change", args=[live.module_id])
    ).content.decode()

    assert 'name="lessons-0-title"' not in page
    assert "Lesson 1.1" in page


def test_a_live_lessons_page_offers_the_draft_not_new_parts(author, live):
    page = author.get(reverse("admin:courses_lesson_change", args=[live.pk])).content.decode()

    assert "View quiz" in page
    assert "Add an assignment" not in page and "Add a quiz" not in page
