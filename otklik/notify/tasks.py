"""Thin Celery tasks of the notification module."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.notify.tasks.case_event_created", ignore_result=True)
def case_event_created(event_id: int) -> None:
    """Fan a case event out to the people it concerns (in-app, e-mail, Telegram)."""
    from otklik.notify.services import on_case_event

    on_case_event(event_id)
