"""Emails queued with the change they report (issue 22, item 6): sent by the worker after the
transaction commits, never for a change rolled back, and found by the hourly retries when the
broker couldn't take the task."""

import pytest
from django.db import transaction
from django.utils import timezone

from ledger import messaging
from ledger.models import Message
from notifications import dispatch
from tests import factories

pytestmark = pytest.mark.django_db


def queue(key: str):
    learner = factories.UserFactory(display_name="Lena")
    return messaging.queue_message(
        key=key,
        kind="post_reviewed",
        to_email="lena@example.com",
        recipient=learner,
        context={
            "learner": learner,
            "reviewer": learner,
            "approved": True,
            "comment": "",
            "excerpt": "Repair days are back",
            "network": "LinkedIn",
            "url": "https://example.com/post",
        },
    )


def test_a_queued_email_goes_once_the_change_commits(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        message = queue("test:1")
    assert message.status == Message.Status.PENDING and mailoutbox == []  # not in the request

    for callback in waiting:
        callback()  # the commit hands it to the worker (run in-process in the tests)

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert [email.to for email in mailoutbox] == [["lena@example.com"]]
    assert queue("test:1") is None  # one key, one email


def change_that_fails():
    with transaction.atomic():
        queue("test:2")
        raise RuntimeError("the change failed")


def test_nothing_is_queued_for_a_change_rolled_back():
    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not Message.objects.filter(key="test:2").exists()


def test_a_queued_email_the_broker_never_took_is_retried_by_the_dispatcher():
    message = queue("test:3")  # its task was never run

    assert message.pk in dispatch.retry_candidates(now=timezone.now())
