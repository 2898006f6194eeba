"""System checks: warn weeks ahead when the production calendar lacks next year's decree data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import checks

LOOKAHEAD = dt.timedelta(days=45)


@checks.register(checks.Tags.compatibility)
def production_calendar_covers_the_coming_weeks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from otklik.domain.calendar import WorkingCalendar

    covered = WorkingCalendar.default().covered_years
    horizon = (dt.date.today() + LOOKAHEAD).year
    if horizon <= covered[1]:
        return []
    return [
        checks.Warning(
            f"Производственный календарь загружен на {covered[0]}–{covered[1]} годы, а через "
            f"{LOOKAHEAD.days} дней начинается {horizon} год.",
            hint="Добавьте перенос выходных и сокращённые дни нового года в "
            "otklik/domain/data/ru-production-calendar.toml (по постановлению Правительства) "
            "или исключения календаря администрации; до тех пор сроки считаются без переносов.",
            id="otklik.W001",
        )
    ]
