"""Benchmark of the HTTP API: workflow actions per second, and case listings at 100 000 cases.

Run: ``.venv/bin/python tests/bench/bench_api.py`` (SQLite, a throwaway file in a temp dir) or with
``OTKLIK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/otklik`` (PostgreSQL: a throwaway database
``otklik_bench`` is created next to the named one and dropped at the end).

1. Actions: ``CYCLES`` full cycles through ``django.test.Client`` with token auth — ingest, detect,
   route, accept, submit, approve, publish (7 requests each) — reported as actions per second and
   the mean time of each step. Side effects (notifications, triage of new messages) run eagerly, as
   in the tests.
2. Listings: ``N_CASES`` synthetic cases (bulk-created in batches, each with a topic, an assignment
   and three stages; ~20 % open), then ``REPEAT`` requests per filter: open by deadline, by
   department, by topic, overdue, text search, and an executor's own open cases. p50 and p95 in ms;
   a p95 above ``TARGET_P95_MS`` is flagged.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CYCLES = int(os.environ.get("BENCH_CYCLES", "100"))
N_CASES = int(os.environ.get("BENCH_CASES", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
BATCH = 5000
TARGET_P95_MS = 200.0
BENCH_DB = "otklik_bench"


def _setup_database() -> tuple[str, object]:
    """Point the settings at a throwaway database; return its label and a cleanup function."""
    url = os.environ.get("OTKLIK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["OTKLIK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

        return f"PostgreSQL ({BENCH_DB})", drop
    tmp = tempfile.TemporaryDirectory(prefix="otklik-bench-")
    os.environ["OTKLIK_DATA_DIR"] = tmp.name
    os.environ.pop("OTKLIK_DATABASE_URL", None)
    return f"SQLite ({tmp.name})", tmp.cleanup


LABEL, CLEANUP = _setup_database()
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
# Only the API's URLs: the benchmark measures the API, not the web UI.
settings.ROOT_URLCONF = "tests.integration.api_urls"

from django.contrib.auth.models import User  # noqa: E402

from otklik.cases.models import Assignment, Case, search_key  # noqa: E402
from otklik.domain.workflow import OPEN_STATES, State  # noqa: E402
from otklik.organization.models import Administration, Department, Membership, Role, Topic  # noqa: E402
from otklik.organization.tokens import api_token_create  # noqa: E402
from otklik.sla.models import Stage  # noqa: E402


class Api:
    def __init__(self, user: User) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {api_token_create(user=user, name='bench')}"}

    def post(self, path: str, data: object) -> dict:
        r = self.client.post(f"/api{path}", data=data, content_type="application/json", headers=self.headers)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path}: {r.status_code} {r.content[:300]!r}")
        return r.json()

    def get(self, path: str, params: dict) -> dict:
        r = self.client.get(f"/api{path}", params, headers=self.headers)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.content[:300]!r}")
        return r.json()


def _org() -> tuple[Administration, list[Department], list[Topic], User, list[User]]:
    adm = Administration.objects.create(slug="bench", name="Администрация (бенчмарк)")
    curator = User.objects.create_user("bench-curator")
    Membership.objects.create(user=curator, administration=adm, role=Role.CURATOR)
    depts, executors = [], []
    for i in range(10):
        dept = Department.objects.create(administration=adm, name=f"Отдел {i + 1}")
        user = User.objects.create_user(f"bench-exec-{i}")
        Membership.objects.create(user=user, administration=adm, role=Role.EXECUTOR, department=dept)
        depts.append(dept)
        executors.append(user)
    topics = [Topic.objects.create(administration=adm, code=f"t{i}", name=f"Тема {i}") for i in range(15)]
    return adm, depts, topics, curator, executors


def _ms(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return statistics.median(values) * 1000, p95 * 1000


def bench_actions(depts: list[Department], curator: User, executors: list[User]) -> None:
    cur = Api(curator)
    exe = Api(executors[0])
    dept = depts[0].pk
    steps: dict[str, list[float]] = {
        k: [] for k in ("ingest", "detect", "route", "accept", "submit", "approve", "publish")
    }

    def timed(name: str, fn, *args):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        result = fn(*args)
        steps[name].append(time.perf_counter() - t0)
        return result

    def cycle(i: int) -> None:
        body = timed(
            "ingest", cur.post, "/messages/", {"messages": [{"external_id": f"b-{i}", "text": f"Сообщение {i}"}]}
        )
        mid = body["created"][0]
        case = timed("detect", cur.post, f"/messages/{mid}/detect", {})
        cid = case["id"]
        timed("route", cur.post, f"/cases/{cid}/route", {"departments": [{"department_id": dept}]})
        timed("accept", exe.post, f"/cases/{cid}/accept", {})
        timed("submit", exe.post, f"/cases/{cid}/drafts", {"text": "Ответ по существу."})
        timed("approve", cur.post, f"/cases/{cid}/approve", {})
        timed("publish", exe.post, f"/cases/{cid}/publish", {"url": f"https://example.org/a/{i}"})

    for i in range(5):  # warm-up: imports, caches, first queries
        cycle(-1 - i)
    for values in steps.values():
        values.clear()
    t0 = time.perf_counter()
    for i in range(CYCLES):
        cycle(i)
    wall = time.perf_counter() - t0
    n = CYCLES * len(steps)
    print(f"\nActions through the API ({CYCLES} cycles × {len(steps)} requests, one client, one process)")
    print(f"  {n / wall:8.1f} actions/s   {CYCLES / wall:6.1f} full cycles/s   ({wall:.1f} s)")
    for name, values in steps.items():
        p50, p95 = _ms(values)
        print(f"  {name:8s} mean {statistics.mean(values) * 1000:6.1f} ms   p50 {p50:6.1f}   p95 {p95:6.1f}")


WORDS = (
    "вода труба отопление дорога яма свет фонарь мусор контейнер школа детский сад автобус остановка "
    "мост снег наледь крыша подъезд забор собака поликлиника врач аптека магазин клуб библиотека "
    "водопровод колонка скважина электричество столб провод"
).split()
RARE = "экскаватор"


def _synthetic(adm: Administration, depts: list[Department], topics: list[Topic], curator: User, now: datetime) -> None:
    rnd = random.Random(352)
    start = Case.objects.filter(administration=adm).count()
    open_states = [s.value for s in OPEN_STATES]
    through = Case.topics.through
    t0 = time.perf_counter()
    for base in range(0, N_CASES, BATCH):
        cases = []
        for i in range(base, min(N_CASES, base + BATCH)):
            detected = now - timedelta(days=730 * (1 - i / N_CASES), minutes=rnd.randint(0, 600))
            is_open = rnd.random() < 0.2
            words = rnd.sample(WORDS, rnd.randint(6, 14))
            if rnd.random() < 0.01:
                words.append(RARE.capitalize())
            summary = " ".join(words).capitalize()
            due = detected + timedelta(hours=rnd.randint(1, 30))
            next_due = (now + timedelta(hours=rnd.randint(-20, 40))) if is_open else None
            cases.append(
                Case(
                    administration=adm,
                    number=start + i + 1,
                    state=rnd.choice(open_states) if is_open else State.CLOSED.value,
                    network=rnd.choice(["vk", "ok", "telegram"]),
                    summary=summary,
                    search_text=search_key(summary),
                    importance=rnd.choice(["low", "normal", "normal", "high"]),
                    detected_at=detected,
                    detected_by=curator,
                    answer_due_at=due,
                    next_deadline_at=next_due,
                    next_stage="draft_lead" if is_open else "",
                    closed_at=None if is_open else detected + timedelta(hours=5),
                )
            )
        created = Case.objects.bulk_create(cases)
        if created[0].pk is None:  # SQLite < 3.35 / backends without RETURNING
            by_number = dict(
                Case.objects.filter(administration=adm, number__gte=cases[0].number).values_list("number", "pk")
            )
            for c in cases:
                c.pk = by_number[c.number]
        through.objects.bulk_create([through(case_id=c.pk, topic_id=rnd.choice(topics).pk) for c in cases])
        assignments = [
            Assignment(
                case_id=c.pk,
                administration=adm,
                department=rnd.choice(depts),
                order=1,
                is_lead=True,
                status="accepted",
                received_at=c.detected_at,
            )
            for c in cases
        ]
        Assignment.objects.bulk_create(assignments)
        stages = []
        for c in cases:
            closed = c.state == State.CLOSED.value
            for key, hours in (("route", 0.5), ("answer", 9), ("draft_lead", 5)):
                due = c.detected_at + timedelta(hours=hours)
                stages.append(
                    Stage(
                        case_id=c.pk,
                        administration=adm,
                        key=key,
                        started_at=c.detected_at,
                        due_at=due if closed or key != "draft_lead" else c.next_deadline_at,
                        status="done" if closed or key == "route" else "open",
                        ended_at=due - timedelta(minutes=5) if closed or key == "route" else None,
                        on_time=True if closed or key == "route" else None,
                    )
                )
        Stage.objects.bulk_create(stages, batch_size=2000)
    print(
        f"\nSynthetic data: {N_CASES} cases, {N_CASES} assignments, {3 * N_CASES} stages "
        f"in {time.perf_counter() - t0:.0f} s"
    )


def bench_listings(
    adm: Administration, depts: list[Department], topics: list[Topic], curator: User, executors: list[User]
) -> None:
    from django.db import connection

    now = datetime.now(UTC)
    _synthetic(adm, depts, topics, curator, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    cur = Api(curator)
    exe = Api(executors[3])
    rnd = random.Random(7)
    filters = {
        "open by deadline": (cur, lambda: {"open": "true"}),
        "by department": (cur, lambda: {"department": rnd.choice(depts).pk}),
        "open by department": (cur, lambda: {"department": rnd.choice(depts).pk, "open": "true"}),
        "by topic": (cur, lambda: {"topic": rnd.choice(topics).pk}),
        "overdue": (cur, lambda: {"overdue": "true"}),
        "text search (common word)": (cur, lambda: {"q": rnd.choice(WORDS[:10]).upper()}),
        "text search (rare word)": (cur, lambda: {"q": RARE}),
        "executor: own open cases": (exe, lambda: {"open": "true"}),
        "recent by detection": (cur, lambda: {"order": "detected"}),
    }
    print(f"\nListing GET /api/cases/ (50 per page) at {Case.objects.count()} cases, {REPEAT} requests each")
    slow = []
    for name, (api, params) in filters.items():
        api.get("/cases/", params())  # warm-up
        times = []
        count = 0
        for _ in range(REPEAT):
            p = params()
            t0 = time.perf_counter()
            page = api.get("/cases/", p)
            times.append(time.perf_counter() - t0)
            count = len(page["items"])
        p50, p95 = _ms(times)
        flag = "  SLOW" if p95 > TARGET_P95_MS else ""
        if flag:
            slow.append(name)
        print(f"  {name:28s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({count} items){flag}")
    print(f"  target p95 ≤ {TARGET_P95_MS:.0f} ms: " + ("all met" if not slow else "missed by " + ", ".join(slow)))


def main() -> None:
    print(f"Database: {LABEL}")
    try:
        call_command("migrate", verbosity=0)
        adm, depts, topics, curator, executors = _org()
        bench_actions(depts, curator, executors)
        if N_CASES:
            bench_listings(adm, depts, topics, curator, executors)
    finally:
        CLEANUP()  # type: ignore[operator]


if __name__ == "__main__":
    main()
