"""What keeps a digest batch cheap keeps it correct: the claim, mark-sent and next-lesson paths
the benchmark's digest case measures (bench/digest.py)."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger import messaging
from ledger.models import Message
from notifications import digests, tasks
from progress import services
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC: a UTC learner is due


def outgoing(key: str, body: str = "text", email: str = "a@example.com") -> messaging.Outgoing:
    return messaging.Outgoing(
        key=key,
        kind="nudge",
        to_email=email,
        recipient_id=None,
        rendered=messaging.Rendered(subject=f"About {key}", text=body, html=f"<p>{body}</p>"),
        topic="t",
    )


def fields(message: Message) -> dict:
    return {f.attname: getattr(message, f.attname) for f in Message._meta.concrete_fields}


def test_claimed_messages_are_the_rows_inserted_and_nothing_else_is_written():
    [taken] = messaging.claim_many([outgoing("k:1")])
    with CaptureQueriesContext(connection) as captured:
        claimed = messaging.claim_many([outgoing("k:0"), outgoing("k:1"), outgoing("k:2")])
    assert [m.key for m in claimed] == ["k:0", "k:2"]  # k:1 belongs to the first claim
    for message in claimed:
        assert fields(message) == fields(Message.objects.get(pk=message.pk))
        assert message._state.adding is False
    assert Message.objects.count() == 3  # no padding row was ever inserted
    assert Message.objects.get(key="k:1").pk == taken.pk
    [insert, select] = [q["sql"] for q in captured.captured_queries]
    assert insert.startswith("INSERT")
    assert "body_html" not in select  # the bodies are not read back


def test_a_key_twice_in_one_claim_is_claimed_once_with_its_first_content():
    claimed = messaging.claim_many([outgoing("k:1", "first"), outgoing("k:1", "second")])
    assert [m.body_text for m in claimed] == ["first"]
    assert Message.objects.get().body_text == "first"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the padding is SQLite's")
def test_on_sqlite_every_claim_has_the_same_statement_shape():
    def insert_sql(count: int, start: int) -> str:
        items = [outgoing(f"k:{start + n}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            messaging.claim_many(items)
        [sql] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
        return sql.split(" VALUES ")[0] + f" rows={sql.count('), (') + 1}"

    assert insert_sql(3, 0) == insert_sql(7, 100)
    assert messaging.CLAIM_ROWS >= tasks.BATCH_SIZE  # a dispatcher batch is one INSERT
    assert Message.objects.count() == 10


def test_a_delivered_message_is_marked_sent_in_the_ledger():
    [message] = messaging.claim_many([outgoing("k:1")])
    with CaptureQueriesContext(connection) as captured:
        assert messaging.deliver_all(messaging.one_by_one([message])) == (1, 0)
    [update] = [q["sql"] for q in captured.captured_queries]
    assert update.startswith("UPDATE")
    row = Message.objects.get()
    assert (row.status, row.sent_at, row.error) == ("sent", message.sent_at, "")
    assert row.sent_at is not None
    assert len(mail.outbox) == 1


def test_one_by_one_keeps_the_order_and_lets_go_of_each_message():
    items = ["a", "b", "c"]
    handed = messaging.one_by_one(items)
    assert next(handed) == "a"
    assert items == ["c", "b"]
    assert list(handed) == ["b", "c"]
    assert items == []


def test_the_next_lesson_keeps_a_slash_in_its_title():
    track = factories.make_track(modules=1, lessons_per_module=3)
    learner = factories.UserFactory(email="slash@example.com", timezone="UTC")
    services.enrol(learner=learner, track=track)
    lessons = list(track.lessons.order_by("position"))
    services.record_lesson_completion(learner=learner, lesson=lessons[0])
    lessons[1].title = "A/B tests / what they show"
    lessons[1].save(update_fields=["title"])
    [digest] = digests.build_learner_digests([learner.pk], now=NOW)
    [line] = digest.tracks
    assert line.next_lesson == "A/B tests / what they show"
    assert line.next_url.endswith(f"/{track.slug}/{lessons[1].slug}/")
    assert digests.send_learner_digests(user_ids=[learner.pk], now=NOW) == 1
    assert "Next: A/B tests / what they show" in mail.outbox[0].body


def test_a_finished_track_has_no_next_lesson():
    track = factories.make_track(modules=1, lessons_per_module=1)
    learner = factories.UserFactory(email="done@example.com", timezone="UTC")
    services.enrol(learner=learner, track=track)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    [digest] = digests.build_learner_digests([learner.pk], now=NOW)
    [line] = digest.tracks
    assert (line.next_lesson, line.next_url, line.percent) == (None, None, 100)
