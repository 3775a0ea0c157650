"""The team dashboard and its CSV cost the same queries for 50 people as for 1,000 × 5 tracks."""

import random

import pytest
from django.urls import reverse
from django.utils import timezone

from learners.models import Membership, TrackAssignment, User
from progress import rollups
from progress.models import Enrolment, LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db


def build_team(manager, *, people: int, tracks: int = 5, seed: int = 7) -> None:
    """`people` learners in one team with `tracks` team-assigned tracks, in bulk."""
    rng = random.Random(seed)
    prefix = f"p{people}"
    team = factories.team_with(manager=manager)
    users = User.objects.bulk_create(
        [User(email=f"{prefix}-{n}@example.com", display_name=f"Person {n}") for n in range(people)]
    )
    Membership.objects.bulk_create([Membership(user=u, team=team, role="learner") for u in users])
    track_objects = [
        factories.make_track(slug=f"{prefix}-t{n}", modules=1, lessons_per_module=5)
        for n in range(tracks)
    ]
    TrackAssignment.objects.bulk_create(
        [
            TrackAssignment(track=t, team=team, assigned_by=manager, due_date=timezone.localdate())
            for t in track_objects
        ]
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(learner=u, track=t, last_activity_at=timezone.now())
            for u in users
            for t in track_objects
        ]
    )
    lessons = {t.pk: list(t.lessons.values_list("pk", flat=True)) for t in track_objects}
    LessonCompletion.objects.bulk_create(
        [
            LessonCompletion(learner=u, lesson_id=lesson_id)
            for u in users
            for t in track_objects
            for lesson_id in lessons[t.pk][: rng.randint(0, 5)]
        ]
    )
    rollups.refresh_all()  # bulk rows skip the services, as after any bulk load
    refresh_planner_statistics()


def refresh_planner_statistics() -> None:
    """After a bulk load, let PostgreSQL see the new row counts, as autovacuum would in
    production: with statistics from when the tables were nearly empty, its planner picks
    sequential scans inside the per-row subqueries and a page takes minutes instead of ms."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def count(client, url, django_assert_max_num_queries, budget) -> int:
    warm_up = client.get(url)  # (the session, the curriculum page cache)
    if hasattr(warm_up, "streaming_content"):
        b"".join(warm_up.streaming_content)
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(url)
        body = (
            b"".join(response.streaming_content)
            if hasattr(response, "streaming_content")
            else response.content
        ).decode()
    assert response.status_code == 200
    # The pages show the rows they were built for (an empty page would cost the same for both).
    if url == reverse("teams:team"):
        assert body.count("<tr>") == 51, "header + a full page of 50 rows"
    elif url == reverse("teams:team_export"):
        assert body.count("\n") > 250, "header + a row per person and track"
    return len(captured)


# dashboard: user, their teams (which also tells that they manage one), the counts, the page's
# rows, the team of each person on the page = 5 (the session comes from the cache, the
# curriculum figures from the curriculum page cache and what waits for review, the menu's
# count, from the cache after the warm-up).
# CSV: user, their teams, every row, every person's team, and its audit entry (the teams'
# organisations, the insert) = 6.
BUDGETS = {"teams:team": 5, "teams:team_export": 6, "teams:team_reviews": 10}


@pytest.mark.parametrize("page", BUDGETS)
def test_team_pages_cost_the_same_for_50_and_1000_people(
    client, django_assert_max_num_queries, page
):
    counts = []
    for people in (50, 1000):
        manager = factories.UserFactory()
        build_team(manager, people=people)
        client.force_login(manager)
        counts.append(count(client, reverse(page), django_assert_max_num_queries, BUDGETS[page]))
    assert counts[0] == counts[1], counts


def test_dashboard_pages_through_1000_people_sorted_by_progress(client):
    manager = factories.UserFactory()
    build_team(manager, people=1000)
    client.force_login(manager)
    response = client.get(reverse("teams:team") + "?sort=-progress&page=3")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr>") == 51  # header + 50 rows
    assert "Page 3 of 100" in body
