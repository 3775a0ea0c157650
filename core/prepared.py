"""Reads whose SQL the ORM compiles once per process, then runs with each request's values.

On the pages people open most (/me/, the team pages) building querysets and compiling them to
SQL cost the ORM more CPU than the database spends running the SQL: about 1 ms for a query
that runs in 0.2 ms. A page's reads have a fixed shape, only the person or the team changes, so
`prepared` compiles each one once, with stand-in values, remembers where those values sit
among the SQL's parameters, and from then on swaps in the request's values and lets the ORM turn
the rows into model instances or dicts exactly as it would have (converters, select_related,
annotations, prefetches).

    enrolments_of = prepared(
        lambda learner_id: Enrolment.objects.filter(learner_id=learner_id).select_related("track")
    )
    enrolments_of(learner_id=request.user.pk)  # a list, as list(queryset) would be

What a read may depend on: the values it is called with, and nothing else that can change while
the process runs (no `timezone.now()`, no rows read while building it; pass those as arguments
or compare them in Python). Compiling twice with different stand-ins catches a builder that
reads something else. Values are integers (ids) or lists of them (for `__in`): a list's length
is part of the SQL's shape, so a read is compiled once per length it meets (a page of 50 people,
the last page) and an empty list, which the ORM turns into no SQL at all, is read the ORM's way.
"""

import copy
import functools
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import QuerySet

from core.id_lists import array_literal

# Stand-in values: within a 32-bit integer column's range (Django refuses a lookup outside it)
# and far above any id a real table reaches before it is compiled.
_FIRST_STAND_IN = 2_146_000_001

Value = int | Iterable[int]
Shape = tuple[tuple[str, int | None], ...]  # (argument, its length when it is a list)
# A slot's index when the whole list goes in one parameter (an array, on PostgreSQL).
WHOLE = -1
_PLACEHOLDER = re.compile(r"%%|%s")


class NotPreparableError(Exception):
    """The builder's SQL depends on something other than the values it is called with."""


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: object
    sql: str
    params: tuple
    # (position among the parameters, argument name, index in it when it is a list)
    slots: tuple[tuple[int, str, int | None], ...]
    # What turns the database's values into Python's, per connection (a thread's, a worker's):
    # worked out once, as the SQL is (on every run it cost as much as a fifth of a small read).
    # Weak keys: a connection closed with its thread takes its entry with it.
    converters: weakref.WeakKeyDictionary = field(
        default_factory=weakref.WeakKeyDictionary, compare=False
    )


class PreparedRead:
    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[tuple[str, Shape], _Compiled] = {}
        self._model = None
        self._lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, **values: Value) -> list:
        """The rows, as `list(queryset)` would give them."""
        values = _plain(values)
        if _has_an_empty_list(values):
            return list(self.build(**values))
        using, compiled, params = self._bind(values)
        return list(_bound(compiled, using, (compiled.sql, params)))

    def page(self, *, offset: int, limit: int, **values: Value) -> list:
        """`limit` rows from `offset` on, as `list(queryset[offset:offset + limit])` would give
        them: the read's SQL is the same for every page, the bounds are parameters."""
        values = _plain(values)
        if _has_an_empty_list(values):
            return list(self.build(**values)[offset : offset + limit])
        using, compiled, params = self._bind(values)
        paged = (f"{compiled.sql} LIMIT %s OFFSET %s", (*params, int(limit), int(offset)))
        return list(_bound(compiled, using, paged))

    def count(self, *, up_to: int | None = None, **values: Value) -> int:
        """How many rows the read gives, counting no further than `up_to` when given: the
        kept SQL wrapped in `SELECT COUNT(*)`. Build an unordered read for it (an ORDER BY
        would make the database sort rows it only counts)."""
        values = _plain(values)
        if _has_an_empty_list(values):
            rows = self.build(**values)
            return (rows[:up_to] if up_to is not None else rows).count()
        using, compiled, params = self._bind(values)
        sql, params = compiled.sql, list(params)
        if up_to is not None:
            sql, params = f"{sql} LIMIT %s", [*params, int(up_to)]
        with connections[using].cursor() as cursor:
            # The ORM's own compiled SQL, wrapped: no value is in the text.
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608  # nosec B608
            return cursor.fetchone()[0]

    def sql(self, **values: int) -> tuple[str, tuple]:
        """The SQL and its parameters, for a query written as SQL around this one (a subquery)."""
        _, compiled, params = self._bind(_plain(values))
        return compiled.sql, params

    def _bind(self, values: dict[str, int | list[int]]) -> tuple[str, _Compiled, tuple]:
        shape = tuple(
            sorted((name, len(v) if isinstance(v, list) else None) for name, v in values.items())
        )
        if self._model is None:
            self._model = self.build(**_stand_ins(shape, offset=0)).model
        using = router.db_for_read(self._model)
        compiled = self._compiled.get((using, shape)) or self._compile(using, shape)
        params = list(compiled.params)
        for position, name, index in compiled.slots:
            if index is None:
                params[position] = int(values[name])
            elif index == WHOLE:
                params[position] = array_literal(values[name])
            else:
                params[position] = int(values[name][index])
        return using, compiled, tuple(params)

    def _compile(self, using: str, shape: Shape) -> _Compiled:
        with self._lock:
            if (using, shape) in self._compiled:
                return self._compiled[(using, shape)]
            count = sum(1 if length is None else length for _, length in shape)
            first = self._sql(using, shape, offset=0)
            second = self._sql(using, shape, offset=count)
            where = _places(shape)
            slots = tuple(
                (position, *where[value])
                for position, value in enumerate(first.params)
                if isinstance(value, int) and value in where
            )
            stand_ins = {position for position, *_ in slots}
            changed_elsewhere = any(
                a != b
                for position, (a, b) in enumerate(zip(first.params, second.params, strict=True))
                if position not in stand_ins
            )
            if first.sql != second.sql or changed_elsewhere:
                raise NotPreparableError(f"{self.build!r} reads something besides {shape}")
            if {(name, index) for _, name, index in slots} != set(where.values()):
                raise NotPreparableError(f"{self.build!r} doesn't use all of {shape} as parameters")
            sql, params = first.sql, first.params
            if connections[using].vendor == "postgresql":
                sql, params, slots = _lists_as_arrays(sql, params, slots)
            compiled = _Compiled(first.queryset, first.compiler, sql, params, slots)
            self._compiled[(using, shape)] = compiled
            return compiled

    def _sql(self, using: str, shape: Shape, *, offset: int) -> _Compiled:
        queryset = self.build(**_stand_ins(shape, offset=offset))
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if offset:  # the second compilation's stand-ins, renumbered to compare with the first
            ours = set(_places(shape, offset=offset))
            params = tuple(
                value - offset if isinstance(value, int) and value in ours else value
                for value in params
            )
        return _Compiled(queryset, compiler, sql, tuple(params), ())


