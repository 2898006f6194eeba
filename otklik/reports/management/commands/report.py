"""``otklik report monthly --month 2026-11 --format docx,xlsx,pdf --out DIR`` (П.21).

Also ``--from DATE --to DATE`` for any period and ``--administration SLUG`` (default: the only one).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.core.errors import ApplicationError
from otklik.reports.queries import month_bounds, parse_month
from otklik.reports.services import administration_for, parse_formats, report_build, report_write


class Command(BaseCommand):
    help = "Ежемесячная справка (п. 21): DOCX для Главы, XLSX с данными, PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["monthly"], help="вид отчёта")
        parser.add_argument("--month", help="месяц ГГГГ-ММ (по умолчанию — прошлый)")
        parser.add_argument("--from", dest="date_from", help="начало периода ГГГГ-ММ-ДД")
        parser.add_argument("--to", dest="date_to", help="конец периода ГГГГ-ММ-ДД (включительно)")
        parser.add_argument("--format", default="docx,xlsx,pdf", help="форматы через запятую: docx,xlsx,pdf")
        parser.add_argument("--out", default=".", help="папка для файлов")
        parser.add_argument("--administration", help="код администрации (по умолчанию — единственная)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            adm = administration_for(options.get("administration"))
            formats = parse_formats(options["format"])
            start, end = self._period(options, adm)
            report = report_build(adm, start, end)
            paths = report_write(report, formats, Path(options["out"]))
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for path in paths:
            self.stdout.write(str(path))
        total = report.total
        assert total is not None
        self.stderr.write(
            f"{report.label}: обращений {report.cases_detected}, ответов {total.answered} "
            f"(в срок {total.answered_on_time}, с нарушением {total.answered_late})"
        )

    def _period(self, options: dict[str, Any], adm: Any) -> tuple[dt.date, dt.date]:
        if options.get("month") and (options.get("date_from") or options.get("date_to")):
            raise CommandError("Укажите либо --month, либо --from и --to.")
        if options.get("date_from") or options.get("date_to"):
            if not (options.get("date_from") and options.get("date_to")):
                raise CommandError("Для периода нужны обе даты: --from и --to.")
            try:
                start = dt.date.fromisoformat(options["date_from"])
                end = dt.date.fromisoformat(options["date_to"])
            except ValueError:
                raise CommandError("Даты указываются как ГГГГ-ММ-ДД.") from None
            if end < start:
                raise CommandError("Дата --to раньше даты --from.")
            return start, end
        if options.get("month"):
            return parse_month(options["month"])
        today = timezone.localtime(timezone.now(), adm.calendar.tz).date()
        last = today.replace(day=1) - dt.timedelta(days=1)
        return month_bounds(last.year, last.month)
