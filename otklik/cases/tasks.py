"""Thin Celery tasks of the cases module: the publication outbox."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from .models import Publication
from .publishing import STALE_SENDING, publish


@shared_task(name="otklik.cases.tasks.publish_answer", ignore_result=True)
def publish_answer(publication_id: int) -> str:
    """First attempt right after approval; retries come from ``publish_due`` (one retry path)."""
    return publish(publication_id).status


@shared_task(name="otklik.cases.tasks.publish_due", ignore_result=True)
def publish_due() -> int:
    """Beat: re-send publications whose retry time has come (covers a lost worker)."""
    now = timezone.now()
    # Pending ones whose retry time has come, and ones a dead worker left "sending" (publish()
    # retries those only where a retry cannot post twice; the others go to manual publication).
    due = Publication.objects.filter(
        Q(status=Publication.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Publication.Status.SENDING, updated_at__lte=now - STALE_SENDING)
    ).order_by("pk")
    count = 0
    for pub_id in due.values_list("pk", flat=True)[:100]:
        publish(pub_id)
        count += 1
    return count
