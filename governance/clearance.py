"""Who is cleared for what, computed from people's records (never ticked by hand).

An organisation's clearance level (learners.ClearanceLevel, e.g. "Can post for the brand") asks
for an acknowledgement of the organisation's *current* policy version, a valid (unexpired)
certificate for each of its tracks and, optionally, an approved practice assignment. A person
holds the level since the latest of those dates.

Someone who is not cleared only because the policy moved on (they acknowledged an earlier
version) or a certificate expired has *lost* the clearance, since the moment that happened; a
person who never met a requirement is simply *not cleared*.

`Rules(organisation, now=...)` takes the levels and the policy (two queries, read once per worker
until they change: `kept_rules_of`);
`Rules.evaluate(people)` reads the records of any number of people in one more: the people are
a subquery, so a team of 5 and an organisation of 5,000 cost the same queries. It
builds every check (with its dates and reasons) in Python, so it is for the people a page shows.

Counting and filtering whole teams reads stored figures instead: one `LevelHolding` row per
person and level they hold or held, rewritten by `refresh_holdings` whenever an acknowledgement,
a certificate, an approval or a level changes. What time alone changes (a new policy version
taking effect, a certificate expiring) is compared when reading, so nothing goes stale
overnight. `summary()` counts everyone in one query; the roster filters with `Rules.condition()`
and pages in SQL. Tests compare the stored rule with `Rules.evaluate` person by person.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from django.db import connections, router, transaction
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from core.prepared import PreparedRead, prepared
from courses import page_cache
from courses.models import Track
from courses.selectors import page_track, tracks_by_id
from learners.models import Membership, Organisation, Team, User
from learners.selectors import managed_team_ids, managed_team_ids_sql
from progress.models import Certificate, SharedLearning, Submission, TeamHeadcount

from .models import (
    ClearanceLevel,
    LevelHolding,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    TeamClearanceTally,
)
from .policy import PolicyState, effective_at, policy_state, published_versions, state_of

POLICY, CERTIFICATE, ASSIGNMENT = "policy", "certificate", "assignment"
POLICY_CHANGED, CERTIFICATE_EXPIRED = "policy_changed", "certificate_expired"
CERTIFICATE_REVOKED = "certificate_revoked"
CLEARED, LOST, NOT_CLEARED = "cleared", "lost", "not_cleared"
STATUS_LABELS = {CLEARED: "Cleared", LOST: "Lost clearance", NOT_CLEARED: "Not cleared"}


class Check(NamedTuple):
    """One requirement of a level, for one person: met (since when) or not (and why). A tuple,
    not a frozen dataclass: a roster page makes hundreds, and a tuple is made several times
    faster."""

    kind: str
    label: str
    met_at: datetime | None = None
    lapsed_at: datetime | None = None  # it was met until then
    lapse: str = ""  # POLICY_CHANGED, CERTIFICATE_EXPIRED or CERTIFICATE_REVOKED when it lapsed
    expires_at: datetime | None = None  # a met certificate requirement ends then

    @property
    def met(self) -> bool:
        return self.met_at is not None


class CertificateDates(NamedTuple):
    """What the rules read of a certificate (a `Certificate` serves as well)."""

    issued_at: datetime
    renewed_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    # The certificate's own rules, not copies of them.
    certified_at = Certificate.certified_at
    is_revoked = Certificate.is_revoked
    is_expired = Certificate.is_expired


class LevelStatus:
    """One person's standing on one level. Its checks never change once made, so what is
    derived from them is decided once, when it is made (a roster page shows a hundred)."""

    __slots__ = ("checks", "cleared", "level", "lost", "missing", "status")

    def __init__(self, level: ClearanceLevel, checks: list[Check]):
        self.level = level
        self.checks = checks
        self.missing: list[Check] = [check for check in checks if check.met_at is None]
        self.cleared = not self.missing
        # Lost: everything missing was met once and lapsed (never met: not cleared).
        self.lost = bool(self.missing) and all(check.lapse for check in self.missing)
        self.status = CLEARED if self.cleared else LOST if self.lost else NOT_CLEARED

    def __repr__(self) -> str:
        return f"<LevelStatus {self.level}: {self.status}>"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def since(self) -> datetime | None:
        """Cleared since: the latest of the dates the requirements were met."""
        if not self.cleared:
            return None
        return max((check.met_at for check in self.checks), default=None)

    @property
    def lost_since(self) -> datetime | None:
        if not self.lost:
            return None
        return max(check.lapsed_at for check in self.missing)

    @property
    def valid_until(self) -> datetime | None:
        """When a held clearance runs out unless a certificate is renewed."""
        ends = [check.expires_at for check in self.checks if check.expires_at is not None]
        return min(ends) if self.cleared and ends else None

    @property
    def lapse_reasons(self) -> list[str]:
        """Why a lost clearance was lost (empty unless it was)."""
        if not self.lost:
            return []
        return sorted({check.lapse for check in self.missing})

    @property
    def explanation(self) -> str:
        """What is missing, in words (for the roster and its CSV)."""
        return "; ".join(_missing_text(check) for check in self.missing)


def _missing_text(check: Check) -> str:
    if check.lapse == POLICY_CHANGED:
        return f"{check.label}: acknowledged an earlier version"
    if check.lapse == CERTIFICATE_EXPIRED:
        return f"{check.label}: certificate expired {check.lapsed_at:%Y-%m-%d}"
    if check.lapse == CERTIFICATE_REVOKED:
        return f"{check.label}: certificate revoked {check.lapsed_at:%Y-%m-%d}"
    return check.label


def levels_of(organisation: Organisation) -> list[ClearanceLevel]:
    """The organisation's levels with their tracks and assignment. One query, compiled once
    (the roster reads it on every visit)."""
    return _by_organisation(_levels_of_organisation(organisation_id=organisation.pk)).get(
        organisation.pk, []
    )


@prepared
def _levels_of_organisation(organisation_id: int):
    return _levels_in([organisation_id])


def levels_in_organisations_of(user: User) -> dict[int, list[ClearanceLevel]]:
    """`levels_of` for every organisation of the person's teams, by id (for /me/, one query
    compiled once)."""
    return _by_organisation(_levels_in_organisations_of(user_id=user.pk))


@prepared
def _levels_in_organisations_of(user_id: int):
    return _levels_in(Organisation.objects.filter(teams__memberships__user_id=user_id).values("pk"))


def _levels_in(organisations) -> QuerySet[ClearanceLevel]:
    return (
        ClearanceLevel.objects.filter(organisation__in=organisations)
        .select_related("organisation", "assignment")
        # A level names its assignment; the brief (kilobytes of text) stays unread.
        .defer("assignment__brief_markdown", "assignment__brief_html")
        .annotate(
            track_ids=StringAgg(Cast("tracks__id", CharField()), Value(","), default=Value(""))
        )
        .order_by("organisation__name", "organisation_id", "position", "name")
    )


def _by_organisation(levels: list[ClearanceLevel]) -> dict[int, list[ClearanceLevel]]:
    found: dict[int, list[ClearanceLevel]] = defaultdict(list)
    required = {level.pk: {int(pk) for pk in level.track_ids.split(",") if pk} for level in levels}
    tracks = tracks_by_id()
    if any(pks - tracks.keys() for pks in required.values()):
        # A track newer than the worker's copy of the curriculum: never drop a requirement.
        tracks = {track.pk: page_track(track) for track in Track.objects.all()}
    for level in levels:
        level.required_tracks = [track for pk, track in tracks.items() if pk in required[level.pk]]
        found[level.organisation_id].append(level)
    return found


# The levels and policy versions the rules are made of, kept in each worker's memory (they
# change a few times a year, the roster reads them on every visit) until one of them changes
# (`rules_changed`, connected in governance/apps.py) or the curriculum does (the levels name
# tracks): courses.page_cache keeps them under both versions, at most its MAX_AGE.
RULES_VERSION_KEY = "governance:rules-version"


def kept_rules_of(organisation: Organisation) -> tuple[list[ClearanceLevel], list[PolicyVersion]]:
    """The organisation's levels (`levels_of`) and published policy versions, newest first,
    without their texts (none read when it has no level). Read once per worker and version;
    shared by every request, so read-only."""
    key = ("clearance-rules", page_cache.version(RULES_VERSION_KEY), organisation.pk)
    return page_cache.get(key, lambda: _rules_read(organisation))


def _rules_read(organisation: Organisation) -> tuple[list[ClearanceLevel], list[PolicyVersion]]:
    levels = levels_of(organisation)
    return levels, published_versions(organisation, with_text=False) if levels else []


def rules_changed(*, instance=None, action: str = "", **kwargs) -> None:
    """A level, its tracks, a policy, a published version or an organisation was written (a
    signal): every worker reads the rules again, now and once the writer's transaction commits
    (a worker reading in between would keep what was there before). As with the curriculum
    (courses.page_cache), a writer that reads the rules inside its transaction and then rolls
    it back keeps what it read for up to MAX_AGE. Drafts of a policy and the `pre_` steps of
    a change to a level's tracks change nothing the rules read."""
    if action.startswith("pre_"):
        return
    if isinstance(instance, PolicyVersion) and instance.published_at is None:
        return
    page_cache.bump(RULES_VERSION_KEY)
    transaction.on_commit(lambda: page_cache.bump(RULES_VERSION_KEY))


