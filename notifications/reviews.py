"""Telling reviewers that practice work waits for them, and learners that it was reviewed
(issue 22, item 3).

A submission goes to the learner's managers; a learner without one (someone who signed up on
their own, or a team with no manager yet) has their work reviewed by staff, who get the email
instead. The review goes back to the learner as the "review" nudge, at once rather than at the
next hourly run (which then finds its topic sent). Both are sent by the worker after the
database commits, once each (ledger keys), so a retried task sends nothing twice.
"""

from django.db.models import QuerySet

from learners.models import Membership, User
from ledger import messaging
from progress.models import Review, Submission

from . import nudges
from .digests import opted_out

REVIEW_WAITING = "review_waiting"


def reviewers_of(learner: User) -> QuerySet[User]:
    """Who reviews the learner's practice work: the managers of their teams, else staff."""
    teams = Membership.objects.filter(user=learner, role=Membership.Role.LEARNER).values("team_id")
    managers = User.objects.filter(
        is_active=True,
        memberships__role=Membership.Role.MANAGER,
        memberships__team_id__in=teams,
    ).exclude(pk=learner.pk)
    if managers.exists():
        return managers.distinct().order_by("pk")
    return User.objects.filter(is_active=True, is_staff=True).order_by("pk")


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
    for reviewer in reviewers_of(submission.learner):
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
