"""Structured logs that carry a request id.

- ``RequestIdMiddleware`` takes the id nginx sent (``X-Request-ID``, set from ``$request_id`` in
  ``deploy/nginx/otklik.conf``) or makes one, returns it in the response header and logs one line
  per request (method, path, status, duration, user) — gunicorn's own access log is off.
- ``RequestIdFilter`` puts the current id on every log record (``request_id``), also inside Celery
  tasks: the id travels in the task's headers, so a task's lines share the id of the request
  that caused it (``task_id`` is added too).
- ``JsonFormatter`` writes one JSON object per line (``OTKLIK_LOG_FORMAT=json``, the production
  default), for journald and any log collector.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("otklik_request_id", default="")
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("otklik_task_id", default="")

HEADER = "X-Request-ID"
TASK_HEADER = "otklik_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

log = logging.getLogger("otklik.request")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get() or "-"
        if not getattr(record, "task_id", ""):
            record.task_id = task_id_var.get() or ""
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or "-",
        }
        task_id = getattr(record, "task_id", "")
        if task_id:
            data["task_id"] = task_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in data and not key.startswith("_"):
                data[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)

    converter = time.gmtime  # type: ignore[assignment]


class RequestIdMiddleware:
    """Outermost middleware: one id per request, in the logs and in the response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _VALID.match(incoming) else new_request_id()
        token = request_id_var.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            user = getattr(request, "user", None)
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": getattr(user, "pk", None) if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def connect_celery_signals() -> None:
    """Carry the request id into tasks and mark each task's log lines with its ids."""
    from celery import signals

    @signals.before_task_publish.connect(weak=False)
    def _add_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
        rid = request_id_var.get()
        if headers is not None and rid:
            headers.setdefault(TASK_HEADER, rid)

    @signals.task_prerun.connect(weak=False)
    def _enter_task(task_id: str = "", task: Any = None, **_: Any) -> None:
        request = getattr(task, "request", None)
        rid = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
        request_id_var.set(str(rid) if rid else f"task-{task_id[:12]}")
        task_id_var.set(task_id)

    @signals.task_postrun.connect(weak=False)
    def _leave_task(**_: Any) -> None:
        request_id_var.set("")
        task_id_var.set("")
