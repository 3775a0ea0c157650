"""The clearance roster (/team/roster/ and its CSV): who may see whom, what it says, its cost."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import clearance, holdings
from governance import services as governance
from governance.models import ClearanceLevel, PolicyAcknowledgement, PolicyVersion
from governance.views import ROSTER_PER_PAGE
from learners import selectors
from learners.models import Membership, User
from progress.models import Certificate
from tests import factories
from tests.concurrency import at_once
from tests.governance import helpers as gov
from tests.statements import sqlite_plan

pytestmark = pytest.mark.django_db

ROSTER, CSV = reverse("governance:roster"), reverse("governance:roster_csv")


@pytest.fixture
def world():
    """Acme: team Marketing (manager Morgan; Sean, Lena) and team Sales (manager Max; Sam);
    Carrie owns Acme's policy. Elsewhere: team Ops (manager Olga; Otto)."""
    acme = gov.organisation("acme")
    people = {
        name: factories.UserFactory(display_name=name)
        for name in ("Morgan", "Sean", "Lena", "Max", "Sam", "Carrie", "Olga", "Otto")
    }
    gov.team(acme, "Marketing", manager=people["Morgan"], learners=[people["Sean"], people["Lena"]])
    gov.team(acme, "Sales", manager=people["Max"], learners=[people["Sam"]])
    gov.owner(acme, people["Carrie"])
    elsewhere = gov.organisation("elsewhere")
    gov.team(elsewhere, "Ops", manager=people["Olga"], learners=[people["Otto"]])
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=1)
    gov.level(acme, "Cleared to post", tracks=[track])
    gov.level(elsewhere, "Cleared to post", tracks=[track])
    with gov.at(gov.JAN_1):
        version = gov.publish(acme, "Acme policy.")
        for name in ("Sean", "Lena"):
            gov.acknowledge(people[name], version)
            gov.certify(people[name], track)
    return acme, elsewhere, people, track


def names_on(client, url: str = ROSTER) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    return {
        name
        for name in ("Sean", "Lena", "Sam", "Otto", "Morgan", "Max", "Carrie", "Olga")
        if f"<strong>{name}</strong>" in body
    }


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (ROSTER, CSV):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_learners_get_403(client, world):
    _, _, people, _ = world
    client.force_login(people["Sean"])
    assert client.get(ROSTER).status_code == 403
    assert client.get(CSV).status_code == 403


def test_a_manager_sees_only_their_teams(client, world):
    _, _, people, _ = world
    client.force_login(people["Morgan"])
    assert names_on(client) == {"Sean", "Lena"}
    client.force_login(people["Max"])
    assert names_on(client) == {"Sam"}
    # Another organisation's roster is not theirs to open.
    assert client.get(ROSTER + "?organisation=elsewhere").status_code == 404
    assert client.get(CSV + "?organisation=elsewhere").status_code == 404


def test_the_policy_owner_sees_the_whole_organisation(client, world):
    _, _, people, _ = world
    client.force_login(people["Carrie"])
    assert names_on(client) == {"Sean", "Lena", "Sam"}
    assert client.get(ROSTER + "?organisation=elsewhere").status_code == 404


def test_staff_see_every_organisation(client, world, staff_user):
    client.force_login(staff_user)
    assert names_on(client, ROSTER + "?organisation=acme") == {"Sean", "Lena", "Sam"}
    assert names_on(client, ROSTER + "?organisation=elsewhere") == {"Otto"}


