from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Learning records"

    def ready(self):
        from django.db.models.signals import post_migrate

        from courses import pages
        from courses.signals import curriculum_changed
        from learners.services import declare_account_data

        from . import rollups, tallies, views

        pages.register(
            pages.LearnerPages(
                track="progress:track",
                lesson="progress:lesson",
                quiz="progress:quiz",
                assignment="progress:assignment",
                complete_lesson="progress:complete_lesson",
                lesson_template="progress/lesson_detail.html",
                lesson_context=views.lesson_context,
            )
        )
        declare_account_data(
            # A certificate is a public page about the person: it goes with the account.
            deleted_with_account={"progress.certificate"},
            # Criterion names and points: the aggregate managers keep.
            not_personal={("progress.review", "scores")},
        )
        curriculum_changed.connect(
            rollups.curriculum_changed_receiver, dispatch_uid="progress.rollups.curriculum"
        )
        post_migrate.connect(
            tallies.reinstall_after_migrate, sender=self, dispatch_uid="progress.tallies"
        )
