"""Quizzes: no answer leaks, scoring, feedback, retries, tampering and double submission."""

import re

import pytest

from courses.models import Choice
from progress import services
from progress.models import LessonCompletion, QuizAttempt
from tests import factories
from tests.concurrency import at_once
from tests.progress.helpers import answers_for, attempt_token, quiz_url, take_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_lesson():
    track = factories.make_track(modules=1, lessons_per_module=2)
    lesson = track.lessons.get(slug="lesson-1-1")
    quiz = factories.add_quiz(lesson, pass_mark=100)
    factories.add_multiple_choice_question(quiz)
    return lesson


def test_quiz_page_reveals_no_answers(client, learner, quiz_lesson):
    client.force_login(learner)
    body = client.get(quiz_url(quiz_lesson)).content.decode()
    for choice in Choice.objects.filter(question__quiz=quiz_lesson.quiz):
        assert choice.text in body
        assert choice.feedback not in body.replace(choice.text, "")
    for question in quiz_lesson.quiz.questions.all():
        assert question.explanation not in body
    assert not re.search(r"correct|is_correct|data-answer|feedback", body, re.IGNORECASE)


CHOICE_BLOCK = re.compile(r'<div class="choice">.*?</div>', re.DOTALL)


def normalised(html: str) -> str:
    """The page without its tokens, and with each question's choices in one canonical order
    (every attempt shuffles them: the order is not what this compares)."""
    html = re.sub(r'name="attempt_token" value="[^"]+"', "", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return CHOICE_BLOCK.sub("<choice>", html) + "".join(sorted(CHOICE_BLOCK.findall(html)))


def test_moving_the_correct_answer_changes_nothing_in_the_markup(client, learner, quiz_lesson):
    client.force_login(learner)
    before = normalised(client.get(quiz_url(quiz_lesson)).content.decode())
    question = quiz_lesson.quiz.questions.get(position=1)
    right, wrong = question.choices.order_by("position")
    right.is_correct, wrong.is_correct = False, True
    right.save()
    wrong.save()
    after = normalised(client.get(quiz_url(quiz_lesson)).content.decode())
    assert before == after


def test_passing_scores_completes_the_lesson_and_shows_feedback(client, learner, quiz_lesson):
    client.force_login(learner)
    response = take_quiz(client, quiz_lesson, correct=True)
    attempt = QuizAttempt.objects.get()
    assert response["Location"] == attempt.get_absolute_url()
    assert (attempt.score, attempt.passed) == (100, True)
    assert LessonCompletion.objects.filter(learner=learner, lesson=quiz_lesson).exists()
    body = client.get(attempt.get_absolute_url()).content.decode()
    assert "Passed" in body
    assert "Rates divide." in body  # explanation


def test_failing_hides_the_answers_until_a_pass_and_retry_keeps_best_score(
    client, learner, quiz_lesson
):
    client.force_login(learner)
    take_quiz(client, quiz_lesson, correct=False)
    failed = QuizAttempt.objects.get()
    assert (failed.score, failed.passed) == (0, False)
    body = client.get(failed.get_absolute_url()).content.decode()
    assert "Not yet" in body
    assert "Try again" in body
    assert "Because." not in body  # the explanation is earned by passing
    assert "tag--ok" not in body  # no choice is marked as the correct one
    assert not LessonCompletion.objects.exists()

    take_quiz(client, quiz_lesson, correct=True)
    take_quiz(client, quiz_lesson, correct=False)
    assert QuizAttempt.objects.count() == 3
    assert services.best_score(learner=learner, quiz=quiz_lesson.quiz) == 100
    assert LessonCompletion.objects.count() == 1
    # Once passed, every earlier attempt shows what was right and why.
    body = client.get(failed.get_absolute_url()).content.decode()
    assert "Because." in body
    assert 'tag--ok">correct answer' in body


def test_attempt_keeps_what_was_asked_after_the_question_changes(client, learner, quiz_lesson):
    client.force_login(learner)
    take_quiz(client, quiz_lesson, correct=True)
    quiz_lesson.quiz.questions.filter(position=2).delete()
    attempt = QuizAttempt.objects.get()
    body = client.get(attempt.get_absolute_url()).content.decode()
    assert "Pick the rates" in body


def test_max_attempts_is_enforced(client, learner, quiz_lesson):
    quiz = quiz_lesson.quiz
    quiz.max_attempts = 1
    quiz.save()
    client.force_login(learner)
    token = attempt_token(client, quiz_lesson)
    take_quiz(client, quiz_lesson, correct=False)
    response = client.post(quiz_url(quiz_lesson), {"attempt_token": token, **answers_for(quiz)})
    assert response.status_code == 400
    assert "used all 1 attempts" in response.content.decode()
    assert QuizAttempt.objects.count() == 1


def tampered(quiz, kind: str) -> dict:
    data = answers_for(quiz)
    single = quiz.questions.get(position=1)
    multiple = quiz.questions.get(position=2)
    if kind == "unknown choice":
        data[f"q{single.pk}"] = ["999999"]
    elif kind == "choice of another question":
        data[f"q{single.pk}"] = [str(multiple.choices.first().pk)]
    elif kind == "two answers on a single-choice question":
        data[f"q{single.pk}"] = [str(c.pk) for c in single.choices.all()]
    elif kind == "empty answer":
        data.pop(f"q{single.pk}")
    elif kind == "unknown question":
        data["q999999"] = ["1"]
    elif kind == "not a number":
        data[f"q{single.pk}"] = ["<script>"]
    return data


@pytest.mark.parametrize(
    "kind",
    [
        "unknown choice",
        "choice of another question",
        "two answers on a single-choice question",
        "empty answer",
        "unknown question",
        "not a number",
    ],
)
def test_tampered_answers_get_a_message_and_record_nothing(client, learner, quiz_lesson, kind):
    client.force_login(learner)
    token = attempt_token(client, quiz_lesson)
    response = client.post(
        quiz_url(quiz_lesson), {"attempt_token": token, **tampered(quiz_lesson.quiz, kind)}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not QuizAttempt.objects.exists()


@pytest.mark.parametrize("token", ["", "forged", "eyJxdWl6IjoxfQ:bad:sig"])
def test_bad_tokens_are_refused(client, learner, quiz_lesson, token):
    client.force_login(learner)
    response = client.post(
        quiz_url(quiz_lesson), {"attempt_token": token, **answers_for(quiz_lesson.quiz)}
    )
    assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_another_learners_token_is_refused(client, learner, quiz_lesson):
    other = factories.UserFactory()
    client.force_login(other)
    token = attempt_token(client, quiz_lesson)
    client.force_login(learner)
    response = client.post(
        quiz_url(quiz_lesson), {"attempt_token": token, **answers_for(quiz_lesson.quiz)}
    )
    assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_double_submission_of_one_form_records_one_attempt(client, learner, quiz_lesson):
    client.force_login(learner)
    token = attempt_token(client, quiz_lesson)
    data = {"attempt_token": token, **answers_for(quiz_lesson.quiz)}
    first = client.post(quiz_url(quiz_lesson), data)
    second = client.post(quiz_url(quiz_lesson), data)
    assert QuizAttempt.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_attempt_token_is_unique_in_the_database(learner, quiz_lesson):
    from django.db import IntegrityError, transaction

    QuizAttempt.objects.create(
        learner=learner,
        quiz=quiz_lesson.quiz,
        token="t",
        number=1,
        score=0,
        passed=False,
        answers=[],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        QuizAttempt.objects.create(
            learner=learner,
            quiz=quiz_lesson.quiz,
            token="t",
            number=2,
            score=0,
            passed=False,
            answers=[],
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_form_record_exactly_one_attempt():
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = factories.add_quiz(lesson)
    learner = factories.UserFactory()
    token = services.new_attempt_token(learner=learner, quiz=quiz)
    answers = {k[1:]: v for k, v in answers_for(quiz).items()}
    results = at_once(
        lambda _: services.submit_quiz_attempt(
            learner=learner, quiz=quiz, token=token, answers=answers
        ),
        range(8),
    )

    assert QuizAttempt.objects.count() == 1
    assert sum(outcome.created for outcome in results) == 1
    assert LessonCompletion.objects.count() == 1


def test_quiz_of_unpublished_track_cannot_be_taken(client, learner):
    draft = factories.make_track(slug="draft", published=False, with_quiz=True)
    client.force_login(learner)
    assert client.get(quiz_url(draft.lessons.first())).status_code == 404


def test_someone_elses_attempt_is_404(client, learner, quiz_lesson):
    client.force_login(learner)
    take_quiz(client, quiz_lesson)
    attempt = QuizAttempt.objects.get()
    client.force_login(factories.UserFactory())
    assert client.get(attempt.get_absolute_url()).status_code == 404
