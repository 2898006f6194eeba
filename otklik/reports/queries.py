"""П.21 monthly summary: pure data gathering into a plain ``MonthlyReport`` dataclass.

Formatters (``docx.py``, ``xlsx.py``, ``pdf.py``, ``charts.py``) take the dataclass and never
query. Counting is done in the database (``values()`` / ``annotate()``); only the working-time
percentiles read a flat ``values_list`` of stored elapsed seconds (the stage facts written when a
stage closes — see ``sla/models.py``), never model instances.

Definitions (the period is ``[start 00:00, end+1 00:00)`` in the administration's time zone):

* *received* — cases routed to the department in the period (distinct cases);
* *answered* — П.10 ``answer`` stages completed in the period (the first public answer, final or
  interim), attributed to the lead department of the case; *on time* / *late* by the stored
  ``on_time`` fact; median and 90th percentile (linear interpolation) of their working time;
* *overdue, unanswered* — ``answer`` stages overdue at the period's end and not yet completed then;
* stage rows — every stage completed in the period, by its stored facts; ``route`` and ``review``
  are the curator's (row «Куратор»), the others the department's (the stage's own department, or
  the case's lead department for ``answer``);
* *returns for rework* — ``rework`` stages opened in the period (П.12–13, a quality signal);
  *returns to the curator* — assignments returned in the period (П.9);
* *interim answers* — interim answers published in the period (П.15); *repeats* — received cases
  that repeat an earlier one (П.17); *refusals* — cases refused in the period (П.19);
* dynamics — cases detected in the period by topic, place and network, against the previous
  period (the previous month for a whole month) and the same period a year before;
* worst overdue — the stages with the largest overdue in working hours (late in the period or
  still overdue at its end), one line per case.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.workflow import STAGE_TITLES, STATE_TITLES, StageKey, State
from otklik.organization.models import Administration, Department

MONTHS_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

#: Stage order of the report (П.8, 9, 10, 11, 12, 13, 14, 15, 16).
STAGE_ORDER: tuple[StageKey, ...] = (
    StageKey.ROUTE,
    StageKey.RETURN,
    StageKey.ANSWER,
    StageKey.DRAFT_LEAD,
    StageKey.REVIEW,
    StageKey.REWORK,
    StageKey.PUBLISH,
    StageKey.FINAL_AFTER_INTERIM,
    StageKey.CONTRIBUTION,
)
CURATOR_STAGES = (StageKey.ROUTE.value, StageKey.REVIEW.value)
CURATOR_ROW = "Куратор (направление и согласование)"
ACTIVE_ASSIGNMENT = ("received", "accepted", "contributed")
WORST_LIMIT = 10


@dataclass
class StageStats:
    key: str
    title: str
    total: int = 0
    on_time: int = 0
    late: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.on_time / self.total, 1) if self.total else None


@dataclass
class DepartmentRow:
    department_id: int | None
    name: str
    received: int = 0
    answered: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    overdue_unanswered: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    returns_for_rework: int = 0
    returns_to_curator: int = 0
    interim: int = 0
    repeats: int = 0
    refusals: int = 0
    stages: dict[str, StageStats] = field(default_factory=dict)

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.answered_on_time / self.answered, 1) if self.answered else None


@dataclass
class DynamicsRow:
    name: str
    current: int
    previous: int
    year_ago: int

    @property
    def change(self) -> int:
        return self.current - self.previous


@dataclass
class OverdueCase:
    number: int
    summary: str
    department: str
    stage: str
    due_at: dt.datetime  # local time
    overdue_hours: float  # working hours past the deadline
    state: str
    still_open: bool


@dataclass
class MonthlyReport:
    administration: str
    administration_slug: str
    start: dt.date
    end: dt.date  # inclusive
    label: str  # «ноябрь 2026 г.» or «01.11.2026 — 15.11.2026»
    generated_at: dt.datetime  # local time
    previous_label: str
    year_ago_label: str
    messages_received: int = 0
    cases_detected: int = 0
    significant: int = 0
    refusals: int = 0
    repeats: int = 0
    departments: list[DepartmentRow] = field(default_factory=list)
    curator: DepartmentRow | None = None
    total: DepartmentRow | None = None
    stages: list[StageStats] = field(default_factory=list)
    topics: list[DynamicsRow] = field(default_factory=list)
    places: list[DynamicsRow] = field(default_factory=list)
    networks: list[DynamicsRow] = field(default_factory=list)
    worst_overdue: list[OverdueCase] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.messages_received or self.cases_detected or (self.total and self.total.answered))


# --------------------------------------------------------------------------------------------
# periods


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def parse_month(raw: str) -> tuple[dt.date, dt.date]:
    """``2026-11`` → (1 Nov, 30 Nov); raises ``ValueError`` with a Russian message."""
    try:
        year, month = (int(x) for x in raw.strip().split("-"))
        return month_bounds(year, month)
    except (ValueError, TypeError):
        raise ValueError(f"Месяц указывается как ГГГГ-ММ, например 2026-11 (получено «{raw}»).") from None


def is_whole_month(start: dt.date, end: dt.date) -> bool:
    return start.day == 1 and month_bounds(start.year, start.month) == (start, end)


def period_label(start: dt.date, end: dt.date) -> str:
    if is_whole_month(start, end):
        return f"{MONTHS_NOMINATIVE[start.month - 1]} {start.year} г."
    return f"{start:%d.%m.%Y} — {end:%d.%m.%Y}"


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if is_whole_month(start, end):
        prev_end = start - dt.timedelta(days=1)
        return month_bounds(prev_end.year, prev_end.month)
    length = end - start
    return start - length - dt.timedelta(days=1), start - dt.timedelta(days=1)


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if is_whole_month(start, end):
        return month_bounds(start.year - 1, start.month)

    def back(d: dt.date) -> dt.date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:  # 29 February
            return d.replace(year=d.year - 1, day=28)

    return back(start), back(end)


def _instants(adm: Administration, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = adm.calendar.tz
    lo = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return lo, hi


# --------------------------------------------------------------------------------------------
# statistics


def percentile(values: Any, q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default) over unsorted values."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


# --------------------------------------------------------------------------------------------
# the report


class SecondsBetween(Func):
    """Seconds from the second datetime to the first, computed by the database itself (Django's
    generic datetime subtraction runs a Python function per row on SQLite)."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(",
            **extra,
        )  # fmt: skip

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra
        )

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        extra.setdefault("template", "(%(expressions)s)")
        extra.setdefault("arg_joiner", " - ")
        return super().as_sql(compiler, connection, **extra)


