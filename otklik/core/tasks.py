"""Tasks of the core app: health probes of the task engine."""

from __future__ import annotations

import socket
from pathlib import Path

from celery import current_task, shared_task
from celery.signals import worker_ready

from otklik.core import coordination


@shared_task(name="otklik.core.tasks.ping", ignore_result=True)
def ping(marker_path: str, payload: str = "pong") -> None:
    """Write ``payload`` to ``marker_path``: proves a worker took a task from the broker."""
    Path(marker_path).write_text(payload, encoding="utf-8")


@shared_task(name="otklik.core.tasks.heartbeat", ignore_result=True, acks_late=False, expires=120)
def heartbeat() -> str:
    """Beat sends one to every queue; the worker that takes it stamps the queue as served.

    ``/healthz`` then knows, per queue, when a worker last took work from it. Acknowledged early
    and expiring: a heartbeat nobody took in time is worth nothing later.
    """
    info = getattr(current_task, "request", None)
    delivery = getattr(info, "delivery_info", None) or {}
    queue = str(delivery.get("routing_key") or delivery.get("exchange") or "celery")
    coordination.stamp(f"worker:{queue}")
    coordination.stamp("worker")
    return f"{socket.gethostname()}:{queue}"


@worker_ready.connect(weak=False)
def _stamp_ready(**_: object) -> None:
    """``otklik serve`` waits for this before it prints the address (its last lines)."""
    coordination.stamp("worker-ready")


@shared_task(name="otklik.core.tasks.refresh_statistics", ignore_result=True)
def refresh_statistics() -> str:
    """Nightly: the query planner's statistics, so that the lists keep their plans as data grows.

    SQLite keeps no statistics by itself: without them its planner guesses, and picks, say, the
    foreign-key index over the partial one of the open assignments (a department's list read its
    whole history). A whole ``ANALYZE`` takes 0.7 s at 100,000 cases (about 7 s at 1,000,000, at
    night; readers are not blocked in WAL mode); a sampled one (``analysis_limit``) was tried and
    misled the planner on the Head's figures (55 → 540 ms). ``PRAGMA optimize`` would not do
    either: it analyses only tables this connection has queried. PostgreSQL's autovacuum analyses
    by itself; an ``ANALYZE`` here is cheap and covers a bulk import the same night.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return connection.vendor
