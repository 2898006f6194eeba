"""П.21 monthly summary: pure data gathering into a plain ``MonthlyReport`` dataclass.

Formatters (``docx.py``, ``xlsx.py``, ``pdf.py``, ``charts.py``) take the dataclass and never
query. Counting is done in the database (``values()`` / ``annotate()``); only the working-time
percentiles read a flat ``values_list`` of stored elapsed seconds (the stage facts written when a
stage closes — see ``sla/models.py``), never model instances.

The figures shared with the dashboard (received, answered, on time, overdue, the on-time share)
are defined once in ``figures.py``; this module adds what only the report has: every stage's
facts, returns, interim answers, repeats, refusals, dynamics and the worst overdue cases.

* stage rows — every stage completed in the period, by its stored facts; ``route`` and ``review``
  are the curator's (row «Куратор»), the others the department's (the stage's own department, or
  the case's lead department for ``answer``);
* *returns to the curator* — assignments returned in the period (П.9); *interim answers* —
  interim answers published in the period (П.15); *repeats* — received cases that repeat an
  earlier one (П.17); *refusals* — cases refused in the period (П.19);
* dynamics — cases detected in the period by topic, place and network, against the previous
  period (the previous month for a whole month) and the same period a year before;
* worst overdue — the stages with the largest overdue in working hours (late in the period or
  still overdue at its end), one line per case.

Why one module of over 400 lines: these are the П.21 report's sections in the report's order, each
a short query over the shared figures; the formatters (DOCX, XLSX, PDF) are modules of their own.
"""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, DateTimeField, FloatField, Func, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.workflow import STATE_TITLES, StageKey, State
from otklik.organization.models import Administration, Department, Place, Topic

from .figures import (
    ACTIVE_ASSIGNMENT,
    CURATOR_ROW,
    CURATOR_STAGES,
    DepartmentRow,
    StageStats,
    department_rows,
    grouped,
    hours,
    percentile,
    period_cached,
    reworks_opened,
    stage_stats_into,
    stage_title,
    total_row,
)
from .periods import (
    MONTHS_GENITIVE,
    MONTHS_NOMINATIVE,
    instants,
    is_whole_month,
    month_bounds,
    parse_month,
    period_label,
    previous_period,
    year_before,
)

__all__ = [
    "CURATOR_ROW",
    "MONTHS_GENITIVE",
    "MONTHS_NOMINATIVE",
    "DepartmentRow",
    "DynamicsRow",
    "MonthlyReport",
    "OverdueCase",
    "StageStats",
    "build_monthly_report",
    "dynamics",
    "is_whole_month",
    "month_bounds",
    "parse_month",
    "percentile",
    "period_label",
    "previous_period",
    "year_before",
]

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
WORST_LIMIT = 10


@dataclass
class DynamicsRow:
    name: str
    current: int
    previous: int
    year_ago: int
    key: int | str | None = None  # the topic's or place's id, the network's code

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
    signatory: str = ""  # the curator who signs the summary (П.21), if one is named
    addressee: str = ""  # the Head it is addressed to, if one is named

    @property
    def is_empty(self) -> bool:
        return not (self.messages_received or self.cases_detected or (self.total and self.total.answered))


# Kept for callers of the first round's names.
_instants = instants
_hours = hours
_stage_title = stage_title


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


