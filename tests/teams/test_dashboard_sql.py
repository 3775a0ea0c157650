"""The dashboard page's SQL (teams.dashboard_sql) agrees with the ORM's statement of the
same rules (teams.dashboards), which the CSV export and the manager digest use: the same
rows, in the same order, with the same figures and counts, for every filter and sort."""

import itertools
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from courses import services as course_services
from courses.models import Lesson
from learners import selectors
from learners.models import Membership, Organisation, Team, TrackAssignment, User
from learners.selectors import managed_teams
from progress import rollups
from progress.models import Enrolment
from teams import dashboard_sql, dashboards
from tests import factories
from tests.statements import sqlite_plan

pytestmark = pytest.mark.django_db

STATUSES = ["", *(key for key, _ in dashboards.STATUSES)]


@pytest.fixture
def world():
    """Two managers, three teams in two organisations, people in one, two or no team of
    theirs, four tracks (one to be archived, one unpublished), team and personal assignments
    with due dates in the past, today, the future or none, and every kind of progress, with
    ties in names, progress and activity so that the tie-breaks are exercised."""
    rng = random.Random(20261126)
    today = timezone.localdate()
    now = timezone.now()
    manager, other_manager = factories.UserFactory(), factories.UserFactory()
    staff = factories.UserFactory(is_staff=True)
    acme = factories.team_with(manager=manager)
    second = factories.team_with(manager=manager)
    beta = Team.objects.create(
        organisation=Organisation.objects.create(name="Beta", slug="beta"), name="Alpha team"
    )
    Membership.objects.create(user=manager, team=beta, role="manager")
    elsewhere = factories.team_with(manager=other_manager)
    tracks = [factories.make_track(slug=f"t{n}", modules=1, lessons_per_module=4) for n in range(3)]
    tracks.append(
        factories.make_track(slug="draft", modules=1, lessons_per_module=2, published=False)
    )
    people = User.objects.bulk_create(
        [
            User(
                email=f"p{n:02d}@example.com",
                display_name=rng.choice(["", "Ana", "Ben", "Cleo", "Dev"]),
            )
            for n in range(40)
        ]
    )
    for n, person in enumerate(people):
        for team in [(acme,), (second,), (acme, beta), (elsewhere,), (beta, elsewhere)][n % 5]:
            Membership.objects.create(user=person, team=team, role="learner")
    dues = [today - timedelta(days=3), today, today + timedelta(days=9), None]
    for track, team in zip(tracks, [acme, second, beta, acme], strict=True):
        TrackAssignment.objects.create(
            track=track, team=team, assigned_by=manager, due_date=rng.choice(dues)
        )
    for team in (acme, elsewhere):
        TrackAssignment.objects.create(
            track=tracks[2], team=team, assigned_by=other_manager, due_date=rng.choice(dues)
        )
    for person in people[::7]:
        TrackAssignment.objects.create(
            track=tracks[1], learner=person, assigned_by=manager, due_date=rng.choice(dues)
        )
    Enrolment.objects.bulk_create(
        [Enrolment(learner=p, track=t) for p in people for t in tracks if rng.random() < 0.8]
    )
    rollups.refresh_all()
    for enrolment in Enrolment.objects.all():
        # Stored figures straight in: the rules under test read only these columns.
        started = rng.random() < 0.6
        done = rng.choice([0, 0, 1, 2, 2, 4]) if started else 0
        Enrolment.objects.filter(pk=enrolment.pk).update(
            lessons_done=done,
            last_activity_at=(
                rng.choice([now - timedelta(days=2), now - timedelta(hours=5)])
                if started and rng.random() < 0.8
                else None
            ),
            completed_at=now if done == 4 and rng.random() < 0.7 else None,
            quiz_average=rng.choice([None, 40.0, 62.5, 80.0]),
            pending_reviews=rng.choice([0, 0, 1, 2]),
        )
    course_services.archive_content(item=tracks[0])  # its rows leave the dashboard
    return {"manager": manager, "staff": staff, "teams": [acme, second, beta, elsewhere]}


# The rest of the reference, in the ORM: lesson totals, each person's team, a page's columns.