class Rules:
    """An organisation's levels and policy at `now`, ready to evaluate people against."""

    def __init__(
        self,
        organisation: Organisation,
        *,
        now: datetime | None = None,
        levels: list[ClearanceLevel] | None = None,
        policy: PolicyState | None = None,
    ):
        """`levels` and `policy`, when given, were loaded for several organisations at once
        (`levels_in_organisations_of`, the policy standing of /me/); otherwise they are the
        worker's kept copy (`kept_rules_of`)."""
        self.organisation = organisation
        self.now = now or timezone.now()
        today = timezone.localdate(self.now)
        if levels is None and policy is None:
            levels, versions = kept_rules_of(organisation)
            policy = state_of(organisation, versions, today=today)
        self.levels = levels_of(organisation) if levels is None else levels
        if policy is None:
            policy = (
                policy_state(organisation, today=today, with_text=False)
                if self.levels
                else PolicyState(organisation=organisation)
            )
        self.policy: PolicyState = policy
        self.tracks = {track.pk: track for level in self.levels for track in level.required_tracks}
        self.track_ids = set(self.tracks)
        self.assignment_ids = {level.assignment_id for level in self.levels if level.assignment_id}
        # What is the same for everyone, made once (a roster page decides for 50 people).
        current = self.policy.current
        self._policy_label = (
            f"Acknowledge policy version {current.number}"
            if current is not None
            else "Acknowledge the policy (none published yet)"
        )
        self._certificate_labels = {pk: f"Certificate: {t.title}" for pk, t in self.tracks.items()}
        self._no_certificate = {
            pk: Check(CERTIFICATE, label) for pk, label in self._certificate_labels.items()
        }
        self._assignment_labels = {
            level.pk: f"“{level.assignment.title}” approved"
            for level in self.levels
            if level.assignment_id
        }

    def evaluate(self, people: QuerySet[User] | Iterable[int]) -> dict[int, list[LevelStatus]]:
        """Each person's status for every level, keyed by user id. One query.

        `people` is a User queryset (used as a subquery: no limit on its size) or user ids.
        People without records still get an entry when given as ids; with a queryset, read
        the result with `.get(user_id) or rules.empty()`.
        """
        if isinstance(people, QuerySet):
            ids = people.order_by().values("pk")
            known: list[int] = []
        else:
            known = list(people)
            ids = known
        if not self.levels:
            return {user_id: [] for user_id in known}
        acks, certificates, approvals = self._records(ids)
        everyone = set(known) | set(acks) | set(certificates) | set(approvals)
        return {
            user_id: self._statuses(
                acks.get(user_id, []), certificates.get(user_id, {}), approvals.get(user_id, {})
            )
            for user_id in everyone
        }

    # -- the same rule on the stored holdings, for counting and filtering many people ---------

    def cleared_holding(self) -> Q:
        """A filter on `LevelHolding` rows: the ones that are cleared now (the policy version
        in effect acknowledged, no certificate expired). Any other row is a lost clearance."""
        current = self.policy.current
        if current is None:
            return Q(pk__isnull=True)  # nothing to acknowledge yet: no row is cleared
        return Q(acknowledged_number__gte=current.number) & (
            Q(valid_until__isnull=True) | Q(valid_until__gt=self.now)
        )

    def condition(self, level: ClearanceLevel, status: str) -> Q:
        """A filter on users: those whose status for `level` is `status` (CLEARED, LOST or
        NOT_CLEARED), as `LevelStatus.status` decides it, read from the stored holdings."""
        return self.condition_on_any([level], status)

    def condition_on_any(self, levels: list[ClearanceLevel], status: str) -> Q:
        """`condition` on any of `levels`: those whose status is `status` for at least one.
        Written as "id in (these holdings)", which the database answers by reading the levels'
        holdings once, rather than asking about each person's (a team of 10,000: 40 ms)."""
        nobody = Q(pk__isnull=True)  # no user: a primary key is never null
        if not levels:
            return nobody
        if self.policy.current is None:  # nobody holds or lost any level
            return {CLEARED: nobody, LOST: nobody, NOT_CLEARED: ~nobody}[status]
        holdings = LevelHolding.objects.filter(level__in=[level.pk for level in levels])
        if status == CLEARED:
            return Q(pk__in=holdings.filter(self.cleared_holding()).values("user_id"))
        if status == LOST:  # a holding that isn't cleared (one per person and level)
            return Q(pk__in=holdings.exclude(self.cleared_holding()).values("user_id"))
        # Not cleared for a level: no holding of it. So everyone but those holding every one.
        if len(levels) == 1:
            return ~Q(Exists(holdings.filter(user=OuterRef("pk"))))
        holding_all = (
            holdings.values("user_id").annotate(held=Count("level_id")).filter(held=len(levels))
        )
        return ~Q(pk__in=holding_all.values("user_id"))

    @staticmethod
    def names_its_people(status: str) -> bool:
        """Whether `condition_on_any(levels, status)` names the people it keeps ("in these
        holdings"), so that the database can start from them; "not cleared" keeps everyone
        but those (start from the people being filtered)."""
        return status in (CLEARED, LOST)

    def empty(self) -> list[LevelStatus]:
        """The statuses of someone with no records at all."""
        return self._statuses([], {}, {})

    # -- reading records (one query) -------------------------------------------------------

    def _records(self, ids) -> tuple[dict, dict, dict]:
        """The people's acknowledgements of this organisation's policy [(version number, when)],
        certificates for the levels' tracks {track id: CertificateDates} and approvals of the
        levels' assignments {assignment id: approved when}, by user id, read together."""
        acks: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        certificates: dict[int, dict[int, CertificateDates]] = defaultdict(dict)
        approvals: dict[int, dict[int, datetime]] = defaultdict(dict)
        wanted = {}
        if self.policy.versions:
            wanted["organisation_id"] = self.organisation.pk
        if self.track_ids:
            wanted["track_ids"] = self.track_ids
        if self.assignment_ids:
            wanted["assignment_ids"] = self.assignment_ids
        if not wanted:
            return acks, certificates, approvals
        for user_id, kind, key, *moments in _read(_records_of, ids, **wanted):
            if kind == _ACKNOWLEDGED:
                acks[user_id].append((key, moments[0]))
            elif kind == _CERTIFIED:
                certificates[user_id][key] = CertificateDates(*moments)
            else:
                approvals[user_id][key] = _approved_at(*moments[:2])
        return acks, certificates, approvals

    # -- deciding (no queries) ---------------------------------------------------------------

    def statuses(
        self,
        acks: list[tuple[int, datetime]],
        certificates: dict[int, Certificate | CertificateDates],
        approvals: dict[int, datetime],
    ) -> list[LevelStatus]:
        """One person's status for every level from records already read: their
        acknowledgements in this organisation as (version number, when), their certificates
        by track id and their approvals by assignment id (reviewed or submitted when)."""
        return self._statuses(acks, certificates, approvals)

    def _statuses(self, acks, certificates, approvals) -> list[LevelStatus]:
        policy_check = self._policy_check(acks)
        # Once per track, however many levels ask for it.
        by_track = {
            pk: self._certificate_check(pk, certificates[pk])
            if pk in certificates
            else self._no_certificate[pk]
            for pk in self.tracks
        }
        statuses = []
        for level in self.levels:
            checks = [policy_check]
            checks += [by_track[track.pk] for track in level.required_tracks]
            if level.assignment_id:
                checks.append(
                    Check(
                        ASSIGNMENT,
                        self._assignment_labels[level.pk],
                        met_at=approvals.get(level.assignment_id),
                    )
                )
            statuses.append(LevelStatus(level, checks))
        return statuses

    def _policy_check(self, acks: list[tuple[int, datetime]]) -> Check:
        current, label = self.policy.current, self._policy_label
        if current is None:
            return Check(POLICY, label)
        # Acknowledging a newer (upcoming) version also covers the current one.
        covering = [at for number, at in acks if number >= current.number]
        if covering:
            return Check(POLICY, label, met_at=min(covering))
        earlier = [number for number, _ in acks if number < current.number]
        if not earlier:
            return Check(POLICY, label)
        # Lapsed when the first version after their latest acknowledged one took effect.
        newest_known = max(earlier)
        superseding = min(
            (v for v in self.policy.versions if newest_known < v.number <= current.number),
            key=lambda v: v.number,
        )
        return Check(POLICY, label, lapsed_at=effective_at(superseding), lapse=POLICY_CHANGED)

    def _certificate_check(
        self, track_id: int, certificate: Certificate | CertificateDates
    ) -> Check:
        label = self._certificate_labels[track_id]
        if certificate.is_revoked:
            return Check(
                CERTIFICATE,
                label,
                lapsed_at=certificate.revoked_at,
                lapse=CERTIFICATE_REVOKED,
            )
        if certificate.is_expired(self.now):
            return Check(
                CERTIFICATE,
                label,
                lapsed_at=certificate.expires_at,
                lapse=CERTIFICATE_EXPIRED,
            )
        return Check(
            CERTIFICATE,
            label,
            met_at=certificate.certified_at,
            expires_at=certificate.expires_at,
        )


