"""The growth journal: snapshot rules, the chart and its milestones, cadence goals (journal,
digest, nudge), the team's totals for people who share them, and the page's query budget."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from learners import selectors
from learners.models import Membership, User
from notifications import digests, nudges
from practice import journal
from practice.models import Evidence, GrowthProfile, GrowthSnapshot, Portfolio
from progress import services
from tests import factories
from tests.statements import sqlite_plan

pytestmark = pytest.mark.django_db

# Thursday 3 December 2026, 10:00 UTC: a week runs Monday 30 Nov to Sunday 6 Dec.
THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
TODAY = THURSDAY.date()


@pytest.fixture
def clock():
    with time_machine.travel(THURSDAY, tick=False):
        yield


@pytest.fixture
def profile(learner):
    return GrowthProfile.objects.create(learner=learner, network="linkedin", handle="lena")


def snapshot_data(profile, **overrides) -> dict:
    data = {
        "profile": profile.pk,
        "taken_on": TODAY.isoformat(),
        "followers": "120",
        "posts_published": "3",
        "engagement": "40",
        "note": "",
    }
    return {**data, **overrides}


def record(profile, day: date, followers: int, **numbers) -> GrowthSnapshot:
    return journal.record_snapshot(
        learner=profile.learner, profile=profile, taken_on=day, followers=followers, **numbers
    )


def log(learner, day: date, n: int, network: str = "linkedin") -> Evidence:
    return Evidence.objects.create(
        learner=learner,
        url=f"https://example.com/{network}/{day.isoformat()}/{n}",
        network=network,
        published_on=day,
    )


# -- snapshot rules ----------------------------------------------------------------------


def test_recording_numbers_on_the_journal_page(client, learner, profile, clock):
    client.force_login(learner)
    response = client.post("/journal/snapshots/", snapshot_data(profile))
    assert response.status_code == 302
    snapshot = GrowthSnapshot.objects.get()
    assert (snapshot.followers, snapshot.posts_published, snapshot.engagement) == (120, 3, 40)
    assert snapshot.learner == learner
    assert "120" in client.get("/journal/").content.decode()


@pytest.mark.parametrize("field", ["followers", "posts_published", "engagement"])
def test_no_negative_numbers(client, learner, profile, clock, field):
    client.force_login(learner)
    response = client.post("/journal/snapshots/", snapshot_data(profile, **{field: "-1"}))
    assert response.status_code == 400
    assert not GrowthSnapshot.objects.exists()
    with pytest.raises(journal.JournalError):
        record(profile, TODAY, **{"followers": 1, field: -1})


def test_the_database_refuses_negative_numbers(learner, profile):
    with pytest.raises(IntegrityError):
        GrowthSnapshot.objects.create(
            profile=profile, learner=learner, taken_on=TODAY, followers=-5
        )


def test_no_future_dates_in_the_learners_own_time_zone(client, learner, profile):
    evening = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # already Friday 4 Dec in Auckland
    with time_machine.travel(evening, tick=False):
        client.force_login(learner)
        tomorrow = snapshot_data(profile, taken_on="2026-12-04")
        assert client.post("/journal/snapshots/", tomorrow).status_code == 400
        with pytest.raises(journal.JournalError):
            record(profile, date(2026, 12, 4), 10)
        learner.timezone = "Pacific/Auckland"
        learner.save(update_fields=["timezone"])
        assert client.post("/journal/snapshots/", tomorrow).status_code == 302


def test_one_snapshot_per_profile_per_day(client, learner, profile, clock):
    client.force_login(learner)
    assert client.post("/journal/snapshots/", snapshot_data(profile)).status_code == 302
    again = client.post("/journal/snapshots/", snapshot_data(profile, followers="130"))
    assert again.status_code == 400
    assert "one snapshot per profile per day" in again.content.decode()
    with pytest.raises(journal.JournalError):
        record(profile, TODAY, 140)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrowthSnapshot.objects.create(profile=profile, learner=learner, taken_on=TODAY, followers=1)
    other = GrowthProfile.objects.create(learner=learner, network="x", handle="@lena")
    record(other, TODAY, 15)  # another profile, the same day: fine
    assert GrowthSnapshot.objects.filter(profile=profile).get().followers == 120


def test_a_profile_is_tracked_once_and_only_by_its_owner(client, learner, profile, clock):
    client.force_login(learner)
    again = client.post("/journal/profiles/", {"network": "linkedin", "handle": "LENA"})
    assert again.status_code == 400
    assert GrowthProfile.objects.count() == 1
    someone = factories.UserFactory()
    theirs = GrowthProfile.objects.create(learner=someone, network="x", handle="them")
    assert client.post(f"/journal/profiles/{theirs.pk}/", {"action": "delete"}).status_code == 404
    response = client.post("/journal/snapshots/", snapshot_data(theirs))
    assert response.status_code == 400  # not one of the choices
    assert not GrowthSnapshot.objects.filter(profile=theirs).exists()


# -- the chart ---------------------------------------------------------------------------


def test_the_chart_plots_followers_with_certificates_and_weekly_lessons(
    client, learner, profile, clock
):
    for weeks_ago, followers in ((3, 100), (2, 110), (1, 130), (0, 150)):
        record(profile, TODAY - timedelta(weeks=weeks_ago), followers)
    finished = factories.make_track(slug="done", modules=1, lessons_per_module=2)
    for lesson in finished.lessons.all():
        services.record_lesson_completion(learner=learner, lesson=lesson)
    client.force_login(learner)
    html = client.get("/journal/").content.decode()
    assert "<polyline" in html
    assert "LinkedIn lena: 150 on 3 Dec 2026" in html
    assert "Certificate: Track done" in html
    assert "2 lessons completed" in html
    assert "+20 since 26 Nov" in html


# -- cadence goals -----------------------------------------------------------------------


def test_evidence_counts_toward_the_weekly_goal(client, learner, profile, clock):
    journal.set_goal(profile=profile, weekly_post_goal=3)
    log(learner, TODAY, 1)
    log(learner, TODAY - timedelta(days=1), 2)
    log(learner, TODAY - timedelta(days=7), 3)  # last week: doesn't count
    log(learner, TODAY, 4, network="x")  # another network: doesn't count
    client.force_login(learner)
    html = client.get("/journal/").content.decode()
    assert "<strong>2 of 3</strong> posts" in html


def test_a_goal_is_between_1_and_21_posts_a_week(client, learner, profile):
    client.force_login(learner)
    client.post(f"/journal/profiles/{profile.pk}/", {"weekly_post_goal": "22"})
    profile.refresh_from_db()
    assert profile.weekly_post_goal is None
    client.post(f"/journal/profiles/{profile.pk}/", {"weekly_post_goal": "3"})
    profile.refresh_from_db()
    assert profile.weekly_post_goal == 3
    with pytest.raises(IntegrityError):
        GrowthProfile.objects.filter(pk=profile.pk).update(weekly_post_goal=0)


@pytest.fixture
def enrolled_with_goal(learner, profile):
    track = factories.make_track(slug="craft", modules=1, lessons_per_module=2)
    enrolment = services.enrol(learner=learner, track=track)
    enrolment.last_activity_at = THURSDAY - timedelta(days=1)  # active: no "inactive" nudge
    enrolment.save(update_fields=["last_activity_at"])
    journal.set_goal(profile=profile, weekly_post_goal=3)
    return learner


def test_a_gentle_nudge_when_the_weeks_goal_is_about_to_be_missed(enrolled_with_goal, profile):
    learner = enrolled_with_goal
    wednesday = THURSDAY - timedelta(days=1)
    assert not [c for c in nudges.candidates_for(learner, now=wednesday) if c.reason == "cadence"]
    [candidate] = [c for c in nudges.candidates_for(learner, now=THURSDAY) if c.reason == "cadence"]
    assert candidate.topic == f"cadence:{profile.pk}:2026-W49"
    assert candidate.context["posts"] == 0
    for n in range(3):
        log(learner, TODAY, n)
    assert not [c for c in nudges.candidates_for(learner, now=THURSDAY) if c.reason == "cadence"]


def test_the_cadence_nudge_ranks_below_inactive_and_is_sent_once_a_week(
    enrolled_with_goal, mailoutbox
):
    learner = enrolled_with_goal
    assert nudges.PRIORITY.index("cadence") == nudges.PRIORITY.index("inactive") + 1
    assert nudges.send_nudges(user_ids=[learner.pk], now=THURSDAY) == 1
    [email] = mailoutbox
    assert "Your LinkedIn goal: 0 of 3 posts this week" in email.subject
    assert "/journal/evidence/" in email.body
    friday = THURSDAY + timedelta(days=1)
    assert nudges.send_nudges(user_ids=[learner.pk], now=friday) == 0  # topic already sent


def test_the_weekly_digest_reports_growth_and_the_goal(enrolled_with_goal, profile, mailoutbox):
    learner = enrolled_with_goal
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        record(profile, date(2026, 11, 30), 1205)
        record(profile, date(2026, 12, 6), 1240)
        log(learner, date(2026, 12, 2), 1)
        log(learner, date(2026, 12, 4), 2)
        assert digests.send_learner_digests(user_ids=[learner.pk], now=monday) == 1
    [email] = mailoutbox
    assert "LinkedIn (lena): 1240 followers (+35 since 30 Nov)" in email.body
    assert "2 of 3 posts in the last 7 days" in email.body
    assert "http://testserver/journal/" in email.body
    html = email.alternatives[0][0]
    assert "+35 since 30 Nov" in html


# -- the team's totals -------------------------------------------------------------------


def test_a_manager_sees_the_totals_of_learners_who_share(client, learner, profile, clock):
    manager = factories.UserFactory(display_name="Max Manager")
    quiet = factories.UserFactory(display_name="Quinn Quiet")
    factories.team_with(manager=manager, learners=[learner, quiet])
    Portfolio.objects.create(learner=learner, share_growth_with_team=True)
    record(profile, TODAY, 300)
    hidden = GrowthProfile.objects.create(learner=quiet, network="linkedin", handle="quinn")
    record(hidden, TODAY, 9999)
    client.force_login(manager)
    html = client.get("/team/growth/").content.decode()
    assert "Lena Learner" in html
    assert "300" in html
    assert "Quinn Quiet" not in html and "9999" not in html
    assert "(1 of 2)" in html

    Portfolio.objects.filter(learner=learner).update(share_growth_with_team=False)
    assert "Lena Learner" not in client.get("/team/growth/").content.decode()


def test_team_growth_is_for_managers_of_the_team(client, learner, profile, clock):
    Portfolio.objects.create(learner=learner, share_growth_with_team=True)
    record(profile, TODAY, 300)
    factories.team_with(learners=[learner])
    other_manager = factories.UserFactory()
    factories.team_with(manager=other_manager)
    client.force_login(other_manager)
    assert "Lena Learner" not in client.get("/team/growth/").content.decode()
    client.force_login(learner)
    assert client.get("/team/growth/").status_code == 403


def sharing_team(manager, people: int, *, profiles_each: int = 1, first: int = 0) -> list:
    learners = [
        factories.UserFactory(display_name=f"Person {n:03}", email=f"person{n:03}@example.com")
        for n in range(first, first + people)
    ]
    factories.team_with(manager=manager, learners=learners)
    for person in learners:
        Portfolio.objects.create(learner=person, share_growth_with_team=True)
        for network in ("linkedin", "bluesky")[:profiles_each]:
            GrowthProfile.objects.create(learner=person, network=network, handle=person.email)
    return learners


def test_the_teams_totals_sum_each_profiles_own_line(learner, profile, clock):
    """The totals are summed in the database from the same rules as each person's line: a
    change only from fresh numbers, and posts logged or reported, whichever is more."""
    manager = factories.UserFactory()
    other = factories.UserFactory(display_name="Omar Other")
    quiet = factories.UserFactory(display_name="Quinn Quiet")
    factories.team_with(manager=manager, learners=[learner, other, quiet])
    for person in (learner, other):
        Portfolio.objects.create(learner=person, share_growth_with_team=True)
    record(profile, TODAY - timedelta(days=7), 100)
    record(profile, TODAY, 130, posts_published=1)
    log(learner, TODAY, 1)
    log(learner, TODAY - timedelta(days=1), 2)  # two logged beat one reported
    stale = GrowthProfile.objects.create(learner=other, network="linkedin", handle="omar")
    record(stale, TODAY - timedelta(days=20), 50)
    record(stale, TODAY - timedelta(days=10), 80, posts_published=4)  # no change: not fresh
    bluesky = GrowthProfile.objects.create(learner=other, network="bluesky", handle="omar.b")
    record(bluesky, TODAY - timedelta(days=2), 40, posts_published=3)

    growth = journal.team_growth(manager)

    lines = [line for _, line in growth.page.object_list]
    totals = {total.network: total for total in growth.totals}
    assert (growth.sharing, growth.people) == (2, 3)
    assert [(t.people, t.profiles, t.followers, t.change, t.posts) for t in growth.totals] == [
        (1, 1, 40, 0, 3),  # Bluesky
        (2, 2, 210, 30, 2),  # LinkedIn: 130 + 80; only Lena's change; Lena's 2 posts
    ]
    assert [line.change for line in lines] == [30, None, None]  # Lena, then Omar's two
    for network, total in totals.items():
        mine = [line for line in lines if line.network == network]
        assert total.followers == sum(line.followers or 0 for line in mine)
        assert total.change == sum(line.change or 0 for line in mine)
        assert total.posts == sum(line.posts for line in mine)


def test_team_growth_shows_fifty_profiles_a_page_and_totals_everyone(client, clock):
    manager = factories.UserFactory()
    people = sharing_team(manager, 30, profiles_each=2)
    for person in people:
        for profile in person.growth_profiles.all():
            record(profile, TODAY, 10)
    client.force_login(manager)

    first = client.get("/team/growth/").content.decode()
    second = client.get("/team/growth/?page=2").content.decode()

    assert first.count("person0") == 50 and second.count("person0") == 10
    assert "Profiles 1–50 of 60." in first and "Page 1 of 2" in first
    assert "Person 029" in second and "Person 029" not in first
    # Totals: 30 people on each network, 10 followers each.
    assert "<td>30</td><td>300</td>" in first and "<td>30</td><td>300</td>" in second
    assert client.get("/team/growth/?page=abc").status_code == 200  # bad page: the first


def test_team_growth_counts_each_active_learner_once_from_the_headcounts(clock, staff_user):
    """People in two of the manager's teams count once; a deactivated account neither counts
    nor shows; another manager's team is not theirs. Held against a plain count of people."""
    manager = factories.UserFactory()
    both, gone, alone = sharing_team(manager, 3)
    second = factories.team_with(manager=manager, learners=[both])
    quiet = factories.UserFactory()
    Membership.objects.create(user=quiet, team=second, role=Membership.Role.LEARNER)
    sharing_team(factories.UserFactory(), 2, first=10)  # someone else's team
    gone.is_active = False
    gone.save()

    growth = journal.team_growth(manager)

    teams = Membership.objects.filter(user=manager, role=Membership.Role.MANAGER).values("team")
    plain = (
        User.objects.filter(
            is_active=True,
            memberships__team__in=teams,
            memberships__role=Membership.Role.LEARNER,
        )
        .distinct()
        .count()
    )
    assert (growth.people, growth.sharing) == (plain, 2) == (3, 2)
    assert [person for person, _ in growth.page.object_list] == [both, alone]
    assert sum(total.people for total in growth.totals) == 2
    staff = journal.team_growth(staff_user)
    assert (staff.people, staff.sharing) == (5, 4)


