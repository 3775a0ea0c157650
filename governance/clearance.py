"""Who is cleared for what, computed from people's records (never ticked by hand).

An organisation's clearance level (learners.ClearanceLevel, e.g. "Can post for the brand") asks
for an acknowledgement of the organisation's *current* policy version, a valid (unexpired)
certificate for each of its tracks and, optionally, an approved practice assignment. A person
holds the level since the latest of those dates.

Someone who is not cleared only because the policy moved on (they acknowledged an earlier
version) or a certificate expired has *lost* the clearance, since the moment that happened; a
person who never met a requirement is simply *not cleared*.

`Rules(organisation, now=...)` loads the levels and the policy once (four queries);
`Rules.evaluate(people)` reads the records of any number of people in at most three more: the
people are a subquery, so a team of 5 and an organisation of 5,000 cost the same queries. It
builds every check (with its dates and reasons) in Python, so it is for the people a page shows.

Counting and filtering whole teams happens in the database instead: `Rules.condition()` states
each level's rule as SQL (`EXISTS` over the indexed records, per person), `summary()` counts
everyone in one query, and the roster filters and pages with it. The two statements of the rule
are kept equal by tests that compare them person by person.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from courses.models import Track
from learners.models import Organisation, User
from progress.models import Certificate, Submission

from .models import ClearanceLevel, Policy, PolicyAcknowledgement, PolicyVersion
from .policy import PolicyState, effective_at, policy_state

POLICY, CERTIFICATE, ASSIGNMENT = "policy", "certificate", "assignment"
POLICY_CHANGED, CERTIFICATE_EXPIRED = "policy_changed", "certificate_expired"
CLEARED, LOST, NOT_CLEARED = "cleared", "lost", "not_cleared"
STATUS_LABELS = {CLEARED: "Cleared", LOST: "Lost clearance", NOT_CLEARED: "Not cleared"}


@dataclass(frozen=True)
class Check:
    """One requirement of a level, for one person: met (since when) or not (and why)."""

    kind: str
    label: str
    met_at: datetime | None = None
    lapsed_at: datetime | None = None  # it was met until then
    lapse: str = ""  # POLICY_CHANGED or CERTIFICATE_EXPIRED when it lapsed
    expires_at: datetime | None = None  # a met certificate requirement ends then

    @property
    def met(self) -> bool:
        return self.met_at is not None


@dataclass
class LevelStatus:
    level: ClearanceLevel
    checks: list[Check]

    @property
    def cleared(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def missing(self) -> list[Check]:
        return [check for check in self.checks if not check.met]

    @property
    def lost(self) -> bool:
        missing = self.missing
        return bool(missing) and all(check.lapse for check in missing)

    @property
    def status(self) -> str:
        if self.cleared:
            return CLEARED
        return LOST if self.lost else NOT_CLEARED

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
    return check.label


def levels_of(organisation: Organisation) -> list[ClearanceLevel]:
    """The organisation's levels with their tracks and assignment. Two queries."""
    return list(
        ClearanceLevel.objects.filter(organisation=organisation)
        .select_related("assignment")
        .prefetch_related(Prefetch("tracks", queryset=Track.objects.only("pk", "title", "slug")))
        .order_by("position", "name")
    )


