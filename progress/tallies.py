"""The team dashboard's counts per team, kept in step by the database itself.

The dashboard's summary (assigned tracks, completed, in progress, overdue, reviews waiting,
people) used to count a team's enrolments on every visit: 1.5 ms for a team of 1,000 on SQLite,
24 ms of PostgreSQL's time for a team of 10,000. `TeamTally` holds those counts per team, track
and due date, and `TeamHeadcount` the people, so the summary reads a few rows per team whatever
its size; "overdue" and "in progress" depend on the day, which is why the due date is kept.

Triggers keep them in step, on SQLite and PostgreSQL alike, because enrolments and memberships
are written in many places (the progress services, the set-based UPDATEs of `rollups`, bulk
enrolment, SCIM and sign-in provisioning, the admin, cascades of deletions): a trigger sees
every write, with the row as it was (`OLD`) and as it is (`NEW`), in the writer's transaction.
On PostgreSQL the row lock of the UPDATE or DELETE that fires it makes `OLD` the latest version,
so concurrent writers subtract and add exact amounts. Two rarer races can miscount a team's
people (a person's first assignment written by two transactions at once; joining a team while
an enrolment is created in another): `rebuild()` recounts everything, and runs after every
`migrate`, from `manage.py refresh_rollups` and nightly (`progress.tasks`).

The status rules below are the dashboard's (`teams.dashboard_sql` builds its SQL from them), so
that the counts and the rows cannot disagree.
"""

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction

LEARNER = "learner"  # learners.models.Membership.Role.LEARNER (a literal in the triggers' SQL)
NO_DUE_DATE = date(9999, 12, 31)  # the due date a tally keeps for enrolments without one
_NO_DUE_SQL = "'9999-12-31'"

TALLY = "progress_teamtally"
HEADCOUNT = "progress_teamheadcount"
SHARED = "progress_sharedlearning"
TABLES = [TALLY, HEADCOUNT, SHARED]  # what the triggers write
ENROLMENT = "progress_enrolment"
MEMBERSHIP = "learners_membership"
USER = "learners_user"


# -- the status rules, for an enrolment row known as `e` ----------------------------------------


def completed_sql(e: str = "e") -> str:
    return f"{e}.completed_at IS NOT NULL"


def started_sql(e: str = "e") -> str:
    return f"({e}.last_activity_at IS NOT NULL OR {e}.lessons_done > 0)"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _due(e: str) -> str:
    return f"COALESCE({e}.due_date, {_NO_DUE_SQL})"


def _open_started(e: str) -> str:
    return _flag(f"{e}.completed_at IS NULL AND {started_sql(e)}")


def _learner_teams(user: str) -> str:
    return f"SELECT m.team_id FROM {MEMBERSHIP} m WHERE m.user_id = {user} AND m.role = '{LEARNER}'"  # noqa: S608  # nosec B608


def _has_assignment(user: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {ENROLMENT} a WHERE a.learner_id = {user}"  # noqa: S608  # nosec B608
        " AND a.assignment_id IS NOT NULL)"
    )


def active_sql(user: str) -> str:
    """SQL true when the account `user` (an id) is active."""
    return f"EXISTS (SELECT 1 FROM {USER} u WHERE u.id = {user} AND u.is_active)"  # noqa: S608  # nosec B608


def _others_assigned(e: str) -> str:
    """SQL true when the learner of enrolment `e` has another assigned enrolment."""
    return (
        f"EXISTS (SELECT 1 FROM {ENROLMENT} a WHERE a.learner_id = {e}.learner_id"  # noqa: S608  # nosec B608
        f" AND a.assignment_id IS NOT NULL AND a.id <> {e}.id)"
    )


def _other_learning(m: str) -> str:
    """The other teams the person of membership `m` learns in."""
    return (
        f"SELECT c.team_id FROM {MEMBERSHIP} c WHERE c.user_id = {m}.user_id"  # noqa: S608  # nosec B608
        f" AND c.role = '{LEARNER}' AND c.id <> {m}.id"
    )


def _other_learning_count(m: str) -> str:
    return f"(SELECT COUNT(*) FROM ({_other_learning(m)}) others)"  # noqa: S608  # nosec B608


