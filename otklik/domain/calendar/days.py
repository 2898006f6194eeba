"""Days of a working calendar: their kinds, working intervals, and the rules that shape them.

Pure Python, no Django. Everything here is about one date at a time — a day's kind (working,
shortened, day off, holiday), its working intervals, an administrator's exception for it, the
Labour Code art. 95 rule that takes one hour off a pre-holiday day — plus the yearly and monthly
figures made of days. The arithmetic over instants lives in ``engine.py``; the production
calendar in ``production.py``; reading files in ``files.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from itertools import pairwise
from typing import Final

__all__ = [
    "EXCEPTION_KINDS",
    "WEEKDAY_KEYS",
    "CalendarError",
    "CalendarYearNotCovered",
    "DayException",
    "DayInfo",
    "DayKind",
    "Interval",
    "MonthNorm",
    "YearSummary",
]

Interval = tuple[time, time]

#: Kinds of administrator exceptions: a day off; a working day (its weekday's schedule, the
#: standard day for a weekend, or explicit intervals); a day one hour shorter; explicit hours.
EXCEPTION_KINDS: Final = ("day_off", "working_day", "shortened", "hours")

WEEKDAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SHORTENED_BY_US: Final = 3_600_000_000  # Labour Code art. 95: one hour


class CalendarError(ValueError):
    """A calendar file or a calendar computation is invalid; the message says where and why."""


class CalendarYearNotCovered(CalendarError):
    """The production calendar has no data for a year; the message names it and the range."""

    def __init__(self, year: int, covered: tuple[int, int]) -> None:
        self.year = year
        self.covered = covered
        super().__init__(
            f"производственный календарь не содержит {year} год: данные есть только "
            f"за {covered[0]}–{covered[1]} годы; загрузите календарь {year} года "
            f"(otklik calendar import ФАЙЛ) или задайте исключения календаря"
        )


class DayKind(StrEnum):
    WORKING = "working"
    SHORTENED = "shortened"
    DAY_OFF = "day_off"
    HOLIDAY = "holiday"


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
        return sum(minutes_of(e) - minutes_of(s) for s, e in self.intervals)


@dataclass(frozen=True)
class MonthNorm:
    """A month's norm of working time (what the official production calendar publishes)."""

    month: int
    working_days: int
    working_minutes: int

    @property
    def working_hours(self) -> float:
        return self.working_minutes / 60


@dataclass(frozen=True)
class YearSummary:
    year: int
    working_days: int
    shortened_days: int
    days_off: int  # weekends and moved days off
    holidays: int  # non-working public holidays (Labour Code art. 112)
    working_minutes: int
    months: tuple[MonthNorm, ...] = ()

    @property
    def non_working_days(self) -> int:
        return self.days_off + self.holidays

    @property
    def working_hours(self) -> float:
        return self.working_minutes / 60


def summarise(year: int, days: Sequence[DayInfo]) -> YearSummary:
    """The year's figures and monthly norms from its days, in date order."""
    counts = dict.fromkeys(DayKind, 0)
    month_days = [0] * 13
    month_minutes = [0] * 13
    for info in days:
        counts[info.kind] += 1
        if info.is_working:
            month_days[info.date.month] += 1
        month_minutes[info.date.month] += info.working_minutes
    return YearSummary(
        year=year,
        working_days=counts[DayKind.WORKING] + counts[DayKind.SHORTENED],
        shortened_days=counts[DayKind.SHORTENED],
        days_off=counts[DayKind.DAY_OFF],
        holidays=counts[DayKind.HOLIDAY],
        working_minutes=sum(month_minutes),
        months=tuple(MonthNorm(m, month_days[m], month_minutes[m]) for m in range(1, 13)),
    )


def minutes_of(t: time) -> int:
    return t.hour * 60 + t.minute


def time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def time_of(us: int) -> time:
    seconds, micro = divmod(us, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


def shortened_day(d: date, base: Sequence[Interval], note: str) -> DayInfo:
    """Labour Code art. 95: the day is one hour shorter, taken off the end of the day."""
    cut = SHORTENED_BY_US
    kept: list[Interval] = []
    for s, e in reversed(base):
        length = time_us(e) - time_us(s)
        if cut >= length:
            cut -= length
            continue
        kept.append((s, time_of(time_us(e) - cut)))
        cut = 0
    kept.reverse()
    if not kept:
        return DayInfo(d, DayKind.DAY_OFF, (), note)
    return DayInfo(d, DayKind.SHORTENED, tuple(kept), note)


def check_intervals(intervals: Sequence[Interval], where: str) -> tuple[Interval, ...]:
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


def check_exception(exc: DayException) -> DayException:
    where = f"исключение на {exc.date:%d.%m.%Y}"
    if exc.kind not in EXCEPTION_KINDS:
        raise CalendarError(f"{where}: неизвестный вид {exc.kind!r}; допустимы: {', '.join(EXCEPTION_KINDS)}")
    intervals = check_intervals(exc.intervals, where)
    if exc.kind == "day_off" and intervals:
        raise CalendarError(f"{where}: у нерабочего дня не может быть рабочих интервалов")
    if exc.kind == "hours" and not intervals:
        raise CalendarError(f"{where}: для вида hours нужны интервалы рабочего времени")
    if intervals != exc.intervals:
        return DayException(date=exc.date, kind=exc.kind, intervals=intervals, note=exc.note)
    return exc
