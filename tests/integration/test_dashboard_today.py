"""A month still running is counted as its days before today, kept, and today (``period_cached``).

The kept part must add up with today's to what one count over the whole month gives: the same
departments' receipts (a case received before today and again today counts once), answers on
time and late, topics, places and networks, trend buckets — on the first look of the day and
from the kept part, and a case detected today shows at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.db.models import Count

from tests.conftest import chita
from tests.integration.reports_seed import detect, route, seed_may_2026

pytestmark = pytest.mark.django_db

NOW = chita(2026, 5, 28, 15)
COUNTED = ("received", "repeats", "answered", "answered_on_time", "answered_late", "overdue_unanswered")


def _today(org: Any) -> dict[str, Any]:
    """Work that crosses today's midnight: a case routed to ЖКХ on the 25th, returned and routed
    to ЖКХ again today; one detected, routed and answered today; one today with no place."""
    from otklik.cases import actions as a

    cur, zhkh, roads = org.actor("curator"), org.actor("zhkh"), org.actor("roads")
    twice = detect(org, "Течёт крыша в доме 5", chita(2026, 5, 25, 10), topic="zhkh", place="gz")
    route(org, twice, "zhkh", chita(2026, 5, 25, 10, 10))
    a.case_return(case=twice, actor=zhkh, reason="Уточните адрес.", now=chita(2026, 5, 28, 10))
    route(org, twice, "zhkh", chita(2026, 5, 28, 11))
    today = detect(org, "Не убран снег на мосту", chita(2026, 5, 28, 9), network="vk", topic="roads", place="gz")
    route(org, today, "roads", chita(2026, 5, 28, 9, 10))
    a.case_accept(case=today, actor=roads, now=chita(2026, 5, 28, 9, 20))
    a.case_submit_draft(case=today, actor=roads, kind="answer", text="Уберём сегодня.", now=chita(2026, 5, 28, 10))
    a.case_approve(case=today, actor=cur, now=chita(2026, 5, 28, 10, 10))
    a.case_publish(case=today, actor=roads, url="https://vk.com/wall-1_2", now=chita(2026, 5, 28, 10, 20))
    nowhere = detect(org, "Когда будет автобус?", chita(2026, 5, 28, 12), network="telegram")
    return {"twice": twice, "today": today, "nowhere": nowhere}


def _whole(org: Any) -> tuple[dict[int | None, tuple[int, ...]], dict[Any, int], dict[Any, int], int]:
    """One count over the whole month, kept nowhere."""
    from otklik.cases.models import Case
    from otklik.reports import figures as f
    from otklik.reports.periods import instants

    lo, hi = instants(org.adm, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    rows, _ = f.department_rows(org.adm, lo, hi, now=NOW, percentiles=False)
    cases = Case.objects.filter(administration=org.adm, detected_at__gte=lo, detected_at__lt=hi).order_by()
    topics = dict(cases.values_list("topics__id").annotate(n=Count("id")))
    places = dict(cases.exclude(place=None).values_list("place_id").annotate(n=Count("id")))
    counted = {d: tuple(getattr(r, a) for a in COUNTED) for d, r in rows.items() if any(getattr(r, a) for a in COUNTED)}
    return counted, topics, places, cases.count()


def _shown(org: Any) -> tuple[dict[int | None, tuple[int, ...]], dict[Any, int], dict[Any, int], int]:
    from otklik.reports import dashboard

    board = dashboard.dashboard(org.actor("head"), now=NOW)
    rows = [line.row for line in board.departments] + ([board.curator] if board.curator else [])
    counted = {r.department_id: tuple(getattr(r, a) for a in COUNTED) for r in rows}
    counted = {d: v for d, v in counted.items() if any(v)}
    topics = {t.row.key: t.row.current for t in board.topics if t.row.current}
    places = {p.row.key: p.row.current for p in board.places if p.row.key and p.row.current}
    return counted, topics, places, board.detected


def test_the_running_month_adds_up_over_the_days_before_today_and_today(org: Any) -> None:
    seed_may_2026(org)
    made = _today(org)
    cache.clear()
    expected = _whole(org)
    zhkh = org.depts["zhkh"].pk
    assert expected[0][zhkh][0] == 4  # A, B, E and the case received twice, once
    assert expected[0][org.depts["roads"].pk][1:] != (0, 0, 0, 0, 0)
    first = _shown(org)  # counts the days before today and keeps them
    assert first == expected
    assert _shown(org) == expected  # from the kept part

    # today's work shows at once; the kept part is not counted again
    from otklik.cases.models import Case

    late = detect(org, "Сломана скамейка", chita(2026, 5, 28, 14), topic="roads", place="gz")
    route(org, late, "roads", chita(2026, 5, 28, 14, 10))
    again = _shown(org)
    assert again[3] == first[3] + 1
    assert again[0][org.depts["roads"].pk][0] == first[0][org.depts["roads"].pk][0] + 1
    assert again == _whole(org)
    assert Case.objects.filter(pk__in=[c.pk for c in made.values()]).count() == 3


def test_the_trends_running_buckets_add_up(org: Any) -> None:
    from otklik.reports import figures as f
    from otklik.reports.periods import instants, last_months, last_weeks

    seed_may_2026(org)
    _today(org)
    today = dt.date(2026, 5, 28)
    for buckets in (last_weeks(today, 4), last_months(today, 3)):
        labelled = [(a, b, str(a)) for a, b in buckets]
        for _look in range(2):  # counting the days before today, then from what was kept
            points = f.trend(org.adm, labelled, now=NOW)
            for p in points:
                lo, hi = instants(org.adm, p.start, p.end)
                assert p.received == f.cases_detected(org.adm, lo, hi).count(), p
                assert p.on_time == f.stages_done(org.adm, "answer", lo, hi).filter(on_time=True).count(), p
                assert p.rework == f.reworks_opened(org.adm, lo, hi).count(), p
                assert p.missed == f.answers_missed(org.adm, lo, hi, NOW).count(), p
        assert points[-1].received > 0


def test_beat_counts_the_kept_figures_ahead_of_the_head(org: Any) -> None:
    """``keep_counted`` counts and keeps anew what the dashboard keeps, stale or not, so the
    Head's look after it counts only today's part — and shows the same figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from otklik.reports import dashboard
    from otklik.reports import figures as f
    from otklik.reports.periods import instants
    from otklik.reports.tasks import keep_dashboards_counted

    seed_may_2026(org)
    _today(org)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        expected = _shown(org)
    lo, _hi = instants(org.adm, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    kept = f.past_key(org.adm, "department-counts", lo, f.today_start(org.adm, NOW))
    assert cache.get(kept) is not None
    cache.set(kept, {}, f.PAST_TTL)  # stale: beat must not keep it
    dashboard.keep_counted(org.adm, now=NOW)
    assert cache.get(kept) != {}
    with CaptureQueriesContext(connection) as warm:
        assert _shown(org) == expected
    assert len(warm) < len(cold) - 10
    assert keep_dashboards_counted() == 1