def test_the_scopes_are_read_in_one_query_with_whole_organisations_and_teams(world, staff_user):
    """Owning the policy makes the organisation whole (the teams one also manages there are in
    it); teams managed elsewhere are that organisation's scope, by name; organisations by name."""
    acme, elsewhere, people, _ = world
    carrie = people["Carrie"]
    gov.team(acme, "Design", manager=carrie)
    gov.team(elsewhere, "Zeta", manager=carrie)
    gov.team(elsewhere, "Alpha", manager=carrie)
    elsewhere.allow_peer_review = True
    elsewhere.save()
    with CaptureQueriesContext(connection) as queries:
        scopes = governance.roster_scopes(carrie)
        found = [
            (s.organisation.slug, s.organisation.allow_peer_review, s.teams and [
                (t.name, t.organisation.slug, t.organisation_id) for t in s.teams
            ])
            for s in scopes
        ]  # fmt: skip
    assert len(queries) == 1
    assert found == [
        ("acme", False, None),
        ("elsewhere", True, [("Alpha", "elsewhere", elsewhere.pk), ("Zeta", "elsewhere", elsewhere.pk)]),
    ]  # fmt: skip
    assert [s.label for s in scopes] == ["Acme (everyone)", "Elsewhere: Alpha, Zeta"]
    assert governance.roster_scopes(people["Otto"]) == []  # a learner: nothing
    morgan = governance.roster_scopes(people["Morgan"])
    assert [(s.organisation.slug, [t.name for t in s.teams]) for s in morgan] == [
        ("acme", ["Marketing"])
    ]
    with CaptureQueriesContext(connection) as queries:
        staff = governance.roster_scopes(staff_user)
    assert len(queries) == 1
    assert [(s.organisation.slug, s.teams) for s in staff] == [("acme", None), ("elsewhere", None)]


def teams_on(client, query: str = "") -> dict[str, str]:
    """{person: the team shown under their name} on the roster's first page."""
    body = client.get(ROSTER + query).content.decode()
    return {
        line.split("<strong>")[1].split("</strong>")[0]: line.split('<span class="muted">')[
            1
        ].split("</span>")[0]
        for line in body.splitlines()
        if line.strip().startswith("<tr><td><strong>")
    }


def test_each_person_is_shown_with_their_first_team_in_the_scope(client, world):
    """A one-team scope names its team without a lookup per person; a scope of several teams
    (or the whole organisation) names each person's first team by name, filtered or not."""
    acme, _, people, _ = world
    sales = acme.teams.get(name="Sales")
    Membership.objects.create(user=people["Sean"], team=sales, role=Membership.Role.LEARNER)
    client.force_login(people["Morgan"])  # Marketing alone
    assert teams_on(client) == {"Sean": "Marketing", "Lena": "Marketing"}
    assert teams_on(client, "?status=cleared") == {"Sean": "Marketing", "Lena": "Marketing"}
    assert {row["team"] for row in read_csv(client.get(CSV))} == {"Marketing"}
    client.force_login(people["Max"])  # Sales alone: Sean is in it too
    assert teams_on(client) == {"Sean": "Sales", "Sam": "Sales"}
    Membership.objects.create(
        user=people["Max"],
        team=acme.teams.get(name="Marketing"),
        role=Membership.Role.MANAGER,
    )
    expected = {"Sean": "Marketing", "Lena": "Marketing", "Sam": "Sales"}
    assert teams_on(client) == expected  # both teams: Sean's first is Marketing
    client.force_login(people["Carrie"])  # the whole organisation
    assert teams_on(client) == expected


