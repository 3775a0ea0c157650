"""The team dashboard's clearance counts per team, kept in step by the database.

The dashboard shows, per level of the organisations of a manager's teams, how many of their
active learners are cleared, have lost the level, or are not cleared. Counting that from the
stored holdings still read every person of the teams (30 ms of PostgreSQL's time for a team of
10,000). `TeamClearanceTally` counts the holders per team, level, policy version acknowledged
and the day their holding runs out, so the counts read a few rows per team: a holding is
cleared now when its acknowledgement covers the version in effect and it runs out after today;
the few that run out today are read one by one, to compare with the moment.

Triggers keep the tally in step (as progress.tallies, whose machinery they share): on holdings
(refresh_holdings rewrites them), memberships, accounts switched on or off, and a team moved
to another organisation, and are recounted after every `migrate` and nightly
(`governance.tasks.recount_clearance_tallies`). Only holders who learn in the team, with an active account, of levels
of the team's organisation count. The number of active learners per team is
`progress.TeamHeadcount.active_learners`. Someone who learns in several of a scope's teams is
in each team's sums; `clearance._tallied_counts` takes the extra ones off through
`progress.SharedLearning`.
"""

from django.db import connection, connections

from learners.models import Membership, Team, User
from progress import tallies
from progress.tallies import LEARNER, Dialect, Trigger

from .models import ClearanceLevel, LevelHolding, TeamClearanceTally

TALLY = TeamClearanceTally._meta.db_table
HOLDING = LevelHolding._meta.db_table
LEVEL = ClearanceLevel._meta.db_table
MEMBERSHIP = Membership._meta.db_table
TEAM = Team._meta.db_table
USER = User._meta.db_table
_NO_EXPIRY_SQL = f"'{TeamClearanceTally.NO_EXPIRY.isoformat()}'"
_COLUMNS = "(team_id, level_id, acknowledged_number, expires_on, holders)"
_ADD = f"""ON CONFLICT (team_id, level_id, acknowledged_number, expires_on) DO UPDATE SET
        holders = {TALLY}.holders + excluded.holders"""  # nosec B608


def _expires_on(sql: Dialect, h: str) -> str:
    return f"COALESCE({sql.utc_date(f'{h}.valid_until')}, {_NO_EXPIRY_SQL})"


def _counting_teams(user: str, level: str) -> str:
    """The teams whose tally counts `user`'s holding of `level` (ids): those they learn in, of
    the level's organisation, while their account is active."""
    return f"""SELECT m.team_id FROM {MEMBERSHIP} m JOIN {TEAM} t ON t.id = m.team_id
        WHERE m.user_id = {user} AND m.role = '{LEARNER}' AND {tallies.active_sql(user)}
          AND t.organisation_id = (SELECT l.organisation_id FROM {LEVEL} l WHERE l.id = {level})"""  # noqa: S608  # nosec B608


def _holding_added(sql: Dialect, h: str) -> list[str]:
    return [
        f"""INSERT INTO {TALLY} {_COLUMNS}
        SELECT team_id, {h}.level_id, {h}.acknowledged_number, {_expires_on(sql, h)}, 1
        FROM ({_counting_teams(f"{h}.user_id", f"{h}.level_id")}) counting WHERE 1 = 1
        {_ADD}"""  # noqa: S608  # nosec B608
    ]


def _holding_removed(sql: Dialect, h: str) -> list[str]:
    return [
        f"""UPDATE {TALLY} SET holders = holders - 1
        WHERE level_id = {h}.level_id AND acknowledged_number = {h}.acknowledged_number
          AND expires_on = {_expires_on(sql, h)}
          AND team_id IN ({_counting_teams(f"{h}.user_id", f"{h}.level_id")})"""  # noqa: S608  # nosec B608
    ]


def _person_counted(sql: Dialect, user: str, team: str, condition: str) -> list[str]:
    """Count `user`'s holdings of `team`'s organisation's levels in `team`'s tally, when
    `condition` (SQL) holds."""
    return [
        f"""INSERT INTO {TALLY} {_COLUMNS}
        SELECT {team}, h.level_id, h.acknowledged_number, {_expires_on(sql, "h")}, 1
        FROM {HOLDING} h JOIN {LEVEL} l ON l.id = h.level_id
        WHERE h.user_id = {user} AND {condition}
          AND l.organisation_id = (SELECT t.organisation_id FROM {TEAM} t WHERE t.id = {team})
        {_ADD}"""  # noqa: S608  # nosec B608
    ]


def _person_uncounted(sql: Dialect, user: str, team: str, condition: str) -> list[str]:
    """Stop counting `user`'s holdings in the tally of `team` (SQL: a team id, or a query of
    them, compared with the tally's `team_id`), when `condition` holds."""
    return [
        f"""UPDATE {TALLY} SET holders = holders - 1
        WHERE {condition} AND team_id IN ({team}) AND EXISTS (
            SELECT 1 FROM {HOLDING} h WHERE h.user_id = {user} AND h.level_id = {TALLY}.level_id
              AND h.acknowledged_number = {TALLY}.acknowledged_number
              AND {_expires_on(sql, "h")} = {TALLY}.expires_on)"""  # noqa: S608  # nosec B608
    ]


