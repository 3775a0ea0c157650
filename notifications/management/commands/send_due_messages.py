"""manage.py send_due_messages — run the hourly dispatch now, in this process."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications import dispatch


class Command(BaseCommand):
    help = "Send every digest and nudge that is due and not yet sent (what beat runs hourly)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print who would get what")
        parser.add_argument("--now", help="pretend it is this ISO date-time (default: now)")

    def handle(self, *args, dry_run: bool, now: str | None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now must be an ISO date-time, not {now!r}") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        if dry_run:
            for kind, ids in dispatch.plan(now=moment).items():
                self.stdout.write(
                    f"{kind}: {len(ids)} due"
                    + (f" (ids {ids[:20]}{' …' if len(ids) > 20 else ''})" if ids else "")
                )
            return
        result = dispatch.dispatch(now=moment, enqueue=False)
        self.stdout.write(
            "; ".join(
                f"{kind}: {result[kind]} due, {done} {'made' if kind == 'announcement' else 'sent'}"
                for kind, done in result["done"].items()
            )
        )
