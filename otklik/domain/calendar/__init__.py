"""Working time of an administration: the production calendar, its schedule, and deadlines.

Pure Python, no Django. The package is split by what changes together:

* ``days.py`` — what a single date is (kind, working intervals, exceptions, the art. 95 rule) and
  the yearly and monthly figures made of days;
* ``production.py`` — the Russian production calendar per year: decree data (shipped or loaded
  by an administrator) merged with the ``holidays`` package, and the estimate for a year
  without data;
* ``timeline.py`` — the flat arrays of working intervals that make the arithmetic fast;
* ``engine.py`` — :class:`WorkingCalendar`, the arithmetic over instants (``add``, ``subtract``,
  ``elapsed``, ``clock``) for every unit of the regulation;
* ``files.py`` — reading the calendar files, with errors that name the line;
* ``importing.py`` — checking and previewing a year file before it is saved.
"""

from .days import (
    EXCEPTION_KINDS,
    CalendarError,
    CalendarYearNotCovered,
    DayException,
    DayInfo,
    DayKind,
    MonthNorm,
    YearSummary,
)
from .engine import DEFAULT_CALENDAR_PATH, DEFAULT_SCHEDULE, WorkingCalendar
from .files import CalendarFileError
from .production import (
    DEFAULT_PRODUCTION_CALENDAR_PATH,
    ESTIMATED,
    SHIPPED,
    Override,
    ProductionCalendar,
    YearData,
    missing_years,
)

__all__ = [
    "DEFAULT_CALENDAR_PATH",
    "DEFAULT_PRODUCTION_CALENDAR_PATH",
    "DEFAULT_SCHEDULE",
    "ESTIMATED",
    "EXCEPTION_KINDS",
    "SHIPPED",
    "CalendarError",
    "CalendarFileError",
    "CalendarYearNotCovered",
    "DayException",
    "DayInfo",
    "DayKind",
    "MonthNorm",
    "Override",
    "ProductionCalendar",
    "WorkingCalendar",
    "YearData",
    "YearSummary",
    "missing_years",
]
