"""Practice assignments: submit, preview, review against the rubric, revise, history."""

import pytest
from django.urls import reverse

from progress.models import Review, Submission
from tests import factories
from tests.html_checks import dangerous_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    learner = factories.UserFactory(display_name="Lena Learner")
    manager = factories.UserFactory(display_name="Max Manager")
    factories.team_with(manager=manager, learners=[learner])
    return lesson, assignment, learner, manager


def assignment_url(lesson) -> str:
    return reverse("progress:assignment", args=[lesson.track.slug, lesson.slug])


def review(client, submission, outcome: str, feedback: str = "Good start.", points=(3, 2)):
    criteria = list(submission.assignment.rubric.all())
    data = {"outcome": outcome, "feedback": feedback}
    data.update({f"criterion_{c.pk}": p for c, p in zip(criteria, points, strict=True)})
    return client.post(submission.get_absolute_url(), data)


def test_preview_renders_without_saving(client, setup):
    lesson, _, learner, _ = setup
    client.force_login(learner)
    response = client.post(assignment_url(lesson), {"text": "**Draft** post", "preview": "1"})
    assert "<strong>Draft</strong>" in response.content.decode()
    assert not Submission.objects.exists()


def test_validation_error_keeps_what_was_typed(client, setup):
    lesson, _, learner, _ = setup
    client.force_login(learner)
    response = client.post(
        assignment_url(lesson),
        {"text": "My three posts", "link": "javascript:alert(1)", "submit": "1"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "My three posts" in body
    assert "Enter a valid URL" in body
    assert not Submission.objects.exists()


def test_full_review_cycle_keeps_every_version(client, setup):
    lesson, _, learner, manager = setup
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Version one", "submit": "1"})
    first = Submission.objects.get()
    assert first.status == "awaiting_review"
    # A second submission while the first awaits review is refused.
    client.post(assignment_url(lesson), {"text": "Too soon", "submit": "1"})
    assert Submission.objects.count() == 1

    client.force_login(manager)
    assert "Review version 1" in client.get(first.get_absolute_url()).content.decode()
    review(client, first, "needs_revision", "Make the voice *warmer*.", points=(2, 1))
    first.refresh_from_db()
    assert first.status == "needs_revision"
    assert Review.objects.get().total == 3

    client.force_login(learner)
    body = client.get(assignment_url(lesson)).content.decode()
    assert "Make the voice <em>warmer</em>." in body
    assert "Submit revision" in body
    client.post(
        assignment_url(lesson),
        {"text": "Version two", "link": "https://example.com/draft", "submit": "1"},
    )
    second = Submission.objects.get(version=2)

    client.force_login(manager)
    review(client, second, "approved", points=(4, 3))
    body = client.get(second.get_absolute_url()).content.decode()
    assert "Version one" in body
    assert "Version two" in body
    assert Submission.objects.filter(status="approved").count() == 1
    client.force_login(learner)
    assert (
        "This assignment is already approved"
        not in client.get(assignment_url(lesson)).content.decode()
    )


def test_review_points_outside_the_rubric_are_refused(client, setup):
    lesson, _, learner, manager = setup
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Work", "submit": "1"})
    submission = Submission.objects.get()
    client.force_login(manager)
    response = review(client, submission, "approved", points=(9, 1))
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_only_the_learner_and_their_reviewers_see_a_submission(client, setup):
    lesson, _, learner, _ = setup
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Private work", "submit": "1"})
    submission = Submission.objects.get()
    outsider_manager = factories.UserFactory()
    factories.team_with(manager=outsider_manager, learners=[factories.UserFactory()])
    teammate = factories.UserFactory()
    factories.team_with(learners=[teammate])
    for user in (outsider_manager, teammate):
        client.force_login(user)
        assert client.get(submission.get_absolute_url()).status_code == 404
        assert review(client, submission, "approved").status_code == 404
    assert not Review.objects.exists()
    client.force_login(learner)
    response = review(client, submission, "approved")  # learners can't review themselves
    assert response.status_code == 302
    assert not Review.objects.exists()


def test_staff_review_learners_without_a_manager(client, staff_user):
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    factories.add_rubric(factories.add_assignment(lesson))
    solo = factories.UserFactory()
    client.force_login(solo)
    body = client.get(assignment_url(lesson)).content.decode()
    assert "a Socialcraft administrator" in body
    client.post(assignment_url(lesson), {"text": "Solo work", "submit": "1"})
    client.force_login(staff_user)
    review(client, Submission.objects.get(), "approved", points=(4, 3))
    assert Submission.objects.get().status == "approved"


def test_learner_and_reviewer_markdown_is_sanitised(client, setup):
    lesson, _, learner, manager = setup
    client.force_login(learner)
    client.post(
        assignment_url(lesson),
        {"text": "<script>alert(1)</script>[x](javascript:alert(1))", "submit": "1"},
    )
    submission = Submission.objects.get()
    assert dangerous_parts(submission.text_html) == []
    client.force_login(manager)
    review(client, submission, "needs_revision", "<img src=x onerror=alert(1)>")
    assert dangerous_parts(Review.objects.get().feedback_html) == []
    body = client.get(submission.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "onerror" not in body


def gate_and_threshold(assignment):
    """Voice (0/2/4, described) and a confidentiality gate (0/2); approval needs 5 points."""
    voice, accuracy = assignment.rubric.all()
    voice.levels = [
        {"points": 0, "description": "No voice rule followed."},
        {"points": 2, "description": "Two of the three voice rules."},
        {"points": 4, "description": "All three voice rules."},
    ]
    voice.save()
    accuracy.points, accuracy.must_pass = 2, True
    accuracy.criterion = "Confidentiality"
    accuracy.save()
    assignment.pass_points = 5
    assignment.save()


def test_a_submission_below_a_safety_gate_cannot_be_approved_whatever_the_total(client, setup):
    lesson, assignment, learner, manager = setup
    gate_and_threshold(assignment)
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Leaks the launch date", "submit": "1"})
    submission = Submission.objects.get()
    client.force_login(manager)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "2: Two of the three voice rules." in page  # levels, described, to choose from
    assert "safety gate" in page
    response = review(client, submission, "approved", points=(4, 0))
    assert response.status_code == 400
    assert "below the safety gate on Confidentiality" in response.content.decode()
    assert not Review.objects.exists()
    response = review(client, submission, "needs_revision", points=(4, 0))
    assert response.status_code == 302
    assert Review.objects.get().outcome == "needs_revision"


def test_a_submission_below_the_pass_points_cannot_be_approved(client, setup):
    lesson, assignment, learner, manager = setup
    gate_and_threshold(assignment)
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Some work", "submit": "1"})
    submission = Submission.objects.get()
    client.force_login(manager)
    response = review(client, submission, "approved", points=(2, 2))
    assert response.status_code == 400
    assert "the pass mark is 5" in response.content.decode()
    assert review(client, submission, "approved", points=(4, 2)).status_code == 302
    assert Submission.objects.get().status == "approved"


def test_the_service_refuses_an_approval_the_rubric_does_not_allow(setup):
    from progress import services

    _, assignment, learner, manager = setup
    gate_and_threshold(assignment)
    submission = services.submit_assignment(learner=learner, assignment=assignment, text="Work")
    voice, gate = assignment.rubric.all()
    with pytest.raises(services.LearningError, match="safety gate"):
        services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome="approved",
            feedback="Fine",
            points={voice.pk: 4, gate.pk: 0},
        )
    assert not Review.objects.exists()


def test_reviewers_see_the_scored_samples_beside_the_rubric(client, setup):
    from courses.models import AssignmentSample

    lesson, assignment, learner, manager = setup
    AssignmentSample.objects.create(
        assignment=assignment,
        position=1,
        level="borderline",
        submission="A **borderline** answer.",
        scores={"Voice": 2, "Accuracy": 2},
        why="One rule missing.",
    )
    client.force_login(learner)
    client.post(assignment_url(lesson), {"text": "Work", "submit": "1"})
    client.force_login(manager)
    page = client.get(Submission.objects.get().get_absolute_url()).content.decode()
    assert "Borderline example" in page
    assert "<strong>borderline</strong>" in page
    assert "One rule missing." in page
    client.force_login(learner)  # the learner's own view has no samples
    assert (
        "Borderline example"
        not in client.get(Submission.objects.get().get_absolute_url()).content.decode()
    )
