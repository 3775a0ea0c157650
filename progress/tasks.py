"""Celery tasks of the learning records."""

import logging

from celery import shared_task

from . import item_analysis, tallies

logger = logging.getLogger(__name__)


@shared_task(name="progress.tasks.recount_team_tallies")
def recount_team_tallies() -> int:
    """Nightly: recount the team dashboards' tallies, and say when that corrected any (the
    triggers keep them exact but for rare concurrent writes; see progress.tallies)."""
    corrected = tallies.rebuild()
    if corrected:
        logger.warning("Team tallies recounted: %d teams' figures corrected.", corrected)
    return corrected


@shared_task(name="progress.tasks.recount_quiz_tallies")
def recount_quiz_tallies() -> int:
    """Nightly: recount the quiz statistics' tallies from the attempts (see
    progress.item_analysis.recount), and say when that corrected any."""
    corrected = item_analysis.recount()
    if corrected:
        logger.warning("Quiz tallies recounted: %d quizzes' figures corrected.", corrected)
    return corrected
