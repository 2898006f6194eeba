"""The figures the Head reads, defined once: the dashboard, the П.21 report, the public page and
the board's "the list behind this figure" all start from the querysets here.

Definitions (a period is ``[lo, hi)``; ``now`` is the moment of reading; ``cutoff = min(hi, now)``):

* *received* by a department — its assignments received in the period (distinct cases);
* *detected* — cases detected by the curator in the period;
* *answered* — П.10 ``answer`` stages completed in the period (the first public answer, final or
  interim), attributed to the stage's department or else the case's lead department; *on time* /
  *late* by the stored ``on_time`` fact (working time, see ``sla/models.py``);
* *overdue, unanswered* — ``answer`` stages whose deadline passed before ``cutoff`` and that were
  not completed before ``hi``: open overdue cases count against the department;
* *on-time share* — answered on time / (answered + overdue unanswered): a department whose only
  case is 9 working hours overdue has 0 %, not 100 %;
* *missed* (trends) — ``answer`` deadlines that fell in the period before ``now`` and were not met:
  answered after the deadline or still unanswered, counted once, on the deadline's date;
* *returns for rework* — ``rework`` stages opened in the period (П.12–13).

Counting is done by the database; only percentiles read a flat list of stored elapsed seconds.

Why one module of over 400 lines: the definitions above are one vocabulary (what a period, an
answer and an overdue stage are), read together by whoever changes a figure; splitting them would
let the dashboard and the report drift apart again.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, F, FilteredRelation, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from otklik.domain.workflow import STAGE_TITLES, StageKey
from otklik.organization.models import Administration, Department

CURATOR_STAGES = (StageKey.ROUTE.value, StageKey.REVIEW.value)
CURATOR_ROW = "Куратор (направление и согласование)"
ACTIVE_ASSIGNMENT = ("received", "accepted", "contributed")


# --------------------------------------------------------------------------------------------
# rows


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
    def accountable(self) -> int:
        """The answers the department owed in the period: given, or overdue and not given."""
        return self.answered + self.overdue_unanswered

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.answered_on_time / self.accountable, 1) if self.accountable else None


SUMMED = (
    "received",
    "answered",
    "answered_on_time",
    "answered_late",
    "overdue_unanswered",
    "returns_for_rework",
    "returns_to_curator",
    "interim",
    "repeats",
)


def add_rows(
    first: dict[int | None, DepartmentRow], then: dict[int | None, DepartmentRow]
) -> dict[int | None, DepartmentRow]:
    """The counts of two consecutive parts of a period, department by department (new rows: a
    kept part is not changed). Percentiles do not add up: the sum has none."""
    out: dict[int | None, DepartmentRow] = {}
    for rows in (first, then):
        for dept, r in rows.items():
            into = out.setdefault(dept, DepartmentRow(r.department_id, r.name))
            for attr in SUMMED:
                setattr(into, attr, getattr(into, attr) + getattr(r, attr))
            for key, stats in r.stages.items():
                got = into.stages.setdefault(key, StageStats(key, stats.title))
                got.total, got.on_time, got.late = (
                    got.total + stats.total,
                    got.on_time + stats.on_time,
                    got.late + stats.late,
                )
    return out


def total_row(rows: Iterable[DepartmentRow], name: str = "Всего") -> DepartmentRow:
    total = DepartmentRow(None, name)
    for r in rows:
        for attr in SUMMED:
            setattr(total, attr, getattr(total, attr) + getattr(r, attr))
    return total


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


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def stage_title(key: str) -> str:
    try:
        return STAGE_TITLES[StageKey(key)]
    except ValueError:
        return key


# --------------------------------------------------------------------------------------------
# the querysets behind the figures


def with_dept(qs: Any, key: str) -> Any:
    """Annotate ``dept``, the department a stage of ``key`` counts for: none for the curator's
    stages, the stage's department or else the case's lead department for ``answer`` (a LEFT
    JOIN, not a subquery per row), the stage's own department otherwise. One key per query, so
    SQLite uses the (key, ended_at) index."""

    if key in CURATOR_STAGES:
        return qs.annotate(dept=Value(None, output_field=IntegerField()))
    if key == StageKey.ANSWER.value:
        lead = FilteredRelation(
            "case__assignments",
            condition=Q(case__assignments__is_lead=True, case__assignments__status__in=ACTIVE_ASSIGNMENT),
        )
        return qs.alias(lead=lead).annotate(dept=Coalesce("department_id", "lead__department_id"))
    return qs.annotate(dept=F("department_id"))


def grouped(qs: Any, key: str, **aggregates: Any) -> list[dict[str, Any]]:
    """``aggregates`` per department for the stages of one key."""
    if key in CURATOR_STAGES:
        return [{"dept": None, **qs.aggregate(**aggregates)}]
    return list(with_dept(qs, key).values("dept").annotate(**aggregates).order_by())


def _stages(adm: Administration) -> QuerySet[Any]:
    from otklik.sla.models import Stage

    return Stage.objects.filter(administration=adm)


def stages_done(adm: Administration, key: str, lo: dt.datetime, hi: dt.datetime) -> QuerySet[Any]:
    """Stages of ``key`` completed in the period (answered, for ``answer``)."""
    from otklik.sla.models import Stage

    return _stages(adm).filter(key=key, status=Stage.Status.DONE, ended_at__gte=lo, ended_at__lt=hi)


def answers_overdue(adm: Administration, hi: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    """``answer`` stages overdue at ``min(hi, now)`` and not completed before ``hi``."""
    from otklik.sla.models import Stage

    return (
        _stages(adm)
        .filter(key=StageKey.ANSWER.value, started_at__lt=hi, due_at__lt=min(hi, now))
        .exclude(status=Stage.Status.CANCELLED)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=hi))
    )


def answers_overdue_now(adm: Administration, now: dt.datetime) -> QuerySet[Any]:
    """The cases whose answer is overdue at ``now`` and not given — ``answers_overdue(adm, hi,
    now)`` for any ``hi`` after ``now``, one case per stage (a case has one answer stage), read
    from the open answer the case stores (``Case.open_answer_*``, index ``case_open_answer``)
    instead of each stage joined to its case and lead assignment."""
    from otklik.cases.models import Case

    return Case.objects.filter(administration=adm, open_answer_due_at__isnull=False, open_answer_due_at__lt=now)


def overdue_by_department(adm: Administration, hi: dt.datetime, now: dt.datetime) -> dict[int | None, int]:
    """How many answers are overdue and not given, by the department they count for (``with_dept``)."""
    if now < hi:
        return overdue_now_by_department(adm, now)
    return {r["dept"]: r["n"] for r in grouped(answers_overdue(adm, hi, now), StageKey.ANSWER.value, n=Count("id"))}


def overdue_now_by_department(adm: Administration, now: dt.datetime) -> dict[int | None, int]:
    # COUNT(*), not of the id: the index holds the department and the deadline but not the id,
    # and PostgreSQL counts from the index alone (at 1,000,000 cases 32,000 rows: 57 → 6 ms).
    late = answers_overdue_now(adm, now).order_by().values_list("open_answer_department")
    return dict(late.annotate(n=Count("*")))


def answers_missed(adm: Administration, lo: dt.datetime, hi: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    """``answer`` deadlines in ``[lo, min(hi, now))`` that were not met (late or not yet given)."""
    from otklik.sla.models import Stage

    return (
        _stages(adm)
        .filter(key=StageKey.ANSWER.value, due_at__gte=lo, due_at__lt=min(hi, now))
        .exclude(status=Stage.Status.CANCELLED)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=F("due_at")))
    )


def missed_now(adm: Administration, lo: dt.datetime, now: dt.datetime) -> int:
    """``answers_missed(adm, lo, hi, now).count()`` for a period not over yet (``hi`` after
    ``now``): the answers due since ``lo`` and still not given, from the open answer the cases
    store (a range of ``case_open_answer``), plus those given after their deadline, from their
    stages — not every answer stage due in the period joined to its case (at 1,000,000 cases
    6,700 a week, of which 5,300 are still open: 14 → 5 ms on SQLite)."""
    from otklik.sla.models import Stage

    not_given = answers_overdue_now(adm, now).filter(open_answer_due_at__gte=lo)
    given_late = _stages(adm).filter(
        key=StageKey.ANSWER.value, status=Stage.Status.DONE, due_at__gte=lo, due_at__lt=now, ended_at__gt=F("due_at")
    )
    return int(not_given.count()) + int(given_late.count())


def reworks_opened(adm: Administration, lo: dt.datetime, hi: dt.datetime) -> QuerySet[Any]:
    return _stages(adm).filter(key=StageKey.REWORK.value, started_at__gte=lo, started_at__lt=hi)


def cases_detected(adm: Administration, lo: dt.datetime, hi: dt.datetime) -> QuerySet[Any]:
    from otklik.cases.models import Case

    return Case.objects.filter(administration=adm, detected_at__gte=lo, detected_at__lt=hi)


def assignments_received(adm: Administration, lo: dt.datetime, hi: dt.datetime) -> QuerySet[Any]:
    from otklik.cases.models import Assignment

    return Assignment.objects.filter(administration=adm, received_at__gte=lo, received_at__lt=hi)


# --------------------------------------------------------------------------------------------
# the list behind a figure (the board's ``measure`` filter)

MEASURES = ("detected", "received", "answered", "on_time", "late", "overdue", "missed", "rework", "significant")


def measure_case_ids(
    adm: Administration,
    measure: str,
    lo: dt.datetime,
    hi: dt.datetime,
    *,
    now: dt.datetime,
    department_id: int | None = None,
    place_ids: Iterable[int] | None = None,
) -> QuerySet[Any]:
    """The ids of the cases a figure counts, attributed to ``department_id`` the way the figure
    is (answers to the answering department, receipts to the receiving one); ``place_ids`` — a
    settlement with its streets and objects (the map's counts)."""
    answer = StageKey.ANSWER.value
    stages: Any
    if measure in ("detected", "significant"):
        qs = cases_detected(adm, lo, hi)
        if measure == "significant":
            qs = qs.filter(significant=True)
        if place_ids is not None:
            qs = qs.filter(place_id__in=list(place_ids))
        if department_id:
            qs = qs.filter(assignments__department_id=department_id)
        return qs.values("pk")
    if measure == "received":
        qs = assignments_received(adm, lo, hi)
        if department_id:
            qs = qs.filter(department_id=department_id)
        return qs.values("case_id")
    if measure in ("answered", "on_time", "late"):
        stages = stages_done(adm, answer, lo, hi)
        if measure != "answered":
            stages = stages.filter(on_time=measure == "on_time")
    elif measure == "overdue":
        if now < hi:
            late = answers_overdue_now(adm, now)
            if department_id:
                late = late.filter(open_answer_department_id=department_id)
            return late.values("pk")
        stages = answers_overdue(adm, hi, now)
    elif measure == "missed":
        stages = answers_missed(adm, lo, hi, now)
    elif measure == "rework":
        stages = reworks_opened(adm, lo, hi)
        if department_id:
            stages = with_dept(stages, StageKey.REWORK.value).filter(dept=department_id)
        return stages.values("case_id")
    else:
        raise ValueError(f"unknown measure {measure!r}")
    if department_id:
        stages = with_dept(stages, answer).filter(dept=department_id)
    return stages.values("case_id")


# --------------------------------------------------------------------------------------------
# department rows


def place_with_descendants(adm: Administration, place_id: int) -> list[int]:
    """A place and everything under it (a settlement's streets and objects)."""
    from otklik.organization.models import Place

    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Place.objects.filter(administration=adm).values_list("pk", "parent_id"):
        children[parent].append(pk)
    out, todo = [], [place_id]
    while todo:
        pk = todo.pop()
        if pk in out:
            continue
        out.append(pk)
        todo += children.get(pk, [])
    return out


def department_rows(
    adm: Administration,
    lo: dt.datetime,
    hi: dt.datetime,
    *,
    now: dt.datetime,
    include_inactive: bool = False,
    percentiles: bool = True,
    overdue: dict[int | None, int] | None = None,
    received_since: dt.datetime | None = None,
) -> tuple[dict[int | None, DepartmentRow], array]:
    """Received, repeats, answered (on time / late, median, p90) and overdue unanswered per
    department; the curator's row under ``None`` when it has figures. Also returns the elapsed
    seconds of every answer in the period (for the overall percentiles). ``percentiles=False``
    skips reading the elapsed times (the dashboard shows counts and shares only); ``overdue`` —
    the overdue unanswered by department, when the caller has counted them already;
    ``received_since`` — the rows are the later part of a period begun then (``add_rows``): a
    case the department received in the earlier part too is not received again."""
    departments = list(Department.objects.filter(administration=adm).order_by("name"))
    names = {d.pk: d.name for d in departments}
    rows: dict[int | None, DepartmentRow] = {
        d.pk: DepartmentRow(d.pk, d.name) for d in departments if d.is_active or include_inactive
    }

    def row(dept_id: int | None) -> DepartmentRow:
        if dept_id not in rows:
            rows[dept_id] = DepartmentRow(dept_id, names.get(dept_id, CURATOR_ROW) if dept_id else CURATOR_ROW)
        return rows[dept_id]

    received = assignments_received(adm, lo, hi)
    if received_since is not None and received_since < lo:
        earlier = assignments_received(adm, received_since, lo).filter(
            case_id=OuterRef("case_id"), department_id=OuterRef("department_id")
        )
        received = received.exclude(Exists(earlier))
    received = received.values("department_id").order_by()
    for r in received.annotate(n=Count("case_id", distinct=True)):
        row(r["department_id"]).received = r["n"]
    # Apart: the few repeats join their cases, not every assignment of the period.
    for r in received.filter(case__repeat_of__isnull=False).annotate(n=Count("case_id", distinct=True)):
        row(r["department_id"]).repeats = r["n"]

    answer = StageKey.ANSWER.value
    everything = stage_stats_into(adm, answer, lo, hi, row, percentiles=percentiles)
    for dept_row in rows.values():
        stats = dept_row.stages.get(answer)
        if stats:
            dept_row.answered, dept_row.answered_on_time, dept_row.answered_late = (
                stats.total,
                stats.on_time,
                stats.late,
            )
            dept_row.median_hours, dept_row.p90_hours = stats.median_hours, stats.p90_hours
    if overdue is None:
        overdue = overdue_by_department(adm, hi, now)
    for dept, n in overdue.items():
        if n:
            row(dept).overdue_unanswered = n
    return rows, everything


def stage_stats_into(
    adm: Administration, key: str, lo: dt.datetime, hi: dt.datetime, row: Any, *, percentiles: bool = True
) -> array:
    """Fill ``row(dept).stages[key]`` for the stages of ``key`` completed in the period: counts in
    the database, percentiles from a flat list of elapsed seconds. Returns all elapsed seconds."""
    done = stages_done(adm, key, lo, hi)
    for r in grouped(
        done,
        key,
        n_total=Count("id"),
        n_on_time=Count("id", filter=Q(on_time=True)),
        n_late=Count("id", filter=Q(on_time=False)),
    ):
        if r["n_total"]:
            row(r["dept"]).stages[key] = StageStats(
                key, stage_title(key), total=r["n_total"], on_time=r["n_on_time"], late=r["n_late"]
            )
    elapsed: dict[int | None, array] = defaultdict(lambda: array("q"))
    everything = array("q")
    if not percentiles:
        return everything
    rows_iter = (
        with_dept(done.filter(elapsed_seconds__isnull=False), key)
        .values_list("dept", "elapsed_seconds")
        .order_by()
        .iterator(chunk_size=10000)
    )
    for dept, seconds in rows_iter:
        elapsed[dept].append(seconds)
        everything.append(seconds)
    for dept, values in elapsed.items():
        stats = row(dept).stages.get(key)
        if stats is not None:
            stats.median_hours = hours(percentile(values, 0.5))
            stats.p90_hours = hours(percentile(values, 0.9))
    return everything


# --------------------------------------------------------------------------------------------
# past periods: their figures are kept for a while

#: How long the figures of a period that has ended are kept (seconds). They hardly change once the
#: period is over — a case is detected, a stage ends or falls due at the moment it happens, never
#: in the past — except when a stage of it is cancelled later; a quarter of an hour of such delay
#: is the price of not counting a year of stages for every look at the dashboard's trend.
PAST_TTL = 15 * 60


def past_key(adm: Administration, what: str, lo: dt.datetime, hi: dt.datetime) -> str:
    return f"figures:{adm.pk}:{what}:{lo.isoformat()}:{hi.isoformat()}"


#: Set while the figures are counted ahead of the Head (``dashboard.keep_counted``): what is kept
#: is counted again and kept anew, so that no look has to wait for it when it runs out.
recounting: ContextVar[bool] = ContextVar("recounting", default=False)


def past_cached(
    adm: Administration, what: str, lo: dt.datetime, hi: dt.datetime, now: dt.datetime, compute: Any
) -> Any:
    """``compute()``, kept for ``PAST_TTL`` when the period ``[lo, hi)`` has ended by ``now``."""
    if hi > now:
        return compute()
    key = past_key(adm, what, lo, hi)
    found = None if recounting.get() else cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, PAST_TTL)
    return found