def orm_lesson_counts() -> dict[int, int]:
    counts = Lesson.objects.current().order_by().values("track_id").annotate(n=Count("pk"))
    return dict(counts.values_list("track_id", "n"))


def orm_team_names(manager, filters, learner_ids=None) -> dict[int, str]:
    """The (first, by name) team each learner (of these, or all) learns in among the manager's
    (chosen) teams."""
    teams = managed_teams(manager)
    if filters.team_id is not None:
        teams = teams.filter(pk=filters.team_id)
    memberships = Membership.objects.filter(team__in=teams, role=Membership.Role.LEARNER)
    if learner_ids is not None:
        memberships = memberships.filter(user_id__in=list(learner_ids))
    memberships = memberships.order_by("-team__name").values_list("user_id", "team__name")
    return dict(memberships)  # later pairs win: each learner's first team by name


def orm_rows(manager, filters):
    rows = list(
        dashboards.dashboard_rows(manager, filters).values(
            "learner_id", "track_id", "lessons_done", "quiz_average", "pending_reviews",
            "due_date", "last_activity_at", "status", "learner__display_name",
            "learner__email", "track__title",
        )
    )  # fmt: skip
    totals = orm_lesson_counts()
    teams = orm_team_names(manager, filters, {row["learner_id"] for row in rows})
    for row in rows:
        row["lessons_total"] = totals.get(row["track_id"], 0)
        row["team_name"] = teams.get(row["learner_id"], "")
    return rows


def sql_query(manager, filters):
    return dashboard_sql.DashboardQuery(
        manager=manager,
        teams=dashboard_sql.manager_teams(manager),
        filters=filters,
        curriculum=dashboards.curriculum_facts(),
        today=timezone.localdate(),
    )


def combinations(world):
    track_ids = [None, *Enrolment.objects.values_list("track_id", flat=True).distinct()]
    team_ids = [None, *(team.pk for team in world["teams"])]
    for manager in (world["manager"], world["staff"]):
        for status, sort in itertools.product(STATUSES, dashboards.SORTS):
            yield manager, dashboards.Filters(status=status, sort=sort)
        for team_id, track_id, status in itertools.product(team_ids, track_ids, STATUSES):
            yield manager, dashboards.Filters(team_id=team_id, track_id=track_id, status=status)


def test_rows_and_counts_match_the_orm_for_every_filter_and_sort(world):
    compared = 0
    for manager, filters in combinations(world):
        query = sql_query(manager, filters)
        expected = orm_rows(manager, filters)
        assert query.rows(offset=0, limit=1_000) == expected, filters
        counts = query.summary()
        assert counts == dashboards.summary(dashboards.assigned_rows(manager, filters)), filters
        assert counts.get(filters.status, counts["assignments"]) == len(expected)
        compared += len(expected)
    assert compared > 1_000  # the combinations were not all empty


def orm_export(manager, filters):
    """The CSV's rows as the ORM states them (what _csv_lines wrote before the SQL)."""
    rows = dashboards.dashboard_rows(manager, filters).values_list(
        "learner__display_name", "learner__email", "learner_id", "track__title", "track_id",
        "lessons_done", "status", "due_date", "last_activity_at", "quiz_average",
        "pending_reviews", "assigned_by_name",
    )  # fmt: skip
    totals = orm_lesson_counts()
    teams = orm_team_names(manager, filters)
    return [
        (name or email.split("@", 1)[0], email, teams.get(learner_id, ""), title, done,
         totals.get(track_id, 0), status, due, active, quiz, waiting, assigned_by or "")
        for name, email, learner_id, title, track_id, done, status, due, active, quiz, waiting,
        assigned_by in rows
    ]  # fmt: skip


def test_export_rows_match_the_orm_for_every_filter_and_sort(world):
    exported, assigners = 0, set()
    for manager, filters in combinations(world):
        rows = list(sql_query(manager, filters).export_rows())
        assert rows == orm_export(manager, filters), filters
        exported += len(rows)
        assigners |= {row[-1] for row in rows}
    assert exported > 1_000
    assert len(assigners) > 1  # "assigned by" is filled in


