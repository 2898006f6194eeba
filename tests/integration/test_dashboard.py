"""The Head's dashboard tells the truth: the same figures as the П.21 report, each a link to the
cases behind it, П.23 alerts with deadlines and state each once, pictures without a CDN.

The month is May 2026 of ``reports_seed`` plus one case left overdue in every open state.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import chita
from tests.integration.reports_seed import REPORT_NOW, detect, route, seed_may_2026

pytestmark = pytest.mark.django_db

MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


def seed_overdue_in_every_state(org: Any) -> dict[str, Any]:
    """Cases detected in late May and left, past their deadlines, in each open state."""
    from otklik.cases import actions as a

    cur, zhkh, roads = org.actor("curator"), org.actor("zhkh"), org.actor("roads")
    t = chita(2026, 5, 25, 10)
    minutes = dt.timedelta(minutes=1)
    cases = {"triage": detect(org, "Не вывозят мусор", t, topic="zhkh", place="gz")}

    routed = detect(org, "Упало дерево на провода", t, topic="zhkh", place="shirokaya")
    route(org, routed, "roads", t + 10 * minutes)
    cases["routed"] = routed

    in_work = detect(org, "Нет света на ул. Советской", t, topic="zhkh", place="gz")
    route(org, in_work, "zhkh", t + 10 * minutes)
    a.case_accept(case=in_work, actor=zhkh, now=t + 20 * minutes)
    cases["in_work"] = in_work

    review = detect(org, "Когда починят крышу школы?", t, topic="education", place="gz")
    route(org, review, "roads", t + 10 * minutes)
    a.case_accept(case=review, actor=roads, now=t + 20 * minutes)
    a.case_submit_draft(case=review, actor=roads, kind="answer", text="Проект.", now=t + 60 * minutes)
    cases["review"] = review

    rework = detect(org, "Яма у остановки", t, topic="roads", place="gz")
    route(org, rework, "roads", t + 10 * minutes)
    a.case_submit_draft(case=rework, actor=roads, kind="answer", text="Проект.", now=t + 60 * minutes)
    a.case_return_draft(case=rework, actor=cur, comment="Уточните сроки.", now=t + 70 * minutes)
    cases["rework"] = rework

    approved = detect(org, "Не работает фонарь", t, topic="zhkh", place="shirokaya")
    route(org, approved, "zhkh", t + 10 * minutes)
    a.case_submit_draft(case=approved, actor=zhkh, kind="answer", text="Заменим.", now=t + 60 * minutes)
    a.case_approve(case=approved, actor=cur, now=t + 70 * minutes)
    cases["approved"] = approved

    early = chita(2026, 5, 4, 11)
    interim = detect(org, "Когда построят мост?", early, topic="roads", place="gz", significant=True)
    route(org, interim, "roads", early + 10 * minutes)
    a.case_submit_draft(case=interim, actor=roads, kind="interim", text="Сообщим.", now=early + 60 * minutes)
    a.case_approve(case=interim, actor=cur, now=early + 70 * minutes)
    a.case_publish(case=interim, actor=roads, url="https://ok.ru/i", now=early + 80 * minutes)
    cases["interim"] = interim
    return cases


@pytest.fixture
def month(org: Any) -> dict[str, Any]:
    return {**seed_may_2026(org), **seed_overdue_in_every_state(org)}


def _get(client: Client, org: Any, url: str, user: str = "head") -> Any:
    client.force_login(org.users[user])
    with time_machine.travel(REPORT_NOW, tick=False):
        return client.get(url)


def _count(html: str) -> int:
    found = re.search(r'data-testid="board-count">(\d+)<', html)
    assert found, "the board shows its count"
    return int(found.group(1))


def test_every_open_state_is_left_overdue(month: dict[str, Any]) -> None:
    from otklik.cases.models import Case

    states = {key: Case.objects.get(pk=month[key].pk).state for key in
              ("triage", "routed", "in_work", "review", "rework", "approved", "interim")}  # fmt: skip
    assert states == {k: k for k in states}
    overdue = Case.objects.filter(pk__in=[c.pk for c in month.values()], next_deadline_at__lt=REPORT_NOW)
    assert {c.state for c in overdue} >= set(states)


def test_the_dashboards_figures_equal_the_reports(client: Client, org: Any, month: dict[str, Any]) -> None:
    from otklik.reports.queries import build_monthly_report

    report = build_monthly_report(org.adm, *MAY, now=REPORT_NOW)
    response = _get(client, org, reverse("web:dashboard") + "?month=2026-05")
    assert response.status_code == 200
    d = response.context["d"]
    assert (d.start, d.end, d.is_current) == (*MAY, False)
    fields = ("received", "answered", "answered_on_time", "answered_late", "overdue_unanswered", "on_time_percent")
    by_name = {line.row.name: line.row for line in d.departments}
    assert set(by_name) == {r.name for r in report.departments}
    for row in report.departments:
        assert [getattr(by_name[row.name], x) for x in fields] == [getattr(row, x) for x in fields], row.name
    assert [getattr(d.total, x) for x in fields] == [getattr(report.total, x) for x in fields]
    assert d.detected == report.cases_detected == 12
    # the case left in triage is overdue without a department: it counts in the curator's row
    assert report.curator.overdue_unanswered == 1 and d.curator.overdue_unanswered == 1
    # by hand: answers A (on time), B (late), C, interim (on time); E, routed, in_work, review,
    # rework, approved and the triage case overdue without an answer → 3 / (4 + 7)
    assert (report.total.answered, report.total.answered_on_time, report.total.overdue_unanswered) == (4, 3, 7)
    assert report.total.on_time_percent == 27.3
    zhkh = by_name["Отдел ЖКХ, строительства и транспорта"]
    assert (zhkh.answered, zhkh.answered_on_time, zhkh.overdue_unanswered, zhkh.on_time_percent) == (2, 1, 3, 20.0)


def test_every_figure_opens_the_list_it_counts(client: Client, org: Any, month: dict[str, Any]) -> None:
    d = _get(client, org, reverse("web:dashboard") + "?month=2026-05").context["d"]
    checked = 0
    for line in d.departments:
        expected = {
            "received": line.row.received,
            "answered": line.row.answered,
            "on_time": line.row.answered_on_time,
            "late": line.row.answered_late,
            "overdue": line.row.overdue_unanswered,
        }
        for measure, figure in expected.items():
            html = _get(client, org, line.links[measure]).content.decode()
            assert _count(html) == figure, (line.row.name, measure)
            checked += 1
    for measure, figure in (
        ("detected", d.detected),
        ("late", d.total.answered_late),
        ("overdue", d.total.overdue_unanswered),
        ("on_time", d.total.answered_on_time),
    ):
        html = _get(client, org, d.links[measure]).content.decode()
        assert _count(html) == figure, measure
    board = _get(client, org, d.links["open_overdue"]).content.decode()
    assert _count(board) == d.open_overdue > 0
    assert checked == 15


def test_the_board_names_the_figure_it_shows(client: Client, org: Any, month: dict[str, Any]) -> None:
    from otklik.reports.dashboard import board_url

    html = _get(client, org, board_url("late", *MAY)).content.decode()
    assert "Отвеченные с нарушением срока за май 2026 г." in html
    assert f"№&nbsp;{month['b'].number}<" in html  # a closed case is listed: it was answered late
    plain = _get(client, org, reverse("web:board") + "?measure=late&from=bad&to=2026-05-31").content.decode()
    assert "Открытые обращения" in plain  # a malformed figure query shows the plain board


def test_map_topics_and_places_link_to_their_cases(client: Client, org: Any, month: dict[str, Any]) -> None:
    from otklik.organization.models import Place

    street = Place.objects.create(administration=org.adm, name="ул. Ленина", kind="street", parent=org.places["gz"])
    month["triage"].place = street
    month["triage"].save(update_fields=["place"])
    response = _get(client, org, reverse("web:dashboard") + "?month=2026-05")
    d = response.context["d"]
    html = response.content.decode()
    assert "<svg" in html and 'class="chart map"' in html and "https://" not in d.map  # no tiles, no CDN
    gz = next(p for p in d.places if p.row.name == "Газимурский Завод")
    assert (gz.row.current, gz.row.previous) == (7, 1)
    # the map counts the street for its settlement, and its link lists the same cases
    assert "Газимурский Завод · 8" in d.map
    href = re.search(r'<a href="([^"]+)"><g class="place"><circle[^>]*/><text[^>]*>Газимурский Завод', d.map)
    assert href
    assert _count(_get(client, org, href.group(1).replace("&amp;", "&")).content.decode()) == 8
    topic = next(t for t in d.topics if t.row.name == "ЖКХ")
    assert _count(_get(client, org, topic.href).content.decode()) == topic.row.current


def test_trends_by_week_and_month_link_to_their_cases(client: Client, org: Any, month: dict[str, Any]) -> None:
    from otklik.reports import figures
    from otklik.reports.periods import last_months

    buckets = [(a, b, f"{a:%m}") for a, b in last_months(dt.date(2026, 5, 31), 3)]
    points = figures.trend(org.adm, buckets, now=REPORT_NOW)
    may = points[-1]
    assert (may.received, may.on_time, may.rework) == (12, 3, 2)
    # deadlines missed in May: B (answered late) and the seven left overdue
    assert may.missed == 8
    assert (points[1].received, points[0].received) == (1, 0)  # April's one case, nothing in March
    d = _get(client, org, reverse("web:dashboard") + "?month=2026-05").context["d"]
    assert d.trend_weeks.count("<circle") == 12 * 3 and d.trend_months.count('<rect class="bar"') == 12
    missed = re.findall(r'<a href="([^"]+)"><circle class="dot" fill="#c62828"', d.trend_months)[-1]
    assert _count(_get(client, org, missed.replace("&amp;", "&")).content.decode()) == 8


def test_p23_alerts_show_deadline_and_state_each_once(client: Client, org: Any, month: dict[str, Any]) -> None:
    from otklik.notify.models import Notification

    interim = month["interim"]
    message = interim.messages.first()
    for key, case in ((f"significant:case:{interim.pk}", interim), (f"significant:message:{message.pk}", None)):
        Notification.objects.create(
            recipient=org.users["head"], administration=org.adm, kind="significant", title="П. 23: значимое",
            case=case, dedupe_key=key, created_at=chita(2026, 5, 4, 11, 5),
        )  # fmt: skip
    Notification.objects.create(
        recipient=org.users["head"], administration=org.adm, kind="spike", title="П. 23: всплеск — ЖКХ",
        dedupe_key="spike:ЖКХ::2026-05-26", created_at=chita(2026, 5, 26, 9),
    )  # fmt: skip
    response = _get(client, org, reverse("web:dashboard") + "?month=2026-05")
    alerts = response.context["d"].alerts
    assert [a.case.pk if a.case else a.kind for a in alerts] == [interim.pk, "spike"]
    html = response.content.decode()
    block = html[html.index('data-testid="alerts"') :]
    assert block.count(f"№ {interim.number}<") == 1
    assert "Дан промежуточный ответ" in block and "раб. ч" in block  # state and working time overdue


def test_a_shortcoming_notice_starts_from_a_departments_row(client: Client, org: Any, month: dict[str, Any]) -> None:
    html = _get(client, org, reverse("web:dashboard") + "?month=2026-05").content.decode()
    link = re.search(
        r'href="(/notifications/shortcomings/new/\?department=(\d+)[^"]*)" data-testid="shortcoming"', html
    )
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert "period_start=2026-05-01" in url and "period_end=2026-05-31" in url
    zhkh = org.depts["zhkh"].pk
    zhkh_link = re.search(rf'href="(/notifications/shortcomings/new/\?department={zhkh}[^"]*)"', html)
    assert zhkh_link
    numbers = sorted(int(n) for n in re.search(r"cases=([\d,]+)", zhkh_link.group(1)).group(1).split(","))
    assert numbers == sorted([month["e"].number, month["in_work"].number, month["approved"].number])
    form = _get(client, org, url).content.decode()
    assert 'name="cases" value="' in form
    curator_page = _get(client, org, reverse("web:dashboard") + "?month=2026-05", user="curator").content.decode()
    assert 'data-testid="shortcoming"' not in curator_page  # the notice is the Head's (П.22)


def test_the_current_month_is_the_default_and_nothing_comes_from_a_cdn(client: Client, org: Any) -> None:
    seed_may_2026(org)
    with time_machine.travel(chita(2026, 5, 29, 12), tick=False):
        client.force_login(org.users["head"])
        response = client.get(reverse("web:dashboard"))
    d = response.context["d"]
    assert (d.start, d.is_current) == (dt.date(2026, 5, 1), True)
    html = response.content.decode()
    assert "<script>" not in html and " onclick=" not in html and ' style="' not in html
    assert not re.search(r'(src|href)="https?://', html.split("<main", 1)[1])
    assert "reports/dashboard.css" in html
    assert _get(client, org, reverse("web:dashboard") + "?month=garbage").status_code == 200


def test_other_roles_cannot_read_the_dashboard(client: Client, org: Any) -> None:
    for user in ("zhkh", "zhkh_head"):
        assert _get(client, org, reverse("web:dashboard"), user=user).status_code == 403


def test_overdue_counts_every_stage_though_the_link_carries_the_first_few(
    org: Any, month: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_overdue``: a department's figure is all its overdue answers; its П.22 link carries
    only the most overdue ``OVERDUE_IN_LINK`` case numbers, in order (one query on PostgreSQL,
    one pass on SQLite)."""
    from otklik.reports import dashboard
    from otklik.reports.periods import instants

    _lo, hi = instants(org.adm, *MAY)
    counts, numbers = dashboard._overdue(org.adm, hi, REPORT_NOW)
    assert sum(counts.values()) >= 3 and max(counts.values()) >= 2, counts
    monkeypatch.setattr(dashboard, "OVERDUE_IN_LINK", 1)
    capped_counts, capped = dashboard._overdue_at_end(org.adm, hi, REPORT_NOW)  # not the kept figures
    assert capped_counts == counts
    assert capped == {dept: kept[:1] for dept, kept in numbers.items()}


