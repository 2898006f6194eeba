"""The Head's dashboard: the month's situation on one screen, from the figures the П.21 report uses.

Everything here reads ``figures.py`` (the same definitions as the report) and links each figure
to the board filtered to the cases it counts (``board_url``). Pictures are server-side SVG
(``svg.py``); no script is needed to read the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from otklik.cases.models import CLOSED_STATES, Case, open_condition
from otklik.core.plainsql import fetch, name, table
from otklik.domain.workflow import StageKey
from otklik.organization.models import Administration, Role
from otklik.organization.services import Actor

from . import figures as f
from . import svg
from .geo import Settlement, settlement_counts, shipped_coordinates
from .periods import (
    instants,
    is_whole_month,
    last_months,
    last_weeks,
    month_bounds,
    period_label,
    previous_period,
    short_month,
)
from .queries import DynamicsRow, dynamics, year_before

TREND_WEEKS = 12
TREND_MONTHS = 12
TOP = 5
SERIES = (
    ("received", gettext_lazy("выявлено обращений"), "#90a4ae", "bar"),
    ("on_time", gettext_lazy("ответов в срок"), "#2e7d32", "line"),
    ("missed", gettext_lazy("нарушен срок ответа"), "#c62828", "line"),
    ("rework", gettext_lazy("возвратов на доработку"), "#ef6c00", "line"),
)


def series() -> tuple[svg.Series, ...]:
    """The trend's series, labelled in the language of the request."""
    return tuple(svg.Series(key, str(label), color, kind) for key, label, color, kind in SERIES)


MEASURE_OF_SERIES = {"received": "detected", "on_time": "on_time", "missed": "missed", "rework": "rework"}


def label(start: dt.date, end: dt.date) -> str:
    """The period's name in the language of the request (the report's own Russian label in Russian)."""
    if (get_language() or "ru").startswith("ru") or not is_whole_month(start, end):
        return period_label(start, end)
    return date_format(start, "F Y")


def board_url(
    measure: str,
    start: dt.date,
    end: dt.date,
    *,
    department: int | None = None,
    topic: int | None = None,
    place: int | None = None,
    network: str | None = None,
) -> str:
    """The board filtered to the cases behind a figure (``figures.measure_case_ids``)."""
    query: dict[str, Any] = {"measure": measure, "from": start.isoformat(), "to": end.isoformat()}
    for key, value in (("department", department), ("topic", topic), ("in_place", place), ("network", network)):
        if value:
            query[key] = value
    return f"{_board_path()}?{urlencode(query)}"


_BOARD_PATHS: dict[str, str] = {}


def _board_path() -> str:
    """The board's path, reversed once per script prefix: the dashboard writes about 160 links, and
    a ``reverse`` each was a tenth of its time (12 of 120 ms of CPU at 100,000 cases)."""
    prefix = get_script_prefix()
    path = _BOARD_PATHS.get(prefix)
    if path is None:
        path = _BOARD_PATHS[prefix] = reverse("web:board")
    return path


@dataclass
class DepartmentLine:
    row: f.DepartmentRow
    previous: f.DepartmentRow
    links: dict[str, str]
    overdue_cases: list[int] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        now, before = self.row.on_time_percent, self.previous.on_time_percent
        return None if now is None or before is None else round(now - before, 1)


@dataclass
class TopRow:
    row: DynamicsRow
    href: str
    share: float  # of the largest current count, for the bar

    @property
    def width(self) -> str:
        """The bar's length in the SVG's 0–100 units (a dot decimal whatever the locale)."""
        return f"{100 * self.share:.1f}"


@dataclass
class Alert:
    """A П.23 alert: a socially significant case (with its deadline and state) or an alert
    without a case (a spike of activity, a significant message not taken up yet) — each once."""

    at: dt.datetime
    title: str
    case: Case | None = None
    body: str = ""
    url: str = ""
    kind: str = "case"
    overdue_hours: float | None = None  # working hours past the nearest deadline, for an open case


