"""The whole ``otklik triage`` command: 10,000 messages against a database of 100,000 cases.

    .venv/bin/python tests/bench/bench_triage_cli.py [--cases 100000] [--messages 10000]

A fresh SQLite database in a temporary OTKLIK_DATA_DIR (the test fixture's administration with
the shipped villages as places, ``--cases`` earlier cases over two years, each with its first
message), then ``otklik triage FILE`` as a separate process — topic, places, П.19 screen,
importance and repeats (П.17) against the stored cases, start-up included — twice:

1. with no snapshot of the repeat index: the command reads and indexes every case (and writes
   the snapshot, as the worker does after its daily rebuild);
2. as it normally runs: the snapshot is loaded and synced.

Prints wall time, CPU time of the command (the machine is shared: CPU time is what the command
costs), messages per second by each, and the command's peak memory (maxrss).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def texts() -> list[str]:
    rows = []
    for path in (
        ROOT / "tests/triage_eval/eval.jsonl",
        ROOT / "tests/triage_eval/tune.jsonl",
        ROOT / "tests/triage_real/topics_eval.jsonl",
    ):
        rows += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def vary(rng: random.Random, text: str) -> str:
    words = text.split()
    if len(words) > 4:
        j = rng.randrange(1, len(words))
        words[j], words[j - 1] = words[j - 1], words[j]
    return " ".join(words)


def main() -> None:
    n_cases, n_messages = arg("--cases", 100_000), arg("--messages", 10_000)
    tmp = Path(tempfile.mkdtemp(prefix="otklik-bench-cli-"))
    env = dict(os.environ)
    env.update(
        OTKLIK_DATA_DIR=str(tmp),
        OTKLIK_DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    os.environ.update(env)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from otklik.inbox.actions import source_for
    from otklik.inbox.models import Source
    from tests.bench.triage_setup import earlier_cases, organisation_with_places

    t0 = time.perf_counter()
    org, adm, places = organisation_with_places()
    pool = texts()
    rng = random.Random(7)
    source = source_for(adm, Source.Kind.API, network="vk")
    end = dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=730)
    earlier_cases(org, places, source, pool, rng, n=n_cases, first=start, step=(end - start) / n_cases, text=vary)
    path = tmp / "messages.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n_messages):
            at = end + dt.timedelta(seconds=30 * i)
            fh.write(
                json.dumps(
                    {"id": i, "text": vary(rng, rng.choice(pool)), "published_at": at.isoformat()}, ensure_ascii=False
                )
                + "\n"
            )
    print(
        f"setup: {n_cases:,} cases with their messages, {n_messages:,} messages to triage, in {time.perf_counter() - t0:.0f} s"
    )

    otklik = str(Path(sys.executable).with_name("otklik"))
    for title in (
        "first run, no snapshot (indexes every case, writes the snapshot)",
        "usual run (snapshot loaded and synced)",
    ):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with (tmp / "out.jsonl").open("w") as out:
            proc = subprocess.run(
                [otklik, "triage", str(path)], env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False
            )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode:
            print(proc.stderr[-2000:])
            raise SystemExit(proc.returncode)
        rows = [json.loads(line) for line in (tmp / "out.jsonl").read_text(encoding="utf-8").splitlines()]
        repeats = sum(1 for r in rows if r.get("repeat_of") is not None)
        stored = sum(1 for r in rows if r.get("repeat_of_number") is not None)
        print(
            f"{title}: {len(rows):,} lines in {wall:.1f} s wall ({n_messages / wall:,.0f} msg/s), "
            f"CPU {cpu:.1f} s ({n_messages / cpu:,.0f} msg/s), peak memory {after.ru_maxrss / 1024:,.0f} MB; "
            f"{repeats:,} repeats suggested, {stored:,} of them stored cases"
        )


if __name__ == "__main__":
    main()
