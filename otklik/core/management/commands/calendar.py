"""``otklik calendar --year 2026`` and ``otklik calendar import FILE``.

``--year``: the year's working calendar as a compact grid, in Russian — twelve months, three
abreast, each day marked by its kind, then the year's totals (working days, shortened days, days
off and holidays, working hours) — the figures to compare with the official production calendar.
A year without decree data is shown as estimated, with a warning. Exit code 2 for an unreadable
calendar file or a year a strict calendar does not cover.

``import FILE``: load a year's production calendar (the shipped format, one or more
``[years.ГГГГ]``) into an administration — the only one, the one named by ``--administration``, or
every one with ``--all``. The file is checked first and previewed with its totals and monthly
norms; it is saved only after ``--yes`` or a "да" at the prompt, and never with ``--dry-run``. A
broken file is refused with its line and the problem, and nothing is saved (exit code 2).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.core.management.commands.deadline import estimated_warning, load_calendar_and_regulation
from otklik.domain.calendar import CalendarError, DayInfo, DayKind, WorkingCalendar, YearSummary

MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
LEGEND = "Обозначения: 12 — рабочий день, 12* — сокращённый на 1 час, (12) — выходной, [12] — праздник"
CELL = 4
GAP = "   "
MONTHS_ABREAST = 3


def _cell(info: DayInfo) -> str:
    n = info.date.day
    if info.kind is DayKind.HOLIDAY:
        return f"[{n:>2}]"
    if info.kind is DayKind.DAY_OFF:
        return f"({n:>2})"
    if info.kind is DayKind.SHORTENED:
        return f"{n:>3}*"
    return f"{n:>3} "


def hours_text(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:.2f}".replace(".", ",")


def month_block(calendar: WorkingCalendar, year: int, month: int) -> list[str]:
    """Lines of one month: title with its figures, weekday header, weeks."""
    width = CELL * 7
    days = [calendar.day(date(year, month, d)) for d in range(1, stdlib_calendar.monthrange(year, month)[1] + 1)]
    working = sum(1 for info in days if info.is_working)
    minutes = sum(info.working_minutes for info in days)
    lines = [f"{MONTHS[month - 1]}: {working} дн., {hours_text(minutes)} ч".center(width)]
    lines.append("".join(f"{w:>3} " for w in WEEKDAYS))
    week = ["    "] * days[0].date.weekday()
    for info in days:
        week.append(_cell(info))
        if len(week) == 7:
            lines.append("".join(week))
            week = []
    if week:
        lines.append("".join(week).ljust(width))
    return lines


def render_year(calendar: WorkingCalendar, year: int) -> str:
    summary: YearSummary = calendar.year_summary(year)
    out = [f"Рабочий календарь на {year} год ({calendar.tz_name})", LEGEND, ""]
    for first in range(1, 13, MONTHS_ABREAST):
        blocks = [month_block(calendar, year, m) for m in range(first, first + MONTHS_ABREAST)]
        height = max(len(b) for b in blocks)
        for row in range(height):
            out.append(GAP.join((b[row] if row < len(b) else "").ljust(CELL * 7) for b in blocks).rstrip())
        out.append("")
    out += [
        f"Итого за {year} год:",
        f"  рабочих дней: {summary.working_days} (из них сокращённых: {summary.shortened_days})",
        f"  выходных и праздничных дней: {summary.non_working_days} (из них праздничных: {summary.holidays})",
        f"  рабочих часов: {hours_text(summary.working_minutes)}",
    ]
    estimated = calendar.estimated_years(datetime(year, 6, 1, tzinfo=calendar.tz))
    if estimated:
        out[1:1] = [estimated_warning(estimated)]
    return "\n".join(out)


class Command(BaseCommand):
    help = (
        "Показывает рабочий календарь на год (--year) или загружает производственный календарь "
        "года из файла (import ФАЙЛ)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["import"], help="import — загрузить календарь из файла")
        parser.add_argument("file", nargs="?", help="файл производственного календаря (TOML, формат поставки)")
        parser.add_argument("--year", type=int, help="год, например 2026")
        parser.add_argument("--calendar", help="файл рабочего календаря (TOML)")
        parser.add_argument("--administration", help="код администрации (по умолчанию — единственная в базе)")
        parser.add_argument("--all", action="store_true", help="import: во все администрации")
        parser.add_argument("--dry-run", action="store_true", help="import: только проверить и показать")
        parser.add_argument("--yes", action="store_true", help="import: сохранить без вопроса")
        parser.add_argument("--user", help="import: от имени пользователя (логин), для журнала")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") == "import":
            from otklik.core.management.calendar_import import import_file

            import_file(self, options)
            return
        year = options.get("year")
        if year is None:
            raise CommandError("укажите --year ГГГГ или import ФАЙЛ", returncode=2)
        if not 1 <= year <= 9998:
            raise CommandError(f"год {year} вне допустимого диапазона", returncode=2)
        try:
            calendar, _ = load_calendar_and_regulation(options.get("calendar"), None, options.get("administration"))
            text = render_year(calendar, year)
        except CalendarError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(text)
