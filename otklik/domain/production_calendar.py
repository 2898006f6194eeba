"""The Russian production calendar (производственный календарь) as data, per year.

Pure Python, no Django. Public holidays (Labour Code art. 112) and the days off moved onto
weekdays come from the ``holidays`` package; working Saturdays and pre-holiday shortened days
(art. 95), which the package does not carry, come from ``data/ru-production-calendar.toml``,
transcribed from the yearly Government decrees. The data file's days off are merged with the
package's, so a package update cannot silently drop a decree's day off.

A year outside the data file is *not covered*: :meth:`ProductionCalendar.overrides` raises
:class:`CalendarYearNotCovered` unless the caller explicitly accepts a best-effort year
(``strict=False``: package holidays, and the art. 95 rule applied to weekdays before a holiday).

This module also defines the calendar error types and :class:`DayKind`; ``calendar.py``
re-exports them.
"""

from __future__ import annotations

import functools
import logging
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays as holidays_lib

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PRODUCTION_CALENDAR_PATH",
    "CalendarError",
    "CalendarYearNotCovered",
    "DayKind",
    "Override",
    "ProductionCalendar",
    "YearData",
]

DEFAULT_PRODUCTION_CALENDAR_PATH = Path(__file__).parent / "data" / "ru-production-calendar.toml"


class CalendarError(ValueError):
    """A calendar file or a calendar computation is invalid; the message says where and why."""


class CalendarYearNotCovered(CalendarError):
    """The production calendar has no data for a year; the message names it and the range."""

    def __init__(self, year: int, covered: tuple[int, int]) -> None:
        self.year = year
        self.covered = covered
        super().__init__(
            f"производственный календарь не содержит {year} год: данные есть только "
            f"за {covered[0]}–{covered[1]} годы; добавьте данные за {year} год "
            f"или задайте исключения календаря"
        )


class DayKind(StrEnum):
    WORKING = "working"
    SHORTENED = "shortened"
    DAY_OFF = "day_off"
    HOLIDAY = "holiday"


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
    """One year of the data file (decree facts not carried by the ``holidays`` package)."""

    year: int
    decree: str
    days_off: Mapping[date, date]  # day off -> the day it was moved from
    working_saturdays: Mapping[date, date]  # working weekend day -> the weekday it replaces
    shortened: frozenset[date]
    working_days: int | None = None
    working_hours: int | None = None


class ProductionCalendar:
    """Per-year overrides of the weekly schedule; cached, thread-safe, immutable once built."""

    def __init__(self, *, country: str, years: Mapping[int, YearData], source: str = "<string>") -> None:
        if not years:
            raise CalendarError(f"{source}: в производственном календаре нет ни одного года")
        ordered = sorted(years)
        if ordered != list(range(ordered[0], ordered[-1] + 1)):
            raise CalendarError(f"{source}: годы производственного календаря идут с пропуском")
        self.country = country
        self.source = source
        self.years: Mapping[int, YearData] = MappingProxyType(dict(years))
        self.covered_years: tuple[int, int] = (ordered[0], ordered[-1])
        self._cache: dict[tuple[int, bool], Mapping[date, Override]] = {}
        self._lock = threading.Lock()

    def covers(self, year: int) -> bool:
        return self.covered_years[0] <= year <= self.covered_years[1]

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
                    found = self._build(year) if covered else self._build_uncovered(year)
                    self._cache[key] = found
        return found

    # -- building -------------------------------------------------------------------------------

    def _package_holidays(self, year: int) -> dict[date, str]:
        try:
            table = holidays_lib.country_holidays(self.country, years=year, language="ru")
        except NotImplementedError:
            raise CalendarError(f"{self.source}: пакет holidays не знает страну {self.country!r}") from None
        return dict(table.items())

    def _days_off_and_holidays(self, year: int) -> dict[date, Override]:
        result: dict[date, Override] = {}
        for day, name in self._package_holidays(year).items():
            # The package names moved days off "Выходной (перенесено с …)" and art. 112 moves
            # "… (выходной)"; everything else is a non-working public holiday proper.
            kind = DayKind.DAY_OFF if "выходной" in name.lower() else DayKind.HOLIDAY
            result[day] = Override(kind=kind, note=name)
        return result

    def _build(self, year: int) -> Mapping[date, Override]:
        data = self.years[year]
        result = self._days_off_and_holidays(year)
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

    def _build_uncovered(self, year: int) -> Mapping[date, Override]:
        """Best effort for a year without decree data: package holidays plus the art. 95 rule.

        Only reached with ``strict=False``; it says so loudly (once per year and process), since
        deadlines computed this way may be off by the transfers of that year's decree.
        """
        log.warning(
            "Производственный календарь на %s год не загружен (есть %s–%s): сроки считаются по "
            "праздникам пакета holidays без данных постановления о переносах. Добавьте данные года.",
            year,
            *self.covered_years,
        )
        result = self._days_off_and_holidays(year)
        for day, override in list(result.items()):
            if override.kind is not DayKind.HOLIDAY:
                continue
            eve = day - timedelta(days=1)
            if eve.year == year and eve not in result and eve.weekday() < 5:
                result[eve] = Override(
                    kind=DayKind.WORKING,
                    shortened=True,
                    note="Предпраздничный день (короче на 1 час; оценка без данных постановления)",
                )
        return MappingProxyType(result)

    # -- loading --------------------------------------------------------------------------------

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> ProductionCalendar:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CalendarError(f"{source}: синтаксическая ошибка TOML: {exc}") from None
        return _parse(data, source)

    @classmethod
    def load(cls, path: str | Path) -> ProductionCalendar:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CalendarError(f"{path}: не удалось прочитать файл: {exc}") from None
        return cls.loads(text, source=str(path))

    @classmethod
    def default(cls) -> ProductionCalendar:
        return _default_production_calendar()


