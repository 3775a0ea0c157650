"""Reads about people: who manages whom."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from core.prepared import prepared

from .models import Membership, Organisation, Team, User

# -- lists of people by name -------------------------------------------------------------
#
# The team dashboard's first page and the roster list people by name through the users' name
# index (User.Meta): PostgreSQL finds a large scope's first 50 by walking it. For a scope that
# is a small share of the users the walk reads nearly all of them (a team of three among
# 50,000 learners: 90 ms of PostgreSQL's time a page). Sorting the scope's people costs about
# one lookup each, so a scope of up to FEW_PEOPLE is sorted by `name_to_sort`, the same order
# written so that the index cannot serve it.
FEW_PEOPLE = 1_000
NAME_TO_SORT_SQL = "({table}.display_name || '')"


def sorts_its_people(people: int | None) -> bool:
    """Whether a list of `people` (None: not known) is sorted rather than read by the index."""
    return people is not None and people <= FEW_PEOPLE


def name_to_sort() -> Concat:
    return Concat("display_name", Value(""))


# -- who reviews a learner's practice work (issue 22, item 3) -----------------------------
#
# The learner's managers; for a learner whose teams have no (active) manager, the reviewers
# their organisation named; failing those, staff. Staff may review anyone's work.


def _teams_with_a_manager() -> QuerySet:
    return Membership.objects.filter(role=Membership.Role.MANAGER, user__is_active=True).values(
        "team_id"
    )


def _managers_of(learner: User) -> QuerySet[User]:
    teams = Membership.objects.filter(user=learner, role=Membership.Role.LEARNER).values("team_id")
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Membership.Role.MANAGER,
            memberships__team_id__in=teams,
        )
        .exclude(pk=learner.pk)
        .distinct()
    )


def _named_reviewers_of(learner: User) -> QuerySet[User]:
    organisations = Membership.objects.filter(user=learner, role=Membership.Role.LEARNER).values(
        "team__organisation_id"
    )
    return (
        User.objects.filter(is_active=True, reviewer_for__in=organisations)
        .exclude(pk=learner.pk)
        .distinct()
    )


@dataclass(frozen=True)
class ReviewRoute:
    by: str  # "manager", "organisation" or "staff"
    reviewers: QuerySet[User]

    @property
    def described(self) -> str:
        return {
            "manager": "your manager",
            "organisation": "your organisation's reviewers",
            "staff": "a Socialcraft administrator",
        }[self.by]


def review_route(learner: User) -> ReviewRoute:
    """Who reviews `learner`'s practice work, and why them. Two queries at most."""
    managers = _managers_of(learner)
    if managers.exists():
        return ReviewRoute("manager", managers.order_by("pk"))
    named = _named_reviewers_of(learner)
    if named.exists():
        return ReviewRoute("organisation", named.order_by("pk"))
    return ReviewRoute("staff", User.objects.filter(is_active=True, is_staff=True).order_by("pk"))


def reviewed_learners(user: User, *, person: str = "pk") -> Q:
    """The mirror of review_route, as a filter on User: the learners whose work `user` reviews
    (apart from staff, who review everyone). Subqueries only: chain it, don't loop.

    `person` names the column holding the person when filtering other rows (a submission's
    "learner_id"): filtering them through a users subquery made PostgreSQL join every user to
    every row it walked (a review inbox of 10,000 people: 35 ms, against 1 ms this way)."""
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id")
    named_for = Organisation.reviewers.through.objects.filter(user=user).values("organisation_id")
    unmanaged_in_named = Membership.objects.filter(
        role=Membership.Role.LEARNER, team__organisation_id__in=named_for
    ).exclude(
        Exists(
            Membership.objects.filter(
                user_id=OuterRef("user_id"),
                role=Membership.Role.LEARNER,
                team_id__in=_teams_with_a_manager(),
            )
        )
    )
    learners_of_managed = Membership.objects.filter(
        role=Membership.Role.LEARNER, team_id__in=managed
    )
    return Q(**{f"{person}__in": learners_of_managed.values("user_id")}) | Q(
        **{f"{person}__in": unmanaged_in_named.values("user_id")}
    )


def is_a_named_reviewer(user: User) -> bool:
    return Organisation.reviewers.through.objects.filter(user=user).exists()


def is_a_manager(user: User) -> bool:
    """Who may open the team pages: staff, and anyone who manages at least one team."""
    return (
        user.is_staff or Membership.objects.filter(user=user, role=Membership.Role.MANAGER).exists()
    )


def placement_track(role):
    """The track a role starts with: its first published track."""
    from courses.models import Track

    return Track.objects.published().filter(role=role).order_by("position", "title").first()


