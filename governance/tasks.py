"""Celery tasks for learning records: announcing a published policy version in batches.

Tasks take ids, never model instances; the sending is idempotent (the ledger's unique keys).
The digest, nudge and dispatch tasks live in notifications.tasks (under their old names).
"""

from celery import shared_task

from core.tasks import SENDING

from . import governance


@shared_task(**SENDING)
def announce_policy_version(*, version_id: int) -> int:
    """A policy version was published: queue its "please acknowledge" messages in batches."""
    return governance.announce_policy_version(version_id=version_id)


@shared_task(**SENDING)
def send_policy_updates(*, version_id: int, user_ids: list[int]) -> int:
    return governance.send_policy_updates(version_id=version_id, user_ids=user_ids)