_ADD_TO_TALLY = f"""ON CONFLICT (team_id, track_id, due_date) DO UPDATE SET
        assigned = {TALLY}.assigned + excluded.assigned,
        completed = {TALLY}.completed + excluded.completed,
        started = {TALLY}.started + excluded.started,
        awaiting_review = {TALLY}.awaiting_review + excluded.awaiting_review"""  # nosec B608
_TALLY_COLUMNS = "(team_id, track_id, due_date, assigned, completed, started, awaiting_review)"


# -- what each trigger does ---------------------------------------------------------------------


def _enrolment_added(e: str, newly_assigned: str) -> list[str]:
    """Count enrolment `e` (NEW) in the teams its learner learns in, if it is assigned.
    `newly_assigned`: SQL true unless the row counted for the same learner before."""
    return [
        f"""INSERT INTO {TALLY} {_TALLY_COLUMNS}
        SELECT m.team_id, {e}.track_id, {_due(e)}, 1, {_flag(completed_sql(e))},
               {_open_started(e)}, {e}.pending_reviews
        FROM {MEMBERSHIP} m
        WHERE m.user_id = {e}.learner_id AND m.role = '{LEARNER}' AND {e}.assignment_id IS NOT NULL
        {_ADD_TO_TALLY}""",  # noqa: S608  # nosec B608
        f"""INSERT INTO {HEADCOUNT} (team_id, assigned_people)
        SELECT m.team_id, 1 FROM {MEMBERSHIP} m
        WHERE m.user_id = {e}.learner_id AND m.role = '{LEARNER}'
          AND {e}.assignment_id IS NOT NULL AND {newly_assigned} AND NOT {_others_assigned(e)}
        ON CONFLICT (team_id) DO UPDATE SET
            assigned_people = {HEADCOUNT}.assigned_people + 1""",  # noqa: S608  # nosec B608
    ]


def _enrolment_removed(e: str, no_longer_assigned: str) -> list[str]:
    """Stop counting enrolment `e` (OLD) in its learner's teams. `no_longer_assigned`: SQL true
    unless the row still counts for the same learner after the change."""
    return [
        f"""UPDATE {TALLY} SET
            assigned = assigned - 1,
            completed = completed - {_flag(completed_sql(e))},
            started = started - {_open_started(e)},
            awaiting_review = awaiting_review - {e}.pending_reviews
        WHERE {e}.assignment_id IS NOT NULL AND track_id = {e}.track_id
          AND due_date = {_due(e)} AND team_id IN ({_learner_teams(f"{e}.learner_id")})""",  # noqa: S608  # nosec B608
        f"""UPDATE {HEADCOUNT} SET assigned_people = assigned_people - 1
        WHERE {e}.assignment_id IS NOT NULL AND {no_longer_assigned} AND NOT {_others_assigned(e)}
          AND team_id IN ({_learner_teams(f"{e}.learner_id")})""",  # noqa: S608  # nosec B608
    ]


def _joined(m: str) -> list[str]:
    """Membership `m` (NEW) is added: count its person's assigned enrolments in its team."""
    e = "e"
    return [
        f"""INSERT INTO {TALLY} {_TALLY_COLUMNS}
        SELECT {m}.team_id, e.track_id, {_due(e)}, 1, {_flag(completed_sql(e))},
               {_open_started(e)}, e.pending_reviews
        FROM {ENROLMENT} e
        WHERE e.learner_id = {m}.user_id AND e.assignment_id IS NOT NULL AND {m}.role = '{LEARNER}'
        {_ADD_TO_TALLY}""",  # noqa: S608  # nosec B608
        f"""INSERT INTO {HEADCOUNT} (team_id, assigned_people, active_learners)
        SELECT {m}.team_id, {_flag(_has_assignment(f"{m}.user_id"))},
               {_flag(active_sql(f"{m}.user_id"))}
        WHERE {m}.role = '{LEARNER}'
        ON CONFLICT (team_id) DO UPDATE SET
            assigned_people = {HEADCOUNT}.assigned_people + excluded.assigned_people,
            active_learners = {HEADCOUNT}.active_learners + excluded.active_learners""",  # nosec B608
        # Who is shared, and in which teams: this one and every other they learn in.
        f"""INSERT INTO {SHARED} (team_id, user_id)
        SELECT {m}.team_id, {m}.user_id WHERE {m}.role = '{LEARNER}' AND {_other_learning_count(m)} >= 1
        ON CONFLICT (team_id, user_id) DO NOTHING""",  # nosec B608
        f"""INSERT INTO {SHARED} (team_id, user_id)
        SELECT c.team_id, c.user_id FROM {MEMBERSHIP} c
        WHERE {m}.role = '{LEARNER}' AND c.user_id = {m}.user_id AND c.role = '{LEARNER}'
          AND c.id <> {m}.id
        ON CONFLICT (team_id, user_id) DO NOTHING""",  # noqa: S608  # nosec B608
    ]


