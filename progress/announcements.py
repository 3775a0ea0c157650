"""Telling people about practice work and certificates (issue 22, items 3 and 6).

Each event is recorded in the transaction of the change it reports: an in-app notice for
each person it concerns (ledger.notices) and, where an email goes too, the rendered email as a
ledger row (ledger.messaging.queue_message) that the worker sends once the change commits. So
a request never waits for the mail server, nothing is told of a change that was rolled back,
an email the broker never took is found by the hourly retries, and a key is told once.
"""

from learners.selectors import review_route
from ledger import messaging, notices

from .models import Certificate, Review, Submission

REVIEW_WAITING = "review_waiting"
REVIEWED = "reviewed"
CERTIFICATE_ISSUED = "certificate_issued"


def review_waiting(submission: Submission) -> None:
    """The submission's reviewers: a notice and an email each."""
    learner, assignment = submission.learner, submission.assignment
    reviewers = list(review_route(learner).reviewers)
    path = submission.get_absolute_url()
    notices.record(
        [
            notices.Event(
                recipient_id=reviewer.pk,
                key=f"{REVIEW_WAITING}:{submission.pk}:{reviewer.pk}",
                kind=REVIEW_WAITING,
                title=f"{learner.name}'s “{assignment.title}” is waiting for your review",
                url=path,
            )
            for reviewer in reviewers
        ]
    )
    for reviewer in reviewers:
        messaging.queue_message(
            key=f"{REVIEW_WAITING}:{submission.pk}:{reviewer.pk}",
            kind=REVIEW_WAITING,
            to_email=reviewer.email,
            recipient=reviewer,
            context={
                "reviewer": reviewer,
                "learner": learner,
                "submission": submission,
                "assignment": assignment,
                "track": assignment.lesson.track,
                "url": messaging.absolute(path),
            },
        )


def reviewed(review: Review) -> None:
    """The learner's notice (their email is the "review" nudge, which follows their
    preference: notifications.reviews)."""
    submission = review.submission
    verdict = "was approved" if review.outcome == Submission.Status.APPROVED else "needs revision"
    notices.record(
        [
            notices.Event(
                recipient_id=submission.learner_id,
                key=f"{REVIEWED}:{review.pk}",
                kind=REVIEWED,
                title=f"Your “{submission.assignment.title}” {verdict}",
                url=submission.get_absolute_url(),
            )
        ]
    )


def certificate_issued(certificate: Certificate) -> None:
    """The new holder: a notice and an email with the certificate's public link."""
    learner = certificate.learner
    path = certificate.get_absolute_url()
    notices.record(
        [
            notices.Event(
                recipient_id=learner.pk,
                key=f"{CERTIFICATE_ISSUED}:{certificate.pk}",
                kind=CERTIFICATE_ISSUED,
                title=f"You earned the certificate for “{certificate.track_title}”",
                url=path,
            )
        ]
    )
    messaging.queue_message(
        key=f"{CERTIFICATE_ISSUED}:{certificate.pk}",
        kind=CERTIFICATE_ISSUED,
        to_email=learner.email,
        recipient=learner,
        context={"learner": learner, "certificate": certificate, "url": messaging.absolute(path)},
    )
