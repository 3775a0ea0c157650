"""Profile and sign-up fixes of issue 22, item 7: the team digest only for managers, the digest
hour as a time, and new accounts on the browser's time zone."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from learners.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def signup(client, **extra):
    cache.clear()  # allauth's rate limits
    return client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "display_name": "New Person",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            **extra,
        },
    )


def test_the_team_digest_is_offered_to_managers_only(client):
    learner = factories.UserFactory()
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[learner])

    client.force_login(learner)
    assert "manager_digest_enabled" not in client.get(reverse("profile")).content.decode()
    client.force_login(manager)
    assert "manager_digest_enabled" in client.get(reverse("profile")).content.decode()


def test_saving_a_learners_profile_keeps_the_team_digest_setting(client):
    learner = factories.UserFactory()
    client.force_login(learner)

    response = client.post(
        reverse("profile"),
        {
            "profile-display_name": "Lena",
            "profile-timezone": "Europe/London",
            "prefs-digest_weekday": "2",
            "prefs-digest_hour": "18",
            "prefs-digest_enabled": "on",
        },
    )

    assert response.status_code == 302
    preferences = learner.preferences
    preferences.refresh_from_db()
    assert (preferences.digest_hour, preferences.manager_digest_enabled) == (18, True)


def test_the_digest_hour_reads_as_a_time(client):
    client.force_login(factories.UserFactory())

    page = client.get(reverse("profile")).content.decode()

    assert '<option value="8" selected>08:00</option>' in page
    assert ">23:00</option>" in page


def test_a_new_account_starts_on_the_browsers_time_zone(client):
    assert "data-browser-timezone" in client.get(reverse("account_signup")).content.decode()

    signup(client, timezone="Europe/Paris")

    assert User.objects.get(email="new@example.com").timezone == "Europe/Paris"


def test_an_unknown_time_zone_from_the_browser_is_ignored(client):
    signup(client, timezone="Mars/Olympus_Mons")

    assert User.objects.get(email="new@example.com").timezone == "UTC"


def test_the_account_pages_speak_the_sites_language(client):
    login = client.get(reverse("account_login")).content.decode()
    signup_page = client.get(reverse("account_signup")).content.decode()
    reset = client.get(reverse("account_reset_password")).content.decode()

    assert "Sign in" in login and "Sign In" not in login
    assert "Keep me signed in on this device" in login and "Remember Me" not in login
    assert "Email:" not in login and "Email:" not in signup_page
    assert "Create your account" in signup_page and "Sign Up" not in signup_page
    assert "Reset your password" in reset and "Please contact us" not in reset
    assert "Check your spam folder" in reset


def test_a_refused_page_says_why_in_the_sites_layout(client):
    client.force_login(factories.UserFactory(email="lena@example.com"))

    response = client.get(reverse("teams:team_attempts"))

    body = response.content.decode()
    assert response.status_code == 403
    assert 'class="site-header"' in body
    assert "Only team managers can open this page." in body
    assert "signed in as lena@example.com" in body
