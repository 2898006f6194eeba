"""П.23: a spike of messages on one topic and place reaches the Head at once, once a day."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import chita
from tests.integration.reports_seed import message

pytestmark = pytest.mark.django_db


def _triage(topic: str, place: str) -> dict:
    return {"topic": "zhkh", "topic_name": topic, "places": [{"name": place, "kind": "settlement"}]}


def test_spike_of_messages_alerts_the_head_once(org, settings) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.alerts import alert_spikes
    from otklik.notify.models import Notification

    now = chita(2026, 5, 9, 3)  # a holiday, at night: П.23 alerts go at once anyway
    # a quiet fortnight: one message on the topic every few days
    for days in (13, 9, 5):
        message(org, "Вода", now - dt.timedelta(days=days, hours=1), triage=_triage("ЖКХ", "Широкая"))
    assert alert_spikes(now) == 0
    for minutes in range(0, 300, 50):
        message(org, "Нет воды третий день", now - dt.timedelta(minutes=minutes + 1), triage=_triage("ЖКХ", "Широкая"))
    message(org, "Про дорогу", now - dt.timedelta(hours=2), triage=_triage("Дороги", "Газимурский Завод"))
    assert alert_spikes(now) == 1
    assert alert_spikes(now + dt.timedelta(minutes=5)) == 0  # once per key and day
    alert = Notification.objects.get(kind="spike")
    assert alert.recipient == org.users["head"] and alert.urgent
    assert "ЖКХ, Широкая" in alert.title and "6 сообщ." in alert.body


def test_shortcoming_notice_is_sent_tracked_and_acknowledged(org, client) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.models import Notification, ShortcomingNotice
    from tests.integration.reports_seed import seed_may_2026

    cases = seed_may_2026(org)
    client.force_login(org.users["curator"])
    assert client.get("/notifications/shortcomings/new/").status_code == 403
    client.force_login(org.users["head"])
    form = client.get(f"/notifications/shortcomings/new/?department={org.depts['zhkh'].pk}&cases={cases['e'].number}")
    assert form.status_code == 200
    response = client.post(
        "/notifications/shortcomings/new/",
        {
            "department": org.depts["zhkh"].pk,
            "text": "Обращение не принято в работу, срок нарушен.",
            "cases": f"{cases['e'].number}, {cases['b'].number}",
            "period_start": "2026-05-01",
            "period_end": "2026-05-31",
        },
    )
    assert response.status_code == 302
    notice = ShortcomingNotice.objects.get()
    assert sorted(notice.cases.values_list("number", flat=True)) == sorted([cases["b"].number, cases["e"].number])
    [n] = Notification.objects.filter(kind="shortcoming")
    assert n.recipient == org.users["zhkh_head"] and n.url == f"/notifications/shortcomings/{notice.pk}/"

    # an executor of the department cannot acknowledge; the department head can, with a comment
    client.force_login(org.users["zhkh"])
    assert client.get(n.url).status_code in (403, 404)
    client.force_login(org.users["zhkh_head"])
    page = client.get(n.url).content.decode()
    assert "Принять к сведению" in page and f"№ {cases['e'].number}" in page
    client.post(n.url, {"comment": ""})
    notice.refresh_from_db()
    assert notice.status == "sent"
    client.post(n.url, {"comment": "Исполнителю объявлено замечание, обращение принято в работу."})
    notice.refresh_from_db()
    assert notice.status == "acknowledged" and notice.acknowledged_by == org.users["zhkh_head"]
    assert Notification.objects.filter(kind="shortcoming", recipient=org.users["head"]).count() == 1
    client.force_login(org.users["head"])
    assert "принято к сведению" in client.get("/notifications/shortcomings/").content.decode()


def test_shortcoming_rules(org) -> None:  # type: ignore[no-untyped-def]
    from otklik.core.errors import PermissionDenied, ValidationFailed
    from otklik.notify.shortcomings import shortcoming_send

    with pytest.raises(PermissionDenied):
        shortcoming_send(actor=org.actor("curator"), department_id=org.depts["zhkh"].pk, text="x")
    with pytest.raises(ValidationFailed, match="не указан начальник"):
        shortcoming_send(actor=org.actor("head"), department_id=org.depts["roads"].pk, text="x")
    with pytest.raises(ValidationFailed, match="не найдены: 999"):
        shortcoming_send(actor=org.actor("head"), department_id=org.depts["zhkh"].pk, text="x", case_numbers=[999])
