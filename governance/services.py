"""Social governance: publishing the policy to everyone, promoting a practice draft into it,
who may see which part of the clearance roster, and what /me/ and the team dashboard show of it.

The policy rows themselves are written by `governance.policy`.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from celery import current_app
from django.db import connection, models, router, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from core.prepared import PreparedRead, prepared
from learners.models import Membership, Organisation, Team, User
from learners.selectors import name_to_sort, sorts_its_people
from ledger import messaging, notices, outbox
from progress import tallies
from progress.models import Certificate, Submission

from . import clearance
from . import policy as policies
from .models import ClearanceLevel, PolicyAcknowledgement, PolicyVersion

POLICY_UPDATE = "policy_update"
POLICY_VERSION = "policy_version"  # the outbox's kind for announcing a published version
POLICY_ASSIGNMENT_TITLE = "Write your team's social media policy"
ANNOUNCE_BATCH = 200  # people per task: a retried batch re-checks at most this many ledger keys


def members_of(organisation: Organisation) -> QuerySet[User]:
    """Active people with any role in any team of the organisation. `IN (subquery)`, not a join:
    nobody is repeated without a DISTINCT over every column (counting 50,000 that way took the
    policy editor 42 ms)."""
    memberships = Membership.objects.filter(team__organisation=organisation)
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id"))


def count_members(organisation: Organisation) -> int:
    """How many people `members_of(organisation)` holds, without counting them one by one (19 ms
    of PostgreSQL for 50,000): its active learners from the teams' headcounts
    (`progress.tallies`), and the few active managers who learn in none of its teams."""
    teams = f"SELECT t.id FROM {Team._meta.db_table} t WHERE t.organisation_id = %s"  # noqa: S608  # nosec B608
    membership = Membership._meta.db_table
    sql = f"""SELECT {tallies.active_learners_sql(teams)}
        + (SELECT COUNT(DISTINCT m.user_id) FROM {membership} m
           JOIN {User._meta.db_table} u ON u.id = m.user_id
           WHERE m.role = %s AND u.is_active AND m.team_id IN ({teams})
             AND NOT EXISTS (SELECT 1 FROM {membership} l WHERE l.user_id = m.user_id
                             AND l.role = %s AND l.team_id IN ({teams})))"""  # noqa: S608  # nosec B608
    pk = organisation.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, pk, Membership.Role.MANAGER, pk, Membership.Role.LEARNER, pk])
        return int(cursor.fetchone()[0])  # PostgreSQL sums to a decimal


def learners_of(teams, *, walking_names: bool = False) -> QuerySet[User]:
    """Active learners of `teams` (a queryset or list of teams).

    `IN (subquery)`, not a join: nobody is repeated, so no DISTINCT, and PostgreSQL picks its
    way in: from the teams' memberships or (for the first page of a large team, sorted by name)
    walking the name index and stopping at 50. SQLite, which has no statistics to weigh them,
    always starts from the memberships and sorts them all (a team of 10,000: 3 ms; every
    learner: 14 ms). `walking_names` asks the same as a correlated EXISTS, which SQLite answers
    by walking the name index (0.1 ms) and PostgreSQL plans as the same semi-join: for a scope
    too large to sort (learners.selectors.sorts_its_people)."""
    learning = Membership.objects.filter(team__in=teams, role=Membership.Role.LEARNER)
    if walking_names:
        return User.objects.filter(Exists(learning.filter(user_id=OuterRef("pk"))), is_active=True)
    return User.objects.filter(pk__in=learning.values("user_id"), is_active=True)


# -- publishing and announcing ---------------------------------------------------------------


@transaction.atomic
def publish_policy(*, organisation: Organisation, by: User) -> PolicyVersion:
    """Publish the organisation's draft and, once committed, ask everyone to acknowledge it.

    Raises governance.policy.PolicyError when the draft can't be published.
    """
    version = policies.publish_draft(organisation=organisation, by=by)
    # Through the outbox: a broker that is down delays the announcement, not the publish.
    outbox.announce(POLICY_VERSION, version.pk)
    return version


def _task(name: str):
    """A task of governance.tasks (registered under its old name, progress.tasks.*), by name:
    that module imports this one, so not the reverse."""
    return current_app.tasks[f"progress.tasks.{name}"]


def announce_policy_version(*, version_id: int) -> int:
    """Queue the "please acknowledge" message for every member, in batches; returns how many
    people were queued. Safe to run twice: each message is claimed under its ledger key."""

    version = (
        PolicyVersion.objects.select_related("policy__organisation").filter(pk=version_id).first()
    )
    if version is None or not version.is_published:
        return 0
    ids = list(members_of(version.policy.organisation).order_by("pk").values_list("pk", flat=True))
    for batch in itertools.batched(ids, ANNOUNCE_BATCH):
        _task("send_policy_updates").delay(version_id=version_id, user_ids=list(batch))
    return len(ids)


def policy_update_key(*, version_id: int, user_id: int) -> str:
    return f"{POLICY_UPDATE}:{version_id}:{user_id}"


def send_policy_updates(*, version_id: int, user_ids: list[int]) -> int:
    """Send each person the new version's summary and a link to acknowledge it, once per person
    and version (the ledger key). Returns how many were sent now."""
    version = (
        PolicyVersion.objects.select_related("policy__organisation").filter(pk=version_id).first()
    )
    if version is None or not version.is_published:
        return 0
    path = reverse("governance:policy")
    url = messaging.absolute(path)
    people = list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))
    organisation = version.policy.organisation
    notices.record(
        [
            notices.Event(
                recipient_id=user.pk,
                key=policy_update_key(version_id=version.pk, user_id=user.pk),
                kind=POLICY_UPDATE,
                title=f"{organisation}'s social media policy, version {version.number}: "
                "please read and acknowledge it",
                url=path,
            )
            for user in people
        ]
    )
    sent = 0
    for user in people:
        message = messaging.send_message(
            key=policy_update_key(version_id=version.pk, user_id=user.pk),
            kind=POLICY_UPDATE,
            to_email=user.email,
            recipient=user,
            context={
                "person": user,
                "version": version,
                "organisation": version.policy.organisation,
                "policy_url": url,
            },
        )
        sent += message is not None
    return sent


# -- promoting the strategy lead's practice draft ---------------------------------------------


def is_policy_assignment(submission: Submission) -> bool:
    return submission.assignment.title.strip().casefold() == POLICY_ASSIGNMENT_TITLE.casefold()


def promotable_to(user: User, submission: Submission) -> Organisation | None:
    """The organisation whose policy draft `user` may fill from this submission, if any: an
    approved "Write your team's social media policy", by someone in an organisation whose
    policy `user` owns. Two queries at most."""
    if not user.is_authenticated or submission.status != Submission.Status.APPROVED:
        return None
    if not is_policy_assignment(submission):
        return None
    return (
        policies.owned_organisations(user)
        .filter(teams__memberships__user_id=submission.learner_id)
        .order_by("name")
        .first()
    )


@transaction.atomic
def promote_submission(*, submission: Submission, by: User) -> PolicyVersion:
    """Copy an approved policy draft into the organisation's policy draft (replacing its text;
    the summary and effective date are kept). Raises PolicyError when `by` may not."""
    organisation = promotable_to(by, submission)
    if organisation is None:
        raise policies.PolicyError("This submission can't become your organisation's policy.")
    return policies.save_draft(
        organisation=organisation,
        body=submission.text_markdown,
        source_submission_id=submission.pk,
    )


# -- the roster's scopes ----------------------------------------------------------------------


class RosterPerson(NamedTuple):
    """Someone as the roster lists them: read as plain values, not as a `User` (making fifty
    model instances was a tenth of the roster's reading)."""

    pk: int
    email: str
    display_name: str
    team_name: str | None  # the first team (in scope) they learn in

    name = User.name  # the account's own rule for the name shown


ROSTER_PERSON_FIELDS = RosterPerson._fields


@dataclass
class Scope:
    """Part of one organisation a person may see on the roster: all of it, or some teams."""

    organisation: Organisation
    teams: list[Team] | None  # None: the whole organisation

    @property
    def label(self) -> str:
        if self.teams is None:
            return f"{self.organisation.name} (everyone)"
        return f"{self.organisation.name}: {', '.join(team.name for team in self.teams)}"

    def people(self, *, walking_names: bool = False) -> QuerySet[User]:
        """Learners in scope (the roster is about people who speak for the organisation).
        `walking_names`: to be read in name order through the name index (`learners_of`)."""
        teams = (
            Team.objects.filter(organisation=self.organisation)
            if self.teams is None
            else self.teams
        )
        return learners_of(teams, walking_names=walking_names)

    def people_rows(self, *, sort: bool = False, per_person: bool = False) -> QuerySet[User]:
        """The people with the first team (in scope) each learns in, sorted by name. One query.
        `sort`: sorted rather than read through the name index (a few people: see
        learners.selectors.sorts_its_people). `per_person`: the scope asked of each person (a
        correlated EXISTS) even when sorted, for a filter that names the people to start from
        (clearance.Rules.names_its_people)."""
        if self._one_team is not None:
            return self._sorted_people(sort, per_person).annotate(
                team_name=Value(self._one_team.name)
            )
        teams = Membership.objects.filter(
            user=OuterRef("pk"),
            role=Membership.Role.LEARNER,
            team__organisation=self.organisation,
        )
        if self.teams is not None:
            teams = teams.filter(team__in=self.teams)
        return self._sorted_people(sort, per_person).annotate(
            team_name=Subquery(teams.order_by("team__name").values("team__name")[:1])
        )

    def _sorted_people(self, sort: bool = False, per_person: bool = False) -> QuerySet[User]:
        people = self.people(walking_names=not sort or per_person)
        return people.order_by(name_to_sort() if sort else "display_name", "email", "pk")

    @property
    def _one_team(self) -> Team | None:
        """The scope's team when it is one team: everyone in it learns there, so nobody's team
        needs looking up (a lookup per person cost as much as finding the page's people)."""
        return self.teams[0] if self.teams is not None and len(self.teams) == 1 else None

    def pairs_sql(self) -> tuple[str, tuple]:
        """`people()` as the SQL of clearance.people_pairs, for counting (compiled once)."""
        if self.teams is None:
            return _organisation_pairs.sql(organisation_id=self.organisation.pk)
        return _team_pairs.sql(organisation_id=self.organisation.pk, team_ids=self._team_ids)

    def teams_sql(self) -> tuple[str, list]:
        """The ids of the scope's teams, as SQL (for clearance.counts)."""
        table = connection.ops.quote_name(Team._meta.db_table)
        if self.teams is None:
            return f"SELECT id FROM {table} WHERE organisation_id = %s", [self.organisation.pk]  # noqa: S608  # nosec B608
        ids = self._team_ids or [0]  # no team: nobody (ids start at 1)
        return f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids  # noqa: S608  # nosec B608

    def rows_page(
        self, *, offset: int, limit: int, people: int | None = None
    ) -> list[RosterPerson]:
        """A page of `people_rows()`, with their names and email only (compiled once).
        `people`: how many the scope has, when known."""
        reads = _SORTED_ROWS if sorts_its_people(people) else _ROWS
        if self.teams is None:
            rows = reads.organisation.page(
                organisation_id=self.organisation.pk, offset=offset, limit=limit
            )
        elif (team := self._one_team) is not None:
            rows = reads.one_team.page(team_id=team.pk, offset=offset, limit=limit)
            return [RosterPerson(*row, team.name) for row in rows]
        else:
            rows = reads.teams.page(
                organisation_id=self.organisation.pk,
                team_ids=self._team_ids,
                offset=offset,
                limit=limit,
            )
        return [RosterPerson(*row) for row in rows]

    @property
    def _team_ids(self) -> list[int]:
        return [team.pk for team in self.teams or ()]


def _scope_of(organisation_id: int, team_ids: list[int] | None = None) -> Scope:
    """A scope known by ids, for the reads below to compile once (core.prepared)."""
    teams = None if team_ids is None else [Team(pk=pk) for pk in team_ids]
    return Scope(Organisation(pk=organisation_id), teams)


def _row_fields(rows: QuerySet[User]) -> QuerySet:
    return rows.values_list(*ROSTER_PERSON_FIELDS)


_organisation_pairs = prepared(
    lambda organisation_id: clearance.people_pairs(
        _scope_of(organisation_id).people(), organisation_id
    )
)
_team_pairs = prepared(
    lambda organisation_id, team_ids: clearance.people_pairs(
        _scope_of(organisation_id, team_ids).people(), organisation_id
    )
)


class _RowsReads(NamedTuple):
    organisation: PreparedRead
    one_team: PreparedRead  # everyone's team is that team, so no name is looked up
    teams: PreparedRead


def _rows_reads(sort: bool) -> _RowsReads:
    """The roster's page reads, sorted or through the name index (see Scope.people_rows)."""
    return _RowsReads(
        prepared(
            lambda organisation_id: _row_fields(_scope_of(organisation_id).people_rows(sort=sort))
        ),
        prepared(
            lambda team_id: (
                _scope_of(0, [team_id])
                ._sorted_people(sort)
                .values_list("pk", "email", "display_name")
            )
        ),
        prepared(
            lambda organisation_id, team_ids: _row_fields(
                _scope_of(organisation_id, team_ids).people_rows(sort=sort)
            )
        ),
    )


_ROWS = _rows_reads(sort=False)
_SORTED_ROWS = _rows_reads(sort=True)


def roster_scopes(user: User) -> list[Scope]:
    """What `user` may see on the roster: whole organisations they own the policy of (every
    organisation for staff), and the teams they manage elsewhere. One query, compiled once (the
    roster reads it on every visit)."""
    read = _scope_rows_for_staff if user.is_staff else _scope_rows
    using = router.db_for_read(Organisation)
    organisations: dict[int, Organisation] = {}
    owned: set[int] = set()
    teams: dict[int, list[Team]] = defaultdict(list)
    for row in read(user_id=user.pk):
        organisation_values, team_values = row[:_ORGANISATION_COLUMNS], row[_ORGANISATION_COLUMNS:]
        pk = organisation_values[0]
        if pk not in organisations:
            organisations[pk] = Organisation.from_db(
                using, _ORGANISATION_FIELDS, organisation_values
            )
        if team_values[0] is None:
            owned.add(pk)
        else:
            team = Team.from_db(using, _TEAM_FIELDS, team_values)
            team.organisation = organisations[pk]
            teams[pk].append(team)
    scopes = [
        Scope(organisation, None if pk in owned else sorted(teams[pk], key=_by_name))
        for pk, organisation in organisations.items()
    ]
    return sorted(scopes, key=lambda scope: _by_name(scope.organisation))


def _by_name(row: Organisation | Team) -> tuple[str, int]:
    return row.name, row.pk


_ORGANISATION_FIELDS = [field.attname for field in Organisation._meta.concrete_fields]
_ORGANISATION_COLUMNS = len(_ORGANISATION_FIELDS)
_TEAM_FIELDS = [field.attname for field in Team._meta.concrete_fields]


def _scope_parts(user_id: int, organisations: QuerySet[Organisation]) -> QuerySet:
    """The teams `user_id` manages with their organisation, then `organisations` with no team
    (NULLs typed like the team's columns), as rows of both models' columns."""
    managed = Team.objects.filter(
        memberships__user_id=user_id, memberships__role=Membership.Role.MANAGER
    ).values_list(*(f"organisation__{name}" for name in _ORGANISATION_FIELDS), *_TEAM_FIELDS)
    no_team = {f"no_{field.attname}": _typed_null(field) for field in Team._meta.concrete_fields}
    whole = organisations.annotate(**no_team).values_list(*_ORGANISATION_FIELDS, *no_team)
    return managed.order_by().union(whole.order_by())  # UNION: each team and organisation once


def _typed_null(field: models.Field) -> Cast:
    """NULL as the column's type, so both databases read the union's column as that type."""
    if field.is_relation or isinstance(field, models.AutoField | models.BigAutoField):
        return Cast(Value(None), output_field=models.BigIntegerField())
    return Cast(Value(None), output_field=field.__class__())


_scope_rows = prepared(
    lambda user_id: _scope_parts(
        user_id, Organisation.objects.filter(policy_owners__user_id=user_id)
    )
)
_scope_rows_for_staff = prepared(lambda user_id: _scope_parts(user_id, Organisation.objects.all()))


# -- "My learning" -----------------------------------------------------------------------------


@dataclass
class MyGovernance:
    """The policy versions a person still has to acknowledge and the levels they hold."""

    has_policy: bool  # an organisation of theirs has published one
    pending: list[PolicyVersion]
    clearances: list[tuple[Organisation, list]]  # (organisation, [clearance.LevelStatus])


def _organisations_of(user: User | int) -> QuerySet[Organisation]:
    """The organisations of the person's teams (as a subquery)."""
    return Organisation.objects.filter(teams__memberships__user=user).values("pk")


@dataclass
class _PolicyStanding:
    states: dict[int, policies.PolicyState]  # organisations with a published policy only
    acks: dict[int, list[tuple[int, datetime]]]  # by organisation: (version number, when)
    pending: list[PolicyVersion]


def _policy_standing(user: User, today) -> _PolicyStanding:
    """The published policy versions of the person's organisations, their acknowledgements of
    them and the versions still to acknowledge (each policy's newest published version, unless
    acknowledged). One query."""
    by_organisation: dict[int, list[PolicyVersion]] = defaultdict(list)
    acks: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for version in _published_versions_with_my_acknowledgement(user_id=user.pk):
        organisation_id = version.policy.organisation_id
        by_organisation[organisation_id].append(version)
        if version.my_acknowledged_at is not None:
            acks[organisation_id].append((version.number, version.my_acknowledged_at))
    states = {
        organisation_id: policies.state_of(versions[0].policy.organisation, versions, today=today)
        for organisation_id, versions in by_organisation.items()
    }
    pending = [
        versions[0]
        for versions in by_organisation.values()
        if versions[0].my_acknowledged_at is None
    ]
    return _PolicyStanding(states=states, acks=acks, pending=pending)


@prepared  # compiled once: /me/ reads it on every visit
def _published_versions_with_my_acknowledgement(user_id: int):
    acknowledged = PolicyAcknowledgement.objects.filter(user_id=user_id, version=OuterRef("pk"))
    return (
        PolicyVersion.objects.published()
        .filter(policy__organisation__in=_organisations_of(user_id))
        .select_related("policy__organisation", "published_by")
        .defer(*policies.TEXT_FIELDS)  # /me/ shows what changed, not the text
        .annotate(my_acknowledged_at=Subquery(acknowledged.values("acknowledged_at")[:1]))
        .order_by("policy__organisation__name", "policy__organisation_id", "-number")
    )


def versions_to_acknowledge(user: User) -> list[PolicyVersion]:
    """The policy versions the person still has to acknowledge. One query."""
    return _policy_standing(user, timezone.localdate()).pending


def my_governance(user: User, *, now=None, certificates=None, submissions=None) -> MyGovernance:
    """For /me/: the policy versions to acknowledge and the levels held, in every organisation
    of the person's teams. Two queries (versions with their acknowledgements; levels), however
    many organisations there are. `certificates` and `submissions` (the newest version of each
    assignment): the person's, when the page has read them already; otherwise one query each."""
    now = now or timezone.now()
    standing = _policy_standing(user, timezone.localdate(now))
    levels_by_organisation = clearance.levels_in_organisations_of(user)
    clearances = []
    if levels_by_organisation:
        if certificates is None:
            certificates = Certificate.objects.filter(learner=user)
        by_track = {certificate.track_id: certificate for certificate in certificates}
        if submissions is None:
            approvals = clearance.approvals_of([user.pk], _assignments(levels_by_organisation))
            approvals = approvals.get(user.pk, {})
        else:
            approvals = clearance.approvals_in(submissions)
        for levels in levels_by_organisation.values():
            organisation = levels[0].organisation
            rules = clearance.Rules(
                organisation,
                now=now,
                levels=levels,
                policy=standing.states.get(organisation.pk)
                or policies.PolicyState(organisation=organisation),
            )
            clearances.append(
                (organisation, rules.statuses(standing.acks[organisation.pk], by_track, approvals))
            )
    return MyGovernance(
        has_policy=bool(standing.states), pending=standing.pending, clearances=clearances
    )


def _assignments(levels_by_organisation: dict[int, list[ClearanceLevel]]) -> set[int]:
    return {
        level.assignment_id
        for levels in levels_by_organisation.values()
        for level in levels
        if level.assignment_id
    }


def team_clearance(manager: User) -> list[tuple[Organisation, list]]:
    """For the team dashboard: per organisation of the manager's teams that defines levels, how
    many of their people hold, lost or lack each level. Two queries, whatever the number of
    organisations (staff see every team) and people."""
    return clearance.team_summaries(manager)
