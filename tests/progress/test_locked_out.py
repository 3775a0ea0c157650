"""Who is out of attempts (the manager's quiz attempts page): `progress.quizzes.locked_out`
finds its candidates through the attempts at or past a quiz's limit, and must list exactly
the people the attempt rule (`allowance_from`) locks out, with their attempts and best score."""

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learners.models import Membership
from learners.selectors import managed_team_ids
from progress import quizzes
from progress.models import AttemptGrant, QuizAttempt
from tests import factories
from tests.statements import Statements, sqlite_plan

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

    with CaptureQueriesContext(connection) as captured:
        rows = quizzes.locked_out(team_ids=managed_team_ids(manager), now=now)
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


def run_out(learner, quiz, *, hours_ago: float, now):
    """`learner` used every attempt at `quiz`, the last one `hours_ago` hours before `now`."""
    for number in range(1, quiz.max_attempts + 1):
        attempt = QuizAttempt.objects.create(
            learner=learner,
            quiz=quiz,
            token=f"{learner.pk}-{quiz.pk}-{number}",
            number=number,
            score=20,
            passed=False,
            answers={},
        )
        moment = now - timedelta(hours=hours_ago + quiz.max_attempts - number)
        QuizAttempt.objects.filter(pk=attempt.pk).update(submitted_at=moment)


def test_the_same_sql_for_three_people_out_of_attempts_as_for_thirty():
    """The people found go back to the database as lists in one parameter each, so neither the
    SQL nor its number of parameters grows with them (per-person parameters would fail past the
    databases' limits, 32,766 on SQLite)."""
    track = factories.make_track(modules=1, lessons_per_module=2)
    first, second = track.lessons.order_by("position")
    forever = factories.add_quiz(first, max_attempts=2, retry_after_hours=0)
    waits = factories.add_quiz(second, max_attempts=1, retry_after_hours=24)
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    now = timezone.now()
    members = Membership.objects.filter(team=team, role="learner").values("user_id")

    def statements_for(count: int) -> list[tuple[str, tuple]]:
        for _ in range(count - members.count()):
            learner = factories.UserFactory()
            Membership.objects.create(user=learner, team=team, role="learner")
            run_out(learner, forever, hours_ago=2, now=now)
            run_out(learner, waits, hours_ago=3, now=now)
        statements = Statements()
        with connection.execute_wrapper(statements):
            rows = quizzes.locked_out(team_ids=[team.pk], now=now)
        assert len(rows) == 2 * count
        return statements.sent

    few, many = statements_for(3), statements_for(30)
    assert [sql for sql, _ in few] == [sql for sql, _ in many]
    assert [len(params) for _, params in few] == [len(params) for _, params in many]


def test_whoever_ran_out_before_the_wait_ended_is_not_even_a_candidate():
    """Someone who used every attempt at a quiz with a wait, long enough ago that it has ended,
    has attempts again: the attempts at the limit made before the wait began don't make them a
    candidate, so nothing more of theirs is read. Someone whose wait is running is read and
    listed."""
    track = factories.make_track(modules=1, lessons_per_module=1)
    quiz = factories.add_quiz(track.lessons.get(), max_attempts=2, retry_after_hours=24)
    manager = factories.UserFactory()
    came_back_never, waiting = factories.UserFactory(), factories.UserFactory()
    factories.team_with(manager=manager, learners=[came_back_never, waiting])
    now = timezone.now()
    run_out(came_back_never, quiz, hours_ago=24 * 200, now=now)
    run_out(waiting, quiz, hours_ago=23, now=now)
    statements = Statements()
    with connection.execute_wrapper(statements):
        rows = quizzes.locked_out(
            team_ids=Membership.objects.filter(role="learner").values("team_id"), now=now
        )
    assert [row.learner for row in rows] == [waiting]
    listed = {  # the ids sent as lists: `[1,2]` on SQLite, `{1,2}` on PostgreSQL
        int(number)
        for _, params in statements.sent
        for value in params
        if isinstance(value, str) and value[:1] in "[{"
        for number in re.findall(r"\d+", value)
    }
    assert waiting.pk in listed
    assert came_back_never.pk not in listed


def test_the_managers_page_lists_fifty_at_a_time_and_a_grant_returns_to_its_page(client):
    track = factories.make_track(modules=1, lessons_per_module=1)
    quiz = factories.add_quiz(track.lessons.get(), max_attempts=1, retry_after_hours=0)
    manager = factories.UserFactory()
    people = [factories.UserFactory(display_name=f"Learner {n:02}") for n in range(53)]
    factories.team_with(manager=manager, learners=people)
    now = timezone.now()
    for person in people:
        run_out(person, quiz, hours_ago=1, now=now)
    client.force_login(manager)
    url = reverse("teams:team_attempts")

    first = client.get(url).content.decode()
    assert "Out of attempts: 53" in first and "1–50 shown, by name" in first
    assert first.count('name="learner"') == 50
    assert "Learner 00" in first and "Learner 52" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('name="learner"') == 3 and "Learner 52" in second
    assert client.get(url, {"page": "x"}).content.decode().count('name="learner"') == 50

    response = client.post(url, {"learner": people[52].pk, "quiz": quiz.pk, "page": "2"})
    assert response.status_code == 302 and response["Location"] == f"{url}?page=2"
    assert AttemptGrant.objects.get().learner == people[52]
    # Anything but a page number goes back to the first page.
    response = client.post(url, {"learner": people[51].pk, "quiz": quiz.pk, "page": "//x.test"})
    assert response["Location"] == url


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan, without statistics")
def test_sqlite_finds_the_candidates_from_the_attempts_at_a_limit():
    """Many quizzes under one rule (the seeded site's 55 quizzes of 3 attempts and a day's
    wait): asked whether each attempt's person is in the team as `learner_id IN (…)`, SQLite
    walked the (learner, quiz) index for every person of the team and every quiz, 115 ms for a
    team of 10,000; asked per attempt found (EXISTS), it reads the (quiz, number) index."""
    track = factories.make_track(modules=3, lessons_per_module=10)
    for lesson in track.lessons.all():
        factories.add_quiz(lesson, max_attempts=3, retry_after_hours=24)
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[factories.UserFactory()])
    with CaptureQueriesContext(connection) as captured:
        quizzes.locked_out(team_ids=managed_team_ids(manager))
    (candidates,) = [q["sql"] for q in captured.captured_queries if "DISTINCT" in q["sql"]]
    assert "quiz_attempt_quiz_number_idx" in sqlite_plan(candidates)
