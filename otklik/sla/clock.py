"""The one working-time selector: what every countdown a person sees is made of.

For an open stage (or a new inbox message's П.8 routing limit) :func:`countdown` answers:

* the wall-clock deadline, in the administration's zone;
* the working time left — or, past the deadline, the working time overdue — in working seconds
  (the regulation counts working time: a 30-minute limit at night is still 30 minutes);
* whether the clock runs now (it does not at night, at lunch, on days off and holidays), and
  until when it runs or from when it runs again;
* the colour level: green (more than half the working limit left), amber (a quarter to a half),
  red (less than a quarter), overdue (the deadline has passed).

It reads only what is stored (the deadline, the stage's start and its working limit) and the
administration's cached calendar, so it costs a few bisects: cheap enough for every row of a
list page (``tests/bench/bench_clock.py`` prints the figure). The web (``{% countdown %}``), the
API (``remaining_working_seconds``, ``clock_running``), reminders and reports all use it; how a
countdown is written in words is ``display.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from otklik.domain.calendar import CalendarError, WorkingCalendar
from otklik.domain.workflow import StageKey

if TYPE_CHECKING:
    from otklik.organization.models import Administration
    from otklik.sla.models import Stage

GREEN, AMBER, RED, OVERDUE, NONE = "green", "amber", "red", "overdue", "none"


@dataclass(frozen=True, slots=True)
class Countdown:
    due_at: dt.datetime  # the deadline, in the calendar's zone
    remaining_seconds: int  # working seconds left; negative: working seconds overdue
    overdue: bool  # the deadline has passed (even if no working time has since)
    clock_running: bool  # working time runs now
    changes_at: dt.datetime | None  # running: when it pauses; paused: when it runs again
    limit_seconds: int | None  # the stage's working limit (for the colour)
    level: str
    tz_name: str
    estimated: bool  # the deadline leans on a year estimated without decree data

    @property
    def remaining(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.remaining_seconds)


def level(*, remaining_seconds: float, overdue: bool, limit_seconds: float | None) -> str:
    """Colour of a deadline by the share of its working limit that is left."""
    if overdue:
        return OVERDUE
    if not limit_seconds or limit_seconds <= 0:
        return GREEN
    share = remaining_seconds / limit_seconds
    if share < 0.25:
        return RED
    if share < 0.5:
        return AMBER
    return GREEN


def countdown(
    calendar: WorkingCalendar,
    *,
    due: dt.datetime,
    now: dt.datetime,
    limit_seconds: int | None = None,
    started: dt.datetime | None = None,
) -> Countdown:
    """The countdown to ``due`` at ``now``; the limit is ``limit_seconds`` or the working time
    from ``started`` to ``due`` (stages whose limit is not in working minutes or hours)."""
    changes_at: dt.datetime | None
    try:
        left_us, running, changes_at = calendar.time_left(now, due)
        remaining = int(left_us / 1_000_000)
        if not limit_seconds and started is not None and due > started:
            limit_seconds = int(calendar.elapsed(started, due).total_seconds())
        estimated = calendar.is_estimated(now, due)
    except CalendarError:
        # A strict calendar without the year: wall-clock time, said to be an estimate.
        remaining, running, changes_at, estimated = int((due - now).total_seconds()), True, None, True
    overdue = now >= due
    return Countdown(
        due_at=due.astimezone(calendar.tz),
        remaining_seconds=min(remaining, 0) if overdue else remaining,
        overdue=overdue,
        clock_running=running,
        changes_at=changes_at,
        limit_seconds=limit_seconds or None,
        level=level(remaining_seconds=remaining, overdue=overdue, limit_seconds=limit_seconds),
        tz_name=calendar.tz_name,
        estimated=estimated,
    )


def stage_countdown(stage: Stage, *, calendar: WorkingCalendar, now: dt.datetime) -> Countdown | None:
    """The countdown of an open stage; None for a stage that has ended."""
    if stage.status != "open":
        return None
    return countdown(calendar, due=stage.due_at, now=now, limit_seconds=stage.limit_seconds, started=stage.started_at)


def route_countdown(administration: Administration, *, received_at: dt.datetime, now: dt.datetime) -> Countdown:
    """П.8 for a new message: route it within ``route`` as if the curator detected it on receipt."""
    from otklik.sla.services import limit_seconds

    calendar = administration.calendar
    limit = administration.regulation.limit(StageKey.ROUTE.value)
    due = calendar.add(received_at, limit)
    return countdown(calendar, due=due, now=now, limit_seconds=limit_seconds(limit), started=received_at)
