"""П.6–8, 17 — detection and triage: the curator picks a message that needs a response, sets its
topic(s), place and importance (and may shorten the П.10 deadline), and adds further messages about
the same issue to its case. A repeat message is linked to the earlier case (П.17).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from otklik.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from otklik.domain.workflow import Action, Importance, StageKey, State
from otklik.inbox.models import Message
from otklik.organization.models import Administration, Place, Topic
from otklik.organization.services import Actor
from otklik.sla import services as sla
from otklik.sla.models import Stage

from ..models import Case
from .contract import CaseTransition, resolve_now, transition


@dataclass(frozen=True)
class TriageData:
    topic_ids: Sequence[int] = ()
    place_id: int | None = None
    importance: str | None = None
    shortened_deadline: dt.datetime | None = None
    summary: str | None = None
    significant: bool | None = None


def _case_number(administration_id: int) -> int:
    """The next case number of the administration. Call inside a transaction: the administration
    row is locked until it ends, so two detections at once cannot take the same number."""
    Administration.objects.select_for_update().filter(pk=administration_id).values_list("pk", flat=True).first()
    top = Case.objects.filter(administration_id=administration_id).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def _take_message(message: Message, *, administration_id: int) -> Message:
    """Lock a message of the administration that has not been handled yet (404, 409 otherwise)."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.administration_id != administration_id:
        raise NotFound("Сообщение не найдено.")
    if locked.status != Message.Status.NEW or locked.case_id:
        raise IllegalTransition("Сообщение уже разобрано.")
    return locked


def _new_case(
    message: Message, actor: Actor, detected: dt.datetime, *, summary: str | None, repeat_of: Case | None
) -> Case:
    adm = actor.administration
    return Case.objects.create(
        administration=adm,
        number=_case_number(adm.pk),
        state=State.TRIAGE.value,
        network=message.network,
        summary=summary or message.text[:300],
        detected_at=detected,
        detected_by_id=actor.user_id,
        repeat_of=repeat_of,
    )


def _join(message: Message, case: Case) -> None:
    message.case = case
    message.status = Message.Status.IN_CASE
    message.save(update_fields=["case", "status"])


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
    now = resolve_now(now)
    if not actor.is_curator:
        raise PermissionDenied("Выявлять сообщения, требующие реагирования, может куратор.")
    if message.administration_id != actor.administration.pk:
        raise NotFound("Сообщение не найдено.")
    detected = detected_at or now
    if detected > now:
        raise ValidationFailed("Время выявления не может быть в будущем.", field="detected_at")
    with transaction.atomic():
        locked = _take_message(message, administration_id=actor.administration.pk)
        if repeat_of is not None and repeat_of.administration_id != actor.administration.pk:
            raise NotFound("Обращение, повтором которого является сообщение, не найдено.")
        case = _new_case(locked, actor, detected, summary=triage.summary if triage else None, repeat_of=repeat_of)
        _join(locked, case)
        with transition(Action.DETECT, case=case, actor=actor, now=now) as t:
            t.open(StageKey.ROUTE, started_at=detected, responsible_id=actor.user_id)
            case.answer_due_at = t.open(StageKey.ANSWER, started_at=detected).due_at
            t.save_fields("answer_due_at")
            t.payload = {
                "message_id": locked.pk,
                "detected_at": detected.isoformat(),
                "repeat_of": repeat_of.number if repeat_of else None,
            }
        if triage is not None:
            case = case_triage(case=case, actor=actor, data=triage, now=now)
    return case


def case_triage(*, case: Case, actor: Actor, data: TriageData, now: dt.datetime | None = None) -> Case:
    """П.8: set or change topic(s), place, importance, a shortened deadline."""
    with transition(Action.TRIAGE, case=case, actor=actor, now=now) as t:
        _apply_triage(t, data)
    return t.case


def _apply_triage(t: CaseTransition, data: TriageData) -> None:
    case, adm_id = t.case, t.case.administration_id
    changes: dict[str, Any] = {}
    if data.topic_ids:
        topics = list(Topic.objects.filter(administration_id=adm_id, pk__in=list(data.topic_ids)))
        if len(topics) != len(set(data.topic_ids)):
            raise ValidationFailed("Неизвестная тематика.", field="topic_ids")
        case.topics.set(topics)
        changes["topics"] = sorted(topic.name for topic in topics)
    if data.place_id is not None:
        place = Place.objects.filter(administration_id=adm_id, pk=data.place_id).first()
        if place is None:
            raise ValidationFailed("Неизвестное место.", field="place_id")
        case.place = place
        t.save_fields("place")
        changes["place"] = str(place)
    if data.importance is not None:
        try:
            case.importance = Importance(data.importance).value
        except ValueError:
            raise ValidationFailed("Неизвестная категория важности.", field="importance") from None
        t.save_fields("importance")
        changes["importance"] = case.importance
    if data.significant is not None:
        case.significant = data.significant
        t.save_fields("significant")
        changes["significant"] = data.significant
    if data.summary and data.summary.strip():
        case.summary = data.summary.strip()[:500]
        t.save_fields("summary")
        changes["summary"] = case.summary
    if data.shortened_deadline is not None:
        _set_shortened_deadline(t, data.shortened_deadline)
        t.save_fields("shortened_deadline", "answer_due_at")
        changes["shortened_deadline"] = data.shortened_deadline.isoformat()
    # The contract adds each field's value before and after (``changes``) and drops the event when
    # nothing really changed (the same values given again).
    t.payload = changes
    t.no_event()


def _set_shortened_deadline(t: CaseTransition, deadline: dt.datetime) -> None:
    """П.8: the curator may shorten the П.10 deadline, never extend it."""
    case, calendar, regulation = t.case, t.calendar, t.regulation
    if timezone.is_naive(deadline):
        raise ValidationFailed("Срок должен содержать часовой пояс.", field="shortened_deadline")
    regular = sla.due(calendar, regulation, StageKey.ANSWER, case.detected_at)
    if deadline > regular:
        raise ValidationFailed(
            "Сокращённый срок не может быть позже срока по регламенту (п. 10).", field="shortened_deadline"
        )
    if deadline <= t.now:
        raise ValidationFailed("Сокращённый срок уже прошёл.", field="shortened_deadline")
    case.shortened_deadline = deadline
    case.answer_due_at = deadline
    Stage.objects.filter(case=case, key=StageKey.ANSWER.value, status=Stage.Status.OPEN).update(
        due_at=deadline, limit_seconds=int(calendar.elapsed(case.detected_at, deadline).total_seconds())
    )
    for stage in Stage.objects.filter(case=case, key=StageKey.DRAFT_LEAD.value, status=Stage.Status.OPEN):
        stage.due_at = sla.draft_lead_due(calendar, regulation, stage.started_at, deadline)
        stage.save(update_fields=["due_at"])


def case_attach_message(*, case: Case, message: Message, actor: Actor, now: dt.datetime | None = None) -> Case:
    """Another message about the same issue joins an open case (no new deadlines)."""
    with transition(Action.ATTACH_MESSAGE, case=case, actor=actor, now=now) as t:
        locked = _take_message(message, administration_id=t.case.administration_id)
        _join(locked, t.case)
        t.payload = {"message_id": locked.pk}
    return t.case
