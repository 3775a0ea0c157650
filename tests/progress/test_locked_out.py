"""Who is out of attempts (the manager's quiz attempts page): `progress.quizzes.locked_out`
finds its candidates through the attempts at or past a quiz's limit, and must list exactly
the people the attempt rule (`allowance_from`) locks out, with their attempts and best score."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learners.models import Membership
from progress import quizzes
from progress.models import AttemptGrant, QuizAttempt
from tests import factories

pytestmark = pytest.mark.django_db


def expected_locked_out(learners, quizzes_, now) -> dict:
    """The rule applied to every person and quiz: {(learner id, quiz id): (used, best)}."""
    found = {}
    for learner in learners:
        for quiz in quizzes_:
            attempts = list(
                QuizAttempt.objects.filter(learner=learner, quiz=quiz).order_by("number")
            )
            if not attempts or any(a.passed for a in attempts):
                continue
            state = quizzes.allowance_from(
                max_attempts=quiz.max_attempts,
                retry_after_hours=quiz.retry_after_hours,
                attempt_times=[a.submitted_at for a in attempts],
                grant_times=list(
                    AttemptGrant.objects.filter(learner=learner, quiz=quiz).values_list(
                        "granted_at", flat=True
                    )
                ),
                now=now,
            )
            if not state.allowed:
                found[(learner.pk, quiz.pk)] = (state.used, max(a.score for a in attempts))
    return found


def test_locked_out_lists_exactly_whom_the_attempt_rule_locks_out():
    track = factories.make_track(modules=1, lessons_per_module=4)
    lessons = list(track.lessons.order_by("position"))
    limited = [
        factories.add_quiz(lessons[0], max_attempts=2, retry_after_hours=0),
        factories.add_quiz(lessons[1], max_attempts=3, retry_after_hours=24),
        factories.add_quiz(lessons[2], max_attempts=1, retry_after_hours=48),
    ]
    unlimited = factories.add_quiz(lessons[3], max_attempts=None)
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    outsider = factories.UserFactory()
    factories.team_with(learners=[outsider])
    learners = [factories.UserFactory() for _ in range(14)]
    Membership.objects.bulk_create(
        [Membership(user=learner, team=team, role="learner") for learner in learners]
    )
    now = timezone.now()
    rng = random.Random(21)
    for learner in [*learners, outsider]:
        for quiz in [*limited, unlimited]:
            count = rng.randint(0, (quiz.max_attempts or 3) + 2)
            passes_at = rng.choice([None, None, rng.randint(1, max(count, 1))])
            for number in range(1, count + 1):
                attempt = QuizAttempt.objects.create(
                    learner=learner,
                    quiz=quiz,
                    token=f"{learner.pk}-{quiz.pk}-{number}",
                    number=number,
                    score=100 if number == passes_at else rng.randint(0, 49),
                    passed=number == passes_at,
                    answers={},
                )
                # Hours or days apart: some waits have ended, some haven't.
                moment = now - timedelta(hours=rng.choice([1, 5, 30, 100]) * (count - number + 1))
                QuizAttempt.objects.filter(pk=attempt.pk).update(submitted_at=moment)
            if count and rng.random() < 0.25:
                AttemptGrant.objects.create(
                    learner=learner, quiz=quiz, granted_by=manager, granted_at=now
                )
    expected = expected_locked_out(learners, limited, now)
    assert len(expected) >= 4  # the draw locks several people out, in more than one quiz
    assert len({quiz_id for _, quiz_id in expected}) >= 2

    members = Membership.objects.filter(team=team, role="learner").values("user_id")
    with CaptureQueriesContext(connection) as captured:
        rows = quizzes.locked_out(learner_ids=members, now=now)
    assert len(captured) <= 6
    assert {
        (row.learner.pk, row.quiz.pk): (row.allowance.used, row.best) for row in rows
    } == expected
    assert [row.learner.name.lower() for row in rows] == sorted(
        row.learner.name.lower() for row in rows
    )
    # Nobody passed, nobody outside the team, no quiz without a limit.
    assert outsider.pk not in {row.learner.pk for row in rows}
    assert unlimited.pk not in {row.quiz.pk for row in rows}