class Rules:
    """An organisation's levels and policy at `now`, ready to evaluate people against."""

    def __init__(self, organisation: Organisation, *, now: datetime | None = None):
        self.organisation = organisation
        self.now = now or timezone.now()
        self.levels = levels_of(organisation)
        self.policy: PolicyState = (
            policy_state(organisation, today=timezone.localdate(self.now))
            if self.levels
            else PolicyState(organisation=organisation)
        )
        self.track_ids = {track.pk for level in self.levels for track in level.tracks.all()}
        self.assignment_ids = {level.assignment_id for level in self.levels if level.assignment_id}

    def evaluate(self, people: QuerySet[User] | Iterable[int]) -> dict[int, list[LevelStatus]]:
        """Each person's status for every level, keyed by user id. At most three queries.

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
        acks = self._acknowledgements(ids)
        certificates = self._certificates(ids)
        approvals = self._approvals(ids)
        everyone = set(known) | set(acks) | set(certificates) | set(approvals)
        return {
            user_id: self._statuses(
                acks.get(user_id, []), certificates.get(user_id, {}), approvals.get(user_id, {})
            )
            for user_id in everyone
        }

    # -- the same rule in SQL, for counting and filtering many people ------------------------

    def condition(self, level: ClearanceLevel, status: str) -> Q:
        """A filter on users: those whose status for `level` is `status` (CLEARED, LOST or
        NOT_CLEARED), as `LevelStatus.status` decides it. Cleared: every check met. Lost:
        not cleared, and every missing check lapsed (an earlier policy version acknowledged,
        a certificate expired; an approval never lapses)."""
        cleared, held = self._met_and_held(level)
        return {CLEARED: cleared, LOST: held & ~cleared, NOT_CLEARED: ~held}[status]

    def _met_and_held(self, level: ClearanceLevel) -> tuple[Q, Q]:
        """(every check met, every check met or lapsed) for `level`, as filters on users."""
        current = self.policy.current
        if current is None:  # nothing to acknowledge yet: nobody holds or lost any level
            nobody = Q(pk__isnull=True)  # no user: a primary key is never null
            return nobody, nobody
        acknowledged = PolicyAcknowledgement.objects.filter(
            user=OuterRef("pk"), version__policy__organisation=self.organisation
        )
        policy_met = Exists(acknowledged.filter(version__number__gte=current.number))
        met = Q(policy_met)
        held = Q(policy_met) | Q(Exists(acknowledged.filter(version__number__lt=current.number)))
        for track in level.tracks.all():
            certificates = Certificate.objects.filter(learner=OuterRef("pk"), track=track)
            met &= Q(
                Exists(certificates.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=self.now)))
            )
            held &= Q(Exists(certificates))  # valid, or expired: lapsed
        if level.assignment_id:
            approved = Q(
                Exists(
                    Submission.objects.filter(
                        learner=OuterRef("pk"),
                        assignment_id=level.assignment_id,
                        status=Submission.Status.APPROVED,
                    )
                )
            )
            met &= approved
            held &= approved
        return met, held

    # -- counting many people: facts as bits, counted per combination ------------------------

    def _fact_masks(self, people: QuerySet[User]) -> tuple[dict, dict[int, int]]:
        """({fact: bit}, {combination of bits: number of people}). One query.

        Written as SQL rather than through the ORM: compiling four querysets into a union cost
        more than running it. Table names come from the models and every value is a query
        parameter (hence the `noqa: S608` / `nosec B608` marks). The people are a CTE, read once; each fact table is read only
        for them, through its indexes (acknowledgements by person, certificates by learner and
        track, submissions by learner)."""
        bits: dict[tuple, int] = {}
        next_bit = iter(1 << n for n in range(62)).__next__
        database = connections[people.db]
        people_sql, people_params = people.values("pk").query.sql_with_params()
        parts = ["SELECT person, 0 AS bit FROM people"]  # everyone, records or not
        params: list = []
        current = self.policy.current
        if current is not None:
            met, earlier = bits[("policy", "met")], bits[("policy", "earlier")] = (
                next_bit(),
                next_bit(),
            )
            parts.append(
                f"""SELECT a.user_id, CASE WHEN v.number >= %s THEN %s ELSE %s END
                FROM {_table(PolicyAcknowledgement, database)} a
                JOIN {_table(PolicyVersion, database)} v ON v.id = a.version_id
                JOIN {_table(Policy, database)} p ON p.id = v.policy_id
                WHERE p.organisation_id = %s AND a.user_id IN (SELECT person FROM people)"""  # noqa: S608  # nosec B608
            )
            params += [current.number, met, earlier, self.organisation.pk]
        now = database.ops.adapt_datetimefield_value(self.now)
        for track_id in sorted(self.track_ids):
            held, valid = bits[("any", track_id)], bits[("valid", track_id)] = (
                next_bit(),
                next_bit(),
            )
            # One certificate per person and track: its row carries both bits, or only "any".
            parts.append(
                f"""SELECT c.learner_id,
                CASE WHEN c.expires_at IS NULL OR c.expires_at > %s THEN %s ELSE %s END
                FROM {_table(Certificate, database)} c
                WHERE c.track_id = %s AND c.learner_id IN (SELECT person FROM people)"""  # noqa: S608  # nosec B608
            )
            params += [now, held | valid, held, track_id]
        for assignment_id in sorted(self.assignment_ids):
            bits[("approved", assignment_id)] = next_bit()
            parts.append(
                f"""SELECT s.learner_id, %s FROM {_table(Submission, database)} s
                WHERE s.assignment_id = %s AND s.status = %s
                AND s.learner_id IN (SELECT person FROM people)"""  # noqa: S608  # nosec B608
            )
            params += [bits[("approved", assignment_id)], assignment_id, Submission.Status.APPROVED]
        # Each person's facts summed (each bit counted once: repeated rows carry equal
        # values), then people counted per sum.
        facts = " UNION ALL ".join(parts)
        query = f"""WITH people (person) AS ({people_sql})
            SELECT mask, COUNT(*) FROM (
                SELECT person, SUM(DISTINCT bit) AS mask FROM ({facts}) facts GROUP BY person
            ) masks GROUP BY mask"""  # noqa: S608  # nosec B608
        with database.cursor() as cursor:
            cursor.execute(query, [*people_params, *params])
            return bits, dict(cursor.fetchall())

    def _status_of_mask(self, level: ClearanceLevel, bits: dict, mask: int) -> str:
        """The status of someone whose facts are `mask`: the rule of `LevelStatus.status`
        (and of `condition`), on facts instead of records."""

        def has(fact) -> bool:
            return fact in bits and bool(mask & bits[fact])

        met = [has(("policy", "met"))]
        held = [has(("policy", "met")) or has(("policy", "earlier"))]
        for track in level.tracks.all():
            met.append(has(("valid", track.pk)))
            held.append(has(("any", track.pk)))
        if level.assignment_id:
            met.append(has(("approved", level.assignment_id)))
            held.append(has(("approved", level.assignment_id)))
        if all(met):
            return CLEARED
        return LOST if all(held) else NOT_CLEARED

    def empty(self) -> list[LevelStatus]:
        """The statuses of someone with no records at all."""
        return self._statuses([], {}, {})

    # -- reading records (one query each) --------------------------------------------------

    def _acknowledgements(self, ids) -> dict[int, list[tuple[int, datetime]]]:
        found: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        if not self.policy.versions:
            return found
        rows = PolicyAcknowledgement.objects.filter(
            user_id__in=ids, version__policy__organisation=self.organisation
        ).values_list("user_id", "version__number", "acknowledged_at")
        for user_id, number, acknowledged_at in rows:
            found[user_id].append((number, acknowledged_at))
        return found

    def _certificates(self, ids) -> dict[int, dict[int, Certificate]]:
        found: dict[int, dict[int, Certificate]] = defaultdict(dict)
        if not self.track_ids:
            return found
        rows = Certificate.objects.filter(learner_id__in=ids, track_id__in=self.track_ids).only(
            "learner_id", "track_id", "issued_at", "renewed_at", "expires_at"
        )
        for certificate in rows:
            found[certificate.learner_id][certificate.track_id] = certificate
        return found

    def _approvals(self, ids) -> dict[int, dict[int, datetime]]:
        found: dict[int, dict[int, datetime]] = defaultdict(dict)
        if not self.assignment_ids:
            return found
        rows = Submission.objects.filter(
            learner_id__in=ids,
            assignment_id__in=self.assignment_ids,
            status=Submission.Status.APPROVED,
        ).values_list("learner_id", "assignment_id", "review__reviewed_at", "submitted_at")
        for user_id, assignment_id, reviewed_at, submitted_at in rows:
            found[user_id][assignment_id] = reviewed_at or submitted_at
        return found

    # -- deciding (no queries) ---------------------------------------------------------------

    def _statuses(self, acks, certificates, approvals) -> list[LevelStatus]:
        policy_check = self._policy_check(acks)
        statuses = []
        for level in self.levels:
            checks = [policy_check]
            checks += [
                self._certificate_check(track, certificates.get(track.pk))
                for track in level.tracks.all()
            ]
            if level.assignment_id:
                checks.append(
                    Check(
                        ASSIGNMENT,
                        f"“{level.assignment.title}” approved",
                        met_at=approvals.get(level.assignment_id),
                    )
                )
            statuses.append(LevelStatus(level=level, checks=checks))
        return statuses

    def _policy_check(self, acks: list[tuple[int, datetime]]) -> Check:
        current = self.policy.current
        if current is None:
            return Check(POLICY, "Acknowledge the policy (none published yet)")
        label = f"Acknowledge policy version {current.number}"
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

    def _certificate_check(self, track: Track, certificate: Certificate | None) -> Check:
        label = f"Certificate: {track.title}"
        if certificate is None:
            return Check(CERTIFICATE, label)
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


def counts(rules: Rules, people: QuerySet[User], matching: Q | None = None):
    """`summary`, and how many of `people` match `matching` (the roster's filter): (level
    counts, matching count). Two queries, one when nothing is filtered.

    The database doesn't decide each person's status. It reduces everyone to the set of facts
    that decide it (current policy acknowledged, an earlier one acknowledged, a valid or any
    certificate for each track of a level, the assignment approved), one bit each, and counts
    the people per combination of bits: a handful of rows, which the rule below turns into
    counts. A team of 50 and an organisation of 50,000 return the same few rows."""
    people = people.order_by()
    bits, masks = rules._fact_masks(people)
    levels = []
    for level in rules.levels:
        count = LevelCount(level)
        for mask, number in masks.items():
            status = rules._status_of_mask(level, bits, mask)
            setattr(count, status, getattr(count, status) + number)
        levels.append(count)
    if matching is None or not matching:
        found = sum(masks.values())
    else:
        found = User.objects.filter(pk__in=people.values("pk")).filter(matching).count()
    return levels, found
