"""Every countdown a person sees is working time, with its wall-clock deadline and zone — at night,
at a weekend, on a holiday and at lunch, in the web UI and in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from otklik.cases import actions
from otklik.cases.models import Case
from otklik.domain.workflow import StageKey
from otklik.sla import clock, display
from otklik.sla.models import Stage
from tests.conftest import chita
from tests.integration.apiclient import Api
from tests.integration.test_web_views import login, make_message

pytestmark = pytest.mark.django_db


def _detected(org: Any, at: dt.datetime) -> Case:
    """A case detected at ``at``: its П.8 routing stage (30 working minutes) runs from then."""
    return actions.case_detect(message=make_message(org), actor=org.actor("curator"), now=at)


# (detected, now, left text, deadline text, clock running, why)
MOMENTS = [
    (
        chita(2026, 12, 7, 17, 45),
        chita(2026, 12, 7, 23, 0),
        "осталось 15 раб. мин",
        "8 дек., 09:15",
        False,
        "at night: the 15 minutes left on Monday evening wait for Tuesday morning",
    ),
    (
        chita(2026, 12, 4, 17, 50),
        chita(2026, 12, 5, 12, 0),
        "осталось 20 раб. мин",
        "7 дек., 09:20",
        False,
        "at a weekend",
    ),
    (
        chita(2026, 12, 30, 17, 50),
        chita(2027, 1, 5, 10, 0),
        "осталось 20 раб. мин",
        "11 янв., 09:20",
        False,
        "on a holiday (New Year 2027)",
    ),
    (
        chita(2026, 12, 8, 12, 50),
        chita(2026, 12, 8, 13, 30),
        "осталось 20 раб. мин",
        "8 дек., 14:20",
        False,
        "at lunch",
    ),
    (
        chita(2026, 12, 8, 10, 0),
        chita(2026, 12, 8, 10, 10),
        "осталось 20 раб. мин",
        "8 дек., 10:30",
        True,
        "during working time",
    ),
    (
        chita(2026, 12, 7, 17, 0),
        chita(2026, 12, 8, 10, 15),
        "просрочено на 1 раб. ч 45 мин",
        "7 дек., 17:30",
        True,
        "overdue over a night: 30 min on Monday and 75 on Tuesday, not 16 h 45 min",
    ),
    (
        chita(2026, 12, 7, 17, 30),
        chita(2026, 12, 7, 20, 0),
        "срок истёк",
        "7 дек., 18:00",
        False,
        "past the deadline, but no working time since",
    ),
]
IDS = [m[5] for m in MOMENTS]


@pytest.mark.parametrize(("detected", "now", "left", "due", "running", "why"), MOMENTS, ids=IDS)
def test_the_selector_counts_working_time(
    org: Any, detected: dt.datetime, now: dt.datetime, left: str, due: str, running: bool, why: str
) -> None:
    case = _detected(org, detected)
    stage = Stage.objects.get(case=case, key=StageKey.ROUTE.value)
    cd = clock.stage_countdown(stage, calendar=org.adm.calendar, now=now)
    assert cd is not None
    assert display.left_words(cd) == left, why
    assert display.countdown_text(cd, now=now) == f"{left} · срок {due} (Чита)"
    assert cd.clock_running is running
    assert cd.due_at == stage.due_at


@pytest.mark.parametrize(("detected", "now", "left", "due", "running", "why"), MOMENTS, ids=IDS)
def test_the_case_page_and_the_board_show_the_same_working_countdown(
    client: Client, org: Any, detected: dt.datetime, now: dt.datetime, left: str, due: str, running: bool, why: str
) -> None:
    case = _detected(org, detected)
    with time_machine.travel(now, tick=False):
        login(client, org, "curator")  # sessions last 12 hours: sign in at the moment looked at
        pages = [
            client.get(reverse("web:case", args=[case.pk])).content.decode(),
            client.get(reverse("web:board")).content.decode(),
            client.get(reverse("web:inbox")).content.decode(),  # "waiting to be routed"
        ]
    for html in pages:
        assert f'<span class="left" data-left-text>{left}</span>' in html, why
        assert f'{due} <span class="tz">(Чита)</span>' in html, why
        if running:
            assert "pause-icon" not in html, why
        elif left.startswith("осталось"):
            assert '<span class="pause-icon" aria-hidden="true"></span>' in html, why  # the clock stands


def test_the_message_page_counts_the_routing_limit_in_working_time(client: Client, org: Any) -> None:
    from otklik.inbox.models import Message

    message = make_message(org)
    Message.objects.filter(pk=message.pk).update(received_at=chita(2026, 12, 4, 17, 50))
    with time_machine.travel(chita(2026, 12, 5, 22, 0), tick=False):  # Saturday night
        login(client, org, "curator")
        html = client.get(reverse("web:message", args=[message.pk])).content.decode()
        inbox = client.get(reverse("web:inbox")).content.decode()
    for page in (html, inbox):
        assert "осталось 20 раб. мин" in page and '7 дек., 09:20 <span class="tz">(Чита)</span>' in page
    assert "нерабочее время, отсчёт с 7 дек., 09:00 (Чита)" in html  # the single countdown says it in words


def test_executor_list_and_review_queue_count_working_time(client: Client, org: Any) -> None:
    curator = org.actor("curator")
    monday = chita(2026, 12, 7, 10, 0)
    case = actions.case_detect(message=make_message(org), actor=curator, now=monday)
    actions.case_route(
        case=case, actor=curator, targets=[actions.RouteTarget(department_id=org.depts["zhkh"].pk)], now=monday
    )
    with time_machine.travel(chita(2026, 12, 7, 22, 0), tick=False):
        mine = login(client, org, "zhkh").get(reverse("web:my_cases")).content.decode()
    # П.9: 30 working minutes from 10:00 — at night still 0 left and overdue by the 30 min of the day.
    assert "просрочено на" in mine and "раб." in mine and "(Чита)" in mine
    actions.case_accept(case=case, actor=org.actor("zhkh"), now=chita(2026, 12, 7, 10, 5))
    actions.case_submit_draft(
        case=case, actor=org.actor("zhkh"), kind="answer", text="Трубу заменят завтра.", now=chita(2026, 12, 7, 17, 50)
    )
    with time_machine.travel(chita(2026, 12, 7, 23, 0), tick=False):
        review = login(client, org, "curator").get(reverse("web:review")).content.decode()
    # П.12: 30 working minutes from 17:50 — 10 tonight, 20 tomorrow.
    assert "осталось 20 раб. мин" in review and '8 дек., 09:20 <span class="tz">(Чита)</span>' in review


@pytest.mark.parametrize(("detected", "now", "left", "due", "running", "why"), MOMENTS, ids=IDS)
def test_the_api_gives_working_seconds_left_and_whether_the_clock_runs(
    org: Any, detected: dt.datetime, now: dt.datetime, left: str, due: str, running: bool, why: str
) -> None:
    case = _detected(org, detected)
    api = Api(org.users["curator"])
    stage = Stage.objects.get(case=case, key=StageKey.ROUTE.value)
    expected = clock.stage_countdown(stage, calendar=org.adm.calendar, now=now)
    assert expected is not None
    with time_machine.travel(now, tick=False):
        body = api.get(f"/cases/{case.pk}").json()
        listed = api.get("/cases/", open=True).json()["items"]
    [route] = [s for s in body["stages"] if s["key"] == "route"]
    assert route["remaining_working_seconds"] == expected.remaining_seconds, why
    assert route["clock_running"] is running
    answer = next(s for s in body["stages"] if s["key"] == "answer")
    assert answer["remaining_working_seconds"] > 0
    assert body["remaining_working_seconds"] == expected.remaining_seconds  # the next deadline is the route's
    [item] = [i for i in listed if i["id"] == case.pk]
    assert (item["remaining_working_seconds"], item["clock_running"]) == (expected.remaining_seconds, running)


def test_the_api_leaves_ended_stages_without_a_countdown(org: Any) -> None:
    curator = org.actor("curator")
    case = _detected(org, chita(2026, 12, 7, 10, 0))
    actions.case_route(
        case=case,
        actor=curator,
        targets=[actions.RouteTarget(department_id=org.depts["zhkh"].pk)],
        now=chita(2026, 12, 7, 10, 10),
    )
    with time_machine.travel(chita(2026, 12, 7, 10, 20), tick=False):
        body = Api(org.users["curator"]).get(f"/cases/{case.pk}").json()
    [route] = [s for s in body["stages"] if s["key"] == "route"]
    assert route["status"] == "done" and route["remaining_working_seconds"] is None and route["clock_running"] is None
    [ret] = [s for s in body["stages"] if s["key"] == "return"]
    assert ret["remaining_working_seconds"] == 20 * 60 and ret["clock_running"] is True


def test_the_api_gives_a_new_message_its_routing_countdown(org: Any) -> None:
    from otklik.inbox.models import Message

    message = make_message(org)
    Message.objects.filter(pk=message.pk).update(received_at=chita(2026, 12, 8, 12, 50))
    with time_machine.travel(chita(2026, 12, 8, 13, 30), tick=False):  # lunch
        [item] = Api(org.users["curator"]).get("/messages/").json()
    assert item["route_due_at"] == "2026-12-08T14:20:00+09:00"
    assert (item["remaining_working_seconds"], item["clock_running"]) == (20 * 60, False)


def test_reminders_and_breach_notices_speak_working_time(org: Any) -> None:
    from otklik.notify.models import Notification
    from otklik.notify.reminders import send_due_reminders
    from otklik.sla.sweep import record_breaches

    case = _detected(org, chita(2026, 12, 7, 17, 0))
    record_breaches(now=chita(2026, 12, 8, 10, 15))
    send_due_reminders(now=chita(2026, 12, 8, 10, 15))
    notice = Notification.objects.filter(case_id=case.pk, kind="breach").order_by("pk").last()
    assert notice is not None
    assert "просрочено на 1 раб. ч 45 мин · срок 7 дек., 17:30 (Чита)" in notice.body


def test_moments_have_one_form_with_the_zone_and_the_year_when_not_this_one() -> None:
    now = chita(2026, 12, 1, 12, 0)
    assert display.moment(chita(2026, 12, 2, 9, 30), "Asia/Chita", now=now) == "2 дек., 09:30 (Чита)"
    assert display.moment(chita(2027, 1, 11, 9, 30), "Asia/Chita", now=now) == "11 янв. 2027, 09:30 (Чита)"
    assert display.moment(chita(2026, 12, 2, 9, 30), "Europe/Moscow", now=now) == "2 дек., 03:30 (Москва)"
    assert display.working_duration(30 * 60) == "30 раб. мин"
    assert display.working_duration(-(2 * 3600 + 15 * 60)) == "2 раб. ч 15 мин"
    assert display.working_duration(9 * 3600) == "9 раб. ч"
    assert display.working_duration(59) == "< 1 раб. мин"
