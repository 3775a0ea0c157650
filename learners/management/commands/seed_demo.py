"""Create the demo organisation, its manager, learners and an admin. Safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from learners import services
from learners.models import Membership

DEMO_PEOPLE = [
    # email, display name, role in the Marketing team (None: staff admin)
    ("admin@example.com", "Ada Admin", None),
    ("morgan@example.com", "Morgan Manager", Membership.Role.MANAGER),
    ("sean@example.com", "Sean Newcomer", Membership.Role.LEARNER),
    ("carrie@example.com", "Carrie Strategist", Membership.Role.LEARNER),
    ("eric@example.com", "Eric Director", Membership.Role.LEARNER),
]


class Command(BaseCommand):
    help = (
        "Create the demo organisation (team Marketing, manager morgan@example.com, learners "
        "sean@, carrie@ and eric@example.com) and the admin admin@example.com."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Set this password for every demo account (otherwise new accounts get a "
            "generated one, printed once, and existing accounts keep theirs).",
        )

    @transaction.atomic
    def handle(self, *args, password: str | None = None, **options):
        generated = None
        organisation = services.ensure_organisation(name="Demo Company", slug="demo")
        team = services.ensure_team(organisation=organisation, name="Marketing")
        rows = []
        for email, name, role in DEMO_PEOPLE:
            user, created = services.ensure_user(
                email=email,
                display_name=name,
                password=None,
                is_staff=role is None,
                is_superuser=role is None,
            )
            if password is not None:
                user.set_password(password)
                user.save(update_fields=["password"])
                shown = password
            elif created:
                generated = generated or services.generate_password()
                user.set_password(generated)
                user.save(update_fields=["password"])
                shown = generated
            else:
                shown = "(unchanged)"
            if role is not None:
                services.ensure_membership(user=user, team=team, role=role)
            rows.append((email, role or "admin", shown))

        self.stdout.write(
            self.style.SUCCESS(f"Demo organisation '{organisation}', team '{team.name}':")
        )
        for email, role, shown in rows:
            self.stdout.write(f"  {email:<22} {role:<8} password: {shown}")
        if generated:
            self._remember(rows)
        elif password is None:
            self.stdout.write(
                "Existing accounts keep their passwords; run `manage.py seed_demo --password PW` "
                "to set a new one for all of them."
            )

    def _remember(self, rows) -> None:
        # Local convenience only: the file sits in var/ (git-ignored) with owner-only permissions.
        path = Path(settings.VAR_DIR) / "demo-credentials.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text("".join(f"{email} {shown}\n" for email, _, shown in rows))
        self.stdout.write(f"(also written to {path})")
