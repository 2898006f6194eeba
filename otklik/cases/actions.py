"""The one way to change a case (П.6–20).

Every function here is ``case_<verb>(*, case, actor, now, ...)``: it opens a transaction, locks the
case row, checks the workflow table (``otklik.domain.workflow``) and the actor's rights, writes
with ``save(update_fields=...)``, appends a ``CaseEvent``, recomputes the stage deadlines and the
case's next deadline, and leaves side effects (notifications, publication) to
``transaction.on_commit``. Views, the API, tasks, imports and the admin all call these.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from otklik.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from otklik.domain.networks import network as network_info
from otklik.domain.workflow import (
    STATE_TITLES,
    Action,
    DraftKind,
    Importance,
    StageKey,
    State,
    TransitionError,
    check,
    state_after_publication,
)
from otklik.inbox.models import Message
from otklik.organization.models import Administration, Department, Membership, Place, Role, Topic
from otklik.organization.services import Actor, substitute_for
from otklik.sla import services as sla
from otklik.sla.models import Stage

from .listfields import LIST_FIELDS, case_list_fields
from .models import Assignment, Attachment, Case, CaseEvent, Draft, Publication

log = logging.getLogger(__name__)

ACTION_TITLES: dict[str, str] = {
    "detect": "Сообщение выявлено, обращение создано",
    "triage": "Куратор уточнил тематику, место, важность",
    "route": "Направлено в подразделения",
    "refuse": "Не подлежит обработке (п. 19)",
    "attach_message": "Добавлено сообщение",
    "accept": "Принято подразделением",
    "return": "Возвращено куратору (не относится к компетенции)",
    "contribute": "Направлена информация для общего ответа",
    "submit_draft": "Проект направлен на согласование",
    "approve": "Проект согласован",
    "return_draft": "Проект возвращён на доработку",
    "resubmit": "Доработанный проект направлен на согласование",
    "publish": "Ответ размещён",
    "publish_failed": "Автоматическое размещение не удалось",
    "comment": "Комментарий",
    "breach": "Нарушен срок этапа",
}


# --------------------------------------------------------------------------------------------
# helpers


def _now(now: dt.datetime | None) -> dt.datetime:
    value = now or timezone.now()
    if timezone.is_naive(value):
        raise ValueError("now must be timezone-aware")
    return value


def _lock(case: Case) -> Case:
    """Lock the case row for the rest of the transaction and return it fresh from the database.

    Only the case row (``of=("self",)``): without it PostgreSQL would also lock the joined
    administration row, and every action of the administration would wait for every other.
    """
    return Case.objects.select_for_update(of=("self",)).select_related("administration").get(pk=case.pk)


#: What the person tried to do, for the 409 message: «Нельзя согласовать проект: …».
ACTION_VERBS: dict[str, str] = {
    "triage": "изменить тематику, место или важность",
    "route": "направить в подразделения",
    "refuse": "отказать в обработке (п. 19)",
    "attach_message": "добавить сообщение к обращению",
    "accept": "принять обращение в работу",
    "return": "вернуть обращение куратору",
    "contribute": "направить информацию для общего ответа",
    "submit_draft": "направить проект на согласование",
    "approve": "согласовать проект",
    "return_draft": "вернуть проект на доработку",
    "resubmit": "направить доработанный проект",
    "publish": "разместить ответ",
    "publish_failed": "отметить неудачное размещение",
    "comment": "добавить комментарий",
}


def _check(action: Action, case: Case) -> None:
    try:
        check(action, State(case.state))
    except TransitionError:
        raise IllegalTransition(
            f"Нельзя {ACTION_VERBS.get(action.value, action.value)}: "
            f"обращение № {case.number} в состоянии «{STATE_TITLES[State(case.state)]}».",
            extra={"state": case.state, "action": action.value},
        ) from None


def _same_tenant(case: Case, actor: Actor) -> None:
    if case.administration_id != actor.administration.pk:
        raise NotFound("Обращение не найдено.")


def _require_curator(case: Case, actor: Actor) -> None:
    _same_tenant(case, actor)
    if not actor.is_curator:
        raise PermissionDenied("Это действие выполняет куратор.")


def _event(
    case: Case,
    *,
    actor: Actor | None,
    action: str,
    at: dt.datetime,
    from_state: str,
    payload: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor_id=actor.user_id if actor else None,
        at=at,
        action=action,
        from_state=from_state,
        to_state=case.state,
        payload=payload or {},
    )
    event_id = event.pk
    transaction.on_commit(lambda: _after_event(event_id))
    if action in _LABELLED_ACTIONS:
        case_id = case.pk
        transaction.on_commit(lambda: _record_label(case_id))
    return event


def _after_event(event_id: int) -> None:
    from otklik.notify.tasks import case_event_created

    case_event_created.delay(event_id)


#: Curator decisions that the triage adapter learns from (its labels).
_LABELLED_ACTIONS = frozenset({"detect", "triage", "refuse"})


def _record_label(case_id: int) -> None:
    """Record the curator's decision as a triage label at once (beat also catches up later)."""
    from otklik.triage.services import record_decision

    try:
        record_decision(Case.objects.get(pk=case_id))
    except Exception:  # a label must never undo or break the action that was committed
        log.exception("could not record the triage label of case %s", case_id)


