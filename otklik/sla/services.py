"""Opening and closing stage deadlines; the case's next deadline is derived from the open ones.

Called only from ``cases/actions.py`` inside its transaction, with the case row locked.
"""

from __future__ import annotations

import datetime as dt

from otklik.domain.calendar import WorkingCalendar
from otklik.domain.regulation import Limit, Regulation, Unit
from otklik.domain.workflow import StageKey

from .models import Stage

_WORKING_UNITS = {Unit.WORKING_MINUTES, Unit.WORKING_HOURS}


def limit_seconds(limit: Limit) -> int | None:
    if limit.unit is Unit.WORKING_MINUTES:
        return limit.value * 60
    if limit.unit is Unit.WORKING_HOURS:
        return limit.value * 3600
    return None


def due(calendar: WorkingCalendar, regulation: Regulation, key: StageKey, start: dt.datetime) -> dt.datetime:
    return calendar.add(start, regulation.limit(key.value))


def draft_lead_due(
    calendar: WorkingCalendar, regulation: Regulation, start: dt.datetime, answer_due: dt.datetime
) -> dt.datetime:
    """П.11: the draft is due ``draft_lead`` before the answer deadline.

    When a shortened deadline (П.8) leaves less working time than the lead itself, the draft is
    due halfway through the working time that remains, so the curator still gets time to review
    and the executor to publish; the regulation is silent on this case.
    """
    candidate = calendar.subtract(answer_due, regulation.limit(StageKey.DRAFT_LEAD.value))
    if candidate >= start:
        return candidate
    remaining = calendar.elapsed(start, answer_due)
    if remaining <= dt.timedelta(0):
        return answer_due
    return calendar.add(start, remaining / 2)


def stage_open(
    *,
    case_id: int,
    administration_id: int,
    key: StageKey,
    started_at: dt.datetime,
    due_at: dt.datetime,
    limit: int | None = None,
    assignment_id: int | None = None,
    draft_id: int | None = None,
    department_id: int | None = None,
    responsible_id: int | None = None,
) -> Stage:
    return Stage.objects.create(
        case_id=case_id,
        administration_id=administration_id,
        key=key.value,
        started_at=started_at,
        due_at=due_at,
        limit_seconds=limit,
        assignment_id=assignment_id,
        draft_id=draft_id,
        department_id=department_id,
        responsible_id=responsible_id,
    )


def stage_start(
    *,
    case_id: int,
    administration_id: int,
    key: StageKey,
    started_at: dt.datetime,
    calendar: WorkingCalendar,
    regulation: Regulation,
    assignment_id: int | None = None,
    draft_id: int | None = None,
    department_id: int | None = None,
    responsible_id: int | None = None,
) -> Stage:
    """Open a stage whose deadline is its regulation limit counted from ``started_at``."""
    limit = regulation.limit(key.value)
    return stage_open(
        case_id=case_id,
        administration_id=administration_id,
        key=key,
        started_at=started_at,
        due_at=calendar.add(started_at, limit),
        limit=limit_seconds(limit),
        assignment_id=assignment_id,
        draft_id=draft_id,
        department_id=department_id,
        responsible_id=responsible_id,
    )


def stage_close(stage: Stage, *, at: dt.datetime, calendar: WorkingCalendar, cancelled: bool = False) -> Stage:
    """Store the stage's facts: elapsed working time and whether it ended on time."""
    stage.ended_at = at
    if cancelled:
        stage.status = Stage.Status.CANCELLED
        stage.on_time = None
    else:
        stage.status = Stage.Status.DONE
        stage.elapsed_seconds = int(calendar.elapsed(stage.started_at, at).total_seconds())
        if stage.limit_seconds is None:
            stage.limit_seconds = max(0, int(calendar.elapsed(stage.started_at, stage.due_at).total_seconds()))
        stage.on_time = at <= stage.due_at
    stage.save(update_fields=["ended_at", "status", "elapsed_seconds", "limit_seconds", "on_time"])
    return stage


def close_open(
    *,
    case_id: int,
    keys: set[StageKey],
    at: dt.datetime,
    calendar: WorkingCalendar,
    assignment_id: int | None = None,
    cancelled: bool = False,
) -> list[Stage]:
    qs = Stage.objects.filter(case_id=case_id, status=Stage.Status.OPEN, key__in=[k.value for k in keys])
    if assignment_id is not None:
        qs = qs.filter(assignment_id=assignment_id)
    return [stage_close(s, at=at, calendar=calendar, cancelled=cancelled) for s in qs]


#: Open stages, nearest deadline first.
NEAREST_FIRST = ("due_at", "id")


def nearest_open_stage(case_id: int) -> Stage | None:
    """The open stage with the nearest deadline: what the case's list fields are made of."""
    return Stage.objects.filter(case_id=case_id, status=Stage.Status.OPEN).order_by(*NEAREST_FIRST).first()


def open_stages(case_id: int) -> list[Stage]:
    """The case's open stages, nearest deadline first (the first is ``nearest_open_stage``)."""
    return list(Stage.objects.filter(case_id=case_id, status=Stage.Status.OPEN).order_by(*NEAREST_FIRST))


def stage_due_recomputed(
    stage: Stage,
    *,
    calendar: WorkingCalendar,
    regulation: Regulation,
    answer_due: dt.datetime | None,
    shortened: bool,
) -> dt.datetime | None:
    """The deadline an open stage gets from ``calendar`` (after a calendar change); None: keep it.

    The limit is the one the stage opened with (``limit_seconds``, so a later change of the
    regulation does not move running stages); day limits (П.15) count again from the start. A
    curator's shortened answer deadline (П.8) is a fixed moment and stays; the draft's П.11
    deadline follows the (recomputed) answer deadline ``answer_due``.
    """
    key = StageKey(stage.key)
    if key is StageKey.ANSWER and shortened:
        return None
    if key is StageKey.DRAFT_LEAD:
        if answer_due is None:
            return None
        return draft_lead_due(calendar, regulation, stage.started_at, answer_due)
    if stage.limit_seconds:
        return calendar.add(stage.started_at, dt.timedelta(seconds=stage.limit_seconds))
    return calendar.add(stage.started_at, regulation.limit(key.value))


def next_deadline(case_id: int) -> tuple[dt.datetime | None, str]:
    stage = nearest_open_stage(case_id)
    return (stage.due_at, stage.key) if stage else (None, "")
