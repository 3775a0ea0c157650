"""Nudges: one a day at most, the most useful first, only in waking hours, each topic once."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from learners.models import Preferences
from notifications import dispatch
from progress import services
from progress.models import RetrievalAnswer
from teams import services as team_services
from tests import factories
from tests.progress.helpers import take_quiz

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def nudges_to(email):
    """The nudges sent to `email`: not the weekly digest, nor the note that a track was
    assigned (which the dispatcher sends too, when the worker never did)."""
    return [
        m
        for m in mail.outbox
        if m.to == [email] and "Your week" not in m.subject and " assigned you " not in m.subject
    ]


@pytest.fixture
def setup():
    manager = factories.UserFactory(display_name="Max")
    learner = factories.UserFactory(email="lena@example.com", display_name="Lena")
    team = factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=3)
    Preferences.objects.create(user=learner, digest_enabled=False)
    return manager, learner, team, track


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_inactive_for_a_week_gets_one_reminder(setup):
    _, learner, _, track = setup
    with at(MONDAY_10 - timedelta(days=8)):
        services.record_lesson_visit(learner=learner, lesson=track.lessons.first())
    dispatch.dispatch(now=MONDAY_10, enqueue=False)
    [email] = nudges_to(learner.email)
    assert "Pick up" in email.subject
    dispatch.dispatch(now=MONDAY_10 + timedelta(days=1), enqueue=False)
    assert len(nudges_to(learner.email)) == 1  # that inactivity spell was already covered


def test_due_soon_then_overdue_once_then_weekly(setup):
    manager, learner, team, track = setup
    due = (MONDAY_10 + timedelta(days=2)).date()
    with at(MONDAY_10 - timedelta(days=1)):
        team_services.assign_track(manager=manager, track=track, team=team, due_date=due)
        services.record_lesson_visit(learner=learner, lesson=track.lessons.first())
    dispatch.dispatch(now=MONDAY_10, enqueue=False)
    assert "is due on" in nudges_to(learner.email)[-1].subject
    for day in range(1, 12):
        dispatch.dispatch(now=MONDAY_10 + timedelta(days=day), enqueue=False)
    overdue = [m for m in nudges_to(learner.email) if "overdue" in m.subject]
    assert len(overdue) == 2  # the day after the due date, then a week later


def test_one_nudge_a_day_and_the_most_useful_wins(setup):
    manager, learner, team, track = setup
    with at(MONDAY_10 - timedelta(days=10)):
        team_services.assign_track(
            manager=manager, track=track, team=team, due_date=(MONDAY_10 - timedelta(days=1)).date()
        )
        services.record_lesson_visit(learner=learner, lesson=track.lessons.first())
    now = MONDAY_10
    dispatch.dispatch(now=now, enqueue=False)
    dispatch.dispatch(now=now + timedelta(hours=2), enqueue=False)
    [email] = nudges_to(learner.email)
    assert "overdue" in email.subject  # overdue beats inactive


def test_review_received_is_the_first_nudge(setup):
    manager, learner, _, track = setup
    lesson = track.lessons.first()
    factories.add_rubric(factories.add_assignment(lesson))
    with at(MONDAY_10 - timedelta(hours=3)):
        submission = services.submit_assignment(
            learner=learner, assignment=lesson.assignment, text="Work"
        )
        services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome="approved",
            feedback="Good.",
            points={c.pk: c.points for c in lesson.assignment.rubric.all()},
        )
    dispatch.dispatch(now=MONDAY_10, enqueue=False)
    [email] = nudges_to(learner.email)
    assert email.subject == "Your practice work was reviewed"
    assert f"/submissions/{submission.pk}/" in email.body


def test_no_nudges_at_night_or_when_switched_off(setup):
    _, learner, _, track = setup
    with at(MONDAY_10 - timedelta(days=8)):
        services.record_lesson_visit(learner=learner, lesson=track.lessons.first())
    dispatch.dispatch(now=MONDAY_10.replace(hour=22), enqueue=False)
    assert nudges_to(learner.email) == []
    learner.timezone = "Pacific/Auckland"  # 22:00 UTC is 11:00 in Auckland
    learner.save()
    Preferences.objects.filter(user=learner).update(nudge_inactive=False)
    dispatch.dispatch(now=MONDAY_10.replace(hour=22), enqueue=False)
    assert nudges_to(learner.email) == []


def test_retrieval_practice_link_records_the_answer_and_explains(client, setup):
    _, learner, _, track = setup
    lesson = track.lessons.first()
    factories.add_quiz(lesson)
    client.force_login(learner)
    with at(MONDAY_10 - timedelta(days=5)):
        take_quiz(client, lesson, correct=True)
    client.logout()
    Preferences.objects.filter(user=learner).update(nudge_inactive=False)
    dispatch.dispatch(now=MONDAY_10, enqueue=False)
    [email] = nudges_to(learner.email)
    assert email.subject == "A two-second practice question"
    links = dict(re.findall(r"\* (Right|Wrong): (http://testserver/practice/\S+)", email.body))
    wrong = links["Wrong"].replace("http://testserver", "")
    # Opening the link (as a mail scanner does) only asks to confirm: nothing is recorded,
    # nothing is revealed.
    opened = client.get(wrong).content.decode()
    assert "Check my answer" in opened
    assert "Because." not in opened and "Not quite" not in opened
    assert not RetrievalAnswer.objects.exists()
    response = client.post(wrong)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not quite" in body
    assert "Because." in body
    answer = RetrievalAnswer.objects.get()
    assert (answer.learner, answer.correct) == (learner, False)
    client.post(links["Right"].replace("http://testserver", ""))
    assert RetrievalAnswer.objects.count() == 1  # one answer per emailed question
    assert client.get("/practice/forged/").status_code == 400