def _left(m: str) -> list[str]:
    """Membership `m` (OLD) is removed: its person's enrolments no longer count in its team."""
    match = (
        f"FROM {ENROLMENT} e WHERE e.learner_id = {m}.user_id AND e.assignment_id IS NOT NULL"
        f" AND e.track_id = {TALLY}.track_id AND {_due('e')} = {TALLY}.due_date"
    )
    return [
        f"""UPDATE {TALLY} SET
            assigned = assigned - (SELECT COUNT(*) {match}),
            completed = completed - (SELECT COUNT(*) {match} AND {completed_sql("e")}),
            started = started - (SELECT COALESCE(SUM({_open_started("e")}), 0) {match}),
            awaiting_review = awaiting_review - (SELECT COALESCE(SUM(e.pending_reviews), 0) {match})
        WHERE {m}.role = '{LEARNER}' AND team_id = {m}.team_id AND EXISTS (SELECT 1 {match})""",  # noqa: S608  # nosec B608
        f"""UPDATE {HEADCOUNT} SET
            assigned_people = assigned_people - {_flag(_has_assignment(f"{m}.user_id"))},
            active_learners = active_learners - {_flag(active_sql(f"{m}.user_id"))}
        WHERE {m}.role = '{LEARNER}' AND team_id = {m}.team_id""",  # noqa: S608  # nosec B608
        # Their one remaining team no longer shares them.
        f"""DELETE FROM {SHARED} WHERE {m}.role = '{LEARNER}' AND user_id = {m}.user_id
          AND (team_id = {m}.team_id OR {_other_learning_count(m)} <= 1)""",  # noqa: S608  # nosec B608
    ]


def _recount(teams: str | None) -> list[str]:
    """Recount the tallies and headcounts of the teams `teams` selects (every team: None)."""
    only = "" if teams is None else f" AND m.team_id IN ({teams})"
    only_team = "" if teams is None else f" WHERE t.id IN ({teams})"
    e = "e"
    return [
        f"DELETE FROM {TALLY}" + ("" if teams is None else f" WHERE team_id IN ({teams})"),  # noqa: S608  # nosec B608
        f"""INSERT INTO {TALLY} {_TALLY_COLUMNS}
        SELECT m.team_id, e.track_id, {_due(e)}, COUNT(*), SUM({_flag(completed_sql(e))}),
               SUM({_open_started(e)}), SUM(e.pending_reviews)
        FROM {MEMBERSHIP} m JOIN {ENROLMENT} e ON e.learner_id = m.user_id
        WHERE m.role = '{LEARNER}' AND e.assignment_id IS NOT NULL{only}
        GROUP BY m.team_id, e.track_id, {_due(e)}""",  # noqa: S608  # nosec B608
        f"DELETE FROM {HEADCOUNT}" + ("" if teams is None else f" WHERE team_id IN ({teams})"),  # noqa: S608  # nosec B608
        f"""INSERT INTO {HEADCOUNT} (team_id, assigned_people, active_learners)
        SELECT t.id,
            (SELECT COUNT(*) FROM {MEMBERSHIP} m WHERE m.team_id = t.id AND m.role = '{LEARNER}'
                AND {_has_assignment("m.user_id")}),
            (SELECT COUNT(*) FROM {MEMBERSHIP} m WHERE m.team_id = t.id AND m.role = '{LEARNER}'
                AND {active_sql("m.user_id")})
        FROM learners_team t{only_team}""",  # noqa: S608  # nosec B608
        f"DELETE FROM {SHARED}" + ("" if teams is None else f" WHERE team_id IN ({teams})"),  # noqa: S608  # nosec B608
        f"""INSERT INTO {SHARED} (team_id, user_id)
        SELECT m.team_id, m.user_id FROM {MEMBERSHIP} m
        WHERE m.role = '{LEARNER}' AND EXISTS (SELECT 1 FROM {MEMBERSHIP} o
            WHERE o.user_id = m.user_id AND o.role = '{LEARNER}' AND o.team_id <> m.team_id){only}""",  # noqa: S608  # nosec B608
    ]


