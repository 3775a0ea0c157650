"""Create or revoke an organisation's SCIM token from the command line (the admin does the
same under Provisioning → SCIM tokens):

    manage.py scim_token create acme --name "Okta production"
    manage.py scim_token revoke acme --name "Okta production"
    manage.py scim_token list acme

`create` prints the token once, on its own line (for a deploy script), and the SCIM base URL.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from learners.models import Organisation
from provisioning import tokens
from provisioning.models import ScimToken


class Command(BaseCommand):
    help = "Create, revoke or list an organisation's SCIM tokens."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke", "list"])
        parser.add_argument("organisation", help="the organisation's slug")
        parser.add_argument("--name", default="", help="the token's name (create, revoke)")

    def handle(self, *args, action, organisation, name, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            slugs = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No organisation “{organisation}” (organisations: {slugs}).")
        live = ScimToken.objects.filter(organisation=org, revoked_at__isnull=True)
        if action == "list":
            for token in live.order_by("created_at"):
                used = (
                    f"last used {token.last_used_at:%Y-%m-%d %H:%M}"
                    if token.last_used_at
                    else "never used"
                )
                self.stdout.write(f"{token.name}\t{token.prefix}…\t{used}")
            return
        name = name.strip()
        if not name:
            raise CommandError('Name the token with --name, e.g. --name "Okta production".')
        if action == "create":
            if live.filter(name=name).exists():
                raise CommandError(f"{org} already has a live token named “{name}”.")
            _, raw = tokens.create_token(organisation=org, name=name, by=None)
            self.stderr.write(
                f"SCIM base URL: {settings.SITE_URL.rstrip('/')}/scim/v2 — the token below is "
                "not shown again:"
            )
            self.stdout.write(raw)
            return
        token = live.filter(name=name).first()
        if token is None:
            raise CommandError(f"{org} has no live token named “{name}”.")
        tokens.revoke_token(token=token, by=None)
        self.stdout.write(f"Revoked “{name}”: its provider is refused from now on.")
