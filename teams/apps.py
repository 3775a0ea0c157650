from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Manager workspace"

    def ready(self):
        from learners.signals import teams_changed

        from . import services

        teams_changed.connect(services.teams_changed_receiver, dispatch_uid="teams.services.teams")