def _with_dept(qs: Any, key: str) -> Any:
    """Annotate ``dept``, the department a stage of ``key`` counts for: none for the curator's
    stages, the lead department of the case for ``answer`` (a LEFT JOIN, not a subquery per
    row), the stage's own department otherwise. One key per query, so SQLite uses the
    (key, ended_at) index."""

    if key in CURATOR_STAGES:
        return qs.annotate(dept=Value(None, output_field=IntegerField()))
    if key == StageKey.ANSWER.value:
        lead = FilteredRelation(
            "case__assignments",
            condition=Q(case__assignments__is_lead=True, case__assignments__status__in=ACTIVE_ASSIGNMENT),
        )
        return qs.alias(lead=lead).annotate(dept=Coalesce("department_id", "lead__department_id"))
    return qs.annotate(dept=F("department_id"))


def _grouped(qs: Any, key: str, **aggregates: Any) -> list[dict[str, Any]]:
    """``aggregates`` per department for the stages of one key."""
    if key in CURATOR_STAGES:
        return [{"dept": None, **qs.aggregate(**aggregates)}]
    return list(_with_dept(qs, key).values("dept").annotate(**aggregates).order_by())


def build_monthly_report(
    administration: Administration, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> MonthlyReport:
    from otklik.cases.models import Assignment, Case, Draft
    from otklik.inbox.models import Message
    from otklik.sla.models import Stage

    if end < start:
        raise ValueError("Дата окончания периода раньше даты начала.")
    now = now or timezone.now()
    adm = administration
    tz = adm.calendar.tz
    lo, hi = _instants(adm, start, end)
    prev = previous_period(start, end)
    ya = year_before(start, end)
    report = MonthlyReport(
        administration=adm.name,
        administration_slug=adm.slug,
        start=start,
        end=end,
        label=period_label(start, end),
        generated_at=timezone.localtime(now, tz),
        previous_label=period_label(*prev),
        year_ago_label=period_label(*ya),
    )
    in_period = {"gte": lo, "lt": hi}

    def between(name: str) -> Q:
        return Q(**{f"{name}__{k}": v for k, v in in_period.items()})

    cases = Case.objects.filter(administration=adm)
    report.messages_received = Message.objects.filter(administration=adm).filter(between("received_at")).count()
    case_counts = cases.filter(between("detected_at")).aggregate(
        n=Count("id"),
        significant=Count("id", filter=Q(significant=True)),
        repeats=Count("id", filter=Q(repeat_of__isnull=False)),
    )
    report.cases_detected = case_counts["n"]
    report.significant = case_counts["significant"]
    report.repeats = case_counts["repeats"]
    report.refusals = cases.filter(between("closed_at"), state=State.REFUSED.value).count()

    rows: dict[int | None, DepartmentRow] = {
        d.pk: DepartmentRow(d.pk, d.name)
        for d in Department.objects.filter(administration=adm).order_by("name")
        if d.is_active
    }
    names = dict(Department.objects.filter(administration=adm).values_list("pk", "name"))

    def row(dept_id: int | None) -> DepartmentRow:
        if dept_id not in rows:
            rows[dept_id] = DepartmentRow(dept_id, names.get(dept_id, CURATOR_ROW) if dept_id else CURATOR_ROW)
        return rows[dept_id]

    # received, repeats, returns to the curator (assignments)
    assignments = Assignment.objects.filter(case__administration=adm)
    for r in (
        assignments.filter(between("received_at"))
        .values("department_id")
        .annotate(
            n=Count("case_id", distinct=True),
            repeats=Count("case_id", distinct=True, filter=Q(case__repeat_of__isnull=False)),
        )
        .order_by()
    ):
        row(r["department_id"]).received = r["n"]
        row(r["department_id"]).repeats = r["repeats"]
    for r in (
        assignments.filter(between("returned_at"), status=Assignment.Status.RETURNED)
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(r["department_id"]).returns_to_curator = r["n"]
    for r in (
        Draft.objects.filter(case__administration=adm, kind="interim", status=Draft.Status.PUBLISHED)
        .filter(between("published_at"))
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(r["department_id"]).interim = r["n"]

    stages = Stage.objects.filter(case__administration=adm)
    for r in _grouped(stages.filter(between("started_at"), key=StageKey.REWORK.value), StageKey.REWORK.value,
                      n=Count("id")):  # fmt: skip
        if r["n"]:
            row(r["dept"]).returns_for_rework = r["n"]

    # stages completed in the period, one key at a time: counts in the database, percentiles
    # from a flat list of elapsed seconds
    by_key: dict[str, array] = {}
    for stage_key in STAGE_ORDER:
        key = stage_key.value
        done = stages.filter(key=key, status=Stage.Status.DONE).filter(between("ended_at"))
        for r in _grouped(
            done,
            key,
            n_total=Count("id"),
            n_on_time=Count("id", filter=Q(on_time=True)),
            n_late=Count("id", filter=Q(on_time=False)),
        ):
            if r["n_total"]:
                row(r["dept"]).stages[key] = StageStats(
                    key, _stage_title(key), total=r["n_total"], on_time=r["n_on_time"], late=r["n_late"]
                )
        elapsed: dict[int | None, array] = defaultdict(lambda: array("q"))
        rows_iter = (
            _with_dept(done.filter(elapsed_seconds__isnull=False), key)
            .values_list("dept", "elapsed_seconds")
            .order_by()
            .iterator(chunk_size=10000)
        )
        everything = array("q")
        for dept, seconds in rows_iter:
            elapsed[dept].append(seconds)
            everything.append(seconds)
        by_key[key] = everything
        for dept, values in elapsed.items():
            stats = row(dept).stages.get(key)
            if stats is not None:
                stats.median_hours = _hours(percentile(values, 0.5))
                stats.p90_hours = _hours(percentile(values, 0.9))
    for dept_row in rows.values():
        answer = dept_row.stages.get(StageKey.ANSWER.value)
        if answer:
            dept_row.answered, dept_row.answered_on_time, dept_row.answered_late = (
                answer.total,
                answer.on_time,
                answer.late,
            )
            dept_row.median_hours, dept_row.p90_hours = answer.median_hours, answer.p90_hours

    # answers overdue at the end of the period and not given by then
    overdue = (
        stages.filter(key=StageKey.ANSWER.value, started_at__lt=hi, due_at__lt=min(hi, now))
        .exclude(status=Stage.Status.CANCELLED)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=hi))
    )
    for r in _grouped(overdue, StageKey.ANSWER.value, n=Count("id")):
        if r["n"]:
            row(r["dept"]).overdue_unanswered = r["n"]

    # overall stage table and totals
    overall: dict[str, StageStats] = {k.value: StageStats(k.value, _stage_title(k.value)) for k in STAGE_ORDER}
    for dept_row in rows.values():
        for key, s in dept_row.stages.items():
            o = overall.setdefault(key, StageStats(key, _stage_title(key)))
            o.total += s.total
            o.on_time += s.on_time
            o.late += s.late
    for key, o in overall.items():
        found = by_key.get(key)
        if found:
            o.median_hours = _hours(percentile(found, 0.5))
            o.p90_hours = _hours(percentile(found, 0.9))
    report.stages = list(overall.values())

    curator = rows.pop(None, None) or DepartmentRow(None, CURATOR_ROW)
    curator.refusals = report.refusals
    report.curator = curator
    report.departments = sorted(rows.values(), key=lambda r: r.name)
    total = DepartmentRow(None, "Всего")
    for r in [*report.departments, curator]:
        for name in (
            "received",
            "answered",
            "answered_on_time",
            "answered_late",
            "overdue_unanswered",
            "returns_for_rework",
            "returns_to_curator",
            "interim",
            "repeats",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    total.refusals = report.refusals
    total.stages = overall
    answer_all = overall[StageKey.ANSWER.value]
    total.median_hours, total.p90_hours = answer_all.median_hours, answer_all.p90_hours
    report.total = total

    # dynamics
    report.topics, report.places, report.networks = _dynamics(adm, (start, end), prev, ya)

    # worst overdue
    report.worst_overdue = _worst_overdue(adm, lo, hi, now, names)
    return report


def _stage_title(key: str) -> str:
    try:
        return STAGE_TITLES[StageKey(key)]
    except ValueError:
        return key


def _dynamics(
    adm: Administration, cur: tuple[dt.date, dt.date], prev: tuple[dt.date, dt.date], ya: tuple[dt.date, dt.date]
) -> tuple[list[DynamicsRow], list[DynamicsRow], list[DynamicsRow]]:
    from otklik.cases.models import Case

    periods = {name: _instants(adm, *p) for name, p in (("current", cur), ("previous", prev), ("year_ago", ya))}
    filters = {name: Q(detected_at__gte=a, detected_at__lt=b) for name, (a, b) in periods.items()}
    any_period = filters["current"] | filters["previous"] | filters["year_ago"]
    qs = Case.objects.filter(administration=adm).filter(any_period)
    counts = {name: Count("id", filter=f, distinct=True) for name, f in filters.items()}
    network_names = dict(NETWORK_CHOICES)

    def collect(group: str, label: Any) -> list[DynamicsRow]:
        out = [
            DynamicsRow(label(r[group]), r["current"], r["previous"], r["year_ago"])
            for r in qs.values(group).annotate(**counts).order_by()
        ]
        return sorted(out, key=lambda d: (-d.current, -d.previous, d.name))

    return (
        collect("topics__name", lambda v: v or "Тематика не указана"),
        collect("place__name", lambda v: v or "Место не указано"),
        collect("network", lambda v: str(network_names.get(v, v or "—"))),
    )


def _worst_overdue(
    adm: Administration, lo: dt.datetime, hi: dt.datetime, now: dt.datetime, names: dict[int, str]
) -> list[OverdueCase]:
    from otklik.cases.models import Assignment
    from otklik.sla.models import Stage

    cutoff = min(hi, now)
    calendar = adm.calendar
    late_ids = (
        Stage.objects.filter(case__administration=adm)
        .filter(
            Q(status=Stage.Status.DONE, on_time=False, ended_at__gte=lo, ended_at__lt=hi)
            | Q(due_at__lt=cutoff, started_at__lt=hi, status=Stage.Status.OPEN)
            | Q(due_at__lt=cutoff, status=Stage.Status.DONE, ended_at__gte=hi)
        )
        .annotate(
            overdue=SecondsBetween(
                Least(Coalesce("ended_at", Value(cutoff, output_field=DateTimeField())), Value(cutoff)), "due_at"
            )
        )
        .order_by("-overdue")
        .values_list("pk", flat=True)[: WORST_LIMIT * 20]
    )
    # the sort carries ids only; the details are read for the few rows kept
    ids = list(late_ids)
    details: dict[int, tuple[Any, ...]] = {
        r[0]: r[1:]
        for r in Stage.objects.filter(pk__in=ids).values_list(
            "pk", "case_id", "case__number", "case__summary", "case__state", "department_id", "key", "due_at",
            "ended_at", "status",
        )
    }  # fmt: skip
    late = [details[pk] for pk in ids]
    leads = dict(
        Assignment.objects.filter(
            case_id__in=[r[0] for r in late if r[4] is None], is_lead=True, status__in=ACTIVE_ASSIGNMENT
        ).values_list("case_id", "department_id")
    )
    rows = [
        (number, summary, state, None if key in CURATOR_STAGES else dept or leads.get(case_id), key, due, ended, status)
        for case_id, number, summary, state, dept, key, due, ended, status in late
    ]
    best: dict[int, OverdueCase] = {}
    for number, summary, state, dept, key, due_at, ended_at, status in rows:
        end = min(ended_at or cutoff, cutoff)
        try:
            hours = calendar.elapsed(due_at, end).total_seconds() / 3600
        except Exception:  # a date the production calendar does not cover: calendar hours
            hours = (end - due_at).total_seconds() / 3600
        item = OverdueCase(
            number=number,
            summary=summary[:200],
            department=names.get(dept, CURATOR_ROW) if dept else CURATOR_ROW,
            stage=_stage_title(key),
            due_at=timezone.localtime(due_at, calendar.tz),
            overdue_hours=round(hours, 2),
            state=STATE_TITLES[State(state)] if state in State._value2member_map_ else str(state),
            still_open=status == Stage.Status.OPEN or (ended_at is not None and ended_at >= cutoff),
        )
        if number not in best or best[number].overdue_hours < item.overdue_hours:
            best[number] = item
    return sorted(best.values(), key=lambda c: (-c.overdue_hours, c.number))[:WORST_LIMIT]
