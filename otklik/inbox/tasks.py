"""Background work of the inbox (thin tasks).

* ``messages_ingested(ids)`` — kept for tasks queued before triage was dispatched by name
  (``otklik.inbox.actions.dispatch_task``): forwards to the triage task.
* ``message_changed(message_id, kind)`` — a message already in a case was edited, deleted or
  restored in the network: the case's curator and its executors are told (in-app and their
  channels, through ``otklik.notify``). This module may know about cases; ``inbox.actions`` (which
  the sources import) reaches it only by task name.
"""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="otklik.inbox.tasks.messages_ingested", ignore_result=True)
def messages_ingested(message_ids: list[int]) -> None:
    from otklik.inbox.actions import TRIAGE_TASK, dispatch_task

    dispatch_task(TRIAGE_TASK, message_ids)


@shared_task(name="otklik.inbox.tasks.message_changed", ignore_result=True)
def message_changed(message_id: int, kind: str) -> int:
    from otklik.inbox.notices import notify_message_changed

    return notify_message_changed(message_id, kind)
