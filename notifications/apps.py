from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Digests and nudges"

    def ready(self):
        from . import tasks  # noqa: F401 - registers the dispatcher's senders
