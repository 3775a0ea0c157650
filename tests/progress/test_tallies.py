"""The team tallies (progress.tallies) stay equal to a count of the rows they summarise,
whatever writes enrolments and memberships: the progress services' and rollups' UPDATEs, bulk
inserts, deletions and their cascades, and memberships added, removed and edited."""

import random
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from learners.models import Membership, Organisation, Team, TrackAssignment, User
from progress import rollups, tallies, tasks
from progress.models import Enrolment, SharedLearning, TeamHeadcount, TeamTally
from teams import dashboard_sql, dashboards
from tests import factories

pytestmark = pytest.mark.django_db


def expected_tallies():
    """(team, track, due) -> (assigned, completed, started, awaiting review); team -> people
    assigned, and active learners; (team, user) of people learning in several teams: counted
    from the rows in Python."""
    tally = Counter()
    learning: dict[int, set[int]] = {}
    for user_id, team_id in Membership.objects.filter(role="learner").values_list(
        "user_id", "team_id"
    ):
        learning.setdefault(user_id, set()).add(team_id)
    people = Counter()
    assigned_people = set()
    for e in Enrolment.objects.filter(assignment__isnull=False):
        assigned_people.add(e.learner_id)
        started = e.completed_at is None and (e.last_activity_at is not None or e.lessons_done > 0)
        for team_id in learning.get(e.learner_id, ()):
            key = (team_id, e.track_id, e.due_date or tallies.NO_DUE_DATE)
            for n, amount in enumerate(
                (1, int(e.completed_at is not None), int(started), e.pending_reviews)
            ):
                tally[(*key, n)] += amount
    for user_id in assigned_people:
        for team_id in learning.get(user_id, ()):
            people[team_id] += 1
    active = Counter()
    for user_id in User.objects.filter(pk__in=learning, is_active=True).values_list(
        "pk", flat=True
    ):
        for team_id in learning[user_id]:
            active[team_id] += 1
    shared_learning = Counter(
        (team_id, user_id)
        for user_id, teams in learning.items()
        if len(teams) > 1
        for team_id in teams
    )
    return tally, people, active, shared_learning


def stored_tallies():
    tally = Counter()
    for row in TeamTally.objects.all():
        key = (row.team_id, row.track_id, row.due_date)
        for n, amount in enumerate((row.assigned, row.completed, row.started, row.awaiting_review)):
            tally[(*key, n)] += amount
    people, active = Counter(), Counter()
    for row in TeamHeadcount.objects.all():
        people[row.team_id] += row.assigned_people
        active[row.team_id] += row.active_learners
    shared_learning = Counter(SharedLearning.objects.values_list("team_id", "user_id"))
    return tally, people, active, shared_learning


def assert_in_step():
    expected, stored = expected_tallies(), stored_tallies()
    for want, got in zip(expected, stored, strict=True):
        # Counter equality ignores keys counted zero (rows whose enrolments all left).
        assert +want == +got and not -got, (want, got)