def _refresh_next_deadline(case: Case) -> None:
    """The derived list fields (``otklik.cases.listfields``) from the nearest open stage, and
    ``Assignment.case_open`` of each of the case's assignments. Called after every change of a
    case's stages or state."""
    fields = case_list_fields(sla.nearest_open_stage(case.pk), calendar=case.administration.calendar)
    for name, value in fields.items():
        setattr(case, name, value)
    case.save(update_fields=[*LIST_FIELDS, "updated_at"])
    Assignment.objects.filter(case=case).exclude(case_open=case.is_open).update(case_open=case.is_open)


def _set_state(case: Case, state: State, *, fields: Sequence[str] = ()) -> None:
    case.state = state.value
    case.save(update_fields=["state", "updated_at", *fields])


def _active_assignments(case: Case) -> list[Assignment]:
    return [
        a
        for a in case.assignments.select_related("department").order_by("order")
        if a.status not in (Assignment.Status.RETURNED, Assignment.Status.CANCELLED)
    ]


def _lead(case: Case) -> Assignment | None:
    active = _active_assignments(case)
    return active[-1] if active else None


def _actor_assignment(case: Case, actor: Actor, department_id: int | None = None) -> Assignment:
    """The active assignment the executor acts on: of their department, or addressed to them."""
    _same_tenant(case, actor)
    candidates = [
        a
        for a in _active_assignments(case)
        if a.department_id in actor.department_ids or a.assignee_id == actor.user_id
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


def _is_lead_executor(case: Case, actor: Actor) -> Assignment:
    assignment = _actor_assignment(case, actor)
    lead = _lead(case)
    if lead is None or lead.pk != assignment.pk:
        if lead is not None and (lead.department_id in actor.department_ids or lead.assignee_id == actor.user_id):
            return lead
        raise PermissionDenied("Проект общего ответа готовит последнее подразделение в очерёдности (п. 16).")
    return assignment


def _lead_links(lead: Assignment | None) -> dict[str, int | None]:
    """A stage of the joint answer belongs to the lead department and its executor."""
    return {
        "department_id": lead.department_id if lead else None,
        "responsible_id": lead.assignee_id if lead else None,
    }


def _pick_assignee(department: Department, requested: int | None, *, on: dt.date) -> int | None:
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


def _case_number(administration_id: int) -> int:
    """The next case number of the administration. Call inside a transaction: the administration
    row is locked until it ends, so two detections at once cannot take the same number."""
    Administration.objects.select_for_update().filter(pk=administration_id).values_list("pk", flat=True).first()
    top = Case.objects.filter(administration_id=administration_id).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


# --------------------------------------------------------------------------------------------
# curator: detection and triage (П.6, 8, 17, 19)


@dataclass(frozen=True)
class TriageData:
    topic_ids: Sequence[int] = ()
    place_id: int | None = None
    importance: str | None = None
    shortened_deadline: dt.datetime | None = None
    summary: str | None = None
    significant: bool | None = None


def case_detect(
    *,
    message: Message,
    actor: Actor,
    now: dt.datetime | None = None,
    detected_at: dt.datetime | None = None,
    triage: TriageData | None = None,
    repeat_of: Case | None = None,
) -> Case:
    """П.6, 8: the curator marks a message as needing a response. That instant is the detection time.

    ``detected_at`` may be given for imports of past data; it cannot be in the future.
    ``repeat_of`` links a repeat message to the earlier case (П.17).
    """
    now = _now(now)
    if not actor.is_curator:
        raise PermissionDenied("Выявлять сообщения, требующие реагирования, может куратор.")
    if message.administration_id != actor.administration.pk:
        raise NotFound("Сообщение не найдено.")
    detected = detected_at or now
    if detected > now:
        raise ValidationFailed("Время выявления не может быть в будущем.", field="detected_at")
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != Message.Status.NEW or locked.case_id:
            raise IllegalTransition("Сообщение уже разобрано.")
        if repeat_of is not None and repeat_of.administration_id != actor.administration.pk:
            raise NotFound("Обращение, повтором которого является сообщение, не найдено.")
        adm = actor.administration
        case = Case.objects.create(
            administration=adm,
            number=_case_number(adm.pk),
            state=State.TRIAGE.value,
            network=locked.network,
            summary=(triage.summary if triage and triage.summary else locked.text[:300]),
            detected_at=detected,
            detected_by_id=actor.user_id,
            repeat_of=repeat_of,
        )
        locked.case = case
        locked.status = Message.Status.IN_CASE
        locked.save(update_fields=["case", "status"])
        calendar, regulation = adm.calendar, adm.regulation
        sla.stage_start(
            case_id=case.pk,
            key=StageKey.ROUTE,
            started_at=detected,
            calendar=calendar,
            regulation=regulation,
            responsible_id=actor.user_id,
        )
        answer = sla.stage_start(
            case_id=case.pk, key=StageKey.ANSWER, started_at=detected, calendar=calendar, regulation=regulation
        )
        case.answer_due_at = answer.due_at
        case.save(update_fields=["answer_due_at"])
        _event(
            case,
            actor=actor,
            action="detect",
            at=now,
            from_state="",
            payload={
                "message_id": locked.pk,
                "detected_at": detected.isoformat(),
                "repeat_of": repeat_of.number if repeat_of else None,
            },
        )
        if triage is not None:
            _apply_triage(case, triage, actor=actor, now=now, from_state=case.state)
        _refresh_next_deadline(case)
    return case


def _apply_triage(case: Case, data: TriageData, *, actor: Actor, now: dt.datetime, from_state: str) -> None:
    adm_id = case.administration_id
    changes: dict[str, Any] = {}
    fields: list[str] = []
    if data.topic_ids:
        topics = list(Topic.objects.filter(administration_id=adm_id, pk__in=list(data.topic_ids)))
        if len(topics) != len(set(data.topic_ids)):
            raise ValidationFailed("Неизвестная тематика.", field="topic_ids")
        case.topics.set(topics)
        changes["topics"] = [t.name for t in topics]
    if data.place_id is not None:
        place = Place.objects.filter(administration_id=adm_id, pk=data.place_id).first()
        if place is None:
            raise ValidationFailed("Неизвестное место.", field="place_id")
        case.place = place
        fields.append("place")
        changes["place"] = str(place)
    if data.importance is not None:
        try:
            case.importance = Importance(data.importance).value
        except ValueError:
            raise ValidationFailed("Неизвестная категория важности.", field="importance") from None
        fields.append("importance")
        changes["importance"] = case.importance
    if data.significant is not None:
        case.significant = data.significant
        fields.append("significant")
        changes["significant"] = data.significant
    if data.summary:
        case.summary = data.summary[:500]
        fields.append("summary")
    if data.shortened_deadline is not None:
        _set_shortened_deadline(case, data.shortened_deadline, now=now)
        fields.extend(["shortened_deadline", "answer_due_at"])
        changes["shortened_deadline"] = data.shortened_deadline.isoformat()
    if fields:
        case.save(update_fields=[*fields, "updated_at"])
    if changes:
        _event(case, actor=actor, action="triage", at=now, from_state=from_state, payload=changes)


def _set_shortened_deadline(case: Case, deadline: dt.datetime, *, now: dt.datetime) -> None:
    """П.8: the curator may shorten the П.10 deadline, never extend it."""
    if timezone.is_naive(deadline):
        raise ValidationFailed("Срок должен содержать часовой пояс.", field="shortened_deadline")
    calendar, regulation = case.administration.calendar, case.administration.regulation
    regular = sla.due(calendar, regulation, StageKey.ANSWER, case.detected_at)
    if deadline > regular:
        raise ValidationFailed(
            "Сокращённый срок не может быть позже срока по регламенту (п. 10).", field="shortened_deadline"
        )
    if deadline <= now:
        raise ValidationFailed("Сокращённый срок уже прошёл.", field="shortened_deadline")
    case.shortened_deadline = deadline
    case.answer_due_at = deadline
    Stage.objects.filter(case=case, key=StageKey.ANSWER.value, status=Stage.Status.OPEN).update(
        due_at=deadline, limit_seconds=int(calendar.elapsed(case.detected_at, deadline).total_seconds())
    )
    for stage in Stage.objects.filter(case=case, key=StageKey.DRAFT_LEAD.value, status=Stage.Status.OPEN):
        stage.due_at = sla.draft_lead_due(calendar, regulation, stage.started_at, deadline)
        stage.save(update_fields=["due_at"])


def case_triage(*, case: Case, actor: Actor, data: TriageData, now: dt.datetime | None = None) -> Case:
    """П.8: set or change topic(s), place, importance, a shortened deadline."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.TRIAGE, case)
        _apply_triage(case, data, actor=actor, now=now, from_state=case.state)
        _refresh_next_deadline(case)
    return case


@dataclass(frozen=True)
class RouteTarget:
    department_id: int
    executor_id: int | None = None


def case_route(
    *, case: Case, actor: Actor, targets: Sequence[RouteTarget], now: dt.datetime | None = None, comment: str = ""
) -> Case:
    """П.8, 16: route to one department, or to several in the curator's order (the last drafts)."""
    now = _now(now)
    if not targets:
        raise ValidationFailed("Укажите хотя бы одно подразделение.", field="departments")
    ids = [t.department_id for t in targets]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Подразделение указано дважды.", field="departments")
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.ROUTE, case)
        departments = {
            d.pk: d
            for d in Department.objects.filter(
                administration=case.administration, pk__in=ids, is_active=True
            ).select_related("administration")
        }
        missing = [i for i in ids if i not in departments]
        if missing:
            raise ValidationFailed("Подразделение не найдено.", field="departments")
        calendar, regulation = case.administration.calendar, case.administration.regulation
        # Earlier assignments (after a return) are kept as history; active ones are withdrawn.
        for old in case.assignments.exclude(status__in=[Assignment.Status.RETURNED, Assignment.Status.CANCELLED]):
            old.status = Assignment.Status.CANCELLED
            old.save(update_fields=["status"])
            sla.close_open(
                case_id=case.pk, keys=set(StageKey), at=now, calendar=calendar, assignment_id=old.pk, cancelled=True
            )
        start_order = (case.assignments.aggregate(m=Max("order"))["m"] or 0) + 1
        local_today = timezone.localtime(now, calendar.tz).date()
        created: list[Assignment] = []
        for i, target in enumerate(targets):
            dept = departments[target.department_id]
            is_lead = i == len(targets) - 1
            assignment = Assignment.objects.create(
                case=case,
                department=dept,
                order=start_order + i,
                is_lead=is_lead,
                assignee_id=_pick_assignee(dept, target.executor_id, on=local_today),
                received_at=now,
            )
            created.append(assignment)
            sla.stage_start(
                case_id=case.pk,
                key=StageKey.RETURN,
                started_at=now,
                calendar=calendar,
                regulation=regulation,
                assignment_id=assignment.pk,
                department_id=dept.pk,
                responsible_id=assignment.assignee_id,
            )
            if is_lead:
                assert case.answer_due_at is not None
                sla.stage_open(
                    case_id=case.pk,
                    key=StageKey.DRAFT_LEAD,
                    started_at=now,
                    due_at=sla.draft_lead_due(calendar, regulation, now, case.answer_due_at),
                    assignment_id=assignment.pk,
                    department_id=dept.pk,
                    responsible_id=assignment.assignee_id,
                )
            else:
                sla.stage_start(
                    case_id=case.pk,
                    key=StageKey.CONTRIBUTION,
                    started_at=now,
                    calendar=calendar,
                    regulation=regulation,
                    assignment_id=assignment.pk,
                    department_id=dept.pk,
                    responsible_id=assignment.assignee_id,
                )
        sla.close_open(case_id=case.pk, keys={StageKey.ROUTE}, at=now, calendar=calendar)
        from_state = case.state
        _set_state(case, State.ROUTED)
        _event(
            case,
            actor=actor,
            action="route",
            at=now,
            from_state=from_state,
            payload={
                "departments": [
                    {
                        "id": a.department_id,
                        "name": str(a.department),
                        "order": a.order,
                        "lead": a.is_lead,
                        "assignee": a.assignee_id,
                    }
                    for a in created
                ],
                "comment": comment,
            },
        )
        _refresh_next_deadline(case)
    return case


