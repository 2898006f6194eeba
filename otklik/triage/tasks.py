"""Celery tasks of triage (thin: the work is in ``services``).

* ``triage_messages_task(ids)`` — suggestions for messages (ingestion calls the service directly
  from ``otklik.inbox.tasks.messages_ingested``; this task is for re-triage and the admin).
* ``label_decisions`` — beat, every 5 minutes: the curators' decisions become ``TriageLabel`` rows.
* ``retrain_topic_models`` — beat, nightly: each administration's topic model from its labels.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import services


@shared_task(name="otklik.triage.tasks.triage_messages_task", ignore_result=True)
def triage_messages_task(message_ids: list[int]) -> int:
    return services.triage_messages(message_ids)


@shared_task(name="otklik.triage.tasks.label_decisions", ignore_result=True)
def label_decisions() -> int:
    return services.label_decisions()


@shared_task(name="otklik.triage.tasks.retrain_topic_models", ignore_result=True, soft_time_limit=3600)
def retrain_topic_models() -> list[dict[str, Any]]:
    return services.retrain_topic_models()