def approvals_of(ids, assignment_ids) -> dict[int, dict[int, datetime]]:
    """{user id: {assignment id: approved when}}. One query, none without assignments."""
    found: dict[int, dict[int, datetime]] = defaultdict(dict)
    if not assignment_ids:
        return found
    for user_id, assignment_id, reviewed_at, submitted_at in _read(
        _approvals_of, ids, assignment_ids=assignment_ids
    ):
        found[user_id][assignment_id] = _approved_at(reviewed_at, submitted_at)
    return found


# The records the rules read, for people given as a subquery or as ids. Given ids (a page of the
# roster), the read is compiled once per number of people (core.prepared).


def _read(read: PreparedRead, people, **values):
    if isinstance(people, QuerySet):
        return read.build(people=people, **values)
    return read(people=people, **values)


_ACKNOWLEDGED, _CERTIFIED, _APPROVED = 0, 1, 2
# Typed, so that PostgreSQL reads a column of the union as timestamps whichever parts come first.
_NO_MOMENT = Cast(Value(None), DateTimeField())


@prepared
def _records_of(people, organisation_id=None, track_ids=None, assignment_ids=None):
    """The records `Rules` reads, as one query of (user id, kind, key, four moments):
    acknowledgements (version number; acknowledged), certificates (track; issued, renewed,
    expires, revoked) and approvals (assignment; reviewed, submitted). Each kind only when
    asked for: a read is compiled once for each combination (core.prepared)."""
    columns = ("person", "kind", "key", "first", "second", "third", "fourth")
    parts = []
    if organisation_id is not None:
        parts.append(
            PolicyAcknowledgement.objects.filter(
                user_id__in=people, version__policy__organisation_id=organisation_id
            ).annotate(
                person=F("user_id"),
                kind=Value(_ACKNOWLEDGED),
                key=F("version__number"),
                first=F("acknowledged_at"),
                second=_NO_MOMENT,
                third=_NO_MOMENT,
                fourth=_NO_MOMENT,
            )
        )
    if track_ids is not None:
        parts.append(
            Certificate.objects.filter(learner_id__in=people, track_id__in=track_ids).annotate(
                person=F("learner_id"),
                kind=Value(_CERTIFIED),
                key=F("track_id"),
                first=F("issued_at"),
                second=F("renewed_at"),
                third=F("expires_at"),
                fourth=F("revoked_at"),
            )
        )
    if assignment_ids is not None:
        parts.append(
            Submission.objects.filter(
                learner_id__in=people,
                assignment_id__in=assignment_ids,
                status=Submission.Status.APPROVED,
            ).annotate(
                person=F("learner_id"),
                kind=Value(_APPROVED),
                key=F("assignment_id"),
                first=F("review__reviewed_at"),
                second=F("submitted_at"),
                third=_NO_MOMENT,
                fourth=_NO_MOMENT,
            )
        )
    first, *others = [part.order_by().values_list(*columns) for part in parts]
    return first.union(*others, all=True) if others else first