def case_refuse(*, case: Case, actor: Actor, reason: str, now: dt.datetime | None = None) -> Case:
    """П.19: the message is not processed and not answered; the decision and reason are recorded."""
    now = _now(now)
    if not reason.strip():
        raise ValidationFailed("Укажите основание (п. 19).", field="reason")
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.REFUSE, case)
        calendar = case.administration.calendar
        sla.close_open(case_id=case.pk, keys={StageKey.ROUTE}, at=now, calendar=calendar)
        sla.close_open(case_id=case.pk, keys=set(StageKey), at=now, calendar=calendar, cancelled=True)
        from_state = case.state
        case.refusal_reason = reason.strip()
        case.closed_at = now
        _set_state(case, State.REFUSED, fields=["refusal_reason", "closed_at"])
        _event(
            case, actor=actor, action="refuse", at=now, from_state=from_state, payload={"reason": case.refusal_reason}
        )
        _refresh_next_deadline(case)
    return case


def message_refuse(*, message: Message, actor: Actor, reason: str, now: dt.datetime | None = None) -> Case:
    """П.19 straight from the inbox: the decision is recorded as a refused case."""
    now = _now(now)
    if not reason.strip():
        raise ValidationFailed("Укажите основание (п. 19).", field="reason")
    with transaction.atomic():
        case = case_detect(message=message, actor=actor, now=now)
        return case_refuse(case=case, actor=actor, reason=reason, now=now)


