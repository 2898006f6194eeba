"""Background work after ingestion: triage suggestions for each new message (thin tasks)."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="otklik.inbox.tasks.messages_ingested", ignore_result=True)
def messages_ingested(message_ids: list[int]) -> None:
    try:
        from otklik.triage.services import triage_messages
    except ImportError:  # triage adapter not installed
        return
    triage_messages(message_ids)