@prepared
def _approvals_of(people, assignment_ids):
    return Submission.objects.filter(
        learner_id__in=people,
        assignment_id__in=assignment_ids,
        status=Submission.Status.APPROVED,
    ).values_list("learner_id", "assignment_id", "review__reviewed_at", "submitted_at")


def approvals_in(latest_submissions: Iterable[Submission]) -> dict[int, datetime]:
    """One person's approvals, {assignment id: approved when}, from the newest version of each
    of their assignments (with its review selected): an approved assignment takes no newer
    version, so no query is needed."""
    found = {}
    for submission in latest_submissions:
        if submission.status == Submission.Status.APPROVED:
            review = getattr(submission, "review", None)  # None: approved without a review
            found[submission.assignment_id] = _approved_at(
                review.reviewed_at if review else None, submission.submitted_at
            )
    return found


def _approved_at(reviewed_at: datetime | None, submitted_at: datetime) -> datetime:
    """When an approval counts from: its review, else (approved without one) its submission."""
    return reviewed_at or submitted_at


def _table(model, database) -> str:
    return database.ops.quote_name(model._meta.db_table)


@dataclass
class LevelCount:
    level: ClearanceLevel
    cleared: int = 0
    lost: int = 0
    not_cleared: int = 0


def summary(rules: Rules, people: QuerySet[User]) -> list[LevelCount]:
    """How many of `people` hold, lost or lack each level, counted by the database in one
    query whatever their number (`people` is a subquery, never a list of ids)."""
    return counts(rules, people)[0]


