"""The figures stored on each enrolment for the team pages stay equal to what the records say.

Every test ends with `assert_in_step()`: the stored values must equal a full recomputation, so a
write path that forgets to refresh them fails here rather than on a manager's dashboard.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from courses import services as course_services
from learners.models import Invitation, Membership
from progress import rollups, services
from progress.models import Enrolment, Submission
from teams import services as team
from tests import factories
from tests.progress.helpers import take_quiz

pytestmark = pytest.mark.django_db

FIELDS = ("lessons_done", "quiz_average", "pending_reviews", "assignment_id", "due_date")


def stored() -> dict:
    return {
        (row["learner_id"], row["track_id"]): tuple(row[f] for f in FIELDS)
        for row in Enrolment.objects.values("learner_id", "track_id", *FIELDS)
    }


def assert_in_step() -> dict:
    before = stored()
    rollups.refresh_all()
    assert stored() == before, "a write left the stored team figures out of step"
    return before


def row(learner, track) -> Enrolment:
    return Enrolment.objects.get(learner=learner, track=track)


def test_learning_updates_lessons_quiz_average_and_reviews(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=3)
    first, quizzed, practical = track.lessons.order_by("position")
    factories.add_quiz(quizzed)
    factories.add_rubric(factories.add_assignment(practical))
    client.force_login(learner)

    client.post(reverse("progress:complete_lesson", args=[track.slug, first.slug]))
    assert row(learner, track).lessons_done == 1

    take_quiz(client, quizzed, correct=False)
    assert row(learner, track).quiz_average == 0
    assert row(learner, track).lessons_done == 1
    take_quiz(client, quizzed, correct=True)
    assert row(learner, track).quiz_average == 50
    assert row(learner, track).lessons_done == 2

    submission = services.submit_assignment(
        learner=learner, assignment=practical.assignment, text="Draft"
    )
    assert row(learner, track).pending_reviews == 1
    reviewer = factories.UserFactory(is_staff=True)
    services.review_submission(
        reviewer=reviewer,
        submission=submission,
        outcome=Submission.Status.NEEDS_REVISION,
        feedback="Tighten it.",
        points={c.pk: 1 for c in practical.assignment.rubric.all()},
    )
    assert row(learner, track).pending_reviews == 0
    assert_in_step()


def test_archiving_and_restoring_a_lesson_recounts_lessons_done(learner):
    track = factories.make_track(modules=1, lessons_per_module=3)
    first, second, _ = track.lessons.order_by("position")
    services.record_lesson_completion(learner=learner, lesson=first)
    services.record_lesson_completion(learner=learner, lesson=second)
    assert row(learner, track).lessons_done == 2

    course_services.archive_content(item=second)
    assert row(learner, track).lessons_done == 1
    assert_in_step()
    course_services.restore_content(item=second)
    assert row(learner, track).lessons_done == 2
    course_services.archive_content(item=first.module)
    assert row(learner, track).lessons_done == 0
    assert_in_step()


def test_assignments_set_the_assignment_and_earliest_due_date():
    manager, someone, other = (factories.UserFactory() for _ in range(3))
    squad = factories.team_with(manager=manager, learners=[someone, other])
    track = factories.make_track(modules=1, lessons_per_module=2)
    soon, later = timezone.localdate() + timedelta(days=3), timezone.localdate() + timedelta(days=9)

    for_team = team.assign_track(manager=manager, track=track, team=squad, due_date=later)
    assert row(someone, track).assignment_id == for_team.pk
    assert row(other, track).due_date == later

    personal = team.assign_track(manager=manager, track=track, learner=someone, due_date=soon)
    assert row(someone, track).due_date == soon  # the earliest applies
    assert row(someone, track).assignment_id == for_team.pk  # the first made
    assert row(other, track).due_date == later

    team.change_due_date(assignment=personal, due_date=None)
    assert row(someone, track).due_date == later
    team.cancel_assignment(assignment=for_team)
    assert row(someone, track).assignment_id == personal.pk
    assert row(other, track).assignment_id is None
    assert row(other, track).due_date is None
    assert_in_step()


def test_joining_a_team_later_inherits_its_assignment():
    manager, newcomer = factories.UserFactory(), factories.UserFactory()
    squad = factories.team_with(manager=manager)
    track = factories.make_track(modules=1, lessons_per_module=2)
    assignment = team.assign_track(manager=manager, track=track, team=squad)
    invitation = Invitation.objects.create(team=squad, email=newcomer.email, invited_by=manager)

    team.accept_invitation(invitation=invitation, user=newcomer)

    assert row(newcomer, track).assignment_id == assignment.pk
    assert_in_step()


def test_membership_changes_in_the_admin_refresh_the_rows(client, staff_user):
    manager, learner = factories.UserFactory(), factories.UserFactory()
    squad = factories.team_with(manager=manager)
    track = factories.make_track(modules=1, lessons_per_module=2)
    assignment = team.assign_track(manager=manager, track=track, team=squad)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:learners_membership_add"),
        {"user": learner.pk, "team": squad.pk, "role": "learner"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert row(learner, track).assignment_id == assignment.pk  # enrolled and assigned

    membership = Membership.objects.get(user=learner, team=squad, role="learner")
    response = client.post(
        reverse("admin:learners_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert row(learner, track).assignment_id is None  # enrolled still, no longer assigned
    assert_in_step()


def test_cancelling_an_assignment_in_the_admin_refreshes_the_rows(client, staff_user):
    manager, learner = factories.UserFactory(), factories.UserFactory()
    squad = factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=2)
    assignment = team.assign_track(manager=manager, track=track, team=squad)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:learners_trackassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert row(learner, track).assignment_id is None
    assert_in_step()


def test_the_command_rebuilds_rows_written_in_bulk(learner):
    track = factories.make_track(modules=1, lessons_per_module=2)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.first())
    Enrolment.objects.update(lessons_done=0)  # as after a bulk load that skipped the services

    call_command("refresh_rollups", verbosity=0)

    assert row(learner, track).lessons_done == 1
