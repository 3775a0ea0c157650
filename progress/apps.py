from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Learning records"

    def ready(self):
        from courses.signals import curriculum_changed

        from . import rollups, tasks  # noqa: F401 - tasks: registered for by-name use

        curriculum_changed.connect(
            rollups.curriculum_changed_receiver, dispatch_uid="progress.rollups.curriculum"
        )
