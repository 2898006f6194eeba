"""Reminders at 50 % and 80 % of a stage's working time, breach notices — in working hours only.

Thu 7 May 2026 16:00 (Chita) a case is detected; routed at 16:10 to ЖКХ (executor «zhkh»).
Return stage (30 working min, 16:10–16:40): 50 % at 16:25, 80 % at 16:34.
Draft lead (П.11, due Fri 8 May 12:00 — 4 h before the 17:00 answer deadline of the shortened
pre-holiday day): 4 h 50 min of working time; 50 % at Fri 09:35, 80 % at Fri 11:02.
Answer (9 h, due Fri 17:00): 50 % at Fri 11:30, 80 % at Fri 15:12.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import chita
from tests.integration.reports_seed import detect, route

pytestmark = pytest.mark.django_db


def _reminders(org, who):  # type: ignore[no-untyped-def]
    from otklik.notify.models import Notification

    return list(
        Notification.objects.filter(recipient=org.users[who], kind__in=["reminder", "breach"])
        .order_by("created_at", "id")
        .values_list("kind", "created_at", "body")
    )


@pytest.fixture
def case(org):  # type: ignore[no-untyped-def]
    case = detect(org, "Нет воды", chita(2026, 5, 7, 16))
    route(org, case, "zhkh", chita(2026, 5, 7, 16, 10))
    return case


def test_reminder_points_are_fractions_of_working_time(org, case) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.reminders import reminder_times
    from otklik.sla.models import Stage

    calendar = org.adm.calendar
    points = {s.key: reminder_times(s, calendar) for s in Stage.objects.filter(case=case, status="open")}
    assert points["return"] == [("50%", chita(2026, 5, 7, 16, 25)), ("80%", chita(2026, 5, 7, 16, 34))]
    assert points["draft_lead"] == [("50%", chita(2026, 5, 8, 9, 35)), ("80%", chita(2026, 5, 8, 11, 2))]
    assert points["answer"] == [("50%", chita(2026, 5, 8, 11, 30)), ("80%", chita(2026, 5, 8, 15, 12))]


def test_reminders_fire_on_time_once_and_not_after_the_stage_ended(org, case) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases.actions import case_accept
    from otklik.notify.reminders import send_due_reminders
    from otklik.sla.models import Stage

    assert send_due_reminders(chita(2026, 5, 7, 16, 24)) == 0
    assert send_due_reminders(chita(2026, 5, 7, 16, 25)) == 1
    assert send_due_reminders(chita(2026, 5, 7, 16, 26)) == 0  # once
    [(kind, at, body)] = _reminders(org, "zhkh")
    assert (
        (kind, at) == ("reminder", chita(2026, 5, 7, 16, 25))
        and "Прошло 50%" in body
        and "осталось 15 раб. мин · срок 7 мая, 16:40 (Чита)" in body
    )
    case_accept(case=case, actor=org.actor("zhkh"), now=chita(2026, 5, 7, 16, 30))
    assert send_due_reminders(chita(2026, 5, 7, 16, 35)) == 0  # the stage ended before its 80 % point
    assert Stage.objects.get(case=case, key="return").reminders_sent == ["50%"]


def test_never_at_night_and_caught_up_at_the_next_working_instant(org, case) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.reminders import send_due_reminders
    from otklik.sla.models import Stage

    send_due_reminders(chita(2026, 5, 7, 16, 40))  # the return stage's points
    before = len(_reminders(org, "zhkh"))
    at = chita(2026, 5, 7, 18)
    while at < chita(2026, 5, 8, 9):
        assert send_due_reminders(at) == 0
        at += dt.timedelta(minutes=10)
    assert len(_reminders(org, "zhkh")) == before
    # Fri 11:40: draft lead's 50 % (9:35) and 80 % (11:02) have both come — one notice, the latest;
    # the answer's 50 % (11:30) too.
    assert send_due_reminders(chita(2026, 5, 8, 11, 40)) == 2
    new = _reminders(org, "zhkh")[before:]
    assert sorted(b.split(" (п.")[0] for _, _, b in new) == [
        "Направление проекта куратору",
        "Подготовка и размещение ответа",
    ]
    assert Stage.objects.get(case=case, key="draft_lead").reminders_sent == ["50%", "80%"]
    assert sum("Прошло 80%" in b for _, _, b in new) == 1


def test_breach_at_night_is_told_at_the_next_working_instant(org, case, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases.actions import case_accept
    from otklik.notify.reminders import send_due_reminders
    from otklik.sla.models import Stage
    from otklik.sla.sweep import record_breaches

    case_accept(case=case, actor=org.actor("zhkh"), now=chita(2026, 5, 7, 16, 30))
    with django_capture_on_commit_callbacks(execute=True):
        # the draft lead deadline passes at Fri 12:00, a working instant: told at once
        record_breaches(chita(2026, 5, 8, 12, 1))
    breach = [r for r in _reminders(org, "zhkh") if r[0] == "breach"]
    assert [(k, at) for k, at, _ in breach] == [("breach", chita(2026, 5, 8, 12, 1))]
    assert [r[0] for r in _reminders(org, "curator") if r[0] == "breach"] == ["breach"]
    # the answer deadline passes at Fri 17:00, the end of the shortened day: nobody is woken
    with django_capture_on_commit_callbacks(execute=True):
        record_breaches(chita(2026, 5, 8, 17, 5))
    assert len([r for r in _reminders(org, "curator") if r[0] == "breach"]) == 1
    assert send_due_reminders(chita(2026, 5, 11, 12)) == 0  # Mon 11 May is a day off (Victory Day)
    assert send_due_reminders(chita(2026, 5, 12, 9)) == 1  # Tue 09:00
    breaches = [r for r in _reminders(org, "curator") if r[0] == "breach"]
    assert breaches[-1][1] == chita(2026, 5, 12, 9)
    assert "Подготовка и размещение ответа" in breaches[-1][2]
    assert "breach" in Stage.objects.get(case=case, key="answer").reminders_sent
    assert send_due_reminders(chita(2026, 5, 12, 9, 1)) == 0