def build_monthly_report(
    administration: Administration, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> MonthlyReport:
    from otklik.cases.models import Assignment, Case, Draft
    from otklik.inbox.models import Message
    from otklik.organization.models import Role
    from otklik.organization.services import people_with_role

    if end < start:
        raise ValueError("Дата окончания периода раньше даты начала.")
    now = now or timezone.now()
    adm = administration
    tz = adm.calendar.tz
    lo, hi = instants(adm, start, end)
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
        signatory=_person_name(people_with_role(adm, Role.CURATOR)),
        addressee=_person_name(people_with_role(adm, Role.HEAD)),
    )

    def between(name: str) -> Q:
        return Q(**{f"{name}__gte": lo, f"{name}__lt": hi})

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

    # received, answered, overdue: the figures the dashboard shows too (``figures.py``)
    rows, answers_elapsed = department_rows(adm, lo, hi, now=now)
    names = dict(Department.objects.filter(administration=adm).values_list("pk", "name"))

    def row(dept_id: int | None) -> DepartmentRow:
        if dept_id not in rows:
            rows[dept_id] = DepartmentRow(dept_id, names.get(dept_id, CURATOR_ROW) if dept_id else CURATOR_ROW)
        return rows[dept_id]

    assignments = Assignment.objects.filter(administration=adm)
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
    for r in grouped(reworks_opened(adm, lo, hi), StageKey.REWORK.value, n=Count("id")):
        if r["n"]:
            row(r["dept"]).returns_for_rework = r["n"]

    # the other stages completed in the period (``answer`` is already in the rows)
    by_key: dict[str, array] = {StageKey.ANSWER.value: answers_elapsed}
    for stage_key in STAGE_ORDER:
        if stage_key != StageKey.ANSWER:
            by_key[stage_key.value] = stage_stats_into(adm, stage_key.value, lo, hi, row)

    # overall stage table and totals
    overall: dict[str, StageStats] = {k.value: StageStats(k.value, stage_title(k.value)) for k in STAGE_ORDER}
    for dept_row in rows.values():
        for key, s in dept_row.stages.items():
            o = overall.setdefault(key, StageStats(key, stage_title(key)))
            o.total += s.total
            o.on_time += s.on_time
            o.late += s.late
    for key, o in overall.items():
        found = by_key.get(key)
        if found:
            o.median_hours = hours(percentile(found, 0.5))
            o.p90_hours = hours(percentile(found, 0.9))
    report.stages = list(overall.values())

    curator = rows.pop(None, None) or DepartmentRow(None, CURATOR_ROW)
    curator.refusals = report.refusals
    report.curator = curator
    report.departments = sorted(rows.values(), key=lambda r: r.name)
    total = total_row([*report.departments, curator])
    total.refusals = report.refusals
    total.stages = overall
    answer_all = overall[StageKey.ANSWER.value]
    total.median_hours, total.p90_hours = answer_all.median_hours, answer_all.p90_hours
    report.total = total

    report.topics, report.places, report.networks = dynamics(adm, (start, end), prev, ya, now=now)
    report.worst_overdue = _worst_overdue(adm, lo, hi, now, names)
    return report


def _person_name(user_ids: list[int]) -> str:
    """«И. О. Фамилия» of the first person named, for the addressee and signature lines."""
    from django.contrib.auth import get_user_model

    if not user_ids:
        return ""
    user = get_user_model().objects.filter(pk=min(user_ids)).first()
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if not last:
        return first
    return f"{first[:1]}. {last}" if first else last


#: The groupings of the dynamics tables: (the label's field, the key's field).
DYNAMICS_GROUPS = (("topics__name", "topics__id"), ("place__name", "place_id"), ("network", "network"))


