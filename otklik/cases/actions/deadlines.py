"""П.8–16 counted in working time: when the working calendar changes, open deadlines follow.

Zammad recomputes a ticket's escalation times when its calendar changes; so do we. When an
administration loads a production-calendar year, or its exceptions or schedule change, every open
stage of its open cases gets the deadline the new calendar gives (``sla.stage_due_recomputed``):
the limit the stage opened with, counted again from its start; a curator's shortened answer
deadline (П.8) stays where it was put, and the draft's П.11 deadline follows the answer's. The
case's answer and next deadlines follow, a breach recorded for a deadline that has moved into
the future is lifted (the breach event stays in the journal), and one ``recompute_deadlines``
event records what moved and who changed the calendar. The system takes the action (the person
loaded a calendar; this is its consequence); a case where nothing moves gets no event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from otklik.domain.workflow import OPEN_STATES, Action, StageKey
from otklik.organization.models import Administration
from otklik.sla import services as sla
from otklik.sla.models import Stage

from ..models import Case
from .contract import resolve_now, transition


@dataclass(frozen=True)
class RecomputeResult:
    cases: int  # cases whose deadlines moved
    stages: int  # stages whose deadlines moved


def case_deadlines_recompute(
    *, case: Case, changed_by: int | None, reason: str, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """Give the case's open stages the deadlines of its administration's calendar as it is now.

    ``changed_by``: the person who changed the calendar (kept in the event's payload). Returns
    what moved (empty: nothing did, and no event is written).
    """
    now = resolve_now(now)
    with transition(Action.RECOMPUTE_DEADLINES, case=case, actor=None, now=now) as t:
        case = t.case
        stages = sorted(
            Stage.objects.filter(case=case, status=Stage.Status.OPEN),
            key=lambda s: (s.key != StageKey.ANSWER.value, s.pk),  # the answer first: П.11 follows it
        )
        answer_due = case.answer_due_at
        moved: list[dict[str, object]] = []
        for stage in stages:
            due = sla.stage_due_recomputed(
                stage,
                calendar=t.calendar,
                regulation=t.regulation,
                answer_due=answer_due,
                shortened=case.shortened_deadline is not None,
            )
            if stage.key == StageKey.ANSWER.value and due is not None:
                answer_due = due
            if due is None or due == stage.due_at:
                continue
            moved.append(
                {"stage_id": stage.pk, "stage": stage.key, "from": stage.due_at.isoformat(), "to": due.isoformat()}
            )
            stage.due_at = due
            fields = ["due_at"]
            if stage.breached_at is not None and due > now:
                stage.breached_at = None
                fields.append("breached_at")
            stage.save(update_fields=fields)
        if answer_due != case.answer_due_at:
            case.answer_due_at = answer_due
            t.save_fields("answer_due_at")
        if not moved:
            t.no_event()
        t.payload = {"reason": reason, "changed_by": changed_by, "stages": moved}
    return moved


def administration_deadlines_recompute(
    *, administration: Administration, changed_by: int | None, reason: str, now: dt.datetime | None = None
) -> RecomputeResult:
    """Recompute every open case of the administration, one short transaction per case."""
    now = resolve_now(now)
    ids = list(
        Case.objects.filter(administration=administration, state__in=[s.value for s in OPEN_STATES])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cases = stages = 0
    for pk in ids:
        moved = case_deadlines_recompute(case=Case(pk=pk), changed_by=changed_by, reason=reason, now=now)
        if moved:
            cases += 1
            stages += len(moved)
    return RecomputeResult(cases=cases, stages=stages)
