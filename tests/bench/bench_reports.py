"""Benchmark: the monthly report (П.21) over 100,000 cases on a temporary SQLite database.

Synthetic Case, Assignment and Stage rows are bulk-created directly (six stages per case, as a
routed and answered case has), all in November 2026; the report is then built (database
aggregation + percentiles from a flat list of elapsed seconds) and rendered to DOCX, XLSX, PDF.
Prints the time and the peak Python memory (tracemalloc) of each step and the process's max RSS.

    .venv/bin/python tests/bench/bench_reports.py [--cases 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--reuse", help="a folder left by an earlier run: skip seeding")
    args = parser.parse_args()
    tmp = args.reuse or tempfile.mkdtemp(prefix="otklik-bench-reports-")
    os.environ["OTKLIK_DATA_DIR"] = tmp
    os.environ["OTKLIK_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    from otklik.organization.models import Administration

    call_command("migrate", verbosity=0)
    if args.reuse:
        adm = Administration.objects.get(slug="bench")
        print(f"reusing {tmp}: {adm.cases.count():,} cases")
    else:
        seed_started = time.perf_counter()
        adm = seed(args.cases)
        print(f"seed: {args.cases:,} cases, {args.cases * 6:,} stages in {time.perf_counter() - seed_started:.1f} s")
        print(f"(database kept in {tmp}; rerun with --reuse {tmp})")

    import datetime as dt

    from otklik.reports.queries import build_monthly_report
    from otklik.reports.services import report_render

    period = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    started = time.perf_counter()
    report = build_monthly_report(adm, *period)
    elapsed = time.perf_counter() - started
    # memory is measured in a second run: tracemalloc slows the first one down several times
    tracemalloc.start()
    build_monthly_report(adm, *period)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = report.total
    assert total is not None
    print(
        f"build_monthly_report: {elapsed:.2f} s, peak Python memory {peak / 2**20:.1f} MiB "
        f"(answered {total.answered:,}, on time {total.answered_on_time:,}, median {total.median_hours} h, "
        f"p90 {total.p90_hours} h)"
    )
    for fmt in ("docx", "xlsx", "pdf"):
        started = time.perf_counter()
        data = report_render(report, fmt)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        report_render(report, fmt)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"render {fmt}: {elapsed:.2f} s, {len(data) / 1024:.0f} KiB, peak Python memory {peak / 2**20:.1f} MiB")
    bench_screens(adm)
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def bench_screens(adm):  # type: ignore[no-untyped-def]
    """The Head's dashboard and the public page read the same figures: time them too."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import User

    from otklik.organization.models import Administration, Membership, Role
    from otklik.organization.services import actor_for
    from otklik.reports.dashboard import dashboard
    from otklik.reports.periods import last_months
    from otklik.reports.public import month_figures, published_answers

    head, _ = User.objects.get_or_create(username="bench-head")
    Membership.objects.get_or_create(user=head, administration=adm, role=Role.HEAD)
    adm = Administration.objects.get(pk=adm.pk)
    actor = actor_for(head, adm)
    now = dt.datetime(2026, 12, 1, 12, tzinfo=ZoneInfo("Asia/Chita"))
    for title, run in (
        ("dashboard (November)", lambda: dashboard(actor, start=dt.date(2026, 11, 1), now=now)),
        ("public page figures (12 months)", lambda: month_figures(adm, last_months(dt.date(2026, 11, 30), 12), now)),
        ("public page answers (November)", lambda: published_answers(adm, dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ):
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{title}: {elapsed:.2f} s, peak Python memory {peak / 2**20:.1f} MiB")


def seed(n: int):  # type: ignore[no-untyped-def]
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import User
    from django.db import transaction

    from otklik.cases.models import Assignment, Case
    from otklik.organization.models import Administration, Department, Place, Topic
    from otklik.sla.models import Stage

    rng = random.Random(352)
    tz = ZoneInfo("Asia/Chita")
    adm = Administration.objects.create(slug="bench", name="Администрация (бенчмарк)")
    user = User.objects.create_user("bench-curator")
    depts = [Department.objects.create(administration=adm, name=f"Отдел № {i + 1}") for i in range(12)]
    topics = [Topic.objects.create(administration=adm, code=f"t{i}", name=f"Тематика {i + 1}") for i in range(15)]
    places = [Place.objects.create(administration=adm, name=f"Населённый пункт {i + 1}") for i in range(20)]
    start = dt.datetime(2026, 11, 2, 9, tzinfo=tz)
    batch = 5000
    limits = {"route": 1800, "return": 1800, "answer": 32400, "draft_lead": None, "review": 1800, "publish": 1800}
    through = Case.topics.through
    for lo in range(0, n, batch):
        hi = min(lo + batch, n)
        with transaction.atomic():
            cases = Case.objects.bulk_create(
                [
                    Case(
                        administration=adm,
                        number=i + 1,
                        state="closed",
                        network=rng.choice(("vk", "ok", "telegram", "forum")),
                        summary=f"Синтетическое обращение {i + 1}",
                        place=rng.choice(places),
                        detected_at=start + dt.timedelta(minutes=(i * 37) % (27 * 24 * 60)),
                        detected_by=user,
                        closed_at=start,
                    )
                    for i in range(lo, hi)
                ]
            )
            through.objects.bulk_create([through(case_id=c.pk, topic_id=rng.choice(topics).pk) for c in cases])
            assignments = Assignment.objects.bulk_create(
                [
                    Assignment(
                        case=c, administration=adm, department=rng.choice(depts), order=1, is_lead=True, status="accepted",
                        received_at=c.detected_at,
                    )
                    for c in cases
                ]
            )  # fmt: skip
            stages = []
            for c, a in zip(cases, assignments, strict=True):
                t = c.detected_at
                for key, limit in limits.items():
                    elapsed = rng.randint(60, int((limit or 18000) * 1.4))
                    stages.append(
                        Stage(
                            case=c,
                            administration=adm,
                            key=key,
                            assignment=a if key in ("return", "draft_lead") else None,
                            department_id=a.department_id if key in ("return", "draft_lead", "publish") else None,
                            status="done",
                            started_at=t,
                            due_at=t + dt.timedelta(seconds=limit or 18000),
                            ended_at=t + dt.timedelta(seconds=elapsed),
                            limit_seconds=limit,
                            elapsed_seconds=elapsed,
                            on_time=elapsed <= (limit or 18000),
                        )
                    )
            Stage.objects.bulk_create(stages, batch_size=2000)
    return adm


if __name__ == "__main__":
    main()
