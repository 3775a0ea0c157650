from django.core.management.base import BaseCommand

from progress import rollups, tallies


class Command(BaseCommand):
    help = (
        "Recompute the figures stored on every enrolment for the team pages (lessons done, "
        "quiz average, reviews waiting, assignment and due date), and recount the team "
        "dashboards' tallies. Run it after loading rows in bulk or with SQL, which bypasses the "
        "services that keep them in step."
    )

    def handle(self, *args, **options):
        rollups.refresh_all()
        corrected = tallies.rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                "Team figures recomputed for every enrolment; the team dashboards' counts"
                f" recounted ({corrected} teams corrected)."
            )
        )
