"""Lists of ids sent to the database as one parameter.

`filter(pk__in=ids)` puts one placeholder per id in the SQL: a page that names everyone it
found (the people out of attempts at a quiz, say) sends as many parameters as there are people,
its SQL differs with each count, and past SQLite's 32,766 parameters (PostgreSQL's 65,535) the
query fails. `AmongIds("learner_id", ids)` asks the same question with the whole list in one
parameter: an array on PostgreSQL, JSON text read with `json_each` on SQLite. Both databases
still use the column's index to find the rows.
"""

import json
from collections.abc import Iterable

from django.db.models import F
from django.db.models.lookups import Lookup


def array_literal(ids: Iterable[int]) -> str:
    """A list of ids as PostgreSQL's array text, `{1,2,3}`. Sent as an untyped literal, it takes
    the compared column's type. psycopg would dump a Python list element by element in Python
    (36 µs for 50 ids, against 7 µs for the text)."""
    return "{" + ",".join(str(int(value)) for value in ids) + "}"


class AmongIds(Lookup):
    """`column IN (ids)` as a filter, with the ids in one parameter whatever their number. A
    lookup, so that SQLite too takes it as a condition of its own and not `(…) = true`, which
    its planner can't answer from an index."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def __init__(self, column: str, ids: Iterable[int]):
        super().__init__(F(column), sorted({int(value) for value in ids}))

    def as_sql(self, compiler, connection):
        # The column's SQL is the ORM's own; the ids travel as a parameter.
        column_sql, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(%s)", (*params, array_literal(self.rhs))
        among = f"{column_sql} IN (SELECT value FROM json_each(%s))"  # noqa: S608  # nosec B608
        return among, (*params, json.dumps(self.rhs))
