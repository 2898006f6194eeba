"""Thin Celery tasks of the reports module."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.reports.tasks.monthly_dispatch", ignore_result=True)
def monthly_dispatch() -> int:
    """Runs hourly: on the first working day of a month, last month's summary goes out once."""
    from otklik.reports.services import monthly_dispatch as run

    return len(run())


@shared_task(name="otklik.reports.tasks.keep_dashboards_counted", ignore_result=True)
def keep_dashboards_counted() -> int:
    """Every few minutes: each administration's dashboard figures counted ahead of the Head."""
    from otklik.organization.models import Administration
    from otklik.reports.dashboard import keep_counted

    administrations = list(Administration.objects.filter(is_active=True))
    for adm in administrations:
        keep_counted(adm)
    return len(administrations)
