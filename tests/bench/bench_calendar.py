"""Benchmark of the working-time engine: ``add`` / ``elapsed`` / ``subtract`` calls per second.

Run: ``.venv/bin/python tests/bench/bench_calendar.py`` (one core). Random starts in 2024–2027
(Asia/Chita, microsecond precision), random working-time limits 30 min .. 9 h plus 10 % day
limits (П.15). The target is at least 200 000 ``add`` calls per second of CPU time; the wall-clock
rate is printed too (on a shared machine it measures the neighbours as well).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from otklik.domain.calendar import WorkingCalendar
from otklik.domain.regulation import Limit, Unit

TARGET_ADDS_PER_SECOND = 200_000
N = 200_000


def _inputs(n: int, seed: int = 352) -> tuple[list[datetime], list[Limit | timedelta]]:
    rnd = random.Random(seed)
    cal = WorkingCalendar.default()
    lo = datetime(2024, 1, 1, tzinfo=cal.tz).timestamp()
    hi = datetime(2027, 12, 1, tzinfo=cal.tz).timestamp()
    starts = [datetime.fromtimestamp(rnd.uniform(lo, hi), tz=UTC).astimezone(cal.tz) for _ in range(n)]
    day_limit = Limit("final_after_interim", 7, Unit.WORKING_DAYS, "interim_sent", "П.15", "")
    limits: list[Limit | timedelta] = [
        day_limit if rnd.random() < 0.1 else timedelta(minutes=rnd.randint(30, 540)) for _ in range(n)
    ]
    return starts, limits


def _rate(fn, args, clock=time.process_time) -> float:  # type: ignore[no-untyped-def]
    t0 = clock()
    for a, b in args:
        fn(a, b)
    return len(args) / max(clock() - t0, 1e-9)


def main() -> int:
    cal = WorkingCalendar.default()
    starts, limits = _inputs(N)
    t0 = time.perf_counter()
    cal.add(starts[0], limits[0])  # builds the arrays for the first year
    cal.add(datetime(2024, 1, 2, tzinfo=cal.tz), timedelta(0))
    cal.add(datetime(2027, 12, 1, tzinfo=cal.tz), timedelta(hours=1))
    warm = time.perf_counter() - t0
    ends = [cal.add(s, lim) for s, lim in zip(starts, limits, strict=True)]

    best_add = max(_rate(cal.add, list(zip(starts, limits, strict=True))) for _ in range(3))
    wall_add = max(_rate(cal.add, list(zip(starts, limits, strict=True)), time.perf_counter) for _ in range(3))
    pairs = list(zip(starts, ends, strict=True))
    best_elapsed = max(_rate(cal.elapsed, pairs) for _ in range(3))
    # Going back up to 9 h from the first days of 2024 would need 2023, which is only estimated.
    late = [e for e in ends if e >= datetime(2024, 1, 20, tzinfo=cal.tz)]
    back = [(e, timedelta(minutes=30 + i % 511)) for i, e in enumerate(late)]
    best_sub = max(_rate(cal.subtract, back) for _ in range(3))

    print(f"calls per run:          {N}")
    print(f"arrays for 2024-2027:   {warm * 1000:.1f} ms (first use)")
    print(f"add/second:             {best_add:,.0f} (CPU time; wall clock {wall_add:,.0f})")
    print(f"elapsed/second:         {best_elapsed:,.0f}")
    print(f"subtract/second:        {best_sub:,.0f}")
    ok = best_add >= TARGET_ADDS_PER_SECOND
    print(f"target {TARGET_ADDS_PER_SECOND:,} add/s: {'OK' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