def _overdue_from_stages(org: Any, hi: dt.datetime, now: dt.datetime) -> dict[int | None, list[int]]:
    """Each department's overdue answers as the stages say (the past periods' path), most overdue first."""
    from otklik.reports import figures as f

    stages = f.with_dept(f.answers_overdue(org.adm, hi, now), "answer").order_by("due_at", "id")
    numbers: dict[int | None, list[int]] = {}
    for dept, number in stages.values_list("dept", "case__number"):
        numbers.setdefault(dept, []).append(number)
    return numbers


def test_the_month_not_over_reads_the_overdue_answers_the_cases_store(org: Any, month: dict[str, Any]) -> None:
    """In the current month the overdue answers come from each case's stored open answer
    (``open_answer_*``, kept by the action path): the same departments, counts and order as the
    answer stages joined to their cases' lead assignments — after a lead's return (the curator's
    again), a re-route to another department, an interim answer and a refusal."""
    from otklik.cases import actions as a
    from otklik.reports import dashboard
    from otklik.reports import figures as f
    from otklik.reports.periods import instants

    cur, zhkh = org.actor("curator"), org.actor("zhkh")
    t = chita(2026, 6, 1, 10)
    returned = detect(org, "Не чистят снег во дворе", t, topic="zhkh", place="gz")
    route(org, returned, "zhkh", t + dt.timedelta(minutes=5))
    a.case_return(case=returned, actor=zhkh, reason="Не наш вопрос.", now=t + dt.timedelta(minutes=9))
    rerouted = detect(org, "Нет освещения на мосту", t, topic="roads", place="gz")
    route(org, rerouted, "zhkh", t + dt.timedelta(minutes=5))
    a.case_return(case=rerouted, actor=zhkh, reason="Это дороги.", now=t + dt.timedelta(minutes=7))
    route(org, rerouted, "roads", t + dt.timedelta(minutes=8))
    refused = detect(org, "Реклама", t, topic="zhkh", place="gz")
    a.case_refuse(case=refused, actor=cur, reason="Не обращение.", now=t + dt.timedelta(minutes=3))

    _lo, hi = instants(org.adm, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert REPORT_NOW < hi
    expected = _overdue_from_stages(org, hi, REPORT_NOW)
    counts, numbers = dashboard._overdue(org.adm, hi, REPORT_NOW)
    assert counts == {dept: len(kept) for dept, kept in expected.items()}
    assert numbers == expected
    assert returned.number in expected[None] and rerouted.number in expected[org.depts["roads"].pk]
    assert refused.number not in {n for kept in expected.values() for n in kept}
    assert f.overdue_by_department(org.adm, hi, REPORT_NOW) == counts
    for dept in (None, org.depts["roads"].pk):
        ids = f.measure_case_ids(org.adm, "overdue", _lo, hi, now=REPORT_NOW, department_id=dept)
        assert ids.count() == (sum(counts.values()) if dept is None else counts[dept])
    # the deadlines missed in a period not over yet: still unanswered (from the cases) and
    # answered late (from the stages), as the stages alone count them — the trends' last bucket
    for since in (chita(2026, 5, 1), chita(2026, 5, 25), chita(2026, 6, 1), chita(2026, 6, 15, 11)):
        assert f.missed_now(org.adm, since, REPORT_NOW) == f.answers_missed(org.adm, since, hi, REPORT_NOW).count()
    assert f.missed_now(org.adm, chita(2026, 5, 1), REPORT_NOW) >= 8
    june = f.trend(
        org.adm,
        [(dt.date(2026, 5, 1), dt.date(2026, 5, 31), "5"), (dt.date(2026, 6, 1), dt.date(2026, 6, 30), "6")],
        now=REPORT_NOW,
    )
    assert [p.missed for p in june] == [
        f.answers_missed(org.adm, *instants(org.adm, p.start, p.end), REPORT_NOW).count() for p in june
    ]
