"""Thin Celery tasks of the reports module."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.reports.tasks.monthly_dispatch", ignore_result=True)
def monthly_dispatch() -> int:
    """Runs hourly: on the first working day of a month, last month's summary goes out once."""
    from otklik.reports.services import monthly_dispatch as run

    return len(run())
