from celery import shared_task

from core.tasks import SENDING

from . import delivery, events, outbox, xapi


@shared_task(name="integrations.tasks.deliver_webhooks", **SENDING)
def deliver_webhooks(*, delivery_ids: list[int]) -> int:
    """Send these deliveries; a failed one is sent again when its retry is due."""
    return outbox.send_each(delivery_ids, attempt_one=delivery.attempt, task=deliver_webhooks)


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


@shared_task(name="integrations.tasks.send_xapi_statements", **SENDING)
def send_xapi_statements(*, delivery_ids: list[int]) -> int:
    """Send these statements to their learning record stores; a failed one is sent again
    when its retry is due."""
    return outbox.send_each(delivery_ids, attempt_one=xapi.attempt, task=send_xapi_statements)


@shared_task(name="integrations.tasks.retry_due_xapi_statements", **SENDING)
def retry_due_xapi_statements() -> int:
    """Every few minutes (beat): statements whose retry is due, whatever the broker forgot."""
    return send_xapi_statements(delivery_ids=xapi.due())
