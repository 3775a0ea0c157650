"""What an organisation's token may read, as querysets the views page through.

One rule says whose records an organisation sees (`people_in`): the people in its teams, as
learners or managers, never staff (the site's own accounts). Their records follow them, as on a
manager's page for a person: enrolments, quiz results and certificates are the person's own,
so a person in two organisations' teams appears to both. What belongs to an organisation stays
with it: another organisation's teams, memberships, team assignments and clearance levels are
never shown.

Each function returns a queryset with what its serializer reads joined in (`select_related`) or
prefetched, so a page costs the same queries whatever its size (tests/api/test_queries.py).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from learners.models import Membership, Organisation, Team, TrackAssignment, User
from progress.models import Certificate, Enrolment, QuizAttempt


@dataclass(frozen=True)
class Filters:
    """The filters every list takes; None: not filtered."""

    team: int | None = None  # a team id (teams have no slug)
    track: str | None = None  # a track slug
    updated_since: datetime | None = None


def people_in(organisation: Organisation) -> QuerySet[User]:
    """The people of the organisation's teams (any role), never staff."""
    here = Membership.objects.filter(user=OuterRef("pk"), team__organisation=organisation)
    return User.objects.filter(Exists(here), is_staff=False)


def _in_team(organisation: Organisation, team_id: int, field: str = "learner") -> Q:
    """Rows whose person is in team `team_id` of the organisation (none for another's team)."""
    members = Membership.objects.filter(team_id=team_id, team__organisation=organisation)
    return Q(**{f"{field}__in": members.values("user_id")})


def people(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[User]:
    """People with their memberships in this organisation's teams (one prefetch)."""
    memberships = (
        Membership.objects.filter(team__organisation=organisation)
        .select_related("team")
        .order_by("team__name", "role")
    )
    return clearance_people(organisation, filters).prefetch_related(
        Prefetch("memberships", queryset=memberships, to_attr="organisation_memberships")
    )


def clearance_people(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[User]:
    """The people, filtered, without their memberships. Updated since: joined the site or one
    of the organisation's teams since then."""
    rows = people_in(organisation)
    if filters.team is not None:
        rows = rows.filter(_in_team(organisation, filters.team, field="pk"))
    if filters.track is not None:
        rows = rows.filter(
            Exists(Enrolment.objects.filter(learner=OuterRef("pk"), track__slug=filters.track))
        )
    if filters.updated_since is not None:
        joined = Membership.objects.filter(
            user=OuterRef("pk"),
            team__organisation=organisation,
            joined_at__gte=filters.updated_since,
        )
        rows = rows.filter(Q(date_joined__gte=filters.updated_since) | Exists(joined))
    return rows


def teams(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[Team]:
    """The organisation's teams with how many learners and managers each has (one query).
    Updated since: created since then. Track: teams the track is assigned to."""
    # A membership of one of its teams is someone of the organisation (people_in) unless it is
    # staff's: counted on the join, without asking for each membership whether its person is
    # one of the organisation's (44 ms for an organisation of 50,000).
    person = Q(memberships__user__is_staff=False)
    rows = organisation.teams.annotate(
        learners=Count("memberships", filter=person & Q(memberships__role=Membership.Role.LEARNER)),
        managers=Count("memberships", filter=person & Q(memberships__role=Membership.Role.MANAGER)),
    )
    if filters.team is not None:
        rows = rows.filter(pk=filters.team)
    if filters.track is not None:
        assigned = TrackAssignment.objects.active().filter(
            team=OuterRef("pk"), track__slug=filters.track
        )
        rows = rows.filter(Exists(assigned))
    if filters.updated_since is not None:
        rows = rows.filter(created_at__gte=filters.updated_since)
    return rows


def assignments(
    organisation: Organisation, filters: Filters = Filters()
) -> QuerySet[TrackAssignment]:
    """Assignments to the organisation's teams, and to its people one by one (as the team
    pages show them). Updated since: made or cancelled since then."""
    rows = TrackAssignment.objects.filter(
        Q(team__organisation=organisation) | Q(learner__in=people_in(organisation).values("pk"))
    ).select_related("track", "assigned_by")
    if filters.team is not None:
        rows = rows.filter(
            Q(team_id=filters.team, team__organisation=organisation)
            | _in_team(organisation, filters.team)
        )
    if filters.track is not None:
        rows = rows.filter(track__slug=filters.track)
    if filters.updated_since is not None:
        since = filters.updated_since
        rows = rows.filter(Q(created_at__gte=since) | Q(cancelled_at__gte=since))
    return rows


def _records(model, organisation: Organisation, filters: Filters, track_field: str) -> QuerySet:
    rows = model.objects.filter(learner__in=people_in(organisation).values("pk"))
    if filters.team is not None:
        rows = rows.filter(_in_team(organisation, filters.team))
    if filters.track is not None:
        rows = rows.filter(**{f"{track_field}__slug": filters.track})
    return rows


def enrolments(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[Enrolment]:
    """Enrolments of the organisation's people with their stored figures (progress.rollups).
    Updated since: enrolled, active or completed since then."""
    rows = _records(Enrolment, organisation, filters, "track").select_related("track")
    if filters.updated_since is not None:
        since = filters.updated_since
        rows = rows.filter(
            Q(enrolled_at__gte=since) | Q(last_activity_at__gte=since) | Q(completed_at__gte=since)
        )
    return rows


def quiz_results(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[QuizAttempt]:
    """Quiz attempts of the organisation's people: score, pass and when. Their answers are never
    read (deferred), so no serializer can show them. Updated since: submitted since then."""
    rows = (
        _records(QuizAttempt, organisation, filters, "quiz__lesson__track")
        .select_related("quiz__lesson__track")
        .only(
            "pk", "learner_id", "number", "score", "passed", "submitted_at",
            "quiz__pass_mark", "quiz__lesson__slug", "quiz__lesson__title",
            "quiz__lesson__track__slug",
        )
    )  # fmt: skip
    if filters.updated_since is not None:
        rows = rows.filter(submitted_at__gte=filters.updated_since)
    return rows


def certificates(organisation: Organisation, filters: Filters = Filters()) -> QuerySet[Certificate]:
    """Certificates of the organisation's people. Updated since: issued, renewed or revoked
    since then (a certificate also expires with time alone: read `expires_at`)."""
    rows = _records(Certificate, organisation, filters, "track").select_related("track")
    if filters.updated_since is not None:
        since = filters.updated_since
        rows = rows.filter(
            Q(issued_at__gte=since) | Q(renewed_at__gte=since) | Q(revoked_at__gte=since)
        )
    return rows


def clearances(organisation: Organisation, people_page: list[User]) -> dict:
    """{user id: [LevelStatus, …]} for a page of people, for this organisation's levels only:
    everyone's records in one query (governance.clearance.Rules; the levels and policy are
    kept by the worker), whatever the page's size."""
    from governance.clearance import Rules

    rules = Rules(organisation)
    found = rules.evaluate([person.pk for person in people_page])
    return {person.pk: found.get(person.pk) or rules.empty() for person in people_page}