def case_attach_message(*, case: Case, message: Message, actor: Actor, now: dt.datetime | None = None) -> Case:
    """Another message about the same issue joins an open case (no new deadlines)."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.ATTACH_MESSAGE, case)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.administration_id != case.administration_id:
            raise NotFound("Сообщение не найдено.")
        if locked.status != Message.Status.NEW or locked.case_id:
            raise IllegalTransition("Сообщение уже разобрано.")
        locked.case = case
        locked.status = Message.Status.IN_CASE
        locked.save(update_fields=["case", "status"])
        _event(
            case, actor=actor, action="attach_message", at=now, from_state=case.state, payload={"message_id": locked.pk}
        )
    return case


# --------------------------------------------------------------------------------------------
# executor (П.9–11, 13, 14, 16)


def case_accept(*, case: Case, actor: Actor, now: dt.datetime | None = None, department_id: int | None = None) -> Case:
    """The department takes the message as within its competence."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        _check(Action.ACCEPT, case)
        assignment = _actor_assignment(case, actor, department_id)
        if assignment.status != Assignment.Status.RECEIVED:
            raise IllegalTransition("Подразделение уже приняло это обращение.")
        assignment.status = Assignment.Status.ACCEPTED
        assignment.accepted_at = now
        if assignment.assignee_id is None or not actor.sees_everything:
            assignment.assignee_id = actor.user_id
        assignment.save(update_fields=["status", "accepted_at", "assignee"])
        calendar = case.administration.calendar
        sla.close_open(case_id=case.pk, keys={StageKey.RETURN}, at=now, calendar=calendar, assignment_id=assignment.pk)
        Stage.objects.filter(case=case, assignment=assignment, status=Stage.Status.OPEN).update(
            responsible_id=assignment.assignee_id
        )
        from_state = case.state
        if assignment.is_lead and case.state == State.ROUTED:
            _set_state(case, State.IN_WORK)
        _event(
            case,
            actor=actor,
            action="accept",
            at=now,
            from_state=from_state,
            payload={"department": str(assignment.department), "department_id": assignment.department_id},
        )
        _refresh_next_deadline(case)
    return case


