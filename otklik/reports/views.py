"""The report page (month or period picker, figures, download links) and the file download.

Visible to the Head, the responsible official and curators only.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from otklik.core.errors import ApplicationError
from otklik.organization.services import Actor, actor_for
from otklik.security.files import secure_download_headers

from . import tables as t
from .queries import CURATOR_ROW, MonthlyReport, is_whole_month, month_bounds, parse_month
from .services import CONTENT_TYPES, FORMATS, report_build, report_filename, report_render

# The page's labels come from ``tables`` (shared with the Russian DOCX/XLSX/PDF files, which stay
# Russian); they are translated here, and these marks let ``makemessages`` find them. Stage and
# state titles are marked in ``otklik.web.i18n_titles``. A test keeps the lists in step.
PAGE_LABELS = [
    gettext_noop("Подразделение"),
    gettext_noop("Поступило"),
    gettext_noop("Отвечено"),
    gettext_noop("В срок"),
    gettext_noop("С нарушением срока"),
    gettext_noop("Просрочено, ответа нет"),
    gettext_noop("Доля в срок, %"),
    gettext_noop("Медиана, раб. ч"),
    gettext_noop("90-й процентиль, раб. ч"),
    gettext_noop("Возвращено на доработку"),
    gettext_noop("Возвращено куратору (п. 9)"),
    gettext_noop("Промежуточных ответов"),
    gettext_noop("Повторных (п. 17)"),
    gettext_noop("Не подлежит обработке (п. 19)"),
    gettext_noop("Этап"),
    gettext_noop("Завершено"),
    gettext_noop("С нарушением"),
    gettext_noop("№"),
    gettext_noop("Суть"),
    gettext_noop("Срок"),
    gettext_noop("Просрочка, раб. ч"),
    gettext_noop("Состояние"),
    gettext_noop("Поступило сообщений из открытых источников"),
    gettext_noop("Выявлено сообщений, требующих реагирования (обращений)"),
    gettext_noop("Из них социально значимых (п. 23)"),
    gettext_noop("Повторных сообщений (п. 17)"),
    gettext_noop("Дано ответов (п. 10)"),
    gettext_noop("из них в установленный срок"),
    gettext_noop("с нарушением срока"),
    gettext_noop("Просрочено, ответ не дан на конец периода"),
    gettext_noop("Доля ответов в срок, %"),
    gettext_noop("Медиана времени ответа, рабочих часов"),
    gettext_noop("90-й процентиль времени ответа, рабочих часов"),
    gettext_noop("Промежуточных ответов (п. 15)"),
    gettext_noop("Проектов возвращено на доработку (п. 12)"),
    gettext_noop("Возвращено куратору как не относящихся к компетенции (п. 9)"),
    gettext_noop("Куратор (направление и согласование)"),
    gettext_noop("Всего"),
]
NOT_FINISHED = " (не завершён)"
NOT_FINISHED_MARK = gettext_noop("(не завершён)")


def _tr(cells: list[str]) -> list[str]:
    """Translates the labels among rendered cells; numbers, names and dates are left as they are."""
    return [_(c) if c else c for c in cells]


def _row_label(row: list[str]) -> list[str]:
    """The curator's and the total row: their first cell is a label, the rest are figures."""
    return [_(row[0]), *row[1:]]


def _overdue(row: list[str]) -> list[str]:
    department, stage, state = row[2], row[3], row[6]
    if state.endswith(NOT_FINISHED):
        state = f"{_(state[: -len(NOT_FINISHED)])} {_(NOT_FINISHED_MARK)}"
    else:
        state = _(state)
    return [row[0], row[1], _(department) if department == CURATOR_ROW else department, _(stage), *row[4:6], state]


def _period_label(report: MonthlyReport, start: dt.date, end: dt.date) -> str:
    """The report's own label in Russian; in another language the month by Django's formats."""
    if (get_language() or "ru").startswith("ru") or not is_whole_month(start, end):
        return report.label
    return date_format(start, "F Y")


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
        "period_label": _period_label(report, start, end),
        "summary": [(_(label), t.text(v)) for label, v in t.summary_rows(report)],
        "headers": _tr(t.DEPARTMENT_HEADERS),
        "departments": departments,
        "other_rows": [
            _row_label([t.text(c) for c in t.department_cells(r)]) for r in (report.curator, report.total) if r
        ],
        "stages": [[_(row[0]), *(t.text(c) for c in row[1:])] for row in t.stage_rows(report)],
        "stage_headers": _tr(t.STAGE_HEADERS),
        "overdue": [_overdue([t.text(c) for c in row]) for row in t.overdue_rows(report)],
        "overdue_headers": _tr(t.OVERDUE_HEADERS),
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
    return secure_download_headers(response)  # type: ignore[return-value]
