"""Redirects only lead back into the site: no "next" parameter sends anyone elsewhere."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

ELSEWHERE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_in_never_sends_people_to_another_site(client, target):
    factories.UserFactory(email="next@example.com")
    response = client.post(
        f"{reverse('account_login')}?next={target}",
        {"login": "next@example.com", "password": factories.PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/")
    assert not response["Location"].startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_nudge_form_only_returns_to_the_site(target):
    """Found by this suite (an open redirect through `next`), fixed in team_views.nudge."""
    world = build_world()
    client = Client()
    client.force_login(world.users["manager"])
    response = client.post(
        reverse("teams:team_nudge"),
        {"learner": world.a.pk, "track": world.track.pk, "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
