"""Accounts through django-allauth: signup, verification, login, logout, reset, rate limits."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from learners.models import User
from tests import factories

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"https?://[^\s]+")
PREFERENCES = {"prefs-digest_weekday": "0", "prefs-digest_hour": "8", "prefs-digest_enabled": "on"}


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def link_in(message) -> str:
    return LINK_RE.search(message.body).group(0)


def code_in(message) -> str:
    """The verification code: on its own indented line, whole (never wrapped or encoded)."""
    return re.search(r"^    (\S+)$", message.body, re.MULTILINE).group(1)


def test_signup_verify_login_logout(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends after commit
        response = client.post(
            reverse("account_signup"),
            {
                "email": "New.Person@Example.com",
                "display_name": "New Person",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.display_name == "New Person"
    # Mandatory verification: not signed in until the emailed code is entered, on the page
    # sign-up led to.
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get("/profile/").status_code == 302
    [message] = mailoutbox
    assert message.to == ["new.person@example.com"]
    code = code_in(message)
    assert code in message.alternatives[0].content  # the HTML part shows it too
    page = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "Enter the code we emailed you" in page
    assert "new.person@example.com" in page

    wrong = client.post(reverse("account_email_verification_sent"), {"code": "WRONG1"})
    assert wrong.status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    assert client.get("/profile/").status_code == 200  # signed in on confirmation
    client.post(reverse("account_logout"))
    assert client.get("/profile/").status_code == 302

    response = client.post(
        reverse("account_login"),
        {"login": "NEW.PERSON@example.com", "password": "a-long-unusual-passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200


def test_signup_page_uses_the_site_layout(client):
    body = client.get(reverse("account_signup")).content.decode()
    assert 'class="site-header"' in body
    assert "Skip to main content" in body
    assert 'name="display_name"' in body
    assert 'name="username"' not in body


def test_password_reset(client, mailoutbox, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="reset@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "reset@example.com"})
    [message] = mailoutbox
    reset_url = link_in(message)
    response = client.get(reset_url, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else reset_url
    response = client.post(
        form_url, {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase")


def test_password_reset_does_not_reveal_unknown_accounts(client, mailoutbox):
    factories.UserFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def wrong_login(client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": "wrong-password"})


def test_sixth_wrong_password_in_a_row_is_refused(client):
    factories.UserFactory(email="target@example.com")
    for _ in range(5):
        body = wrong_login(client, "target@example.com").content.decode()
        assert "Too many failed login attempts" not in body
    body = wrong_login(client, "target@example.com").content.decode()
    assert "Too many failed login attempts" in body
    # Changing the case of the email does not reset the count...
    assert (
        "Too many failed login attempts"
        in wrong_login(client, "TARGET@example.com").content.decode()
    )
    # ...and neither does the right password while locked.
    response = client.post(
        reverse("account_login"), {"login": "target@example.com", "password": factories.PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()


def test_forwarded_for_header_does_not_bypass_the_limit(client):
    factories.UserFactory(email="target@example.com")
    for n in range(6):
        response = client.post(
            reverse("account_login"),
            {"login": "target@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert "Too many failed login attempts" in response.content.decode()


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_password_change_logs_out_other_sessions(client):
    user = factories.UserFactory()
    other = client.__class__()
    other.force_login(user)
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": factories.PASSWORD,
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    assert other.get("/profile/").status_code == 302


def test_profile_updates_name_and_timezone(client, learner):
    client.force_login(learner)
    response = client.post(
        "/profile/",
        {"profile-display_name": "Lena L.", "profile-timezone": "Europe/London", **PREFERENCES},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.display_name, learner.timezone) == ("Lena L.", "Europe/London")


def test_profile_rejects_unknown_timezone_and_keeps_saved_data(client, learner):
    client.force_login(learner)
    response = client.post(
        "/profile/",
        {"profile-display_name": "Changed", "profile-timezone": "Mars/Olympus", **PREFERENCES},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    learner.refresh_from_db()
    assert learner.display_name == "Lena Learner"


def test_user_emails_are_unique_whatever_their_case(db):
    from django.db import IntegrityError, transaction

    User.objects.create_user("case@example.com", "x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="CASE@example.com")


# -- the login rate limit can't be sidestepped --------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["spaces around the address", "upper-case domain", "a new session and IP each time"],
)
def test_the_login_limit_is_per_address_however_the_attempts_arrive(variant):
    from django.test import Client

    factories.UserFactory(email="target@example.com")
    response = None
    for n in range(6):
        client = Client(REMOTE_ADDR=f"10.0.{n}.1") if variant.startswith("a new") else Client()
        login = {
            "spaces around the address": "  target@example.com  "
            if n % 2
            else "target@example.com",
            "upper-case domain": "target@EXAMPLE.COM",
        }.get(variant, "target@example.com")
        response = client.post(reverse("account_login"), {"login": login, "password": "wrong"})
    assert "Too many failed login attempts" in response.content.decode()


def test_another_address_is_not_locked_out_by_someone_elses_attempts(client):
    factories.UserFactory(email="target@example.com")
    factories.UserFactory(email="bystander@example.com")
    for _ in range(6):
        wrong_login(client, "target@example.com")
    cache_free = client.__class__(REMOTE_ADDR="10.9.9.9")
    response = cache_free.post(
        reverse("account_login"), {"login": "bystander@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def test_the_admin_sign_in_form_cannot_be_used_to_guess_passwords(client):
    """/admin/login/ hands over to allauth (and its limits); it never checks a password itself."""
    factories.UserFactory(email="boss@example.com", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss@example.com", "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_password_reset_requests_are_limited_per_address(client):
    factories.UserFactory(email="target@example.com")
    statuses = [
        client.__class__(REMOTE_ADDR=f"10.1.{n}.1")
        .post(reverse("account_reset_password"), {"email": "target@example.com"})
        .status_code
        for n in range(7)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[-1] == 429


def test_behind_a_proxy_each_client_has_its_own_failed_login_budget(settings):
    """Issue 23, item 1: with TRUSTED_PROXY_COUNT=1 every request comes from the proxy's
    address; a burst of failures from one client locks that client, not everyone."""
    from django.test import Client

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    factories.UserFactory(email="bystander@example.com")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for n in range(10):  # unrelated addresses: only the per-client limit can catch them
        attacker.post(reverse("account_login"), {"login": f"u{n}@example.com", "password": "x"})
    refused = attacker.post(reverse("account_login"), {"login": "u99@example.com", "password": "x"})
    assert "Too many failed login attempts" in refused.content.decode()

    # Another client through the same proxy (a spoofed left-most entry changes nothing).
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    response = other.post(
        reverse("account_login"),
        {"login": "bystander@example.com", "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert "Too many failed" not in response.content.decode()
