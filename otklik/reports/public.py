"""The public accountability page ``/o/<slug>/`` and its open data (opt-in per administration).

Per department and month: answers given, the on-time share and the median working time to the
answer — the figures of the П.21 report (``figures.py``), nothing more. Published answers are
listed by date, department, topic, settlement and network with a link to the answer in the
network. **No personal data**: no citizen's or employee's name, no message or answer text (an
answer's salutation names the citizen), no street below the settlement. An administration turns
the page on with ``Administration.public_page``; otherwise it does not exist (404).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.workflow import DraftKind
from otklik.organization.models import Administration, Place

from . import figures as f
from .dashboard import label
from .geo import settlement_of
from .periods import instants, last_months, month_bounds, parse_month, period_label
from .safe import clean, neutralize

MONTHS = 12
ANSWERS_LIMIT = 500


@dataclass
class MonthFigures:
    start: dt.date
    label: str
    department: str
    answered: int
    on_time: int
    late: int
    overdue: int
    on_time_percent: float | None
    median_hours: float | None


@dataclass
class PublishedAnswer:
    published_at: dt.datetime  # local
    department: str
    topics: str
    settlement: str
    network: str
    kind: str  # "answer" or "interim"
    url: str

    @property
    def interim(self) -> bool:
        return self.kind == DraftKind.INTERIM.value


def public_administration(slug: str) -> Administration:
    adm = Administration.objects.filter(slug=slug, is_active=True, public_page=True).first()
    if adm is None:
        raise Http404("Страница не найдена.")
    return adm


def month_figures(adm: Administration, months: list[tuple[dt.date, dt.date]], now: dt.datetime) -> list[MonthFigures]:
    """One row per (month, department) with figures, and «Всего» per month."""
    out = []
    for start, end in months:
        lo, hi = instants(adm, start, end)
        rows, elapsed = f.department_rows(adm, lo, hi, now=now)
        curator = rows.pop(None, None)
        label = period_label(start, end)
        for r in sorted(rows.values(), key=lambda r: r.name):
            out.append(_figures(start, label, r.name, r))
        total = f.total_row([*rows.values(), *([curator] if curator else [])])
        total.median_hours = f.hours(f.percentile(elapsed, 0.5))
        out.append(_figures(start, label, "Всего", total))
    return out


def _figures(start: dt.date, label: str, name: str, r: f.DepartmentRow) -> MonthFigures:
    return MonthFigures(
        start=start,
        label=label,
        department=clean(name, one_line=True, limit=255),
        answered=r.answered,
        on_time=r.answered_on_time,
        late=r.answered_late,
        overdue=r.overdue_unanswered,
        on_time_percent=r.on_time_percent,
        median_hours=r.median_hours,
    )


def published_answers(adm: Administration, start: dt.date, end: dt.date) -> list[PublishedAnswer]:
    """Answers published in the month with a link to them, newest first (no text, no names)."""
    from otklik.cases.models import Draft

    lo, hi = instants(adm, start, end)
    places = {p.pk: p for p in Place.objects.filter(administration=adm)}
    networks = dict(NETWORK_CHOICES)
    kinds = (DraftKind.ANSWER.value, DraftKind.INTERIM.value)
    drafts = (
        Draft.objects.filter(
            case__administration=adm,
            status=Draft.Status.PUBLISHED,
            published_at__gte=lo,
            published_at__lt=hi,
            kind__in=list(kinds),
        )
        .exclude(published_url="")
        .select_related("department", "case")
        .prefetch_related("case__topics")
        .order_by("-published_at", "-id")[:ANSWERS_LIMIT]
    )
    tz = adm.calendar.tz
    out = []
    for d in drafts:
        place = places.get(d.case.place_id) if d.case.place_id else None
        settlement = settlement_of(place, places).name if place else ""
        out.append(
            PublishedAnswer(
                published_at=timezone.localtime(d.published_at, tz),
                department=clean(d.department.name, one_line=True, limit=255),
                topics=clean(", ".join(t.name for t in d.case.topics.all()), one_line=True, limit=255),
                settlement=clean(settlement, one_line=True, limit=255),
                network=str(networks.get(d.case.network, d.case.network)),
                kind=d.kind,
                url=d.published_url if d.published_url.startswith(("https://", "http://")) else "",
            )
        )
    return out


def _current(adm: Administration, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = timezone.localtime(now, adm.calendar.tz).date()
    return month_bounds(today.year, today.month)


def _month(request: HttpRequest, adm: Administration, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """``?month=YYYY-MM`` (not in the future), else the current month."""
    current = _current(adm, now)
    raw = request.GET.get("month", "")
    if raw:
        try:
            chosen = parse_month(raw)
        except ValueError:
            return current
        return chosen if chosen[0] <= current[0] else current
    return current


def public_page(request: HttpRequest, slug: str) -> HttpResponse:
    adm = public_administration(slug)
    now = timezone.now()
    start, end = _month(request, adm, now)
    months = last_months(_current(adm, now)[1], MONTHS)
    every = month_figures(adm, months if (start, end) in months else [*months, (start, end)], now)
    figures_rows = [r for r in every if r.start == start]
    starts = {a for a, _b in months}
    history = [r for r in every if r.department == "Всего" and r.start in starts]
    return render(
        request,
        "reports/public.html",
        {
            "adm": adm,
            "label": label(start, end),
            "month": f"{start:%Y-%m}",
            "months": [(f"{a:%Y-%m}", label(a, b)) for a, b in reversed(months)],
            "departments": figures_rows,
            "history": list(reversed(history)),
            "answers": published_answers(adm, start, end),
        },
    )


FIGURE_FIELDS = ("month", "department", "answered", "on_time", "late", "overdue_unanswered", "on_time_percent",
                 "median_working_hours")  # fmt: skip
ANSWER_FIELDS = ("published_at", "department", "topics", "settlement", "network", "kind", "url")


def _figure_record(r: MonthFigures) -> dict[str, Any]:
    return dict(zip(FIGURE_FIELDS, (f"{r.start:%Y-%m}", r.department, r.answered, r.on_time, r.late, r.overdue,
                                    r.on_time_percent, r.median_hours), strict=True))  # fmt: skip


def _answer_record(a: PublishedAnswer) -> dict[str, Any]:
    return dict(zip(ANSWER_FIELDS, (a.published_at.isoformat(), a.department, a.topics, a.settlement, a.network,
                                    a.kind, a.url), strict=True))  # fmt: skip


def _csv(name: str, fields: tuple[str, ...], records: list[dict[str, Any]]) -> HttpResponse:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(fields)
    for record in records:
        writer.writerow(["" if v is None else neutralize(v) if isinstance(v, str) else v for v in record.values()])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def open_data(request: HttpRequest, slug: str, dataset: str, fmt: str) -> HttpResponse:
    """``figures`` (12 months, or ``?month=``) and ``answers`` (a month) as CSV or JSON."""
    adm = public_administration(slug)
    now = timezone.now()
    if dataset == "figures":
        chosen = _month(request, adm, now)
        months = [chosen] if request.GET.get("month") else last_months(chosen[1], MONTHS)
        records = [_figure_record(r) for r in month_figures(adm, months, now)]
        fields: tuple[str, ...] = FIGURE_FIELDS
    elif dataset == "answers":
        records = [_answer_record(a) for a in published_answers(adm, *_month(request, adm, now))]
        fields = ANSWER_FIELDS
    else:
        raise Http404("Нет такого набора данных.")
    name = f"otklik-{adm.slug}-{dataset}"
    if fmt == "csv":
        return _csv(name, fields, records)
    if fmt == "json":
        return JsonResponse(
            {
                "administration": adm.name,
                "dataset": dataset,
                "generated_at": timezone.localtime(now, adm.calendar.tz).isoformat(),
                "fields": list(fields),
                "records": records,
            },
            json_dumps_params={"ensure_ascii": False},
        )
    raise Http404("Нет такого формата.")
