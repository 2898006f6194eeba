"""Reading the calendar files: a working calendar (``calendar-default.toml``) and a production
calendar (``ru-production-calendar.toml``, or a year file an administrator loads).

Pure Python, no Django. Every problem is a :class:`CalendarFileError` naming the file, the line
(when it can be found) and what is wrong, in Russian, so that a person can fix the file: TOML
syntax errors carry tomllib's line; for a wrong value the line is found by looking for the value
or its key inside the year's ``[years.ГГГГ]`` table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from otklik.domain import tomlfile

from .days import EXCEPTION_KINDS, WEEKDAY_KEYS, CalendarError, DayException, Interval, check_exception, check_intervals
from .engine import WorkingCalendar
from .production import SHIPPED, ProductionCalendar, YearData

__all__ = [
    "CalendarFileError",
    "load_production_calendar",
    "load_working_calendar",
    "parse_production_calendar",
    "parse_production_years",
    "parse_working_calendar",
]


class CalendarFileError(CalendarError):
    """A problem of a calendar file: ``source``, ``line`` (1-based, or None) and ``problem``."""

    def __init__(self, source: str, problem: str, line: int | None = None) -> None:
        self.source, self.problem, self.line = source, problem, line
        super().__init__(f"{source}, строка {line}: {problem}" if line else f"{source}: {problem}")


_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


def _toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _AT_LINE.search(message)
        line = int(found[1]) if found else None
        problem = _AT_LINE.sub("", message).replace(" (at end of document)", " (в конце файла)")
        raise CalendarFileError(source, f"синтаксическая ошибка TOML: {problem}", line) from None


# -- the working calendar ------------------------------------------------------------------------

_TOP_KEYS = ("name", "timezone", "production_calendar", "strict_years", "schedule", "exceptions")
_EXC_KEYS = ("date", "kind", "intervals", "note")


def load_working_calendar(path: str | Path) -> WorkingCalendar:
    text = tomlfile.read_text(path, what="файл календаря", error=CalendarError)
    return parse_working_calendar(text, source=str(path))


def parse_working_calendar(text: str, *, source: str = "<string>") -> WorkingCalendar:
    data = _toml(text, source)
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise CalendarError(f"{source}: неизвестные ключи: {', '.join(unknown)}; допустимы: {', '.join(_TOP_KEYS)}")
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
    try:
        return WorkingCalendar(
            tz=tz,
            schedule=_schedule(data, source),
            exceptions=_exceptions(data, source),
            strict_years=strict,
            production=production,
            name=str(data.get("name", "")),
        )
    except CalendarError as exc:
        if str(exc).startswith(source):
            raise
        raise CalendarError(f"{source}: {exc}") from None


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


def _schedule(data: dict[str, Any], source: str) -> dict[int, Sequence[Interval]] | None:
    if "schedule" not in data:
        return None
    raw_schedule = data["schedule"]
    if not isinstance(raw_schedule, dict):
        raise CalendarError(f"{source}: schedule: ожидается таблица [schedule]")
    bad = sorted(set(raw_schedule) - set(WEEKDAY_KEYS))
    if bad:
        raise CalendarError(
            f"{source}: schedule: неизвестные дни недели: {', '.join(bad)}; допустимы: {', '.join(WEEKDAY_KEYS)}"
        )
    schedule: dict[int, Sequence[Interval]] = {}
    for n, key in enumerate(WEEKDAY_KEYS):
        where = f"{source}: schedule.{key}"
        schedule[n] = check_intervals(_parse_intervals(raw_schedule.get(key, []), where), where)
    return schedule


def _exceptions(data: dict[str, Any], source: str) -> list[DayException]:
    raw_exceptions = data.get("exceptions", [])
    if not isinstance(raw_exceptions, list):
        raise CalendarError(f"{source}: exceptions: ожидается список [[exceptions]]")
    exceptions: list[DayException] = []
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
            exceptions.append(check_exception(DayException(date=day, kind=kind, intervals=hours, note=note)))
        except CalendarError as exc:
            raise CalendarError(f"{source}: {exc}") from None
    return exceptions


# -- the production calendar ---------------------------------------------------------------------

_TOP = {"country", "first_year", "last_year", "years"}
_YEAR = {"decree", "working_days", "working_hours", "days_off", "working_saturdays", "shortened", "holidays"}
_YEAR_HEADER = re.compile(r"^\s*\[\s*years\.\"?(\d+)\"?\s*\]")
_ANY_HEADER = re.compile(r"^\s*\[")


def load_production_calendar(path: str | Path) -> ProductionCalendar:
    text = tomlfile.read_text(path, what="файл производственного календаря", error=CalendarError)
    return parse_production_calendar(text, source=str(path))


def parse_production_calendar(text: str, *, source: str = "<string>", origin: str = SHIPPED) -> ProductionCalendar:
    """A whole production calendar: consecutive years (the release's data file)."""
    country, years = parse_production_years(text, source=source, origin=origin)
    try:
        return ProductionCalendar(country=country, years=years, source=source)
    except CalendarError as exc:
        raise CalendarFileError(source, str(exc).removeprefix(f"{source}: ")) from None


def parse_production_years(
    text: str, *, source: str = "<string>", origin: str = SHIPPED, require_totals: bool = False
) -> tuple[str, dict[int, YearData]]:
    """The country and the years of a production-calendar file; raises CalendarFileError."""
    return _YearsFile(text, source, origin, require_totals).parse()


class _YearsFile:
    def __init__(self, text: str, source: str, origin: str, require_totals: bool) -> None:
        self.text, self.source, self.origin, self.require_totals = text, source, origin, require_totals
        self.lines = [line.split("#", 1)[0] for line in text.splitlines()]

    # -- where in the file ----------------------------------------------------------------------

    def _section(self, year: int | None) -> tuple[int, int, int | None]:
        if year is None:
            return 0, len(self.lines), None
        for i, line in enumerate(self.lines):
            found = _YEAR_HEADER.match(line)
            if found and int(found[1]) == year:
                end = next((j for j in range(i + 1, len(self.lines)) if _ANY_HEADER.match(self.lines[j])), None)
                return i, end if end is not None else len(self.lines), i + 1
        return 0, len(self.lines), None

    def line_of(self, year: int | None, *needles: str) -> int | None:
        lo, hi, header = self._section(year)
        for needle in needles:
            pattern = re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])")
            for i in range(lo, hi):
                if pattern.search(self.lines[i]):
                    return i + 1
        return header

    def fail(self, problem: str, year: int | None = None, *needles: str) -> CalendarFileError:
        return CalendarFileError(self.source, problem, self.line_of(year, *needles))

    # -- values ---------------------------------------------------------------------------------

    def as_date(self, value: Any, where: str, year: int, key: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(f"{where}: ожидается дата ГГГГ-ММ-ДД, получено {value!r}", year, str(value), key)

    def in_year(self, day: date, where: str, year: int, key: str) -> date:
        if day.year != year:
            raise self.fail(f"{where}: {day.isoformat()} не относится к {year} году", year, day.isoformat(), key)
        return day

    def pairs(self, raw: Any, key: str, other: str, year: int) -> dict[date, date]:
        where = f"years.{year}.{key}"
        if not isinstance(raw, list):
            raise self.fail(f"{where}: ожидается список таблиц {{ date = …, {other} = … }}", year, key)
        result: dict[date, date] = {}
        for n, item in enumerate(raw):
            at = f"{where}[{n}]"
            if not isinstance(item, dict) or set(item) != {"date", other}:
                raise self.fail(f"{at}: нужны ровно поля date и {other}", year, key)
            day = self.in_year(self.as_date(item["date"], f"{at}.date", year, key), f"{at}.date", year, key)
            if day in result:
                raise self.fail(f"{at}.date: {day.isoformat()} указан дважды", year, day.isoformat(), key)
            result[day] = self.as_date(item[other], f"{at}.{other}", year, key)
        return result

    # -- the file -------------------------------------------------------------------------------

    def parse(self) -> tuple[str, dict[int, YearData]]:
        data = _toml(self.text, self.source)
        unknown = sorted(set(data) - _TOP)
        if unknown:
            raise self.fail(f"неизвестные ключи: {', '.join(unknown)}", None, *unknown)
        country = data.get("country")
        if not isinstance(country, str) or not country:
            raise self.fail('ключ country: нужен код страны, например "RU"', None, "country")
        raw_years = data.get("years")
        if not isinstance(raw_years, dict) or not raw_years:
            raise self.fail("нет ни одного года: нужна таблица [years.ГГГГ]", None, "years")
        years: dict[int, YearData] = {}
        for key, raw in raw_years.items():
            try:
                year = int(key)
            except ValueError:
                raise self.fail(f"years.{key}: ключ года должен быть числом", None, f"years.{key}") from None
            if not 1900 <= year <= 9998:
                raise self.fail(f"years.{key}: год вне допустимого диапазона", None, f"years.{key}")
            if not isinstance(raw, dict):
                raise self.fail(f"years.{year}: ожидается таблица", year)
            years[year] = self.year(year, raw)
        first, last = data.get("first_year", min(years)), data.get("last_year", max(years))
        if (first, last) != (min(years), max(years)):
            raise self.fail(
                f"first_year/last_year ({first}–{last}) не совпадают с годами данных ({min(years)}–{max(years)})",
                None,
                "first_year",
                "last_year",
            )
        return country, years

    def year(self, year: int, raw: dict[str, Any]) -> YearData:
        where = f"years.{year}"
        unknown = sorted(set(raw) - _YEAR)
        if unknown:
            raise self.fail(f"{where}: неизвестные поля: {', '.join(unknown)}", year, *unknown)
        shortened_raw = raw.get("shortened", [])
        if not isinstance(shortened_raw, list):
            raise self.fail(f"{where}.shortened: ожидается список дат", year, "shortened")
        shortened = frozenset(
            self.in_year(
                self.as_date(v, f"{where}.shortened[{n}]", year, "shortened"), f"{where}.shortened", year, "shortened"
            )
            for n, v in enumerate(shortened_raw)
        )
        totals: dict[str, int | None] = {}
        for field in ("working_days", "working_hours"):
            value = raw.get(field)
            if value is None and self.require_totals:
                raise self.fail(
                    f"{where}.{field}: укажите официальную норму года — по ней проверяется файл", year, field
                )
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise self.fail(f"{where}.{field}: нужно целое положительное число", year, field)
            totals[field] = value
        holidays_raw = raw.get("holidays", [])
        if not isinstance(holidays_raw, list):
            raise self.fail(f"{where}.holidays: ожидается список {{ date = …, name = … }}", year, "holidays")
        holidays: dict[date, str] = {}
        for n, item in enumerate(holidays_raw):
            at = f"{where}.holidays[{n}]"
            if not isinstance(item, dict) or set(item) != {"date", "name"} or not isinstance(item["name"], str):
                raise self.fail(f"{at}: нужны ровно поля date и name (строка)", year, "holidays")
            day = self.in_year(
                self.as_date(item["date"], f"{at}.date", year, "holidays"), f"{at}.date", year, "holidays"
            )
            holidays[day] = item["name"]
        days_off = self.pairs(raw.get("days_off", []), "days_off", "moved_from", year)
        saturdays = self.pairs(raw.get("working_saturdays", []), "working_saturdays", "instead_of", year)
        self._check_days(year, days_off, saturdays, shortened, holidays)
        return YearData(
            year=year,
            decree=str(raw.get("decree", "")),
            days_off=MappingProxyType(days_off),
            working_saturdays=MappingProxyType(saturdays),
            shortened=shortened,
            working_days=totals["working_days"],
            working_hours=totals["working_hours"],
            holidays=MappingProxyType(holidays),
            origin=self.origin,
        )

    def _check_days(
        self,
        year: int,
        days_off: dict[date, date],
        saturdays: dict[date, date],
        shortened: frozenset[date],
        holidays: dict[date, str],
    ) -> None:
        """What no decree can say: a weekday working Saturday, a day both off and working."""
        rules: list[tuple[Any, Any, str]] = [
            (days_off, lambda d: d.weekday() >= 5, ".days_off: {d} — суббота или воскресенье, выходной и без переноса"),
            (days_off, lambda d: d in saturdays, ": {d} указан и в days_off, и в working_saturdays"),
            (days_off, lambda d: d in shortened, ".shortened: {d} — выходной (days_off), сокращённым он быть не может"),
            (
                saturdays,
                lambda d: d.weekday() < 5,
                ".working_saturdays: {d} — будний день; здесь указывают выходные дни, ставшие рабочими",
            ),
            (saturdays, lambda d: d in holidays, ": {d} — праздник, рабочим он быть не может"),
            (shortened, lambda d: d in holidays, ".shortened: {d} — праздник"),
        ]
        for days, broken, problem in rules:
            for day in sorted(days):
                if broken(day):
                    raise self.fail(f"years.{year}{problem.format(d=day.isoformat())}", year, day.isoformat())
