"""Weekly digests: local time, exactly once, what they say, and a constant cost per batch."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learners.models import Preferences
from ledger import messaging
from ledger.models import Message
from notifications import digests, dispatch
from progress import services
from teams import services as team_services
from tests import factories

pytestmark = pytest.mark.django_db


def learner(email: str, tz: str = "UTC", **prefs):
    user = factories.UserFactory(email=email, timezone=tz)
    if prefs:
        Preferences.objects.create(user=user, **prefs)
    return user


def enrolled(user, track):
    services.enrol(learner=user, track=track)
    return user


@pytest.fixture
def track():
    return factories.make_track(modules=1, lessons_per_module=4)


def run_hourly(start: datetime, hours: int) -> None:
    for hour in range(hours):
        dispatch.dispatch(now=start + timedelta(hours=hour), enqueue=False)


def digests_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email] and "Your week" in m.subject]


def test_digests_arrive_at_the_local_hour_once_in_every_time_zone(track):
    # Monday 2026-11-30 08:00 local in UTC+13, UTC-10 and London (UTC+0 in winter).
    auckland = enrolled(learner("akl@example.com", "Pacific/Auckland"), track)
    honolulu = enrolled(learner("hnl@example.com", "Pacific/Honolulu"), track)
    london = enrolled(learner("lon@example.com", "Europe/London"), track)
    start = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday noon UTC
    sent_at = {}
    for hour in range(40):
        now = start + timedelta(hours=hour)
        before = len(mail.outbox)
        dispatch.dispatch(now=now, enqueue=False)
        for message in mail.outbox[before:]:
            sent_at[message.to[0]] = now
    assert sent_at[auckland.email] == datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # Mon 08:00 NZDT
    assert sent_at[london.email] == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert sent_at[honolulu.email] == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # Mon 08:00 HST
    for user in (auckland, honolulu, london):
        assert len(digests_to(user.email)) == 1, list(
            Message.objects.values_list("key", "created_at")
        )


def test_london_digest_keeps_its_local_hour_across_the_dst_change(track):
    # Clocks go forward on Sunday 2026-03-29; Monday 08:00 BST is 07:00 UTC.
    london = enrolled(learner("lon@example.com", "Europe/London"), track)
    run_hourly(datetime(2026, 3, 30, 0, 0, tzinfo=UTC), 12)
    [message] = digests_to(london.email)
    row = Message.objects.get(kind="learner_digest")
    assert row.key == f"learner_digest:{london.pk}:2026-W14"
    assert row.sent_at is not None
    assert message


def test_chosen_weekday_and_hour_are_respected(track):
    user = enrolled(learner("wed@example.com", "UTC", digest_weekday=2, digest_hour=17), track)
    run_hourly(datetime(2026, 11, 30, 0, 0, tzinfo=UTC), 24 * 2 + 17)  # to Wed 16:00
    assert digests_to(user.email) == []
    dispatch.dispatch(now=datetime(2026, 12, 2, 17, 0, tzinfo=UTC), enqueue=False)
    assert len(digests_to(user.email)) == 1


def test_a_missed_hour_is_caught_up_by_the_next_run(track):
    user = enrolled(learner("late@example.com"), track)
    dispatch.dispatch(
        now=datetime(2026, 11, 30, 13, 0, tzinfo=UTC), enqueue=False
    )  # beat was down 08:00–12:59
    assert len(digests_to(user.email)) == 1


def test_two_runs_in_the_same_hour_and_a_duplicated_batch_send_one(track):
    user = enrolled(learner("twice@example.com"), track)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    dispatch.dispatch(now=now, enqueue=False)
    dispatch.dispatch(now=now, enqueue=False)
    digests.send_learner_digests(user_ids=[user.pk], now=now)  # a duplicated or retried task
    assert len(digests_to(user.email)) == 1


def test_digest_is_off_when_disabled_or_unsubscribed(track):
    off = enrolled(learner("off@example.com", digest_enabled=False), track)
    gone = enrolled(learner("gone@example.com"), track)
    from ledger import preferences

    preferences.unsubscribe(email=gone.email, kind="learner_digest")
    dispatch.dispatch(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), enqueue=False)
    assert digests_to(off.email) == []
    assert digests_to(gone.email) == []


def test_digest_says_progress_next_lesson_due_dates_feedback_and_certificates(track):
    manager = factories.UserFactory(display_name="Max")
    user = learner("full@example.com")
    team = factories.team_with(manager=manager, learners=[user])
    due = datetime(2026, 12, 10, tzinfo=UTC).date()
    with factories_time(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)):
        team_services.assign_track(manager=manager, track=track, team=team, due_date=due)
    lessons = list(track.lessons.order_by("position"))
    with factories_time(datetime(2026, 11, 27, 9, 0, tzinfo=UTC)):
        services.record_lesson_completion(learner=user, lesson=lessons[0])
        factories.add_rubric(factories.add_assignment(lessons[3]))
        submission = services.submit_assignment(
            learner=user, assignment=lessons[3].assignment, text="Work"
        )
        services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome="needs_revision",
            feedback="More.",
            points={c.pk: 1 for c in lessons[3].assignment.rubric.all()},
        )
        done_track = factories.make_track(slug="done", modules=1, lessons_per_module=1)
        services.record_lesson_completion(learner=user, lesson=done_track.lessons.get())
    dispatch.dispatch(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), enqueue=False)
    [email] = digests_to(user.email)
    assert "2 lessons done" in email.subject  # one in each track
    assert "25%" in email.body
    assert "Next: Lesson 1.2" in email.body
    assert "due 10 Dec 2026" in email.body
    assert "Practice: needs revision" in email.body
    assert "Track done" in email.body
    assert "http://testserver/me/" in email.body


def test_digest_progress_counts_only_lessons_learners_can_still_see():
    from courses import services as course_services

    track = factories.make_track(slug="two-modules", modules=2, lessons_per_module=2)
    user = enrolled(learner("current@example.com"), track)
    first, _, third, _ = track.lessons.order_by("module__position", "position")
    services.record_lesson_completion(learner=user, lesson=first)
    services.record_lesson_completion(learner=user, lesson=third)  # in the module archived next
    course_services.archive_content(item=third.module)
    dispatch.dispatch(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), enqueue=False)
    [email] = digests_to(user.email)
    assert "50%" in email.body  # 1 of the 2 current lessons, not 2 of 4
    assert "Next: Lesson 1.2" in email.body


def test_nothing_to_say_means_no_digest():
    done_track = factories.make_track(slug="done", modules=1, lessons_per_module=1)
    user = learner("finished@example.com")
    with factories_time(datetime(2026, 10, 1, 9, 0, tzinfo=UTC)):
        services.record_lesson_completion(learner=user, lesson=done_track.lessons.get())
    dispatch.dispatch(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), enqueue=False)
    assert digests_to(user.email) == []


def factories_time(moment):
    import time_machine

    return time_machine.travel(moment, tick=False)


def test_manager_digest_summarises_the_team(track):
    manager = factories.UserFactory(email="boss@example.com", display_name="Max")
    ana = learner("ana@example.com")
    team = factories.team_with(manager=manager, learners=[ana])
    with factories_time(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)):
        team_services.assign_track(
            manager=manager,
            track=track,
            team=team,
            due_date=datetime(2026, 11, 25, tzinfo=UTC).date(),
        )
    dispatch.dispatch(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), enqueue=False)
    [email] = [m for m in mail.outbox if m.to == ["boss@example.com"]]
    assert "1 overdue" in email.subject
    assert "Overdue:" in email.body
    assert "http://testserver/team/" in email.body


# -- cost per batch ----------------------------------------------------------------------


def batch_cost(people: int, track) -> tuple[int, int, int]:
    users = [enrolled(learner(f"b{people}-{n}@example.com"), track) for n in range(people)]
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with CaptureQueriesContext(connection) as captured:
        sent = digests.send_learner_digests(user_ids=[u.pk for u in users], now=now)
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    reads = sum(1 for s in statements if s == "SELECT")
    writes = sum(1 for s in statements if s in {"INSERT", "UPDATE"})
    return sent, reads, writes


def test_a_digest_batch_reads_in_constant_queries_and_writes_at_most_two_per_message(track):
    small = batch_cost(10, track)
    large = batch_cost(120, track)
    assert (small[0], large[0]) == (10, 120)
    # users (with their opt-outs), track rows, reviews, certificates, the growth journal
    # (change since last week and cadence goals, one batch query), the claimed rows = 6 reads
    assert small[1] == large[1] == 6, (small, large)
    # one INSERT claims the whole batch (on PostgreSQL one per 100 rows, see CLAIM_CHUNK_ROWS),
    # then one UPDATE marks each message sent
    inserts = 1 if connection.vendor == "sqlite" else -(-120 // messaging.CLAIM_CHUNK_ROWS)
    assert large[2] == inserts + 120


def test_a_manager_digest_costs_the_same_queries_for_a_team_of_5_and_of_200():
    """Manager digests are sent a few managers per batch with a fixed number of queries per
    manager (summary, reviews waiting, overdue, inactive, certificates): none per team member."""
    from tests.teams.test_team_budget import build_team

    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    costs = []
    for people in (5, 200):
        manager = factories.UserFactory(email=f"lead{people}@example.com")
        build_team(manager, people=people, tracks=3)
        with CaptureQueriesContext(connection) as captured:
            assert digests.send_manager_digests(user_ids=[manager.pk], now=now) == 1
        costs.append(len(captured))
    assert costs[0] == costs[1], costs
