"""What an organisation's identity provider may do to its people and teams, as plain functions
(provisioning/scim.py calls them for SCIM requests; anything else may too).

Whose accounts an organisation's provider manages (`people_of`): the people it created, and
the people of its teams who belong to no other organisation and were never claimed by another
provider; never staff, whose break-glass accounts stay under the site's own control. A
provider's first write to one of its teams' people claims them (a ProvisionedPerson row).

Deactivating someone keeps everything they did: their progress, attempts, certificates and
memberships stay, they can't sign in (every session they had fails its next request) and
nothing is emailed to them; reactivating them gives it all back. Removing them (SCIM DELETE)
deactivates them and takes them out of the provider's view; creating the same address again
later brings the same account back. Erasing a person's data stays a separate, deliberate step
(learners.services.delete_account).
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from audit import services as audit
from learners import services as learner_services
from learners.models import Membership, Organisation, Team, User, normalise_email

from .models import ProvisionedPerson, ProvisionedTeam


class ProvisioningError(Exception):
    """A request the organisation's provider may not make; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


class ConflictError(ProvisioningError):
    """A value that must be unique is taken."""


@dataclass
class PersonFacts:
    """What a provider says about a person (SCIM's User, read by provisioning/scim.py)."""

    user_name: str
    display_name: str = ""
    emails: list[dict] = field(default_factory=list)
    name: dict = field(default_factory=dict)
    external_id: str = ""
    active: bool | None = None  # None: not said, which leaves the account active

    def email(self) -> str:
        """The account's address: the primary email, else the first, else the userName when it
        is an address."""
        emails = sorted(self.emails, key=lambda e: not e.get("primary"))
        for candidate in [e.get("value") or "" for e in emails] + [self.user_name]:
            try:
                validate_email(candidate)
            except ValidationError:
                continue
            return normalise_email(candidate)
        raise ProvisioningError(
            "A person needs an email address: send one in emails, or a userName that is one.",
            field="emails",
        )

    def shown_name(self) -> str:
        given, family = self.name.get("givenName") or "", self.name.get("familyName") or ""
        name = self.display_name or self.name.get("formatted") or f"{given} {family}".strip()
        return (name or self.user_name.split("@")[0])[:80]


# -- whose accounts and which teams ---------------------------------------------------------


def people_of(organisation: Organisation) -> QuerySet[User]:
    """The accounts `organisation`'s provider manages, each annotated with `scim_user_name`
    (their userName: the one the provider gave, else their address)."""
    elsewhere = Membership.objects.filter(user=OuterRef("pk")).exclude(
        team__organisation=organisation
    )
    here = Membership.objects.filter(user=OuterRef("pk"), team__organisation=organisation)
    claimed = ProvisionedPerson.objects.filter(user=OuterRef("pk"))
    mine = ProvisionedPerson.objects.filter(
        user=OuterRef("pk"), organisation=organisation, removed_at__isnull=True
    )
    return (
        User.objects.filter(is_staff=False)
        .filter(Exists(mine) | (Exists(here) & ~Exists(elsewhere) & ~Exists(claimed)))
        .select_related("provisioned")
        .annotate(
            scim_user_name=Coalesce("provisioned__user_name", "email", output_field=CharField())
        )
    )


def teams_of(organisation: Organisation) -> QuerySet[Team]:
    """The organisation's teams, each with `learner_ids` (one query for the whole page)."""
    learners = Membership.objects.filter(role=Membership.Role.LEARNER).order_by("user_id")
    return organisation.teams.select_related("provisioned").prefetch_related(
        Prefetch("memberships", queryset=learners, to_attr="learner_memberships")
    )


def learner_ids(team: Team) -> list[int]:
    """The team's learners, from teams_of's prefetch."""
    return [membership.user_id for membership in team.learner_memberships]


def organisations_of(user: User) -> set[int]:
    """The organisations a person belongs to: their teams', and the one whose provider manages
    them (company sign-in, webhooks, xAPI and SCIM ask the same question). One query."""
    return set(organisation_ids_of(user).values_list("pk", flat=True))


def organisation_ids_of(user: User) -> QuerySet[Organisation]:
    """`organisations_of` as a subquery of ids, for a read that filters by it in one query."""
    teams = Team.objects.filter(memberships__user=user).values("organisation_id")
    linked = ProvisionedPerson.objects.filter(user=user).values("organisation_id")
    return Organisation.objects.filter(Q(pk__in=teams) | Q(pk__in=linked)).values("pk")


