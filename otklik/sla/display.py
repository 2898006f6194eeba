"""How times and countdowns are written — one form across the product, in the person's language.

* A moment: «2 дек., 09:30 (Чита)» — day, short month, time, and the administration's zone in
  brackets; the year is added when it is not the current one («2 дек. 2025, 09:30 (Чита)»).
* Working time: «30 раб. мин», «2 раб. ч 15 мин».
* A countdown: «осталось 30 раб. мин · срок 2 дек., 09:30 (Чита)», «просрочено на 2 раб. ч 15 мин
  · срок …», or «срок истёк · срок …» when the deadline has passed but no working time since.

The web's ``{% countdown %}`` tag and ``|moment`` filter, reminders and notifications, reports and
the e-mail texts use these functions; ``web/static/web/app.js`` repeats the duration words for the
live tick.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from .clock import Countdown

#: Russian names of the zones of Russia (IANA name -> city); other zones show their own city.
ZONE_TITLES: dict[str, Any] = {
    "Europe/Kaliningrad": gettext_lazy("Калининград"),
    "Europe/Moscow": gettext_lazy("Москва"),
    "Europe/Simferopol": gettext_lazy("Симферополь"),
    "Europe/Kirov": gettext_lazy("Киров"),
    "Europe/Volgograd": gettext_lazy("Волгоград"),
    "Europe/Astrakhan": gettext_lazy("Астрахань"),
    "Europe/Saratov": gettext_lazy("Саратов"),
    "Europe/Ulyanovsk": gettext_lazy("Ульяновск"),
    "Europe/Samara": gettext_lazy("Самара"),
    "Asia/Yekaterinburg": gettext_lazy("Екатеринбург"),
    "Asia/Omsk": gettext_lazy("Омск"),
    "Asia/Novosibirsk": gettext_lazy("Новосибирск"),
    "Asia/Barnaul": gettext_lazy("Барнаул"),
    "Asia/Tomsk": gettext_lazy("Томск"),
    "Asia/Novokuznetsk": gettext_lazy("Новокузнецк"),
    "Asia/Krasnoyarsk": gettext_lazy("Красноярск"),
    "Asia/Irkutsk": gettext_lazy("Иркутск"),
    "Asia/Chita": gettext_lazy("Чита"),
    "Asia/Yakutsk": gettext_lazy("Якутск"),
    "Asia/Khandyga": gettext_lazy("Хандыга"),
    "Asia/Vladivostok": gettext_lazy("Владивосток"),
    "Asia/Ust-Nera": gettext_lazy("Усть-Нера"),
    "Asia/Magadan": gettext_lazy("Магадан"),
    "Asia/Sakhalin": gettext_lazy("Южно-Сахалинск"),
    "Asia/Srednekolymsk": gettext_lazy("Среднеколымск"),
    "Asia/Kamchatka": gettext_lazy("Петропавловск-Камчатский"),
    "Asia/Anadyr": gettext_lazy("Анадырь"),
}

MONTHS = (
    pgettext_lazy("месяц, кратко", "янв."),
    pgettext_lazy("месяц, кратко", "февр."),
    pgettext_lazy("месяц, кратко", "мар."),
    pgettext_lazy("месяц, кратко", "апр."),
    pgettext_lazy("месяц, кратко", "мая"),
    pgettext_lazy("месяц, кратко", "июня"),
    pgettext_lazy("месяц, кратко", "июля"),
    pgettext_lazy("месяц, кратко", "авг."),
    pgettext_lazy("месяц, кратко", "сент."),
    pgettext_lazy("месяц, кратко", "окт."),
    pgettext_lazy("месяц, кратко", "нояб."),
    pgettext_lazy("месяц, кратко", "дек."),
)


_WORDS: dict[tuple[str, str], tuple[str, ...]] = {}


def _cached(kind: str, make: Any) -> tuple[str, ...]:
    """Translated words per language, resolved once (every countdown of a list page needs them)."""
    key = (get_language() or "", kind)
    found = _WORDS.get(key)
    if found is None:
        found = _WORDS[key] = tuple(make())
    return found


def zone_title(tz_name: str) -> str:
    if tz_name in ZONE_TITLES:
        return _cached(f"zone:{tz_name}", lambda: [str(ZONE_TITLES[tz_name])])[0]
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def _zone(tz: dt.tzinfo | str | None) -> dt.tzinfo:
    if tz is None:
        return timezone.get_current_timezone()
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


def _zone_name(tz: dt.tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz.tzname(None) or "UTC")


def moment_parts(
    value: dt.datetime, tz: dt.tzinfo | str | None = None, *, now: dt.datetime | None = None
) -> tuple[str, str]:
    """(«2 дек., 09:30», «Чита») of ``value`` in zone ``tz`` (default: the current zone)."""
    zone = _zone(tz)
    local = value.astimezone(zone)
    this_year = (now or timezone.now()).astimezone(zone).year
    day = f"{local.day} {_cached('months', lambda: [str(m) for m in MONTHS])[local.month - 1]}"
    if local.year != this_year:
        day = f"{day} {local.year}"
    return f"{day}, {local:%H:%M}", zone_title(_zone_name(zone))


def moment(value: dt.datetime | None, tz: dt.tzinfo | str | None = None, *, now: dt.datetime | None = None) -> str:
    """«2 дек., 09:30 (Чита)»: the one way a moment is written."""
    if value is None:
        return ""
    when, zone = moment_parts(value, tz, now=now)
    return f"{when} ({zone})"


def working_duration(seconds: int) -> str:
    """«30 раб. мин», «2 раб. ч 15 мин», «2 раб. ч» (whole minutes; under a minute «< 1 раб. мин»)."""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)s раб. ч %(m)s мин") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)s раб. ч") % {"h": hours}
    if minutes:
        return _("%(m)s раб. мин") % {"m": minutes}
    return _("< 1 раб. мин")


def left_words(cd: Countdown) -> str:
    """«осталось 30 раб. мин», «просрочено на 2 раб. ч 15 мин» or «срок истёк»."""
    if cd.overdue:
        if cd.remaining_seconds <= -60:
            return _("просрочено на %(t)s") % {"t": working_duration(cd.remaining_seconds)}
        return _("срок истёк")
    return _("осталось %(t)s") % {"t": working_duration(cd.remaining_seconds)}


def countdown_text(cd: Countdown, *, now: dt.datetime | None = None) -> str:
    """The whole countdown in plain text (notifications, e-mail, reports)."""
    return _("%(left)s · срок %(due)s") % {"left": left_words(cd), "due": moment(cd.due_at, cd.tz_name, now=now)}


def paused_words(cd: Countdown, *, now: dt.datetime | None = None) -> str:
    """«нерабочее время, отсчёт с 3 дек., 09:00 (Чита)» when the clock stands, else ""."""
    if cd.clock_running or cd.overdue or cd.changes_at is None:
        return ""
    return _("нерабочее время, отсчёт с %(when)s") % {"when": moment(cd.changes_at, cd.tz_name, now=now)}