def case_return(
    *, case: Case, actor: Actor, reason: str, now: dt.datetime | None = None, department_id: int | None = None
) -> Case:
    """П.9: not competent — back to the curator with a reason. The curator re-routes."""
    now = _now(now)
    if not reason.strip():
        raise ValidationFailed("Укажите причину возврата.", field="reason")
    with transaction.atomic():
        case = _lock(case)
        _check(Action.RETURN, case)
        assignment = _actor_assignment(case, actor, department_id)
        if case.drafts.filter(department=assignment.department).exists():
            raise IllegalTransition("Подразделение уже направило проект ответа и не может вернуть обращение.")
        calendar, regulation = case.administration.calendar, case.administration.regulation
        assignment.status = Assignment.Status.RETURNED
        assignment.returned_at = now
        assignment.return_reason = reason.strip()
        assignment.save(update_fields=["status", "returned_at", "return_reason"])
        sla.close_open(case_id=case.pk, keys={StageKey.RETURN}, at=now, calendar=calendar, assignment_id=assignment.pk)
        sla.close_open(
            case_id=case.pk,
            keys=set(StageKey) - {StageKey.ANSWER},
            at=now,
            calendar=calendar,
            assignment_id=assignment.pk,
            cancelled=True,
        )
        from_state = case.state
        remaining = _active_assignments(case)
        if assignment.is_lead or not remaining:
            # The lead department returned: the others' work is withdrawn and the curator re-routes.
            for other in remaining:
                other.status = Assignment.Status.CANCELLED
                other.save(update_fields=["status"])
                sla.close_open(
                    case_id=case.pk,
                    keys=set(StageKey) - {StageKey.ANSWER},
                    at=now,
                    calendar=calendar,
                    assignment_id=other.pk,
                    cancelled=True,
                )
            _set_state(case, State.TRIAGE)
            sla.stage_start(
                case_id=case.pk,
                key=StageKey.ROUTE,
                started_at=now,
                calendar=calendar,
                regulation=regulation,
            )
        _event(
            case,
            actor=actor,
            action="return",
            at=now,
            from_state=from_state,
            payload={
                "department": str(assignment.department),
                "department_id": assignment.department_id,
                "reason": assignment.return_reason,
            },
        )
        _refresh_next_deadline(case)
    return case


def case_contribute(
    *, case: Case, actor: Actor, text: str, now: dt.datetime | None = None, department_id: int | None = None
) -> Case:
    """П.16.2–3: a department that is not last sends its part of the joint answer."""
    now = _now(now)
    if not text.strip():
        raise ValidationFailed("Введите информацию для общего ответа.", field="text")
    with transaction.atomic():
        case = _lock(case)
        _check(Action.CONTRIBUTE, case)
        assignment = _actor_assignment(case, actor, department_id)
        if assignment.is_lead:
            raise IllegalTransition("Последнее подразделение готовит общий проект ответа, а не информацию к нему.")
        if assignment.status == Assignment.Status.CONTRIBUTED:
            raise IllegalTransition("Информация уже направлена.")
        calendar = case.administration.calendar
        if assignment.status == Assignment.Status.RECEIVED:
            sla.close_open(
                case_id=case.pk, keys={StageKey.RETURN}, at=now, calendar=calendar, assignment_id=assignment.pk
            )
            assignment.accepted_at = now
        assignment.status = Assignment.Status.CONTRIBUTED
        assignment.contribution = text.strip()
        assignment.contributed_at = now
        assignment.contributed_by_id = actor.user_id
        assignment.save(update_fields=["status", "contribution", "contributed_at", "contributed_by", "accepted_at"])
        sla.close_open(
            case_id=case.pk, keys={StageKey.CONTRIBUTION}, at=now, calendar=calendar, assignment_id=assignment.pk
        )
        _event(
            case,
            actor=actor,
            action="contribute",
            at=now,
            from_state=case.state,
            payload={
                "department": str(assignment.department),
                "department_id": assignment.department_id,
                "text": assignment.contribution,
            },
        )
        _refresh_next_deadline(case)
    return case


