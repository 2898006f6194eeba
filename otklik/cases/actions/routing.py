"""П.8–9, 16 — routing and return: the curator routes a case to one department or to several in
order (the last drafts the joint answer, the others send their parts within ``contribution``); each
department decides on its competence within ``return``: it accepts the case, or returns it to the
curator with a reason, and the curator re-routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.domain.workflow import Action, StageKey, State
from otklik.organization.models import Department
from otklik.organization.services import Actor
from otklik.sla import services as sla
from otklik.sla.models import Stage

from ..models import Assignment, Case
from .assignments import active_assignments, pick_assignee
from .contract import CaseTransition, transition


@dataclass(frozen=True)
class RouteTarget:
    department_id: int
    executor_id: int | None = None


def case_route(
    *, case: Case, actor: Actor, targets: Sequence[RouteTarget], now: dt.datetime | None = None, comment: str = ""
) -> Case:
    """П.8, 16: route to one department, or to several in the curator's order (the last drafts)."""
    if not targets:
        raise ValidationFailed("Укажите хотя бы одно подразделение.", field="departments")
    ids = [t.department_id for t in targets]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Подразделение указано дважды.", field="departments")
    with transition(Action.ROUTE, case=case, actor=actor, now=now) as t:
        departments = Department.objects.filter(administration=t.case.administration, pk__in=ids, is_active=True)
        found = {d.pk: d for d in departments.select_related("administration")}
        if any(i not in found for i in ids):
            raise ValidationFailed("Подразделение не найдено.", field="departments")
        # Earlier assignments (after a return) are kept as history; active ones are withdrawn.
        for old in active_assignments(t.case):
            old.status = Assignment.Status.CANCELLED
            old.save(update_fields=["status"])
            t.withdraw(old)
        last = len(targets) - 1
        created = [_assign(t, found[target.department_id], target, lead=i == last) for i, target in enumerate(targets)]
        t.payload = {
            "departments": [
                dict(id=a.department_id, name=str(a.department), order=a.order, lead=a.is_lead, assignee=a.assignee_id)
                for a in created
            ],
            "comment": comment,
        }
    return t.case


def _assign(t: CaseTransition, department: Department, target: RouteTarget, *, lead: bool) -> Assignment:
    """The next department in the order: its competence decision is due within ``return``; the
    lead's draft ``draft_lead`` before the answer (П.11), another's part within ``contribution``."""
    order = (t.case.assignments.aggregate(m=Max("order"))["m"] or 0) + 1
    today = timezone.localtime(t.now, t.calendar.tz).date()
    assignment = Assignment.objects.create(
        case=t.case,
        administration_id=t.case.administration_id,
        department=department,
        order=order,
        is_lead=lead,
        assignee_id=pick_assignee(department, target.executor_id, on=today),
        received_at=t.now,
    )
    t.open(StageKey.RETURN, assignment=assignment)
    if lead:
        assert t.case.answer_due_at is not None
        due = sla.draft_lead_due(t.calendar, t.regulation, t.now, t.case.answer_due_at)
        t.open(StageKey.DRAFT_LEAD, assignment=assignment, due_at=due)
    else:
        t.open(StageKey.CONTRIBUTION, assignment=assignment)
    return assignment


def _department_payload(assignment: Assignment) -> dict[str, object]:
    return {"department": str(assignment.department), "department_id": assignment.department_id}


def case_accept(*, case: Case, actor: Actor, now: dt.datetime | None = None, department_id: int | None = None) -> Case:
    """The department takes the message as within its competence."""
    with transition(Action.ACCEPT, case=case, actor=actor, now=now, department_id=department_id) as t:
        assignment = t.acting
        if assignment.status != Assignment.Status.RECEIVED:
            raise IllegalTransition("Подразделение уже приняло это обращение.")
        assignment.status = Assignment.Status.ACCEPTED
        assignment.accepted_at = t.now
        if assignment.assignee_id is None or not actor.sees_everything:
            assignment.assignee_id = actor.user_id
        assignment.save(update_fields=["status", "accepted_at", "assignee"])
        Stage.objects.filter(case=t.case, assignment=assignment, status=Stage.Status.OPEN).update(
            responsible_id=assignment.assignee_id
        )
        if assignment.is_lead and t.case.state == State.ROUTED:
            t.target = State.IN_WORK
        t.payload = _department_payload(assignment)
    return t.case


def case_return(
    *, case: Case, actor: Actor, reason: str, now: dt.datetime | None = None, department_id: int | None = None
) -> Case:
    """П.9: not competent — back to the curator with a reason. The curator re-routes."""
    if not reason.strip():
        raise ValidationFailed("Укажите причину возврата.", field="reason")
    with transition(Action.RETURN, case=case, actor=actor, now=now, department_id=department_id) as t:
        assignment = t.acting
        if t.case.drafts.filter(department=assignment.department).exists():
            raise IllegalTransition("Подразделение уже направило проект ответа и не может вернуть обращение.")
        assignment.status = Assignment.Status.RETURNED
        assignment.returned_at = t.now
        assignment.return_reason = reason.strip()
        assignment.save(update_fields=["status", "returned_at", "return_reason"])
        t.withdraw(assignment)
        remaining = active_assignments(t.case)
        if assignment.is_lead or not remaining:
            # The lead department returned: the others' work is withdrawn and the curator re-routes.
            for other in remaining:
                other.status = Assignment.Status.CANCELLED
                other.save(update_fields=["status"])
                t.withdraw(other)
            t.target = State.TRIAGE
            t.open(StageKey.ROUTE)
        t.payload = {**_department_payload(assignment), "reason": assignment.return_reason}
    return t.case


def case_contribute(
    *, case: Case, actor: Actor, text: str, now: dt.datetime | None = None, department_id: int | None = None
) -> Case:
    """П.16.2–3: a department that is not last sends its part of the joint answer."""
    if not text.strip():
        raise ValidationFailed("Введите информацию для общего ответа.", field="text")
    with transition(Action.CONTRIBUTE, case=case, actor=actor, now=now, department_id=department_id) as t:
        assignment = t.acting
        if assignment.is_lead:
            raise IllegalTransition("Последнее подразделение готовит общий проект ответа, а не информацию к нему.")
        if assignment.status == Assignment.Status.CONTRIBUTED:
            raise IllegalTransition("Информация уже направлена.")
        if assignment.status == Assignment.Status.RECEIVED:
            assignment.accepted_at = t.now
        assignment.status = Assignment.Status.CONTRIBUTED
        assignment.contribution = text.strip()
        assignment.contributed_at = t.now
        assignment.contributed_by_id = actor.user_id
        assignment.save(update_fields=["status", "contribution", "contributed_at", "contributed_by", "accepted_at"])
        t.payload = {**_department_payload(assignment), "text": assignment.contribution}
    return t.case
