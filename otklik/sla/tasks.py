"""Periodic SLA work: record breaches of stage deadlines (thin task over ``sla.sweep``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.sla.tasks.sweep_breaches", ignore_result=True)
def sweep_breaches() -> int:
    from otklik.sla.sweep import record_breaches

    return record_breaches()
