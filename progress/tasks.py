"""Celery tasks of the learning records."""

import logging

from celery import shared_task

from . import tallies

logger = logging.getLogger(__name__)


@shared_task(name="progress.tasks.recount_team_tallies")
def recount_team_tallies() -> int:
    """Nightly: recount the team dashboards' tallies, and say when that corrected any (the
    triggers keep them exact but for rare concurrent writes; see progress.tallies)."""
    corrected = tallies.rebuild()
    if corrected:
        logger.warning("Team tallies recounted: %d teams' figures corrected.", corrected)
    return corrected
