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

# Sent by `progress.services` inside the transaction that recorded them, for the apps that
# report learning activity (integrations: xAPI statements): `completion` (a LessonCompletion)
# just made, `attempt` (a QuizAttempt) just scored and stored, `submission` (a version of
# practice work) just submitted.
lesson_completed = Signal()
quiz_attempted = Signal()
assignment_submitted = Signal()
