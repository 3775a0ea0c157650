"""Signals progress sends to the apps that keep data derived from learners' records."""

from django.dispatch import Signal

# Sent by `progress.services` and `progress.recertification` with `learner_ids`, a frozenset of
# the people whose certificates (issued, renewed) or approved submissions just changed, inside
# the transaction that changed them. Governance rewrites their stored clearance holdings.
records_changed = Signal()

# Sent by `progress.services` inside the transaction that made them, for the apps that tell
# other systems (integrations: webhooks): `certificate` just issued (its track completed), and
# `review` just recorded on a submission.
certificate_issued = Signal()
submission_reviewed = Signal()
