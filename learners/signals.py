"""Signals learners sends to the apps that keep data derived from teams and assignments."""

from django.dispatch import Signal

# Sent (by learners.services.teams_changed, from the admin and from learners' own services)
# with `learner_ids`, a frozenset of the people whose memberships or track assignments changed,
# and `joined`, the learner memberships just created. The progress app enrols those who joined in
# their team's assigned tracks and refreshes what its team pages store per enrolment.
teams_changed = Signal()

# Sent (by learners.services.review_rights_changed) with `user_ids`, a frozenset of the people
# whose right to review someone's work, or whose reviewers, may have changed: a membership made,
# changed or ended, an organisation's named reviewers or peer review, an account deactivated or
# no longer staff. The practice app stops making them the reviewer of drafts they may no longer
# review (practice.studio.release_lost_reviews).
review_rights_changed = Signal()