def test_team_growth_queries_do_not_grow_with_the_people_sharing(
    client, clock, django_assert_max_num_queries
):
    manager = factories.UserFactory()
    sharing_team(manager, 3)
    client.force_login(manager)
    client.get("/team/growth/")  # warm up the session

    with CaptureQueriesContext(connection) as few:
        client.get("/team/growth/")
    sharing_team(manager, 80, profiles_each=2, first=3)
    with CaptureQueriesContext(connection) as many:
        client.get("/team/growth/")

    assert len(few.captured_queries) == len(many.captured_queries)
    # user + the teams' people + those who share + totals + a page of profiles + the page's
    # numbers + the reviews waiting (the menu)
    with django_assert_max_num_queries(7):
        client.get("/team/growth/")


def growth_seen(growth: journal.TeamGrowth) -> tuple:
    return (
        growth.people,
        growth.sharing,
        [(t.network, t.people, t.profiles, t.followers) for t in growth.totals],
        [(person.pk, line.network, line.handle) for person, line in growth.page.object_list],
    )


@pytest.mark.parametrize("staff", [False, True], ids=["manager", "staff"])
def test_a_large_team_s_growth_is_read_from_those_who_share(monkeypatch, clock, staff, staff_user):
    """Many people (more than learners.selectors.FEW_PEOPLE): the same growth, in the same
    number of queries, read from the few who share (on SQLite through their partial index)
    rather than from each of the team's people."""
    manager = factories.UserFactory()
    people = sharing_team(manager, 4, profiles_each=2)
    for person in people:
        for profile in person.growth_profiles.all():
            record(profile, TODAY, 10 + person.pk)
    quiet = factories.UserFactory()  # shares nothing
    second = factories.team_with(manager=manager, learners=[quiet, people[0]])  # two teams
    Membership.objects.create(user=factories.UserFactory(), team=second, role="manager")
    people[1].is_active = False
    people[1].save()
    sharing_team(factories.UserFactory(), 2, first=10)  # another manager's team
    viewer = staff_user if staff else manager

    with CaptureQueriesContext(connection) as few:
        expected = growth_seen(journal.team_growth(viewer))
    monkeypatch.setattr(selectors, "FEW_PEOPLE", -1)
    with CaptureQueriesContext(connection) as many:
        assert growth_seen(journal.team_growth(viewer)) == expected

    assert expected[:2] == ((6, 5) if staff else (4, 3))
    assert len(few.captured_queries) == len(many.captured_queries)
    if connection.vendor == "sqlite":
        plans = [sqlite_plan(query["sql"]) for query in many.captured_queries]
        assert sum("portfolio_sharing_growth_idx" in plan for plan in plans) == 3
        plans = [sqlite_plan(query["sql"]) for query in few.captured_queries]
        assert not any("portfolio_sharing_growth_idx" in plan for plan in plans)


