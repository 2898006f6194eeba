"""An administration's working calendar: how it is built, cached, extended by a loaded year, and
when people must be told that a year is missing.

Where loaded years live: per administration (``ProductionCalendarYear``), on top of the years the
release ships (``otklik/domain/data/ru-production-calendar.toml``). The shipped table is national
and comes with every release; a loaded year is one administration's decision and changes only its
deadlines — regions add their own holidays (Sagaalgan in parts of Zabaykalsky Krai, Kurban Bayram
in Tatarstan), and one tenant's administrator must never move another tenant's deadlines. An
installation with many administrations loads a national year into all of them at once with
``otklik calendar import FILE --all``.

How a loaded year reaches the calendars: a built :class:`WorkingCalendar` is cached per process
and keyed by the administration's zone, schedule file and ``calendar_version``, which every save
or delete of an exception or a loaded year renews (a signal, ``calendar_changed``) — so every
process picks up the change on its next page, and a page runs no query for its calendar.
Stored stage deadlines of open cases are recomputed after the change is committed
(``otklik.sla.tasks.recompute_deadlines_later`` → ``otklik.cases.actions.deadlines``), as Zammad
does when a calendar changes; this module does not start it itself, so that the organisation
does not depend on cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .models import Administration, CalendarException, ProductionCalendarYear

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from otklik.domain.calendar import WorkingCalendar
    from otklik.domain.calendar.importing import ImportPreview

log = logging.getLogger(__name__)

_CALENDARS: dict[tuple[object, ...], WorkingCalendar] = {}


def administration_calendar(administration: Administration) -> WorkingCalendar:
    """The working calendar of an administration: its zone, schedule, exceptions and loaded years.

    Built once per process for each ``calendar_version`` of the administration, which every save or
    delete of an exception or a loaded year renews (``calendar_changed``); a page whose calendar is
    built already runs no query for it.
    """
    key = (administration.pk, administration.timezone, administration.schedule_toml, administration.calendar_version)
    cached = _CALENDARS.get(key)
    if cached is not None:
        return cached
    calendar = _build(administration)
    if len(_CALENDARS) > 256:
        _CALENDARS.clear()
    _CALENDARS[key] = calendar
    return calendar


def _build(administration: Administration) -> WorkingCalendar:
    from otklik.domain.calendar import DayException, WorkingCalendar

    rows = tuple(
        CalendarException.objects.filter(administration=administration)
        .order_by("date")
        .values_list("date", "kind", "start", "end", "break_start", "break_end", "note")
    )
    if administration.schedule_toml.strip():
        base = WorkingCalendar.from_toml(administration.schedule_toml, source=f"administration:{administration.slug}")
    else:
        # Not strict: on 1 January of a year whose decree data nobody loaded, deadlines must still
        # be computed; the production calendar logs a loud warning, and the banner of the UI
        # (``calendar_warning``) tells the administrator and the curators from 1 October.
        base = WorkingCalendar(tz=administration.timezone, strict_years=False)
    years = _year_data(administration) if base.production is not None else []
    if years and base.production is not None:
        base = base.with_production(base.production.with_years(years))
    exceptions = []
    for date, kind, start, end, break_start, break_end, note in rows:
        exc = CalendarException(
            date=date, kind=kind, start=start, end=end, break_start=break_start, break_end=break_end
        )
        exceptions.append(DayException(date=date, kind=kind, intervals=exc.intervals(), note=note))
    return base.with_exceptions(exceptions) if exceptions else base


def calendar_changed(sender: Any, instance: CalendarException | ProductionCalendarYear, **kwargs: Any) -> None:
    """An exception or a loaded year was saved or deleted: give the administration a new
    ``calendar_version``, so that every process builds its calendar again on its next use.

    Connected in ``OrganizationConfig.ready``. A bulk ``update()`` or raw SQL sends no signal: call
    ``renew_calendar_version`` after one.
    """
    # The administration this request holds (``instance.administration``, when it was given one)
    # is told too, so the rest of the request sees the change as well.
    held = instance._state.fields_cache.get("administration")
    renew_calendar_version(instance.administration_id, held=held)


def renew_calendar_version(administration_id: int, *, held: Administration | None = None) -> None:
    import secrets

    version = secrets.token_hex(16)
    Administration.objects.filter(pk=administration_id).update(calendar_version=version)
    if held is not None:
        held.calendar_version = version
        held.__dict__.pop("calendar", None)  # the cached_property


def _current_years(administration: Administration) -> Any:
    return ProductionCalendarYear.objects.filter(administration=administration, superseded_at__isnull=True).order_by(
        "year"
    )


def loaded_years(administration: Administration) -> list[ProductionCalendarYear]:
    return list(_current_years(administration).select_related("loaded_by"))


def _origin(row: ProductionCalendarYear) -> str:
    from otklik.sla.display import moment

    try:
        when = moment(row.loaded_at, row.administration.timezone)
    except (KeyError, ValueError):
        when = moment(row.loaded_at, "UTC")
    return f"файл «{row.file_name or '—'}», загружен {when}"


def _year_data(administration: Administration) -> list[Any]:
    from otklik.domain.calendar.files import parse_production_years

    result = []
    for row in _current_years(administration).select_related("administration"):
        _country, years = parse_production_years(row.text, source=row.file_name or "файл", origin=_origin(row))
        result.append(years[row.year])
    return result


# -- loading a year --------------------------------------------------------------------------------


def production_import_preview(administration: Administration, *, text: str, file_name: str) -> ImportPreview:
    """Validate a year file against the administration's calendar; raises CalendarFileError."""
    from otklik.domain.calendar.importing import preview_import

    return preview_import(
        text, source=file_name or "файл", current=administration_calendar(administration), origin="new"
    )


