"""Throughput and memory of the triage engine.

    .venv/bin/python tests/bench/bench_triage.py [--cases 100000]

Prints messages/second for topic+place+screen+importance (fast path, and with slovnet NER), repeat
search ms/message against N synthetic earlier cases spread over two years (30-day window, and with
no window), and peak memory (ru_maxrss). The whole ``otklik triage`` command against a database of
100,000 cases is measured by ``bench_triage_cli.py``.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from otklik.triage.engine import RepeatIndex, TriageConfig, Triager  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    n_cases = int(sys.argv[sys.argv.index("--cases") + 1]) if "--cases" in sys.argv else 100_000
    rows = [
        json.loads(line)
        for name in ("eval.jsonl", "tune.jsonl")
        for line in (ROOT / "tests/triage_eval" / name).read_text(encoding="utf-8").splitlines()
    ]
    texts = [r["text"] for r in rows]
    triager = Triager.default()
    for t in texts:  # warm the lemma cache, as a running worker would be
        triager.analyze(t)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        for t in texts:
            triager.analyze(t)
        n += len(texts)
    fast = n / (time.perf_counter() - t0)
    print(f"topic+place+screen+importance, fast path: {fast:,.0f} msg/s")

    ner = Triager(config=TriageConfig(ner=True))
    for t in texts[:50]:
        ner.analyze(t)
    t0 = time.perf_counter()
    for t in texts:
        ner.analyze(t)
    print(f"same with slovnet NER: {len(texts) / (time.perf_counter() - t0):,.0f} msg/s")

    rng = random.Random(7)
    vocab = sorted({w for t in texts for w in t.lower().replace(",", " ").replace(".", " ").split()})
    places = ["Газимурский Завод", "Батакан", "Ушмун", "Широкая", "Кактолга", "Трубачево"]
    topics = ["roads", "water", "heating", "waste", "improvement", "transport", "health"]
    # earlier cases over two years, as an administration accumulates them (about 140 a day)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    span = timedelta(days=730)
    index = RepeatIndex()
    t0 = time.perf_counter()
    for i in range(n_cases):
        base = rng.choice(texts)
        words = base.split() + rng.sample(vocab, 4)
        rng.shuffle(words)
        at = start + span * (i / n_cases)
        index.add(i, " ".join(words), f"author{rng.randrange(20000)}", rng.choice(places), at, topic=rng.choice(topics))
    build = time.perf_counter() - t0
    print(f"repeat index: {n_cases:,} cases built in {build:.1f} s ({build / n_cases * 1e3:.2f} ms/case)")
    queries = rng.sample(texts, 300)
    now = start + span
    index.find(queries[0], "author1", "Батакан", now)  # load navec once
    t0 = time.perf_counter()
    found = 0
    for q in queries:
        found += (
            index.find(q, f"author{rng.randrange(20000)}", rng.choice(places), now, topic=rng.choice(topics))
            is not None
        )
    per = (time.perf_counter() - t0) / len(queries) * 1e3
    print(f"repeat search (30-day window): {per:.2f} ms/message against {n_cases:,} cases ({found} matches)")
    index.window = None
    t0 = time.perf_counter()
    for q in queries[:100]:
        index.find(q, f"author{rng.randrange(20000)}", rng.choice(places), now)
    per = (time.perf_counter() - t0) / 100 * 1e3
    print(f"repeat search (no window, the worst case): {per:.2f} ms/message")
    print(f"peak memory (maxrss): {rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
