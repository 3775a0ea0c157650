"""Celery tasks for governance: announcing a published policy version in batches.

Tasks take ids, never model instances; the sending is idempotent (the ledger's unique keys).
They keep the names they had in `progress.tasks`, so messages already queued still find them.
"""

import logging

from celery import shared_task

from core.tasks import SENDING

from . import clearance_tally, services

logger = logging.getLogger(__name__)


@shared_task(name="progress.tasks.announce_policy_version", **SENDING)
def announce_policy_version(*, version_id: int) -> int:
    """A policy version was published: queue its "please acknowledge" messages in batches."""
    return services.announce_policy_version(version_id=version_id)


@shared_task(name="progress.tasks.send_policy_updates", **SENDING)
def send_policy_updates(*, version_id: int, user_ids: list[int]) -> int:
    return services.send_policy_updates(version_id=version_id, user_ids=user_ids)


@shared_task(name="governance.tasks.recount_clearance_tallies")
def recount_clearance_tallies() -> int:
    """Nightly: recount the team dashboards' clearance tallies, and say when that corrected any
    (the triggers keep them exact but for rare concurrent writes; see clearance_tally)."""
    corrected = clearance_tally.rebuild()
    if corrected:
        logger.warning("Clearance tallies recounted: %d teams' figures corrected.", corrected)
    return corrected