def test_random_writes_keep_the_tallies_equal_to_a_count_of_the_rows():
    rng = random.Random(20261206)

    def pick(rows):
        """One of `rows` chosen by the seeded generator (the same run every time), or None."""
        rows = list(rows.order_by("pk"))
        return rng.choice(rows) if rows else None

    today = timezone.localdate()
    now = timezone.now()
    manager = factories.UserFactory()
    organisation = Organisation.objects.create(name="Tally", slug="tally")
    teams = [Team.objects.create(organisation=organisation, name=f"T{n}") for n in range(4)]
    tracks = [factories.make_track(slug=f"k{n}", modules=1, lessons_per_module=2) for n in range(3)]
    people = [factories.UserFactory() for _ in range(14)]
    dues = [None, today - timedelta(days=2), today, today + timedelta(days=5)]

    def refresh(users):
        rollups.refresh_assignments(learner_ids=[u.pk for u in users])

    def join():
        person, team = rng.choice(people), rng.choice(teams)
        Membership.objects.get_or_create(
            user=person, team=team, role=rng.choice(["learner"] * 3 + ["manager"])
        )
        refresh([person])

    def leave():
        membership = pick(Membership.objects)
        if membership:
            membership.delete()
            refresh([membership.user])

    def edit_membership():
        membership = pick(Membership.objects)
        if membership:
            field = rng.choice(["team", "role", "user"])
            if field == "team":
                membership.team = rng.choice(teams)
            elif field == "role":
                membership.role = "manager" if membership.role == "learner" else "learner"
            else:
                membership.user = rng.choice(people)
            if (
                Membership.objects.filter(
                    user=membership.user, team=membership.team, role=membership.role
                )
                .exclude(pk=membership.pk)
                .exists()
            ):
                return
            membership.save()

    def assign():
        track, due = rng.choice(tracks), rng.choice(dues)
        if rng.random() < 0.5:
            team = rng.choice(teams)
            TrackAssignment.objects.create(
                track=track, team=team, assigned_by=manager, due_date=due
            )
            rollups.refresh_assignments(track_ids=[track.pk])
        else:
            person = rng.choice(people)
            TrackAssignment.objects.create(
                track=track, learner=person, assigned_by=manager, due_date=due
            )
            refresh([person])

    def assign_to_a_team():
        """As teams.services does: the team's people as a queryset, so the refresh holds the
        triggers and recounts their teams."""
        team, track = rng.choice(teams), rng.choice(tracks)
        TrackAssignment.objects.create(
            track=track, team=team, assigned_by=manager, due_date=rng.choice(dues)
        )
        members = Membership.objects.filter(team=team, role="learner")
        Enrolment.objects.bulk_create(
            [Enrolment(learner_id=m.user_id, track=track) for m in members], ignore_conflicts=True
        )
        rollups.refresh_assignments(learner_ids=members.values("user_id"), track_ids=[track.pk])

    def cancel():
        assignment = pick(TrackAssignment.objects.filter(cancelled_at__isnull=True))
        if assignment:
            assignment.cancelled_at = now
            assignment.save()
            rollups.refresh_assignments(track_ids=[assignment.track_id])

    def enrol():
        person, track = rng.choice(people), rng.choice(tracks)
        Enrolment.objects.get_or_create(learner=person, track=track)
        refresh([person])

    def enrol_in_bulk():
        rows = {(rng.choice(people).pk, rng.choice(tracks).pk) for _ in range(5)}
        Enrolment.objects.bulk_create(
            [Enrolment(learner_id=p, track_id=t) for p, t in rows], ignore_conflicts=True
        )
        rollups.refresh_all()

    def progress():
        enrolments = rng.sample(
            list(Enrolment.objects.order_by("pk")),
            min(rng.choice([1, 1, 4]), Enrolment.objects.count()),
        )
        for enrolment in enrolments:
            Enrolment.objects.filter(pk=enrolment.pk).update(
                lessons_done=rng.choice([0, 1, 2]),
                last_activity_at=rng.choice([None, now]),
                completed_at=rng.choice([None, None, now]),
                pending_reviews=rng.choice([0, 0, 1, 3]),
            )

    def progress_in_one_update():
        Enrolment.objects.filter(track=rng.choice(tracks)).update(
            pending_reviews=rng.choice([0, 2]), lessons_done=rng.choice([0, 1])
        )

    def forget_enrolment():
        enrolment = pick(Enrolment.objects)
        if enrolment:
            enrolment.delete()

    def delete_person():
        person = people.pop(rng.randrange(len(people)))
        person.delete()
        people.append(factories.UserFactory())

    def switch_account():
        person = rng.choice(people)
        person.is_active = not person.is_active
        person.save(update_fields=["is_active"])

    def delete_team():
        team = teams.pop(rng.randrange(len(teams)))
        team.delete()
        teams.append(Team.objects.create(organisation=organisation, name=f"T{rng.random()}"))

    steps = [join] * 6 + [leave, edit_membership] * 2 + [assign] * 3 + [cancel, enrol, enrol]
    steps += [assign_to_a_team] * 2
    steps += [enrol_in_bulk, progress, progress, progress_in_one_update, forget_enrolment]
    steps += [delete_person, delete_team, switch_account]
    every_team = factories.UserFactory()  # manages all four: their sums share people
    staff = factories.UserFactory(is_staff=True)
    for step in range(160):
        rng.choice(steps)()
        if step % 8 == 7:
            assert_in_step()
            managed = Membership.objects.filter(role="manager", user=every_team)
            for team in teams:
                if not managed.filter(team=team).exists():
                    Membership.objects.create(user=every_team, team=team, role="manager")
            for who in (every_team, staff):
                for read, counted in dashboard_summaries(who, [], today):
                    assert read == counted
    assert_in_step()
    assert TeamTally.objects.filter(assigned__gt=0).exists()