def today_start(adm: Administration, now: dt.datetime) -> dt.datetime:
    """The start of the administration's day at ``now`` (its local midnight)."""
    from .periods import instants

    today = timezone.localtime(now, adm.calendar.tz).date()
    return instants(adm, today, today)[0]


def period_cached(
    adm: Administration,
    what: str,
    lo: dt.datetime,
    hi: dt.datetime,
    now: dt.datetime,
    compute: Any,
    combine: Any,
) -> Any:
    """``compute(lo, hi)``, kept as ``past_cached`` keeps it once the period has ended. A period
    still running that began before today is counted in two parts, ``combine(compute(lo, today),
    compute(today, hi))``: the days before today have ended and are kept, so the month's figures
    on its 30th day read one day's rows, not thirty days' (at 1,000,000 cases a month holds
    41,000 cases and their stages). For counts that add up over parts: each row counted once, by
    a moment that has passed (detected, received, completed), never by ``now``."""
    if hi <= now:
        return past_cached(adm, what, lo, hi, now, lambda: compute(lo, hi))
    cut = today_start(adm, now)
    if cut <= lo:
        return compute(lo, hi)
    return combine(past_cached(adm, what, lo, cut, now, lambda: compute(lo, cut)), compute(cut, hi))


# --------------------------------------------------------------------------------------------
# trends


