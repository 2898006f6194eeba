"""Celery beat's scheduler with a heartbeat: ``celery beat -S otklik.core.beat:Scheduler``.

It is Celery's own persistent scheduler; on each tick it also stamps ``beat`` in the shared
coordination store (at most every ``STAMP_EVERY`` seconds), so ``/healthz`` can tell a beat that
stopped ticking from one that is merely idle.
"""

from __future__ import annotations

import time
from typing import Any

from celery.beat import PersistentScheduler

STAMP_EVERY = 10.0


class Scheduler(PersistentScheduler):
    _stamped = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        now = time.time()
        if now - self._stamped >= STAMP_EVERY:
            from otklik.core import coordination

            try:
                coordination.stamp("beat", at=now)
                self._stamped = now
            except Exception:  # the store being down must not stop the schedule
                pass
        # Wake up often enough to keep the stamp fresh even when no entry is due for a while.
        return min(interval, STAMP_EVERY)
