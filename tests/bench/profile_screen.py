"""Where one screen's CPU time goes: cProfile of requests served in this process.

    OTKLIK_DATA_DIR=/tmp/sq100k .venv/bin/python tests/bench/profile_screen.py /board/ [--as bench-curator]
    OTKLIK_DATABASE_URL=postgres://…/otklik_b_screens .venv/bin/python tests/bench/profile_screen.py /my/ --as bench-exec-3

Runs against a database seeded by ``bench_screens.py --keep`` with the production settings and
Django's test client (the app server's own cost is left out), and prints the functions with the
most time of their own and with the most time under them, plus the SQL the request ran.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("path", nargs="+", help="one path to profile; with --cpu, several to time")
p.add_argument("--as", dest="user", default="bench-curator")
p.add_argument("-n", type=int, default=20, help="requests profiled")
p.add_argument("--top", type=int, default=30)
p.add_argument("--sql", action="store_true", help="print each query of one request")
p.add_argument("--sql-chars", type=int, default=400, help="how much of each query --sql prints")
p.add_argument("--cpu", action="store_true", help="only time each path: CPU median and p95 of -n requests")
p.add_argument("--callers", help="also print who calls the functions matching this (pstats pattern)")
ARGS = p.parse_args()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("OTKLIK_SECRET_KEY", "bench-" + "x" * 40)
os.environ.setdefault("OTKLIK_REQUIRE_2FA", "0")
os.environ.setdefault("OTKLIK_LOG_LEVEL", "WARNING")
os.environ.setdefault("OTKLIK_ACCESS_LOG", "0")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def cpu(client: Client, path: str) -> None:
    times = []
    for _ in range(ARGS.n):
        t0 = time.process_time()
        client.get(path)
        times.append((time.process_time() - t0) * 1000)
    times.sort()
    print(f"{path:40s} CPU p50 {times[len(times) // 2]:6.1f} ms  p95 {times[int(len(times) * 0.95)]:6.1f} ms")


def main() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=ARGS.user))
    for path in ARGS.path:
        for _ in range(3):
            r = client.get(path)
            assert r.status_code == 200, (r.status_code, r.content[:300])
    gc.collect()
    gc.freeze()  # as the app server's workers do (config/gunicorn.py)
    if ARGS.cpu:
        for path in ARGS.path:
            cpu(client, path)
        return
    path = ARGS.path[0]
    queries: list[tuple[float, str]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - t0, sql))

    with connection.execute_wrapper(record):
        client.get(path)
    sql_ms = sum(t for t, _sql in queries) * 1000
    prof = cProfile.Profile()
    t0 = time.process_time()
    prof.enable()
    for _ in range(ARGS.n):
        client.get(path)
    prof.disable()
    per = (time.process_time() - t0) / ARGS.n * 1000
    print(f"{path}: {per:.1f} ms CPU a request (profiled), {len(queries)} queries, {sql_ms:.1f} ms SQL")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(ARGS.top)
        print(out.getvalue().split("\n", 6)[-1])
    if ARGS.callers:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats("cumulative").print_callers(ARGS.callers)
        print(out.getvalue())
    if ARGS.sql:
        for t, sql in queries:
            print(f"{t * 1000:7.1f} ms  {sql[: ARGS.sql_chars]}")


if __name__ == "__main__":
    main()
