"""The case action that follows a change of the working calendar: recompute stored deadlines.

Zammad recomputes a ticket's escalation times when its calendar changes; so do we. When an
administration loads a production-calendar year (or its calendar otherwise changes), every open
stage of its open cases gets the deadline the new calendar gives (``sla.stage_due_recomputed``),
the case's answer and next deadlines follow, a breach recorded for a deadline that has moved into
the future is lifted (the breach event stays in the log), and a ``recompute_deadlines`` event
records what moved, attributed to the person who changed the calendar (П.20).

Kept apart from ``actions.py`` while the action contract is being reshaped (issue 17); it follows
the same contract: a transaction per case, the case row locked, ``save(update_fields=...)``, an
append-only ``CaseEvent``. No notification is sent: a deadline that moves is shown on every
screen, and reminders follow the stored deadlines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from otklik.domain.workflow import OPEN_STATES, StageKey
from otklik.organization.models import Administration
from otklik.sla import services as sla
from otklik.sla.models import Stage

from .models import Case, CaseEvent

ACTION = "recompute_deadlines"


@dataclass(frozen=True)
class RecomputeResult:
    cases: int  # cases whose deadlines moved
    stages: int  # stages whose deadlines moved


def case_deadlines_recompute(
    *, case: Case, actor_id: int | None, reason: str, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """Recompute the open stages of one case; returns what moved (empty: nothing did)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("administration").get(pk=case.pk)
        if not case.is_open:
            return []
        adm = case.administration
        calendar, regulation = adm.calendar, adm.regulation
        stages = sorted(
            Stage.objects.filter(case=case, status=Stage.Status.OPEN),
            key=lambda s: (s.key != StageKey.ANSWER.value, s.pk),  # the answer first: П.11 follows it
        )
        answer_due = case.answer_due_at
        moved: list[dict[str, object]] = []
        for stage in stages:
            due = sla.stage_due_recomputed(
                stage,
                calendar=calendar,
                regulation=regulation,
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
        if not moved:
            return []
        fields = ["next_deadline_at", "next_stage", "updated_at"]
        if answer_due != case.answer_due_at:
            case.answer_due_at = answer_due
            fields.append("answer_due_at")
        case.next_deadline_at, case.next_stage = sla.next_deadline(case.pk)
        case.save(update_fields=fields)
        CaseEvent.objects.create(
            case=case,
            actor_id=actor_id,
            at=now,
            action=ACTION,
            from_state=case.state,
            to_state=case.state,
            payload={"reason": reason, "stages": moved},
        )
    return moved


def administration_deadlines_recompute(
    *, administration: Administration, actor_id: int | None, reason: str, now: dt.datetime | None = None
) -> RecomputeResult:
    """Recompute every open case of the administration, one short transaction per case."""
    now = now or timezone.now()
    ids = list(
        Case.objects.filter(administration=administration, state__in=[s.value for s in OPEN_STATES])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cases = stages = 0
    for pk in ids:
        moved = case_deadlines_recompute(case=Case(pk=pk), actor_id=actor_id, reason=reason, now=now)
        if moved:
            cases += 1
            stages += len(moved)
    return RecomputeResult(cases=cases, stages=stages)
