"""The team dashboard's and its CSV export's reads, written as SQL.

`dashboards.dashboard_rows()` and `dashboards.summary()` state the dashboard's rules with the
ORM, and the manager digest uses them. The dashboard page runs its reads on every visit, and
building them through the ORM cost about 5 ms of a 15 ms page (resolving the nested scope
subqueries, the status CASE and six filtered counts), more than the database spent running
them. Here the same reads are SQL text with placeholders, joined from a few
fixed fragments: the ORDER BY comes from a fixed table, and every value, including each team
id, is a query parameter (so the `nosec B608` / `noqa: S608` marks below: no text from a
request reaches the SQL).

Track titles, archived tracks and lesson counts come from the curriculum page cache
(dashboards.curriculum_facts), which every curriculum write renews, instead of a join per row.

tests/progress/test_dashboard_sql.py checks that these reads and the ORM's give the same rows,
order and counts for every team, track, status and sort filter, on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection

from learners.models import Membership, User
from learners.selectors import NAME_TO_SORT_SQL, sorts_its_people
from progress import tallies

from .dashboards import CurriculumFacts, Filters

LEARNER = Membership.Role.LEARNER.value
MANAGER = Membership.Role.MANAGER.value
EXPORT_CHUNK_ROWS = 2_000  # rows per fetch for the CSV: a few hundred KB held at a time


@dataclass(frozen=True)
class TeamChoice:
    id: int
    name: str
    organisation: str
    has_clearance_levels: bool  # its organisation defines clearance levels
    learners: int = 0  # active learners (progress.TeamHeadcount): how the first page is read

    @property
    def label(self) -> str:
        return f"{self.name} ({self.organisation})"  # as Team.__str__


def manager_teams(manager: User) -> list[TeamChoice]:
    """The teams `manager` manages (staff: every team), by organisation and name, in one query.
    It answers "is this a manager?" and serves the team filter, the scope of every read below
    and the team column."""
    where, params = "", []
    if not manager.is_staff:
        where = (
            "WHERE t.id IN (SELECT m.team_id FROM learners_membership m"
            " WHERE m.user_id = %s AND m.role = %s)"
        )
        params = [manager.pk, MANAGER]
    sql = f"""
        SELECT t.id, t.name, o.name,
               EXISTS (SELECT 1 FROM learners_clearancelevel c
                       WHERE c.organisation_id = t.organisation_id),
               COALESCE(h.active_learners, 0)
        FROM learners_team t JOIN learners_organisation o ON o.id = t.organisation_id
        LEFT JOIN {tallies.HEADCOUNT} h ON h.team_id = t.id
        {where}
        ORDER BY o.name, t.name, t.id"""  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            TeamChoice(pk, name, org, bool(levels), learners)
            for pk, name, org, levels, learners in cursor
        ]


# The status rules of dashboards.dashboard_rows, on the stored columns; %(today)s is the day.
COMPLETED_SQL = tallies.completed_sql("e")
OVERDUE_SQL = "e.completed_at IS NULL AND e.due_date < %(today)s"
NOT_DUE_YET_SQL = "e.completed_at IS NULL AND (e.due_date IS NULL OR e.due_date >= %(today)s)"
STARTED_SQL = tallies.started_sql("e")
STATUS_SQL = f"""CASE
    WHEN {COMPLETED_SQL} THEN 'completed'
    WHEN e.due_date < %(today)s THEN 'overdue'
    WHEN {STARTED_SQL} THEN 'in_progress'
    ELSE 'not_started' END"""
STATUS_WHERE = {
    "completed": COMPLETED_SQL,
    "overdue": OVERDUE_SQL,
    "in_progress": f"{NOT_DUE_YET_SQL} AND {STARTED_SQL}",
    "not_started": f"{NOT_DUE_YET_SQL} AND NOT {STARTED_SQL}",
}
# dashboards.SORTS, as ORDER BY clauses (the rows' id breaks ties, as there).
ORDER_SQL = {
    "name": "u.display_name, u.email",
    "-name": "u.display_name DESC, u.email DESC",
    "progress": "e.lessons_done, u.email",
    "-progress": "e.lessons_done DESC, u.email",
    "due": "e.due_date ASC NULLS LAST, u.email",
    "-due": "e.due_date DESC NULLS LAST, u.email",
    "active": "e.last_activity_at ASC NULLS FIRST, u.email",
    "-active": "e.last_activity_at DESC NULLS LAST, u.email",
    "track": "tr.title, u.email",
}
# The name sorts as an order of people (`u2`, the users of the people subquery): a person's
# rows are next to each other there, since no two people share an email.
PEOPLE_ORDER_SQL = {sort: ORDER_SQL[sort].replace("u.", "u2.") for sort in ("name", "-name")}
# The same order for a scope of few people, which the database sorts (learners.selectors).
PEOPLE_SORT_SQL = {
    sort: order.replace("u2.display_name", NAME_TO_SORT_SQL.format(table="u2"), 1)
    for sort, order in PEOPLE_ORDER_SQL.items()
}


@dataclass(frozen=True)
class DashboardQuery:
    """The dashboard's rows for one manager and one set of filters."""

    manager: User
    teams: list[TeamChoice]  # manager_teams(manager)
    filters: Filters
    curriculum: CurriculumFacts
    today: date

    @property
    def scoped_team_ids(self) -> list[int]:
        if self.filters.team_id is not None:
            return [t.id for t in self.teams if t.id == self.filters.team_id]
        return [t.id for t in self.teams]

    def _where(self, first_people: int | None = None) -> tuple[str, dict]:
        """Assigned rows of people learning in the scoped teams (only the first `first_people`
        of them in the order of the name sort, when given), in current tracks, filtered by
        track (not by status)."""
        params: dict = {
            "learner": LEARNER,
            "today": connection.ops.adapt_datefield_value(self.today),
        }
        if self.manager.is_staff and self.filters.team_id is None:
            teams = ""  # every team: anyone who learns in one
        else:
            ids = self.scoped_team_ids or [0]  # no team: no rows (ids start at 1)
            params |= {f"team{n}": pk for n, pk in enumerate(ids)}
            marks = ", ".join(f"%(team{n})s" for n in range(len(ids)))
            teams = f" AND m.team_id IN ({marks})"
        learning = f"SELECT m.user_id FROM learners_membership m WHERE m.role = %(learner)s{teams}"  # noqa: S608  # nosec B608
        if first_people is not None:
            # Only the first people by name: their rows sort before everyone else's. A few
            # people are sorted; more are found by walking the name index, asked as a correlated
            # EXISTS, which SQLite too walks (see governance.services.learners_of).
            if self._few_people(everyone=not teams):
                orders, people = PEOPLE_SORT_SQL, f"u2.id IN ({learning})"
            else:
                orders, people = PEOPLE_ORDER_SQL, f"EXISTS ({learning} AND m.user_id = u2.id)"
            learning = (
                f"SELECT u2.id FROM learners_user u2 WHERE {people}"  # noqa: S608  # nosec B608
                f" ORDER BY {orders[self.filters.sort]} LIMIT %(people)s"
            )
            params["people"] = first_people
        clauses = ["e.assignment_id IS NOT NULL", f"e.learner_id IN ({learning})"]
        if self.filters.track_id:
            clauses.append("e.track_id = %(track)s")
            params["track"] = self.filters.track_id
        if self.curriculum.archived:
            archived = sorted(self.curriculum.archived)
            params |= {f"archived{n}": pk for n, pk in enumerate(archived)}
            marks = ", ".join(f"%(archived{n})s" for n in range(len(archived)))
            clauses.append(f"e.track_id NOT IN ({marks})")
        return " AND ".join(clauses), params

    def _few_people(self, *, everyone: bool) -> bool:
        """Whether the scope has few enough learners to sort them (PEOPLE_SORT_SQL)."""
        if everyone:
            return False
        scoped = set(self.scoped_team_ids)
        return sorts_its_people(sum(team.learners for team in self.teams if team.id in scoped))

    def summary(self) -> dict:
        """dashboards.summary over the rows without the status filter, in one query: from the
        scope's tallies (a few rows per team, whatever its size) when they can say it exactly,
        else by counting the rows."""
        everyone = self.manager.is_staff and self.filters.team_id is None
        counted = tallies.summary(
            None if everyone else self.scoped_team_ids,
            track_id=self.filters.track_id,
            archived=self.curriculum.archived,
            today=self.today,
        )
        return counted if counted is not None else self.counted_summary()

    def counted_summary(self) -> dict:
        """summary(), counted from the rows."""
        where, params = self._where()
        sql = f"""
            SELECT COUNT(*), COUNT(DISTINCT e.learner_id),
                   COUNT(*) FILTER (WHERE {COMPLETED_SQL}),
                   COUNT(*) FILTER (WHERE {STATUS_WHERE["in_progress"]}),
                   COUNT(*) FILTER (WHERE {OVERDUE_SQL}),
                   COALESCE(SUM(e.pending_reviews), 0)
            FROM progress_enrolment e
            WHERE {where}"""  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assignments, people, completed, in_progress, overdue, waiting = cursor.fetchone()
        return {
            "assignments": assignments,
            "people": people,
            "completed": completed,
            "in_progress": in_progress,
            "overdue": overdue,
            "not_started": assignments - completed - in_progress - overdue,
            "awaiting_review": waiting,
        }

    def _rows_sql(
        self, columns: str, joins: str = "", first_people: int | None = None
    ) -> tuple[str, dict]:
        """SELECT `columns` of the rows the filters keep (status included), in the chosen order.
        `e` is the enrolment, `u` its learner."""
        where, params = self._where(first_people)
        status = self.filters.status
        if status in STATUS_WHERE:
            where = f"{where} AND {STATUS_WHERE[status]}"
        order = ORDER_SQL.get(self.filters.sort, ORDER_SQL["name"])
        if order.startswith("tr."):
            joins = f"{joins} JOIN courses_track tr ON tr.id = e.track_id"
        sql = f"""
            SELECT {columns}
            FROM progress_enrolment e JOIN learners_user u ON u.id = e.learner_id{joins}
            WHERE {where}
            ORDER BY {order}, e.id"""  # noqa: S608  # nosec B608
        return sql, params

    def rows(self, *, offset: int, limit: int, total: int | None = None) -> list[dict]:
        """A page of rows as dicts of the row's figures, the person's name and email, the track's
        title and `lessons_total`, and `team_name`: two queries (the rows, then the team of
        each person on the page).

        `total`, the number of rows the filters keep (the summary counted it), lets the first
        page sorted by name read only the rows of the first `limit` people by name, instead
        of sorting every row of the team: each of them has a row, so their rows fill the page
        unless some have none (then the page is read in full, one query more)."""
        fetched = None
        if offset == 0 and total is not None and self._pages_by_person:
            fetched = self._fetch(limit=limit, offset=0, first_people=limit)
            if len(fetched) < min(limit, total):
                fetched = None
        if fetched is None:
            fetched = self._fetch(limit=limit, offset=offset)
        titles, totals = self.curriculum.titles, self.curriculum.lesson_counts
        teams = self._team_names({row[0] for row in fetched})
        return [
            {
                "learner_id": learner_id,
                "track_id": track_id,
                "lessons_done": done,
                "quiz_average": quiz,
                "pending_reviews": waiting,
                "due_date": _date(due),
                "last_activity_at": _moment(active),
                "status": status,
                "learner__display_name": name,
                "learner__email": email,
                "track__title": titles.get(track_id, ""),
                "lessons_total": totals.get(track_id, 0),
                "team_name": teams.get(learner_id, ""),
            }
            for learner_id, track_id, done, quiz, waiting, due, active, status, name, email in (
                fetched
            )
        ]

    @property
    def _pages_by_person(self) -> bool:
        """Whether the first page can be read from the first people by name (sorted by name,
        every status)."""
        return self.filters.sort in PEOPLE_ORDER_SQL and self.filters.status not in STATUS_WHERE

    def _fetch(self, *, limit: int, offset: int, first_people: int | None = None) -> list[tuple]:
        sql, params = self._rows_sql(
            "e.learner_id, e.track_id, e.lessons_done, e.quiz_average, e.pending_reviews,"
            f" e.due_date, e.last_activity_at, {STATUS_SQL}, u.display_name, u.email",
            first_people=first_people,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"{sql} LIMIT %(limit)s OFFSET %(offset)s",
                params | {"limit": limit, "offset": offset},
            )
            return cursor.fetchall()

    def export_rows(self):
        """Every row, for the CSV: tuples of (name or the email's local part, email, team,
        track, lessons done, lessons in the track, status, due date, last active, quiz average,
        reviews waiting, assigned by), read in chunks (a server-side cursor on PostgreSQL)."""
        sql, params = self._rows_sql(
            "u.display_name, u.email, e.learner_id, e.track_id, e.lessons_done,"
            f" {STATUS_SQL}, e.due_date, e.last_activity_at, e.quiz_average,"
            " e.pending_reviews, assigner.display_name",
            joins=" JOIN learners_trackassignment a ON a.id = e.assignment_id"
            " LEFT JOIN learners_user assigner ON assigner.id = a.assigned_by_id",
        )
        titles, totals = self.curriculum.titles, self.curriculum.lesson_counts
        teams = self._team_names()
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(EXPORT_CHUNK_ROWS):
                for name, email, learner_id, track_id, done, status, due, *rest in chunk:
                    active, quiz, waiting, assigned_by = rest
                    yield (
                        name or email.split("@", 1)[0], email, teams.get(learner_id, ""),
                        titles.get(track_id, ""), done, totals.get(track_id, 0), status,
                        _date(due), _moment(active), quiz, waiting, assigned_by or "",
                    )  # fmt: skip

    def _team_names(self, learner_ids: set[int] | None = None) -> dict[int, str]:
        """Each person's (of these, or all) first team by name among the scoped teams. One
        query."""
        if learner_ids is not None and not learner_ids:
            return {}
        scoped = set(self.scoped_team_ids)
        names = {t.id: t.name for t in self.teams if t.id in scoped}
        if learner_ids is not None:
            marks = ", ".join(["%s"] * len(learner_ids))
            which, values = f"m.user_id IN ({marks})", sorted(learner_ids)
        else:
            marks = ", ".join(["%s"] * len(names)) or "NULL"
            which, values = f"m.team_id IN ({marks})", sorted(names)
        sql = (
            f"SELECT m.user_id, m.team_id FROM learners_membership m WHERE m.role = %s AND {which}"  # noqa: S608  # nosec B608
        )
        first: dict[int, str] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, [LEARNER, *values])
            for user_id, team_id in cursor:
                name = names.get(team_id)
                if name is not None and (user_id not in first or name < first[user_id]):
                    first[user_id] = name
        return first


def _date(value) -> date | None:
    """A DATE column as a date (SQLite hands back text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _moment(value) -> datetime | None:
    """A DATETIME column as an aware datetime (SQLite hands back naive UTC, or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
