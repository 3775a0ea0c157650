"""The team tallies stay exact when many people of one team progress at the same moment, and
when one person's enrolment is written by two requests at once (the same tally row, the same
enrolment row): each writer's trigger subtracts the row as it was when it got the row's lock."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from learners.models import TrackAssignment
from progress import rollups, services, tallies
from progress.models import Enrolment, TeamTally
from tests import factories
from tests.concurrency import at_once

from .test_tallies import assert_in_step


@pytest.mark.django_db(transaction=True)
def test_a_team_completing_lessons_at_once_keeps_its_tally_exact():
    manager = factories.UserFactory()
    people = [factories.UserFactory() for _ in range(8)]
    team = factories.team_with(manager=manager, learners=people)
    track = factories.make_track(slug="busy", modules=1, lessons_per_module=3)
    TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    Enrolment.objects.bulk_create([Enrolment(learner=person, track=track) for person in people])
    rollups.refresh_all()
    lessons = list(track.lessons.order_by("position"))

    # Everyone starts at once (the tally row moves from not started to started), then each
    # person finishes the track with two requests at once (their enrolment, written twice).
    at_once(
        lambda person: services.record_lesson_completion(learner=person, lesson=lessons[0]), people
    )
    assert_in_step()
    assert TeamTally.objects.get(team=team).started == 8
    pairs = [(person, lesson) for person in people[:4] for lesson in lessons[1:]]
    at_once(lambda pair: services.record_lesson_completion(learner=pair[0], lesson=pair[1]), pairs)
    assert_in_step()
    tally = TeamTally.objects.get(team=team)
    assert (tally.assigned, tally.completed, tally.started) == (8, 4, 4)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's writers take turns")
def test_a_hold_is_its_own_transactions_and_other_writers_are_still_counted():
    """While one transaction holds the triggers for its bulk write, another's writes are counted
    by its triggers as usual, and the recount after the hold leaves both exact."""
    manager = factories.UserFactory()
    bulk_people = [factories.UserFactory() for _ in range(3)]
    other_person = factories.UserFactory()
    bulk_team = factories.team_with(manager=manager, learners=bulk_people)
    other_team = factories.team_with(manager=manager, learners=[other_person])
    track = factories.make_track(slug="own", modules=1, lessons_per_module=2)
    for team in (bulk_team, other_team):
        TrackAssignment.objects.create(track=track, team=team, assigned_by=manager)
    people = [*bulk_people, other_person]
    Enrolment.objects.bulk_create([Enrolment(learner=person, track=track) for person in people])
    rollups.refresh_all()
    held, written = threading.Event(), threading.Event()

    def bulk_write():
        with tallies.held(team_ids=[bulk_team.pk]):
            Enrolment.objects.filter(learner__in=bulk_people).update(completed_at=timezone.now())
            held.set()
            assert written.wait(timeout=30)
        connection.close()

    def other_write():
        assert held.wait(timeout=30)
        Enrolment.objects.filter(learner=other_person).update(completed_at=timezone.now())
        written.set()
        connection.close()

    at_once(lambda work: work(), [bulk_write, other_write])
    assert TeamTally.objects.get(team=other_team).completed == 1
    assert TeamTally.objects.get(team=bulk_team).completed == 3
    assert_in_step()
