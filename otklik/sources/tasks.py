"""Thin Celery tasks of the sources module; the logic is in ``otklik.sources.polling``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.sources.tasks.poll_source", ignore_result=True)
def poll_source(source_id: int) -> bool:
    """Poll one source; its failures are recorded on the source (status, last error)."""
    from otklik.sources import polling

    return polling.poll_source(source_id).ok


@shared_task(name="otklik.sources.tasks.poll_due_sources", ignore_result=True)
def poll_due_sources() -> int:
    """Beat: enqueue every enabled network source whose poll interval has passed."""
    from otklik.sources import polling

    due = polling.claim_due_sources()
    for source_id in due:
        poll_source.delay(source_id)
    return len(due)
