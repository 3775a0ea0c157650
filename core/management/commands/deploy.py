"""manage.py deploy — what runs once per release, before the new code serves: migrate, create
the cache table, collect static files, import the curriculum.

Safe to run on every node as it starts: a lock in the database (PostgreSQL's advisory lock; a
file lock next to SQLite's database) lets one node do the work while the others wait, and then
find nothing left to do (migrations applied, content unchanged). `--skip-content` leaves the
curriculum alone; `--wait` bounds how long a node waits for the lock.
"""

import fcntl
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

LOCK_ID = 0x50C1A1C7  # PostgreSQL advisory lock key: any constant the site uses for nothing else


class Command(BaseCommand):
    help = "Migrate, create the cache table, collect static files and import content, once."

    def add_arguments(self, parser):
        parser.add_argument("--content", default=str(settings.BASE_DIR / "content"))
        parser.add_argument("--skip-content", action="store_true")
        parser.add_argument("--skip-static", action="store_true")
        parser.add_argument(
            "--wait", type=int, default=600, help="seconds to wait for another node's deploy"
        )

    def handle(self, *args, content, skip_content, skip_static, wait, **options):
        if not skip_content and not Path(content).is_dir():
            raise CommandError(f"No content folder at {content}; pass --content or --skip-content.")
        with deploy_lock(wait=wait, say=self.stdout.write):
            steps = [("migrate", ["--noinput"]), ("createcachetable", [])]
            if not skip_static and settings.STATIC_ROOT:
                steps.append(("collectstatic", ["--noinput"]))
            if not skip_content:
                steps.append(("import_content", [content]))
            for name, arguments in steps:
                self.stdout.write(f"deploy: {name} {' '.join(arguments)}".rstrip())
                call_command(name, *arguments, verbosity=0 if name != "import_content" else 1)
        self.stdout.write(self.style.SUCCESS("deploy: done"))


@contextmanager
def deploy_lock(*, wait: int, say=print):
    """One deploy at a time across every node sharing the database."""
    if connection.vendor == "postgresql":
        with _advisory_lock(wait=wait, say=say):
            yield
    else:
        with _file_lock(Path(settings.VAR_DIR) / "deploy.lock", wait=wait, say=say):
            yield


@contextmanager
def _advisory_lock(*, wait: int, say):
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_ID])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise CommandError(f"Another deploy held the lock for {wait} s; nothing was done.")
            say("deploy: another node is deploying; waiting")
            time.sleep(2)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_ID])


@contextmanager
def _file_lock(path: Path, *, wait: int, say):
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with path.open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"Another deploy held the lock for {wait} s; nothing was done."
                    ) from None
                say("deploy: another deploy is running; waiting")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