def test_roster_shows_who_is_cleared_and_who_lost_it_when_the_policy_changed(client, world):
    acme, _, people, _ = world
    with gov.at(gov.JAN_1 + timedelta(days=5)):
        gov.publish(acme, "Acme policy, version 2.", summary="Adds AI rules.")
    with gov.at(gov.JAN_1 + timedelta(days=6)):
        gov.acknowledge(people["Lena"], PolicyVersion.objects.get(number=2))
    client.force_login(people["Carrie"])
    with gov.at(gov.JAN_1 + timedelta(days=10)):
        body = client.get(ROSTER).content.decode()
        assert "since 7 Jan 2026" in body  # Lena, since her second acknowledgement
        assert "since 6 Jan 2026: policy changed" in body  # Sean
        assert names_on(client, ROSTER + "?status=lost") == {"Sean"}
        assert names_on(client, ROSTER + "?status=cleared") == {"Lena"}
        assert names_on(client, ROSTER + "?status=not_cleared") == {"Sam"}


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_lists_person_level_status_and_why(client, world):
    _, _, people, _ = world
    Certificate.objects.filter(learner=people["Lena"]).update(
        expires_at=gov.JAN_1 + timedelta(days=3)
    )
    holdings.refresh_holdings(user_ids=[people["Lena"].pk])  # written past the services
    client.force_login(people["Morgan"])
    with gov.at(gov.JAN_1 + timedelta(days=10)):
        rows = read_csv(client.get(CSV))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"Sean", "Lena"}
    assert by_name["Sean"]["status"] == "cleared"
    assert by_name["Sean"]["since"].startswith("2026-01-01")
    assert by_name["Lena"]["status"] == "lost"
    assert by_name["Lena"]["lost_because"] == "certificate_expired"
    assert by_name["Lena"]["lost_since"].startswith("2026-01-04")
    assert by_name["Lena"]["team"] == "Marketing"


def test_csv_defuses_formulas(client, world):
    _, _, people, _ = world
    User.objects.filter(pk=people["Sean"].pk).update(display_name='=HYPERLINK("http://x")')
    client.force_login(people["Morgan"])
    rows = read_csv(client.get(CSV))
    assert {row["name"] for row in rows} == {'\'=HYPERLINK("http://x")', "Lena"}


# -- query budgets ------------------------------------------------------------------------------


def crowd(manager, track, version, size: int) -> None:
    """A team of `size` learners managed by `manager`, everyone acknowledged and certified."""
    team = gov.team(gov.organisation("acme"), f"Crowd {size}", manager=manager)
    users = User.objects.bulk_create(
        [User(email=f"r{size}-{n}@example.com", display_name=f"R {n}") for n in range(size)]
    )
    Membership.objects.bulk_create([Membership(user=u, team=team, role="learner") for u in users])
    PolicyAcknowledgement.objects.bulk_create(
        [
            PolicyAcknowledgement(user=u, version=version, text_sha256=version.text_sha256)
            for u in users
        ]
    )
    Certificate.objects.bulk_create(
        [
            Certificate(learner=u, track=track, code=f"r{size}-{u.pk}", learner_name=u.name,
                        track_title=track.title)
            for u in users
        ]
    )  # fmt: skip
    holdings.refresh_holdings(user_ids=[u.pk for u in users])  # written in bulk, past the services


@pytest.mark.parametrize("url", [ROSTER, CSV])
def test_roster_costs_the_same_queries_for_5_and_200_people(
    client, world, url, django_assert_max_num_queries
):
    _, _, _, track = world
    version = PolicyVersion.objects.get(number=1)
    counts = []
    for size in (5, 200):
        manager = factories.UserFactory()
        crowd(manager, track, version, size)
        client.force_login(manager)
        client.get(url)  # warm the session
        # user + scopes (owned organisations and managed teams, read together) + counts +
        # people + their records (acknowledgements, certificates and approvals, read
        # together) = 5 at most: the session comes from the cache, the levels and policy
        # versions from the worker's memory (read by the visit before: kept_rules_of)
        with django_assert_max_num_queries(5) as captured:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                rows = b"".join(response.streaming_content).decode().count("\n") - 1
                assert rows == size
            else:
                shown = min(size, ROSTER_PER_PAGE)
                assert response.content.decode().count("<tr>") == shown + 1
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("few_people", [selectors.FEW_PEOPLE, -1], ids=["sorted", "walked"])
@pytest.mark.parametrize("viewer", ["manager", "policy owner"])
def test_the_pages_of_the_roster_show_everyone_once_in_name_order(
    client, world, viewer, few_people, monkeypatch
):
    """The people's page is read with SQL compiled once per process (core.prepared), the page's
    bounds as parameters: every page must still hold the next people by name, whether the
    scope's people are sorted (a few of them) or found through the users' name index (many)."""
    monkeypatch.setattr(selectors, "FEW_PEOPLE", few_people)
    _, _, _, track = world
    version = PolicyVersion.objects.get(number=1)
    manager = factories.UserFactory()
    crowd(manager, track, version, ROSTER_PER_PAGE + 7)
    if viewer == "manager":
        client.force_login(manager)
    else:
        owner = factories.UserFactory()
        gov.policies.make_policy_owner(user=owner, organisation=gov.organisation("acme"))
        client.force_login(owner)
    seen = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(ROSTER, {"organisation": "acme", "page": page}).content.decode()
        people = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
        assert len(people) == 1 and ("||" in people[0]) == (few_people > 0), people
        if few_people < 0 and connection.vendor == "sqlite":
            # Many people: SQLite too walks the name index, rather than sorting the scope.
            assert "user_name_order_idx" in sqlite_plan(people[0])
        seen += [
            line.split("<strong>")[1].split("</strong>")[0]
            for line in html.splitlines()
            if line.strip().startswith("<tr><td><strong>R ")
        ]
    expected = sorted(
        User.objects.filter(email__startswith=f"r{ROSTER_PER_PAGE + 7}-").values_list(
            "display_name", flat=True
        )
    )
    assert seen == expected


