"""Reviewers hear that practice work waits for them (issue 22, item 3): the learner's managers,
or staff for a learner without one, emailed by the worker after the submission is committed,
once per reviewer and submission."""

import pytest
from django.core import mail

from courses.models import Lesson
from ledger.models import Notice
from notifications import reviews
from progress import announcements, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(db):
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = Lesson.objects.get(track=track)
    return factories.add_rubric(factories.add_assignment(lesson))


def submit(learner, assignment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.submit_assignment(
            learner=learner, assignment=assignment, text="My client report."
        )


def test_the_learners_manager_is_emailed_after_the_submission_is_saved(
    assignment, django_capture_on_commit_callbacks
):
    manager = factories.UserFactory(email="max@example.com", display_name="Max")
    learner = factories.UserFactory(display_name="Lena Learner")
    factories.team_with(manager=manager, learners=[learner])
    factories.UserFactory(email="staff@example.com", is_staff=True)

    submission = submit(learner, assignment, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == ["max@example.com"]
    assert "Lena Learner" in email.subject and "waiting for your review" in email.subject
    assert submission.get_absolute_url() in email.body


def test_a_learner_without_a_manager_has_their_work_sent_to_staff(
    assignment, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="staff@example.com", is_staff=True)
    factories.UserFactory(email="gone@example.com", is_staff=True, is_active=False)
    learner = factories.UserFactory()  # signed up on their own: no team

    submit(learner, assignment, django_capture_on_commit_callbacks)

    assert [email.to for email in mail.outbox] == [["staff@example.com"]]


def test_each_reviewer_is_told_once_by_email_and_in_the_app(
    assignment, django_capture_on_commit_callbacks
):
    manager = factories.UserFactory()
    learner = factories.UserFactory(display_name="Lena Learner")
    factories.team_with(manager=manager, learners=[learner])
    submission = submit(learner, assignment, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        announcements.review_waiting(submission)  # told again, as a retried change would

    assert len(mail.outbox) == 1
    [notice] = Notice.objects.filter(recipient=manager)
    assert notice.title == f"Lena Learner's “{assignment.title}” is waiting for your review"
    assert notice.url == submission.get_absolute_url()
    assert not Notice.objects.filter(recipient=learner).exists()


def test_nothing_is_sent_when_the_submission_is_refused(
    assignment, django_capture_on_commit_callbacks
):
    learner = factories.UserFactory()
    factories.team_with(manager=factories.UserFactory(), learners=[learner])
    submit(learner, assignment, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with pytest.raises(services.LearningError):
        submit(learner, assignment, django_capture_on_commit_callbacks)

    assert mail.outbox == []


def review(manager, submission, assignment, django_capture_on_commit_callbacks, outcome):
    with django_capture_on_commit_callbacks(execute=True):
        return services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome=outcome,
            feedback="Say which client.",
            points={criterion.pk: 0 for criterion in assignment.rubric.all()},
        )


@pytest.fixture
def sent_in(assignment, django_capture_on_commit_callbacks):
    manager = factories.UserFactory(email="max@example.com")
    learner = factories.UserFactory(email="lena@example.com")
    factories.team_with(manager=manager, learners=[learner])
    submission = submit(learner, assignment, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    return manager, learner, submission


def test_the_learner_hears_at_once_that_their_work_was_reviewed(
    sent_in, assignment, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from notifications import nudges

    manager, learner, submission = sent_in

    done = review(
        manager, submission, assignment, django_capture_on_commit_callbacks, "needs_revision"
    )

    [email] = mail.outbox
    assert email.to == ["lena@example.com"]
    assert "needs a revision" in email.body and submission.get_absolute_url() in email.body
    assert reviews.send_review_result(review_id=done.pk) == 0  # a retried task
    # The hourly nudges find the topic sent: nothing about this review again.
    candidates = nudges.candidates_for(learner, now=timezone.now() + timedelta(hours=1))
    topics = {candidate.topic for candidate in candidates}
    assert nudges.already_sent_topics(list(topics)) >= {f"review:{done.pk}"}


def test_a_learner_who_turned_review_notes_off_gets_none(
    sent_in, assignment, django_capture_on_commit_callbacks
):
    from learners.models import Preferences

    manager, learner, submission = sent_in
    Preferences.objects.update_or_create(user=learner, defaults={"nudge_review": False})

    review(manager, submission, assignment, django_capture_on_commit_callbacks, "needs_revision")

    assert mail.outbox == []


def test_a_learner_without_a_manager_has_their_work_sent_to_their_organisations_reviewers(
    assignment, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="staff@example.com", is_staff=True)
    learner = factories.UserFactory()
    team = factories.team_with(learners=[learner])  # a team with no manager yet
    team.organisation.reviewers.add(factories.UserFactory(email="rita@example.com"))

    submit(learner, assignment, django_capture_on_commit_callbacks)

    assert [email.to for email in mail.outbox] == [["rita@example.com"]]
