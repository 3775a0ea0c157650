"""Telling reviewers that practice work waits for them, and learners that it was reviewed
(issue 22, item 3).

A submission goes to its reviewers (learners.selectors.review_route: the learner's managers,
else the reviewers their organisation named, else staff). The review goes back to the learner as the "review" nudge, at once rather than at the
next hourly run (which then finds its topic sent). Both are sent by the worker after the
database commits, once each (ledger keys), so a retried task sends nothing twice.
"""

from learners.selectors import review_route
from ledger import messaging
from progress.models import Review, Submission

from . import nudges
from .digests import opted_out

REVIEW_WAITING = "review_waiting"


def send_review_waiting(*, submission_id: int) -> int:
    """Email each reviewer that the submission waits for them; returns how many were sent now
    (none once it has been reviewed)."""
    submission = (
        Submission.objects.select_related("learner", "assignment__lesson__track")
        .filter(pk=submission_id, status=Submission.Status.AWAITING_REVIEW)
        .first()
    )
    if submission is None:
        return 0
    url = messaging.absolute(submission.get_absolute_url())
    sent = 0
    for reviewer in review_route(submission.learner).reviewers:
        message = messaging.send_message(
            key=f"{REVIEW_WAITING}:{submission.pk}:{reviewer.pk}",
            kind=REVIEW_WAITING,
            to_email=reviewer.email,
            recipient=reviewer,
            context={
                "reviewer": reviewer,
                "learner": submission.learner,
                "submission": submission,
                "assignment": submission.assignment,
                "track": submission.assignment.lesson.track,
                "url": url,
            },
        )
        sent += message is not None
    return sent


def send_review_result(*, review_id: int) -> int:
    """Tell the learner their work was reviewed, unless they turned that off; returns 1 if an
    email went now."""
    review = (
        Review.objects.select_related("submission__learner", "submission__assignment")
        .filter(pk=review_id)
        .first()
    )
    if review is None or not review.submission.learner.is_active:
        return 0
    learner = review.submission.learner
    candidate = nudges.review_candidate(review)
    if (
        not nudges._prefs(learner).nudge_review
        or opted_out([learner.email], nudges.NUDGE)
        or nudges.already_sent_topics([candidate.topic])
    ):
        return 0
    outgoing = nudges.nudge_email(learner, candidate, key=f"reviewed:{review.pk}")
    sent, _ = messaging.deliver_all(messaging.claim_many([outgoing]))
    return sent
