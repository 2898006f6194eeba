"""Throughput of the Django triage adapter on SQLite: ``triage_messages`` over stored messages.

    .venv/bin/python tests/bench/bench_triage_adapter.py [--messages 1000] [--cases 2000] [--profile]

A fresh SQLite database in a temporary OTKLIK_DATA_DIR (migrated here), the test fixture's
administration (3 topics, 2 places) plus the shipped gazetteer's villages as Place rows,
``--cases`` earlier cases (for П.17 repeats) and ``--messages`` stored messages. Prints:
cold batch (builds the triager, the repeat index, loads navec), warm batch (the same ids again:
the path of a running worker), and the per-batch cache check alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    n_messages, n_cases = arg("--messages", 1000), arg("--cases", 2000)
    tmp = tempfile.mkdtemp(prefix="otklik-bench-triage-")
    os.environ["OTKLIK_DATA_DIR"] = tmp
    os.environ.pop("OTKLIK_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from otklik.cases.models import Case
    from otklik.inbox.actions import source_for
    from otklik.inbox.models import Message, Source
    from otklik.triage import services
    from tests.bench.triage_setup import earlier_cases, organisation_with_places

    org, adm, places = organisation_with_places()
    rows = [
        json.loads(line)
        for name in ("eval.jsonl", "tune.jsonl")
        for line in (ROOT / "tests/triage_eval" / name).read_text(encoding="utf-8").splitlines()
    ]
    texts = [r["text"] for r in rows]
    rng = random.Random(7)
    source = source_for(adm, Source.Kind.API, network="vk")
    now = dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)

    t0 = time.perf_counter()
    earlier_cases(
        org, places, source, texts, rng, n=n_cases, first=now - dt.timedelta(days=400), step=dt.timedelta(minutes=1)
    )
    # As in a running installation: the earlier cases were last changed long ago.
    Case.objects.filter(administration=adm).update(updated_at=now - dt.timedelta(days=30))
    new = Message.objects.bulk_create(
        (
            Message(
                administration=adm,
                source=source,
                network="vk",
                external_id=f"new-{i}",
                text=rng.choice(texts),
                author_id=f"a{rng.randrange(5000)}",
                received_at=now + dt.timedelta(seconds=i),
            )
            for i in range(n_messages)
        ),
        batch_size=500,
    )
    ids = [m.pk for m in new]
    print(f"setup: {n_cases:,} earlier cases, {n_messages:,} new messages in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    services.triage_messages(ids)
    cold = time.perf_counter() - t0
    print(
        f"cold batch of {n_messages:,} (triager + repeat index + navec): {cold:.1f} s, {n_messages / cold:,.0f} msg/s"
    )

    profiler = None
    if "--profile" in sys.argv:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    services.triage_messages(ids)
    warm, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    print(
        f"warm batch of {n_messages:,}: {warm:.2f} s — {n_messages / warm:,.0f} messages/second "
        f"(CPU time of this process {cpu:.2f} s — {n_messages / cpu:,.0f} msg/s on an idle core)"
    )

    t0 = time.perf_counter()
    for i in range(0, 100):
        services.triage_messages(ids[i : i + 1])
    single = (time.perf_counter() - t0) / 100
    print(f"one-message batches (Callback API pace): {single * 1e3:.1f} ms each, {1 / single:,.0f} msg/s")

    for label, check in (
        ("rubric/places digest + model stat", lambda: services.context._context(adm)),
        ("repeat index sync", lambda: services.repeat_index_for(adm)),
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(50):
            check()
        wall, cpu = (time.perf_counter() - t0) / 50, (time.process_time() - c0) / 50
        print(f"per-batch cache check, {label}: {wall * 1e3:.1f} ms (CPU {cpu * 1e3:.1f} ms)")

    stored = Message.objects.filter(pk__in=ids)
    errors = sum(1 for t in stored.values_list("triage", flat=True) if "error" in t)
    repeats = sum(1 for t in stored.values_list("triage", flat=True) if t.get("repeat_of"))
    with_place = sum(1 for t in stored.values_list("triage", flat=True) if t.get("places"))
    print(
        f"stored: {n_messages - errors:,} ok, {errors} errors, {repeats:,} with a repeat, {with_place:,} with a place"
    )


if __name__ == "__main__":
    main()
