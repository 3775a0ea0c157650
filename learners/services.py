"""Writes that touch people and organisations."""

import secrets

from allauth.account.models import EmailAddress
from django.db import transaction

from .models import Membership, Organisation, Placement, Team, User, normalise_email


@transaction.atomic
def ensure_user(
    *,
    email: str,
    display_name: str,
    password: str | None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> tuple[User, bool]:
    """Create the account (verified email) or update its name; set the password when given.

    Returns (user, created). An existing account keeps its password unless one is given.
    """
    email = normalise_email(email)
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": display_name, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    if not created and (user.display_name, user.is_staff, user.is_superuser) != (
        display_name,
        is_staff,
        is_superuser,
    ):
        user.display_name, user.is_staff, user.is_superuser = display_name, is_staff, is_superuser
        user.save(update_fields=["display_name", "is_staff", "is_superuser"])
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def ensure_membership(*, user: User, team: Team, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, team=team, role=role)
    return membership


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_organisation(*, name: str, slug: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name})
    return organisation


def ensure_team(*, organisation: Organisation, name: str) -> Team:
    team, _ = Team.objects.get_or_create(organisation=organisation, name=name)
    return team


@transaction.atomic
def save_placement(*, user: User, role, ratings: dict[int, int]) -> Placement:
    """Store the learner's self-placement and its recommendation; progress is never touched.

    `ratings` maps module ids of the role's track to a Placement.Level.
    """
    from .selectors import placement_track

    track = placement_track(role)
    placement, _ = Placement.objects.update_or_create(
        user=user,
        defaults={
            "role": role,
            "recommended_track": track,
            "answers": {str(module_id): level for module_id, level in ratings.items()},
        },
    )
    placement.skim_modules.set(
        [module_id for module_id, level in ratings.items() if level >= Placement.SKIM_FROM]
    )
    return placement


# Which preference switches a kind of email; turning one back on lifts an earlier unsubscribe.
PREFERENCE_KINDS = {
    "digest_enabled": "learner_digest",
    "manager_digest_enabled": "manager_digest",
}


@transaction.atomic
def save_preferences(*, user: User, form) -> None:
    """Save the preferences form. Re-enabling a digest removes the matching one-click opt-out
    (the opt-out records live in `progress`, which this app must not import; they are reached
    through the model registry)."""
    from django.apps import apps

    before = {name: form.initial.get(name) for name in PREFERENCE_KINDS}
    preferences = form.save()
    opt_out = apps.get_model("progress", "EmailOptOut")
    for name, kind in PREFERENCE_KINDS.items():
        if getattr(preferences, name) and not before.get(name):
            opt_out.objects.filter(email=user.email.lower(), kind=kind).delete()
