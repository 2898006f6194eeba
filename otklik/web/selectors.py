"""Reads the web UI needs beyond ``otklik.cases.selectors``: deadline colours and the board.

The Head's figures and П.23 alerts live in ``otklik.reports.dashboard`` (one query layer with the
П.21 report); the board only asks it for "the cases behind a figure".

Every query starts from the actor's visible cases (``cases_visible_to``) or filters by the actor's
administration, so nothing leaks across tenants or departments. Writes never happen here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from otklik.cases.models import Assignment, Case, Draft, Publication
from otklik.cases.selectors import CaseFilter, case_list, cases_visible_to
from otklik.domain.calendar import WorkingCalendar
from otklik.organization.services import Actor
from otklik.sla import clock
from otklik.sla.models import Stage

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


def _annotate_next_stage(qs: QuerySet[Case]) -> QuerySet[Case]:
    nearest = Stage.objects.filter(case=OuterRef("pk"), status=Stage.Status.OPEN).order_by("due_at", "id")
    return qs.annotate(
        next_started_at=Subquery(nearest.values("started_at")[:1]),
        next_limit_seconds=Subquery(nearest.values("limit_seconds")[:1]),
    )


def with_levels(cases: list[Case], *, now: dt.datetime, calendar: WorkingCalendar) -> list[Case]:
    """Set ``deadline_level`` on cases annotated by ``_annotate_next_stage``."""
    for case in cases:
        case.deadline_level = deadline_level(  # type: ignore[attr-defined]
            now=now,
            due=case.next_deadline_at,
            started=getattr(case, "next_started_at", None),
            limit_seconds=getattr(case, "next_limit_seconds", None),
            calendar=calendar,
        )
    return cases


# --------------------------------------------------------------------------------------------
# the board and "my cases"


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


def board(actor: Actor, f: BoardFilter, *, now: dt.datetime, limit: int = 300) -> list[Case]:
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
    qs = _annotate_next_stage(qs).prefetch_related("assignments__department")
    return with_levels(list(qs[:limit]), now=now, calendar=actor.administration.calendar)


def my_cases(actor: Actor, *, now: dt.datetime, limit: int = 300) -> list[Case]:
    """The executor's departments' open cases with an active assignment, nearest deadline first."""
    qs = case_list(actor, CaseFilter(open_only=True), order="deadline")
    if not actor.sees_everything:
        mine = Q(department_id__in=list(actor.department_ids)) | Q(assignee_id=actor.user_id)
        active = Assignment.objects.filter(mine).exclude(
            status__in=[Assignment.Status.RETURNED, Assignment.Status.CANCELLED]
        )
        qs = qs.filter(pk__in=active.values("case_id"))
    qs = _annotate_next_stage(qs).prefetch_related("assignments__department")
    return with_levels(list(qs[:limit]), now=now, calendar=actor.administration.calendar)


def visible_case_by_number(actor: Actor, number: int) -> Case | None:
    return cases_visible_to(actor).filter(number=number).first()


def publication_for(draft: Draft | None) -> Publication | None:
    if draft is None:
        return None
    return Publication.objects.filter(draft=draft).first()
