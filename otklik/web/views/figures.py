"""The board as "the list behind a figure" of the Head's dashboard: parsing its query and naming it.

``?measure=late&from=2026-05-01&to=2026-05-31&department=3`` shows the cases a dashboard figure
counts (``otklik.reports.figures.measure_case_ids``); ``?overdue=1`` the open cases past their
nearest deadline. Kept apart from the board view so the two can change independently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.reports.figures import MEASURES
from otklik.reports.periods import period_label

from ..selectors import BoardFilter

MEASURE_TITLES = {
    "detected": gettext_lazy("выявленные обращения"),
    "received": gettext_lazy("поступившие в подразделение"),
    "answered": gettext_lazy("отвеченные"),
    "on_time": gettext_lazy("отвеченные в срок"),
    "late": gettext_lazy("отвеченные с нарушением срока"),
    "overdue": gettext_lazy("просроченные без ответа"),
    "missed": gettext_lazy("с нарушенным сроком ответа"),
    "rework": gettext_lazy("возвращённые на доработку"),
    "significant": gettext_lazy("социально значимые (п. 23)"),
}


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def figure_filter(request: HttpRequest) -> dict[str, Any]:
    """The BoardFilter fields of a figure's list; anything malformed is ignored (the plain board)."""
    measure = request.GET.get("measure")
    start, end = _date(request.GET.get("from")), _date(request.GET.get("to"))
    raw_place = request.GET.get("in_place") or ""
    fields: dict[str, Any] = {"overdue": request.GET.get("overdue") == "1"}
    if measure in MEASURES and start and end and start <= end:
        fields.update(measure=measure, period_from=start, period_to=end)
        fields["in_place_id"] = int(raw_place) if raw_place.isdigit() else None
    return fields


def figure_title(f: BoardFilter) -> str:
    """«Отвеченные с нарушением срока за май 2026 г.» for the board's heading; "" if none."""
    if f.by_figure:
        assert f.period_from and f.period_to and f.measure
        return _("%(what)s за %(period)s") % {
            "what": str(MEASURE_TITLES[f.measure]).capitalize(),
            "period": period_label(f.period_from, f.period_to),
        }
    if f.overdue:
        return _("Открытые с просроченным сроком сейчас")
    return ""
