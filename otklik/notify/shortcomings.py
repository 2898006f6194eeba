"""П.22: the Head sends a notice of shortcomings to a department head; tracked until acknowledged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from otklik.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from otklik.organization.models import Department, Role
from otklik.organization.services import Actor

from .models import Notification, ShortcomingNotice
from .services import department_people, heads, notify


def notice_url(notice: ShortcomingNotice) -> str:
    return f"/notifications/shortcomings/{notice.pk}/"


def shortcoming_send(
    *,
    actor: Actor,
    department_id: int,
    text: str,
    case_numbers: Sequence[int] = (),
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ShortcomingNotice:
    """The Head notifies the department heads of ``department_id`` about a shortcoming."""
    from otklik.cases.models import Case

    now = now or timezone.now()
    if not actor.is_head:
        raise PermissionDenied("Уведомление о недостатках направляет Глава (п. 22).")
    if not text.strip():
        raise ValidationFailed("Опишите недостатки.", field="text")
    department = Department.objects.filter(administration=actor.administration, pk=department_id).first()
    if department is None:
        raise NotFound("Подразделение не найдено.")
    numbers = sorted(set(int(n) for n in case_numbers))
    cases = list(Case.objects.filter(administration=actor.administration, number__in=numbers))
    if len(cases) != len(numbers):
        missing = sorted(set(numbers) - {c.number for c in cases})
        raise ValidationFailed(f"Обращения не найдены: {', '.join(map(str, missing))}.", field="cases")
    recipients = department_people(department.pk, Role.DEPARTMENT_HEAD)
    if not recipients:
        raise ValidationFailed(f"У подразделения «{department}» не указан начальник.", field="department")
    with transaction.atomic():
        notice = ShortcomingNotice.objects.create(
            administration=actor.administration,
            department=department,
            sender_id=actor.user_id,
            text=text.strip(),
            period_start=period_start,
            period_end=period_end,
            created_at=now,
        )
        notice.cases.set(cases)
        listed = ", ".join(f"№ {c.number}" for c in cases)
        notify(
            recipients=recipients,
            title=f"П. 22: уведомление о недостатках в работе подразделения «{department}»",
            body=notice.text + (f"\n\nОбращения: {listed}" if listed else ""),
            url=notice_url(notice),
            kind=Notification.Kind.SHORTCOMING,
            administration=actor.administration,
            urgent=True,
            dedupe_key=f"shortcoming:{notice.pk}",
            now=now,
        )
    return notice


def can_acknowledge(notice: ShortcomingNotice, actor: Actor) -> bool:
    return Role.DEPARTMENT_HEAD in actor.roles and notice.department_id in actor.department_ids


def shortcoming_acknowledge(
    *, notice: ShortcomingNotice, actor: Actor, comment: str, now: dt.datetime | None = None
) -> ShortcomingNotice:
    """The department head acknowledges the notice with a comment (the measures taken)."""
    now = now or timezone.now()
    if notice.administration_id != actor.administration.pk:
        raise NotFound("Уведомление не найдено.")
    if not can_acknowledge(notice, actor):
        raise PermissionDenied("Принять уведомление к сведению может начальник подразделения.")
    if not comment.strip():
        raise ValidationFailed("Укажите комментарий (принятые меры).", field="comment")
    with transaction.atomic():
        notice = ShortcomingNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.status == ShortcomingNotice.Status.ACKNOWLEDGED:
            raise IllegalTransition("Уведомление уже принято к сведению.")
        notice.status = ShortcomingNotice.Status.ACKNOWLEDGED
        notice.acknowledged_by_id = actor.user_id
        notice.acknowledged_at = now
        notice.ack_comment = comment.strip()
        notice.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "ack_comment"])
        notify(
            recipients=[notice.sender_id, *heads(actor.administration)],
            title=f"П. 22: подразделение «{notice.department}» приняло уведомление к сведению",
            body=notice.ack_comment,
            url=notice_url(notice),
            kind=Notification.Kind.SHORTCOMING,
            administration=actor.administration,
            dedupe_key=f"shortcoming-ack:{notice.pk}",
            now=now,
        )
    return notice


def notices_for(actor: Actor):  # type: ignore[no-untyped-def]
    """The Head, the responsible official and curators see all; a department head, his own."""
    qs = ShortcomingNotice.objects.filter(administration=actor.administration).select_related("department", "sender")
    if actor.sees_everything:
        return qs
    if Role.DEPARTMENT_HEAD in actor.roles:
        return qs.filter(department_id__in=actor.department_ids)
    return qs.none()
