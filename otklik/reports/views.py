"""The report page (month or period picker, figures, download links) and the file download.

Visible to the Head, the responsible official and curators only.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.core.errors import ApplicationError
from otklik.organization.services import Actor, actor_for

from . import tables as t
from .queries import month_bounds, parse_month
from .services import CONTENT_TYPES, FORMATS, report_build, report_filename, report_render


def _actor(request: HttpRequest) -> Actor | None:
    try:
        actor = actor_for(request.user, request.GET.get("adm") or None)  # type: ignore[arg-type]
    except ApplicationError:
        return None
    return actor if actor.sees_everything else None


def _period(request: HttpRequest, actor: Actor) -> tuple[dt.date, dt.date, str]:
    """(start, end, query string) from ?month= or ?from=&to=; default: the previous month."""
    month, date_from, date_to = (request.GET.get(k, "").strip() for k in ("month", "from", "to"))
    if date_from and date_to:
        start, end = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
        if end < start:
            raise ValueError(_("Дата окончания раньше даты начала."))
        return start, end, f"from={start:%Y-%m-%d}&to={end:%Y-%m-%d}"
    if month:
        start, end = parse_month(month)
    else:
        today = timezone.localtime(timezone.now(), actor.administration.calendar.tz).date()
        last = today.replace(day=1) - dt.timedelta(days=1)
        start, end = month_bounds(last.year, last.month)
    return start, end, f"month={start:%Y-%m}"


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return HttpResponseForbidden(_("Справка доступна Главе, ответственному должностному лицу и кураторам."))
    try:
        start, end, query = _period(request, actor)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    report = report_build(actor.administration, start, end)
    overdue_by_dept: dict[str, list[int]] = {}
    for item in report.worst_overdue:
        overdue_by_dept.setdefault(item.department, []).append(item.number)
    departments = [
        {"row": r, "cells": [t.text(c) for c in t.department_cells(r)],
         "cases": ",".join(str(n) for n in overdue_by_dept.get(r.name, []))}
        for r in report.departments
    ]  # fmt: skip
    context = {
        "report": report,
        "query": query,
        "month_value": f"{start:%Y-%m}",
        "formats": FORMATS,
        "summary": [(label, t.text(v)) for label, v in t.summary_rows(report)],
        "headers": t.DEPARTMENT_HEADERS,
        "departments": departments,
        "other_rows": [[t.text(c) for c in t.department_cells(r)] for r in (report.curator, report.total) if r],
        "stages": [[t.text(c) for c in row] for row in t.stage_rows(report)],
        "stage_headers": t.STAGE_HEADERS,
        "overdue": [[t.text(c) for c in row] for row in t.overdue_rows(report)],
        "overdue_headers": t.OVERDUE_HEADERS,
        "is_head": actor.is_head,
        "nav": "reports",
    }
    return render(request, "reports/monthly.html", context)


@login_required
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return HttpResponseForbidden(_("Справка доступна Главе, ответственному должностному лицу и кураторам."))
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Неизвестный формат."))
    try:
        start, end, _query = _period(request, actor)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    report = report_build(actor.administration, start, end)
    response = HttpResponse(report_render(report, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report, fmt)}"'
    return response
