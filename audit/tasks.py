from celery import shared_task


@shared_task
def purge_audit_log() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): drop entries older than AUDIT_RETENTION_DAYS. Running it
    twice deletes nothing more."""
    from . import services

    return services.purge_expired()