def _moved(old: str, new: str) -> list[str]:
    """A membership's team, person or role changed (rare: the admin): recount the teams it
    touches, and the other teams of its person (whom they may now share or not)."""
    teams = (
        f"SELECT {old}.team_id UNION SELECT {new}.team_id UNION SELECT o.team_id FROM"  # noqa: S608  # nosec B608
        f" {MEMBERSHIP} o WHERE o.user_id IN ({old}.user_id, {new}.user_id)"
    )
    return _recount(teams)


def _activity_changed(user: str) -> list[str]:
    """Account `user` (NEW) was switched on or off: its teams' count of active learners."""
    return [
        f"""UPDATE {HEADCOUNT} SET active_learners = active_learners
            + CASE WHEN {user}.is_active THEN 1 ELSE -1 END
        WHERE team_id IN ({_learner_teams(f"{user}.id")})"""  # noqa: S608  # nosec B608
    ]


def _counted_fields_changed(distinct: str) -> str:
    """SQL true when an UPDATE of an enrolment changes what it counts for."""
    same = [
        f"OLD.{column} {distinct} NEW.{column}"
        for column in ("learner_id", "track_id", "due_date", "pending_reviews")
    ]
    flags = [
        "(OLD.assignment_id IS NULL) <> (NEW.assignment_id IS NULL)",
        "(OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)",
        f"{started_sql('OLD')} <> {started_sql('NEW')}",
    ]
    return " OR ".join(same + flags)


@dataclass(frozen=True)
class Trigger:
    """A row trigger, written once for SQLite and PostgreSQL: `when` and `body` refer to the
    row as NEW and OLD. SQLite runs it AFTER its row; PostgreSQL BEFORE (see `_triggers`),
    or AFTER when `after` says the body needs the row written (it recounts)."""

    name: str
    event: str  # INSERT, UPDATE or DELETE
    table: str
    when: str
    body: list[str]
    after: bool = False


@dataclass(frozen=True)
class Dialect:
    """What the triggers' SQL says differently on each database."""

    vendor: str
    distinct: str  # null-safe "differs from"
    utc_date: Callable[[str], str]  # the UTC calendar day of a timestamp column
    not_held: str  # SQL true unless this transaction holds the enrolments' triggers (`held`)


# PostgreSQL: a setting local to the transaction that holds the triggers; SQLite, whose writers
# take turns, drops them inside that transaction instead.
HOLD_SETTING = "socialcraft.hold_tallies"
DIALECTS = {
    "sqlite": Dialect("sqlite", "IS NOT", lambda column: f"date({column})", "TRUE"),
    "postgresql": Dialect(
        "postgresql",
        "IS DISTINCT FROM",
        lambda column: f"(({column}) AT TIME ZONE 'UTC')::date",
        f"current_setting('{HOLD_SETTING}', true) IS DISTINCT FROM 'on'",
    ),
}


def dialect(database) -> Dialect:
    if database.vendor not in DIALECTS:
        raise NotImplementedError(f"team tallies need triggers written for {database.vendor}")
    return DIALECTS[database.vendor]


def _triggers(sql: Dialect) -> list[Trigger]:
    """The tallies' triggers. The statements hold
    whether they run just before or just after their row is written (they look at the other
    rows only), so that on PostgreSQL, where an AFTER trigger of a statement that writes several
    rows sees all of them written, they run BEFORE: each then sees the rows written before its
    own, as SQLite's AFTER triggers do. (A BEFORE INSERT trigger also fires for a row that
    ON CONFLICT DO NOTHING then skips: enrolments are bulk-inserted that way only unassigned,
    which the triggers ignore.)"""
    return [
        *_enrolment_triggers(sql),
        Trigger(
            "progress_tally_membership_insert",
            "INSERT",
            MEMBERSHIP,
            f"NEW.role = '{LEARNER}'",
            _joined("NEW"),
        ),
        Trigger(
            "progress_tally_membership_update",
            "UPDATE",
            MEMBERSHIP,
            membership_changed(sql),
            _moved("OLD", "NEW"),
            after=True,
        ),
        Trigger(
            "progress_tally_membership_delete",
            "DELETE",
            MEMBERSHIP,
            f"OLD.role = '{LEARNER}'",
            _left("OLD"),
        ),
        Trigger(
            "progress_tally_user_activity",
            "UPDATE",
            USER,
            "OLD.is_active <> NEW.is_active",
            _activity_changed("NEW"),
        ),
    ]


