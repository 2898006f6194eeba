"""Report periods: months, arbitrary periods, their Russian labels and their instants.

A period is a pair of dates ``[start, end]`` (inclusive) in the administration's time zone; its
instants are ``[start 00:00, end+1 00:00)`` there. Pure date arithmetic, no queries.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otklik.organization.models import Administration

MONTHS_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def parse_month(raw: str) -> tuple[dt.date, dt.date]:
    """``2026-11`` → (1 Nov, 30 Nov); raises ``ValueError`` with a Russian message."""
    try:
        year, month = (int(x) for x in raw.strip().split("-"))
        return month_bounds(year, month)
    except (ValueError, TypeError):
        raise ValueError(f"Месяц указывается как ГГГГ-ММ, например 2026-11 (получено «{raw}»).") from None


def is_whole_month(start: dt.date, end: dt.date) -> bool:
    return start.day == 1 and month_bounds(start.year, start.month) == (start, end)


def period_label(start: dt.date, end: dt.date) -> str:
    if is_whole_month(start, end):
        return f"{MONTHS_NOMINATIVE[start.month - 1]} {start.year} г."
    return f"{start:%d.%m.%Y} — {end:%d.%m.%Y}"


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if is_whole_month(start, end):
        prev_end = start - dt.timedelta(days=1)
        return month_bounds(prev_end.year, prev_end.month)
    length = end - start
    return start - length - dt.timedelta(days=1), start - dt.timedelta(days=1)


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if is_whole_month(start, end):
        return month_bounds(start.year - 1, start.month)

    def back(d: dt.date) -> dt.date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:  # 29 February
            return d.replace(year=d.year - 1, day=28)

    return back(start), back(end)


def instants(adm: Administration, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00, end+1 00:00)`` in the administration's zone, as aware datetimes."""
    tz = adm.calendar.tz
    lo = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return lo, hi


def last_months(end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The ``count`` whole months ending with the month of ``end``, oldest first."""
    out = []
    year, month = end.year, end.month
    for _ in range(count):
        out.append(month_bounds(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def last_weeks(end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The ``count`` Monday-to-Sunday weeks ending with the week of ``end``, oldest first."""
    monday = end - dt.timedelta(days=end.weekday())
    return [
        (monday - dt.timedelta(weeks=i), monday - dt.timedelta(weeks=i) + dt.timedelta(days=6))
        for i in range(count - 1, -1, -1)
    ]


def short_month(start: dt.date) -> str:
    """«янв 26» for chart axes."""
    return f"{MONTHS_NOMINATIVE[start.month - 1][:3]} {start.year % 100:02d}"
