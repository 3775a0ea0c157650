"""Signals the curriculum sends to the apps that keep data derived from it."""

from django.dispatch import Signal

# Sent by `courses.services.curriculum_changed` (the contract is in its docstring), with
# `sender=Track` and `track_ids`, a frozenset of the ids of every track whose content changed.
curriculum_changed = Signal()