@dataclass
class Dashboard:
    start: dt.date
    end: dt.date
    label: str
    previous_label: str
    now: dt.datetime
    is_current: bool
    total: f.DepartmentRow
    previous_total: f.DepartmentRow
    detected: int
    open_overdue: int
    departments: list[DepartmentLine]
    curator: f.DepartmentRow | None
    links: dict[str, str]
    trend_weeks: SafeString
    trend_months: SafeString
    series: tuple[svg.Series, ...]
    topics: list[TopRow]
    places: list[TopRow]
    map: SafeString
    unlocated: list[Settlement]
    alerts: list[Alert]
    months: list[tuple[str, str]]  # (YYYY-MM, label) to choose from


def current_month(adm: Administration, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = timezone.localtime(now, adm.calendar.tz).date()
    return month_bounds(today.year, today.month)


def _lines(
    adm: Administration, start: dt.date, end: dt.date, now: dt.datetime, overdue: dict[int | None, int]
) -> tuple[dict[int | None, f.DepartmentRow], dict[int | None, f.DepartmentRow]]:
    lo, hi = instants(adm, start, end)
    # The period's counts add up over its days before today, kept once they have ended, and
    # today (``period_cached``); the overdue answers, told at ``now``, go with the last part.
    rows = f.period_cached(
        adm,
        "department-counts",
        lo,
        hi,
        now,
        lambda a, b: f.department_rows(
            adm, a, b, now=now, percentiles=False, overdue=overdue if b == hi else {}, received_since=lo
        )[0],
        f.add_rows,
    )
    p_lo, p_hi = instants(adm, *previous_period(start, end))
    previous = f.past_cached(
        adm,
        "department-rows",
        p_lo,
        p_hi,
        now,
        lambda: f.department_rows(adm, p_lo, p_hi, now=now, percentiles=False)[0],
    )
    return rows, previous


#: How many overdue case numbers the П.22 link of a department carries (the most overdue first):
#: a link, not a list — the notice's form takes more, and a URL of thousands of numbers is refused
#: by proxies (and costs the page the time of writing them all).
OVERDUE_IN_LINK = 50


def _overdue(
    adm: Administration, hi: dt.datetime, now: dt.datetime
) -> tuple[dict[int | None, int], dict[int | None, list[int]]]:
    """The answers overdue without an answer, by department: how many (the figure) and the numbers
    of their cases, the most overdue first (``OVERDUE_IN_LINK`` of each, for the П.22 notice) —
    one pass over the overdue stages, which give both."""
    if now < hi:
        return _overdue_now(adm, now)
    # A period over: what was overdue at its end is told by stages that have all ended or fallen
    # due by then, kept like its other figures (at 1,000,000 cases 300 ms a look for a month).
    return f.past_cached(adm, "overdue-at-end", hi, hi, now, lambda: _overdue_at_end(adm, hi, now))


def _overdue_at_end(
    adm: Administration, hi: dt.datetime, now: dt.datetime
) -> tuple[dict[int | None, int], dict[int | None, list[int]]]:
    counts: dict[int | None, int] = {}
    numbers: dict[int | None, list[int]] = {}
    stages = f.with_dept(f.answers_overdue(adm, hi, now), StageKey.ANSWER.value)
    if connection.vendor == "postgresql":
        # PostgreSQL counts and ranks in the database, in one query: a window counts each
        # department's stages, another numbers its first OVERDUE_IN_LINK (91 → 51 ms at 100,000
        # cases against the pass below, which spent most of its time fetching rows; 54 → 24 ms
        # of SQL once the count and the ranking were one scan, not a GROUP BY and a window).
        # SQLite is faster with the one pass (139 ms against 117 + 158 ms for two queries at
        # 1,000,000 cases).
        by_dept = [F("dept")]
        ranked = (
            stages.annotate(
                rank=Window(RowNumber(), partition_by=by_dept, order_by=[F("due_at").asc(), F("id").asc()]),
                total=Window(Count("id"), partition_by=by_dept),
            )
            .filter(rank__lte=OVERDUE_IN_LINK)
            .values_list("dept", "case__number", "total")
            .order_by("dept", "rank")
        )
        for dept, number, total in ranked:
            counts[dept] = total
            kept = numbers.setdefault(dept, [])
            if number not in kept:  # (a case's second overdue answer, rare, leaves one fewer)
                kept.append(number)
        return counts, numbers
    overdue = stages.values_list("dept", "case__number").order_by("due_at", "id")
    for dept, number in overdue.iterator(chunk_size=5000):
        counts[dept] = counts.get(dept, 0) + 1
        kept = numbers.setdefault(dept, [])
        if len(kept) < OVERDUE_IN_LINK and number not in kept:
            kept.append(number)
    return counts, numbers


def _overdue_now(adm: Administration, now: dt.datetime) -> tuple[dict[int | None, int], dict[int | None, list[int]]]:
    """``_overdue`` of a period not over yet, from the open answers the cases store: one count by
    department from the ``case_open_answer`` index alone, then each department's most overdue —
    the index walked in deadline order until 50 of the department's are found, read together in
    one plain query (at 1,000,000 cases 32,000 answers are overdue, not all of them read)."""
    counts = f.overdue_now_by_department(adm, now)
    if not counts:
        return counts, {}
    due, dept = name("open_answer_due_at"), name("open_answer_department_id")
    params: list[Any] = []
    parts = []
    for i, department in enumerate(counts):
        parts.append(
            f"SELECT * FROM (SELECT {dept}, {name('number')} FROM {table(Case)}"
            f" WHERE {name('administration_id')} = %s AND {dept} {'IS NULL' if department is None else '= %s'}"
            f" AND {due} IS NOT NULL AND {due} < %s ORDER BY {due}, {name('id')} LIMIT {OVERDUE_IN_LINK}) AS p{i}"
        )
        params += [adm.pk, *([] if department is None else [department]), connection.ops.adapt_datetimefield_value(now)]
    numbers: dict[int | None, list[int]] = {}
    for department, number in fetch(" UNION ALL ".join(parts), params):
        numbers.setdefault(department, []).append(number)
    return counts, numbers


def _trend_svg(adm: Administration, buckets: list[tuple[dt.date, dt.date, str]], now: dt.datetime, title: str) -> str:
    points = f.trend(adm, buckets, now=now)
    lines = series()
    marks = {
        s.key: [
            svg.Mark(
                getattr(p, s.key),
                board_url(MEASURE_OF_SERIES[s.key], p.start, p.end),
                f"{label(p.start, p.end)}: {s.label} — {getattr(p, s.key)}",
            )
            for p in points
        ]
        for s in lines
    }
    return svg.trend_svg([p.label for p in points], lines, marks, title=title)


def _top(rows: list[DynamicsRow], link: Any) -> list[TopRow]:
    rows = [r for r in rows if r.current or r.previous][:TOP]
    biggest = max([r.current for r in rows] or [1]) or 1
    return [TopRow(r, link(r), r.current / biggest) for r in rows]


def _map(adm: Administration, start: dt.date, end: dt.date, places: list[DynamicsRow]) -> tuple[str, list[Settlement]]:
    lo, hi = instants(adm, start, end)
    settlements = settlement_counts(
        adm, lo, hi, by_place={int(r.key): r.current for r in places if r.key and r.current}
    )
    located = [s for s in settlements if s.located]
    points = [
        svg.MapPoint(
            s.name,
            s.latitude,  # type: ignore[arg-type]
            s.longitude,  # type: ignore[arg-type]
            s.count,
            board_url("detected", start, end, place=s.place_id),
            _("%(place)s: обращений — %(n)s") % {"place": s.name, "n": s.count},
        )
        for s in located
    ]
    drawing = svg.map_svg(
        points,
        title=_("Обращения по населённым пунктам — %(period)s") % {"period": label(start, end)},
        bounds=_bounds([s for s in settlements if s.located]),
    )
    return drawing, [s for s in settlements if not s.located and s.count]


def _bounds(located: list[Settlement]) -> tuple[float, float, float, float] | None:
    """The frame of the okrug (every shipped settlement) and of every located place, so the map
    stays still whatever the month's counts."""
    coordinates = [(s.latitude, s.longitude) for s in located if s.latitude is not None and s.longitude is not None]
    if not coordinates:
        return None
    coordinates += list(shipped_coordinates().values())
    lats, lons = [c[0] for c in coordinates], [c[1] for c in coordinates]
    return min(lats), min(lons), max(lats), max(lons)


def _overdue_hours(adm: Administration, case: Case, now: dt.datetime) -> float | None:
    """Working hours by which an open case is past its nearest deadline (None if it is not)."""
    due = case.next_deadline_at
    if not case.is_open or due is None or due >= now:
        return None
    try:
        return round(adm.calendar.elapsed(due, now).total_seconds() / 3600, 1)
    except Exception:  # a year the production calendar does not cover: calendar hours
        return round((now - due).total_seconds() / 3600, 1)


def alerts(actor: Actor, lo: dt.datetime, hi: dt.datetime, *, now: dt.datetime, limit: int = 20) -> list[Alert]:
    """П.23 for the period: the significant cases (detected in it, or still open), the cases the
    Head was alerted about, and alerts without a case — each case once, open ones first."""
    from otklik.inbox.models import Message
    from otklik.notify.models import Notification

    adm = actor.administration
    notes = list(
        Notification.objects.filter(
            recipient_id=actor.user_id,
            administration=adm,
            kind__in=[Notification.Kind.SIGNIFICANT, Notification.Kind.SPIKE],
            created_at__gte=lo,
            created_at__lt=hi,
        ).order_by("-created_at", "-id")[:200]
    )
    message_ids = {
        int(n.dedupe_key.rsplit(":", 1)[1])
        for n in notes
        if n.dedupe_key.startswith("significant:message:") and n.dedupe_key.rsplit(":", 1)[1].isdigit()
    }
    case_of_message = dict(
        Message.objects.filter(administration=adm, pk__in=message_ids, case__isnull=False).values_list("pk", "case_id")
    )
    alerted_cases = {n.case_id for n in notes if n.case_id} | set(case_of_message.values())
    # significant and still open, or detected in the period: two queries along indexes (the open
    # cases' partial index, the period's), not a walk over every case for the flag
    # (the period's end is checked here: as a bound SQLite would walk every earlier case by it)
    significant = Case.objects.filter(administration=adm, significant=True)
    open_or_recent = [
        *(pk for pk, at in significant.filter(open_condition()).order_by().values_list("pk", "detected_at") if at < hi),
        *significant.filter(detected_at__gte=lo, detected_at__lt=hi).values_list("pk", flat=True),
    ]
    cases = list(
        Case.objects.filter(administration=adm)
        .filter(pk__in={*alerted_cases, *open_or_recent})
        .select_related("place")
        .prefetch_related("assignments__department")
    )
    out = [Alert(at=c.detected_at, title=c.summary, case=c, overdue_hours=_overdue_hours(adm, c, now)) for c in cases]
    seen_other: set[str] = set()
    for n in notes:
        if n.case_id:
            continue
        key = n.dedupe_key
        if key.startswith("significant:message:"):
            message_id = key.rsplit(":", 1)[1]
            if message_id.isdigit() and int(message_id) in case_of_message:
                continue  # the case is listed
        if key and key in seen_other:
            continue
        seen_other.add(key)
        out.append(Alert(at=n.created_at, title=n.title, body=n.body, url=n.url, kind=n.kind))

    def order(a: Alert) -> tuple[int, float, float]:
        if a.case is not None and a.case.is_open:
            due = a.case.next_deadline_at or a.case.answer_due_at
            return (0, due.timestamp() if due else float("inf"), 0)
        return (1, 0, -a.at.timestamp())

    return sorted(out, key=order)[:limit]


def dashboard(actor: Actor, *, start: dt.date | None = None, now: dt.datetime | None = None) -> Dashboard:
    adm = actor.administration
    now = now or timezone.now()
    current = current_month(adm, now)
    start, end = month_bounds(start.year, start.month) if start else current
    lo, hi = instants(adm, start, end)
    overdue_counts, overdue_numbers = _overdue(adm, hi, now)
    rows, previous = _lines(adm, start, end, now, overdue_counts)
    prev_start, prev_end = previous_period(start, end)

    def links(dept: int | None) -> dict[str, str]:
        return {
            measure: board_url(measure, start, end, department=dept)
            for measure in ("received", "answered", "on_time", "late", "overdue")
        }

    curator = rows.pop(None, None)
    previous.pop(None, None)
    lines = [
        DepartmentLine(
            row=r,
            previous=previous.get(r.department_id) or f.DepartmentRow(r.department_id, r.name),
            links=links(r.department_id),
            overdue_cases=overdue_numbers.get(r.department_id, []),
        )
        for r in rows.values()
    ]
    lines.sort(key=lambda d: (d.row.on_time_percent is None, d.row.on_time_percent or 0, d.row.name))
    total = f.total_row([*rows.values(), *([curator] if curator else [])])
    previous_total = f.total_row(previous.values())
    today = timezone.localtime(now, adm.calendar.tz).date()
    week_buckets, month_buckets = _buckets(end, today)
    topics, places, networks = dynamics(adm, (start, end), (prev_start, prev_end), year_before(start, end), now=now)
    drawing, unlocated = _map(adm, start, end, places)
    open_overdue = (
        Case.objects.filter(administration=adm, next_deadline_at__lt=now).exclude(state__in=CLOSED_STATES).count()
    )
    choices = [(f"{a:%Y-%m}", label(a, b)) for a, b in reversed(last_months(current[1], 13))]
    return Dashboard(
        start=start,
        end=end,
        label=label(start, end),
        previous_label=label(prev_start, prev_end),
        now=now,
        is_current=(start, end) == current,
        total=total,
        previous_total=previous_total,
        detected=sum(r.current for r in networks),  # every case has its network
        open_overdue=open_overdue,
        departments=lines,
        curator=curator,
        links={
            **links(None),
            "detected": board_url("detected", start, end),
            "significant": board_url("significant", start, end),
            "open_overdue": f"{_board_path()}?overdue=1",
        },
        trend_weeks=mark_safe(_trend_svg(adm, week_buckets, now, _("Динамика по неделям"))),
        trend_months=mark_safe(_trend_svg(adm, month_buckets, now, _("Динамика по месяцам"))),
        series=series(),
        topics=_top(topics, lambda r: board_url("detected", start, end, topic=r.key) if r.key else ""),
        places=_top(places, lambda r: board_url("detected", start, end, place=r.key) if r.key else ""),
        map=mark_safe(drawing),
        unlocated=unlocated,
        alerts=alerts(actor, lo, hi, now=now),
        months=choices,
    )


def _buckets(
    end: dt.date, today: dt.date
) -> tuple[list[tuple[dt.date, dt.date, str]], list[tuple[dt.date, dt.date, str]]]:
    """The trends' weeks and months up to the period's end (the weeks up to today)."""
    weeks = [(a, b, f"{a:%d.%m}") for a, b in last_weeks(min(end, today), TREND_WEEKS)]
    months = [(a, b, short_month(a)) for a, b in last_months(end, TREND_MONTHS)]
    return weeks, months


def keep_counted(adm: Administration, *, now: dt.datetime | None = None) -> None:
    """Count again, and keep, what the current month's dashboard keeps (``figures.PAST_TTL``):
    the previous month, the month's days before today, the trends' ended weeks and months, the
    dynamics' comparisons. Beat runs it more often than they run out, so the Head's look never
    counts them (at 1,000,000 cases 2–4 s on PostgreSQL; a look then takes about 100 ms)."""
    now = now or timezone.now()
    start, end = current_month(adm, now)
    token = f.recounting.set(True)
    try:
        overdue, _numbers = _overdue(adm, instants(adm, start, end)[1], now)
        _lines(adm, start, end, now, overdue)
        dynamics(adm, (start, end), previous_period(start, end), year_before(start, end), now=now)
        for buckets in _buckets(end, timezone.localtime(now, adm.calendar.tz).date()):
            f.trend(adm, buckets, now=now)
    finally:
        f.recounting.reset(token)


def can_notify_shortcomings(actor: Actor) -> bool:
    return Role.HEAD in actor.roles


__all__ = ["Dashboard", "board_url", "dashboard", "is_whole_month"]
