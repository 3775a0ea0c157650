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
