"""Calendar arithmetic the standard library leaves out."""

import calendar
import datetime


def add_months[T: datetime.date](value: T, months: int) -> T:
    """`value` moved by whole calendar months (negative: back), the day clamped to the month's
    end: 31 January + 1 month is 28 (or 29) February. Works for dates and datetimes."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)
