"""Tasks of the core app: a health probe of the task engine."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task


@shared_task(name="otklik.core.tasks.ping", ignore_result=True)
def ping(marker_path: str, payload: str = "pong") -> None:
    """Write ``payload`` to ``marker_path``: proves a worker took a task from the broker."""
    Path(marker_path).write_text(payload, encoding="utf-8")