def counts(
    rules: Rules,
    people: QuerySet[User] | Callable[[], QuerySet[User]],
    *,
    pairs_sql: tuple[str, tuple] | None = None,
    teams_sql: tuple[str, list] | None = None,
) -> tuple[list[LevelCount], int]:
    """`summary`, and how many `people` there are: (level counts, people). One query. `people`
    names nobody twice (as `governance.services.learners_of` doesn't), and may be given as a
    function that builds them, called only when they are read (building the queryset is a
    fifth of the counts' time when the tallies answer). `pairs_sql`: `people_pairs(people)` as
    SQL, when the caller has it compiled already. `teams_sql`: when `people` are the active
    learners of some teams, those teams' ids as SQL, so that the counts are read from the
    teams' tallies (`_tallied_counts`)."""
    database = connections[people.db if isinstance(people, QuerySet) else router.db_for_read(User)]
    if teams_sql is not None:
        found = _tallied_counts(database, teams_sql[0], list(teams_sql[1]), now=rules.now)
    else:
        if pairs_sql is None:
            pairs_sql = people_pairs(_built(people), rules.organisation.pk).query.sql_with_params()
        people_sql, params = pairs_sql
        found = _holding_counts(database, people_sql, list(params), now=rules.now)
    everyone, held = found.get(rules.organisation.pk, (0, {}))
    return [_level_count(level, everyone, held) for level in rules.levels], everyone