def dashboard_summaries(manager, teams, today):
    curriculum = dashboards.curriculum_facts()
    choices = dashboard_sql.manager_teams(manager)
    found = []
    for team in [None, *teams]:
        for track in [None, *Enrolment.objects.values_list("track_id", flat=True).distinct()]:
            query = dashboard_sql.DashboardQuery(
                manager,
                choices,
                dashboards.Filters(team_id=team, track_id=track),
                curriculum,
                today,
            )
            found.append((query.summary(), query.counted_summary()))
    return found


def test_the_summary_read_from_the_tallies_is_the_counted_one(django_assert_num_queries):
    today = timezone.localdate()
    manager = factories.UserFactory()
    staff = factories.UserFactory(is_staff=True)
    teams = [factories.team_with(manager=manager) for _ in range(2)]
    tracks = [factories.make_track(slug=f"s{n}", modules=1, lessons_per_module=2) for n in range(2)]
    for n in range(12):
        person = factories.UserFactory()
        Membership.objects.create(user=person, team=teams[n % 2], role="learner")
    for track, due in zip(tracks, [today - timedelta(days=1), None], strict=True):
        for team in teams:
            TrackAssignment.objects.create(
                track=track, team=team, assigned_by=manager, due_date=due
            )
    Enrolment.objects.bulk_create(
        [
            Enrolment(learner=m.user, track=t)
            for m in Membership.objects.filter(role="learner")
            for t in tracks
        ]
    )
    rollups.refresh_all()
    ids = list(Enrolment.objects.order_by("pk").values_list("pk", flat=True))
    Enrolment.objects.filter(pk__in=ids[::3]).update(lessons_done=1)
    Enrolment.objects.filter(pk__in=ids[1::4]).update(
        completed_at=timezone.now(), pending_reviews=2
    )
    for who in (manager, staff):
        for read, counted in dashboard_summaries(who, [t.pk for t in teams], today):
            assert read == counted
    # Read from the tallies: one query, where counting reads every row.
    query = dashboard_sql.DashboardQuery(
        manager,
        dashboard_sql.manager_teams(manager),
        dashboards.Filters(),
        dashboards.curriculum_facts(),
        today,
    )
    with django_assert_num_queries(1):
        counts = query.summary()
    assert counts["people"] == 12 and counts["assignments"] == 24
    # Someone learning in both teams is in both teams' tallies: taken off once, still one query.
    Membership.objects.create(
        user=Membership.objects.filter(team=teams[0], role="learner").first().user,
        team=teams[1],
        role="learner",
    )
    with django_assert_num_queries(1):
        counts = query.summary()
    assert counts["people"] == 12 and counts["assignments"] == 24
    assert counts == query.counted_summary()
    for who in (manager, staff):
        for read, counted in dashboard_summaries(who, [t.pk for t in teams], today):
            assert read == counted
    # One team's counts hold whoever else its people learn with: read from its tallies.
    for team in teams:
        query = dashboard_sql.DashboardQuery(
            manager,
            dashboard_sql.manager_teams(manager),
            dashboards.Filters(team_id=team.pk),
            dashboards.curriculum_facts(),
            today,
        )
        read = tallies.summary([team.pk], track_id=None, archived=[], today=today)
        assert read is not None and read == query.counted_summary()


def test_after_migrate_the_triggers_are_back_and_the_tallies_recounted():
    """A migration that rebuilds a table on SQLite drops its triggers: post_migrate puts them
    back and recounts what was written meanwhile."""
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    track = factories.make_track(slug="m", modules=1, lessons_per_module=2)
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    tallies.uninstall(connection)
    person = factories.UserFactory()
    Membership.objects.create(user=person, team=team, role="learner")
    Enrolment.objects.create(learner=person, track=track)
    rollups.refresh_assignments(learner_ids=[person.pk])
    assert not TeamTally.objects.filter(assigned__gt=0).exists()  # written without triggers
    tallies.reinstall_after_migrate(sender=None, using=connection.alias)
    assert_in_step()
    Enrolment.objects.filter(learner=person).update(completed_at=timezone.now())
    assert TeamTally.objects.get(team=team).completed == 1
    assert_in_step()
    assert User.objects.filter(pk=person.pk).exists()


