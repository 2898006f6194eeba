"""``otklik calendar import FILE``: check, preview and load a production-calendar year file.

The same checks and the same saving as the web page (``otklik.organization.calendars``): the file
is validated and previewed with its totals and monthly norms for each administration it goes to;
nothing is saved until the operator agrees (``--yes``, or «да» at the prompt), never with
``--dry-run``, and never when anything in the file is wrong. After saving, the open cases'
deadlines are recomputed at once (the command waits for it and prints how many moved).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.domain import tomlfile
from otklik.domain.calendar import CalendarError, DayInfo, DayKind
from otklik.domain.calendar.importing import ImportPreview

MONTHS_SHORT = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
KINDS = {
    DayKind.WORKING: "рабочий",
    DayKind.SHORTENED: "сокращённый",
    DayKind.DAY_OFF: "выходной",
    DayKind.HOLIDAY: "праздник",
}
SHOWN_CHANGES = 40


def _hours(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:.2f}".replace(".", ",")


def _origin(origin: str) -> str:
    return {"shipped": "данные выпуска", "estimated": "оценка по пакету holidays"}.get(origin, origin)


def _day(info: DayInfo) -> str:
    hours = f", {_hours(info.working_minutes)} ч" if info.is_working else ""
    return f"{KINDS[info.kind]}{hours}"


def preview_lines(preview: ImportPreview, administration: str) -> list[str]:
    """The preview as the operator reads it: per year its totals, monthly norms, what changes."""
    out = [f"Администрация: {administration}"]
    for y in preview.years:
        n = y.norms
        out += [
            f"  {y.year} год — {y.decree or 'постановление не указано'}",
            f"    рабочих дней: {n.working_days} (из них сокращённых: {n.shortened_days}); выходных и "
            f"праздничных: {n.non_working_days}; рабочих часов: {_hours(n.working_minutes)} — как в файле",
            "    по месяцам (дней / часов): "
            + ", ".join(f"{MONTHS_SHORT[m.month - 1]} {m.working_days}/{_hours(m.working_minutes)}" for m in n.months),
            f"    до загрузки: {_origin(y.replaces)}; изменятся дней в календаре администрации: {len(y.changes)}",
        ]
        for change in y.changes[:SHOWN_CHANGES]:
            out.append(f"      {change.date:%d.%m.%Y}: {_day(change.before)} → {_day(change.after)}")
        if len(y.changes) > SHOWN_CHANGES:
            out.append(f"      … и ещё {len(y.changes) - SHOWN_CHANGES}")
        for warning in y.warnings:
            out.append(f"    предупреждение: {warning}")
    return out


def _administrations(options: dict[str, Any]) -> list[Any]:
    from django.db import DatabaseError

    from otklik.organization.models import Administration

    try:
        if options.get("all"):
            found = list(Administration.objects.filter(is_active=True).order_by("slug"))
        elif options.get("administration"):
            found = list(Administration.objects.filter(slug=options["administration"]))
            if not found:
                raise CommandError(f"администрация {options['administration']!r} не найдена", returncode=2)
        else:
            found = list(Administration.objects.filter(is_active=True)[:2])
            if len(found) > 1:
                raise CommandError(
                    "в базе несколько администраций: укажите --administration КОД или --all", returncode=2
                )
    except DatabaseError:
        raise CommandError("база данных не готова: выполните otklik migrate", returncode=2) from None
    if not found:
        raise CommandError("в базе нет администраций: загружать календарь некуда", returncode=2)
    return found


def _user(username: str | None) -> Any:
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"пользователь {username!r} не найден", returncode=2)
    return user


def _agreed(command: BaseCommand, options: dict[str, Any]) -> bool:
    if options.get("yes"):
        return True
    if not sys.stdin.isatty():
        command.stdout.write("Не сохранено: подтвердите загрузку ключом --yes (или запустите в терминале).")
        return False
    answer = input("Сохранить? Введите «да»: ").strip().lower()
    return answer in ("да", "y", "yes")


def import_file(command: BaseCommand, options: dict[str, Any]) -> None:
    from otklik.cases.actions import administration_deadlines_recompute
    from otklik.organization.calendars import production_import_preview, production_years_save

    path = options.get("file")
    if not path:
        raise CommandError("укажите файл: otklik calendar import ФАЙЛ", returncode=2)
    try:
        text = tomlfile.read_text(path, what="файл календаря", error=CalendarError)
    except CalendarError as exc:
        raise CommandError(str(exc), returncode=2) from None
    name = Path(path).name
    user = _user(options.get("user"))
    targets = _administrations(options)
    try:
        for adm in targets:
            preview = production_import_preview(adm, text=text, file_name=name)
            command.stdout.write("\n".join(preview_lines(preview, f"{adm.slug} — {adm.name}")))
    except CalendarError as exc:
        raise CommandError(f"{exc}\nФайл не принят, ничего не сохранено.", returncode=2) from None
    if options.get("dry_run"):
        command.stdout.write("Проверка без записи (--dry-run): ничего не сохранено.")
        return
    if not _agreed(command, options):
        return
    for adm in targets:
        try:
            saved = production_years_save(administration=adm, user=user, text=text, file_name=name)
        except CalendarError as exc:
            raise CommandError(f"{adm.slug}: {exc}\nНичего не сохранено.", returncode=2) from None
        # The web page leaves this to the worker; the command waits, so the operator sees it done.
        result = administration_deadlines_recompute(
            administration=adm, changed_by=user.pk if user else None, reason=f"otklik calendar import {name}"
        )
        years = ", ".join(str(row.year) for row in saved)
        command.stdout.write(
            f"{adm.slug}: загружен производственный календарь на {years}; "
            f"сроки пересчитаны в обращениях: {result.cases} (этапов: {result.stages})."
        )
