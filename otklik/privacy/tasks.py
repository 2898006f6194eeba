"""The daily retention run (beat: ``privacy-retention``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="otklik.privacy.tasks.apply_retention")
def apply_retention() -> int:
    from .retention import apply_retention as run

    return sum(r.messages for r in run(trigger="beat"))
