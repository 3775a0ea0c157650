"""Create, list or revoke an organisation's reporting API tokens from the command line (the
admin does the same under Reporting API → API tokens):

    manage.py api_token create acme --name "Data warehouse" [--days 90]
    manage.py api_token list acme
    manage.py api_token revoke acme --name "Data warehouse"

`create` prints the token once, on its own line (for a deploy script); the rest goes to stderr.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from learners.models import Organisation


class Command(BaseCommand):
    help = "Create, revoke or list an organisation's reporting API tokens."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke", "list"])
        parser.add_argument("organisation", help="the organisation's slug")
        parser.add_argument("--name", default="", help="the token's name (create, revoke)")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"create: how many days it works (default {settings.API_TOKEN_DAYS}, "
            f"at most {settings.API_TOKEN_MAX_DAYS})",
        )

    def handle(self, *args, action, organisation, name, days, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            slugs = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No organisation “{organisation}” (organisations: {slugs}).")
        live = ApiToken.objects.filter(
            organisation=org, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        if action == "list":
            for token in ApiToken.objects.filter(organisation=org).order_by("created_at"):
                used = (
                    f"last used {token.last_used_at:%Y-%m-%d %H:%M}"
                    if token.last_used_at
                    else "never used"
                )
                self.stdout.write(
                    f"{token.name}\t{token.prefix}…\t{token.status}\t"
                    f"expires {token.expires_at:%Y-%m-%d}\t{used}"
                )
            return
        name = name.strip()
        if not name:
            raise CommandError('Name the token with --name, e.g. --name "Data warehouse".')
        if action == "create":
            if live.filter(name=name).exists():
                raise CommandError(f"{org} already has a live token named “{name}”.")
            try:
                token, raw = tokens.create_token(
                    organisation=org, name=name, by=None, expires_at=tokens.expiry(days)
                )
            except tokens.TokenError as error:
                raise CommandError(str(error)) from None
            self.stderr.write(
                f"API: {settings.SITE_URL.rstrip('/')}/api/v1/ — works until "
                f"{token.expires_at:%Y-%m-%d}; the token below is not shown again:"
            )
            self.stdout.write(raw)
            return
        token = ApiToken.objects.filter(
            organisation=org, name=name, revoked_at__isnull=True
        ).first()
        if token is None:
            raise CommandError(f"{org} has no unrevoked token named “{name}”.")
        tokens.revoke_token(token=token, by=None)
        self.stdout.write(f"Revoked “{name}”: its client is refused from now on.")
