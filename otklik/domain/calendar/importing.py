"""Checking and previewing a production-calendar year file before an administrator saves it.

Pure Python, no Django. The file is in the shipped format (``data/ru-production-calendar.toml``:
one or more ``[years.ГГГГ]`` tables). On top of what the reader checks, a year to load must state
the official norms of the 40-hour week (``working_days``, ``working_hours``), and the days of the
file must reproduce them exactly — that is what catches a mistyped date. The preview shows each
year's totals and monthly norms, where the year's data came from until now, which days change for
this administration (its own schedule and exceptions included), and where the file and the
``holidays`` package disagree. Nothing here saves anything: the caller does, after a person has
seen the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays as holidays_lib

from .days import CalendarError, DayInfo, YearSummary
from .engine import DEFAULT_SCHEDULE, WorkingCalendar
from .files import CalendarFileError, _YearsFile
from .production import ProductionCalendar, YearData

__all__ = ["DayChange", "ImportPreview", "YearPreview", "preview_import"]

#: A file bigger than this is not a production calendar.
MAX_FILE_CHARS = 200_000


@dataclass(frozen=True)
class DayChange:
    date: date
    before: DayInfo
    after: DayInfo


@dataclass(frozen=True)
class YearPreview:
    year: int
    decree: str
    norms: YearSummary  # the 40-hour five-day week: what the decree's table publishes
    local: YearSummary  # with the administration's own schedule and exceptions
    replaces: str  # where the year came from until now: "shipped", an import's label, "estimated"
    changes: tuple[DayChange, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ImportPreview:
    source: str
    years: tuple[YearPreview, ...]
    data: tuple[YearData, ...]
    production: ProductionCalendar  # after the import
    calendar: WorkingCalendar  # the administration's calendar after the import


def preview_import(text: str, *, source: str, current: WorkingCalendar, origin: str) -> ImportPreview:
    """Validate ``text`` against ``current`` (the administration's calendar) and describe the result.

    Raises :class:`CalendarFileError` (with the line where it can be found) for any problem.
    """
    if len(text) > MAX_FILE_CHARS:
        raise CalendarFileError(source, f"файл слишком велик (больше {MAX_FILE_CHARS:,} символов)".replace(",", " "))
    if current.production is None:
        raise CalendarFileError(source, "календарь администрации не использует производственный календарь")
    reader = _YearsFile(text, source, origin, require_totals=True)
    country, years = reader.parse()
    if country != current.production.country:
        raise reader.fail(
            f"country = {country!r}, а календарь администрации — {current.production.country!r}", None, "country"
        )
    try:
        production = current.production.with_years(years.values(), source=source)
    except CalendarError as exc:
        raise CalendarFileError(source, str(exc).removeprefix(f"{source}: ")) from None
    standard = WorkingCalendar(tz=current.tz_name, schedule=DEFAULT_SCHEDULE, production=production)
    after = current.with_production(production)
    previews = []
    for year in sorted(years):
        data = years[year]
        try:
            norms = standard.year_summary(year)
        except CalendarError as exc:
            raise reader.fail(str(exc).removeprefix(f"{source}: "), year) from None
        if norms.working_days != data.working_days:
            raise reader.fail(
                f"years.{year}.working_days = {data.working_days}, а по дням файла рабочих дней "
                f"{norms.working_days}: проверьте переносы и праздники",
                year,
                "working_days",
            )
        if norms.working_minutes != (data.working_hours or 0) * 60:
            raise reader.fail(
                f"years.{year}.working_hours = {data.working_hours}, а по дням файла рабочих часов "
                f"{_hours(norms.working_minutes)}: проверьте сокращённые дни (shortened)",
                year,
                "working_hours",
            )
        previews.append(
            YearPreview(
                year=year,
                decree=data.decree,
                norms=norms,
                local=after.year_summary(year),
                replaces=current.production.origin(year),
                changes=_changes(current, after, year),
                warnings=tuple(_package_disagreements(data, production)),
            )
        )
    return ImportPreview(
        source=source,
        years=tuple(previews),
        data=tuple(years[y] for y in sorted(years)),
        production=production,
        calendar=after,
    )


def _hours(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:.2f}".replace(".", ",")


def _changes(before: WorkingCalendar, after: WorkingCalendar, year: int) -> tuple[DayChange, ...]:
    changed = []
    for old, new in zip(before.year_days(year), after.year_days(year), strict=True):
        if (old.kind, old.intervals) != (new.kind, new.intervals):
            changed.append(DayChange(old.date, old, new))
    return tuple(changed)


def _package_disagreements(data: YearData, production: ProductionCalendar) -> list[str]:
    """Where the file and the ``holidays`` package differ (the package's days off are merged in)."""
    package = holidays_lib.country_holidays(production.country, years=data.year, language="ru")
    version = holidays_lib.__version__
    moved = {d for d, name in package.items() if "выходной" in name.lower()}
    notes = []
    for day in sorted(moved - set(data.days_off)):
        notes.append(
            f"{day:%d.%m.%Y}: пакет holidays {version} считает этот день выходным ({package[day]}), "
            f"в файле его нет — день остаётся выходным"
        )
    for day in sorted(set(data.days_off) - moved - set(package)):
        notes.append(f"{day:%d.%m.%Y}: перенос выходного из файла пакету holidays {version} не известен")
    workdays = {d for d in getattr(package, "weekend_workdays", ()) if d.year == data.year}
    for day in sorted(workdays - set(data.working_saturdays)):
        notes.append(f"{day:%d.%m.%Y}: по пакету holidays {version} это рабочий выходной день, в файле его нет")
    for day in sorted(set(data.working_saturdays) - workdays):
        notes.append(f"{day:%d.%m.%Y}: рабочий выходной день из файла пакету holidays {version} не известен")
    for day in sorted(data.holidays):
        if day not in package:
            notes.append(f"{day:%d.%m.%Y}: праздник «{data.holidays[day]}» — только в файле (региональный?)")
    return notes
