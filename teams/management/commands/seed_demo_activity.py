"""Give the demo team something to show: assigned tracks with due dates, some progress, a
submission waiting for Morgan's review. Safe to run again (needs seed_demo and the curriculum)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from courses.models import Track
from learners.models import TrackAssignment, User
from progress import services
from progress.models import Submission
from teams import services as team

PLAN = [
    # learner, track slug, days until due, lessons to complete
    ("sean@example.com", "newcomer", 21, 2),
    ("carrie@example.com", "strategy-lead", 30, 1),
    ("eric@example.com", "executive", 45, 0),
]


class Command(BaseCommand):
    help = "Assign the demo learners their tracks and give them a little progress."

    @transaction.atomic
    def handle(self, *args, **options):
        try:
            morgan = User.objects.get(email="morgan@example.com")
        except User.DoesNotExist:
            raise CommandError("Run `manage.py seed_demo` first.") from None
        for email, slug, days, lessons in PLAN:
            learner = User.objects.filter(email=email).first()
            track = Track.objects.published().filter(slug=slug).first()
            if learner is None or track is None:
                self.stdout.write(f"Skipping {email}: learner or track '{slug}' missing.")
                continue
            if not TrackAssignment.objects.active().filter(track=track, learner=learner).exists():
                team.assign_track(
                    manager=morgan,
                    track=track,
                    learner=learner,
                    due_date=timezone.localdate() + timedelta(days=days),
                )
            plain = [
                lesson
                for lesson in track.lessons.current().select_related("quiz").order_by("module__position", "position")
                if not hasattr(lesson, "quiz")
            ][:lessons]  # fmt: skip
            for lesson in plain:
                services.record_lesson_completion(learner=learner, lesson=lesson)
        self._carrie_submits()
        self.stdout.write(
            self.style.SUCCESS("Demo activity ready: see /team/ as morgan@example.com.")
        )

    def _carrie_submits(self) -> None:
        carrie = User.objects.filter(email="carrie@example.com").first()
        track = Track.objects.published().filter(slug="strategy-lead").first()
        if carrie is None or track is None:
            return
        lesson = (
            track.lessons.current()
            .filter(assignment__isnull=False, assignment__archived_at__isnull=True)
            .order_by("module__position", "position")
            .first()
        )
        if (
            lesson is None
            or Submission.objects.filter(learner=carrie, assignment=lesson.assignment).exists()
        ):
            return
        services.submit_assignment(
            learner=carrie,
            assignment=lesson.assignment,
            text=(
                "**Business goal:** grow qualified demo requests from mid-size utilities.\n\n"
                "**Social objective:** 40 demo requests a quarter attributed to LinkedIn, "
                "measured with UTM-tagged links to the demo form."
            ),
        )
