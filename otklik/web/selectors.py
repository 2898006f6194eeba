"""Reads the web UI needs beyond ``otklik.cases.selectors``: deadline colours, the board, the
Head's figures and the П.23 alerts.

Every query starts from the actor's visible cases (``cases_visible_to``) or filters by the actor's
administration, so nothing leaks across tenants or departments. Writes never happen here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from otklik.cases import listfields
from otklik.cases.listfields import level_at
from otklik.cases.models import Assignment, Case, Draft, Publication, open_condition
from otklik.cases.selectors import CaseFilter, case_list, cases_visible_to, ordered
from otklik.domain.calendar import WorkingCalendar
from otklik.domain.workflow import OPEN_STATES, StageKey
from otklik.inbox.models import Message
from otklik.organization.models import Administration, Department
from otklik.organization.services import Actor
from otklik.sla.models import Stage

# --------------------------------------------------------------------------------------------
# deadline colours

# The colours of the stored list fields (lists compare ``now`` with stored moments); the function
# below computes the same colour for a deadline that is not stored (a stage, a draft under review).
GREEN, AMBER, RED, OVERDUE, NONE = (
    listfields.GREEN,
    listfields.AMBER,
    listfields.RED,
    listfields.OVERDUE,
    listfields.NONE,
)


def deadline_level(
    *,
    now: dt.datetime,
    due: dt.datetime | None,
    started: dt.datetime | None = None,
    limit_seconds: int | None = None,
    calendar: WorkingCalendar | None = None,
) -> str:
    """Colour of a deadline by the share of its time that is left.

    Green: more than half left; amber: a quarter to a half; red: less than a quarter; overdue:
    past. The share is counted in working time when the limit is (hours/minutes limits), else in
    wall-clock time from the stage's start.
    """
    if due is None:
        return NONE
    if now >= due:
        return OVERDUE
    total: float | None = None
    left: float | None = None
    if calendar is not None and limit_seconds:
        total = float(limit_seconds)
        left = calendar.elapsed(now, due).total_seconds()
    elif started is not None and due > started:
        total = (due - started).total_seconds()
        left = (due - now).total_seconds()
    if not total:
        return GREEN
    share = left / total if left is not None else 1.0
    if share < listfields.RED_LEFT:
        return RED
    if share < listfields.AMBER_LEFT:
        return AMBER
    return GREEN


def route_due(administration: Administration, received_at: dt.datetime) -> dt.datetime:
    """П.8: the routing deadline of a new message as if the curator detected it on receipt."""
    return administration.calendar.add(received_at, administration.regulation.limit(StageKey.ROUTE.value))


def with_levels(cases: list[Case], *, now: dt.datetime) -> list[Case]:
    """Set what a row shows on each case of a page: ``deadline_level`` from the stored list fields
    (``otklik.cases.listfields``), and — from the prefetched assignments and topics, read once here
    rather than through a related manager per cell — ``row_assignments`` and ``row_topics``."""
    for case in cases:
        case.deadline_level = level_at(  # type: ignore[attr-defined]
            now, due=case.next_deadline_at, amber_at=case.next_amber_at, red_at=case.next_red_at
        )
        cache = getattr(case, "_prefetched_objects_cache", {})
        if "assignments" in cache:
            case.row_assignments = [a for a in cache["assignments"] if a.is_active]  # type: ignore[attr-defined]
        if "topics" in cache:
            case.row_topics = ", ".join(t.name for t in cache["topics"])  # type: ignore[attr-defined]
    return cases


# --------------------------------------------------------------------------------------------
# the board and "my cases": pages of stored rows, no per-row subqueries

PAGE_SIZE = 50


@dataclass
class BoardFilter:
    department_id: int | None = None
    topic_id: int | None = None
    place_id: int | None = None
    network: str | None = None
    state: str | None = None

    def as_case_filter(self) -> CaseFilter:
        return CaseFilter(
            state=[self.state] if self.state else None,
            open_only=True,
            department_id=self.department_id,
            topic_id=self.topic_id,
            place_id=self.place_id,
            network=self.network,
        )


def level_counts(qs: QuerySet[Case], *, now: dt.datetime) -> dict[str, int]:
    """How many of ``qs`` are green, amber, red and overdue now: one aggregate over stored fields."""
    overdue = Q(next_deadline_at__lte=now)
    red = Q(next_red_at__lt=now) & ~overdue
    amber = Q(next_amber_at__lt=now) & ~overdue & ~red
    counts = qs.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=overdue),
        red=Count("pk", filter=red),
        amber=Count("pk", filter=amber),
        none=Count("pk", filter=Q(next_deadline_at__isnull=True)),
    )
    counts["green"] = counts["total"] - counts["overdue"] - counts["red"] - counts["amber"] - counts["none"]
    return counts


def case_page(qs: QuerySet[Case], number: Any, *, now: dt.datetime, total: int | None = None) -> Page:
    """One page of a case list with each row's level; ``total`` saves the paginator its COUNT."""
    paginator = Paginator(qs, PAGE_SIZE)
    if total is not None:
        paginator.__dict__["count"] = total  # a cached_property: the counts query gave it already
    page = paginator.get_page(number)
    page.object_list = with_levels(list(page.object_list), now=now)
    return page


def board(actor: Actor, f: BoardFilter, *, now: dt.datetime, page: Any = 1) -> tuple[Page, dict[str, int]]:
    """A page of the open cases, nearest deadline first, and the colour counts of all of them."""
    qs = case_list(actor, f.as_case_filter(), order="deadline")
    counts = level_counts(qs, now=now)
    qs = qs.prefetch_related("assignments__department")
    return case_page(qs, page, now=now, total=counts["total"]), counts


