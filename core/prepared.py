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

What a read may depend on: the integer values it is called with, and nothing else that can
change while the process runs (no `timezone.now()`, no rows read while building it; pass those as
arguments or compare them in Python). Compiling twice with different stand-ins catches a builder
that reads something else. Values are integers (ids): a list of ids has no fixed shape, so use
a subquery instead.
"""

import copy
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet

# Stand-in values: within a 32-bit integer column's range (Django refuses a lookup outside it)
# and far above any id a real table reaches before it is compiled.
_FIRST_STAND_IN = 2_146_000_001


class NotPreparableError(Exception):
    """The builder's SQL depends on something other than the values it is called with."""


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: object
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (position among the parameters, argument name)


class PreparedRead:
    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[str, _Compiled] = {}
        self._model = None
        self._lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, **values: int) -> list:
        """The rows, as `list(queryset)` would give them."""
        using, compiled, params = self._bind(values)
        return list(_bound(compiled, using, params))

    def sql(self, **values: int) -> tuple[str, tuple]:
        """The SQL and its parameters, for a query written as SQL around this one (a subquery)."""
        _, compiled, params = self._bind(values)
        return compiled.sql, params

    def _bind(self, values: dict[str, int]) -> tuple[str, "_Compiled", tuple]:
        if self._model is None:
            self._model = self.build(**dict.fromkeys(values, _FIRST_STAND_IN)).model
        using = router.db_for_read(self._model)
        compiled = self._compiled.get(using) or self._compile(using, tuple(values))
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = int(values[name])
        return using, compiled, tuple(params)

    def _compile(self, using: str, names: tuple[str, ...]) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            first = self._sql(using, names, offset=0)
            second = self._sql(using, names, offset=len(names))
            slots = tuple(
                (position, names[value - _FIRST_STAND_IN])
                for position, value in enumerate(first.params)
                if isinstance(value, int) and 0 <= value - _FIRST_STAND_IN < len(names)
            )
            stand_ins = {position for position, _ in slots}
            changed_elsewhere = any(
                a != b
                for position, (a, b) in enumerate(zip(first.params, second.params, strict=True))
                if position not in stand_ins
            )
            if first.sql != second.sql or changed_elsewhere:
                raise NotPreparableError(f"{self.build!r} reads something besides {names}")
            if {name for _, name in slots} != set(names):
                raise NotPreparableError(f"{self.build!r} doesn't use all of {names} as parameters")
            compiled = _Compiled(first.queryset, first.compiler, first.sql, first.params, slots)
            self._compiled[using] = compiled
            return compiled

    def _sql(self, using: str, names: tuple[str, ...], *, offset: int) -> _Compiled:
        stand_ins = {name: _FIRST_STAND_IN + offset + i for i, name in enumerate(names)}
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if offset:  # the second compilation's stand-ins, renumbered to compare with the first
            params = tuple(
                value - offset
                if isinstance(value, int) and value in set(stand_ins.values())
                else value
                for value in params
            )
        return _Compiled(queryset, compiler, sql, tuple(params), ())


def _bound(compiled: _Compiled, using: str, params: tuple) -> QuerySet:
    """A copy of the compiled queryset that runs the kept SQL with `params`, evaluated once."""
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connections[using]  # this thread's connection
    compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)
    queryset = compiled.queryset._chain()
    queryset.query.get_compiler = lambda *args, **kwargs: compiler
    return queryset


def prepared(build: Callable[..., QuerySet]) -> PreparedRead:
    return PreparedRead(build)
