"""What a piece of code sends to the database: SQL with its placeholders, and the parameters
apart, as the driver receives them (CaptureQueriesContext shows the SQL with the values
already in it, which can't tell one parameter from a list of thousands)."""


class Statements:
    """Pass to `connection.execute_wrapper`; `sent` holds (sql, params) per statement."""

    def __init__(self):
        self.sent: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        self.sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)


def sqlite_plan(sql: str) -> str:
    """SQLite's plan for a statement as CaptureQueriesContext records it (values inlined), one
    step a line. SQLite plans without statistics (nothing runs ANALYZE), by rules that don't
    depend on the tables' sizes, so a test's small tables get the plan a large site gets."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[3]) for row in cursor.fetchall())