def placement_modules(track) -> list:
    """The self-assessment statements: one per module of the role's track (at most 8)."""
    return list(track.modules.current().order_by("position")[:8]) if track else []


def skim_module_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    from .models import Placement

    return set(
        Placement.skim_modules.through.objects.filter(placement__user=user).values_list(
            "module_id", flat=True
        )
    )


# -- the teams a manager manages, and their learners (staff manage every team) ----------


def managed_teams(user: User) -> QuerySet[Team]:
    """Teams `user` manages; staff manage every team."""
    teams = Team.objects.select_related("organisation")
    if user.is_staff:
        return teams
    return teams.filter(
        memberships__user=user, memberships__role=Membership.Role.MANAGER
    ).distinct()


def managed_team_ids(user: User, *, only: int | None = None) -> QuerySet:
    """The ids of the teams `user` manages (or the team with id `only`, if they manage it), as
    a subquery: cheaper than managed_teams' join and DISTINCT inside the team pages' queries."""
    if user.is_staff:
        teams = Team.objects.all() if only is None else Team.objects.filter(pk=only)
        return teams.values("pk")
    memberships = Membership.objects.filter(user=user, role=Membership.Role.MANAGER)
    if only is not None:
        memberships = memberships.filter(team_id=only)
    return memberships.values("team_id")


_every_team_id = prepared(lambda: managed_team_ids(User(is_staff=True)))
_team_ids_managed_by = prepared(lambda manager_id: managed_team_ids(User(pk=manager_id)))


def managed_team_ids_sql(user: User) -> tuple[str, tuple]:
    """managed_team_ids(user) as SQL and its parameters (compiled once), for queries written as
    SQL around it."""
    if user.is_staff:
        return _every_team_id.sql()
    return _team_ids_managed_by.sql(manager_id=user.pk)


def learner_ids_in(team_ids) -> QuerySet:
    """The ids of the people learning in these teams, as a subquery (repeats are harmless in
    the `IN (...)` it is meant for)."""
    return Membership.objects.filter(team_id__in=team_ids, role=Membership.Role.LEARNER).values(
        "user_id"
    )


def team_learners(teams) -> QuerySet[User]:
    return User.objects.filter(
        memberships__team__in=teams, memberships__role=Membership.Role.LEARNER
    ).distinct()


# -- two-step sign-in (issue 24, item 2) --------------------------------------------------
#
# The one place that says who must sign in with a second factor. The signed-in user is
# loaded with both answers below (learners.backends), so the check costs no query per
# request; a user loaded some other way costs one query per answer.

SECOND_FACTOR_TYPES = ("totp", "webauthn")  # recovery codes only stand in for one of these


def second_factor_annotations() -> dict:
    """Two EXISTS subqueries on User: an organisation of theirs asks password accounts for a
    second factor; they have an authenticator app or a security key."""
    from allauth.mfa.models import Authenticator

    return {
        "organisation_asks_second_factor": Exists(
            Membership.objects.filter(
                user_id=OuterRef("pk"),
                team__organisation__password_accounts_need_second_factor=True,
            )
        ),
        "has_second_factor": Exists(
            Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=SECOND_FACTOR_TYPES)
        ),
    }


def _second_factor_fact(user: User, name: str) -> bool:
    value = getattr(user, name, None)
    if value is None:
        value = (
            User.objects.filter(pk=user.pk)
            .annotate(**{name: second_factor_annotations()[name]})
            .values_list(name, flat=True)
            .get()
        )
    return bool(value)


def second_factor_required(user: User) -> bool:
    """Whether `user` must have a second factor before using the site.

    Staff (and superusers) while settings.MFA_REQUIRED_FOR_STAFF is on, which it is unless
    DEBUG is; anyone who signs in with a password and belongs to a team of an organisation
    with `password_accounts_need_second_factor` (accounts without a password sign in through
    their organisation's provider, whose own rules apply). Anonymous visitors: never."""
    if not user.is_authenticated:
        return False
    if (user.is_staff or user.is_superuser) and settings.MFA_REQUIRED_FOR_STAFF:
        return True
    return user.has_usable_password() and _second_factor_fact(
        user, "organisation_asks_second_factor"
    )


def has_second_factor(user: User) -> bool:
    """An authenticator app or a security key/passkey is set up (recovery codes alone aren't)."""
    return user.is_authenticated and _second_factor_fact(user, "has_second_factor")


def second_factor_missing(user: User) -> bool:
    """Required and not set up: the person is sent to the setup page (learners.middleware)."""
    return second_factor_required(user) and not has_second_factor(user)
