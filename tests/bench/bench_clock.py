"""Benchmark of the working-time selector (``otklik.sla.clock``) behind every countdown.

Run: ``.venv/bin/python tests/bench/bench_clock.py`` (one core, no database). Prints the cost of
one ``countdown`` (deadline, working time left or overdue, whether the clock runs, the colour),
of writing it in words (``display``), and of rendering the ``{% countdown %}`` include for a
100-row list page — the figure a list page pays per row. Random stages in 2024–2027 (Asia/Chita),
limits 30 min .. 9 working hours, "now" anywhere from the start to a day past the deadline.
The target: a 100-row page's countdowns in under 10 ms. Times are the process's CPU time (best of
a few runs), so that neighbours on a shared machine do not count.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

N = 50_000
PAGE_ROWS = 100
TARGET_PAGE_MS = 10.0


def _stages(cal: Any, n: int, seed: int = 352) -> list[tuple[datetime, datetime, int, datetime]]:
    rnd = random.Random(seed)
    lo = datetime(2024, 1, 10, tzinfo=cal.tz).timestamp()
    hi = datetime(2027, 12, 1, tzinfo=cal.tz).timestamp()
    rows = []
    for _ in range(n):
        start = datetime.fromtimestamp(rnd.uniform(lo, hi), tz=UTC)
        limit = rnd.randint(30, 540) * 60
        due = cal.add(start, timedelta(seconds=limit))
        now = start + timedelta(seconds=rnd.uniform(0, (due - start).total_seconds() + 86_400))
        rows.append((start, due, limit, now))
    return rows


def _best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    import django

    django.setup()
    from django.template import Context, Template
    from django.utils import translation

    from otklik.domain.calendar import WorkingCalendar
    from otklik.sla import clock, display

    cal = WorkingCalendar.default()
    rows = _stages(cal, N)
    translation.activate("ru")

    def selectors() -> list[Any]:
        return [clock.countdown(cal, due=due, now=now, limit_seconds=limit) for _s, due, limit, now in rows]

    per_call = _best(selectors) / N * 1e6
    cds = selectors()
    per_text = _best(lambda: [display.countdown_text(cd) for cd in cds]) / N * 1e6
    # The page as a list renders it: a deadline and a working limit per row, the calendar the actor's.
    page = Template("{% load otklik %}{% for r in rows %}{% countdown r.due limit=r.limit %}{% endfor %}")
    chunk = [{"due": due, "limit": limit} for _s, due, limit, _n in rows[:PAGE_ROWS]]
    request = SimpleNamespace(actor=SimpleNamespace(administration=SimpleNamespace(calendar=cal)))
    context = {"rows": chunk, "now": rows[0][3], "request": request}
    page_ms = _best(lambda: page.render(Context(context)), repeat=20) * 1e3
    overdue = sum(cd.overdue for cd in cds)
    print(f"stages:                        {N} ({overdue} overdue at their 'now')")
    print(f"countdown() per call:          {per_call:.2f} µs")
    print(f"countdown text per call:       {per_text:.2f} µs")
    print(f"{{% countdown %}} x {PAGE_ROWS} rows:      {page_ms:.2f} ms ({page_ms * 1000 / PAGE_ROWS:.0f} µs a row)")
    ok = page_ms < TARGET_PAGE_MS
    print(f"target {TARGET_PAGE_MS:.0f} ms a 100-row page: {'OK' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
