"""Reads the web UI needs beyond ``otklik.cases.selectors``: deadline colours and the board.

The Head's figures and П.23 alerts live in ``otklik.reports.dashboard`` (one query layer with the
П.21 report); the board only asks it for "the cases behind a figure".

Every query starts from the actor's visible cases (``cases_visible_to``) or filters by the actor's
administration, so nothing leaks across tenants or departments. Writes never happen here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from otklik.cases.listfields import level_at
from otklik.cases.models import Assignment, Case, Draft, Publication, open_condition
from otklik.cases.selectors import CaseFilter, case_list, cases_visible_to, ordered
from otklik.domain.calendar import WorkingCalendar
from otklik.organization.services import Actor
from otklik.sla import clock

# --------------------------------------------------------------------------------------------
# deadline colours (the working-time selector of ``otklik.sla.clock``)

GREEN, AMBER, RED, OVERDUE, NONE = clock.GREEN, clock.AMBER, clock.RED, clock.OVERDUE, clock.NONE


def deadline_level(
    *,
    now: dt.datetime,
    due: dt.datetime | None,
    started: dt.datetime | None = None,
    limit_seconds: int | None = None,
    calendar: WorkingCalendar | None = None,
) -> str:
    """Colour of a deadline by the share of its *working* time that is left (``sla.clock.level``)."""
    if due is None:
        return NONE
    if calendar is None:
        return clock.level(
            remaining_seconds=(due - now).total_seconds(),
            overdue=now >= due,
            limit_seconds=(due - started).total_seconds() if started is not None else None,
        )
    return clock.countdown(calendar, due=due, now=now, limit_seconds=limit_seconds, started=started).level


def with_levels(cases: list[Case], *, now: dt.datetime) -> list[Case]:
    """Set what a row shows on each case of a page: ``deadline_level`` from the stored list fields
    (``otklik.cases.listfields``: the moments the nearest stage turns amber and red, counted in
    working time as ``sla.clock`` does), ``row_assignments`` (active, with their departments) and
    ``row_topics``.

    The assignments and topics of the page come in two queries read here, not through
    ``prefetch_related``: Django's prefetch builds a related manager and clones a queryset for
    every case of the page, which cost more than the queries (a profile of the board under load
    had ``Query.clone`` as its top function)."""
    ids = [c.pk for c in cases]
    assignments: dict[int, list[Assignment]] = {}
    topics: dict[int, list[str]] = {}
    if ids:
        # Ordered by the column: the model's ordering ("case", "order") would join every case to
        # sort by the case's own ordering.
        rows = (
            Assignment.objects.filter(case_id__in=ids).exclude(status__in=Assignment.ENDED).order_by("case_id", "order")
        )
        for a in rows.select_related("department").only(
            "id", "case_id", "order", "is_lead", "status", "department__name", "department__short_name"
        ):
            assignments.setdefault(a.case_id, []).append(a)
        pairs = Case.topics.through.objects.filter(case_id__in=ids).order_by("topic__name", "topic_id")
        for case_id, name in pairs.values_list("case_id", "topic__name"):
            topics.setdefault(case_id, []).append(name)
    for case in cases:
        case.deadline_level = level_at(  # type: ignore[attr-defined]
            now, due=case.next_deadline_at, amber_at=case.next_amber_at, red_at=case.next_red_at
        )
        case.row_assignments = assignments.get(case.pk, [])  # type: ignore[attr-defined]
        case.row_topics = ", ".join(topics.get(case.pk, ()))  # type: ignore[attr-defined]
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
    # "the list behind a figure" of the Head's dashboard (``otklik.reports.figures.MEASURES``):
    # the cases a figure counts over [period_from, period_to], closed ones included
    measure: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    in_place_id: int | None = None  # a settlement with its streets (the map)
    overdue: bool = False  # open cases past their nearest deadline now

    @property
    def by_figure(self) -> bool:
        return bool(self.measure and self.period_from and self.period_to)

    def as_case_filter(self, now: dt.datetime | None = None) -> CaseFilter:
        return CaseFilter(
            state=[self.state] if self.state else None,
            open_only=not self.by_figure,
            department_id=self.department_id,
            topic_id=self.topic_id,
            place_id=self.place_id,
            network=self.network,
            overdue_at=now if self.overdue else None,
        )


def level_counts(qs: QuerySet[Case], *, now: dt.datetime) -> dict[str, int]:
    """How many of ``qs`` are green, amber, red and overdue now: one aggregate over stored fields."""
    overdue = Q(next_deadline_at__lte=now)
    red = Q(next_red_at__lt=now) & ~overdue
    amber = Q(next_amber_at__lt=now) & ~overdue & ~red
    # Counted over the columns of the open cases' covering index (``case_open_levels``: the
    # deadline and the colour moments; each colour's column is set whenever the colour applies),
    # not over the id, which it lacks: PostgreSQL then counts from the index alone, without
    # reading a row (at 1,000,000 cases, 32,809 open: 43 → 5 ms). SQLite's indexes carry the id.
    counts = qs.order_by().aggregate(
        total=Count("*"),
        dated=Count("next_deadline_at"),
        overdue=Count("next_deadline_at", filter=overdue),
        red=Count("next_red_at", filter=red),
        amber=Count("next_amber_at", filter=amber),
    )
    counts["none"] = counts["total"] - counts.pop("dated")
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
    """A page of the cases, nearest deadline first, and the colour counts of all of them."""
    qs = case_list(actor, f.as_case_filter(now), order="deadline")
    if f.by_figure:
        from otklik.reports.figures import measure_case_ids, place_with_descendants
        from otklik.reports.periods import instants

        adm = actor.administration
        assert f.measure and f.period_from and f.period_to
        lo, hi = instants(adm, f.period_from, f.period_to)
        places = place_with_descendants(adm, f.in_place_id) if f.in_place_id else None
        qs = qs.filter(
            pk__in=measure_case_ids(adm, f.measure, lo, hi, now=now, department_id=f.department_id, place_ids=places)
        )
    counts = level_counts(qs, now=now)
    return case_page(qs.prefetch_related(None), page, now=now, total=counts["total"]), counts


def my_cases_queryset(actor: Actor) -> QuerySet[Case]:
    """The executor's departments' open cases with an active assignment, nearest deadline first.

    Read from the executor's open assignments (``Assignment.case_open``, indexed by department
    and by assignee): these are cases the executor may see by definition."""
    if actor.sees_everything:
        return case_list(actor, CaseFilter(open_only=True), order="deadline")

    def active(**mine: Any) -> QuerySet[Any]:
        return Assignment.objects.filter(case_open=True, **mine).exclude(status__in=Assignment.ENDED).values("case_id")

    # Two IN lists, one per partial index: with the OR inside one subquery SQLite scanned every
    # open assignment (60 → 29 ms at 1,000,000 cases).
    qs = Case.objects.filter(administration=actor.administration).filter(
        Q(pk__in=active(department_id__in=list(actor.department_ids))) | Q(pk__in=active(assignee_id=actor.user_id))
    )
    qs = qs.filter(open_condition())
    return ordered(qs, "deadline")


def my_cases(actor: Actor, *, now: dt.datetime, page: Any = 1) -> Page:
    return case_page(my_cases_queryset(actor).prefetch_related(None), page, now=now)


def visible_case_by_number(actor: Actor, number: int) -> Case | None:
    return cases_visible_to(actor).filter(number=number).first()


def publication_for(draft: Draft | None) -> Publication | None:
    if draft is None:
        return None
    return Publication.objects.filter(draft=draft).first()