def reads_the_team_per_person(sql: str) -> bool:
    """Whether SQLite's plan asks of each person whether they are in the team (a correlated
    EXISTS), rather than starting from the team's memberships."""
    return "(team_id=? AND role=?)" not in sqlite_plan(sql)


@pytest.mark.parametrize("few_people", [selectors.FEW_PEOPLE, -1], ids=["few", "many"])
@pytest.mark.parametrize("second_level", [False, True], ids=["one level", "two levels"])
def test_a_filtered_roster_pages_exactly_the_people_who_match(
    client, world, second_level, few_people, monkeypatch, django_assert_max_num_queries
):
    """On one level, how many match comes from the counts the page reads anyway (no query
    asks about each person); on "any level" of several, the people are counted. Either way
    the pages hold exactly the people who match. In a large scope (more than FEW_PEOPLE) a
    filter that names its people (cleared, lost: "in these holdings") is read from them, the
    scope asked of each; "not cleared" is read from the scope's people."""
    monkeypatch.setattr(selectors, "FEW_PEOPLE", few_people)
    acme, _, _, track = world
    if second_level:
        gov.level(acme, "Cleared to reply", tracks=[track])
        holdings.refresh_holdings()
    version = PolicyVersion.objects.get(number=1)
    manager = factories.UserFactory()
    crowd(manager, track, version, ROSTER_PER_PAGE + 7)
    lapsed = User.objects.filter(email__startswith=f"r{ROSTER_PER_PAGE + 7}-").order_by("pk")[:3]
    Certificate.objects.filter(learner__in=list(lapsed)).update(expires_at=gov.JAN_1)
    holdings.refresh_holdings(user_ids=[u.pk for u in lapsed])  # written past the services
    client.force_login(manager)
    client.get(ROSTER)  # warm the session and the rules
    level = ClearanceLevel.objects.get(organisation=acme, name="Cleared to post")
    with gov.at(gov.JAN_1 + timedelta(days=10)):
        for status, expected in [("cleared", ROSTER_PER_PAGE + 4), ("lost", 3), ("not_cleared", 0)]:
            for chosen in ("", str(level.pk)):
                query = {"status": status, "level": chosen}
                # Unfiltered, the page costs 5 queries; a count of the people adds one.
                budget = 6 if second_level and not chosen else 5
                with django_assert_max_num_queries(budget) as captured:
                    first = client.get(ROSTER, query).content.decode()
                if connection.vendor == "sqlite":
                    filtered = [
                        q["sql"] for q in captured.captured_queries
                        if "governance_levelholding" in q["sql"]
                        and q["sql"].startswith(('SELECT COUNT(*) AS "__count"', 'SELECT "learners_user"'))
                    ]  # fmt: skip
                    assert filtered or expected == 0, (status, chosen)
                    per_person = few_people < 0 and status != "not_cleared"
                    for sql in filtered:
                        if per_person or "COUNT(*)" not in sql:
                            continue  # many rows: the page walks the name index, per person
                        assert not reads_the_team_per_person(sql), (status, chosen)
                    if per_person:
                        assert all(reads_the_team_per_person(sql) for sql in filtered), status
                second = client.get(ROSTER, query | {"page": 2}).content.decode()
                shown = first.count("<tr><td>") + (
                    second.count("<tr><td>") if expected > ROSTER_PER_PAGE else 0
                )
                assert shown == expected, (status, chosen)
                if expected > ROSTER_PER_PAGE:
                    assert "Page 1 of 2" in first and "Page 2 of 2" in second
                elif expected == 0:
                    assert "Nobody matches." in first