def my_cases_queryset(actor: Actor) -> QuerySet[Case]:
    """The executor's departments' open cases with an active assignment, nearest deadline first.

    Read from the executor's open assignments (``Assignment.case_open``, indexed by department
    and by assignee): these are cases the executor may see by definition."""
    if actor.sees_everything:
        return case_list(actor, CaseFilter(open_only=True), order="deadline")
    mine = Q(department_id__in=list(actor.department_ids)) | Q(assignee_id=actor.user_id)
    active = (
        Assignment.objects.filter(mine, case_open=True)
        .exclude(status__in=[Assignment.Status.RETURNED, Assignment.Status.CANCELLED])
        .values("case_id")
    )
    qs = Case.objects.filter(administration=actor.administration, pk__in=active).filter(open_condition())
    return ordered(qs, "deadline")


def my_cases(actor: Actor, *, now: dt.datetime, page: Any = 1) -> Page:
    qs = my_cases_queryset(actor).prefetch_related("assignments__department")
    return case_page(qs, page, now=now)


def visible_case_by_number(actor: Actor, number: int) -> Case | None:
    return cases_visible_to(actor).filter(number=number).first()


def publication_for(draft: Draft | None) -> Publication | None:
    if draft is None:
        return None
    return Publication.objects.filter(draft=draft).first()


# --------------------------------------------------------------------------------------------
# the Head's dashboard (figures from stored stage facts) and П.23 alerts


@dataclass
class DepartmentFigures:
    name: str
    received: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.answered) if self.answered else None


@dataclass
class PeriodFigures:
    title: str
    start: dt.datetime
    end: dt.datetime
    messages: int = 0
    cases: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    departments: list[DepartmentFigures] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.on_time + self.late


def period_bounds(now: dt.datetime, tz: str) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Today and this month in the administration's zone, as aware [start, end) pairs."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    return {"today": (day, day + dt.timedelta(days=1)), "month": (month, next_month)}


def period_figures(administration: Administration, title: str, start: dt.datetime, end: dt.datetime) -> PeriodFigures:
    """Received, answered on time and late — by department — for [start, end).

    "Answered" counts the П.10 ``answer`` stages that ended in the period (stored facts, on_time
    True/False); the department is the lead department of the case (the one that answered).
    "Received" by department counts the cases routed to it in the period.
    """
    fig = PeriodFigures(title=title, start=start, end=end)
    fig.messages = Message.objects.filter(
        administration=administration, received_at__gte=start, received_at__lt=end
    ).count()
    fig.cases = Case.objects.filter(administration=administration, detected_at__gte=start, detected_at__lt=end).count()
    lead = (
        Assignment.objects.filter(case=OuterRef("case"), is_lead=True)
        .exclude(status__in=[Assignment.Status.CANCELLED, Assignment.Status.RETURNED])
        .order_by("-order")
    )
    answers = (
        Stage.objects.filter(
            case__administration=administration,
            key=StageKey.ANSWER.value,
            status=Stage.Status.DONE,
            ended_at__gte=start,
            ended_at__lt=end,
        )
        .annotate(dept_id=Subquery(lead.values("department_id")[:1]))
        .values("dept_id", "on_time")
        .annotate(n=Count("id"))
    )
    by_dept: dict[int | None, DepartmentFigures] = {}
    names = {d.pk: str(d) for d in Department.objects.filter(administration=administration)}

    def row(dept_id: int | None) -> DepartmentFigures:
        if dept_id not in by_dept:
            by_dept[dept_id] = DepartmentFigures(name=names.get(dept_id, "—") if dept_id else "Без подразделения")
        return by_dept[dept_id]

    for d_id in names:
        row(d_id)
    for item in answers:
        target = row(item["dept_id"])
        if item["on_time"]:
            target.on_time += item["n"]
            fig.on_time += item["n"]
        else:
            target.late += item["n"]
            fig.late += item["n"]
    received = (
        Assignment.objects.filter(case__administration=administration, received_at__gte=start, received_at__lt=end)
        .values("department_id")
        .annotate(n=Count("case_id", distinct=True))
    )
    for item in received:
        row(item["department_id"]).received += item["n"]
    fig.departments = sorted(by_dept.values(), key=lambda d: (-(d.received + d.answered), d.name))
    return fig


def open_overdue_count(administration: Administration, now: dt.datetime) -> int:
    return Case.objects.filter(
        administration=administration,
        state__in=[s.value for s in OPEN_STATES],
        next_deadline_at__lt=now,
    ).count()


def significant_cases(actor: Actor, limit: int = 20) -> list[Case]:
    """П.23: socially significant cases, newest first."""
    return list(
        cases_visible_to(actor).filter(significant=True).select_related("place").order_by("-detected_at", "-id")[:limit]
    )


def notifications_for(actor: Actor, limit: int = 20) -> list[Any]:
    """The actor's П.23 in-app notifications of the notify module, if it has the model (tolerates absence)."""
    try:
        model = apps.get_model("notify", "Notification")
    except LookupError:
        return []
    names = {f.name for f in model._meta.get_fields()}
    qs = model.objects.all()
    if "administration" in names:
        qs = qs.filter(administration=actor.administration)
    if "user" in names:
        qs = qs.filter(user=actor.user)
    elif "recipient" in names:
        qs = qs.filter(recipient=actor.user)
    if "kind" in names:
        qs = qs.filter(kind__in=["significant", "spike"])  # the П.23 alerts
    order = next((f for f in ("created_at", "at", "sent_at") if f in names), "pk")
    try:
        return list(qs.order_by(f"-{order}")[:limit])
    except Exception:  # a half-migrated table must not break the dashboard
        return []
