"""System checks: warn when a production-calendar year is missing — from 1 October for the next year.

The same rule as the banner of the UI (``otklik.organization.calendars.calendar_warning``): from
1 October of the year before, and all the time once the year has begun. It looks at the shipped
data and — when the check is run with databases (``otklik check --database default``) — at the
years each administration has loaded itself, naming those that still lack the year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import checks


def _administrations_missing(today: dt.date) -> list[str] | None:
    """Names of the active administrations that lack a year (None: no database or no administration)."""
    from django.db import DatabaseError

    from otklik.domain.calendar import CalendarError, missing_years

    try:
        from otklik.organization.models import Administration

        names = []
        administrations = list(Administration.objects.filter(is_active=True))
        if not administrations:
            return None
        for adm in administrations:
            try:
                if missing_years(adm.calendar.production, today):
                    names.append(adm.slug)
            except CalendarError:
                continue
        return names
    except DatabaseError:
        return None


@checks.register(checks.Tags.compatibility)
def production_calendar_covers_the_coming_year(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from otklik.domain.calendar import ProductionCalendar, missing_years

    today = dt.date.today()
    shipped = ProductionCalendar.default()
    years = missing_years(shipped, today)
    if not years:
        return []
    administrations = _administrations_missing(today) if kwargs.get("databases") else None
    if administrations == []:
        return []  # every administration has loaded the year itself
    first, last = shipped.covered_years
    if years[0] == today.year:
        message = (
            f"Производственный календарь загружен на {first}–{last} годы, а идёт {today.year} год: "
            f"сроки считаются приблизительно (по пакету holidays, без данных постановления)."
        )
    else:
        days = (dt.date(years[0], 1, 1) - today).days
        message = (
            f"Производственный календарь загружен на {first}–{last} годы, а через {days} дн. начинается {years[0]} год."
        )
    if administrations:
        message += f" Нет данных у администраций: {', '.join(administrations)}."
    else:
        message += " Если администрация уже загрузила этот год сама, предупреждение к ней не относится."
    return [
        checks.Warning(
            message,
            hint=f"Загрузите календарь {years[-1]} года по постановлению Правительства о переносе выходных: "
            "otklik calendar import ФАЙЛ (или страница «Производственный календарь»); формат — как "
            "otklik/domain/data/ru-production-calendar.toml. До тех пор сроки считаются без переносов "
            "постановления.",
            id="otklik.W001",
        )
    ]
