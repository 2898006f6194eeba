"""Record each open stage whose deadline has passed, once, as a breach event on its case."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import transaction
from django.utils import timezone

from .models import Stage


def record_breaches(now: dt.datetime | None = None, *, batch: int = 500) -> int:
    from otklik.cases.models import CaseEvent

    now = now or timezone.now()
    count = 0
    while True:
        with transaction.atomic():
            stages = list(
                Stage.objects.select_for_update(skip_locked=True)
                .filter(status=Stage.Status.OPEN, due_at__lt=now, breached_at__isnull=True)
                .select_related("case")
                .order_by("due_at")[:batch]
            )
            if not stages:
                return count
            for stage in stages:
                stage.breached_at = now
                stage.save(update_fields=["breached_at"])
                event = CaseEvent.objects.create(
                    case=stage.case,
                    actor=None,
                    at=now,
                    action="breach",
                    from_state=stage.case.state,
                    to_state=stage.case.state,
                    payload={
                        "stage_id": stage.pk,
                        "stage": stage.key,
                        "due_at": stage.due_at.isoformat(),
                        "department_id": stage.department_id,
                        "responsible_id": stage.responsible_id,
                    },
                )
                transaction.on_commit(functools.partial(_notify, event.pk))
                count += 1
        if len(stages) < batch:
            return count


def _notify(event_id: int) -> None:
    from otklik.notify.tasks import case_event_created

    case_event_created.delay(event_id)