@functools.cache
def _default_production_calendar() -> ProductionCalendar:
    return ProductionCalendar.load(DEFAULT_PRODUCTION_CALENDAR_PATH)


_TOP = {"country", "first_year", "last_year", "years"}
_YEAR = {"decree", "working_days", "working_hours", "days_off", "working_saturdays", "shortened"}


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: ожидается дата ГГГГ-ММ-ДД, получено {value!r}")


def _pairs(raw: Any, field: str, other: str, year: int, where: str) -> dict[date, date]:
    if not isinstance(raw, list):
        raise CalendarError(f"{where}: ожидается список таблиц {{ date = …, {other} = … }}")
    result: dict[date, date] = {}
    for n, item in enumerate(raw):
        at = f"{where}[{n}]"
        if not isinstance(item, dict) or set(item) != {"date", other}:
            raise CalendarError(f"{at}: нужны ровно поля date и {other}")
        day = _as_date(item["date"], f"{at}.date")
        if day.year != year:
            raise CalendarError(f"{at}.date: {day} не относится к {year} году")
        result[day] = _as_date(item[other], f"{at}.{other}")
    return result


def _parse(data: dict[str, Any], source: str) -> ProductionCalendar:
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise CalendarError(f"{source}: неизвестные ключи: {', '.join(unknown)}")
    country = data.get("country")
    if not isinstance(country, str) or not country:
        raise CalendarError(f'{source}: ключ country: нужен код страны, например "RU"')
    raw_years = data.get("years")
    if not isinstance(raw_years, dict):
        raise CalendarError(f"{source}: нет таблицы [years.ГГГГ]")
    years: dict[int, YearData] = {}
    for key, raw in raw_years.items():
        where = f"{source}: years.{key}"
        try:
            year = int(key)
        except ValueError:
            raise CalendarError(f"{where}: ключ года должен быть числом") from None
        if not isinstance(raw, dict):
            raise CalendarError(f"{where}: ожидается таблица")
        unknown = sorted(set(raw) - _YEAR)
        if unknown:
            raise CalendarError(f"{where}: неизвестные поля: {', '.join(unknown)}")
        shortened_raw = raw.get("shortened", [])
        if not isinstance(shortened_raw, list):
            raise CalendarError(f"{where}.shortened: ожидается список дат")
        shortened = frozenset(_as_date(v, f"{where}.shortened[{n}]") for n, v in enumerate(shortened_raw))
        for day in shortened:
            if day.year != year:
                raise CalendarError(f"{where}.shortened: {day} не относится к {year} году")
        totals = {}
        for field in ("working_days", "working_hours"):
            value = raw.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise CalendarError(f"{where}.{field}: нужно целое число")
            totals[field] = value
        years[year] = YearData(
            year=year,
            decree=str(raw.get("decree", "")),
            days_off=MappingProxyType(
                _pairs(raw.get("days_off", []), "days_off", "moved_from", year, f"{where}.days_off")
            ),
            working_saturdays=MappingProxyType(
                _pairs(
                    raw.get("working_saturdays", []),
                    "working_saturdays",
                    "instead_of",
                    year,
                    f"{where}.working_saturdays",
                )
            ),
            shortened=shortened,
            working_days=totals["working_days"],
            working_hours=totals["working_hours"],
        )
    if not years:
        raise CalendarError(f"{source}: в производственном календаре нет ни одного года")
    first, last = data.get("first_year", min(years)), data.get("last_year", max(years))
    if (first, last) != (min(years), max(years)):
        raise CalendarError(
            f"{source}: first_year/last_year ({first}–{last}) не совпадают с годами данных ({min(years)}–{max(years)})"
        )
    return ProductionCalendar(country=country, years=years, source=source)