@dataclass
class TrendPoint:
    label: str
    start: dt.date
    end: dt.date
    received: int = 0
    on_time: int = 0
    missed: int = 0
    rework: int = 0


TREND_SERIES = ("received", "on_time", "missed", "rework")


def trend(adm: Administration, buckets: list[tuple[dt.date, dt.date, str]], *, now: dt.datetime) -> list[TrendPoint]:
    """Per bucket (dates, label): cases detected, answers on time, deadlines missed, returns for
    rework. One query per series, a filtered count per bucket, over the whole range at once."""
    from .periods import instants

    points = [TrendPoint(label, start, end) for start, end, label in buckets]
    if not points:
        return points
    spans = [instants(adm, p.start, p.end) for p in points]

    cut = today_start(adm, now)

    def counts(name: str, of_range: Any, field_name: str, extra: Q | None = None, running: Any = None) -> list[int]:
        # The buckets that have ended are kept for a while (``PAST_TTL``); one still running is
        # counted by ``running(lo)`` when the series has a faster count (not one that adds up:
        # a deadline missed is told at ``now``), else as its days before today, kept like an
        # ended bucket, and today (``period_cached``). What is not kept is counted in one query
        # over just its range (``of_range(lo, hi)``: its bounds are the index's).
        parts: list[list[tuple[dt.datetime, dt.datetime]]] = [
            [(a, cut), (cut, b)] if running is None and a < cut and b > now else [(a, b)] for a, b in spans
        ]
        flat = [p for bucket in parts for p in bucket]
        keys = [past_key(adm, f"trend-{name}", a, b) for a, b in flat]
        ended = {k for k, (_a, b) in zip(keys, flat, strict=True) if b <= now}
        known = {} if recounting.get() else cache.get_many(list(ended))
        todo = [i for i, k in enumerate(keys) if k not in known]
        if running is not None:
            known.update({keys[i]: running(flat[i][0]) for i in todo if keys[i] not in ended})
            todo = [i for i in todo if keys[i] in ended]
        if todo:
            qs = of_range(min(flat[i][0] for i in todo), max(flat[i][1] for i in todo))
            aggregates = {
                f"b{i}": Count(
                    "id",
                    filter=Q(**{f"{field_name}__gte": flat[i][0], f"{field_name}__lt": flat[i][1]}) & (extra or Q()),
                )
                for i in todo
            }
            got = qs.aggregate(**aggregates)
            fresh = {keys[i]: got[f"b{i}"] for i in todo}
            cache.set_many({k: v for k, v in fresh.items() if k in ended}, PAST_TTL)
            known.update(fresh)
        values = iter(known[k] for k in keys)
        return [sum(next(values) for _part in bucket) for bucket in parts]

    answer = StageKey.ANSWER.value
    series = {
        "received": counts("received", lambda a, b: cases_detected(adm, a, b), "detected_at"),
        "on_time": counts("on_time", lambda a, b: stages_done(adm, answer, a, b), "ended_at", Q(on_time=True)),
        "missed": counts(
            "missed", lambda a, b: answers_missed(adm, a, b, now), "due_at", running=lambda a: missed_now(adm, a, now)
        ),
        "rework": counts("rework", lambda a, b: reworks_opened(adm, a, b), "started_at"),
    }
    for name, values in series.items():
        for point, value in zip(points, values, strict=True):
            setattr(point, name, value)
    return points
