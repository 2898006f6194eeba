"""The administration's production calendar in the web UI: its years, and loading a year's file.

For the administration's administrator (and the curators, who set the administration up too:
``administers``). Loading is two steps: the file is uploaded and checked — a broken file is
refused with its line and the problem, nothing saved — and the preview shows each year's totals,
monthly norms and the days that change; only "Сохранить" saves it (the file travels back in the
form and is checked again). The open cases' deadlines are then recomputed by the worker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.domain.calendar import ESTIMATED, SHIPPED, CalendarError, DayInfo, DayKind
from otklik.domain.calendar.importing import MAX_FILE_CHARS
from otklik.organization.services import Actor
from otklik.sla.tasks import recompute_deadlines_later
from otklik.web.views.base import actor_view, administers

from .calendars import calendar_warning, loaded_years, production_import_preview, production_years_save

SHOWN_CHANGES = 60


class YearFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Файл производственного календаря (TOML)"),
        help_text=gettext_lazy("В формате поставки: таблицы [years.ГГГГ] с переносами, сокращёнными днями и нормами."),
    )


KIND_TITLES = {
    DayKind.WORKING: gettext_lazy("рабочий день"),
    DayKind.SHORTENED: gettext_lazy("сокращённый день"),
    DayKind.DAY_OFF: gettext_lazy("выходной"),
    DayKind.HOLIDAY: gettext_lazy("праздник"),
}


def _origin_title(origin: str, *, before_import: bool = False) -> str:
    if origin == SHIPPED:
        return _("данные выпуска")
    if origin == ESTIMATED:
        if before_import:
            return _("год не был загружен, сроки считались по пакету holidays")
        return _("не загружен: оценка по пакету holidays")
    return origin


def _day_text(info: DayInfo) -> str:
    """«Предпраздничный день (короче на 1 час), 7 ч» or «рабочий день, 8 ч»: a date, for the preview."""
    text = info.note or str(KIND_TITLES[info.kind])
    if info.is_working:
        text += ", " + _("%(h)s ч") % {"h": f"{info.working_minutes / 60:g}".replace(".", ",")}
    return text


def _years(actor: Actor, now: dt.datetime) -> list[dict[str, Any]]:
    calendar = actor.administration.calendar
    today = timezone.localtime(now, calendar.tz).date()
    production = calendar.production
    if production is None:
        return []
    first = production.covered_years[0]
    rows = []
    for year in range(first, max(production.covered_years[1], today.year) + 2):
        summary = calendar.year_summary(year)
        data = production.years.get(year)
        rows.append(
            {
                "year": year,
                "origin": _origin_title(production.origin(year)),
                "estimated": not production.covers(year),
                "decree": data.decree if data else "",
                "summary": summary,
                "current": year == today.year,
            }
        )
    return rows


def _context(actor: Actor, now: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "years": _years(actor, now),
        "loaded": loaded_years(actor.administration),
        "warning": calendar_warning(actor.administration, now),
        "form": YearFileForm(),
        "months": [MONTHS[m] for m in range(1, 13)],
        "now": now,
        "nav": "calendar",
        **extra,
    }


@actor_view(administers)
def calendar_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    now = timezone.now()
    if request.method != "POST":
        return render(request, "organization/calendar.html", _context(actor, now))
    if request.POST.get("step") == "save":
        return _save(request, actor, now)
    form = YearFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "organization/calendar.html", _context(actor, now, form=form), status=400)
    upload = form.cleaned_data["file"]
    name = str(upload.name or "")[:255]
    if upload.size > MAX_FILE_CHARS * 4:
        return _refused(request, actor, now, name, _("файл слишком велик для производственного календаря"))
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused(request, actor, now, name, _("файл не в кодировке UTF-8"))
    try:
        preview = production_import_preview(actor.administration, text=text, file_name=name)
    except CalendarError as exc:
        return _refused(request, actor, now, name, str(exc))
    return render(
        request,
        "organization/calendar.html",
        _context(
            actor,
            now,
            preview=preview,
            preview_years=[
                {
                    "y": y,
                    "replaces": _origin_title(y.replaces, before_import=True),
                    "changes": [
                        {"date": c.date, "before": _day_text(c.before), "after": _day_text(c.after)}
                        for c in y.changes[:SHOWN_CHANGES]
                    ],
                }
                for y in preview.years
            ],
            text=text,
            file_name=name,
        ),
    )


def _refused(request: HttpRequest, actor: Actor, now: dt.datetime, name: str, problem: str) -> HttpResponse:
    return render(
        request,
        "organization/calendar.html",
        _context(actor, now, refused=problem, file_name=name),
        status=400,
    )


def _reason(saved: list[Any]) -> str:
    return f"загружен производственный календарь: {', '.join(str(row.year) for row in saved)}"


def _save(request: HttpRequest, actor: Actor, now: dt.datetime) -> HttpResponse:
    text = request.POST.get("text", "")
    name = request.POST.get("file_name", "")[:255]
    try:
        saved = production_years_save(
            administration=actor.administration, user=actor.user, text=text, file_name=name, now=now
        )
    except CalendarError as exc:
        return _refused(request, actor, now, name, str(exc))
    recompute_deadlines_later(actor.administration.pk, actor.user_id, _reason(saved))
    years = ", ".join(str(row.year) for row in saved)
    messages.success(
        request,
        _("Производственный календарь на %(years)s загружен. Сроки открытых обращений пересчитываются.")
        % {"years": years},
    )
    return redirect("organization:calendar")
