"""The message service: one ledger row per key, headers, failures never marked sent, unsubscribe."""

import pytest
from django.core import mail
from django.test import Client

from ledger import messaging
from ledger.models import EmailOptOut, Message
from tests import factories

pytestmark = pytest.mark.django_db


def send(key="test:1", kind="manager_nudge", to="lena@example.com"):
    from courses.models import Track
    from learners.models import User

    learner = User.objects.filter(email=to).first() or factories.UserFactory(email=to)
    track = Track.objects.first() or factories.make_track()
    return messaging.send_message(
        key=key,
        kind=kind,
        to_email=to,
        recipient=learner,
        context={"learner": learner, "manager": learner, "track": track, "track_url": "http://x/"},
    )


def test_a_message_has_both_parts_and_the_unsubscribe_headers():
    message = send()
    [email] = mail.outbox
    assert message.status == "sent"
    assert email.alternatives[0].mimetype == "text/html"
    assert "Unsubscribe from these emails" in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link, mailto = email.extra_headers["List-Unsubscribe"].split(", ")
    assert https_link.startswith("<http://testserver/unsubscribe/")
    assert mailto.startswith("<mailto:unsubscribe@testserver")
    assert email.extra_headers["Message-ID"] == messaging.message_id("test:1")
    row = Message.objects.get()
    assert (row.key, row.status, row.attempts) == ("test:1", "sent", 1)
    assert row.body_html and row.body_text and row.sent_at


def test_the_same_key_sends_once():
    send(key="same")
    assert send(key="same", to="other@example.com") is None
    assert len(mail.outbox) == 1
    assert Message.objects.count() == 1


def test_message_id_is_stable_per_key():
    assert messaging.message_id("a") == messaging.message_id("a")
    assert messaging.message_id("a") != messaging.message_id("b")


class BrokenBackend:
    """The outside world failing: an SMTP server that refuses."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")

    def close(self):
        pass


def test_a_failed_send_is_recorded_never_marked_sent_and_retried(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.ledger.test_messaging.BrokenBackend"}}
    with pytest.raises(ConnectionRefusedError):
        send(key="fails")
    row = Message.objects.get()
    assert row.status == "failed"
    assert "smtp down" in row.error
    assert row.sent_at is None
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    [retaken] = messaging.retake([row.pk])
    messaging.deliver_all([retaken])
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_fresh_claim_is_not_retaken_but_a_stale_one_is():
    from datetime import timedelta

    from django.utils import timezone

    user = factories.UserFactory()
    rendered = messaging.Rendered("s", "t", "h")
    item = messaging.Outgoing(
        key="k", kind="nudge", to_email=user.email, recipient_id=user.pk, rendered=rendered
    )
    [claimed] = messaging.claim_many([item])
    assert messaging.claim_many([item]) == []
    assert messaging.retake([claimed.pk]) == []
    later = timezone.now() + messaging.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert [m.pk for m in messaging.retake([claimed.pk], now=later)] == [claimed.pk]


# -- unsubscribe ------------------------------------------------------------------------


def unsubscribe_path(email="lena@example.com", kind="manager_nudge") -> str:
    url = messaging.unsubscribe_url(email=email, kind=kind)
    return url.replace("http://testserver", "")


def test_unsubscribe_get_confirms_and_one_click_post_needs_no_session_or_token():
    path = unsubscribe_path()
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "reminders sent by your manager" in page.content.decode()
    assert not EmailOptOut.objects.exists()
    response = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert EmailOptOut.objects.filter(email="lena@example.com", kind="manager_nudge").exists()
    assert send(key="after") is None
    assert not mail.outbox


def test_unsubscribe_from_all_blocks_every_kind():
    Client().post(unsubscribe_path(kind="all"))
    assert send(key="any", kind="manager_nudge") is None


@pytest.mark.parametrize("token", ["nonsense", "eyJlbWFpbCI6ImFAYi5jIn0:forged:sig"])
def test_tampered_unsubscribe_tokens_are_refused(client, token):
    assert client.get(f"/unsubscribe/{token}/").status_code == 400
    assert client.post(f"/unsubscribe/{token}/").status_code == 400
    assert not EmailOptOut.objects.exists()


def test_re_enabling_the_digest_on_the_profile_lifts_the_opt_out(client):
    user = factories.UserFactory(email="pref@example.com")
    Client().post(unsubscribe_path(email=user.email, kind="learner_digest"))
    from learners.models import Preferences

    Preferences.objects.create(user=user, digest_enabled=False)
    client.force_login(user)
    client.post(
        "/profile/",
        {
            "profile-display_name": "P",
            "profile-timezone": "UTC",
            "prefs-digest_enabled": "on",
            "prefs-digest_weekday": "2",
            "prefs-digest_hour": "9",
        },
    )
    assert not EmailOptOut.objects.filter(email=user.email, kind="learner_digest").exists()
    prefs = Preferences.objects.get(user=user)
    assert (prefs.digest_enabled, prefs.digest_weekday, prefs.digest_hour) == (True, 2, 9)


def test_a_web_request_survives_a_mail_server_failure_and_the_dispatcher_retries(
    client, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from notifications import dispatch

    settings.MAILERS = {"default": {"BACKEND": "tests.ledger.test_messaging.BrokenBackend"}}
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's attempt, after commit
        response = client.post("/team/invitations/", {"team": team.pk, "emails": "new@example.com"})
    assert response.status_code == 302
    row = Message.objects.get(kind="invitation")
    assert row.status == "failed"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    dispatch.dispatch(now=timezone.now() + timedelta(minutes=3), enqueue=False)
    row.refresh_from_db()
    assert row.status == "sent"
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
