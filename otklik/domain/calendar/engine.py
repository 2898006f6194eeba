"""The working-time engine: every deadline of the regulation is computed here, to the microsecond.

Pure Python, no Django. A :class:`WorkingCalendar` is a time zone, a weekly schedule (working
intervals per weekday; default Mon–Fri 09:00–13:00 and 14:00–18:00), the Russian production
calendar (holidays, moved days off, working Saturdays, pre-holiday shortened days — see
``production.py``) and the administration's own exceptions, which override everything
else for their date (even in a year the production calendar does not cover).

Counting rules (REGULATION.md, "how they are counted"):

* Working minutes/hours (and a bare ``timedelta``, which always means *working* time) run from the
  moment through working time only. The deadline is the *first* instant at which the elapsed
  working time reaches the limit: 30 min from 12:45 ends at 14:15 (lunch skipped), from Friday
  17:50 ends Monday 09:20, and a limit that is used up exactly at 13:00 ends at 13:00, not 14:00.
  Intervals are half-open ``[start, end)``: 13:00 itself is not working time.
* Working days (П.15; Civil Code arts. 191, 193, 194): whole working days are counted from the
  day after the start (in the calendar's time zone); the deadline is the close of the last one —
  the end of that day's last working interval.
* Calendar minutes/hours: plain elapsed time. Calendar days (Civil Code style): day 1 is the day
  after the start; the term ends at 24:00 local of day N, returned as 00:00 of the following day
  (the same instant); if day N is not a working day the term moves to the next working day
  (art. 193).
* :meth:`WorkingCalendar.subtract` is the inverse of ``add``: the *latest* instant ``x`` with
  ``elapsed(x, end) == limit`` (П.11: a 18:00 answer deadline minus 4 working hours is 14:00, the
  end of lunch, not 13:00).

A year the production calendar does not cover raises :class:`CalendarYearNotCovered` (with
``strict_years=True``, the default) rather than guessing; with ``strict_years=False`` it is
estimated from the ``holidays`` package with a loud warning (``production.py``), and
:meth:`WorkingCalendar.estimated_years` says which years a result leaned on.

This module is the arithmetic only: days and their rules are in ``days.py``, reading calendar
files in ``files.py``, the preview of a year file an administrator loads in ``importing.py``.

Speed: ``add``/``elapsed``/``subtract``/``clock`` are two bisects and some integer arithmetic over
the flat arrays of ``timeline.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from otklik.domain.regulation import Limit, Unit

from .days import (
    WEEKDAY_KEYS,
    CalendarError,
    DayException,
    DayInfo,
    DayKind,
    Interval,
    YearSummary,
    check_exception,
    check_intervals,
    shortened_day,
    summarise,
)
from .production import ProductionCalendar
from .timeline import MAX_EMPTY_YEARS, Timeline, to_us

__all__ = ["DEFAULT_CALENDAR_PATH", "DEFAULT_SCHEDULE", "WorkingCalendar"]

DEFAULT_CALENDAR_PATH = Path(__file__).resolve().parent.parent / "data" / "calendar-default.toml"

_STANDARD_DAY: tuple[Interval, ...] = ((time(9), time(13)), (time(14), time(18)))
DEFAULT_SCHEDULE: Mapping[int, tuple[Interval, ...]] = MappingProxyType(
    {0: _STANDARD_DAY, 1: _STANDARD_DAY, 2: _STANDARD_DAY, 3: _STANDARD_DAY, 4: _STANDARD_DAY}
)

_US: Final = timedelta(microseconds=1)
_MINUTE_US: Final = 60_000_000
_HOUR_US: Final = 3_600_000_000
_UNSET: Final[Any] = object()
_FAST_US_LIMIT: Final = 2**32 * 1_000_000  # 2106-02-07: float seconds keep microseconds exact


class WorkingCalendar:
    """Working time of one administration. Immutable; caches are internal and thread-safe."""

    def __init__(
        self,
        *,
        tz: str = "Asia/Chita",
        schedule: Mapping[int, Sequence[Interval]] | None = None,
        exceptions: Iterable[DayException] = (),
        strict_years: bool = True,
        production: ProductionCalendar | None = _UNSET,
        name: str = "",
    ) -> None:
        """``production``: the production calendar (default: the shipped Russian one); ``None``
        means none at all — only the weekly schedule and exceptions, every year covered."""
        try:
            self.tz: ZoneInfo = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"неизвестный часовой пояс {tz!r}") from None
        self.tz_name = tz
        self.name = name
        self.strict_years = strict_years
        self.production: ProductionCalendar | None = (
            ProductionCalendar.default() if production is _UNSET else production
        )
        raw = DEFAULT_SCHEDULE if schedule is None else schedule
        sched: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in raw.items():
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise CalendarError(f"расписание: день недели {weekday!r} вне диапазона 0–6")
            sched[weekday] = check_intervals(intervals, f"расписание, {WEEKDAY_KEYS[weekday]}")
        self.schedule: Mapping[int, tuple[Interval, ...]] = MappingProxyType({wd: sched.get(wd, ()) for wd in range(7)})
        # A working weekend day with no schedule of its own works a standard day: the first
        # weekday that has hours.
        self._standard_day = next((v for v in self.schedule.values() if v), ())
        excs: dict[date, DayException] = {}
        for exc in exceptions:
            excs[exc.date] = check_exception(exc)
        self.exceptions: Mapping[date, DayException] = MappingProxyType(excs)
        self.covered_years: tuple[int, int] = (
            self.production.covered_years if self.production is not None else (1, 9999)
        )
        self._days: dict[date, DayInfo] = {}
        self._timeline = Timeline(self.tz, lambda d: self.day(d).intervals)
        self._covered_us: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(tz={self.tz_name!r}, covered_years={self.covered_years}, "
            f"exceptions={len(self.exceptions)})"
        )

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def default(cls) -> WorkingCalendar:
        """The shipped ``data/calendar-default.toml`` (Asia/Chita, Mon–Fri 9–18), one per process."""
        return _default_calendar()

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> WorkingCalendar:
        from .files import parse_working_calendar

        return parse_working_calendar(text, source=source)

    @classmethod
    def load(cls, path: str | Path) -> WorkingCalendar:
        from .files import load_working_calendar

        return load_working_calendar(path)

    def with_exceptions(self, exceptions: Iterable[DayException]) -> WorkingCalendar:
        """A copy with more exceptions; a new exception replaces an old one for the same date."""
        merged = {**self.exceptions, **{e.date: e for e in exceptions}}
        return WorkingCalendar(
            tz=self.tz_name,
            schedule=self.schedule,
            exceptions=merged.values(),
            strict_years=self.strict_years,
            production=self.production,
            name=self.name,
        )

    def with_production(self, production: ProductionCalendar | None) -> WorkingCalendar:
        """A copy with another production calendar (e.g. with an administration's loaded years)."""
        return WorkingCalendar(
            tz=self.tz_name,
            schedule=self.schedule,
            exceptions=self.exceptions.values(),
            strict_years=self.strict_years,
            production=production,
            name=self.name,
        )

    def is_estimated(self, a: datetime, b: datetime) -> bool:
        """Whether working time between ``a`` and ``b`` leans on a year without decree data (fast)."""
        bounds = self._covered_us
        if bounds is None:
            if self.production is None:
                return False
            first, last = self.production.covered_years
            tl = self._timeline
            bounds = self._covered_us = (
                tl.local_midnight_us(date(first, 1, 1)),
                tl.local_midnight_us(date(last + 1, 1, 1)),
            )
        lo, hi = bounds
        ta, tb = to_us(a), to_us(b)
        return not (lo <= ta < hi and lo <= tb < hi)

    def estimated_years(self, *moments: datetime) -> list[int]:
        """Years between the earliest and the latest of ``moments`` (local) that are estimated.

        A result computed over those years leans on the ``holidays`` package alone (see
        ``production.py``); callers say so to the person.
        """
        if self.production is None or not moments:
            return []
        years = [m.astimezone(self.tz).year for m in moments]
        return [y for y in range(min(years), max(years) + 1) if not self.production.covers(y)]

    # -- days -----------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._compute_day(d)
        return info

    def _base(self, d: date) -> tuple[Interval, ...]:
        return self.schedule[d.weekday()] or self._standard_day

    def _compute_day(self, d: date) -> DayInfo:
        exc = self.exceptions.get(d)
        if exc is not None:
            return self._exception_day(exc)
        if self.production is not None:
            override = self.production.overrides(d.year, strict=self.strict_years).get(d)
            if override is not None:
                if override.kind in (DayKind.HOLIDAY, DayKind.DAY_OFF):
                    return DayInfo(d, override.kind, (), override.note)
                if override.schedule_of is not None:
                    base = self._base(override.schedule_of)
                else:
                    base = self.schedule[d.weekday()]
                if override.shortened:
                    return shortened_day(d, base, override.note)
                return DayInfo(d, DayKind.WORKING if base else DayKind.DAY_OFF, base, override.note)
        base = self.schedule[d.weekday()]
        if base:
            return DayInfo(d, DayKind.WORKING, base, "")
        return DayInfo(d, DayKind.DAY_OFF, (), "Выходной день")

    def _exception_day(self, exc: DayException) -> DayInfo:
        d, note = exc.date, exc.note
        if exc.kind == "day_off":
            return DayInfo(d, DayKind.DAY_OFF, (), note or "Нерабочий день (решение администрации)")
        if exc.kind == "shortened":
            return shortened_day(d, exc.intervals or self._base(d), note or "Сокращённый день (решение администрации)")
        intervals = exc.intervals or self._base(d)
        return DayInfo(
            d,
            DayKind.WORKING if intervals else DayKind.DAY_OFF,
            intervals,
            note or "Рабочий день (решение администрации)",
        )

    # -- yearly figures -------------------------------------------------------------------------

    def year_days(self, year: int) -> list[DayInfo]:
        first = date(year, 1, 1).toordinal()
        return [self.day(date.fromordinal(n)) for n in range(first, date(year + 1, 1, 1).toordinal())]

    def year_summary(self, year: int) -> YearSummary:
        """The year's totals and monthly norms (working days and hours, as the official table)."""
        return summarise(year, self.year_days(year))

    def working_days(self, year: int) -> int:
        return self.year_summary(year).working_days

    def working_hours(self, year: int) -> float:
        return self.year_summary(year).working_hours

    # -- instants -------------------------------------------------------------------------------

    def is_working_time(self, at: datetime) -> bool:
        return self._timeline.is_working(to_us(at))

    def clock(self, at: datetime) -> tuple[bool, datetime]:
        """Whether working time runs at ``at``, and until when or from when.

        ``(True, end)``: ``at`` is inside a working interval that ends at ``end`` (lunch, the
        close of the day). ``(False, start)``: it is night, lunch, a day off or a holiday, and
        the clock starts again at ``start``.
        """
        running, us = self._timeline.clock(to_us(at))
        return running, self._timeline.from_us(us)

    def time_left(self, now: datetime, due: datetime) -> tuple[int, bool, datetime]:
        """Working microseconds from ``now`` to ``due`` (negative past it), and :meth:`clock` at ``now``.

        What a countdown needs, in one pass over the arrays.
        """
        tl = self._timeline
        tn = to_us(now)
        left = tl.elapsed(tn, to_us(due))
        running, change = tl.clock(tn)
        return left, running, tl.from_us(change)

    def add(self, start: datetime, limit: Limit | timedelta) -> datetime:
        """The deadline ``limit`` after ``start`` (see the module docstring for each unit)."""
        duration = _working_us(limit)
        if duration is None:
            return self._add_other(start, cast(Limit, limit))
        us = self._timeline.add(to_us(start), duration)
        if 0 <= us < _FAST_US_LIMIT:
            return datetime.fromtimestamp(us / 1e6, self.tz)
        return self._timeline.from_us(us)

    def _add_other(self, start: datetime, limit: Limit) -> datetime:
        unit, value = limit.unit, limit.value
        from_us = self._timeline.from_us
        if unit is Unit.WORKING_DAYS:
            if value <= 0:
                raise CalendarError(f"число рабочих дней должно быть положительным, получено {value}")
            first = start.astimezone(self.tz).date() + timedelta(days=1)
            return from_us(self._timeline.close_of_working_day(first, value))
        if unit is Unit.CALENDAR_MINUTES:
            return from_us(to_us(start) + value * _MINUTE_US)
        if unit is Unit.CALENDAR_HOURS:
            return from_us(to_us(start) + value * _HOUR_US)
        if unit is Unit.CALENDAR_DAYS:
            return self._add_calendar_days(start, value)
        raise CalendarError(f"неизвестная единица срока {unit!r}")  # pragma: no cover

    def subtract(self, end: datetime, limit: Limit | timedelta) -> datetime:
        """The latest instant ``x`` with ``elapsed(x, end) == limit`` (П.11 draft lead time)."""
        from_us = self._timeline.from_us
        duration = _working_us(limit)
        if duration is not None:
            return from_us(self._timeline.subtract(to_us(end), duration))
        limit = cast(Limit, limit)
        if limit.unit is Unit.CALENDAR_MINUTES:
            return from_us(to_us(end) - limit.value * _MINUTE_US)
        if limit.unit is Unit.CALENDAR_HOURS:
            return from_us(to_us(end) - limit.value * _HOUR_US)
        raise CalendarError(f"срок {limit.key} ({limit.unit}): отсчёт назад в днях не поддерживается")

    def deadline(self, anchor: datetime, limit: Limit) -> datetime:
        """The deadline of ``limit`` whose clock runs from ``anchor`` (backwards for П.11)."""
        if limit.is_backward:
            return self.subtract(anchor, limit)
        return self.add(anchor, limit)

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Working time between ``a`` and ``b``; negative if ``b`` is before ``a``."""
        return timedelta(microseconds=self._timeline.elapsed(to_us(a), to_us(b)))

    def _add_calendar_days(self, start: datetime, n: int) -> datetime:
        last = start.astimezone(self.tz).date() + timedelta(days=n)
        # Civil Code art. 193: a term ending on a non-working day ends on the next working day.
        for _ in range(366 * MAX_EMPTY_YEARS):
            if self.day(last).is_working:
                return self._timeline.from_us(self._timeline.local_midnight_us(last + timedelta(days=1)))
            last += timedelta(days=1)
        raise CalendarError("в календаре нет рабочих дней")  # pragma: no cover


def _working_us(limit: Limit | timedelta) -> int | None:
    """Microseconds of a working-time limit (a bare ``timedelta`` is working time); None for others."""
    if isinstance(limit, timedelta):
        duration = limit // _US
        if duration < 0:
            raise CalendarError(f"отрицательная длительность: {limit}")
        return duration
    if limit.unit is Unit.WORKING_MINUTES:
        return limit.value * _MINUTE_US
    if limit.unit is Unit.WORKING_HOURS:
        return limit.value * _HOUR_US
    return None


@functools.cache
def _default_calendar() -> WorkingCalendar:
    return WorkingCalendar.load(DEFAULT_CALENDAR_PATH)
