"""manage.py export_content DIR — write tracks back to content files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses import services
from courses.content_files import write_tree
from courses.models import Track


class Command(BaseCommand):
    help = "Write tracks (default: all) to DIR in the content-file format; import reads it back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path)
        parser.add_argument(
            "--track", action="append", dest="tracks", help="a track slug (repeatable)"
        )

    def handle(self, *args, dest: Path, tracks: list[str] | None, **options):
        queryset = Track.objects.all()
        if tracks:
            queryset = queryset.filter(slug__in=tracks)
            missing = set(tracks) - set(queryset.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"Unknown track slug(s): {', '.join(sorted(missing))}")
        written = write_tree(services.track_specs(queryset), dest)
        self.stdout.write(f"Wrote {len(written)} file(s) to {dest}")