def test_sharers_without_profiles_are_told_apart_from_no_one_sharing(client, learner, clock):
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[learner])
    client.force_login(manager)
    assert "No one in your teams shares" in client.get("/team/growth/").content.decode()

    Portfolio.objects.create(learner=learner, share_growth_with_team=True)
    html = client.get("/team/growth/").content.decode()
    assert "(1 of 1)" in html and "have not added a profile" in html


# -- query budget ------------------------------------------------------------------------


def journal_queries(client, learner, snapshots: int) -> int:
    profiles = [
        GrowthProfile.objects.create(learner=learner, network=network, handle=f"h-{network}")
        for network in ("linkedin", "x", "bluesky", "threads", "instagram")
    ]
    start = TODAY - timedelta(days=300)
    for n in range(snapshots):
        record(profiles[n % 5], start + timedelta(days=n // 5 * 2), 100 + n)
        log(learner, start + timedelta(days=n), n)
    client.get("/journal/")  # warm up: session, portfolio settings row
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/journal/").status_code == 200
    return len(captured.captured_queries)


def test_journal_page_queries_do_not_grow_with_snapshots(
    client, learner, clock, django_assert_max_num_queries
):
    client.force_login(learner)
    few = journal_queries(client, learner, 5)
    GrowthProfile.objects.filter(learner=learner).delete()
    Evidence.objects.filter(learner=learner).delete()
    many = journal_queries(client, learner, 100)
    assert few == many
    # user + profiles (annotated, also the form's choices) + the year's snapshots +
    # certificates + lessons per week + portfolio settings = 6 (sessions live in the cache)
    with django_assert_max_num_queries(6):
        client.get("/journal/")


def test_the_change_names_the_day_it_is_counted_from(client, learner, profile, clock):
    """Numbers 13 days apart are not "since last week"."""
    record(profile, TODAY - timedelta(days=13), 100)
    record(profile, TODAY, 117)
    client.force_login(learner)

    html = client.get("/journal/").content.decode()

    assert "+17 since 20 Nov" in html
    assert "since last week" not in html


def test_posts_reported_with_the_numbers_count_toward_the_goal(client, learner, profile, clock):
    journal.set_goal(profile=profile, weekly_post_goal=3)
    record(profile, TODAY - timedelta(days=1), 100, posts_published=2)  # Wednesday
    record(profile, TODAY - timedelta(days=8), 90, posts_published=5)  # last week's
    log(learner, TODAY, 1)  # logged as evidence too: whichever is more counts

    [line] = journal.journal_page(learner).profiles

    assert line.posts == 2
    journal.record_snapshot(
        learner=learner, profile=profile, taken_on=TODAY, followers=101, posts_published=1
    )
    [line] = journal.journal_page(learner).profiles
    assert (line.posts, line.goal_met) == (3, True)


def test_staff_see_the_growth_of_everyone_who_shares(learner, profile, staff_user, clock):
    Portfolio.objects.create(learner=learner, share_growth_with_team=True)
    record(profile, TODAY, 300)
    factories.team_with(manager=factories.UserFactory(), learners=[learner])
    sharing_team(factories.UserFactory(), 2)  # another team, another manager

    growth = journal.team_growth(staff_user)

    assert (growth.sharing, growth.people) == (3, 3)
    assert [person.name for person, _ in growth.page.object_list] == [
        "Lena Learner",
        "Person 000",
        "Person 001",
    ]
    assert [(t.network, t.people, t.followers) for t in growth.totals] == [("linkedin", 3, 300)]
