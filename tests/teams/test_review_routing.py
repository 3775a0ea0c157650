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


# -- reviewers an organisation names for its learners without a manager -----------------


@pytest.fixture
def unmanaged(db):
    """Ola, in a team of Acme with no manager; Rita, named Acme's reviewer; Otto, named
    reviewer of another organisation."""
    from learners.models import Organisation

    ola = factories.UserFactory(display_name="Ola Unmanaged")
    team = factories.team_with(learners=[ola])
    rita = factories.UserFactory(display_name="Rita Reviewer")
    team.organisation.reviewers.add(rita)
    other = Organisation.objects.create(name="Other", slug="other")
    otto = factories.UserFactory(display_name="Otto Elsewhere")
    other.reviewers.add(otto)
    track = factories.make_track(modules=1, lessons_per_module=1)
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.get()))
    submission = services.submit_assignment(learner=ola, assignment=assignment, text="My plan.")
    return {"ola": ola, "team": team, "rita": rita, "otto": otto, "submission": submission}


def test_a_named_reviewer_gets_the_work_of_learners_without_a_manager(client, unmanaged):
    client.force_login(unmanaged["rita"])
    inbox = client.get(reverse("teams:team_reviews"))
    assert inbox.status_code == 200
    assert "Ola Unmanaged" in inbox.content.decode()
    # The header links the inbox, as the team menu would for a manager.
    assert (
        f'href="{reverse("teams:team_reviews")}"'
        in client.get(reverse("progress:me")).content.decode()
    )

    detail = client.get(unmanaged["submission"].get_absolute_url())
    assert detail.status_code == 200
    assert "Review" in detail.content.decode()

    client.force_login(unmanaged["otto"])
    assert "Ola Unmanaged" not in client.get(reverse("teams:team_reviews")).content.decode()
    assert client.get(unmanaged["submission"].get_absolute_url()).status_code == 404


def test_the_learner_is_told_who_reviews_their_work(client, unmanaged):
    client.force_login(unmanaged["ola"])
    lesson = unmanaged["submission"].assignment.lesson
    page = client.get(reverse("progress:assignment", args=[lesson.track.slug, lesson.slug]))
    assert "your organisation&#x27;s reviewers" in page.content.decode()


def test_once_the_team_has_a_manager_the_manager_reviews_instead(client, unmanaged):
    from learners.models import Membership

    manager = factories.UserFactory()
    Membership.objects.create(user=manager, team=unmanaged["team"], role="manager")

    client.force_login(unmanaged["rita"])
    assert "Ola Unmanaged" not in client.get(reverse("teams:team_reviews")).content.decode()
    client.force_login(manager)
    assert "Ola Unmanaged" in client.get(reverse("teams:team_reviews")).content.decode()


def test_a_person_who_neither_manages_nor_reviews_is_refused_the_inbox(client, unmanaged):
    client.force_login(unmanaged["ola"])
    assert client.get(reverse("teams:team_reviews")).status_code == 403
