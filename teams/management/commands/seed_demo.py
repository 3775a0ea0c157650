"""Create the demo organisation, its manager, learners and an admin. Safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from courses.models import Track
from governance import holdings, policy
from governance.models import ClearanceLevel, PolicyVersion
from learners import services
from learners.models import Membership, User

DEMO_PEOPLE = [
    # email, display name, role in the Marketing team (None: staff admin)
    ("admin@example.com", "Ada Admin", None),
    ("morgan@example.com", "Morgan Manager", Membership.Role.MANAGER),
    ("sean@example.com", "Sean Newcomer", Membership.Role.LEARNER),
    ("carrie@example.com", "Carrie Strategist", Membership.Role.LEARNER),
    ("eric@example.com", "Eric Director", Membership.Role.LEARNER),
]


DEMO_POLICY_OWNER = "carrie@example.com"
# Two levels, so that every persona can be cleared: everyone who posts for the company needs the
# current policy; running client accounts also needs the newcomer track (Sean's; Carrie and
# Eric have other tracks assigned).
DEMO_LEVEL = "Cleared to post"
DEMO_CLIENT_LEVEL = "Cleared for client accounts"
DEMO_LEVEL_TRACK = "newcomer"
DEMO_POLICY = """## Why we have this policy

You may talk about your work online: we want you to. This policy says how to do it safely.

## Official accounts

- Only the social team opens or runs accounts in the company's name. Ask them first.
- Use the shared password manager and two-factor sign-in on every official account.

## Speaking for the company

- Post on official accounts only once you are **cleared to post** on Socialcraft.
- On your own accounts, say you work here when you talk about our products
  (for example "I work at Demo Company").

## Confidential information

- Never share unannounced products, client names or customer photos without written consent.
- Not sure? Ask the social team before you post.

## When something goes wrong

Tell the social team straight away. Deleting a post quietly makes things worse.

*Owner: Carrie Strategist. Reviewed every six months.*
"""


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
        governance = self._governance(organisation)

        self.stdout.write(
            self.style.SUCCESS(f"Demo organisation '{organisation}', team '{team.name}':")
        )
        for email, role, shown in rows:
            self.stdout.write(f"  {email:<22} {role:<8} password: {shown}")
        self.stdout.write(governance)
        if generated:
            self._remember(rows)
        elif password is None:
            self.stdout.write(
                "Existing accounts keep their passwords; run `manage.py seed_demo --password PW` "
                "to set a new one for all of them."
            )

    def _governance(self, organisation) -> str:
        """Carrie owns the policy; version 1 exists; "Cleared to post" asks for the current
        policy, "Cleared for client accounts" for the newcomer track too. Only what is missing
        is created (no email is sent)."""
        carrie = User.objects.get(email=DEMO_POLICY_OWNER)
        policy.make_policy_owner(user=carrie, organisation=organisation)
        if not PolicyVersion.objects.published().filter(policy__organisation=organisation).exists():
            policy.save_draft(
                organisation=organisation,
                body=DEMO_POLICY,
                changes_summary="First version.",
                effective_date=timezone.localdate(),
            )
            policy.publish_draft(organisation=organisation, by=carrie)
        ClearanceLevel.objects.get_or_create(
            organisation=organisation,
            name=DEMO_LEVEL,
            defaults={"description": "May post on the company's own accounts.", "position": 1},
        )
        client_level, _ = ClearanceLevel.objects.get_or_create(
            organisation=organisation,
            name=DEMO_CLIENT_LEVEL,
            defaults={"description": "May post on clients' accounts.", "position": 2},
        )
        track = Track.objects.filter(slug=DEMO_LEVEL_TRACK).first()
        if track is not None:  # the curriculum is imported before this command in `make run`
            client_level.tracks.add(track)
        holdings.refresh_holdings(organisation_ids=[organisation.pk])
        client_needs = "the current policy" + (f" + “{track.title}”" if track else "")
        return (
            f"Policy owner: {DEMO_POLICY_OWNER}; clearance levels “{DEMO_LEVEL}” (the current "
            f"policy) and “{DEMO_CLIENT_LEVEL}” ({client_needs})."
        )

    def _remember(self, rows) -> None:
        # Local convenience only: the file sits in var/ (git-ignored) with owner-only permissions.
        path = Path(settings.VAR_DIR) / "demo-credentials.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text("".join(f"{email} {shown}\n" for email, _, shown in rows))
        self.stdout.write(f"(also written to {path})")
