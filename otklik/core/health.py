"""``/healthz``: can this replica serve, and is the rest of the system alive?

Checks the database (a query), the broker (a connection), the workers (the freshest heartbeat
per queue, see ``otklik.core.tasks.heartbeat``) and beat (its tick stamp, see
``otklik.core.beat``). Answers 200 with ``"status": "ok"`` when all pass, else 503 with the
failing checks named; the body is JSON for monitoring, with no secrets in it.

``/healthz?scope=web`` checks only what this replica itself needs (the database): for a load
balancer, which must not take every replica out when the worker is down.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from otklik.core import coordination

HEARTBEAT_INTERVAL = 30.0
STALE_AFTER = 3 * HEARTBEAT_INTERVAL


class CheckFailed(Exception):
    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


def _timed(fn: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = fn() or {}
        ok = True
        error = ""
    except CheckFailed as exc:
        extra, ok, error = exc.detail, False, str(exc)
    except Exception as exc:  # a health check reports, never raises
        extra, ok, error = {}, False, f"{exc.__class__.__name__}: {exc}"[:300]
    result: dict[str, Any] = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), **extra}
    if error:
        result["error"] = error
    return result


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
    return {"transport": str(app.conf.broker_url).split(":", 1)[0]}


def _age(name: str, now: float) -> float | None:
    at = coordination.stamped_at(name)
    return None if at is None else max(0.0, now - at)


def check_workers() -> dict[str, Any]:
    now = time.time()
    queues = {q: _age(f"worker:{q}", now) for q in settings.OTKLIK_QUEUES}
    stale = [q for q, age in queues.items() if age is None or age > STALE_AFTER]
    detail = {"queues": {q: (None if a is None else round(a)) for q, a in queues.items()}}
    if stale:
        raise CheckFailed(
            f"нет обработчика, забиравшего задачи за последние {int(STALE_AFTER)} с, в очередях: {', '.join(stale)}",
            detail,
        )
    return detail


def check_beat() -> dict[str, Any]:
    age = _age("beat", time.time())
    if age is None:
        raise CheckFailed("планировщик (beat) ещё ни разу не отметился")
    if age > STALE_AFTER:
        raise CheckFailed(f"планировщик (beat) не отмечался {int(age)} с", {"age_s": round(age)})
    return {"age_s": round(age)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, Any]] = {"database": _timed(check_database)}
    if request.GET.get("scope") != "web":
        checks["broker"] = _timed(check_broker)
        checks["workers"] = _timed(check_workers)
        checks["beat"] = _timed(check_beat)
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if ok else "fail", "coordination": coordination.backend_name(), "checks": checks}
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