def test_the_nightly_recount_corrects_what_drifted_and_says_so(caplog):
    manager = factories.UserFactory()
    team = factories.team_with(manager=manager, learners=[factories.UserFactory()])
    track = factories.make_track(slug="n", modules=1, lessons_per_module=2)
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    Enrolment.objects.create(
        learner=Membership.objects.get(team=team, role="learner").user, track=track
    )
    rollups.refresh_all()
    assert tasks.recount_team_tallies() == 0
    TeamTally.objects.filter(team=team).update(assigned=5)  # as a lost race would leave it
    with caplog.at_level("WARNING", logger="progress.tasks"):
        assert tasks.recount_team_tallies() == 1
    assert "1 teams' figures corrected" in caplog.text
    assert TeamTally.objects.get(team=team).assigned == 1
    assert_in_step()


def _team_on_a_track(size: int, slug: str):
    manager = factories.UserFactory()
    people = [factories.UserFactory() for _ in range(size)]
    team = factories.team_with(manager=manager, learners=people)
    track = factories.make_track(slug=slug, modules=1, lessons_per_module=2)
    Enrolment.objects.bulk_create([Enrolment(learner=person, track=track) for person in people])
    return manager, people, team, track


def test_a_refresh_of_a_team_holds_the_triggers_and_recounts_the_teams_of_its_people():
    manager, people, team, track = _team_on_a_track(6, "held")
    elsewhere = factories.team_with(learners=[people[0]])  # someone learning in two teams
    _, _, untouched, _ = _team_on_a_track(2, "other")
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    before = list(TeamTally.objects.filter(team=untouched).values())

    members = Membership.objects.filter(team=team, role="learner").values("user_id")
    assert rollups.refresh_assignments(learner_ids=members, track_ids=[track.pk]) == 6

    assert_in_step()
    assert TeamTally.objects.get(team=team).assigned == 6
    assert TeamTally.objects.get(team=elsewhere).assigned == 1
    assert SharedLearning.objects.filter(user_id=people[0].pk).count() == 2
    assert list(TeamTally.objects.filter(team=untouched).values()) == before
    # The triggers count again once the refresh is over.
    Enrolment.objects.filter(learner=people[1]).update(completed_at=timezone.now())
    assert TeamTally.objects.get(team=team).completed == 1
    assert_in_step()


def test_writes_made_while_the_triggers_are_held_are_counted_only_by_the_recount():
    manager, people, team, track = _team_on_a_track(3, "hold")
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    rollups.refresh_all()
    assert_in_step()

    with tallies.held(team_ids=[]):  # nothing to recount: what the triggers would have done
        Enrolment.objects.filter(learner=people[0]).update(completed_at=timezone.now())
        with tallies.held(team_ids=[team.pk]):  # nested: part of the outer hold
            Enrolment.objects.filter(learner=people[1]).update(pending_reviews=2)
    assert TeamTally.objects.get(team=team).completed == 0
    assert TeamTally.objects.get(team=team).awaiting_review == 0

    with tallies.held(team_ids=[team.pk]):
        Enrolment.objects.filter(learner=people[2]).update(completed_at=timezone.now())
    tally = TeamTally.objects.get(team=team)
    assert (tally.completed, tally.awaiting_review) == (2, 2)
    assert_in_step()


def test_the_refresh_command_reports_drift_and_leaves_the_tallies_exact():
    manager, _, team, track = _team_on_a_track(4, "cmd")
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    # An assignment made without the services, as a bulk load would: nothing counted yet.
    out = StringIO()
    call_command("refresh_rollups", stdout=out)
    assert "(0 teams corrected)" in out.getvalue()
    assert TeamTally.objects.get(team=team).assigned == 4
    TeamTally.objects.filter(team=team).update(assigned=9)
    out = StringIO()
    call_command("refresh_rollups", stdout=out)
    assert "(1 teams corrected)" in out.getvalue()
    assert_in_step()