def with_status(counts: list[LevelCount], level: ClearanceLevel, status: str) -> int:
    """How many of the people `counts` counted have `status` on `level`: the people
    `Rules.condition(level, status)` keeps among them."""
    (count,) = [count for count in counts if count.level.pk == level.pk]
    return {CLEARED: count.cleared, LOST: count.lost, NOT_CLEARED: count.not_cleared}[status]


def _built(people: QuerySet[User] | Callable[[], QuerySet[User]]) -> QuerySet[User]:
    return people if isinstance(people, QuerySet) else people()


def people_pairs(people: QuerySet[User], organisation_id: int) -> QuerySet:
    """`people` as (person, organisation) pairs: what the counting query reads."""
    return (
        people.order_by().annotate(organisation=Value(organisation_id)).values("pk", "organisation")
    )


def team_summaries(manager: User, *, now: datetime | None = None):
    """For the team dashboard: [(organisation, [LevelCount])] for every organisation of the
    teams `manager` manages (every team for staff: learners.selectors.managed_team_ids) that
    defines levels, counting their active learners. Two queries however many organisations and
    people, compiled once per process (the dashboard reads them on every visit)."""
    now = now or timezone.now()
    if manager.is_staff:
        levels = _levels_of_every_team()
    else:
        levels = _levels_of_teams_managed_by(manager_id=manager.pk)
    teams_sql, params = managed_team_ids_sql(manager)
    if not levels:
        return []
    database = connections[levels[0]._state.db]
    found = _tallied_counts(database, teams_sql, params, now=now)
    result: list[tuple[Organisation, list[LevelCount]]] = []
    for level in levels:
        if not result or result[-1][0].pk != level.organisation_id:
            result.append((level.organisation, []))
        everyone, held = found.get(level.organisation_id, (0, {}))
        result[-1][1].append(_level_count(level, everyone, held))
    return result


