from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LTI 1.3 (learning platforms)"

    def ready(self):
        from progress import signals

        from . import grades, tasks  # noqa: F401 (tasks: registered with Celery by name)

        signals.certificate_issued.connect(
            grades.on_certificate_issued, dispatch_uid="lti.certificate_issued"
        )
