"""The outbox in the admin: the message ledger, read-only, with a sandboxed HTML preview."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import EmailOptOut, Message
from tests import factories

pytestmark = pytest.mark.django_db

EMAIL_HTML = (
    '<html><body style="margin:0;background:#f7f6fb">'
    '<p style="color:#3b2fc9">Your week in Socialcraft</p>'
    "<script>document.title = 'pwned'</script>"
    '<a href="https://example.com/unsubscribe">Unsubscribe</a></body></html>'
)


@pytest.fixture
def message(db) -> Message:
    learner = factories.UserFactory(email="lena@example.com")
    return Message.objects.create(
        key=f"digest:{learner.pk}:2026-W48",
        kind="digest",
        recipient=learner,
        to_email=learner.email,
        subject="Your week in Socialcraft",
        body_text="Hello Lena,\n\nYou finished 3 lessons <this> week.",
        body_html=EMAIL_HTML,
        status=Message.Status.FAILED,
        error="SMTP 451: try again later",
        attempts=2,
    )


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


def html_url(message: Message) -> str:
    return reverse("admin:ledger_message_html", args=[message.pk])


def test_the_outbox_lists_messages_with_filters_and_search(author, message):
    Message.objects.create(
        key="nudge:x", kind="nudge", to_email="sam@example.com", subject="Keep going",
        body_text="x", body_html="<p>x</p>", status=Message.Status.SENT,
    )  # fmt: skip
    url = reverse("admin:ledger_message_changelist")

    body = author.get(url).content.decode()
    assert "Your week in Socialcraft" in body and "Keep going" in body
    assert "lena@example.com" in body
    assert '<td class="field-short_error">SMTP 451: try again later</td>' in body
    assert 'href="?status__exact=failed"' in body
    assert 'href="?kind=digest"' in body

    failed = author.get(f"{url}?status__exact=failed").content.decode()
    assert "Your week" in failed and "Keep going" not in failed
    nudges = author.get(f"{url}?kind=nudge").content.decode()
    assert "Keep going" in nudges and "Your week" not in nudges
    assert "Keep going" in author.get(f"{url}?q=sam@").content.decode()
    assert "Your week" in author.get(f"{url}?q=week").content.decode()


def test_a_message_page_shows_the_text_and_the_html_in_a_sandboxed_frame(author, message):
    response = author.get(reverse("admin:ledger_message_change", args=[message.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert (
        '<pre class="outbox-text">Hello Lena,\n\nYou finished 3 lessons &lt;this&gt; week.</pre>'
        in body
    )
    assert re.search(rf'<iframe class="outbox-frame" src="{html_url(message)}" sandbox=""', body)
    assert "SMTP 451: try again later" in body
    assert "<script>document.title" not in body  # the email's markup stays in the frame
    assert "<style" not in body and ' style="' not in body


def test_the_html_preview_carries_its_own_policy_without_scripts(author, message):
    response = author.get(html_url(message))

    assert response.status_code == 200
    assert response.content.decode() == EMAIL_HTML
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives  # so scripts fall back to default-src 'none'
    assert directives["style-src"] == "'unsafe-inline'"
    assert "sandbox" in directives and directives["sandbox"] == ""
    assert directives["frame-ancestors"] == "'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_rest_of_the_admin_keeps_the_strict_policy(author, message):
    response = author.get(reverse("admin:ledger_message_change", args=[message.pk]))

    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_outbox_is_read_only(author, message):
    add = author.get(reverse("admin:ledger_message_add"))
    change = author.post(
        reverse("admin:ledger_message_change", args=[message.pk]), {"subject": "Edited"}
    )
    delete = author.post(reverse("admin:ledger_message_delete", args=[message.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    message.refresh_from_db()
    assert message.subject == "Your week in Socialcraft"


def test_the_html_preview_is_for_staff_only(client, learner, message):
    client.force_login(learner)

    response = client.get(html_url(message))

    assert response.status_code == 302
    assert EMAIL_HTML not in response.content.decode()


def test_opt_outs_are_listed_read_only(author):
    opt_out = EmailOptOut.objects.create(email="lena@example.com", kind="all")
    url = reverse("admin:ledger_emailoptout_changelist")

    assert "lena@example.com" in author.get(f"{url}?q=lena").content.decode()
    assert (
        author.get(reverse("admin:ledger_emailoptout_change", args=[opt_out.pk])).status_code == 200
    )
    assert author.get(reverse("admin:ledger_emailoptout_add")).status_code == 403
    response = author.post(
        reverse("admin:ledger_emailoptout_delete", args=[opt_out.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert EmailOptOut.objects.filter(pk=opt_out.pk).exists()


def test_the_outbox_list_queries_do_not_grow_with_messages(author, message):
    url = reverse("admin:ledger_message_changelist")

    def queries() -> int:
        author.get(url)
        with CaptureQueriesContext(connection) as captured:
            author.get(url)
        return len(captured)

    few = queries()
    for number in range(10):
        learner = factories.UserFactory()
        Message.objects.create(
            key=f"nudge:{number}", kind="nudge", recipient=learner, to_email=learner.email,
            subject=f"Nudge {number}", body_text="x", body_html="<p>x</p>",
        )  # fmt: skip

    # Recipients come with the messages (a join), never one query per row.
    assert queries() == few
