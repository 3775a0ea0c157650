"""Reads about people: who manages whom."""

from django.db.models import QuerySet

from .models import Membership, Team, User


def managed_learners(manager: User) -> QuerySet[User]:
    """Learners in the teams `manager` manages (one subquery; chain it, don't loop)."""
    teams = Membership.objects.filter(user=manager, role=Membership.Role.MANAGER).values("team_id")
    return User.objects.filter(
        memberships__team_id__in=teams, memberships__role=Membership.Role.LEARNER
    ).distinct()


def is_manager_of(manager: User, learner: User) -> bool:
    return managed_learners(manager).filter(pk=learner.pk).exists()


def has_manager(learner: User) -> bool:
    teams = Membership.objects.filter(user=learner, role=Membership.Role.LEARNER).values("team_id")
    return Membership.objects.filter(team_id__in=teams, role=Membership.Role.MANAGER).exists()


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