def dynamics(
    adm: Administration,
    cur: tuple[dt.date, dt.date],
    prev: tuple[dt.date, dt.date],
    ya: tuple[dt.date, dt.date],
    *,
    now: dt.datetime | None = None,
) -> tuple[list[DynamicsRow], list[DynamicsRow], list[DynamicsRow]]:
    """Cases detected by topic, place and network: this period, the one before, a year before.

    Each period is counted over its own range (the ``case_period`` index); the periods that have
    ended are kept for a while (``figures.past_cached``), so a view counts one month, not three."""
    from otklik.cases.models import Case

    now = now or timezone.now()

    topic_names = dict(Topic.objects.filter(administration=adm).values_list("pk", "name"))
    place_names = dict(Place.objects.filter(administration=adm).values_list("pk", "name"))

    def period_counts(lo: dt.datetime, hi: dt.datetime) -> list[dict[Any, tuple[Any, int]]]:
        # By the ids, named here (no join for a name, no DISTINCT: a case has a topic once); the
        # places and networks from one pass over the period's index (``case_period`` holds both).
        qs = Case.objects.filter(administration=adm, detected_at__gte=lo, detected_at__lt=hi).order_by()
        topics = {t: (topic_names.get(t), n) for t, n in qs.values_list("topics__id").annotate(n=Count("*"))}
        places: dict[Any, tuple[Any, int]] = {}
        networks: dict[Any, tuple[Any, int]] = {}
        for place, network, n in qs.values_list("place_id", "network").annotate(n=Count("*")):
            places[place] = (place_names.get(place), places.get(place, (None, 0))[1] + n)
            networks[network] = (network, networks.get(network, (None, 0))[1] + n)
        return [topics, places, networks]

    def add(first: list[dict[Any, tuple[Any, int]]], then: list[dict[Any, tuple[Any, int]]]) -> list[Any]:
        out = []
        for a, b in zip(first, then, strict=True):
            both = dict(a)
            for key, (named, n) in b.items():
                both[key] = (named, both.get(key, (named, 0))[1] + n)
            out.append(both)
        return out

    counts = []
    for period in (cur, prev, ya):
        lo, hi = instants(adm, *period)
        counts.append(period_cached(adm, "dynamics", lo, hi, now, period_counts, add))
    network_names = dict(NETWORK_CHOICES)
    labels = (
        lambda v: v or "Тематика не указана",
        lambda v: v or "Место не указано",
        lambda v: str(network_names.get(v, v or "—")),
    )

    def collect(g: int) -> list[DynamicsRow]:
        current, previous, year_ago = (c[g] for c in counts)
        out = []
        for key in {**year_ago, **previous, **current}:
            name = (current.get(key) or previous.get(key) or year_ago[key])[0]
            n = [period.get(key, (None, 0))[1] for period in (current, previous, year_ago)]
            out.append(DynamicsRow(labels[g](name), n[0], n[1], n[2], key=key))
        return sorted(out, key=lambda d: (-d.current, -d.previous, d.name))

    return collect(0), collect(1), collect(2)


_dynamics = dynamics


def _worst_overdue(
    adm: Administration, lo: dt.datetime, hi: dt.datetime, now: dt.datetime, names: dict[int, str]
) -> list[OverdueCase]:
    from otklik.cases.models import Assignment
    from otklik.sla.models import Stage

    cutoff = min(hi, now)
    calendar = adm.calendar
    overdue = SecondsBetween(
        Least(Coalesce("ended_at", Value(cutoff, output_field=DateTimeField())), Value(cutoff)), "due_at"
    )
    # Late in the period, still open and overdue, or overdue at its end and done after: three
    # disjoint queries, each sorted and cut in the database, each along ``(key, ended_at)`` with
    # every key named — the done ones by their end, the open ones by ``ended_at IS NULL`` (the
    # open stages are few; SQLite's statistics cannot tell that of ``status = 'open'``), and the
    # third by "overdue > 0" rather than ``due_at < cutoff``, which would walk every older due.
    keys = [k.value for k in StageKey]
    parts = (
        Q(key__in=keys, status=Stage.Status.DONE, ended_at__gte=lo, ended_at__lt=hi, on_time=False),
        Q(key__in=keys, ended_at__isnull=True, status=Stage.Status.OPEN, due_at__lt=cutoff, started_at__lt=hi),
        Q(key__in=keys, status=Stage.Status.DONE, ended_at__gte=hi, overdue__gt=0),
    )
    scored: list[tuple[float, int]] = []
    for part in parts:
        scored += (
            Stage.objects.filter(administration=adm)
            .annotate(overdue=overdue)
            .filter(part)
            .order_by("-overdue")
            .values_list("overdue", "pk")[: WORST_LIMIT * 20]
        )
    late_ids = [pk for _overdue, pk in sorted(scored, key=lambda r: -r[0])[: WORST_LIMIT * 20]]
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
