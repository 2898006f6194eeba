"""``otklik deadline --limit KEY --from ISO8601``: print one deadline of the regulation.

Prints only the deadline, ISO 8601 in the calendar's time zone with seconds
(``2026-12-07T17:30:00+09:00``), so scripts can use it. ``--from`` is the event the limit runs
from (its ``runs_from``); for ``draft_lead`` (П.11) that is the answer deadline and the result lies
before it. A naive ``--from`` is taken in the calendar's time zone. Any bad input — unknown key,
unreadable date or file, a year a strict calendar does not cover — is a message on stderr and
exit code 2. A deadline that leans on a year without decree data (estimated from the ``holidays``
package) is still printed, with a warning on stderr naming the year.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.domain.calendar import CalendarError, WorkingCalendar
from otklik.domain.regulation import LIMIT_KEYS, Regulation, RegulationError


def load_calendar_and_regulation(
    calendar_path: str | Path | None,
    regulation_path: str | Path | None,
    administration: str | None = None,
) -> tuple[WorkingCalendar, Regulation]:
    """The calendar and regulation a command works with.

    Files given on the command line win. Otherwise the administration's own (its schedule,
    exceptions and regulation file) — the one named, or the only one in the database — so the
    command answers exactly what the system computes for its cases. With no database, or none or
    several administrations and none named, the shipped defaults.

    Raises CalendarError / RegulationError (both ValueError) with the file named in the message,
    and CommandError for an unknown administration.
    """
    adm = _administration(administration) if not (calendar_path and regulation_path) else None
    if calendar_path:
        calendar = WorkingCalendar.load(calendar_path)
    else:
        calendar = adm.calendar if adm is not None else WorkingCalendar.default()
    if regulation_path:
        regulation = Regulation.load(regulation_path)
    else:
        regulation = adm.regulation if adm is not None else Regulation.default()
    return calendar, regulation


def _administration(slug: str | None) -> Any:
    from django.db import DatabaseError

    from otklik.organization.models import Administration

    try:
        if slug:
            adm = Administration.objects.filter(slug=slug).first()
            if adm is None:
                raise CommandError(f"администрация {slug!r} не найдена", returncode=2)
            return adm
        admins = list(Administration.objects.filter(is_active=True)[:2])
    except DatabaseError:  # no database yet (not migrated): the shipped defaults
        if slug:
            raise CommandError("база данных не готова: выполните otklik migrate", returncode=2) from None
        return None
    return admins[0] if len(admins) == 1 else None


def parse_moment(text: str, calendar: WorkingCalendar) -> datetime:
    """ISO 8601 date-time; naive values are local time of the calendar."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"не удалось разобрать дату и время {text!r}: нужен формат ISO 8601, "
            f"например 2026-12-07T10:00 или 2026-12-07T10:00:00+09:00",
            returncode=2,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment


class Command(BaseCommand):
    help = "Вычисляет срок по регламенту: выводит момент истечения срока в формате ISO 8601."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", required=True, help=f"ключ срока регламента: {', '.join(LIMIT_KEYS)}")
        parser.add_argument(
            "--from",
            dest="start",
            required=True,
            help="момент начала отсчёта (ISO 8601; без часового пояса — время календаря); "
            "для draft_lead — срок ответа (П.10)",
        )
        parser.add_argument("--calendar", help="файл рабочего календаря (TOML)")
        parser.add_argument("--regulation", help="файл регламента (TOML)")
        parser.add_argument(
            "--administration", help="код администрации: её календарь и регламент (по умолчанию — единственная в базе)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            calendar, regulation = load_calendar_and_regulation(
                options.get("calendar"), options.get("regulation"), options.get("administration")
            )
            limit = regulation.limit(options["limit"])
            start = parse_moment(options["start"], calendar)
            deadline = calendar.deadline(start, limit)
        except (CalendarError, RegulationError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        warn_estimated(self, calendar.estimated_years(start, deadline))
        self.stdout.write(deadline.isoformat())


def estimated_warning(years: list[int]) -> str:
    listed = ", ".join(map(str, years))
    return (
        f"внимание: производственный календарь на {listed} не загружен — расчёт приблизительный "
        f"(праздники и переносы пакета holidays, правило ст. 95 ТК РФ); загрузите календарь: "
        f"otklik calendar import ФАЙЛ"
    )


def warn_estimated(command: BaseCommand, years: list[int]) -> None:
    if years:
        command.stderr.write(estimated_warning(years))
