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


@pytest.mark.xfail(
    strict=True,
    reason=(
        "VULNERABILITY (low: needs a CSRF-valid POST from the manager): progress.team_views.nudge "
        "redirects to request.POST['next'] unchecked, an open redirect. Fix in "
        "progress/team_views.py (not ours to edit): `from django.utils.http import "
        "url_has_allowed_host_and_scheme`; `target = request.POST.get('next', ''); if not "
        "url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, "
        "require_https=request.is_secure()): target = reverse('progress:team')`; "
        "`return redirect(target)`. Remove this xfail then."
    ),
)
@pytest.mark.parametrize(
    "target", [t for t in ELSEWHERE if "\\" not in t]
)  # a backslash is escaped
def test_the_nudge_form_only_returns_to_the_site(target):
    world = build_world()
    client = Client()
    client.force_login(world.users["manager"])
    response = client.post(
        reverse("progress:team_nudge"),
        {"learner": world.a.pk, "track": world.track.pk, "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
