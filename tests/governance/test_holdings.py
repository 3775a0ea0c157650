"""The stored clearance holdings follow people's records through the services that write them,
so the counts read from them match `Rules.evaluate`."""

from datetime import timedelta

import pytest

from governance import clearance
from governance.models import LevelHolding
from progress import services
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db


def world(*, required_assignment: bool = False):
    org = gov.organisation()
    learner = factories.UserFactory(display_name="Sean")
    manager = factories.UserFactory(display_name="Morgan")
    gov.team(org, "Marketing", manager=manager, learners=[learner])
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=2)
    assignment = None
    if required_assignment:
        assignment = factories.add_rubric(factories.add_assignment(track.lessons.last()))
    with gov.at(gov.JAN_1):
        version = gov.publish(org)
    level = gov.level(org, tracks=[track], assignment=assignment)
    return org, learner, manager, track, version, level


def complete(learner, track) -> None:
    for lesson in track.lessons.all():
        services.record_lesson_completion(learner=learner, lesson=lesson)


def status(org, learner) -> str:
    rules = clearance.Rules(org)
    [counted] = clearance.summary(rules, type(learner).objects.filter(pk=learner.pk))
    [evaluated] = rules.evaluate([learner.pk])[learner.pk]
    found = [name for name in ("cleared", "lost", "not_cleared") if getattr(counted, name)]
    assert found == [evaluated.status], (found, evaluated.status)
    return evaluated.status


def test_completing_the_track_and_acknowledging_store_a_holding():
    org, learner, _, track, version, level = world()
    complete(learner, track)  # the certificate is issued; the policy isn't acknowledged yet
    assert learner.certificates.count() == 1
    assert not LevelHolding.objects.exists()
    assert status(org, learner) == "not_cleared"
    gov.acknowledge(learner, version)
    holding = LevelHolding.objects.get()
    assert (holding.user, holding.level, holding.acknowledged_number) == (learner, level, 1)
    assert holding.valid_until == learner.certificates.get().expires_at
    assert status(org, learner) == "cleared"


def test_an_approval_completes_the_holding():
    org, learner, manager, track, version, level = world(required_assignment=True)
    gov.acknowledge(learner, version)
    gov.certify(learner, track)
    assert status(org, learner) == "not_cleared"
    submission = services.submit_assignment(
        learner=learner, assignment=level.assignment, text="My plan."
    )
    criteria = {c.pk: c.points for c in level.assignment.rubric.all()}
    services.review_submission(
        submission=submission, reviewer=manager, outcome="approved", feedback="Good.",
        points=criteria,
    )  # fmt: skip
    assert LevelHolding.objects.filter(user=learner, level=level).exists()
    assert status(org, learner) == "cleared"


def test_time_changes_the_status_without_rewriting_the_holding():
    org, learner, _, track, version, _ = world()  # version 1 published on 1 January

    def on(days: int):
        return gov.at(gov.JAN_1 + timedelta(days=days))

    with on(1):
        gov.acknowledge(learner, version)
        gov.certify(learner, track, months=12)
    with on(30):
        assert status(org, learner) == "cleared"
    with on(400):  # the certificate expired
        assert status(org, learner) == "lost"
    with on(40):  # version 2 is in effect from day 40
        gov.publish(org, "## Policy\n\nBe kinder.", summary="Kinder.")
    with on(50):
        assert status(org, learner) == "lost"
        gov.acknowledge(learner, type(version).objects.get(number=2))
        assert status(org, learner) == "cleared"


def test_editing_a_level_in_the_admin_rewrites_who_holds_it(client):
    org, learner, _, track, version, level = world()
    gov.acknowledge(learner, version)
    gov.certify(learner, track)
    assert status(org, learner) == "cleared"
    other = factories.make_track(slug="strategy-lead", modules=1, lessons_per_module=1)
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/governance/clearancelevel/{level.pk}/change/",
        {
            "organisation": org.pk,
            "name": level.name,
            "description": "",
            "position": 0,
            "tracks": [track.pk, other.pk],
            "assignment": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not LevelHolding.objects.exists()
    assert status(org, learner) == "not_cleared"


def test_a_certificate_issued_after_the_acknowledgement_stores_the_holding():
    org, learner, _, track, version, _ = world()
    gov.acknowledge(learner, version)
    assert status(org, learner) == "not_cleared"
    complete(learner, track)
    assert LevelHolding.objects.filter(user=learner).exists()
    assert status(org, learner) == "cleared"