def _via(token_name: str) -> str:
    return f"SCIM: {token_name}"[:200]


def _user_name_taken(organisation: Organisation, user_name: str, *, but=None) -> bool:
    taken = people_of(organisation).filter(scim_user_name__iexact=user_name)
    return taken.exclude(pk=but.pk).exists() if but is not None else taken.exists()


# -- people -----------------------------------------------------------------------------------


@transaction.atomic
def create_person(organisation: Organisation, facts: PersonFacts, *, via: str) -> User:
    """A new account in `organisation`, verified (the provider vouches for the address), with no
    password: the person signs in through the company's sign-in, or sets a password with
    "Forgotten your password?". The same address removed earlier by this provider comes back."""
    email = facts.email()
    if _user_name_taken(organisation, facts.user_name):
        raise ConflictError(f"The userName {facts.user_name!r} is taken.", field="userName")
    existing = User.objects.filter(email__iexact=email).select_related("provisioned").first()
    if existing is not None:
        link = getattr(existing, "provisioned", None)
        comes_back = link and link.organisation_id == organisation.pk and link.removed_at
        if not comes_back:
            raise ConflictError(
                "An account with this email address already exists.", field="emails"
            )
        link.removed_at = None
        link.save(update_fields=["removed_at"])
        return update_person(organisation, existing, facts, via=via)

    user = User.objects.create_user(email, None, display_name=facts.shown_name())
    if facts.active is False:
        user.is_active = False
        user.save(update_fields=["is_active"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    ProvisionedPerson.objects.create(
        organisation=organisation,
        user=user,
        user_name=facts.user_name,
        external_id=facts.external_id,
        attributes=_attributes(facts),
    )
    audit.record(
        kind=audit.Kind.ACCOUNT_PROVISIONED,
        subject=user,
        organisation=organisation,
        target=_via(via),
    )
    return user


def _attributes(facts: PersonFacts) -> dict:
    return {
        "name": facts.name,
        "emails": facts.emails,
        "displayName": facts.display_name,
        "active": facts.active,
    }


def _claim(organisation: Organisation, user: User) -> ProvisionedPerson:
    link = getattr(user, "provisioned", None)
    if link is None:
        link = ProvisionedPerson.objects.create(
            organisation=organisation, user=user, user_name=user.email, attributes={}
        )
        user.provisioned = link
    return link


@transaction.atomic
def update_person(organisation: Organisation, user: User, facts: PersonFacts, *, via: str) -> User:
    """Make the account say what the provider says now (SCIM's PUT and PATCH)."""
    email = facts.email()
    if _user_name_taken(organisation, facts.user_name, but=user):
        raise ConflictError(f"The userName {facts.user_name!r} is taken.", field="userName")
    if email != user.email and User.objects.filter(email__iexact=email).exists():
        raise ConflictError("An account with this email address already exists.", field="emails")
    link = _claim(organisation, user)
    was_active = user.is_active
    changed = [
        name
        for name, value in (
            ("email", email),
            ("display_name", facts.shown_name()),
            ("is_active", facts.active is not False),
        )
        if getattr(user, name) != value
    ]
    if "email" in changed:
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    user.email, user.display_name = email, facts.shown_name()
    user.is_active = facts.active is not False
    if changed:
        user.save(update_fields=changed)
    link.user_name, link.external_id = facts.user_name, facts.external_id
    link.attributes = _attributes(facts)
    link.version = F("version") + 1
    link.save(update_fields=["user_name", "external_id", "attributes", "version", "updated_at"])
    link.refresh_from_db(fields=["version"])

    if was_active != user.is_active:
        kind = audit.Kind.ACCOUNT_REACTIVATED if user.is_active else audit.Kind.ACCOUNT_DEACTIVATED
        _active_changed(user)
    else:
        kind = audit.Kind.ACCOUNT_PROVISIONING_UPDATED
    details = {"changed": sorted(set(changed) - {"is_active"})} if changed else {}
    audit.record(
        kind=kind, subject=user, organisation=organisation, target=_via(via), details=details
    )
    return user


def _active_changed(user: User) -> None:
    # An inactive manager or reviewer stops reviewing (learners.selectors.review_route only
    # counts active people); the people waiting on them get another reviewer.
    learner_services.review_rights_changed(user_ids={user.pk})


@transaction.atomic
def remove_person(organisation: Organisation, user: User, *, via: str) -> None:
    """SCIM's DELETE: the account is deactivated and leaves the provider's view; their records
    stay (see the module's docstring)."""
    link = _claim(organisation, user)
    link.removed_at = timezone.now()
    link.version = F("version") + 1
    link.save(update_fields=["removed_at", "version", "updated_at"])
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        _active_changed(user)
    audit.record(
        kind=audit.Kind.ACCOUNT_DEACTIVATED,
        subject=user,
        organisation=organisation,
        target=_via(via),
        details={"removed": True},
    )


# -- teams ------------------------------------------------------------------------------------


@dataclass
class TeamFacts:
    """What a provider says about a team (SCIM's Group)."""

    name: str
    member_ids: list[int] | None = None  # None: leave the learners as they are
    external_id: str = ""


def _check_team_name(organisation: Organisation, name: str, *, but=None) -> str:
    name = name.strip()[:120]
    if not name:
        raise ProvisioningError("A team needs a displayName.", field="displayName")
    taken = organisation.teams.annotate(lower=Lower("name")).filter(lower=name.lower())
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if taken.exists():
        raise ConflictError(f"A team named {name!r} already exists.", field="displayName")
    return name


def _members(organisation: Organisation, member_ids) -> list[User]:
    ids = {int(pk) for pk in member_ids}
    found = list(people_of(organisation).filter(pk__in=ids))
    if len(found) != len(ids):
        raise ProvisioningError(
            "A member is not one of this organisation's people.", field="members"
        )
    return found


@transaction.atomic
def create_team(organisation: Organisation, facts: TeamFacts, *, via: str) -> Team:
    name = _check_team_name(organisation, facts.name)
    members = _members(organisation, facts.member_ids or [])
    team = Team.objects.create(organisation=organisation, name=name)
    ProvisionedTeam.objects.create(team=team, external_id=facts.external_id)
    audit.record(
        kind=audit.Kind.TEAM_PROVISIONED,
        organisation=organisation,
        target=f"Team “{team.name}” ({_via(via)})",
    )
    _set_learners(team, members)
    return team


@transaction.atomic
def update_team(organisation: Organisation, team: Team, facts: TeamFacts, *, via: str) -> Team:
    name = _check_team_name(organisation, facts.name, but=team)
    link, _ = ProvisionedTeam.objects.get_or_create(team=team)
    if name != team.name:
        audit.record(
            kind=audit.Kind.TEAM_PROVISIONING_UPDATED,
            organisation=organisation,
            target=f"Team “{name}” ({_via(via)})",
            details={"renamed_from": team.name},
        )
        team.name = name
        team.save(update_fields=["name"])
    link.external_id = facts.external_id
    link.version = F("version") + 1
    link.save(update_fields=["external_id", "version", "updated_at"])
    link.refresh_from_db(fields=["version"])
    team.provisioned = link
    if facts.member_ids is not None:
        _set_learners(team, _members(organisation, facts.member_ids))
    return team


def _set_learners(team: Team, members: list[User]) -> None:
    """The team's learners become `members` (managers are set in Socialcraft, not by SCIM)."""
    wanted = {user.pk: user for user in members}
    current = Membership.objects.filter(team=team, role=Membership.Role.LEARNER).select_related(
        "user", "team__organisation"
    )
    leaving = [m for m in current if m.user_id not in wanted]
    staying = {m.user_id for m in current}
    for membership in leaving:
        membership.delete()
        learner_services.record_membership(
            kind=audit.Kind.MEMBERSHIP_REMOVED, membership=membership
        )
    joined = [
        Membership.objects.create(user=user, team=team, role=Membership.Role.LEARNER)
        for pk, user in wanted.items()
        if pk not in staying
    ]
    for membership in joined:
        learner_services.record_membership(kind=audit.Kind.MEMBERSHIP_ADDED, membership=membership)
    if leaving or joined:
        learner_services.teams_changed(
            learner_ids={m.user_id for m in leaving} | {m.user_id for m in joined},
            joined=joined,
        )


@transaction.atomic
def delete_team(organisation: Organisation, team: Team, *, via: str) -> None:
    """SCIM's DELETE of a group: the team and its assignments go; its people keep their own
    progress and certificates."""
    learner_ids = set(
        Membership.objects.filter(team=team, role=Membership.Role.LEARNER).values_list(
            "user_id", flat=True
        )
    )
    name = team.name
    team.delete()
    audit.record(
        kind=audit.Kind.TEAM_DEPROVISIONED,
        organisation=organisation,
        target=f"Team “{name}” ({_via(via)})",
    )
    learner_services.teams_changed(learner_ids=learner_ids)
