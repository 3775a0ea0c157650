from celery import shared_task

from core.tasks import SENDING

from . import delivery, events


@shared_task(name="integrations.tasks.deliver_webhooks", **SENDING)
def deliver_webhooks(*, delivery_ids: list[int]) -> int:
    """Send these deliveries; a failed one is sent again when its retry is due."""
    sent = 0
    for delivery_id in delivery_ids:
        done = delivery.attempt(delivery_id)
        if done is None:
            continue
        if done.state == done.State.DELIVERED:
            sent += 1
        elif done.state == done.State.PENDING:
            wait = (done.next_attempt_at - done.last_attempt_at).total_seconds()
            deliver_webhooks.apply_async(kwargs={"delivery_ids": [done.pk]}, countdown=wait)
    return sent


@shared_task(name="integrations.tasks.retry_due_webhooks", **SENDING)
def retry_due_webhooks() -> int:
    """Every few minutes (beat): retries whose time has come, whatever the broker forgot."""
    return deliver_webhooks(delivery_ids=delivery.due())


@shared_task(name="integrations.tasks.announce_overdue_assignments", **SENDING)
def announce_overdue_assignments() -> int:
    """Hourly (beat): assigned tracks that just passed their due date unfinished."""
    return events.announce_overdue_assignments()


@shared_task(name="integrations.tasks.announce_clearance_changes", **SENDING)
def announce_clearance_changes() -> int:
    """Hourly (beat): people who gained or lost a clearance level since the last run."""
    return events.announce_clearance_changes()
