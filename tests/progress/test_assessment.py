"""Assessment that certifies: draws across objectives, shuffled choices, answers that are
earned, attempt limits with a wait, extra attempts granted by a manager, and the limit held
when many forms are posted at once."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from courses.models import Choice, Question
from progress import quizzes, services
from progress.models import AttemptGrant, QuizAttempt
from tests import factories
from tests.concurrency import at_once
from tests.progress.helpers import (
    TOKEN_RE,
    answers_for,
    drawn_question_ids,
    quiz_url,
    take_quiz,
)

pytestmark = pytest.mark.django_db


def bank(lesson, *, objectives: int = 3, per_objective: int = 2, draw: int | None = 3, **options):
    """A quiz of `objectives` x `per_objective` single-choice questions, four choices each."""
    quiz = factories.add_quiz(lesson, pass_mark=100, draw=draw, **options)
    quiz.questions.all().delete()
    position = 0
    for objective in range(1, objectives + 1):
        for number in range(1, per_objective + 1):
            position += 1
            question = Question.objects.create(
                quiz=quiz,
                position=position,
                prompt=f"Objective {objective}, question {number}?",
                kind="single",
                explanation=f"Explanation {position}.",
                objective=f"objective-{objective}",
                section="The section",
            )
            for c in range(1, 5):
                Choice.objects.create(
                    question=question,
                    position=c,
                    text=f"Choice {c} of {position}",
                    is_correct=c == 1,
                    feedback=f"Feedback {c}/{position}.",
                )
    return quiz


@pytest.fixture
def lesson():
    track = factories.make_track(modules=1, lessons_per_module=2)
    lesson = track.lessons.get(slug="lesson-1-1")
    lesson.body_markdown = "## The section\n\nWhat to know."
    lesson.save()
    return lesson


# -- draws and shuffling ---------------------------------------------------------------------


def test_each_draw_covers_as_many_objectives_as_it_asks_questions(lesson, learner):
    quiz = bank(lesson, objectives=3, per_objective=2, draw=3)
    questions = {q.pk: q for q in quiz.questions.all()}
    seen_sets = set()
    for _ in range(30):
        draw = quizzes.new_draw(learner=learner, quiz=quiz)
        assert len(draw) == 3
        assert len({questions[question_id].objective for question_id, _ in draw}) == 3
        seen_sets.add(frozenset(question_id for question_id, _ in draw))
    assert len(seen_sets) > 1  # draws differ


def test_a_retry_asks_what_the_last_attempt_did_not(client, lesson, learner):
    quiz = bank(lesson, objectives=3, per_objective=2, draw=3)
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    first = {item["question"] for item in QuizAttempt.objects.get().answers}
    html = client.get(quiz_url(lesson)).content.decode()
    assert drawn_question_ids(html).isdisjoint(first)
    assert len(drawn_question_ids(html)) == quiz.draw


def test_choices_are_shuffled_per_attempt_and_grading_follows_the_choices(lesson, learner):
    quiz = bank(lesson, objectives=1, per_objective=1, draw=None)
    questions = list(quiz.questions.prefetch_related("choices"))
    orders = {
        tuple(draw[0][1])
        for draw in (
            quizzes.draw_questions(questions, size=None, avoid=set(), rng=random.Random(seed))
            for seed in range(40)
        )
    }
    assert len(orders) > 5  # many orders of the four choices
    for seed in range(5):
        draw = quizzes.draw_questions(questions, size=None, avoid=set(), rng=random.Random(seed))
        token = services.new_attempt_token(learner=learner, quiz=quiz, draw=draw)
        right = Choice.objects.get(question=questions[0], is_correct=True)
        outcome = services.submit_quiz_attempt(
            learner=learner,
            quiz=quiz,
            token=token,
            answers={str(questions[0].pk): [str(right.pk)]},
        )
        assert outcome.attempt.score == 100
        shown = [item["choice"] for item in outcome.attempt.answers[0]["choices"]]
        assert shown == draw[0][1]  # the record keeps the order the learner saw


def test_a_posted_form_cannot_choose_its_own_questions(client, lesson, learner):
    quiz = bank(lesson, objectives=3, per_objective=2, draw=3)
    client.force_login(learner)
    html = client.get(quiz_url(lesson)).content.decode()
    token = TOKEN_RE.search(html).group(1)
    drawn = drawn_question_ids(html)
    others = set(quiz.questions.values_list("pk", flat=True)) - drawn
    # Answer questions of the learner's own choosing (easier ones, say) instead of the draw.
    response = client.post(
        quiz_url(lesson), {"attempt_token": token, **answers_for(quiz, only=others)}
    )
    assert response.status_code == 400
    assert "match this quiz" in response.content.decode()
    assert not QuizAttempt.objects.exists()
    # Answering the draw and extra questions as well is refused too.
    response = client.post(quiz_url(lesson), {"attempt_token": token, **answers_for(quiz)})
    assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_a_form_issued_before_draws_existed_still_submits(lesson, learner):
    """One-time tokens without a draw (issued before this release) ask every question."""
    from django.core import signing

    quiz = bank(lesson, objectives=1, per_objective=2, draw=None)
    token = signing.dumps(
        {"quiz": quiz.pk, "learner": learner.pk, "nonce": "old-form"},
        salt=services.ATTEMPT_TOKEN_SALT,
    )
    answers = {key.removeprefix("q"): value for key, value in answers_for(quiz).items()}
    outcome = services.submit_quiz_attempt(learner=learner, quiz=quiz, token=token, answers=answers)
    assert outcome.attempt.score == 100
    assert len(outcome.attempt.answers) == 2


# -- answers are earned ----------------------------------------------------------------------


def result_page(client, attempt) -> str:
    return client.get(attempt.get_absolute_url()).content.decode()


def test_a_failed_attempt_shows_what_was_missed_and_where_to_read_not_the_answers(
    client, lesson, learner
):
    quiz = bank(lesson, objectives=2, per_objective=2, draw=2)
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    attempt = QuizAttempt.objects.get()
    body = result_page(client, attempt)
    assert "You missed 2 of 2 questions" in body
    assert 'href="/tracks/' in body and "#sec-the-section" in body  # the section to revisit
    for question in quiz.questions.prefetch_related("choices"):
        assert question.explanation not in body
        for choice in question.choices.all():
            assert choice.feedback not in body
            if choice.is_correct:  # the right choices weren't picked, so never appear
                assert choice.text not in body


def test_the_answers_show_after_a_pass_on_every_attempt(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None)
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    failed = QuizAttempt.objects.get()
    take_quiz(client, lesson, correct=True)
    body = result_page(client, failed)
    assert "Explanation 1." in body
    assert 'tag--ok">correct answer' in body


def test_review_always_shows_the_answers_after_any_attempt(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None, review="always")
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    assert "Explanation 1." in result_page(client, QuizAttempt.objects.get())


def test_review_after_last_attempt_shows_them_once_no_attempt_will_open(client, lesson, learner):
    bank(
        lesson,
        objectives=1,
        per_objective=2,
        draw=None,
        review="after_last_attempt",
        max_attempts=2,
        retry_after_hours=0,
    )
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    first = QuizAttempt.objects.get()
    assert "Explanation 1." not in result_page(client, first)
    take_quiz(client, lesson, correct=False)
    assert "Explanation 1." in result_page(client, first)


def test_the_data_export_holds_the_answers_back_like_the_result_page(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None)
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    exported = client.get(reverse("progress:my_data")).content.decode()
    assert "Explanation 1." not in exported
    assert "Feedback" not in exported
    attempts = json.loads(exported)["progress.quizattempt"]
    assert all("correct" not in choice for choice in attempts[0]["answers"][0]["choices"])
    take_quiz(client, lesson, correct=True)
    assert "Explanation 1." in client.get(reverse("progress:my_data")).content.decode()


# -- attempts with a rhythm ------------------------------------------------------------------


def test_the_attempt_rule_as_a_function():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    hour = timedelta(hours=1)
    rule = {"max_attempts": 2, "retry_after_hours": 24}
    state = quizzes.allowance_from(**rule, attempt_times=[], grant_times=[], now=start)
    assert (state.left, state.opens_at) == (2, None)
    two = [start, start + hour]
    state = quizzes.allowance_from(**rule, attempt_times=two, grant_times=[], now=start + 2 * hour)
    assert (state.left, state.opens_at) == (0, start + 25 * hour)
    state = quizzes.allowance_from(**rule, attempt_times=two, grant_times=[], now=start + 25 * hour)
    assert state.left == 2  # a fresh set
    state = quizzes.allowance_from(
        **rule, attempt_times=two, grant_times=[start + 3 * hour], now=start + 4 * hour
    )
    assert state.left == 1  # a grant opens one at once
    state = quizzes.allowance_from(
        max_attempts=2,
        retry_after_hours=0,
        attempt_times=two,
        grant_times=[],
        now=start + 999 * hour,
    )
    assert state.final
    assert quizzes.allowance_from(
        max_attempts=None, retry_after_hours=24, attempt_times=two * 50, grant_times=[], now=start
    ).allowed


def test_attempts_run_out_then_a_fresh_set_opens_after_the_wait(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=2, retry_after_hours=24)
    client.force_login(learner)
    take_quiz(client, lesson, correct=False)
    take_quiz(client, lesson, correct=False)
    page = client.get(quiz_url(lesson)).content.decode()
    assert "A fresh set of questions opens on" in page
    assert 'name="attempt_token"' not in page
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(hours=25)):
        take_quiz(client, lesson, correct=True)
    assert QuizAttempt.objects.count() == 3
    assert QuizAttempt.objects.filter(passed=True).exists()


def test_a_form_opened_before_the_limit_is_refused_after_it(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=1, retry_after_hours=24)
    client.force_login(learner)
    html = client.get(quiz_url(lesson)).content.decode()
    stale_token = TOKEN_RE.search(html).group(1)
    take_quiz(client, lesson, correct=False)
    response = client.post(
        quiz_url(lesson),
        {"attempt_token": stale_token, **answers_for(lesson.quiz, only=drawn_question_ids(html))},
    )
    assert response.status_code == 400
    assert "A fresh set of questions opens on" in response.content.decode()
    assert QuizAttempt.objects.count() == 1


def test_a_manager_grants_one_more_attempt_and_it_is_recorded(client, lesson):
    bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=1, retry_after_hours=0)
    manager = factories.UserFactory(display_name="Max Manager")
    learner = factories.UserFactory(display_name="Lena")
    factories.team_with(manager=manager, learners=[learner])
    learner_client = Client()
    learner_client.force_login(learner)
    take_quiz(learner_client, lesson, correct=False)
    assert (
        "Your manager can grant you another"
        in learner_client.get(quiz_url(lesson)).content.decode()
    )

    client.force_login(manager)
    page = client.get(reverse("teams:team_attempts")).content.decode()
    assert "Lena" in page and lesson.title in page
    response = client.post(
        reverse("teams:team_attempts"), {"learner": learner.pk, "quiz": lesson.quiz.pk}
    )
    assert response.status_code == 302
    grant = AttemptGrant.objects.get()
    assert (grant.granted_by, grant.learner) == (manager, learner)
    assert grant.granted_at is not None
    page = client.get(reverse("teams:team_attempts")).content.decode()
    assert "can now take the quiz" in page  # the confirmation
    assert f'name="learner" value="{learner.pk}"' not in page  # no longer out of attempts

    take_quiz(learner_client, lesson, correct=True)
    assert QuizAttempt.objects.count() == 2


def test_a_manager_cannot_grant_to_someone_outside_their_teams(client, lesson, learner):
    bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=1)
    other_manager = factories.UserFactory()
    factories.team_with(manager=other_manager)
    client.force_login(other_manager)
    response = client.post(
        reverse("teams:team_attempts"), {"learner": learner.pk, "quiz": lesson.quiz.pk}
    )
    assert response.status_code == 404
    assert not AttemptGrant.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ten_forms_posted_at_once_record_no_more_than_the_limit():
    track = factories.make_track(slug="limit-race", modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=2)
    learner = factories.UserFactory()
    tokens = [services.new_attempt_token(learner=learner, quiz=quiz) for _ in range(10)]
    answers = answers_for(quiz, correct=False)

    def post(token):
        client = Client(raise_request_exception=False)
        client.force_login(learner)
        return client.post(quiz_url(lesson), {"attempt_token": token, **answers}).status_code

    statuses = at_once(post, tokens)
    assert all(status < 500 for status in statuses)
    assert QuizAttempt.objects.count() == 2
    assert sorted(QuizAttempt.objects.values_list("number", flat=True)) == [1, 2]
    assert statuses.count(302) == 2


@pytest.mark.django_db(transaction=True)
def test_ten_forms_posted_at_once_without_a_limit_are_all_recorded_in_order():
    """Counting and numbering happen under the learner's lock, so forms racing for the same
    learner don't fail each other: every one is recorded, numbered 1 to 10."""
    track = factories.make_track(slug="no-limit-race", modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = bank(lesson, objectives=1, per_objective=2, draw=None, max_attempts=None)
    learner = factories.UserFactory()
    tokens = [services.new_attempt_token(learner=learner, quiz=quiz) for _ in range(10)]
    answers = answers_for(quiz)

    def post(token):
        client = Client(raise_request_exception=False)
        client.force_login(learner)
        return client.post(quiz_url(lesson), {"attempt_token": token, **answers}).status_code

    assert at_once(post, tokens) == [302] * 10
    assert sorted(QuizAttempt.objects.values_list("number", flat=True)) == list(range(1, 11))