def _enrolment_triggers(sql: Dialect) -> list[Trigger]:
    """The triggers that `held` holds."""
    was_assigned = "(OLD.assignment_id IS NOT NULL AND OLD.learner_id = NEW.learner_id)"
    still_assigned = "(NEW.assignment_id IS NOT NULL AND NEW.learner_id = OLD.learner_id)"
    return [
        Trigger(
            "progress_tally_enrolment_insert",
            "INSERT",
            ENROLMENT,
            f"NEW.assignment_id IS NOT NULL AND {sql.not_held}",
            _enrolment_added("NEW", "TRUE"),
        ),
        Trigger(
            "progress_tally_enrolment_update",
            "UPDATE",
            ENROLMENT,
            f"({_counted_fields_changed(sql.distinct)}) AND {sql.not_held}",
            _enrolment_removed("OLD", f"NOT {still_assigned}")
            + _enrolment_added("NEW", f"NOT {was_assigned}"),
        ),
        Trigger(
            "progress_tally_enrolment_delete",
            "DELETE",
            ENROLMENT,
            f"OLD.assignment_id IS NOT NULL AND {sql.not_held}",
            _enrolment_removed("OLD", "TRUE"),
        ),
    ]


def membership_changed(sql: Dialect) -> str:
    """SQL true when an UPDATE of a membership changes its team, person or role."""
    return " OR ".join(
        f"OLD.{column} {sql.distinct} NEW.{column}" for column in ("team_id", "user_id", "role")
    )


def _install_statements(database, triggers: list[Trigger]) -> list[str]:
    statements = []
    for trigger in triggers:
        name, event, table = trigger.name, trigger.event, trigger.table
        if database.vendor == "postgresql":
            timing = "AFTER" if trigger.after else "BEFORE"
            row = "NULL" if trigger.after else "OLD" if event == "DELETE" else "NEW"
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {'; '.join(trigger.body)}; RETURN {row}; END $$",
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW"
                f" WHEN ({trigger.when}) EXECUTE FUNCTION {name}()",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                f" WHEN {trigger.when} BEGIN {'; '.join(trigger.body)}; END",
            ]
    return statements


def install_triggers(database, triggers: list[Trigger]) -> None:
    """(Re)create `triggers`: idempotent."""
    with transaction.atomic(using=database.alias), database.cursor() as cursor:
        for statement in _install_statements(database, triggers):
            cursor.execute(statement)


def uninstall_triggers(database, triggers: list[Trigger]) -> None:
    with database.cursor() as cursor:
        for trigger in triggers:
            if database.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {trigger.name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name}")


def install(using=None) -> None:
    """(Re)create the triggers: idempotent. Run by the migration that made the tables and after
    every `migrate` (SQLite drops a table's triggers when a migration rebuilds the table)."""
    database = using or connection
    install_triggers(database, _triggers(dialect(database)))


def uninstall(using=None) -> None:
    database = using or connection
    uninstall_triggers(database, _triggers(dialect(database)))


