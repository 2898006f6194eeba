"""The Head's dashboard on the last day of a month, when the month holds the most rows.

    OTKLIK_DATA_DIR=/tmp/sq1m .venv/bin/python tests/bench/bench_month_end.py
    OTKLIK_DATABASE_URL=postgres://…/otklik_m_screens_1000000 .venv/bin/python tests/bench/bench_month_end.py

``bench_screens.py`` measures the dashboard at the real now, so on the 4th of a month its month
holds four days of cases. Here the dashboard is built in this process (no HTTP, no template)
for a moment late on the last day of the month before the seed's last case: the first look of
that day (nothing kept), then the looks after it, which keep the days before today
(``figures.period_cached``) — against the seed's last moment (what ``bench_screens.py`` sees),
and the month a user picks from the list (a month over: kept whole). The cases detected after
the moment measured are in the database too (the seed runs to the real now): only the last
day's are in the month measured, as they would be by its evening.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("OTKLIK_SECRET_KEY", "bench-" + "x" * 40)
os.environ.setdefault("OTKLIK_REQUIRE_2FA", "0")
os.environ.setdefault("OTKLIK_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402

from otklik.cases.models import Case  # noqa: E402
from otklik.organization.services import actor_for  # noqa: E402
from otklik.reports.dashboard import dashboard  # noqa: E402

LOOKS = 20


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def measure(label: str, actor: object, now: dt.datetime, start: dt.date | None = None) -> None:
    cache.clear()
    t0 = time.perf_counter()
    board = dashboard(actor, now=now, start=start)  # type: ignore[arg-type]
    first = time.perf_counter() - t0
    times = []
    for _ in range(LOOKS):
        t0 = time.perf_counter()
        dashboard(actor, now=now, start=start)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{label:44s} first {ms(first)}   then p50 {ms(statistics.median(times))}  p95 {ms(p95)}"
        f"   ({board.detected:,} cases detected in the month)"
    )


def main() -> None:
    actor = actor_for(User.objects.get(username="bench-head"))
    tz = actor.administration.calendar.tz
    last = Case.objects.filter(administration=actor.administration).order_by("-detected_at").first()
    assert last is not None, "seed the database with bench_screens.py --keep --seed-only first"
    seeded_to = last.detected_at.astimezone(tz)
    month_start = seeded_to.date().replace(day=1)
    month_end = month_start - dt.timedelta(days=1)  # the last day of the month before
    end_of_month = dt.datetime.combine(month_end, dt.time(17, 0), tzinfo=tz)
    n = Case.objects.filter(administration=actor.administration).count()
    print(f"Database: {connection.vendor}, {n:,} cases; the dashboard built in-process, ms")
    measure(f"the last day of a month, {month_end:%d.%m.%Y} 17:00", actor, end_of_month)
    measure(f"the seed's last case, {seeded_to:%d.%m.%Y %H:%M}", actor, seeded_to)
    measure("a month over, picked from the list", actor, seeded_to, start=month_end.replace(day=1))


if __name__ == "__main__":
    main()
