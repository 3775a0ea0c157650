"""A learner's page for their manager (/team/people/<id>/, issue 22 item 5)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learners.models import Membership, Organisation, Team, TrackAssignment
from progress import services as progress
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    learner = factories.UserFactory(display_name="Sean Newcomer")
    manager = factories.UserFactory(display_name="Morgan")
    team = factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=3)
    return learner, manager, team, track


def url(person) -> str:
    return reverse("teams:person", args=[person.pk])


def take_quiz(learner, quiz, *, right: bool):
    answers = {
        str(question.pk): [
            str(choice.pk) for choice in question.choices.all() if choice.is_correct == right
        ][:1]
        for question in quiz.questions.all()
    }
    token = progress.new_attempt_token(learner=learner, quiz=quiz)
    return progress.submit_quiz_attempt(learner=learner, quiz=quiz, token=token, answers=answers)


def test_the_manager_sees_progress_attempts_work_and_clearance(client, world):
    learner, manager, team, track = world
    lessons = list(track.lessons.order_by("position"))
    quiz = factories.add_quiz(lessons[1])
    progress.record_lesson_completion(learner=learner, lesson=lessons[0])
    take_quiz(learner, quiz, right=False)
    take_quiz(learner, quiz, right=True)
    assignment = factories.add_rubric(factories.add_assignment(lessons[2]))
    progress.submit_assignment(learner=learner, assignment=assignment, text="My plan.")
    gov.level(team.organisation, "Cleared to post", tracks=[track])
    gov.publish(team.organisation)

    client.force_login(manager)
    body = client.get(url(learner)).content.decode()

    assert "<h1>Sean Newcomer</h1>" in body
    assert f"{track.title}" in body and "2 of 3 lessons" in body
    assert body.count("not passed") == 1 and "passed</span>" in body
    assert reverse("progress:submission", args=[learner.submissions.get().pk]) in body
    assert "Awaiting review" in body
    assert "Clearance at Acme" in body and "Cleared to post" in body and "not yet" in body


def test_dashboard_names_link_to_the_person(client, world):
    learner, manager, team, track = world
    TrackAssignment.objects.create(team=team, track=track, assigned_by=manager)
    progress.enrol(learner=learner, track=track)
    client.force_login(manager)
    body = client.get(reverse("teams:team")).content.decode()
    assert f'<a href="{url(learner)}"><strong>Sean Newcomer</strong></a>' in body


def test_only_their_managers_and_staff_see_a_person(client, world):
    learner, manager, _, _ = world
    other_manager = factories.UserFactory()
    factories.team_with(manager=other_manager, learners=[factories.UserFactory()])
    client.force_login(other_manager)
    assert client.get(url(learner)).status_code == 404
    client.force_login(learner)
    assert client.get(url(learner)).status_code == 403  # not a manager
    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get(url(learner)).status_code == 200
    client.force_login(manager)
    assert client.get(reverse("teams:person", args=[999999])).status_code == 404


def test_a_manager_sees_clearance_only_in_their_own_organisation(client, world):
    learner, manager, _, track = world

    elsewhere = Organisation.objects.create(name="Globex", slug="globex")
    Membership.objects.create(
        user=learner, team=Team.objects.create(organisation=elsewhere, name="Globex team")
    )
    gov.level(elsewhere, "Globex spokesperson", tracks=[track])
    gov.publish(elsewhere, "Globex policy.")
    client.force_login(manager)
    body = client.get(url(learner)).content.decode()
    assert "Globex" not in body


def test_the_page_costs_the_same_queries_whatever_the_history(client, world):
    learner, manager, _, track = world
    lessons = list(track.lessons.order_by("position"))
    quiz = factories.add_quiz(lessons[1])
    client.force_login(manager)
    counts = []
    for _ in range(2):
        for _ in range(3):
            take_quiz(learner, quiz, right=False)
        client.get(url(learner))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(learner)).status_code == 200
        counts.append(len(captured))
    # user + is a manager + the person with their memberships + enrolments + lessons
    # + certificates + the latest 20 attempts + submissions + policy versions + clearance
    # levels = 10, within the team pages' budget
    assert counts[0] == counts[1] <= 10, counts
