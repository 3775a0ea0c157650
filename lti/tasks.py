from celery import shared_task

from core.tasks import SENDING

from . import grades


@shared_task(name="lti.tasks.send_scores", **SENDING)
def send_scores(*, target_ids: list[int]) -> int:
    """Post completed tracks' scores to the platforms they were launched from; a failure worth
    retrying (ScoreNotSentError, a ConnectionError) retries the task with backoff."""
    return sum(grades.send_score(target_id) for target_id in target_ids)
