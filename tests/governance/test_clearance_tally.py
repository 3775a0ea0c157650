"""The per-team clearance tallies (governance.clearance_tally) stay equal to a count of the
holdings they summarise, whatever writes holdings, memberships, accounts and teams; and the
dashboard's clearance counts read from them equal the counts read from the people."""

import random
from collections import Counter
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance import clearance, clearance_tally, holdings, tasks
from governance.models import ClearanceLevel, LevelHolding, TeamClearanceTally
from learners.models import Membership, Team, User
from learners.selectors import managed_team_ids_sql
from tests import factories
from tests.statements import sqlite_plan

from .helpers import acknowledge, level, organisation, publish

pytestmark = pytest.mark.django_db


def expected_tally() -> Counter:
    counted = Counter()
    levels = dict(ClearanceLevel.objects.values_list("pk", "organisation_id"))
    teams = dict(Team.objects.values_list("pk", "organisation_id"))
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    learning: dict[int, set[int]] = {}
    for user_id, team_id in Membership.objects.filter(role="learner").values_list(
        "user_id", "team_id"
    ):
        learning.setdefault(user_id, set()).add(team_id)
    for holding in LevelHolding.objects.all():
        if holding.user_id not in active:
            continue
        expires_on = (
            holding.valid_until.astimezone(UTC).date()
            if holding.valid_until
            else TeamClearanceTally.NO_EXPIRY
        )
        for team_id in learning.get(holding.user_id, ()):
            if teams[team_id] == levels[holding.level_id]:
                counted[(team_id, holding.level_id, holding.acknowledged_number, expires_on)] += 1
    return counted


def stored_tally() -> Counter:
    stored = Counter()
    for row in TeamClearanceTally.objects.all():
        key = (row.team_id, row.level_id, row.acknowledged_number, row.expires_on)
        stored[key] += row.holders
    return stored


def assert_counts_agree(managers, staff):
    expected, stored = expected_tally(), stored_tally()
    assert +expected == +stored and not -stored, (expected, stored)
    now = timezone.now()
    scopes = [managed_team_ids_sql(User(is_staff=True))]
    scopes += [managed_team_ids_sql(m) for m in managers]
    shared = 0
    for teams_sql, params in scopes:
        tallied = clearance._tallied_counts(connection, teams_sql, list(params), now=now)
        counted = clearance._counted_holdings(connection, teams_sql, list(params), now=now)
        assert _nonzero(tallied) == _nonzero(counted)
    for teams in Membership.objects.filter(role="learner").values("user").annotate(n=Count("pk")):
        shared += teams["n"] > 1
    return shared


def _nonzero(found: dict) -> dict:
    return {
        organisation: (people, {k: v for k, v in held.items() if v != (0, 0)})
        for organisation, (people, held) in found.items()
        if people or any(v != (0, 0) for v in held.values())
    }


def test_random_writes_keep_the_clearance_tallies_and_counts_exact():
    rng = random.Random(20261206)

    def pick(rows):
        """One of `rows` chosen by the seeded generator (the same run every time), or None."""
        rows = list(rows.order_by("pk"))
        return rng.choice(rows) if rows else None

    orgs = [organisation("north"), organisation("south")]
    versions = {org.pk: publish(org) for org in orgs}
    tracks = [factories.make_track(slug=f"c{n}", modules=1, lessons_per_module=1) for n in range(2)]
    levels = [level(orgs[0], "Posts", tracks=tracks[:1]), level(orgs[0], "Replies")]
    levels.append(level(orgs[1], "Speaks", tracks=tracks[1:]))
    teams = [Team.objects.create(organisation=orgs[n % 2], name=f"C{n}") for n in range(4)]
    managers = []
    for team in teams:
        manager = factories.UserFactory()
        Membership.objects.create(user=manager, team=team, role="manager")
        managers.append(manager)
    staff = factories.UserFactory(is_staff=True)
    people = [factories.UserFactory() for _ in range(16)]
    now = timezone.now()
    untils = [
        None,
        now - timedelta(days=3),
        now - timedelta(minutes=30),
        now + timedelta(minutes=30),
        now + timedelta(days=1),
        now + timedelta(days=40),
    ]

    def join():
        person, role = rng.choice(people), rng.choice(["learner"] * 4 + ["manager"])
        learns = role == "learner" and person.memberships.filter(role="learner").exists()
        if learns and rng.random() < 0.85:  # mostly one team each, as in most organisations
            return
        Membership.objects.get_or_create(user=person, team=rng.choice(teams), role=role)

    def leave():
        membership = pick(Membership.objects.filter(user__in=people))
        if membership:
            membership.delete()

    def edit_membership():
        membership = pick(Membership.objects.filter(user__in=people))
        if membership is None:
            return
        if rng.random() < 0.5:
            membership.team = rng.choice(teams)
        else:
            membership.role = "manager" if membership.role == "learner" else "learner"
        if (
            not Membership.objects.filter(
                user=membership.user, team=membership.team, role=membership.role
            )
            .exclude(pk=membership.pk)
            .exists()
        ):
            membership.save()

    def hold():
        person, held = rng.choice(people), rng.choice(levels)
        LevelHolding.objects.update_or_create(
            user=person,
            level=held,
            defaults={
                "acknowledged_number": rng.choice([1, 1, 2]),
                "valid_until": rng.choice(untils),
            },
        )

    def drop_holding():
        holding = pick(LevelHolding.objects)
        if holding:
            holding.delete()

    def acknowledge_and_refresh():
        membership = pick(Membership.objects.filter(user__in=people))
        if membership:
            person = membership.user
            acknowledge(person, versions[membership.team.organisation_id])
            holdings.refresh_holdings(user_ids=[person.pk])

    def switch_account():
        person = rng.choice(people)
        person.is_active = not person.is_active
        person.save(update_fields=["is_active"])

    def move_team():
        team = rng.choice(teams)
        team.organisation = orgs[0] if team.organisation_id == orgs[1].pk else orgs[1]
        team.save(update_fields=["organisation"])

    def delete_person():
        person = people.pop(rng.randrange(len(people)))
        person.delete()
        people.append(factories.UserFactory())

    steps = [join] * 6 + [leave, edit_membership, hold, hold, hold, drop_holding]
    steps += [acknowledge_and_refresh, switch_account, switch_account, move_team, delete_person]
    shared = 0
    for step in range(300):
        rng.choice(steps)()
        if step % 9 == 8:
            shared += assert_counts_agree(managers, staff)
    shared += assert_counts_agree(managers, staff)
    assert shared > 5, shared  # the scopes compared often had someone learning in two teams
    assert TeamClearanceTally.objects.filter(holders__gt=0).exists()


