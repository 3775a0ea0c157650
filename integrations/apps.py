from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (webhooks, xAPI)"

    def ready(self):
        from progress import signals

        from . import events, tasks, xapi  # noqa: F401 (tasks: registered with Celery by name)

        signals.certificate_issued.connect(
            events.on_certificate_issued, dispatch_uid="integrations.certificate_issued"
        )
        signals.submission_reviewed.connect(
            events.on_submission_reviewed, dispatch_uid="integrations.submission_reviewed"
        )
        for signal, receiver in [
            (signals.lesson_completed, xapi.on_lesson_completed),
            (signals.quiz_attempted, xapi.on_quiz_attempted),
            (signals.assignment_submitted, xapi.on_assignment_submitted),
            (signals.certificate_issued, xapi.on_certificate_issued),
        ]:
            signal.connect(receiver, dispatch_uid=f"integrations.xapi.{receiver.__name__}")
