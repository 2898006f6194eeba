"""Thin Celery tasks of the cases module: the publication outbox."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="otklik.cases.tasks.publish_answer", ignore_result=True)
def publish_answer(publication_id: int) -> str:
    """First attempt right after approval; retries come from ``publish_due`` (one retry path)."""
    from otklik.cases.publishing import publish

    return publish(publication_id).status


@shared_task(name="otklik.cases.tasks.publish_due", ignore_result=True)
def publish_due() -> int:
    """Beat: re-send publications whose retry time has come (covers a lost worker)."""
    from otklik.cases.models import Publication
    from otklik.cases.publishing import publish

    due = Publication.objects.filter(status=Publication.Status.PENDING, next_attempt_at__lte=timezone.now())
    count = 0
    for pub_id in due.values_list("pk", flat=True)[:100]:
        publish(pub_id)
        count += 1
    return count
