"""SLA work in the background: record breaches of stage deadlines (``sla.sweep``), and recompute
the stored deadlines of open cases after an administration's calendar changed."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.sla.tasks.sweep_breaches", ignore_result=True)
def sweep_breaches() -> int:
    from otklik.sla.sweep import record_breaches

    return record_breaches()


@shared_task(name="otklik.sla.tasks.recompute_deadlines", ignore_result=True)
def recompute_deadlines(administration_id: int, user_id: int | None, reason: str) -> int:
    from otklik.cases.actions import administration_deadlines_recompute
    from otklik.organization.models import Administration

    administration = Administration.objects.filter(pk=administration_id).first()
    if administration is None:
        return 0
    return administration_deadlines_recompute(administration=administration, changed_by=user_id, reason=reason).cases


def recompute_deadlines_later(administration_id: int, user_id: int | None, reason: str) -> None:
    """After the current transaction commits, have the worker recompute the administration's deadlines."""
    from django.db import transaction

    transaction.on_commit(lambda: recompute_deadlines.delay(administration_id, user_id, reason))
