"""The curator's decisions as ``TriageLabel`` rows (what triage suggested, what was chosen).

``record_decision(case)`` writes one label per case (idempotent); the beat task
``label_decisions`` labels the cases with new "detect"/"triage"/"refuse" events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from .context import log

LABEL_ACTIONS = ("detect", "triage", "refuse")
CHUNK = 500


def record_decision(case: Any) -> Any:
    """Store (or update) the label of a case: the first message's suggestions vs the decision."""
    from otklik.cases.models import CaseEvent
    from otklik.domain.workflow import State
    from otklik.triage.models import TriageLabel

    message = case.messages.order_by("received_at", "id").first()
    hints = message.triage if message is not None and isinstance(message.triage, dict) else {}
    if "error" in hints:
        hints = {}
    places = hints.get("places") or []
    first_place = places[0] if places and isinstance(places[0], dict) else {}
    screen: dict[str, Any] = hints["screen"] if isinstance(hints.get("screen"), dict) else {}
    importance: dict[str, Any] = hints["importance"] if isinstance(hints.get("importance"), dict) else {}
    last_event = CaseEvent.objects.filter(case_id=case.pk, action__in=LABEL_ACTIONS).aggregate(m=Max("id"))["m"] or 0
    suggested_repeat = hints.get("repeat_of")
    values = {
        "administration_id": case.administration_id,
        "message": message,
        "suggested_topic": str(hints.get("topic") or "")[:64],
        "chosen_topics": sorted(case.topics.values_list("code", flat=True)),
        "suggested_place": str(first_place.get("name") or "")[:255],
        "chosen_place": case.place.name if case.place_id else "",
        "suggested_importance": str(importance.get("level") or "")[:16],
        "chosen_importance": case.importance or "",
        "suggested_repeat_of": suggested_repeat if isinstance(suggested_repeat, int) else None,
        "chosen_repeat_of": case.repeat_of_id,
        "suggested_processable": screen.get("processable") if isinstance(screen.get("processable"), bool) else None,
        "refused": case.state == State.REFUSED.value or bool(case.refusal_reason),
        "last_event_id": last_event,
    }
    try:
        with transaction.atomic():
            label, _ = TriageLabel.objects.update_or_create(case_id=case.pk, defaults=values)
    except IntegrityError:  # a concurrent run created it first
        label, _ = TriageLabel.objects.update_or_create(case_id=case.pk, defaults=values)
    return label


def label_decisions(now: dt.datetime | None = None, *, overlap: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Record labels for the cases detected, triaged or refused since the last run; idempotent.

    The watermark is the highest case event already labelled; events of the last ``overlap``
    are looked at again, for transactions that committed after a later event was labelled.
    """
    from otklik.cases.models import Case, CaseEvent
    from otklik.triage.models import TriageLabel

    now = now or timezone.now()
    watermark = TriageLabel.objects.aggregate(m=Max("last_event_id"))["m"] or 0
    case_ids = sorted(
        set(
            CaseEvent.objects.filter(action__in=LABEL_ACTIONS)
            .filter(Q(id__gt=watermark) | Q(at__gte=now - overlap))
            .values_list("case_id", flat=True)
        )
    )
    done = 0
    for start in range(0, len(case_ids), CHUNK):
        cases = Case.objects.filter(pk__in=case_ids[start : start + CHUNK]).select_related("place")
        for case in cases:
            try:
                record_decision(case)
                done += 1
            except Exception:
                log.exception("triage: cannot label case %s", case.pk)
    if done:
        log.info("triage: %d decisions labelled", done)
    return done
