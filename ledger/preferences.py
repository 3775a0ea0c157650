"""Who may be sent what: one-click unsubscribes, by address and kind."""

from .models import EmailOptOut

ALL_KINDS = "all"

KIND_LABELS = {
    "invitation": "invitations to join a team",
    "nudge": "reminders about your tracks",
    "manager_nudge": "reminders sent by your manager",
    "review_received": "notices that your work was reviewed",
    "review_waiting": "notices that someone's work is waiting for your review",
    "track_assigned": "notices that a track was assigned to you",
    "certificate_issued": "notices that you earned a certificate",
    "learner_digest": "the weekly learning digest",
    "manager_digest": "the weekly team digest",
    "retrieval_practice": "practice questions from lessons you finished",
    "policy_update": "notices that your organisation's social media policy changed",
    ALL_KINDS: "every email from Socialcraft",
}


# Emails a person can't turn off, because they act on the account: a sign-up code, a password
# reset link. They carry no unsubscribe link or headers, and an opt-out doesn't stop them.
ACCOUNT = "account"


def is_suppressed(*, email: str, kind: str) -> bool:
    return EmailOptOut.objects.filter(email=email.lower(), kind__in=[kind, ALL_KINDS]).exists()


def unsubscribe(*, email: str, kind: str) -> EmailOptOut:
    """Record the opt-out (idempotent)."""
    opt_out, _ = EmailOptOut.objects.get_or_create(email=email.lower(), kind=kind)
    return opt_out
