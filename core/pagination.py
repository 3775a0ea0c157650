"""Pages over lists that can grow without bound (a review inbox, an audit log), and over lists
whose length a page has already counted with its other figures.

Django's Paginator counts every row on every view to say "page 1 of N". For a manager with
38,000 submissions waiting that count was most of the page's database time (76 ms on
PostgreSQL), and it grows with the list while nobody reads past the first pages. Here the
count stops a little past what the page needs: beyond that the page says "more than".
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from core.prepared import PreparedRead

COUNTED_UP_TO = 1000


class CappedCountPaginator(Paginator):
    """A paginator over a queryset (or anything sliceable with a `count_up_to(limit)`) that
    counts at most `counted_up_to` rows, or just past the requested page when that lies
    further. `more` tells whether rows lie beyond the count; every page up to the requested one
    and the next is then exact, so "previous" and "next" are always right."""

    def __init__(self, object_list, per_page, *, counted_up_to: int | None = None):
        super().__init__(object_list, per_page)
        self.counted_up_to = COUNTED_UP_TO if counted_up_to is None else counted_up_to
        self.more = False

    def get_page(self, number):
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        # One row past the requested page, to know whether a next one exists.
        self.counted_up_to = max(self.counted_up_to, wanted * self.per_page + 1)
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        found = count_up_to(self.object_list, self.counted_up_to + 1)
        self.more = found > self.counted_up_to
        return min(found, self.counted_up_to)


def count_up_to(rows, limit: int) -> int:
    """How many rows there are, counting no further than `limit`."""
    if isinstance(rows, QuerySet):
        return rows.order_by()[:limit].count()
    return rows.count_up_to(limit)


class KnownCountPaginator(Paginator):
    """A paginator told how many rows there are (counted with the page's other figures in one
    query), so it doesn't count them again."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


class PreparedRows:
    """A compiled read (core.prepared) as CappedCountPaginator reads it: a page is sliced from
    `rows` with the bounds as parameters, and `ids` (the same read, unordered, ids only) counts
    no further than the paginator asks. `values` are the reads' arguments."""

    def __init__(self, rows: PreparedRead, ids: PreparedRead, **values: int):
        self.rows, self.ids, self.values = rows, ids, values

    def __getitem__(self, bounds: slice) -> list:
        return self.rows.page(offset=bounds.start, limit=bounds.stop - bounds.start, **self.values)

    def count_up_to(self, limit: int) -> int:
        return self.ids.count(up_to=limit, **self.values)
