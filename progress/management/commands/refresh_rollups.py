from django.core.management.base import BaseCommand

from progress import item_analysis, rollups, tallies


class Command(BaseCommand):
    help = (
        "Recompute the figures stored on every enrolment for the team pages (lessons done, "
        "quiz average, reviews waiting, assignment and due date), recount the team "
        "dashboards' tallies and the quiz statistics' tallies. Run it after loading rows in bulk or with SQL, which bypasses the "
        "services that keep them in step."
    )

    def handle(self, *args, **options):
        # The recount first, to report what had drifted: refresh_all recounts again after its
        # writes, which it makes with the tallies' triggers held.
        corrected = tallies.rebuild()
        rollups.refresh_all()
        quizzes = item_analysis.recount()
        self.stdout.write(
            self.style.SUCCESS(
                "Team figures recomputed for every enrolment; the team dashboards' counts"
                f" recounted ({corrected} teams corrected); the quiz statistics recounted"
                f" ({quizzes} quizzes corrected)."
            )
        )
