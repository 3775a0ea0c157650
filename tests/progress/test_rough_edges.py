"""Rough edges a new user hit (issue 22, item 7), each checked where the person sees it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from progress import selectors, services
from progress.models import Enrolment, Submission
from tests import factories

pytestmark = pytest.mark.django_db


def test_continue_prefers_the_track_in_progress_over_one_only_assigned(learner):
    started = factories.make_track(slug="started", modules=1, lessons_per_module=3)
    services.record_lesson_completion(learner=learner, lesson=started.lessons.first())
    Enrolment.objects.filter(track=started).update(
        last_activity_at=timezone.now() - timedelta(days=3)
    )
    assigned = factories.make_track(slug="assigned", modules=1, lessons_per_module=3)
    services.enrol(learner=learner, track=assigned)  # enrolled now, never opened
    assert selectors.dashboard(learner).resume.track == started


def test_a_revision_starts_from_the_version_sent_back(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    submission = services.submit_assignment(
        learner=learner, assignment=assignment, text="My first *plan*."
    )
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.NEEDS_REVISION)
    client.force_login(learner)
    body = client.get(reverse("progress:assignment", args=[track.slug, lesson.slug])).content
    assert "My first *plan*.</textarea>" in body.decode()


def test_a_certificate_claims_only_what_its_track_asked_for(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=1)  # no quiz, no assignment
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    body = client.get(learner.certificates.get().get_absolute_url()).content.decode()
    assert "every lesson completed." in body
    assert "quiz" not in body.split("every lesson completed")[1].split("</p>")[0]
    assert "practice assignment" not in body


def test_a_manager_reviewing_is_led_back_to_the_team(client, learner):
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=1)
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.get()))
    submission = services.submit_assignment(learner=learner, assignment=assignment, text="Plan.")
    client.force_login(manager)
    trail = breadcrumbs(client.get(submission.get_absolute_url()))
    assert f'<a href="{reverse("teams:team_reviews")}">Reviews</a>' in trail
    assert "My learning" not in trail
    client.force_login(learner)
    assert ">My learning</a>" in breadcrumbs(client.get(submission.get_absolute_url()))


def breadcrumbs(response) -> str:
    return response.content.decode().split('class="breadcrumbs"')[1].split("</nav>")[0]


def test_the_dashboard_says_who_the_count_of_people_is(client):
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[factories.UserFactory() for _ in range(3)])
    client.force_login(manager)
    body = client.get(reverse("teams:team")).content.decode()
    assert "0</span> people with assigned tracks" in body
