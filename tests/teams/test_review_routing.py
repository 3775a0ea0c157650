"""Every submission reaches a reviewer (issue 22, item 3 in part): work from someone without a
manager waits in staff's review queue."""

import pytest
from django.urls import reverse

from progress import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_learner_without_a_manager_is_reviewed_by_staff(client):
    loner = factories.UserFactory(display_name="Sam Selfsignup")  # in no team
    track = factories.make_track(modules=1, lessons_per_module=1)
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.get()))
    services.submit_assignment(learner=loner, assignment=assignment, text="My plan.")

    client.force_login(factories.UserFactory(is_staff=True))
    assert "Sam Selfsignup" in client.get(reverse("teams:team_reviews")).content.decode()

    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[factories.UserFactory()])
    client.force_login(manager)
    assert "Sam Selfsignup" not in client.get(reverse("teams:team_reviews")).content.decode()