def _counted_holdings(database, teams_sql: str, params: list, *, now: datetime) -> dict:
    """_holding_counts for the active learners of the teams `teams_sql` selects: what
    `_tallied_counts` reads from the tallies, counted from the people (tests compare them)."""
    people_sql = f"""SELECT DISTINCT m.user_id, t.organisation_id
        FROM {_table(Membership, database)} m
        JOIN {_table(Team, database)} t ON t.id = m.team_id
        JOIN {_table(User, database)} u ON u.id = m.user_id
        WHERE m.role = %s AND u.is_active AND m.team_id IN ({teams_sql})"""  # noqa: S608  # nosec B608
    return _holding_counts(database, people_sql, [Membership.Role.LEARNER, *params], now=now)


def _tallied_counts(database, teams_sql: str, params: list, *, now: datetime) -> dict:
    """_holding_counts for the active learners of the teams `teams_sql` selects, from the
    per-team tallies (clearance_tally) and headcounts, in one query that reads a few rows per
    team: a tallied holding is cleared now when it covers the version in effect and runs out
    after today (UTC); those that run out today are read from the holdings and compared with
    the moment. Someone who learns in k of the scope's teams of one organisation is in k teams'
    sums: they and their holdings, read through `SharedLearning` (the shared people only), are
    taken off k - 1 times. Their holdings are read from them (SQLite's CROSS JOIN keeps that
    order; PostgreSQL plans it as any join): SQLite otherwise read every holding of every level
    to find theirs, 0.5 ms in an organisation of 50,000, usually to find none."""
    today = now.astimezone(UTC).date()
    day_starts = datetime.combine(today, time.min, tzinfo=UTC)
    moment = database.ops.adapt_datetimefield_value
    versions, policies = _table(PolicyVersion, database), _table(Policy, database)
    query = f"""WITH scope (team) AS ({teams_sql}),
        current_version (organisation, number) AS (
            SELECT p.organisation_id, MAX(v.number) FROM {versions} v
            JOIN {policies} p ON p.id = v.policy_id
            WHERE v.published_at IS NOT NULL AND v.effective_date <= %s
            GROUP BY p.organisation_id),
        shared (user_id, organisation, extra) AS (
            SELECT s.user_id, t.organisation_id, COUNT(*) - 1
            FROM {_table(SharedLearning, database)} s JOIN {_table(Team, database)} t
                ON t.id = s.team_id
            JOIN {_table(User, database)} u ON u.id = s.user_id
            WHERE u.is_active AND s.team_id IN (SELECT team FROM scope)
            GROUP BY s.user_id, t.organisation_id HAVING COUNT(*) > 1)
        SELECT t.organisation_id, NULL, SUM(hc.active_learners), 0
        FROM {_table(TeamHeadcount, database)} hc JOIN {_table(Team, database)} t
            ON t.id = hc.team_id
        WHERE hc.team_id IN (SELECT team FROM scope)
        GROUP BY t.organisation_id
        UNION ALL
        SELECT l.organisation_id, c.level_id, SUM(c.holders),
            SUM(CASE WHEN c.acknowledged_number >= v.number AND c.expires_on > %s
                THEN c.holders ELSE 0 END)
        FROM {_table(TeamClearanceTally, database)} c
        JOIN {_table(ClearanceLevel, database)} l ON l.id = c.level_id
        JOIN current_version v ON v.organisation = l.organisation_id
        WHERE c.team_id IN (SELECT team FROM scope)
        GROUP BY l.organisation_id, c.level_id
        UNION ALL
        SELECT l.organisation_id, h.level_id, 0, COUNT(*)
        FROM {_table(LevelHolding, database)} h
        JOIN {_table(ClearanceLevel, database)} l ON l.id = h.level_id
        JOIN current_version v ON v.organisation = l.organisation_id
        WHERE h.valid_until >= %s AND h.valid_until < %s AND h.valid_until > %s
          AND h.acknowledged_number >= v.number
          AND EXISTS (SELECT 1 FROM {_table(Membership, database)} m
              JOIN {_table(Team, database)} t ON t.id = m.team_id
              JOIN {_table(User, database)} u ON u.id = m.user_id
              WHERE m.user_id = h.user_id AND m.role = %s AND u.is_active
                AND t.organisation_id = l.organisation_id AND m.team_id IN (SELECT team FROM scope))
        GROUP BY l.organisation_id, h.level_id
        UNION ALL
        SELECT organisation, NULL, -SUM(extra), 0 FROM shared GROUP BY organisation
        UNION ALL
        SELECT l.organisation_id, h.level_id, -SUM(s.extra),
            -SUM(CASE WHEN h.acknowledged_number >= v.number
                AND (h.valid_until IS NULL OR h.valid_until > %s) THEN s.extra ELSE 0 END)
        FROM shared s CROSS JOIN {_table(LevelHolding, database)} h
        JOIN {_table(ClearanceLevel, database)} l
            ON l.id = h.level_id AND l.organisation_id = s.organisation
        JOIN current_version v ON v.organisation = l.organisation_id
        WHERE h.user_id = s.user_id
        GROUP BY l.organisation_id, h.level_id"""  # noqa: S608  # nosec B608
    params = [
        *params,
        timezone.localdate(now),
        database.ops.adapt_datefield_value(today),
        moment(day_starts),
        moment(day_starts + timedelta(days=1)),
        moment(now),
        Membership.Role.LEARNER,
        moment(now),
    ]
    return _counts_found(_counts_read(database, query, params))


