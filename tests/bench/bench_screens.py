"""Benchmark of every screen a person uses, under the production app server.

    .venv/bin/python tests/bench/bench_screens.py [--cases 100000 | --million] [--reuse] [--keep]

1. A throwaway database: SQLite in a temp folder, or — with ``OTKLIK_DATABASE_URL=postgres://…/X``
   — the database ``X_screens`` next to X (created, and dropped at the end unless ``--keep``).
   ``--reuse`` keeps and reuses an earlier seed (SQLite: ``--data DIR``).
2. Seeds ``--cases`` cases through the project's models (``tests/bench/seed.py``).
3. Starts ``otklik serve --only web`` (gunicorn, production settings, ``--workers`` processes,
   default 2) on a free port and signs the people in through the login form.
4. Each screen: ``--requests`` requests from ``--clients`` concurrent clients (default 200 from 4, each client a process of its own with a kept-alive connection),
   after a warm-up; prints p50/p95 in ms and requests a second, against the issue's targets
   (lists p95 ≤ 100 ms, a case ≤ 50 ms, the dashboard ≤ 200 ms at 100,000 cases; lists and the
   dashboard ≤ 300 ms at 1,000,000). The monthly report (П.21) is built and downloaded once, timed,
   with the web process' peak memory (the target: ≤ 30 s at 1,000,000 cases, flat memory).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SECRET = "bench-" + "x" * 40


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_SCREENS_CASES", "100000")))
    p.add_argument("--million", action="store_true", help="1,000,000 cases")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_SCREENS_REQUESTS", "200")))
    p.add_argument("--reuse", action="store_true", help="reuse the seeded database of an earlier --keep run")
    p.add_argument("--data", help="SQLite: the data folder to use (kept); default a temp folder")
    p.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    p.add_argument("--no-report", action="store_true", help="skip the monthly report")
    p.add_argument("--only", default="", help="measure only the screens whose name contains this")
    p.add_argument("--seed-only", action="store_true", help="seed (with --keep) and stop: measure later with --reuse")
    a = p.parse_args()
    if a.million:
        a.cases = 1_000_000
    return a


ARGS = _args()


def _database() -> tuple[str, Any]:
    url = os.environ.get("OTKLIK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        name = f"{parts.path.lstrip('/') or 'otklik'}_screens" + ("" if ARGS.cases == 100_000 else f"_{ARGS.cases}")
        admin = urlunsplit(parts._replace(path="/postgres"))
        if not ARGS.reuse:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["OTKLIK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        data = ARGS.data or tempfile.mkdtemp(prefix="otklik-screens-")
        os.environ["OTKLIK_DATA_DIR"] = data

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            if not ARGS.keep:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not ARGS.data:
                shutil.rmtree(data, ignore_errors=True)

        return f"PostgreSQL ({name})", drop
    data = ARGS.data or tempfile.mkdtemp(prefix="otklik-screens-")
    os.environ["OTKLIK_DATA_DIR"] = data
    os.environ.pop("OTKLIK_DATABASE_URL", None)

    def cleanup() -> None:
        if not ARGS.keep and not ARGS.data:
            shutil.rmtree(data, ignore_errors=True)

    return f"SQLite ({data})", cleanup


LABEL, CLEANUP = _database()
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "OTKLIK_SECRET_KEY": SECRET,
    "OTKLIK_COOKIE_SECURE": "0",  # plain HTTP on the loopback
    "OTKLIK_ACCESS_LOG": "0",
    "OTKLIK_LOG_LEVEL": "WARNING",
    "OTKLIK_REQUIRE_2FA": "0",
    "OTKLIK_WEB_TIMEOUT": "900",
    "OTKLIK_WEB_WORKERS": str(ARGS.workers),
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.bench.seed import PASSWORD, RARE, WORDS, Seeded, seed  # noqa: E402

RND = random.Random(16)  # the screens' random choices (each load process reseeds it)
LIST_TARGET = {100_000: 100.0, 1_000_000: 300.0}
CASE_TARGET = {100_000: 50.0, 1_000_000: 300.0}
DASH_TARGET = {100_000: 200.0, 1_000_000: 300.0}


def _target(table: dict[int, float]) -> float:
    return table[100_000] if ARGS.cases <= 100_000 else table[1_000_000]


@dataclass
class Screen:
    name: str
    who: str
    path: Any  # str or a function returning one
    target: float
    expect: str = ""  # text that must be in the page (proves it is the real page)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OTKLIK_PORT=str(port), OTKLIK_HOST="127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "otklik.cli", "serve", "--only", "web", "--port", str(port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz?scope=web", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the web server exited")
        time.sleep(0.3)
    raise RuntimeError("the web server did not answer in 60 s")


def _login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=900, follow_redirects=False)
    r = client.get("/accounts/login/")
    token = client.cookies.get("csrftoken") or ""
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    r = client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": m.group(1) if m else token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    if r.status_code != 302:
        raise RuntimeError(f"login {username}: {r.status_code} {r.text[:300]}")
    return client


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _headers(client: httpx.Client) -> dict[str, str]:
    """The session cookie (or the token) a signed-in client sends: what a load process reuses."""
    headers = {k: v for k, v in client.headers.items() if k.lower() == "authorization"}
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    if cookies:
        headers["Cookie"] = cookies
    return headers


def _load(base: str, headers: dict[str, str], screen: Screen, n: int, seed: int, out: Any, start: Any) -> None:
    """One client: a process of its own with one kept-alive connection (``http.client``), so that
    the clients' own work neither waits on one interpreter lock nor weighs much beside the server's:
    the figures are the server's. Sends ``(seconds, size, error)`` of each request to ``out``."""
    import http.client

    random.seed(seed)
    RND.seed(seed)
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)

    def one() -> tuple[float, int, str]:
        p = screen.path() if callable(screen.path) else screen.path
        t0 = time.perf_counter()
        conn.request("GET", quote(p, safe="/?=&%"), headers=headers)
        r = conn.getresponse()
        body = r.read()
        took = time.perf_counter() - t0
        ok = r.status == 200 and (not screen.expect or screen.expect.encode() in body)
        return took, len(body), "" if ok else f"{p}: {r.status} {body[:200]!r}"

    try:
        for _ in range(2):  # warm-up
            one()
    except Exception as exc:  # the parent must hear of it, not wait at the barrier for ever
        start.abort()
        out.put([(0.0, 0, f"client: {exc!r}")])
        return
    start.wait()
    try:
        out.put([one() for _ in range(n)])
    except Exception as exc:
        out.put([(0.0, 0, f"client: {exc!r}")])


