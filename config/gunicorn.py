"""gunicorn's settings for ``otklik serve`` (``gunicorn -c python:config.gunicorn``).

Everything comes from ``OTKLIK_*`` variables, like the rest of the settings:

- ``OTKLIK_HOST``/``OTKLIK_PORT`` (127.0.0.1:8000) — nginx proxies to it; or ``OTKLIK_BIND``
  (e.g. ``unix:/run/otklik/web.sock``).
- ``OTKLIK_WEB_WORKERS`` — processes; default 2 × cores + 1 (gunicorn's advice), at most 12.
- ``OTKLIK_WEB_THREADS`` — threads per process (default 1: gunicorn's sync worker, one request at
  a time per process, behind nginx, which buffers slow clients). A page is CPU-bound Python (its
  queries take well under a millisecond each), so threads only queue on one process's GIL; and a
  kept-alive connection stays with the process that accepted it, so four clients could land
  three on one process and one on the other. Measured with 2 processes and 4 clients on 2 cores
  at 100,000 cases (``bench_screens.py``): the board's p95 went from 205 to 131 ms with sync
  workers, the review queue's from 214 to 151, the notifications' from 154 to 74 ms (p95), and
  the throughput of a list from 36 to 52–67 requests a second. More than 1 gives gthread workers,
  for a database far away on the network.
- ``OTKLIK_WEB_TIMEOUT`` — seconds before a stuck worker is restarted (default 60; the monthly
  report is built in the reports queue, not in a request).

The access log is ours (``otklik.core.logs.RequestIdMiddleware``: JSON with the request id), so
gunicorn's is off; its error log goes to stderr (journald).
"""

from __future__ import annotations

import os


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    return min(2 * cores() + 1, 12)


bind = (
    os.environ.get("OTKLIK_BIND")
    or f"{os.environ.get('OTKLIK_HOST', '127.0.0.1')}:{os.environ.get('OTKLIK_PORT', '8000')}"
)
workers = int(os.environ.get("OTKLIK_WEB_WORKERS") or default_workers())
threads = int(os.environ.get("OTKLIK_WEB_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("OTKLIK_WEB_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# A process is replaced after this many requests (with jitter, not all at once): memory stays flat.
max_requests = 5000
max_requests_jitter = 500
accesslog = None
errorlog = "-"
loglevel = os.environ.get("OTKLIK_WEB_LOG_LEVEL", "info")
# nginx on the same machine sets X-Forwarded-Proto; other addresses are not trusted for it.
forwarded_allow_ips = os.environ.get("OTKLIK_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "otklik-web"
wsgi_app = "config.wsgi:application"


def post_worker_init(worker: object) -> None:
    """Load the URL map and the templates once per process, before its first request; then move
    everything loaded so far out of the garbage collector's sight.

    A worker holds some 140 MB of long-lived objects (Django, the URL map, templates, the triage
    rubric). Python's full collections walked all of them: a request that happened to trigger one
    took 250 ms instead of 30, the tail of every list's p95. ``gc.freeze()`` (Python's advice for
    forking servers) leaves them out of every later collection; what requests allocate is still
    collected as before. Measured in-process on the board at 100,000 cases: p50 31 → 21 ms,
    max 252 → 45 ms."""
    import gc

    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    for name in ("web/base.html", "web/login.html", "web/board.html", "web/inbox.html"):
        try:
            get_template(name)
        except Exception:  # a template renamed elsewhere must not stop the server
            pass
    from django.utils import translation

    for language in ("ru", "en"):  # the message catalogues load on first use
        with translation.override(language):
            translation.gettext("Отклик")
    gc.collect()
    gc.freeze()