def test_a_page_is_the_same_slice_as_the_orm_s(world):
    filters = dashboards.Filters(sort="-active")
    expected = orm_rows(world["manager"], filters)
    assert len(expected) > 30
    assert sql_query(world["manager"], filters).rows(offset=12, limit=10) == expected[12:22]


def test_a_team_the_manager_does_not_manage_shows_nothing(world):
    elsewhere = world["teams"][3]
    query = sql_query(world["manager"], dashboards.Filters(team_id=elsewhere.pk))
    assert query.rows(offset=0, limit=100) == []
    assert query.summary()["assignments"] == 0
    # Staff manage every team.
    assert sql_query(world["staff"], dashboards.Filters(team_id=elsewhere.pk)).summary()[
        "assignments"
    ]


def test_manager_teams_lists_only_their_teams_by_organisation_then_name(world):
    teams = dashboard_sql.manager_teams(world["manager"])
    assert [t.label for t in teams] == ["Team 1 (Acme)", "Team 2 (Acme)", "Alpha team (Beta)"]
    assert [t.label for t in dashboard_sql.manager_teams(world["staff"])] == [
        str(team) for team in Team.objects.all()
    ]
    assert dashboard_sql.manager_teams(factories.UserFactory()) == []


@pytest.mark.parametrize("few_people", [selectors.FEW_PEOPLE, -1], ids=["sorted", "walked"])
def test_the_first_page_is_the_orm_s_first_rows_however_it_is_read(
    world, few_people, monkeypatch, django_assert_num_queries
):
    """The first page sorted by name is read from the first people by name (falling back to
    every row when they have too few): the same rows as the ORM's for every filter, sort and
    page size, including sizes where the first people have too few rows; whether a scope's
    people are sorted (a few of them) or found through the users' name index (many)."""
    monkeypatch.setattr(selectors, "FEW_PEOPLE", few_people)
    pages = 0
    for manager, filters in combinations(world):
        expected = orm_rows(manager, filters)
        query = sql_query(manager, filters)
        for limit in (1, 2, 5, 9, 50):
            assert query.rows(offset=0, limit=limit, total=len(expected)) == expected[:limit], (
                filters,
                limit,
            )
            pages += 1
    assert pages > 500
    query = sql_query(world["manager"], dashboards.Filters(sort="-name"))
    with django_assert_num_queries(2) as queries:
        query.rows(offset=0, limit=4, total=100)
    people = queries.captured_queries[0]["sql"]
    sorted_in_full = "(u2.display_name || '') DESC" in people
    assert sorted_in_full == (few_people > 0)
    if not sorted_in_full and connection.vendor == "sqlite":
        # Many people: SQLite too walks the name index, rather than sorting the whole scope.
        assert "user_name_order_idx" in sqlite_plan(people)


def test_the_first_page_by_name_reads_only_the_first_people_s_rows(
    world, django_assert_num_queries
):
    """When the first people by name have enough rows, the page is one read of their rows (and
    one of their teams), not a sort of every row; when they have too few, one read more."""
    manager = world["manager"]
    for sort in ("name", "-name"):
        filters = dashboards.Filters(sort=sort)
        expected = orm_rows(manager, filters)
        query = sql_query(manager, filters)
        with django_assert_num_queries(2) as queries:
            assert query.rows(offset=0, limit=4, total=len(expected)) == expected[:4]
        assert "LIMIT" in queries.captured_queries[0]["sql"].split("ORDER BY")[1]  # people
    # Every one of the first people by name has fewer than two rows in this track: read twice.
    track_id = (
        Enrolment.objects.filter(assignment__isnull=False, track__archived_at__isnull=True)
        .values_list("track_id", flat=True)
        .first()
    )
    filters = dashboards.Filters(track_id=track_id)
    expected = orm_rows(manager, filters)
    query = sql_query(manager, filters)
    per_person = len(expected) // len({row["learner_id"] for row in expected})
    assert per_person == 1
    with django_assert_num_queries(3):
        assert query.rows(offset=0, limit=len(expected), total=len(expected)) == expected
