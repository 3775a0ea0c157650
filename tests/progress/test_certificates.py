"""Completing a track issues one certificate with a public verification page."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from progress import services
from progress.models import Certificate, Enrolment, Submission
from tests import factories
from tests.concurrency import at_once
from tests.progress.helpers import take_quiz

pytestmark = pytest.mark.django_db


def complete(client, lesson):
    return client.post(reverse("progress:complete_lesson", args=[lesson.track.slug, lesson.slug]))


@pytest.fixture
def full_track():
    """Three lessons: plain, with a quiz, with a required assignment."""
    track = factories.make_track(modules=1, lessons_per_module=3)
    plain, quizzed, practical = track.lessons.order_by("position")
    factories.add_quiz(quizzed)
    factories.add_rubric(factories.add_assignment(practical))
    return track, plain, quizzed, practical


def test_certificate_needs_lessons_quizzes_and_approved_work(
    client, learner, full_track, staff_user
):
    track, plain, quizzed, practical = full_track
    client.force_login(learner)
    complete(client, plain)
    take_quiz(client, quizzed, correct=False)
    complete(client, practical)
    assert not Certificate.objects.exists()  # quiz not passed
    take_quiz(client, quizzed, correct=True)
    assert not Certificate.objects.exists()  # assignment not approved
    services.submit_assignment(learner=learner, assignment=practical.assignment, text="Work")
    submission = Submission.objects.get()
    services.review_submission(
        reviewer=staff_user,
        submission=submission,
        outcome="needs_revision",
        feedback="More.",
        points={c.pk: 1 for c in practical.assignment.rubric.all()},
    )
    assert not Certificate.objects.exists()
    again = services.submit_assignment(
        learner=learner, assignment=practical.assignment, text="Better"
    )
    services.review_submission(
        reviewer=staff_user,
        submission=again,
        outcome="approved",
        feedback="Yes.",
        points={c.pk: c.points for c in practical.assignment.rubric.all()},
    )
    certificate = Certificate.objects.get()
    assert (certificate.learner, certificate.track) == (learner, track)
    assert certificate.learner_name == "Lena Learner"
    assert Enrolment.objects.get(learner=learner, track=track).completed_at is not None

    # The public page says what was assessed: the quiz passed with its score, the work
    # approved with its rubric points.
    client.logout()
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "What was assessed" in page
    assert f"{quizzed.title}: 100%, passed" in page
    assert "Practice: 7 of 7 rubric points, approved" in page


def test_optional_assignments_are_not_required(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    factories.add_assignment(lesson, required=False)
    client.force_login(learner)
    complete(client, lesson)
    assert Certificate.objects.filter(learner=learner, track=track).exists()


def test_certificate_is_issued_once(learner):
    track = factories.make_track(modules=1, lessons_per_module=1)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    first = services.issue_certificate_if_complete(learner=learner, track=track)
    second = services.issue_certificate_if_complete(learner=learner, track=track)
    assert first == second
    assert Certificate.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_certificate_is_issued_once_under_concurrency():
    track = factories.make_track(modules=1, lessons_per_module=1)
    learner = factories.UserFactory()
    factories.make_track  # noqa: B018
    from progress.models import LessonCompletion

    LessonCompletion.objects.create(learner=learner, lesson=track.lessons.get())
    at_once(
        lambda _: services.issue_certificate_if_complete(learner=learner, track=track), range(6)
    )
    assert Certificate.objects.count() == 1


def test_public_verification_page_and_linkedin_link(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=1)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    certificate = Certificate.objects.get()
    client.logout()

    response = client.get(f"/certificates/{certificate.code}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Lena Learner" in body
    assert track.title in body
    assert "Valid" in body
    assert "linkedin.com" not in body  # a verifier isn't offered to add it to their profile
    client.force_login(learner)
    body = client.get(f"/certificates/{certificate.code}/").content.decode()
    link = next(
        part.split('"')[0]
        for part in body.split('href="')
        if part.startswith("https://www.linkedin.com")
    )
    url = urlparse(link.replace("&amp;", "&"))
    params = parse_qs(url.query)
    assert (url.netloc, url.path) == ("www.linkedin.com", "/profile/add")
    assert params["startTask"] == ["CERTIFICATION_NAME"]
    assert params["name"] == [track.title]
    assert params["organizationName"] == ["Socialcraft"]
    assert params["issueYear"] == [str(certificate.issued_at.year)]
    assert params["issueMonth"] == [str(certificate.issued_at.month)]
    assert params["certId"] == [certificate.code]
    assert params["certUrl"] == [f"http://testserver/certificates/{certificate.code}/"]


def test_unknown_certificate_is_404(client):
    assert client.get("/certificates/not-a-real-code/").status_code == 404


def test_certificate_codes_are_unguessable():
    codes = {Certificate._meta.get_field("code").default() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) >= 16 for code in codes)