def test_a_level_deleted_takes_its_tallies_and_a_recount_after_migrate_restores_them():
    org = organisation("east")
    version = publish(org)
    held = level(org, "Posts")
    person = factories.UserFactory()
    team = Team.objects.create(organisation=org, name="E")
    Membership.objects.create(user=person, team=team, role="learner")
    acknowledge(person, version)
    holdings.refresh_holdings(user_ids=[person.pk])
    assert stored_tally() == Counter({(team.pk, held.pk, 1, TeamClearanceTally.NO_EXPIRY): 1})
    clearance_tally.uninstall(connection)
    LevelHolding.objects.filter(user=person).delete()
    assert +stored_tally() != +expected_tally()  # written while the triggers were away
    clearance_tally.reinstall_after_migrate(sender=None, using=connection.alias)
    assert +stored_tally() == +expected_tally()
    assert tasks.recount_clearance_tallies() == 0
    holdings.refresh_holdings(user_ids=[person.pk])
    TeamClearanceTally.objects.update(holders=3)  # as a lost race would leave it
    assert tasks.recount_clearance_tallies() == 1
    assert +stored_tally() == +expected_tally()
    held.delete()
    assert not TeamClearanceTally.objects.exists()


def test_someone_in_two_teams_is_counted_once_from_the_tallies():
    org = organisation("west")
    version = publish(org)
    level(org, "Posts")
    manager = factories.UserFactory()
    first, second = (Team.objects.create(organisation=org, name=n) for n in ("W1", "W2"))
    Membership.objects.create(user=manager, team=first, role="manager")
    people = [factories.UserFactory() for _ in range(3)]
    for person in people:
        Membership.objects.create(user=person, team=first, role="learner")
        acknowledge(person, version)
    Membership.objects.create(user=people[0], team=second, role="learner")  # in both teams
    holdings.refresh_holdings(user_ids=[person.pk for person in people])
    now = timezone.now()

    one_team = managed_team_ids_sql(manager)
    tallied = clearance._tallied_counts(connection, one_team[0], list(one_team[1]), now=now)
    counted = clearance._counted_holdings(connection, one_team[0], list(one_team[1]), now=now)
    assert tallied is not None and _nonzero(tallied) == _nonzero(counted)
    assert tallied[org.pk][0] == 3
    # Both teams (staff): the person is in both teams' tallies, and counted once.
    both = managed_team_ids_sql(User(is_staff=True))
    tallied = clearance._tallied_counts(connection, both[0], list(both[1]), now=now)
    counted = clearance._counted_holdings(connection, both[0], list(both[1]), now=now)
    assert _nonzero(tallied) == _nonzero(counted)
    assert tallied[org.pk][0] == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's join order")
def test_the_shared_people_s_holdings_are_read_from_them_on_sqlite():
    """The holdings of people in two of the scope's teams are read person by person, not by
    walking every holding of the organisation's levels (half a millisecond at 50,000 people,
    on every dashboard and roster view, usually to find nobody shared)."""
    org = organisation("east")
    publish(org)
    level(org, "Posts")
    for name in ("E1", "E2"):
        Team.objects.create(organisation=org, name=name)
    teams_sql, params = managed_team_ids_sql(User(is_staff=True))  # every team
    with CaptureQueriesContext(connection) as queries:
        clearance._tallied_counts(connection, teams_sql, list(params), now=timezone.now())
    holdings_read = [
        line for line in sqlite_plan(queries.captured_queries[-1]["sql"]).splitlines()
        if line.startswith("SEARCH h ")
    ]  # fmt: skip
    assert holdings_read
    for line in holdings_read:  # by person, or the few that run out today
        assert "user_id=?" in line or "valid_until>?" in line, line
