from django.core.management.base import BaseCommand

from lti import keys
from lti.models import ToolKey


class Command(BaseCommand):
    help = (
        "The LTI tool's signing keys: `list`, `rotate` (a new signing key; the previous stays in "
        "/lti/jwks/ until retired) or `retire` (every key but the signing one leaves the JWKS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate", "retire"])

    def handle(self, *args, action, **options):
        if action == "rotate":
            key = keys.rotate()
            self.stdout.write(self.style.SUCCESS(f"New signing key {key.kid}"))
        elif action == "retire":
            self.stdout.write(self.style.SUCCESS(f"Retired {keys.retire_previous()} key(s)"))
        signing = keys.signing_key()
        for key in ToolKey.objects.all():
            state = "signing" if key.pk == signing.pk else "published"
            if key.retired_at:
                state = f"retired {key.retired_at:%Y-%m-%d}"
            self.stdout.write(f"{key.kid}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}")
