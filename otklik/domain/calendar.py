"""The working-time engine: every deadline of the regulation is computed here, to the microsecond.

Pure Python, no Django. A :class:`WorkingCalendar` is a time zone, a weekly schedule (working
intervals per weekday; default Mon–Fri 09:00–13:00 and 14:00–18:00), the Russian production
calendar (holidays, moved days off, working Saturdays, pre-holiday shortened days — see
``production_calendar.py``) and the administration's own exceptions, which override everything
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
``strict_years=True``, the default) rather than guessing.

Speed: per year the working intervals are laid out as flat lists of UTC microsecond boundaries
with cumulative working time, so ``add``/``elapsed``/``subtract`` are two bisects and some integer
arithmetic. The arrays cover a contiguous range of years, extended on demand under a lock and
swapped in atomically.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from otklik.domain import tomlfile
from otklik.domain.production_calendar import (
    CalendarError,
    CalendarYearNotCovered,
    DayKind,
    ProductionCalendar,
)
from otklik.domain.regulation import Limit, Unit

__all__ = [
    "DEFAULT_CALENDAR_PATH",
    "DEFAULT_SCHEDULE",
    "EXCEPTION_KINDS",
    "CalendarError",
    "CalendarYearNotCovered",
    "DayException",
    "DayInfo",
    "DayKind",
    "WorkingCalendar",
    "YearSummary",
]

DEFAULT_CALENDAR_PATH = Path(__file__).parent / "data" / "calendar-default.toml"

Interval = tuple[time, time]

_STANDARD_DAY: tuple[Interval, ...] = ((time(9), time(13)), (time(14), time(18)))
DEFAULT_SCHEDULE: Mapping[int, tuple[Interval, ...]] = MappingProxyType(
    {0: _STANDARD_DAY, 1: _STANDARD_DAY, 2: _STANDARD_DAY, 3: _STANDARD_DAY, 4: _STANDARD_DAY}
)

#: Kinds of administrator exceptions: a day off; a working day (its weekday's schedule, the
#: standard day for a weekend, or explicit intervals); a day one hour shorter; explicit hours.
EXCEPTION_KINDS: Final = ("day_off", "working_day", "shortened", "hours")

WEEKDAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
_MINUTE_US: Final = 60_000_000
_HOUR_US: Final = 3_600_000_000
_SHORTENED_BY_US: Final = _HOUR_US  # Labour Code art. 95: one hour
_MAX_EMPTY_YEARS: Final = 20  # a schedule with no working time at all must not loop forever
_UNSET: Final[Any] = object()
_FAST_US_LIMIT: Final = 2**32 * 1_000_000  # 2106-02-07: float seconds keep microseconds exact


@dataclass(frozen=True)
class DayException:
    """An administrator's exception for one date (overrides the production calendar)."""

    date: date
    kind: str  # one of EXCEPTION_KINDS
    intervals: tuple[Interval, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class DayInfo:
    date: date
    kind: DayKind
    intervals: tuple[Interval, ...]
    note: str

    @property
    def is_working(self) -> bool:
        return bool(self.intervals)

    @property
    def working_minutes(self) -> int:
        return sum(_minutes(e) - _minutes(s) for s, e in self.intervals)


@dataclass(frozen=True)
class YearSummary:
    year: int
    working_days: int
    shortened_days: int
    days_off: int  # weekends and moved days off
    holidays: int  # non-working public holidays (Labour Code art. 112)
    working_minutes: int

    @property
    def non_working_days(self) -> int:
        return self.days_off + self.holidays

    @property
    def working_hours(self) -> float:
        return self.working_minutes / 60


class _Range:
    """Flat working-interval arrays over the contiguous local years [ylo, yhi]."""

    __slots__ = (
        "cum",
        "cum_end",
        "ends",
        "hi",
        "lo",
        "starts",
        "total",
        "wd_close",
        "wd_ord",
        "yhi",
        "ylo",
    )

    def __init__(self, ylo: int, yhi: int, lo: int, hi: int) -> None:
        self.ylo, self.yhi, self.lo, self.hi = ylo, yhi, lo, hi
        self.starts: list[int] = []  # interval starts, UTC microseconds, ascending
        self.ends: list[int] = []
        self.cum: list[int] = []  # working microseconds in the range before interval i
        self.cum_end: list[int] = []  # ... up to the end of interval i
        self.total = 0
        self.wd_ord: list[int] = []  # ordinals of working days
        self.wd_close: list[int] = []  # end of each working day's last interval, microseconds


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
            sched[weekday] = _check_intervals(intervals, f"расписание, {WEEKDAY_KEYS[weekday]}")
        self.schedule: Mapping[int, tuple[Interval, ...]] = MappingProxyType({wd: sched.get(wd, ()) for wd in range(7)})
        # A working weekend day with no schedule of its own works a standard day: the first
        # weekday that has hours.
        self._standard_day = next((v for v in self.schedule.values() if v), ())
        excs: dict[date, DayException] = {}
        for exc in exceptions:
            excs[exc.date] = _check_exception(exc)
        self.exceptions: Mapping[date, DayException] = MappingProxyType(excs)
        self.covered_years: tuple[int, int] = (
            self.production.covered_years if self.production is not None else (1, 9999)
        )
        self._days: dict[date, DayInfo] = {}
        self._years: dict[int, list[tuple[int, int, int]]] = {}  # year -> [(ord, start, end)]
        self._range: _Range | None = None
        self._lock = threading.RLock()

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
        return _from_dict(tomlfile.parse(text, source=source, error=CalendarError), source)

    @classmethod
    def load(cls, path: str | Path) -> WorkingCalendar:
        text = tomlfile.read_text(path, what="файл календаря", error=CalendarError)
        return cls.from_toml(text, source=str(path))

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
                    return _shortened_day(d, base, override.note)
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
            return _shortened_day(d, exc.intervals or self._base(d), note or "Сокращённый день (решение администрации)")
        intervals = exc.intervals or self._base(d)
        return DayInfo(
            d,
            DayKind.WORKING if intervals else DayKind.DAY_OFF,
            intervals,
            note or "Рабочий день (решение администрации)",
        )

    # -- yearly figures -------------------------------------------------------------------------

    def year_summary(self, year: int) -> YearSummary:
        counts = dict.fromkeys(DayKind, 0)
        minutes = 0
        d, end = date(year, 1, 1), date(year + 1, 1, 1)
        while d < end:
            info = self.day(d)
            counts[info.kind] += 1
            minutes += info.working_minutes
            d += timedelta(days=1)
        return YearSummary(
            year=year,
            working_days=counts[DayKind.WORKING] + counts[DayKind.SHORTENED],
            shortened_days=counts[DayKind.SHORTENED],
            days_off=counts[DayKind.DAY_OFF],
            holidays=counts[DayKind.HOLIDAY],
            working_minutes=minutes,
        )

    def working_days(self, year: int) -> int:
        return self.year_summary(year).working_days

    def working_hours(self, year: int) -> float:
        return self.year_summary(year).working_hours

    # -- instants -------------------------------------------------------------------------------

    def is_working_time(self, at: datetime) -> bool:
        t = _to_us(at)
        rng = self._covering(t)
        i = bisect_right(rng.starts, t) - 1
        return i >= 0 and t < rng.ends[i]

    def add(self, start: datetime, limit: Limit | timedelta) -> datetime:
        """The deadline ``limit`` after ``start`` (see the module docstring for each unit)."""
        # The hot path (working minutes/hours) is written out inline: it runs for every
        # deadline of every case on every recomputation.
        if isinstance(limit, timedelta):
            duration = limit // _US
            if duration < 0:
                raise CalendarError(f"отрицательная длительность: {limit}")
        elif limit.unit is Unit.WORKING_MINUTES:
            duration = limit.value * _MINUTE_US
        elif limit.unit is Unit.WORKING_HOURS:
            duration = limit.value * _HOUR_US
        else:
            return self._add_other(start, limit)
        us = self._add_us(_to_us(start), duration)
        if 0 <= us < _FAST_US_LIMIT:
            return datetime.fromtimestamp(us / 1e6, self.tz)
        return self._from_us(us)

    def _add_other(self, start: datetime, limit: Limit) -> datetime:
        unit, value = limit.unit, limit.value
        if unit is Unit.WORKING_DAYS:
            return self._add_working_days(start, value)
        if unit is Unit.CALENDAR_MINUTES:
            return self._from_us(_to_us(start) + value * _MINUTE_US)
        if unit is Unit.CALENDAR_HOURS:
            return self._from_us(_to_us(start) + value * _HOUR_US)
        if unit is Unit.CALENDAR_DAYS:
            return self._add_calendar_days(start, value)
        raise CalendarError(f"неизвестная единица срока {unit!r}")  # pragma: no cover

    def subtract(self, end: datetime, limit: Limit | timedelta) -> datetime:
        """The latest instant ``x`` with ``elapsed(x, end) == limit`` (П.11 draft lead time)."""
        if isinstance(limit, timedelta):
            duration = _duration_us(limit)
        elif limit.unit is Unit.WORKING_MINUTES:
            duration = limit.value * _MINUTE_US
        elif limit.unit is Unit.WORKING_HOURS:
            duration = limit.value * _HOUR_US
        elif limit.unit is Unit.CALENDAR_MINUTES:
            return self._from_us(_to_us(end) - limit.value * _MINUTE_US)
        elif limit.unit is Unit.CALENDAR_HOURS:
            return self._from_us(_to_us(end) - limit.value * _HOUR_US)
        else:
            raise CalendarError(f"срок {limit.key} ({limit.unit}): отсчёт назад в днях не поддерживается")
        return self._from_us(self._subtract_us(_to_us(end), duration))

    def deadline(self, anchor: datetime, limit: Limit) -> datetime:
        """The deadline of ``limit`` whose clock runs from ``anchor`` (backwards for П.11)."""
        if limit.is_backward:
            return self.subtract(anchor, limit)
        return self.add(anchor, limit)

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Working time between ``a`` and ``b``; negative if ``b`` is before ``a``."""
        ta, tb = _to_us(a), _to_us(b)
        self._covering(ta)
        rng = self._covering(tb)  # ranges only ever widen, so this one covers ta too
        return timedelta(microseconds=_cum_at(rng, tb) - _cum_at(rng, ta))

    # -- the engine -----------------------------------------------------------------------------

    def _from_us(self, us: int) -> datetime:
        if 0 <= us < _FAST_US_LIMIT:
            # Exact: us / 1e6 is within 0.24 µs of the true value below 2**32 s and
            # fromtimestamp rounds to the nearest microsecond (tested); 3x faster than the
            # timedelta path.
            return datetime.fromtimestamp(us / 1e6, self.tz)
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    def _add_us(self, t: int, duration: int) -> int:
        if duration == 0:
            return t
        rng = self._range
        extensions = 0
        while True:
            if rng is None or not rng.lo <= t < rng.hi:
                rng = self._covering(t)
            starts = rng.starts
            i = bisect_right(starts, t) - 1
            if i < 0:
                c = duration
            elif t < rng.ends[i]:
                c = rng.cum[i] + (t - starts[i]) + duration
            else:
                c = rng.cum_end[i] + duration
            if c > rng.total:
                extensions = _check_extensions(extensions)
                rng = self._extend(rng.ylo, rng.yhi + 1)
                continue
            j = bisect_left(rng.cum_end, c)
            return starts[j] + (c - rng.cum[j])

    def _subtract_us(self, t: int, duration: int) -> int:
        if duration == 0:
            return t
        rng = self._range
        extensions = 0
        while True:
            if rng is None or not rng.lo <= t < rng.hi:
                rng = self._covering(t)
            c = _cum_at(rng, t) - duration
            if c < 0:
                extensions = _check_extensions(extensions)
                rng = self._extend(rng.ylo - 1, rng.yhi)
                continue
            j = bisect_right(rng.cum, c) - 1
            return rng.starts[j] + (c - rng.cum[j])

    def _add_working_days(self, start: datetime, n: int) -> datetime:
        if n <= 0:
            raise CalendarError(f"число рабочих дней должно быть положительным, получено {n}")
        first = start.astimezone(self.tz).date() + timedelta(days=1)
        first_ord = first.toordinal()
        rng = self._covering(self._local_midnight_us(first))
        extensions = 0
        while True:
            k = bisect_left(rng.wd_ord, first_ord) + n - 1
            if k < len(rng.wd_ord):
                return self._from_us(rng.wd_close[k])
            extensions = _check_extensions(extensions)
            rng = self._extend(rng.ylo, rng.yhi + 1)

    def _add_calendar_days(self, start: datetime, n: int) -> datetime:
        last = start.astimezone(self.tz).date() + timedelta(days=n)
        # Civil Code art. 193: a term ending on a non-working day ends on the next working day.
        for _ in range(366 * _MAX_EMPTY_YEARS):
            if self.day(last).is_working:
                return self._from_us(self._local_midnight_us(last + timedelta(days=1)))
            last += timedelta(days=1)
        raise CalendarError("в календаре нет рабочих дней")  # pragma: no cover

    def _local_midnight_us(self, d: date) -> int:
        return _to_us(datetime.combine(d, time(0), tzinfo=self.tz))

    def _year_of(self, t: int) -> int:
        return self._from_us(t).year

    def _covering(self, t: int) -> _Range:
        rng = self._range
        if rng is not None and rng.lo <= t < rng.hi:
            return rng
        y = self._year_of(t)
        if rng is None:
            return self._extend(y, y)
        return self._extend(min(rng.ylo, y), max(rng.yhi, y))

    def _extend(self, ylo: int, yhi: int) -> _Range:
        """Rebuild the flat arrays over the local years [ylo, yhi] (at least the current range)."""
        if ylo < 1 or yhi > 9998:
            raise CalendarError("срок выходит за пределы поддерживаемых дат")
        with self._lock:
            current = self._range
            if current is not None:
                ylo, yhi = min(ylo, current.ylo), max(yhi, current.yhi)
                if (ylo, yhi) == (current.ylo, current.yhi):
                    return current
            rows = [row for y in range(ylo, yhi + 1) for row in self._year_rows(y)]
            rng = _Range(
                ylo,
                yhi,
                self._local_midnight_us(date(ylo, 1, 1)),
                self._local_midnight_us(date(yhi + 1, 1, 1)),
            )
            total = 0
            last_ord = None
            for ordinal, s, e in rows:
                rng.starts.append(s)
                rng.ends.append(e)
                rng.cum.append(total)
                total += e - s
                rng.cum_end.append(total)
                if ordinal == last_ord:
                    rng.wd_close[-1] = e
                else:
                    rng.wd_ord.append(ordinal)
                    rng.wd_close.append(e)
                    last_ord = ordinal
            rng.total = total
            self._range = rng  # atomic swap: readers see either the old or the new range
            return rng

    def _year_rows(self, year: int) -> list[tuple[int, int, int]]:
        rows = self._years.get(year)
        if rows is None:
            rows = []
            last = None
            d, end = date(year, 1, 1), date(year + 1, 1, 1)
            while d < end:
                ordinal = d.toordinal()
                for s, e in self.day(d).intervals:
                    su = _to_us(datetime.combine(d, s, tzinfo=self.tz))
                    eu = _to_us(datetime.combine(d, e, tzinfo=self.tz))
                    if last is not None and su < last:  # a DST fold: keep the arrays ascending
                        su = last
                    if eu > su:
                        rows.append((ordinal, su, eu))
                        last = eu
                d += timedelta(days=1)
            self._years[year] = rows
        return rows


# -- helpers -------------------------------------------------------------------------------------


def _to_us(dt: datetime) -> int:
    try:
        return (dt - _EPOCH) // _US
    except TypeError:
        if isinstance(dt, datetime):
            raise CalendarError(f"время без часового пояса: {dt.isoformat()}") from None
        raise


def _check_extensions(done: int) -> int:
    """Searching a year further is fine; twenty years without enough working time is not."""
    if done >= _MAX_EMPTY_YEARS:
        raise CalendarError(f"в календаре не найдено рабочего времени на {_MAX_EMPTY_YEARS} лет вперёд или назад")
    return done + 1


def _duration_us(d: timedelta) -> int:
    us = d // _US
    if us < 0:
        raise CalendarError(f"отрицательная длительность: {d}")
    return us


def _cum_at(rng: _Range, t: int) -> int:
    i = bisect_right(rng.starts, t) - 1
    if i < 0:
        return 0
    if t < rng.ends[i]:
        return rng.cum[i] + (t - rng.starts[i])
    return rng.cum_end[i]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _time_of(us: int) -> time:
    seconds, micro = divmod(us, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


def _shortened_day(d: date, base: Sequence[Interval], note: str) -> DayInfo:
    """Labour Code art. 95: the day is one hour shorter, taken off the end of the day."""
    cut = _SHORTENED_BY_US
    kept: list[Interval] = []
    for s, e in reversed(base):
        length = _time_us(e) - _time_us(s)
        if cut >= length:
            cut -= length
            continue
        kept.append((s, _time_of(_time_us(e) - cut)))
        cut = 0
    kept.reverse()
    if not kept:
        return DayInfo(d, DayKind.DAY_OFF, (), note)
    return DayInfo(d, DayKind.SHORTENED, tuple(kept), note)


def _check_intervals(intervals: Sequence[Interval], where: str) -> tuple[Interval, ...]:
    result: list[Interval] = []
    for item in intervals:
        try:
            s, e = item
        except (TypeError, ValueError):
            raise CalendarError(f"{where}: интервал {item!r} должен быть парой (начало, конец)") from None
        if not isinstance(s, time) or not isinstance(e, time):
            raise CalendarError(f"{where}: интервал {item!r} должен состоять из времени суток")
        if s.tzinfo is not None or e.tzinfo is not None:
            raise CalendarError(f"{where}: время интервала задаётся без часового пояса")
        if not s < e:
            raise CalendarError(f"{where}: интервал {s:%H:%M}–{e:%H:%M}: начало должно быть раньше конца")
        result.append((s, e))
    result.sort()
    for (_, e1), (s2, _) in pairwise(result):
        if s2 < e1:
            raise CalendarError(f"{where}: интервалы пересекаются ({s2:%H:%M} < {e1:%H:%M})")
    return tuple(result)


def _check_exception(exc: DayException) -> DayException:
    where = f"исключение на {exc.date:%d.%m.%Y}"
    if exc.kind not in EXCEPTION_KINDS:
        raise CalendarError(f"{where}: неизвестный вид {exc.kind!r}; допустимы: {', '.join(EXCEPTION_KINDS)}")
    intervals = _check_intervals(exc.intervals, where)
    if exc.kind == "day_off" and intervals:
        raise CalendarError(f"{where}: у нерабочего дня не может быть рабочих интервалов")
    if exc.kind == "hours" and not intervals:
        raise CalendarError(f"{where}: для вида hours нужны интервалы рабочего времени")
    if intervals != exc.intervals:
        return DayException(date=exc.date, kind=exc.kind, intervals=intervals, note=exc.note)
    return exc


# -- TOML ----------------------------------------------------------------------------------------

_TOP_KEYS = ("name", "timezone", "production_calendar", "strict_years", "schedule", "exceptions")
_EXC_KEYS = ("date", "kind", "intervals", "note")


def _parse_interval(raw: Any, where: str) -> Interval:
    if isinstance(raw, str) and "-" in raw:
        left, _, right = raw.partition("-")
        try:
            return time.fromisoformat(left.strip()), time.fromisoformat(right.strip())
        except ValueError:
            pass
    raise CalendarError(f'{where}: интервал {raw!r} нужно записать как "ЧЧ:ММ-ЧЧ:ММ"')


def _parse_intervals(raw: Any, where: str) -> list[Interval]:
    if not isinstance(raw, list):
        raise CalendarError(f'{where}: ожидается список интервалов вида "ЧЧ:ММ-ЧЧ:ММ"')
    return [_parse_interval(item, f"{where}[{n}]") for n, item in enumerate(raw)]


def _from_dict(data: dict[str, Any], source: str) -> WorkingCalendar:
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise CalendarError(f"{source}: неизвестные ключи: {', '.join(unknown)}; допустимы: {', '.join(_TOP_KEYS)}")
    name = data.get("name", "")
    tz = data.get("timezone", "Asia/Chita")
    if not isinstance(tz, str):
        raise CalendarError(f'{source}: timezone: нужна строка, например "Asia/Chita"')
    strict = data.get("strict_years", True)
    if not isinstance(strict, bool):
        raise CalendarError(f"{source}: strict_years: нужно true или false")
    pc_name = data.get("production_calendar", "RU")
    production: ProductionCalendar | None
    if pc_name == "RU":
        production = ProductionCalendar.default()
    elif pc_name == "none":
        production = None
    else:
        raise CalendarError(f'{source}: production_calendar: {pc_name!r} — допустимо "RU" или "none"')
    schedule: dict[int, Sequence[Interval]] | None = None
    if "schedule" in data:
        raw_schedule = data["schedule"]
        if not isinstance(raw_schedule, dict):
            raise CalendarError(f"{source}: schedule: ожидается таблица [schedule]")
        bad = sorted(set(raw_schedule) - set(WEEKDAY_KEYS))
        if bad:
            raise CalendarError(
                f"{source}: schedule: неизвестные дни недели: {', '.join(bad)}; допустимы: {', '.join(WEEKDAY_KEYS)}"
            )
        schedule = {}
        for n, key in enumerate(WEEKDAY_KEYS):
            where = f"{source}: schedule.{key}"
            intervals = _parse_intervals(raw_schedule.get(key, []), where)
            try:
                schedule[n] = _check_intervals(intervals, where)
            except CalendarError as exc:
                raise CalendarError(str(exc)) from None
    exceptions: list[DayException] = []
    raw_exceptions = data.get("exceptions", [])
    if not isinstance(raw_exceptions, list):
        raise CalendarError(f"{source}: exceptions: ожидается список [[exceptions]]")
    seen: set[date] = set()
    for n, raw in enumerate(raw_exceptions):
        where = f"{source}: exceptions[{n}]"
        if not isinstance(raw, dict):
            raise CalendarError(f"{where}: ожидается таблица")
        bad = sorted(set(raw) - set(_EXC_KEYS))
        if bad:
            raise CalendarError(f"{where}: неизвестные поля: {', '.join(bad)}; допустимы: {', '.join(_EXC_KEYS)}")
        day = raw.get("date")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                day = None
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"{where}.date: нужна дата ГГГГ-ММ-ДД")
        if day in seen:
            raise CalendarError(f"{where}.date: {day} уже есть среди исключений")
        seen.add(day)
        kind = raw.get("kind")
        if kind not in EXCEPTION_KINDS:
            raise CalendarError(f"{where}.kind: {kind!r} — допустимы: {', '.join(EXCEPTION_KINDS)}")
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise CalendarError(f"{where}.note: нужна строка")
        hours = tuple(_parse_intervals(raw.get("intervals", []), f"{where}.intervals"))
        try:
            exceptions.append(_check_exception(DayException(date=day, kind=kind, intervals=hours, note=note)))
        except CalendarError as exc:
            raise CalendarError(f"{source}: {exc}") from None
    try:
        return WorkingCalendar(
            tz=tz,
            schedule=schedule,
            exceptions=exceptions,
            strict_years=strict,
            production=production,
            name=str(name),
        )
    except CalendarError as exc:
        raise CalendarError(f"{source}: {exc}") from None


@functools.cache
def _default_calendar() -> WorkingCalendar:
    return WorkingCalendar.load(DEFAULT_CALENDAR_PATH)