def _process_tree(pid: int) -> list[int]:
    """A process and everything under it (Linux's ``/proc/…/task/…/children``): ``otklik serve``
    starts gunicorn, whose workers are its children."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return found


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) used so far by a process and everything under it."""
    total = 0.0
    for p in _process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def _measure(
    clients: list[httpx.Client], screen: Screen, total: int, server_pid: int
) -> tuple[float, float, float, int, int, float]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    per = max(1, total // len(clients))
    out = ctx.Queue()
    start = ctx.Barrier(len(clients) + 1)
    base = str(clients[0].base_url).rstrip("/")
    procs = [
        ctx.Process(target=_load, args=(base, _headers(c), screen, per, 16 + i, out, start))
        for i, c in enumerate(clients)
    ]
    for proc in procs:
        proc.start()
    try:
        start.wait()  # every client has warmed up
    except threading.BrokenBarrierError:
        pass  # a client failed: its error is in ``out``
    t0, cpu0 = time.perf_counter(), _tree_cpu_s(server_pid)
    results = [r for _ in procs for r in out.get()]
    wall, server_cpu = time.perf_counter() - t0, _tree_cpu_s(server_pid) - cpu0
    for proc in procs:
        proc.join()
    errors = [e for _t, _size, e in results if e]
    if errors:
        raise RuntimeError(f"{screen.name}: {len(errors)} bad answers, e.g. {errors[0]}")
    times = [t for t, _size, _e in results]
    return (
        statistics.median(times) * 1000,
        _pct(times, 0.95) * 1000,
        len(times) / wall,
        int(statistics.mean(size for _t, size, _e in results)),
        len(times),
        server_cpu / len(times) * 1000,
    )


def _cpu_ms(screen: Screen, user: Any, token: str, n: int) -> tuple[float, float]:
    """Median and p95 of the CPU time one request of ``screen`` costs, served in this process
    (Django's test client, same settings and database, SQLite's or psycopg's own work included;
    PostgreSQL's server is not). Unlike wall-clock figures it does not grow with other people's
    load on a shared machine: it is what the request costs on an idle core."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")  # ALLOWED_HOSTS of the production settings
    headers = {}
    if screen.who == "api":
        headers = {"Authorization": f"Bearer {token}"}
    else:
        client.force_login(user)
    path = screen.path() if callable(screen.path) else screen.path
    client.get(path, headers=headers)
    times = []
    for _ in range(n):
        path = screen.path() if callable(screen.path) else screen.path
        t0 = time.process_time()
        r = client.get(path, headers=headers)
        times.append(time.process_time() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code}")
    return statistics.median(times) * 1000, _pct(times, 0.95) * 1000


def _rss_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of the largest process of a process and everything under it,
    in KiB."""
    total = 0
    for p in _process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total = max(total, int(line.split()[1]))
        except OSError:
            pass
    return total


def _python_speed() -> float:
    """Milliseconds this machine takes for a fixed piece of pure Python (best of three): the
    figures below scale with it, so runs on different machines can be compared."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        table: dict[str, int] = {}
        for i in range(300_000):
            key = f"k{i % 1000}"
            table[key] = table.get(key, 0) + i
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def _cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks since boot from /proc/stat; (0, 0) where there is none. Time
    stolen by the hypervisor is time the server had no core though it asked for one."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def main() -> None:
    print(f"Database: {LABEL}; {ARGS.cases:,} cases; gunicorn, {ARGS.workers} workers; {ARGS.clients} clients")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (other people's work too)")
    print(f"machine speed: a fixed piece of Python in {_python_speed():.0f} ms (lower is faster)")
    ticks = _cpu_ticks()
    proc = None
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from otklik.cases.models import Case
        from otklik.organization.models import Administration, Department

        if ARGS.reuse and Administration.objects.filter(slug="bench").exists():
            adm = Administration.objects.get(slug="bench")
            open_ids = list(
                Case.objects.filter(administration=adm, closed_at__isnull=True).values_list("pk", flat=True)[:50000]
            )
            info = Seeded(
                adm.pk,
                "bench-curator",
                "bench-head",
                "bench-exec-3",
                list(Department.objects.filter(administration=adm).values_list("pk", flat=True)),
                open_ids,
                Case.objects.filter(administration=adm).count(),
            )
            print(f"reusing the seeded database: {info.cases:,} cases")
        else:
            info = seed(ARGS.cases)
        from django.db import connections

        connections.close_all()
        if ARGS.seed_only:
            print("seeded; measure with --reuse")
            return
        port = _free_port()
        proc = _start_server(port)
        base = f"http://127.0.0.1:{port}"
        people = {
            who: [_login(base, name) for _ in range(ARGS.clients)]
            for who, name in (("curator", info.curator), ("executor", info.executor), ("head", info.head))
        }
        from otklik.organization.tokens import api_token_create

        token = api_token_create(user=_user(info.curator), name="bench")
        api_clients = [
            httpx.Client(base_url=base, timeout=900, headers={"Authorization": f"Bearer {token}"})
            for _ in range(ARGS.clients)
        ]
        dept = info.department_ids[3]
        lists = _target(LIST_TARGET)
        screens = [
            Screen("inbox /inbox/", "curator", "/inbox/", lists),
            Screen("board /board/", "curator", "/board/", lists, 'data-testid="case-row"'),
            Screen(
                "board, a department",
                "curator",
                lambda: f"/board/?department={RND.choice(info.department_ids)}",
                lists,
                "case-row",
            ),
            Screen("board, page 5", "curator", "/board/?page=5", lists, "case-row"),
            Screen(
                "board, a topic and a network", "curator", lambda: f"/board/?topic={_topic(info)}&network=vk", lists
            ),
            Screen("my cases /my/", "executor", "/my/", lists, "case-row"),
            Screen("review queue /review/", "curator", "/review/", lists),
            Screen("notifications", "curator", "/notifications/", lists),
            Screen(
                "one case /cases/N/",
                "curator",
                lambda: f"/cases/{RND.choice(info.open_case_ids)}/",
                _target(CASE_TARGET),
            ),
            Screen("dashboard /dashboard/", "head", "/dashboard/", _target(DASH_TARGET)),
            Screen("API /api/cases/?open", "api", "/api/cases/?open=true", lists),
            Screen("API, a department", "api", lambda: f"/api/cases/?department={dept}&open=true", lists),
            Screen("API search, common word", "api", lambda: f"/api/cases/?q={RND.choice(WORDS[:10]).upper()}", lists),
            Screen("API search, rare word", "api", f"/api/cases/?q={RARE}", lists),
            Screen("API search, fragment", "api", "/api/cases/?q=котельн", lists),
        ]
        users = {"curator": _user(info.curator), "executor": _user(info.executor), "head": _user(info.head)}
        # As the app server's workers do after loading (config/gunicorn.py): the CPU column is
        # what a request costs in such a process.
        gc.collect()
        gc.freeze()
        print(
            f"\n{'':32s} {'— over HTTP, ' + str(ARGS.clients) + ' clients —':^41s}  {'— CPU a request —':^18s}"
            f"\n{'screen':32s} {'p50 ms':>8s} {'p95 ms':>8s} {'req/s':>7s} {'KiB':>6s} {'srv ms':>7s}"
            f"  {'p50 ms':>8s} {'p95 ms':>8s}  target p95"
        )
        missed = []
        for screen in [s for s in screens if ARGS.only in s.name]:
            clients = api_clients if screen.who == "api" else people[screen.who]
            p50, p95, rps, size, _n, srv = _measure(clients, screen, ARGS.requests, proc.pid)
            c50, c95 = _cpu_ms(screen, users.get(screen.who), token, max(10, ARGS.requests // 4))
            verdict = "ok" if p95 <= screen.target else "MISSED"
            if verdict != "ok":
                missed.append(screen.name)
            print(
                f"{screen.name:32s} {p50:8.1f} {p95:8.1f} {rps:7.1f} {size / 1024:6.0f} {srv:7.1f}  {c50:8.1f} {c95:8.1f}"
                f"  ≤ {screen.target:.0f} ms {verdict}",
                flush=True,
            )
        if not ARGS.no_report:
            _report(people["head"][0], proc.pid)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        end = _cpu_ticks()
        if end[0] > ticks[0]:
            print(
                f"CPU time stolen by the hypervisor during the run: {100 * (end[1] - ticks[1]) / (end[0] - ticks[0]):.0f}%"
            )
        print("targets: " + ("all met" if not missed else "missed by " + ", ".join(missed)))
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        CLEANUP()


def _user(username: str) -> Any:
    from django.contrib.auth.models import User

    return User.objects.get(username=username)


_TOPICS: list[int] = []


def _topic(info: Seeded) -> int:
    if not _TOPICS:
        from otklik.organization.models import Topic

        _TOPICS.extend(Topic.objects.filter(administration_id=info.adm_id).values_list("pk", flat=True))
    return random.choice(_TOPICS)


def _report(client: httpx.Client, server_pid: int) -> None:
    last = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    before = _rss_kib(server_pid)
    for label, path in (
        ("report page", f"/reports/?month={last}"),
        ("report XLSX", f"/reports/download/xlsx/?month={last}"),
    ):
        t0 = time.perf_counter()
        r = client.get(path)
        took = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
        print(
            f"{label:32s} {took:8.2f} s   {len(r.content) / 1024:6.0f} KiB   web peak RSS "
            f"{before / 1024:.0f} → {_rss_kib(server_pid) / 1024:.0f} MiB   (target ≤ 30 s at 1,000,000)",
            flush=True,
        )


if __name__ == "__main__":
    main()
