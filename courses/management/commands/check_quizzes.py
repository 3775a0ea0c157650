"""manage.py check_quizzes [content/] — can the curriculum's quizzes be passed without the lessons?"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses import quiz_checks, services
from courses.content_files import InvalidContentError


class Command(BaseCommand):
    help = (
        "Validate a content tree, then measure, per track, how often test-wise strategies that "
        "never read a lesson (longest choice, shortest, no absolute words, prompt words, all but "
        "the shortest) answer its quizzes, against chance; and check every lesson is assessed "
        "from a bank big enough to draw from. Fails when any strategy beats chance by more "
        "than ten points or any check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            type=Path,
            nargs="?",
            default=settings.BASE_DIR / "content",
            help="content/ (default) or a single track folder",
        )
        parser.add_argument("--worst", type=int, default=5, help="questions to name per track")

    def handle(self, *args, path: Path, worst: int, **options):
        try:
            tracks = services.read_content(path)
        except InvalidContentError as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(invalid.errors)} error(s) in {path}.") from None
        failures = 0
        everything = []
        for track in tracks:
            questions = quiz_checks.questions_of(track)
            everything += questions
            report = quiz_checks.analyse(track.slug, questions, worst=worst)
            self.stdout.write(quiz_checks.format_report(report))
            problems = quiz_checks.curriculum_problems(track)
            for problem in problems:
                self.stdout.write(f"  PROBLEM {problem}")
            failures += (not report.passes) + len(problems)
            self.stdout.write("")
        if len(tracks) > 1:
            self.stdout.write(
                quiz_checks.format_report(quiz_checks.analyse("all tracks", everything, worst=0))
            )
        if failures:
            raise CommandError(f"{failures} problem(s): the quizzes can't certify as they stand.")
        self.stdout.write(
            self.style.SUCCESS("Every track's quizzes are within chance + 10 points.")
        )
