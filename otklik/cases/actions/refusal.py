"""П.19 — not processed: a message with intent to harm an official, obscene or insulting words
about them, or threats to them or their family is neither processed nor answered; the curator's
decision and its reason are recorded, and every deadline of the case is cancelled.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from otklik.core.errors import ValidationFailed
from otklik.domain.workflow import Action
from otklik.inbox.models import Message
from otklik.organization.services import Actor

from ..models import Case
from .contract import resolve_now, transition
from .detection import case_detect


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed("Укажите основание (п. 19).", field="reason")
    return reason.strip()


def case_refuse(*, case: Case, actor: Actor, reason: str, now: dt.datetime | None = None) -> Case:
    """П.19: the message is not processed and not answered; the decision and reason are recorded."""
    reason = _reason(reason)
    with transition(Action.REFUSE, case=case, actor=actor, now=now) as t:
        t.case.refusal_reason = reason
        t.case.closed_at = t.now
        t.save_fields("refusal_reason", "closed_at")
        t.payload = {"reason": reason}
    return t.case


def message_refuse(*, message: Message, actor: Actor, reason: str, now: dt.datetime | None = None) -> Case:
    """П.19 straight from the inbox: the decision is recorded as a refused case."""
    now = resolve_now(now)
    _reason(reason)
    with transaction.atomic():
        case = case_detect(message=message, actor=actor, now=now)
        return case_refuse(case=case, actor=actor, reason=reason, now=now)
