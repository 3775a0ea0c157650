from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares (no models): task helpers, and the release command `deploy`."""

    name = "core"
