"""Who works on a case: the departments it is routed to, the lead one, the actor's part (П.7.2, 9, 16).

Reads only, inside an action's transaction (the case row is locked by the contract). An executor
acts through an *active* assignment (not returned, not withdrawn) of one of their departments, or
one addressed to them as a substitute; the joint answer belongs to the last department in the
curator's order (П.16.4).
"""

from __future__ import annotations

import datetime as dt

from otklik.core.errors import NotFound, PermissionDenied, ValidationFailed
from otklik.organization.models import Department, Membership, Role
from otklik.organization.services import Actor, substitute_for

from ..models import Assignment, Case


def active_assignments(case: Case) -> list[Assignment]:
    return [a for a in case.assignments.select_related("department").order_by("order") if a.is_active]


def lead_assignment(case: Case) -> Assignment | None:
    """The last active department in the order: it drafts the joint answer (П.16.4)."""
    active = active_assignments(case)
    return active[-1] if active else None


def actor_assignment(case: Case, actor: Actor, department_id: int | None = None) -> Assignment:
    """The active assignment the executor acts on: of their department, or addressed to them."""
    candidates = [
        a for a in active_assignments(case) if a.department_id in actor.department_ids or a.assignee_id == actor.user_id
    ]
    if department_id is not None:
        candidates = [a for a in candidates if a.department_id == department_id]
    if not candidates:
        if actor.sees_everything:
            raise PermissionDenied("Это действие выполняет исполнитель подразделения, которому направлено обращение.")
        raise NotFound("Обращение не найдено.")
    if len(candidates) > 1:
        # Prefer the lead assignment: that is where an executor of several departments drafts.
        candidates.sort(key=lambda a: (not a.is_lead, a.order))
    return candidates[0]


def lead_executor_assignment(case: Case, actor: Actor) -> Assignment:
    """The lead assignment, if the actor works on it; only its executor drafts and publishes (П.16.4)."""
    assignment = actor_assignment(case, actor)
    lead = lead_assignment(case)
    if lead is None or lead.pk != assignment.pk:
        if lead is not None and (lead.department_id in actor.department_ids or lead.assignee_id == actor.user_id):
            return lead
        raise PermissionDenied("Проект общего ответа готовит последнее подразделение в очерёдности (п. 16).")
    return assignment


def pick_assignee(department: Department, requested: int | None, *, on: dt.date) -> int | None:
    """The executor a routed message goes to: the one asked for, else the first; a substitute
    stands in for one who is absent that day (П.7.2)."""
    executors = list(
        Membership.objects.filter(department=department, role=Role.EXECUTOR, is_active=True)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    if requested is not None:
        if requested not in executors:
            raise ValidationFailed(
                f"Сотрудник не является исполнителем подразделения «{department}».", field="executor"
            )
        chosen: int | None = requested
    else:
        chosen = executors[0] if executors else None
    if chosen is None:
        return None
    return substitute_for(chosen, administration=department.administration, on=on)
