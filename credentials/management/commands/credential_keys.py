from django.core.management.base import BaseCommand, CommandError

from credentials import issuing
from credentials.models import IssuerKey
from learners.models import Organisation


class Command(BaseCommand):
    help = (
        "List or rotate the keys certificates' verifiable credentials are signed with. "
        "`rotate <organisation slug>` (or `rotate --site`) retires the active key; what it "
        "signed still verifies."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate"])
        parser.add_argument("organisation", nargs="?", help="the organisation's slug")
        parser.add_argument("--site", action="store_true", help="the site's own key")

    def handle(self, *args, action, organisation, site, **options):
        if action == "list":
            for key in IssuerKey.objects.select_related("organisation"):
                owner = key.organisation.slug if key.organisation_id else "(site)"
                state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "active"
                self.stdout.write(f"{key.pk}\t{owner}\t{state}\t{key.did}")
            return
        if site == bool(organisation):
            raise CommandError("Name one organisation's slug, or --site for the site's own key.")
        owner = None
        if organisation:
            owner = Organisation.objects.filter(slug=organisation).first()
            if owner is None:
                raise CommandError(f"No organisation with the slug “{organisation}”.")
        key = issuing.rotate_key(owner)
        self.stdout.write(self.style.SUCCESS(f"New active key {key.pk}: {key.did}"))