def _levels_of_teams(team_ids: QuerySet) -> QuerySet[ClearanceLevel]:
    return (
        ClearanceLevel.objects.filter(
            organisation__in=Team.objects.filter(pk__in=team_ids).values("organisation_id")
        )
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id", "position", "name")
    )


# The manager's teams by learners.selectors.managed_team_ids' rule, for a manager known by id
# (staff: every team), so that the reads can be compiled once.
_levels_of_every_team = prepared(lambda: _levels_of_teams(managed_team_ids(User(is_staff=True))))
_levels_of_teams_managed_by = prepared(
    lambda manager_id: _levels_of_teams(managed_team_ids(User(pk=manager_id)))
)


def _level_count(level: ClearanceLevel, everyone: int, held: dict) -> LevelCount:
    holding, cleared = held.get(level.pk, (0, 0))
    return LevelCount(
        level, cleared=cleared, lost=holding - cleared, not_cleared=everyone - holding
    )


def _holding_counts(database, people_sql: str, params: list, *, now: datetime) -> dict:
    """{organisation id: (people, {level id: (holdings, cleared now)})} for `people_sql`, a
    query of (person, organisation) pairs. One query: the people are read once, and each
    organisation's current policy version is found by the database. A holding is cleared now
    when its acknowledgement covers that version and no certificate has expired (the rule of
    `Rules.cleared_holding`); whoever has no holding is not cleared.

    Table names come from the models and every value is a query parameter (hence the
    `noqa: S608` / `nosec B608` marks)."""
    versions, policies = _table(PolicyVersion, database), _table(Policy, database)
    query = f"""WITH people (person, organisation) AS ({people_sql}),
        current_version (organisation, number) AS (
            SELECT p.organisation_id, MAX(v.number) FROM {versions} v
            JOIN {policies} p ON p.id = v.policy_id
            WHERE v.published_at IS NOT NULL AND v.effective_date <= %s
            GROUP BY p.organisation_id)
        SELECT organisation, NULL, COUNT(*), 0 FROM people GROUP BY organisation
        UNION ALL
        SELECT l.organisation_id, h.level_id, COUNT(*),
            SUM(CASE WHEN h.acknowledged_number >= c.number
                AND (h.valid_until IS NULL OR h.valid_until > %s) THEN 1 ELSE 0 END)
        FROM {_table(LevelHolding, database)} h
        JOIN {_table(ClearanceLevel, database)} l ON l.id = h.level_id
        JOIN people ON people.person = h.user_id AND people.organisation = l.organisation_id
        JOIN current_version c ON c.organisation = l.organisation_id
        GROUP BY l.organisation_id, h.level_id"""  # noqa: S608  # nosec B608
    params = [
        *params,
        timezone.localdate(now),
        database.ops.adapt_datetimefield_value(now),
    ]
    return _counts_found(_counts_read(database, query, params))


def _counts_read(database, query: str, params: list) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _counts_found(rows) -> dict:
    """{organisation id: (people, {level id: (holdings, cleared now)})} from rows of
    (organisation, level or None for its people, number, cleared); a level's rows add up."""
    found: dict[int, tuple[int, dict]] = {}
    for organisation_id, level_id, number, cleared in rows:
        people, held = found.setdefault(organisation_id, (0, {}))
        if level_id is None:
            found[organisation_id] = (people + number, held)
        else:
            holding, cleared_before = held.get(level_id, (0, 0))
            held[level_id] = (holding + number, cleared_before + cleared)
    return found
