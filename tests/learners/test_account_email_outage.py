"""allauth's emails go through the ledger (issue 23, item 2): signing up, signing in with an
address not yet verified and asking for a password reset answer at once while the mail server
refuses connections, and each email is sent once, when it is back."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ledger.models import EmailOptOut, Message
from notifications import dispatch
from tests import factories

pytestmark = pytest.mark.django_db
SMTP_DOWN = {"default": {"BACKEND": "tests.ledger.test_messaging.BrokenBackend"}}
SMTP_UP = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = SMTP_DOWN
    yield
    settings.MAILERS = SMTP_UP


def worker_after(client_call, capture):
    with capture(execute=True):  # the request commits; the worker tries (and fails) at once
        return client_call()


def test_sign_up_sign_in_and_reset_answer_while_smtp_is_down_then_send_once(
    client, settings, smtp_down, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    signup = worker_after(
        lambda: client.post(
            reverse("account_signup"),
            {
                "email": "nia@example.com",
                "display_name": "Nia",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        ),
        capture,
    )
    assert signup.status_code == 302
    client.logout()

    unverified = factories.UserFactory(email="uma@example.com")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    signin = worker_after(
        lambda: client.post(
            reverse("account_login"), {"login": "uma@example.com", "password": factories.PASSWORD}
        ),
        capture,
    )
    assert signin.status_code == 302  # on to "enter the code", not a server error

    reset = worker_after(
        lambda: client.post(reverse("account_reset_password"), {"email": "nia@example.com"}),
        capture,
    )
    assert reset.status_code == 302

    queued = Message.objects.filter(kind="account")
    assert queued.count() == 3
    assert set(queued.values_list("status", flat=True)) == {Message.Status.FAILED}
    assert mail.outbox == []

    settings.MAILERS = SMTP_UP
    for minutes in (3, 60, 120):  # the hourly dispatcher, with SMTP back; then again
        dispatch.dispatch(now=timezone.now() + timedelta(minutes=minutes), enqueue=False)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "nia@example.com",
        "nia@example.com",
        "uma@example.com",
    ]
    assert set(queued.values_list("status", flat=True)) == {Message.Status.SENT}


def test_account_emails_carry_no_unsubscribe_are_never_suppressed_and_not_kept(
    client, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="reset@example.com")
    EmailOptOut.objects.create(email="reset@example.com", kind="all")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "reset@example.com"})

    [email] = mail.outbox
    assert "/accounts/password/reset/key/" in email.body
    assert "List-Unsubscribe" not in email.extra_headers
    row = Message.objects.get(kind="account")
    assert row.status == Message.Status.SENT
    assert "/accounts/password/reset/key/" not in row.body_text + row.body_html
