"""The monthly summary's figures against numbers computed by hand (May 2026, with holidays)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.reports_seed import REPORT_NOW, seed_may_2026

pytestmark = pytest.mark.django_db


def _build(org, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)):  # type: ignore[no-untyped-def]
    from otklik.reports.queries import build_monthly_report

    return build_monthly_report(org.adm, start, end, now=REPORT_NOW)


def _dept(report, name):  # type: ignore[no-untyped-def]
    return next(d for d in report.departments if d.name == name)


def test_may_2026_department_figures_match_hand_computation(org) -> None:  # type: ignore[no-untyped-def]
    seed_may_2026(org)
    report = _build(org)
    assert report.label == "май 2026 г."
    assert (report.messages_received, report.cases_detected, report.refusals, report.repeats) == (5, 5, 1, 1)

    zhkh = _dept(report, "Отдел ЖКХ, строительства и транспорта")
    assert (zhkh.received, zhkh.answered, zhkh.answered_on_time, zhkh.answered_late) == (3, 2, 1, 1)
    assert (zhkh.overdue_unanswered, zhkh.returns_for_rework, zhkh.repeats, zhkh.interim) == (1, 1, 1, 0)
    # answers: 16800 s and 39600 s → median 28200 s = 7.83 h; p90 = 16800 + 0.9·22800 = 37320 s = 10.37 h
    assert (zhkh.median_hours, zhkh.p90_hours) == (7.83, 10.37)
    # the on-time share counts the open overdue case E against the department: 1 of 3, not 1 of 2
    assert (zhkh.accountable, zhkh.on_time_percent) == (3, 33.3)
    stages = zhkh.stages
    assert (stages["return"].total, stages["return"].on_time) == (2, 2)
    assert (stages["draft_lead"].total, stages["draft_lead"].late) == (2, 1)
    assert stages["draft_lead"].median_hours == round((13200 + 28200) / 2 / 3600, 2)
    assert (stages["rework"].total, stages["rework"].late, stages["rework"].median_hours) == (1, 1, 1.5)
    assert (stages["publish"].on_time, stages["publish"].late) == (1, 1)

    roads = _dept(report, "Отдел дорожного хозяйства")
    assert (roads.received, roads.answered, roads.answered_on_time, roads.interim) == (1, 1, 1, 1)
    assert (roads.median_hours, roads.p90_hours) == (2.5, 2.5)
    assert (roads.stages["return"].late, roads.stages["return"].median_hours) == (1, 1.75)
    assert roads.stages["final_after_interim"].on_time == 1
    assert roads.stages["final_after_interim"].median_hours == 46.5
    assert roads.stages["publish"].total == 2

    edu = _dept(report, "Управление образования")
    assert (edu.received, edu.answered, edu.median_hours) == (0, 0, None)

    curator = report.curator
    assert (curator.stages["route"].total, curator.stages["route"].on_time) == (5, 5)
    assert curator.stages["route"].median_hours == round(600 / 3600, 2)
    assert (curator.stages["review"].total, curator.stages["review"].on_time) == (5, 5)
    assert curator.refusals == 1

    total = report.total
    assert (total.received, total.answered, total.answered_on_time, total.answered_late) == (4, 3, 2, 1)
    # answers 9000, 16800, 39600 s → median 16800 s = 4.67 h; p90 = 16800 + 0.8·22800 = 35040 s = 9.73 h
    assert (total.median_hours, total.p90_hours) == (4.67, 9.73)
    by_key = {s.key: s for s in report.stages}
    assert [s.key for s in report.stages][:3] == ["route", "return", "answer"]
    assert (by_key["publish"].total, by_key["publish"].late) == (4, 1)


def test_may_2026_dynamics_and_worst_overdue(org) -> None:  # type: ignore[no-untyped-def]
    cases = seed_may_2026(org)
    report = _build(org)
    topics = {t.name: (t.current, t.previous, t.year_ago) for t in report.topics}
    assert topics == {"ЖКХ": (3, 0, 1), "Дороги": (1, 1, 0), "Тематика не указана": (1, 0, 0)}
    networks = {n.name: (n.current, n.previous, n.year_ago) for n in report.networks}
    assert networks == {"Одноклассники": (3, 0, 1), "Интернет-форумы": (2, 1, 0)}
    places = {p.name: (p.current, p.previous, p.year_ago) for p in report.places}
    assert places["Газимурский Завод"] == (3, 1, 1)
    assert report.previous_label == "апрель 2026 г." and report.year_ago_label == "май 2025 г."

    worst = [(w.number, w.overdue_hours, w.still_open) for w in report.worst_overdue]
    # E: return stage due 27 May 9:40, still open at the end of May: 3h20 + 4 h + 8 h + 8 h = 23.33 h.
    # B: draft due 8 May 12:00, sent 16:00 = 3 h. C: return due 12 May 9:45, closed 11:00 = 1.25 h.
    assert worst == [
        (cases["e"].number, 23.33, True),
        (cases["b"].number, 3.0, False),
        (cases["c"].number, 1.25, False),
    ]


def test_empty_month_gives_zeros(org) -> None:  # type: ignore[no-untyped-def]
    report = _build(org, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert report.is_empty
    assert report.total.answered == 0 and report.total.median_hours is None
    assert len(report.departments) == 3 and report.worst_overdue == []
    assert all(s.total == 0 for s in report.stages)


def test_any_period_compares_with_the_period_before(org) -> None:  # type: ignore[no-untyped-def]
    seed_may_2026(org)
    report = _build(org, dt.date(2026, 5, 4), dt.date(2026, 5, 8))
    assert report.label == "04.05.2026 — 08.05.2026"
    assert report.previous_label == "29.04.2026 — 03.05.2026"
    assert report.cases_detected == 2
    zhkh = _dept(report, "Отдел ЖКХ, строительства и транспорта")
    assert (zhkh.received, zhkh.answered) == (2, 1)  # B is answered on 12 May, outside