def production_years_save(
    *,
    administration: Administration,
    user: User | None,
    text: str,
    file_name: str,
    now: dt.datetime | None = None,
) -> list[ProductionCalendarYear]:
    """Save every year of a validated file for the administration.

    The file is validated again here (the preview a person saw may be stale, or the form
    tampered with): a broken file raises CalendarFileError and nothing is saved. A year loaded
    before is superseded, never deleted. The caller has the open cases' deadlines recomputed
    (``otklik.sla.tasks.recompute_deadlines_later`` after the commit, or at once).
    """
    now = now or timezone.now()
    preview = production_import_preview(administration, text=text, file_name=file_name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    saved: list[ProductionCalendarYear] = []
    with transaction.atomic():
        Administration.objects.select_for_update().filter(pk=administration.pk).first()
        years = [d.year for d in preview.data]
        _current_years(administration).filter(year__in=years).update(superseded_at=now)
        for data in preview.data:
            saved.append(
                ProductionCalendarYear.objects.create(
                    administration=administration,
                    year=data.year,
                    decree=data.decree[:500],
                    working_days=data.working_days or 0,
                    working_hours=data.working_hours or 0,
                    file_name=file_name[:255],
                    text=text,
                    sha256=digest,
                    loaded_by=user,
                    loaded_at=now,
                )
            )
    log.info("administration %s: production calendar %s loaded from %s", administration.slug, years, file_name)
    return saved


# -- telling people --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarWarning:
    """A year whose production calendar is missing: estimated now (current) or soon (next)."""

    years: Sequence[int]
    current: bool  # the year under way is being estimated right now
    days_left: int  # days until 1 January of the first missing future year (0 when current)


def calendar_warning(administration: Administration, now: dt.datetime) -> CalendarWarning | None:
    """What the banner says, or None: from 1 October when next year is missing, always when this one is."""
    from otklik.domain.calendar import CalendarError, missing_years

    try:
        calendar = administration.calendar  # built once a request (the actor's administration)
    except CalendarError:
        return None
    today = timezone.localtime(now, calendar.tz).date()
    years = missing_years(calendar.production, today)
    if not years:
        return None
    current = years[0] == today.year
    days_left = 0 if current else (dt.date(years[0], 1, 1) - today).days
    return CalendarWarning(years=years, current=current, days_left=days_left)