def reinstall_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate: put the triggers back and recount, if the tables exist (a migration that
    rebuilt the enrolments' or memberships' table on SQLite took its triggers with it)."""
    from django.db import connections

    database = connections[using]
    if SHARED in database.introspection.table_names():  # the last of the tables made (0014)
        install(database)
        rebuild(database)


@contextmanager
def held(team_ids: Collection[int] | None, using=None) -> Iterator[None]:
    """Write enrolments in bulk with their triggers held, then recount the teams `team_ids`
    (every team: None) once, in one transaction.

    Why: on PostgreSQL each trigger's update of a team's tally row leaves a row version that the
    next update of that row in the same transaction steps over, so one statement that changes n
    enrolments of a team costs n²: refreshing 31,000 enrolments with a team of 16,000 in them
    took 17.6 s, against 1.0 s held and recounted. The hold is the writer's own (a setting local
    to its transaction on PostgreSQL; SQLite, whose writers take turns, drops the triggers in
    the transaction), so other writers' triggers keep counting meanwhile; the recount then
    makes them wait (see `recount`). Nested holds are one hold. Before the tallies' tables
    exist (an early migration) there is nothing to hold or recount."""
    database = using or connection
    if getattr(database, "_tallies_held", False) or SHARED not in _tables(database):
        with transaction.atomic(using=database.alias):
            yield
        return
    triggers = _enrolment_triggers(dialect(database))
    with transaction.atomic(using=database.alias):
        _hold(database, triggers, True)
        database._tallies_held = True
        try:
            yield
        finally:
            database._tallies_held = False
        _hold(database, triggers, False)
        if team_ids is None or team_ids:
            teams = None if team_ids is None else ", ".join(str(int(pk)) for pk in team_ids)
            recount(database, TABLES, _recount(teams))


def _tables(database) -> list[str]:
    with database.cursor() as cursor:
        return database.introspection.table_names(cursor)


def _hold(database, triggers: list[Trigger], hold: bool) -> None:
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [HOLD_SETTING, "on" if hold else ""])
    elif hold:
        uninstall_triggers(database, triggers)
    else:
        install_triggers(database, triggers)


def rebuild(using=None) -> int:
    """Recount every team's tally, headcount and shared people from the enrolments and
    memberships; returns how many teams' figures it corrected (0 while the triggers kept them
    in step)."""
    database = using or connection
    return recount(database, TABLES, _recount(None), _figures)


def recount(database, tables: list[str], statements: list[str], figures=None) -> int:
    """Run a tally's recount `statements`; how many teams' `figures(cursor)` they changed (0
    without `figures`). On PostgreSQL writers wait meanwhile (their triggers need the `tables`),
    so nothing written while it runs is lost or counted twice. Shared with
    governance.clearance_tally."""
    with transaction.atomic(using=database.alias), database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        before = figures(cursor) if figures else {}
        for statement in statements:
            cursor.execute(statement)
        after = figures(cursor) if figures else {}
    return sum(1 for team in before.keys() | after.keys() if before.get(team) != after.get(team))


def figures_by_team(cursor, query: str, figures: dict[int, set] | None = None) -> dict[int, set]:
    """Rows of (team id, figures…) read by `query`, as {team id: {(figures as text)…}}, added
    to `figures` when given: what a recount compares before and after. A row of zeros is left
    out (a team whose headcount the triggers brought down to zero is the same as one without
    a row); the tallies' queries leave out their own."""
    figures = {} if figures is None else figures
    cursor.execute(query)
    for team_id, *rest in cursor.fetchall():
        if any(rest):
            figures.setdefault(team_id, set()).add(tuple(str(value) for value in rest))
    return figures


def _figures(cursor) -> dict[int, set]:
    """Each team's tallies and its headcount, to compare."""
    figures = figures_by_team(
        cursor,
        f"SELECT team_id, track_id, due_date, assigned, completed, started, awaiting_review"  # noqa: S608  # nosec B608
        f" FROM {TALLY} WHERE assigned <> 0 OR completed <> 0 OR started <> 0"
        " OR awaiting_review <> 0",
    )
    figures_by_team(
        cursor,
        f"SELECT team_id, assigned_people, active_learners FROM {HEADCOUNT}",  # noqa: S608  # nosec B608
        figures,
    )
    return figures_by_team(cursor, f"SELECT team_id, user_id FROM {SHARED}", figures)  # noqa: S608  # nosec B608


# -- reading ------------------------------------------------------------------------------------


def active_learners_sql(teams_sql: str) -> str:
    """SQL for the number of active learners in the teams `teams_sql` selects (its parameters
    twice), each counted once, from the headcounts: someone who learns in k of those teams is
    in k headcounts, and is taken off k - 1 times through `SharedLearning` (the shared people
    only). A few rows per team, however many people they have."""
    return f"""((SELECT COALESCE(SUM(h.active_learners), 0) FROM {HEADCOUNT} h
                 WHERE h.team_id IN ({teams_sql}))
        - (SELECT COALESCE(SUM(shared.extra), 0) FROM (
              SELECT COUNT(*) - 1 AS extra FROM {SHARED} s
              WHERE s.team_id IN ({teams_sql}) AND {active_sql("s.user_id")}
              GROUP BY s.user_id HAVING COUNT(*) > 1) shared))"""  # noqa: S608  # nosec B608