def _lists_as_arrays(sql: str, params: tuple, slots: tuple) -> tuple[str, tuple, tuple]:
    """`x IN (%s, %s, …)` over a list argument rewritten as `x = ANY(%s)` with the list as one
    array parameter. psycopg parses a statement's placeholders once and remembers them only for
    statements of at most 50 parameters: a page of 50 people named three times was parsed again
    on every request. Anything that isn't exactly an `IN` over one whole list is left alone."""
    starts = [m.start() for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s"]
    if len(starts) != len(params):
        return sql, params, slots
    at = {position: (name, index) for position, name, index in slots}
    pieces, new_params, new_slots = [], [], []
    copied_to, position = 0, 0
    while position < len(params):
        name, index = at.get(position, (None, None))
        length = _list_run(sql, starts, at, position) if index == 0 else 0
        if length:
            opening = starts[position] - len("IN (")
            closing = starts[position + length - 1] + len("%s)")
            pieces += [sql[copied_to:opening], "= ANY(%s)"]
            copied_to = closing
            new_slots.append((len(new_params), name, WHOLE))
            new_params.append([])
            position += length
            continue
        if name is not None:
            new_slots.append((len(new_params), name, index))
        new_params.append(params[position])
        position += 1
    pieces.append(sql[copied_to:])
    return "".join(pieces), tuple(new_params), tuple(new_slots)


def _list_run(sql: str, starts: list[int], at: dict, first: int) -> int:
    """How many placeholders from `first` on are one whole list inside `IN (…)`, or 0."""
    name = at[first][0]
    length = 1 + max(index for other, index in at.values() if other == name and index is not None)
    last = first + length - 1
    if last >= len(starts) or any(at.get(first + i) != (name, i) for i in range(length)):
        return 0
    if sql[starts[first] - len("IN (") : starts[first]] != "IN (":
        return 0
    if sql[starts[first] : starts[last] + len("%s)")] != ", ".join(["%s"] * length) + ")":
        return 0
    return length


def _plain(values: dict[str, Value]) -> dict[str, int | list[int]]:
    """Ids as ints, collections of ids as sorted lists (the order of an `IN` list is moot)."""
    return {
        name: value if isinstance(value, int) else sorted(value) for name, value in values.items()
    }


def _has_an_empty_list(values: dict[str, int | list[int]]) -> bool:
    return any(isinstance(value, list) and not value for value in values.values())


def _places(shape: Shape, *, offset: int = 0) -> dict[int, tuple[str, int | None]]:
    """Each stand-in value: (argument, index in it when it is a list)."""
    places, next_value = {}, _FIRST_STAND_IN + offset
    for name, length in shape:
        for index in [None] if length is None else range(length):
            places[next_value] = (name, index)
            next_value += 1
    return places


def _stand_ins(shape: Shape, *, offset: int) -> dict[str, int | list[int]]:
    values: dict[str, int | list[int]] = {}
    for value, (name, index) in _places(shape, offset=offset).items():
        if index is None:
            values[name] = value
        else:
            values.setdefault(name, []).append(value)
    return values


def _bound(compiled: _Compiled, using: str, statement: tuple[str, tuple]) -> QuerySet:
    """A copy of the compiled queryset that runs `statement` (the kept SQL, or it with bounds,
    and its parameters), to be evaluated once."""
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connections[using]  # this thread's connection
    compiler.as_sql = lambda *args, **kwargs: statement
    compiler.get_converters = functools.partial(_converters, compiled, compiler)
    queryset = compiled.queryset._chain()
    queryset.query.get_compiler = lambda *args, **kwargs: compiler
    return queryset


def _converters(compiled: _Compiled, compiler, expressions) -> dict:
    """`compiler.get_converters(expressions)`, remembered for the compiled read's columns and
    this connection (the converters are its backend's methods). They depend on the columns and
    the database, never on the values read, so one dict serves every run. Only the columns the
    rows are read with are remembered: Django also asks for converters of columns it builds on
    the fly (a composite key's), which are worked out each time as usual."""
    columns = compiler.select[: compiler.col_count]
    if len(expressions) != len(columns) or any(
        expression is not column[0]
        for expression, column in zip(expressions, columns, strict=False)
    ):
        return type(compiler).get_converters(compiler, expressions)
    found = compiled.converters.get(compiler.connection)
    if found is None:
        found = type(compiler).get_converters(compiler, expressions)
        compiled.converters[compiler.connection] = found
    return found


def prepared(build: Callable[..., QuerySet]) -> PreparedRead:
    return PreparedRead(build)
