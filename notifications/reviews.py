"""Telling a learner that their practice work was reviewed (issue 22, item 3).

The review goes back to the learner as the "review" nudge, at once rather than at the next
hourly run (which then finds its topic sent), by the worker after the review commits. Work
waiting for review is announced to its reviewers by progress.announcements.
"""

from ledger import messaging
from progress.models import Review

from . import nudges
from .digests import opted_out


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
