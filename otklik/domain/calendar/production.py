"""The Russian production calendar (производственный календарь) as data, per year.

Pure Python, no Django. Public holidays (Labour Code art. 112) and the days off moved onto
weekdays come from the ``holidays`` package; working Saturdays and pre-holiday shortened days
(art. 95), which the package does not carry in full, come from year data transcribed from the
yearly Government decrees: the shipped ``data/ru-production-calendar.toml``, or a year an
administration loaded itself (``otklik calendar import``). A year's days off are merged with the
package's, so a package update cannot silently drop a decree's day off.

A year without such data is *not covered*: :meth:`ProductionCalendar.overrides` raises
:class:`CalendarYearNotCovered` unless the caller explicitly accepts an *estimated* year
(``strict=False``): the package's holidays, moved days off and working Saturdays, plus the
art. 95 rule — said loudly in the log, since deadlines computed this way may be off by whatever
that year's decree says that the package does not know yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import holidays as holidays_lib

from .days import CalendarError, CalendarYearNotCovered, DayKind

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PRODUCTION_CALENDAR_PATH",
    "WARN_FROM_MONTH",
    "Override",
    "ProductionCalendar",
    "YearData",
    "missing_years",
]

DEFAULT_PRODUCTION_CALENDAR_PATH = Path(__file__).resolve().parent.parent / "data" / "ru-production-calendar.toml"

#: From 1 October the next year's calendar is due: the decree is usually signed in September
#: or October, and people must be told before 1 January, not on it.
WARN_FROM_MONTH = 10

SHIPPED = "shipped"
ESTIMATED = "estimated"

_MOVED_FROM = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")


@dataclass(frozen=True, slots=True)
class Override:
    """How the production calendar changes one date relative to the weekly schedule.

    ``kind`` is HOLIDAY or DAY_OFF (no work), or WORKING (a working day: a working Saturday,
    whose schedule is that of ``schedule_of``, or a weekday that is ``shortened``).
    """

    kind: DayKind
    shortened: bool = False
    schedule_of: date | None = None
    note: str = ""


@dataclass(frozen=True)
class YearData:
    """One year's decree facts not carried by the ``holidays`` package (or not trusted to it).

    ``origin`` says where the year came from: ``"shipped"`` (the data file of the release) or a
    label of the file an administrator loaded.
    """

    year: int
    decree: str
    days_off: Mapping[date, date]  # day off -> the day it was moved from
    working_saturdays: Mapping[date, date]  # working weekend day -> the weekday it replaces
    shortened: frozenset[date]
    working_days: int | None = None
    working_hours: int | None = None
    holidays: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))  # regional holidays
    origin: str = SHIPPED


class ProductionCalendar:
    """Per-year overrides of the weekly schedule; cached, thread-safe, immutable once built."""

    def __init__(self, *, country: str, years: Mapping[int, YearData], source: str = "<string>") -> None:
        if not years:
            raise CalendarError(f"{source}: в производственном календаре нет ни одного года")
        ordered = sorted(years)
        if ordered != list(range(ordered[0], ordered[-1] + 1)):
            missing = sorted(set(range(ordered[0], ordered[-1] + 1)) - set(ordered))
            raise CalendarError(
                f"{source}: годы производственного календаря идут с пропуском: нет "
                f"{', '.join(map(str, missing))}; загрузите сначала пропущенные годы"
            )
        self.country = country
        self.source = source
        self.years: Mapping[int, YearData] = MappingProxyType(dict(years))
        self.covered_years: tuple[int, int] = (ordered[0], ordered[-1])
        self._cache: dict[tuple[int, bool], Mapping[date, Override]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ProductionCalendar({self.country!r}, covered_years={self.covered_years})"

    @classmethod
    def default(cls) -> ProductionCalendar:
        """The shipped ``data/ru-production-calendar.toml``, one per process."""
        return default_production_calendar()

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> ProductionCalendar:
        from .files import parse_production_calendar

        return parse_production_calendar(text, source=source)

    @classmethod
    def load(cls, path: str | Path) -> ProductionCalendar:
        from .files import load_production_calendar

        return load_production_calendar(path)

    def origin(self, year: int) -> str:
        """Where the year's data came from: "shipped", an import's label, or "estimated"."""
        data = self.years.get(year)
        return data.origin if data is not None else ESTIMATED

    def covers(self, year: int) -> bool:
        return self.covered_years[0] <= year <= self.covered_years[1]

    def with_years(self, years: Iterable[YearData], *, source: str | None = None) -> ProductionCalendar:
        """A copy where ``years`` replace or extend this calendar's years (an administrator's import)."""
        merged = dict(self.years)
        merged.update({y.year: y for y in years})
        return ProductionCalendar(country=self.country, years=merged, source=source or self.source)

    def overrides(self, year: int, *, strict: bool = True) -> Mapping[date, Override]:
        """Date -> override for ``year``; raises CalendarYearNotCovered if strict and uncovered."""
        covered = self.covers(year)
        if not covered and strict:
            raise CalendarYearNotCovered(year, self.covered_years)
        key = (year, covered)
        found = self._cache.get(key)
        if found is None:
            with self._lock:
                found = self._cache.get(key)
                if found is None:
                    found = self._build(year) if covered else self._build_estimated(year)
                    self._cache[key] = found
        return found

    # -- building -------------------------------------------------------------------------------

    def _package(self, year: int) -> holidays_lib.HolidayBase:
        try:
            return holidays_lib.country_holidays(self.country, years=year, language="ru")
        except NotImplementedError:
            raise CalendarError(f"{self.source}: пакет holidays не знает страну {self.country!r}") from None

    def _days_off_and_holidays(self, table: Mapping[date, str]) -> dict[date, Override]:
        result: dict[date, Override] = {}
        for day, name in table.items():
            # The package names moved days off "Выходной (перенесено с …)" and art. 112 moves
            # "… (выходной)"; everything else is a non-working public holiday proper.
            kind = DayKind.DAY_OFF if "выходной" in name.lower() else DayKind.HOLIDAY
            result[day] = Override(kind=kind, note=name)
        return result

    def _build(self, year: int) -> Mapping[date, Override]:
        data = self.years[year]
        result = self._days_off_and_holidays(dict(self._package(year).items()))
        for day, name in data.holidays.items():
            result[day] = Override(kind=DayKind.HOLIDAY, note=name)
        for day, moved_from in data.days_off.items():
            if day not in result:
                result[day] = Override(
                    kind=DayKind.DAY_OFF,
                    note=f"Выходной (перенесено с {moved_from:%d.%m.%Y})",
                )
        for day, instead_of in data.working_saturdays.items():
            if day in result:
                raise CalendarError(
                    f"{self.source}: years.{year}.working_saturdays: {day:%d.%m.%Y} — "
                    f"нерабочий праздничный день, рабочим он быть не может"
                )
            result[day] = Override(
                kind=DayKind.WORKING,
                shortened=day in data.shortened,
                schedule_of=instead_of,
                note=f"Рабочий день (выходной перенесён на {instead_of:%d.%m.%Y})"
                + ("; предпраздничный, короче на 1 час" if day in data.shortened else ""),
            )
        for day in sorted(data.shortened - set(data.working_saturdays)):
            if day in result:
                raise CalendarError(
                    f"{self.source}: years.{year}.shortened: {day:%d.%m.%Y} — нерабочий день, "
                    f"сокращённым он быть не может"
                )
            if day.weekday() >= 5:
                raise CalendarError(
                    f"{self.source}: years.{year}.shortened: {day:%d.%m.%Y} — выходной день; "
                    f"рабочую субботу укажите в working_saturdays"
                )
            result[day] = Override(
                kind=DayKind.WORKING,
                shortened=True,
                note="Предпраздничный день (короче на 1 час)",
            )
        return MappingProxyType(result)

    def _build_estimated(self, year: int) -> Mapping[date, Override]:
        """An estimate for a year without decree data: everything the package knows, plus art. 95.

        Only reached with ``strict=False``; it says so loudly (once per year and process).
        """
        log.warning(
            "Производственный календарь на %s год не загружен (есть %s–%s): сроки считаются "
            "приблизительно — по праздникам и переносам пакета holidays %s и правилу ст. 95 ТК РФ, "
            "без данных постановления. Загрузите календарь года: otklik calendar import ФАЙЛ.",
            year,
            *self.covered_years,
            holidays_lib.__version__,
        )
        return MappingProxyType(estimate_year(year, self._package(year)))


def estimate_year(year: int, package: holidays_lib.HolidayBase) -> dict[date, Override]:
    """The production calendar of ``year`` as the ``holidays`` package and art. 95 give it.

    The package has the holidays, the moved days off («Выходной (перенесено с ДД.ММ.ГГГГ)») and
    the working weekend days. A working Saturday works the standard day of the weekday whose
    day off it gave; the art. 95 shortened day is the working day just before a holiday — or, when
    that day became a day off moved from a working Saturday, that Saturday (as the decrees do:
    2 Nov 2024, 1 Nov 2025, 20 Feb 2021 and 2027).
    """
    table = dict(package.items())
    result: dict[date, Override] = {}
    moved_from: dict[date, date] = {}
    for day, name in table.items():
        kind = DayKind.DAY_OFF if "выходной" in name.lower() else DayKind.HOLIDAY
        result[day] = Override(kind=kind, note=f"{name} (оценка без данных постановления)")
        found = _MOVED_FROM.search(name)
        if found:
            moved_from[day] = date(int(found[3]), int(found[2]), int(found[1]))
    gave = {saturday: day_off for day_off, saturday in moved_from.items()}
    workdays = {d for d in getattr(package, "weekend_workdays", ()) if d.year == year and d not in result}
    for day in sorted(workdays):
        instead_of = gave.get(day) or day - timedelta(days=day.weekday())  # else that week's Monday
        result[day] = Override(
            kind=DayKind.WORKING,
            schedule_of=instead_of,
            note="Рабочий день (перенос выходного; оценка без данных постановления)",
        )
    shortened: set[date] = set()
    for day, override in list(result.items()):
        if override.kind is not DayKind.HOLIDAY:
            continue
        eve = day - timedelta(days=1)
        if eve.year != year:
            continue
        before = result.get(eve)
        if (before is None and eve.weekday() < 5) or (before is not None and before.kind is DayKind.WORKING):
            shortened.add(eve)
        elif before is not None and before.kind is DayKind.DAY_OFF and moved_from.get(eve) in workdays:
            shortened.add(moved_from[eve])
    for day in shortened:
        base = result.get(day)
        result[day] = Override(
            kind=DayKind.WORKING,
            shortened=True,
            schedule_of=base.schedule_of if base else None,
            note="Предпраздничный день (короче на 1 час; оценка без данных постановления)",
        )
    return result


def missing_years(production: ProductionCalendar | None, today: dt.date) -> list[int]:
    """Years whose calendar people must be warned about on ``today``.

    The current year if it is not covered (deadlines are being estimated now), and from
    1 October the next year if it is not covered yet.
    """
    if production is None:
        return []
    wanted = [today.year]
    if today.month >= WARN_FROM_MONTH:
        wanted.append(today.year + 1)
    return [y for y in wanted if not production.covers(y)]


@functools.cache
def default_production_calendar() -> ProductionCalendar:
    from .files import load_production_calendar

    return load_production_calendar(DEFAULT_PRODUCTION_CALENDAR_PATH)
