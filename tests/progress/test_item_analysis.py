"""Item analysis: facility, discrimination and choice counts against a hand-computed fixture,
flags, the admin page and its CSV, and a query count that doesn't grow with attempts; the
tallies the page reads, kept in step by the quiz service (also when attempts arrive at once)
and recounted from the attempts, against figures computed straight from the attempts."""

import io
import math
import random

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.models import Choice, Question
from progress import item_analysis
from progress.models import QuizAttempt, QuizTally
from tests import factories
from tests.concurrency import at_once
from tests.progress.item_analysis_helpers import (
    a_drawn_quiz,
    answer_through_the_service,
    assert_same_figures,
    from_the_tallies,
    straight_from_the_attempts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    track = factories.make_track(modules=1, lessons_per_module=1)
    quiz = factories.add_quiz(track.lessons.get())
    quiz.questions.all().delete()
    for position in (1, 2, 3):
        question = Question.objects.create(
            quiz=quiz, position=position, prompt=f"Q{position}?", kind="single", explanation="."
        )
        for c in (1, 2, 3):
            Choice.objects.create(
                question=question,
                position=c,
                text=f"{position}.{c}",
                is_correct=c == 1,
                feedback=".",
            )
    return quiz


def record(quiz, learner, rights: list[bool], *, number: int = 1, picks: list[int] | None = None):
    """An attempt whose snapshot says which questions were right (and which choice was picked)."""
    answers = []
    for index, question in enumerate(quiz.questions.prefetch_related("choices")):
        choices = list(question.choices.all())
        pick = picks[index] if picks else (0 if rights[index] else 1)
        answers.append(
            {
                "question": question.pk,
                "prompt": question.prompt,
                "kind": "single",
                "explanation": ".",
                "correct": rights[index],
                "choices": [
                    {"choice": c.pk, "text": c.text, "correct": c.is_correct, "feedback": ".",
                     "chosen": i == pick}
                    for i, c in enumerate(choices)
                ],
            }
        )  # fmt: skip
    score = round(100 * sum(rights) / len(rights))
    attempt = QuizAttempt.objects.create(
        learner=learner,
        quiz=quiz,
        token=f"{learner.pk}-{number}",
        number=number,
        score=score,
        passed=score >= quiz.pass_mark,
        answers=answers,
    )
    item_analysis.count_attempt(attempt)  # as the quiz service does
    return attempt


def test_facility_discrimination_and_picks_match_the_hand_computed_figures(quiz):
    people = [factories.UserFactory() for _ in range(4)]
    for person, rights in zip(
        people,
        [[True, True, True], [True, True, False], [True, False, False], [False, False, False]],
        strict=True,
    ):
        record(quiz, person, rights)
    record(quiz, people[3], [True, True, True], number=2)  # a retry: not in the figures

    stats = item_analysis.quiz_stats(quiz)
    assert (stats.attempts, stats.first_attempts) == (5, 4)
    q1, _, q3 = stats.questions
    assert [q.facility for q in stats.questions] == [0.75, 0.5, 0.25]
    # Q1 right = [1,1,1,0]; rest of the attempt = [1, .5, 0, 0]: sxy .375, sxx .75, syy .6875
    assert q1.discrimination == pytest.approx(0.375 / math.sqrt(0.75 * 0.6875))
    # Q3 right = [1,0,0,0]; rest = [1, 1, .5, 0]: sxy .375, sxx .75, syy .6875 again
    assert q3.discrimination == pytest.approx(0.375 / math.sqrt(0.75 * 0.6875))
    assert [c.picked for c in q1.choices] == [3, 1, 0]
    assert q1.flags == []  # four responses: too few to flag


def test_flags_name_easy_questions_and_distractors_nobody_picks(quiz):
    for _ in range(6):
        record(quiz, factories.UserFactory(), [True, False, False], picks=[0, 1, 1])
    q1, q2, _ = item_analysis.quiz_stats(quiz).questions
    assert "too easy" in q1.flags
    assert "2 distractors never picked" in q1.flags
    assert "too hard" in q2.flags
    assert "1 distractor never picked" in q2.flags


def test_the_admin_page_and_csv_for_staff(client, staff_user, quiz):
    for rights in ([True, True, False], [True, False, False]):
        record(quiz, factories.UserFactory(), rights)
    client.force_login(staff_user)
    page = client.get(reverse("admin:progress_quizstatistics_change", args=[quiz.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "2 first attempts" in body and "Q1?" in body and "picked 2×" in body
    csv_text = client.get(reverse("admin:progress_quizstatistics_csv", args=[quiz.pk])).content
    lines = csv_text.decode().splitlines()
    assert lines[0].startswith("question,objective,prompt or choice,responses,facility")
    assert lines[1].startswith("1,,Q1?,2,1.00")


def test_the_analysis_reads_a_fixed_number_of_queries(quiz, django_assert_num_queries):
    for _ in range(30):
        record(quiz, factories.UserFactory(), [True, False, True])
    # the quiz's tally + the questions with theirs + the choices with theirs = 3, for 30
    # attempts as for 3
    with django_assert_num_queries(3):
        item_analysis.quiz_stats(quiz)


# -- the tallies against the attempts -----------------------------------------------------------


def test_the_tallies_the_service_keeps_match_the_attempts_and_the_recount():
    rng = random.Random(5)
    quiz = a_drawn_quiz()
    for _ in range(25):
        learner, skill = factories.UserFactory(), rng.random()
        for _ in range(rng.choice([1, 1, 2, 3])):  # retries count as attempts, not in the figures
            answer_through_the_service(quiz, learner, rng, skill)

    expected = straight_from_the_attempts(quiz)
    assert expected["attempts"] > expected["first"] == 25
    assert any(r is not None for _, _, r, _ in expected["questions"].values())
    assert_same_figures(from_the_tallies(quiz), expected)
    assert item_analysis.recount([quiz]) == 0  # nothing to correct
    assert_same_figures(from_the_tallies(quiz), expected)


def test_the_recount_corrects_what_the_service_cannot_see():
    rng = random.Random(8)
    quiz = a_drawn_quiz()
    learners = [factories.UserFactory() for _ in range(12)]
    for learner in learners:
        answer_through_the_service(quiz, learner, rng, rng.random())
    # An account deleted outright takes its attempts; a question or a choice deleted leaves the
    # bank; attempts loaded in bulk skip the service.
    learners[0].delete()
    quiz.questions.order_by("position").last().delete()
    Choice.objects.filter(question__quiz=quiz, is_correct=False).first().delete()
    QuizAttempt.objects.bulk_create(
        [
            QuizAttempt(
                learner=factories.UserFactory(), quiz=quiz, token="bulk", number=1, score=40,
                passed=False, answers=[],  # recorded before attempts kept question ids
            )
        ]
    )  # fmt: skip
    stale = from_the_tallies(quiz)
    assert stale["first"] == 12

    call_command("refresh_rollups", stdout=io.StringIO())
    expected = straight_from_the_attempts(quiz)
    assert expected["first"] == 12  # eleven left, and the one loaded in bulk
    assert_same_figures(from_the_tallies(quiz), expected)
    assert item_analysis.quiz_stats(quiz).unmatched == 1
    assert item_analysis.recount() == 0


@pytest.mark.django_db(transaction=True)
def test_first_attempts_sent_at_once_are_all_counted():
    quiz = a_drawn_quiz()
    learners = [factories.UserFactory() for _ in range(8)]
    at_once(
        lambda learner: answer_through_the_service(quiz, learner, random.Random(learner.pk), 0.5),
        learners,
    )
    assert QuizTally.objects.get(quiz=quiz).first_attempts == 8
    assert_same_figures(from_the_tallies(quiz), straight_from_the_attempts(quiz))
    assert item_analysis.recount([quiz]) == 0
