"""After signing in, each role starts where its work is (issue 22, item 4)."""

import pytest
from django.urls import reverse

from learners.models import TrackAssignment
from progress import services as progress
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db


def landing(client, user) -> str:
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response["Location"] == reverse("teams:start")
    return client.get(response["Location"])["Location"]


def test_a_manager_starts_on_their_team(client):
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[factories.UserFactory()])
    assert landing(client, manager) == reverse("teams:team")


def test_staff_start_on_every_team(client):
    assert landing(client, factories.UserFactory(is_staff=True)) == reverse("teams:team")


def test_a_new_learner_starts_with_the_placement_check(client):
    learner = factories.UserFactory()
    factories.team_with(learners=[learner])
    assert landing(client, learner) == reverse("placement")


def test_a_learner_with_an_assigned_track_starts_on_my_learning(client):
    learner, manager = factories.UserFactory(), factories.UserFactory()
    team = factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=1)
    TrackAssignment.objects.create(team=team, track=track, assigned_by=manager)
    assert landing(client, learner) == reverse("progress:me")


def test_a_learner_with_progress_starts_on_my_learning(client):
    learner = factories.UserFactory()
    progress.enrol(learner=learner, track=factories.make_track(modules=1, lessons_per_module=1))
    assert landing(client, learner) == reverse("progress:me")


def test_a_policy_to_acknowledge_is_prompted_wherever_they_start(client):
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    gov.publish(team.organisation, "## Policy\n\nBe kind.")
    assert landing(client, manager) == reverse("teams:team")
    body = client.get(reverse("teams:team")).content.decode()
    assert "asks you to read and acknowledge its social media policy (version 1)" in body
    assert f'<a href="{reverse("governance:policy")}">Read it now</a>' in body
