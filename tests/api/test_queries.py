"""Every list of the API costs the same queries for a page of 5 rows as for a page of 50."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import ClearanceLevel, Policy, PolicyVersion
from learners.models import Membership, Team, TrackAssignment
from tests.api import world as worlds

pytestmark = pytest.mark.django_db

# Every request: the token with its organisation (1). Then, per list:
BUDGETS = {
    "person": 1 + 2,  # the page + their memberships in the organisation (one prefetch)
    "team": 1 + 1,  # the page, counts of learners and managers joined in
    "assignment": 1 + 1,  # the page, track and assigner joined in
    "enrolment": 1 + 1,  # the page, track joined in (lesson counts: the curriculum cache)
    "quiz-result": 1 + 1,  # the page, quiz, lesson and track joined in (answers never read)
    "certificate": 1 + 1,  # the page, track joined in
    # the page + the page's acknowledgements, certificates and approvals, read together
    # (Rules.evaluate); the levels and the policy's versions are kept by the worker from the
    # warming request (governance.clearance.kept_rules_of)
    "clearance": 1 + 1 + 1,
}


@pytest.fixture
def big_world():
    world = worlds.build(people=55)
    for n, person in enumerate(world.people):
        team = Team.objects.create(organisation=world.acme, name=f"Team {n}")
        Membership.objects.create(user=person, team=team)
        TrackAssignment.objects.create(track=world.track, learner=person)
    level = ClearanceLevel.objects.create(organisation=world.acme, name="Can post")
    level.tracks.add(world.track)
    policy = Policy.objects.create(organisation=world.acme)
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        body_markdown="Be kind.",
        published_at=timezone.now(),
        effective_date=timezone.localdate(),
    )
    return world


def queries_for(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize("name", list(BUDGETS))
def test_a_page_of_5_and_a_page_of_50_cost_the_same_queries(big_world, name):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {big_world.acme_token}")
    url = reverse(f"api:{name}-list")
    client.get(url)  # warm: the token's last use, the curriculum's cache
    small, small_rows = queries_for(client, url + "?page_size=5")
    large, large_rows = queries_for(client, url + "?page_size=50")
    assert (small_rows, large_rows) == (5, 50)
    assert small == large == BUDGETS[name]
