"""The first administrator without working email (issue 23, item 3)."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.urls import reverse

from learners.models import User
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-unusual-admin-passphrase"


def test_the_new_administrator_signs_in_at_once_without_an_email(client, monkeypatch, mailoutbox):
    monkeypatch.setenv("SOCIALCRAFT_ADMIN_PASSWORD", PASSWORD)
    call_command("create_admin", "Ada@Example.org", "--name", "Ada Admin")

    user = User.objects.get(email="ada@example.org")
    assert (user.is_staff, user.is_superuser, user.display_name) == (True, True, "Ada Admin")
    assert EmailAddress.objects.get(user=user).verified
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert mailoutbox == []  # no verification email was needed


def test_an_existing_account_is_promoted_and_keeps_its_records(monkeypatch):
    learner = factories.UserFactory(email="sam@example.org", display_name="Sam")
    monkeypatch.setenv("SOCIALCRAFT_ADMIN_PASSWORD", PASSWORD)
    call_command("create_admin", "sam@example.org")
    learner.refresh_from_db()
    assert (learner.is_staff, learner.is_superuser, learner.display_name) == (True, True, "Sam")


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "is not a valid email address"),
        ("ada@example.org", "short", "can't be used"),
        ("ada@example.org", None, "set SOCIALCRAFT_ADMIN_PASSWORD"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_changes(
    monkeypatch, email, password, message
):
    if password is None:
        monkeypatch.delenv("SOCIALCRAFT_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("SOCIALCRAFT_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("create_admin", email)
    assert not User.objects.exists()