def test_the_roster_writes_days_as_the_templates_date_filter_does():
    from datetime import UTC, datetime

    from django.utils import dateformat, timezone

    from governance import roster_table

    for month in range(1, 13):
        moment = datetime(2026, month, 28, 23, 30, tzinfo=UTC)  # the next day in some zones
        expected = dateformat.format(timezone.localtime(moment), "j M Y")
        assert roster_table._day(moment) == expected


def _level(org):
    return ClearanceLevel.objects.get(organisation=org)


CHANGES = {
    "a level added": (
        lambda acme, track: gov.level(acme, "Cleared to advertise", tracks=[track]),
        "Cleared to advertise",
    ),
    "a level renamed": (
        lambda acme, track: _rename(_level(acme), "Cleared to speak"),
        "Cleared to speak",
    ),
    "a track required": (
        lambda acme, track: _level(acme).tracks.add(factories.make_track(slug="crisis")),
        "Missing: Certificate: Track crisis",
    ),
    "a level required from the track's side": (
        lambda acme, track: factories.make_track(slug="crisis").clearance_levels.add(_level(acme)),
        "Missing: Certificate: Track crisis",
    ),
    "the level deleted": (
        lambda acme, track: _level(acme).delete(),
        "has no clearance levels yet",
    ),
    "a policy version published": (
        lambda acme, track: gov.publish(acme, "Acme policy, again.", summary="Reworded."),
        "Policy: version 2",
    ),
}


def _rename(level, name):
    level.name = name
    level.save()


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_the_levels_or_the_policy_shows_on_the_next_visit(client, world, change):
    """Each worker keeps the levels and policy versions it read (clearance.kept_rules_of) until
    one of them, or the curriculum, changes."""
    acme, _, people, track = world
    make_change, shown = CHANGES[change]
    client.force_login(people["Carrie"])
    assert shown not in client.get(ROSTER, {"organisation": "acme"}).content.decode()
    make_change(acme, track)
    assert shown in client.get(ROSTER, {"organisation": "acme"}).content.decode()


def test_the_levels_and_the_policy_are_read_once_until_they_change(client, world):
    acme, _, people, _ = world
    client.force_login(people["Carrie"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ROSTER, {"organisation": "acme"}).status_code == 200
        return len(captured)

    queries()  # the session, the levels and the policy versions read
    kept = queries()
    _rename(_level(acme), "Cleared to speak")
    # levels + policy versions: read again after the change, then kept again
    assert [queries(), queries()] == [kept + 2, kept]


@pytest.mark.django_db(transaction=True)
def test_rules_another_worker_reads_before_a_change_commits_are_read_again_after_it():
    """Between a change and its commit another worker still sees (and keeps) the rules as they
    were: the version moves on again once the change commits."""
    acme = gov.organisation("acme")
    level = gov.level(acme, "Cleared to post")

    def names() -> list[str]:
        return [kept.name for kept in clearance.Rules(acme).levels]

    assert names() == ["Cleared to post"]
    with transaction.atomic():
        _rename(level, "Cleared to speak")
        assert at_once(lambda _: names(), [0]) == [["Cleared to post"]]  # not committed yet
    assert names() == ["Cleared to speak"]
