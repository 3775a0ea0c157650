"""Quizzes answered through the quiz service, and item-analysis figures computed straight from
the attempts (with the standard library's correlation) to hold the tallies against."""

import random
import statistics

import pytest

from courses.models import Choice, Question
from progress import item_analysis, services
from progress.models import QuizAttempt
from tests import factories


def straight_from_the_attempts(quiz) -> dict:
    """The figures computed from every first attempt, with the standard library's correlation:
    what the tallies must agree with."""
    bank = {
        q.pk: {c.pk for c in q.choices.all()} for q in quiz.questions.prefetch_related("choices")
    }
    first = list(QuizAttempt.objects.filter(quiz=quiz, number=1))
    questions = {}
    for pk, choices in bank.items():
        pairs, picks = [], dict.fromkeys(sorted(choices), 0)
        for attempt in first:
            item = next((a for a in attempt.answers if a["question"] == pk), None)
            if item is None:
                continue
            right = sum(a["correct"] for a in attempt.answers)
            got = 1 if item["correct"] else 0
            pairs.append((got, (right - got) / (len(attempt.answers) - 1)))
            for choice in item["choices"]:
                if choice["choice"] in picks:  # not deleted since
                    picks[choice["choice"]] += choice["chosen"]
        try:
            r = statistics.correlation([x for x, _ in pairs], [y for _, y in pairs])
        except statistics.StatisticsError:  # fewer than two, or one side constant
            r = None
        questions[pk] = (len(pairs), sum(x for x, _ in pairs), r, picks)
    return {
        "attempts": QuizAttempt.objects.filter(quiz=quiz).count(),
        "first": len(first),
        "mean": statistics.mean(a.score for a in first) if first else None,
        "questions": questions,
    }


def from_the_tallies(quiz) -> dict:
    stats = item_analysis.quiz_stats(quiz)
    return {
        "attempts": stats.attempts,
        "first": stats.first_attempts,
        "mean": stats.mean_first_score,
        "questions": {
            item.question.pk: (
                item.responses,
                item.right,
                item.discrimination,
                {c.pk: c.picked for c in item.choices},
            )
            for item in stats.questions
        },
    }


def assert_same_figures(tallied: dict, expected: dict) -> None:
    assert tallied.keys() == expected.keys()
    for key in ("attempts", "first"):
        assert tallied[key] == expected[key]
    assert tallied["mean"] == pytest.approx(expected["mean"])
    assert tallied["questions"].keys() == expected["questions"].keys()
    for pk, (responses, right, r, picks) in expected["questions"].items():
        got = tallied["questions"][pk]
        assert (got[0], got[1], got[3]) == (responses, right, picks)
        assert got[2] == (None if r is None else pytest.approx(r, abs=1e-9))


def a_drawn_quiz(questions: int = 6, draw: int = 4):
    lesson = factories.make_track(modules=1, lessons_per_module=1).lessons.get()
    quiz = factories.add_quiz(lesson, draw=draw)
    for position in range(2, questions + 1):
        question = Question.objects.create(
            quiz=quiz, position=position, prompt=f"Q{position}?", kind="single", explanation="."
        )
        for c in (1, 2, 3):
            Choice.objects.create(
                question=question, position=c, text=f"{c}", is_correct=c == 1, feedback="."
            )
    return quiz


def answer_through_the_service(quiz, learner, rng: random.Random, skill: float):
    """One attempt by `learner` at the questions their form drew, each right with a chance that
    grows with `skill`, through the quiz service."""
    token = services.new_attempt_token(learner=learner, quiz=quiz)
    form = services.read_attempt_token(token, learner=learner, quiz=quiz)
    choices = {c.pk: c for c in Choice.objects.filter(question__quiz=quiz)}
    answers = {}
    for question, order in form.draw:
        right = [pk for pk in order if choices[pk].is_correct]
        wrong = [pk for pk in order if not choices[pk].is_correct]
        pick = right if rng.random() < 0.3 + 0.6 * skill else [rng.choice(wrong)]
        answers[str(question)] = [str(pk) for pk in pick]
    return services.submit_quiz_attempt(learner=learner, quiz=quiz, token=token, answers=answers)
