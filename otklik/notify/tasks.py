"""Thin Celery tasks of the notification module."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.notify.tasks.case_event_created", ignore_result=True)
def case_event_created(event_id: int) -> None:
    """Fan a case event out to the people it concerns (in-app, e-mail, Telegram)."""
    from otklik.notify.events import on_case_event

    on_case_event(event_id)


@shared_task(name="otklik.notify.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications(delivery_ids: list[int]) -> None:
    from otklik.notify.services import deliver

    for pk in delivery_ids:
        deliver(pk)


@shared_task(name="otklik.notify.tasks.retry_failed_deliveries", ignore_result=True)
def retry_failed_deliveries() -> int:
    from otklik.notify.services import retry_failed

    return retry_failed()


@shared_task(name="otklik.notify.tasks.send_reminders", ignore_result=True)
def send_reminders() -> int:
    """Every minute: reminders before stage deadlines and breach notices, in working hours."""
    from otklik.notify.reminders import send_due_reminders

    return send_due_reminders()


@shared_task(name="otklik.notify.tasks.escalations", ignore_result=True)
def escalations() -> int:
    """П.23: significant messages and activity spikes reach the Head at once."""
    from otklik.notify.alerts import alert_significant_messages, alert_spikes

    return alert_significant_messages() + alert_spikes()