def _activated(sql: Dialect, user: str) -> list[str]:
    """Account `user` (NEW) was switched on: count its holdings in the teams it learns in."""
    return [
        f"""INSERT INTO {TALLY} {_COLUMNS}
        SELECT m.team_id, h.level_id, h.acknowledged_number, {_expires_on(sql, "h")}, 1
        FROM {MEMBERSHIP} m JOIN {TEAM} t ON t.id = m.team_id
            JOIN {HOLDING} h ON h.user_id = m.user_id
            JOIN {LEVEL} l ON l.id = h.level_id AND l.organisation_id = t.organisation_id
        WHERE m.user_id = {user}.id AND m.role = '{LEARNER}' AND {user}.is_active
        {_ADD}"""  # noqa: S608  # nosec B608
    ]


def _recount(sql: Dialect, teams: str | None) -> list[str]:
    """Recount the tallies of the teams `teams` selects (every team: None)."""
    only = "" if teams is None else f" AND m.team_id IN ({teams})"
    return [
        f"DELETE FROM {TALLY}" + ("" if teams is None else f" WHERE team_id IN ({teams})"),  # noqa: S608  # nosec B608
        f"""INSERT INTO {TALLY} {_COLUMNS}
        SELECT m.team_id, h.level_id, h.acknowledged_number, {_expires_on(sql, "h")}, COUNT(*)
        FROM {MEMBERSHIP} m JOIN {TEAM} t ON t.id = m.team_id
            JOIN {USER} u ON u.id = m.user_id
            JOIN {HOLDING} h ON h.user_id = m.user_id
            JOIN {LEVEL} l ON l.id = h.level_id AND l.organisation_id = t.organisation_id
        WHERE m.role = '{LEARNER}' AND u.is_active{only}
        GROUP BY m.team_id, h.level_id, h.acknowledged_number, {_expires_on(sql, "h")}""",  # noqa: S608  # nosec B608
    ]


def _triggers(sql: Dialect) -> list[Trigger]:
    learner_teams = (
        f"SELECT o.team_id FROM {MEMBERSHIP} o WHERE o.user_id = NEW.id AND o.role = '{LEARNER}'"  # noqa: S608  # nosec B608
    )
    holding_changed = " OR ".join(
        f"OLD.{column} {sql.distinct} NEW.{column}"
        for column in ("user_id", "level_id", "acknowledged_number", "valid_until")
    )
    membership_teams = (
        f"SELECT OLD.team_id UNION SELECT NEW.team_id UNION SELECT o.team_id FROM {MEMBERSHIP} o"  # noqa: S608  # nosec B608
        " WHERE o.user_id IN (OLD.user_id, NEW.user_id)"
    )
    return [
        Trigger(
            "governance_tally_holding_insert", "INSERT", HOLDING, "TRUE", _holding_added(sql, "NEW")
        ),
        Trigger(
            "governance_tally_holding_update",
            "UPDATE",
            HOLDING,
            holding_changed,
            _holding_removed(sql, "OLD") + _holding_added(sql, "NEW"),
        ),
        Trigger(
            "governance_tally_holding_delete",
            "DELETE",
            HOLDING,
            "TRUE",
            _holding_removed(sql, "OLD"),
        ),
        Trigger(
            "governance_tally_membership_insert",
            "INSERT",
            MEMBERSHIP,
            f"NEW.role = '{LEARNER}'",
            _person_counted(sql, "NEW.user_id", "NEW.team_id", tallies.active_sql("NEW.user_id")),
        ),
        Trigger(
            "governance_tally_membership_delete",
            "DELETE",
            MEMBERSHIP,
            f"OLD.role = '{LEARNER}'",
            _person_uncounted(sql, "OLD.user_id", "OLD.team_id", tallies.active_sql("OLD.user_id")),
        ),
        Trigger(
            "governance_tally_membership_update",
            "UPDATE",
            MEMBERSHIP,
            tallies.membership_changed(sql),
            _recount(sql, membership_teams),
            after=True,
        ),
        Trigger(
            "governance_tally_user_activity",
            "UPDATE",
            USER,
            "OLD.is_active <> NEW.is_active",
            _person_uncounted(sql, "NEW.id", learner_teams, "NOT NEW.is_active")
            + _activated(sql, "NEW"),
        ),
        Trigger(
            "governance_tally_team_moved",
            "UPDATE",
            TEAM,
            "OLD.organisation_id <> NEW.organisation_id",
            _recount(sql, "SELECT NEW.id"),
            after=True,
        ),
    ]


def install(using=None) -> None:
    """(Re)create the triggers: idempotent (see progress.tallies.install)."""
    database = using or connection
    tallies.install_triggers(database, _triggers(tallies.dialect(database)))


def uninstall(using=None) -> None:
    database = using or connection
    tallies.uninstall_triggers(database, _triggers(tallies.dialect(database)))


def rebuild(using=None) -> int:
    """Recount every team's clearance tally (writers wait meanwhile on PostgreSQL); returns how
    many teams' figures it corrected."""
    database = using or connection
    statements = _recount(tallies.dialect(database), None)
    return tallies.recount(database, [TALLY], statements, _figures)


def _figures(cursor) -> dict[int, set]:
    return tallies.figures_by_team(
        cursor,
        f"SELECT team_id, level_id, acknowledged_number, expires_on, holders FROM {TALLY}"  # noqa: S608  # nosec B608
        " WHERE holders <> 0",
    )


def reinstall_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate: as progress.tallies.reinstall_after_migrate."""
    database = connections[using]
    if TALLY in database.introspection.table_names():
        install(database)
        rebuild(database)