def summary(
    team_ids: Iterable[int] | None, *, track_id: int | None, archived: Iterable[int], today: date
) -> dict | None:
    """The dashboard's summary (dashboards.summary's keys) of the assigned enrolments of people
    who learn in `team_ids` (None: in any team), from the tallies, in one query. Someone who
    learns in k of the teams is in k teams' tallies: their enrolments, read through
    `SharedLearning` (the shared people only), are taken off k - 1 times. None when the tallies
    cannot say it exactly: without a track filter, when an archived track is still assigned
    (the people count includes its learners)."""
    params: dict = {"today": connection.ops.adapt_datefield_value(today)}
    teams = ""
    if team_ids is not None:
        ids = list(team_ids) or [0]
        params |= {f"team{n}": pk for n, pk in enumerate(ids)}
        teams = f"team_id IN ({', '.join(f'%(team{n})s' for n in range(len(ids)))})"
    archived = sorted(archived)
    params |= {f"archived{n}": pk for n, pk in enumerate(archived)}

    def current(track: str) -> str:
        if not archived:
            return "1 = 1"
        return f"{track} NOT IN ({', '.join(f'%(archived{n})s' for n in range(len(archived)))})"

    tally_where = " AND ".join(filter(None, [teams, "track_id = %(track)s" if track_id else ""]))
    params["track"] = track_id
    e, now = "e", current("e.track_id")
    sql = f"""
        WITH shared (user_id, extra) AS (
            SELECT user_id, COUNT(*) - 1 FROM {SHARED} {f"WHERE {teams}" if teams else ""}
            GROUP BY user_id HAVING COUNT(*) > 1),
        twice AS (
            SELECT COALESCE(SUM(CASE WHEN {now} THEN s.extra END), 0) AS twice_assigned,
                COALESCE(SUM(CASE WHEN {now} AND {completed_sql(e)} THEN s.extra END), 0)
                    AS twice_completed,
                COALESCE(SUM(CASE WHEN {now} AND {_due(e)} >= %(today)s
                    THEN s.extra * {_open_started(e)} END), 0) AS twice_in_progress,
                COALESCE(SUM(CASE WHEN {now} AND {_due(e)} < %(today)s
                    AND NOT ({completed_sql(e)}) THEN s.extra END), 0) AS twice_overdue,
                COALESCE(SUM(CASE WHEN {now} THEN s.extra * e.pending_reviews END), 0)
                    AS twice_waiting
            FROM shared s JOIN {ENROLMENT} e ON e.learner_id = s.user_id
            WHERE e.assignment_id IS NOT NULL{" AND e.track_id = %(track)s" if track_id else ""})
        SELECT COALESCE(SUM(CASE WHEN {current("track_id")} THEN assigned END), 0)
                   - MAX(twice.twice_assigned),
               COALESCE(SUM(CASE WHEN {current("track_id")} THEN completed END), 0)
                   - MAX(twice.twice_completed),
               COALESCE(SUM(CASE WHEN {current("track_id")} AND due_date >= %(today)s
                            THEN started END), 0) - MAX(twice.twice_in_progress),
               COALESCE(SUM(CASE WHEN {current("track_id")} AND due_date < %(today)s
                            THEN assigned - completed END), 0) - MAX(twice.twice_overdue),
               COALESCE(SUM(CASE WHEN {current("track_id")} THEN awaiting_review END), 0)
                   - MAX(twice.twice_waiting),
               COALESCE(SUM(CASE WHEN {current("track_id")} THEN 0 ELSE assigned END), 0),
               (SELECT COALESCE(SUM(assigned_people), 0) FROM {HEADCOUNT}
                {f"WHERE {teams}" if teams else ""})
               - (SELECT COALESCE(SUM(s.extra), 0) FROM shared s WHERE {_has_assignment("s.user_id")})
        FROM twice LEFT JOIN {TALLY} ON {tally_where or "1 = 1"}"""  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assigned, completed, in_progress, overdue, waiting, archived_rows, people = (
            cursor.fetchone()
        )
    if archived_rows and not track_id:
        return None
    return {
        "assignments": assigned,
        "people": assigned if track_id else people,  # one enrolment per person and track
        "completed": completed,
        "in_progress": in_progress,
        "overdue": overdue,
        "not_started": assigned - completed - in_progress - overdue,
        "awaiting_review": waiting,
    }
