"""manage.py import_content content/ — validate a content tree, then import it in one transaction."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courses import services
from courses.content_files import InvalidContentError


class DryRunRollbackError(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import tracks from content files (DESIGN.md §5). Validates everything first and imports "
        "nothing when any file is invalid. Safe to run again: unchanged content is left alone, "
        "and so is whatever an author changed in the admin since the last import (reported; "
        "--prefer-files overwrites it, export_content brings it back to files)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="content/ or a single track folder")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and show what would change, without writing anything",
        )
        parser.add_argument(
            "--prefer-files",
            action="store_true",
            help="overwrite what authors changed in the admin since the last import with the "
            "files' version (by default it is left as it is and reported)",
        )

    def handle(self, *args, path: Path, dry_run: bool, prefer_files: bool, **options):
        try:
            specs = services.read_content(path)
        except InvalidContentError as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(invalid.errors)} error(s) in {path}; nothing was imported."
            ) from None
        try:
            with transaction.atomic():
                report = services.import_specs(specs, prefer_files=prefer_files)
                if dry_run:
                    raise DryRunRollbackError
        except DryRunRollbackError:
            pass
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {len(report.tracks)} track(s) from {path}: {', '.join(report.tracks)}"
        )
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if not report.changed:
            self.stdout.write("  Nothing changed.")
        if report.conflicts:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(report.conflicts)} item(s) changed by an author in the admin since the "
                    "last import were left as they are:"
                )
            )
            for line in report.conflicts:
                self.stderr.write(f"  {line}")
            self.stderr.write(
                "Keep the admin's version: manage.py export_content content/ --track SLUG, then "
                "commit the files. Keep the files' version: import again with --prefer-files."
            )