def _validate_draft(case: Case, kind: DraftKind, text: str, measures_taken: str) -> None:
    if not text.strip():
        raise ValidationFailed("Введите текст проекта.", field="text")
    limit = network_info(case.network).max_answer_length
    if len(text) > limit:
        raise ValidationFailed(
            f"Текст длиннее, чем допускает сеть ({len(text)} из {limit} знаков, п. 18).", field="text"
        )
    if case.repeat_of_id and kind is DraftKind.ANSWER and not measures_taken.strip():
        raise ValidationFailed(
            "Ответ на повторное сообщение должен содержать информацию о принятых мерах или о ходе решения (п. 17).",
            field="measures_taken",
        )


def case_submit_draft(
    *,
    case: Case,
    actor: Actor,
    kind: str,
    text: str,
    measures_taken: str = "",
    attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.11: the lead executor sends a draft answer, interim answer or clarification to the curator."""
    now = _now(now)
    try:
        draft_kind = DraftKind(kind)
    except ValueError:
        raise ValidationFailed("Неизвестный вид проекта.", field="kind") from None
    with transaction.atomic():
        case = _lock(case)
        _check(Action.SUBMIT_DRAFT, case)
        assignment = _is_lead_executor(case, actor)
        _validate_draft(case, draft_kind, text, measures_taken)
        calendar = case.administration.calendar
        if assignment.status == Assignment.Status.RECEIVED:
            # Sending a draft implies accepting the message.
            assignment.status = Assignment.Status.ACCEPTED
            assignment.accepted_at = now
            assignment.assignee_id = assignment.assignee_id or actor.user_id
            assignment.save(update_fields=["status", "accepted_at", "assignee"])
            sla.close_open(
                case_id=case.pk, keys={StageKey.RETURN}, at=now, calendar=calendar, assignment_id=assignment.pk
            )
        version = case.drafts.count() + 1
        draft = Draft.objects.create(
            case=case,
            department=assignment.department,
            kind=draft_kind.value,
            version=version,
            text=text.strip(),
            measures_taken=measures_taken.strip(),
            author_id=actor.user_id,
            submitted_at=now,
        )
        _bind_attachments(case, draft, attachment_ids, actor)
        sla.close_open(
            case_id=case.pk, keys={StageKey.DRAFT_LEAD, StageKey.FINAL_AFTER_INTERIM}, at=now, calendar=calendar
        )
        _open_review(case, draft, now=now)
        from_state = case.state
        _set_state(case, State.REVIEW)
        _event(
            case,
            actor=actor,
            action="submit_draft",
            at=now,
            from_state=from_state,
            payload={"draft_id": draft.pk, "kind": draft.kind, "version": draft.version},
        )
        _refresh_next_deadline(case)
    return draft


def _open_review(case: Case, draft: Draft, *, now: dt.datetime) -> None:
    calendar, regulation = case.administration.calendar, case.administration.regulation
    sla.stage_start(
        case_id=case.pk,
        key=StageKey.REVIEW,
        started_at=now,
        calendar=calendar,
        regulation=regulation,
        draft_id=draft.pk,
    )


def _bind_attachments(case: Case, draft: Draft, attachment_ids: Sequence[int], actor: Actor) -> None:
    if not attachment_ids:
        return
    found = Attachment.objects.filter(case=case, pk__in=list(attachment_ids), draft__isnull=True)
    if found.count() != len(set(attachment_ids)):
        raise ValidationFailed("Вложение не найдено или уже использовано.", field="attachment_ids")
    found.update(draft=draft)


def case_resubmit(
    *,
    case: Case,
    actor: Actor,
    text: str,
    measures_taken: str = "",
    attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.13: the reworked draft goes back to the curator — a new version; the old one is kept."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        _check(Action.RESUBMIT, case)
        assignment = _is_lead_executor(case, actor)
        previous = case.drafts.filter(status=Draft.Status.RETURNED).order_by("-version").first()
        if previous is None:
            raise IllegalTransition("Нет проекта, возвращённого на доработку.")
        kind = DraftKind(previous.kind)
        _validate_draft(case, kind, text, measures_taken or previous.measures_taken)
        previous.status = Draft.Status.SUPERSEDED
        previous.save(update_fields=["status"])
        draft = Draft.objects.create(
            case=case,
            department=assignment.department,
            kind=kind.value,
            version=case.drafts.count() + 1,
            text=text.strip(),
            measures_taken=(measures_taken or previous.measures_taken).strip(),
            author_id=actor.user_id,
            submitted_at=now,
        )
        _bind_attachments(case, draft, attachment_ids, actor)
        # Attachments of the previous version carry over unless new ones were given.
        if not attachment_ids:
            Attachment.objects.filter(draft=previous).update(draft=draft)
        calendar = case.administration.calendar
        sla.close_open(case_id=case.pk, keys={StageKey.REWORK}, at=now, calendar=calendar)
        _open_review(case, draft, now=now)
        from_state = case.state
        _set_state(case, State.REVIEW)
        _event(
            case,
            actor=actor,
            action="resubmit",
            at=now,
            from_state=from_state,
            payload={"draft_id": draft.pk, "kind": draft.kind, "version": draft.version},
        )
        _refresh_next_deadline(case)
    return draft


# --------------------------------------------------------------------------------------------
# curator review (П.12)


def _draft_under_review(case: Case, draft_id: int | None) -> Draft:
    draft = case.drafts.filter(status=Draft.Status.REVIEW).order_by("-version").first()
    if draft is None or (draft_id is not None and draft.pk != draft_id):
        raise IllegalTransition("Этот проект уже рассмотрен.")
    return draft


def case_approve(*, case: Case, actor: Actor, draft_id: int | None = None, now: dt.datetime | None = None) -> Draft:
    """П.12: the curator approves the draft; publication is due within ``publish`` (П.14)."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.APPROVE, case)
        draft = _draft_under_review(case, draft_id)
        draft.status = Draft.Status.APPROVED
        draft.reviewed_by_id = actor.user_id
        draft.reviewed_at = now
        draft.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        calendar, regulation = case.administration.calendar, case.administration.regulation
        sla.close_open(case_id=case.pk, keys={StageKey.REVIEW}, at=now, calendar=calendar)
        lead = _lead(case)
        sla.stage_start(
            case_id=case.pk,
            key=StageKey.PUBLISH,
            started_at=now,
            calendar=calendar,
            regulation=regulation,
            draft_id=draft.pk,
            **_lead_links(lead),
        )
        from_state = case.state
        _set_state(case, State.APPROVED)
        _event(
            case,
            actor=actor,
            action="approve",
            at=now,
            from_state=from_state,
            payload={"draft_id": draft.pk, "version": draft.version},
        )
        _refresh_next_deadline(case)
        if network_info(case.network).can_publish and case.messages.exclude(external_id="").exists():
            publication = Publication.objects.create(draft=draft, case=case, guid=uuid.uuid4().hex)
            pub_id = publication.pk
            transaction.on_commit(lambda: _enqueue_publication(pub_id))
    return draft


def _enqueue_publication(publication_id: int) -> None:
    from otklik.cases.tasks import publish_answer

    publish_answer.delay(publication_id)


def case_return_draft(
    *, case: Case, actor: Actor, comment: str, draft_id: int | None = None, now: dt.datetime | None = None
) -> Draft:
    """П.12–13: back to the executor for rework, with the curator's comments."""
    now = _now(now)
    if not comment.strip():
        raise ValidationFailed("Укажите замечания к проекту.", field="comment")
    with transaction.atomic():
        case = _lock(case)
        _require_curator(case, actor)
        _check(Action.RETURN_DRAFT, case)
        draft = _draft_under_review(case, draft_id)
        draft.status = Draft.Status.RETURNED
        draft.reviewed_by_id = actor.user_id
        draft.reviewed_at = now
        draft.review_comment = comment.strip()
        draft.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
        calendar, regulation = case.administration.calendar, case.administration.regulation
        sla.close_open(case_id=case.pk, keys={StageKey.REVIEW}, at=now, calendar=calendar)
        lead = _lead(case)
        sla.stage_start(
            case_id=case.pk,
            key=StageKey.REWORK,
            started_at=now,
            calendar=calendar,
            regulation=regulation,
            draft_id=draft.pk,
            **_lead_links(lead),
        )
        from_state = case.state
        _set_state(case, State.REWORK)
        _event(
            case,
            actor=actor,
            action="return_draft",
            at=now,
            from_state=from_state,
            payload={"draft_id": draft.pk, "version": draft.version, "comment": draft.review_comment},
        )
        _refresh_next_deadline(case)
    return draft


# --------------------------------------------------------------------------------------------
# publication (П.14, 15)


def case_publish(
    *,
    case: Case,
    actor: Actor | None,
    url: str,
    external_id: str = "",
    now: dt.datetime | None = None,
) -> Draft:
    """П.14: the approved answer is published in the same network; record where.

    ``actor`` is None when the system published it itself through the connector. An answer closes
    the case; an interim answer or a clarification request leaves it open with the final answer's
    draft due within ``final_after_interim`` (П.15).
    """
    now = _now(now)
    if not url.strip():
        raise ValidationFailed("Укажите ссылку на размещённый ответ.", field="url")
    with transaction.atomic():
        case = _lock(case)
        if actor is not None:
            _same_tenant(case, actor)
            if not actor.is_curator:
                _is_lead_executor(case, actor)
        _check(Action.PUBLISH, case)
        draft = case.drafts.filter(status=Draft.Status.APPROVED).order_by("-version").first()
        if draft is None:
            raise IllegalTransition("Нет согласованного ответа для размещения.")
        draft.status = Draft.Status.PUBLISHED
        draft.published_at = now
        draft.published_by_id = actor.user_id if actor else None
        draft.published_url = url.strip()[:1000]
        draft.published_external_id = external_id[:255]
        draft.save(update_fields=["status", "published_at", "published_by", "published_url", "published_external_id"])
        Publication.objects.filter(draft=draft).exclude(status=Publication.Status.PUBLISHED).update(
            status=Publication.Status.PUBLISHED, url=draft.published_url, external_id=draft.published_external_id
        )
        calendar, regulation = case.administration.calendar, case.administration.regulation
        sla.close_open(case_id=case.pk, keys={StageKey.PUBLISH, StageKey.ANSWER}, at=now, calendar=calendar)
        kind = DraftKind(draft.kind)
        target = state_after_publication(kind)
        from_state = case.state
        fields: list[str] = []
        if target is State.CLOSED:
            case.closed_at = now
            fields.append("closed_at")
            # Anything still open (e.g. a contribution never sent) is cancelled, not left dangling.
            sla.close_open(case_id=case.pk, keys=set(StageKey), at=now, calendar=calendar, cancelled=True)
        else:
            lead = _lead(case)
            sla.stage_start(
                case_id=case.pk,
                key=StageKey.FINAL_AFTER_INTERIM,
                started_at=now,
                calendar=calendar,
                regulation=regulation,
                draft_id=draft.pk,
                **_lead_links(lead),
            )
        _set_state(case, target, fields=fields)
        _event(
            case,
            actor=actor,
            action="publish",
            at=now,
            from_state=from_state,
            payload={
                "draft_id": draft.pk,
                "kind": draft.kind,
                "url": draft.published_url,
                "external_id": draft.published_external_id,
                "automatic": actor is None,
            },
        )
        _refresh_next_deadline(case)
    return draft


def case_publication_failed(*, publication: Publication, error: str, now: dt.datetime | None = None) -> Publication:
    """The connector cannot publish (permanently): the executor publishes by hand (П.14)."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(publication.case)
        pub = Publication.objects.select_for_update().get(pk=publication.pk)
        if pub.status == Publication.Status.PUBLISHED:
            return pub
        pub.status = Publication.Status.MANUAL
        pub.last_error = error[:2000]
        pub.save(update_fields=["status", "last_error", "updated_at"])
        _event(
            case,
            actor=None,
            action="publish_failed",
            at=now,
            from_state=case.state,
            payload={"error": pub.last_error, "draft_id": pub.draft_id},
        )
    return pub


def case_comment(*, case: Case, actor: Actor, text: str, now: dt.datetime | None = None) -> CaseEvent:
    now = _now(now)
    if not text.strip():
        raise ValidationFailed("Введите комментарий.", field="text")
    with transaction.atomic():
        case = _lock(case)
        _same_tenant(case, actor)
        if not actor.sees_everything:
            _actor_assignment(case, actor)
        return _event(
            case, actor=actor, action="comment", at=now, from_state=case.state, payload={"text": text.strip()}
        )


# --------------------------------------------------------------------------------------------
# attachments (П.18)

ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg": 10 * 1024 * 1024,
    "image/png": 10 * 1024 * 1024,
    "image/gif": 10 * 1024 * 1024,
    "image/webp": 10 * 1024 * 1024,
    "video/mp4": 200 * 1024 * 1024,
    "video/quicktime": 200 * 1024 * 1024,
    "video/webm": 200 * 1024 * 1024,
}

_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"\x1aE\xdf\xa3": "video/webm",
}


def sniff_content_type(head: bytes) -> str | None:
    for magic, ctype in _MAGIC.items():
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    return None


def case_attach_file(*, case: Case, actor: Actor, upload: Any, now: dt.datetime | None = None) -> Attachment:
    """Upload a photo or video for a draft; the type is checked by content, not by name."""
    now = _now(now)
    head = upload.read(16)
    upload.seek(0)
    ctype = sniff_content_type(head)
    if ctype is None or ctype not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationFailed("Допускаются только фото (JPEG, PNG, GIF, WebP) и видео (MP4, MOV, WebM).", field="file")
    if upload.size > ALLOWED_ATTACHMENT_TYPES[ctype]:
        limit_mb = ALLOWED_ATTACHMENT_TYPES[ctype] // (1024 * 1024)
        raise ValidationFailed(f"Файл больше допустимого размера ({limit_mb} МБ).", field="file")
    with transaction.atomic():
        case = _lock(case)
        _same_tenant(case, actor)
        if not case.is_open:
            raise IllegalTransition(f"Обращение № {case.number} закрыто: вложения к нему не добавляются.")
        if not actor.is_curator:
            _actor_assignment(case, actor)
        return Attachment.objects.create(
            case=case,
            file=upload,
            original_name=str(getattr(upload, "name", "file"))[:255],
            content_type=ctype,
            size=upload.size,
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )
