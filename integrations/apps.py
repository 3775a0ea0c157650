from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (webhooks)"

    def ready(self):
        from progress import signals

        from . import events, tasks  # noqa: F401 (tasks: registered with Celery by name)

        signals.certificate_issued.connect(
            events.on_certificate_issued, dispatch_uid="integrations.certificate_issued"
        )
        signals.submission_reviewed.connect(
            events.on_submission_reviewed, dispatch_uid="integrations.submission_reviewed"
        )
