"""The fields every list of cases reads, stored on the case (no per-row subqueries).

Lists (the board, «Мои обращения», the API) sort by the nearest deadline and colour each row by
how much of its stage's time is left; both come from the case's nearest open stage. Instead of
looking that stage up per row, the action path stores on the case, whenever a stage opens or
ends (``case_list_fields`` is called where ``next_deadline_at`` is recomputed):

- ``next_deadline_at``, ``next_stage`` — the nearest open stage's deadline and key;
- ``next_started_at`` — when that stage started (the countdown's start);
- ``next_amber_at``, ``next_red_at`` — the moments half and three quarters of the stage's
  working time are used up (its working limit ``limit_seconds``, or the working time from its
  start to its deadline). The colour of a row is then a comparison with ``now`` (``level_at``),
  and the board counts each colour in SQL, over every page.

The thresholds are those of the working-time selector ``otklik.sla.clock.level``: amber with less
than half of the working time left, red with less than a quarter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from otklik.domain.calendar import WorkingCalendar
from otklik.sla.clock import AMBER, GREEN, NONE, OVERDUE, RED

AMBER_LEFT = 0.5
RED_LEFT = 0.25

__all__ = [
    "AMBER",
    "ANSWER_FIELDS",
    "GREEN",
    "LIST_FIELDS",
    "NONE",
    "OVERDUE",
    "RED",
    "case_list_fields",
    "level_at",
    "thresholds",
]

#: The stored fields, for ``save(update_fields=...)``.
LIST_FIELDS = ("next_deadline_at", "next_stage", "next_started_at", "next_amber_at", "next_red_at")

#: The open answer stage's deadline and department, stored beside them for the Head's overdue
#: answers (``contract.open_answer_fields``).
ANSWER_FIELDS = ("open_answer_due_at", "open_answer_department")


def thresholds(
    *, started: dt.datetime | None, due: dt.datetime, limit_seconds: int | None, calendar: WorkingCalendar | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(amber_at, red_at) of a stage: when less than a half and a quarter of its working time is left.

    Without a calendar (synthetic data only) the time is wall-clock time."""
    if calendar is None:
        if started is None or due <= started:
            return None, None
        total = due - started
        return due - total * AMBER_LEFT, due - total * RED_LEFT
    if not limit_seconds:
        if started is None or due <= started:
            return None, None
        limit_seconds = int(calendar.elapsed(started, due).total_seconds())
        if limit_seconds <= 0:
            return None, None
    return (
        calendar.subtract(due, dt.timedelta(seconds=limit_seconds * AMBER_LEFT)),
        calendar.subtract(due, dt.timedelta(seconds=limit_seconds * RED_LEFT)),
    )


def case_list_fields(stage: Any | None, *, calendar: WorkingCalendar) -> dict[str, Any]:
    """The stored list fields for a case whose nearest open stage is ``stage`` (or none)."""
    if stage is None:
        return dict.fromkeys(LIST_FIELDS) | {"next_stage": ""}
    amber, red = thresholds(
        started=stage.started_at, due=stage.due_at, limit_seconds=stage.limit_seconds, calendar=calendar
    )
    return {
        "next_deadline_at": stage.due_at,
        "next_stage": stage.key,
        "next_started_at": stage.started_at,
        "next_amber_at": amber,
        "next_red_at": red,
    }


def level_at(
    now: dt.datetime, *, due: dt.datetime | None, amber_at: dt.datetime | None, red_at: dt.datetime | None
) -> str:
    if due is None:
        return NONE
    if now >= due:
        return OVERDUE
    # Strictly after: at the very moment half of the time is left, it is still green.
    if red_at is not None and now > red_at:
        return RED
    if amber_at is not None and now > amber_at:
        return AMBER
    return GREEN
