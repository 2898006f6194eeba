"""П.20 — the case's journal: whoever works on a case (an executor of an assigned department) or
sees every case (the curator, the responsible official, the Head) may add a comment to it, in any
state; like every event it is attributed and kept.
"""

from __future__ import annotations

import datetime as dt

from otklik.core.errors import ValidationFailed
from otklik.domain.workflow import Action
from otklik.organization.services import Actor

from ..models import Case, CaseEvent
from .contract import transition


def case_comment(*, case: Case, actor: Actor, text: str, now: dt.datetime | None = None) -> CaseEvent:
    if not text.strip():
        raise ValidationFailed("Введите комментарий.", field="text")
    with transition(Action.COMMENT, case=case, actor=actor, now=now) as t:
        t.payload = {"text": text.strip()}
    assert t.event is not None
    return t.event
