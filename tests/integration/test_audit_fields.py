"""П.20 (issue 15 §5): every change of a case's summary, topics, place or importance is an event
with the values before and after, written by the action contract whoever asks (API, web), and
shown in the case history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from otklik.cases.models import CaseEvent
from tests.conftest import chita
from tests.integration.flow import Flow

pytestmark = pytest.mark.urls("tests.integration.api_urls")


def t(hour: int, minute: int = 0) -> dt.datetime:
    return chita(2026, 12, 7, hour, minute)


def _triage_events(case_id: int) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=case_id, action="triage").order_by("id"))


def test_a_summary_rewritten_through_triage_is_an_event_with_before_and_after(org):
    f = Flow(org)
    cid = f.new_case("Нет воды на ул. Ленина", at=t(9))["id"]
    f.post("curator", f"/cases/{cid}/triage", {"summary": "Нет воды на ул. Ленина, 5"}, at=t(9, 5))
    (event,) = _triage_events(cid)
    assert event.actor_id == org.users["curator"].pk
    assert event.payload["changes"] == {
        "summary": {"from": "Нет воды на ул. Ленина", "to": "Нет воды на ул. Ленина, 5"}
    }


def test_topic_place_and_importance_changes_keep_the_old_values(org):
    f = Flow(org)
    cid = f.new_case("Яма на дороге", at=t(9))["id"]
    zhkh, roads = org.topics["zhkh"].pk, org.topics["roads"].pk
    place = next(iter(org.places.values()))
    f.post("curator", f"/cases/{cid}/triage", {"topic_ids": [zhkh], "importance": "high"}, at=t(9, 5))
    f.post("curator", f"/cases/{cid}/triage", {"topic_ids": [roads], "place_id": place.pk}, at=t(9, 10))
    first, second = _triage_events(cid)
    assert first.payload["changes"] == {
        "topics": {"from": [], "to": ["ЖКХ"]},
        "importance": {"from": "normal", "to": "high"},
    }
    assert second.payload["changes"] == {
        "topics": {"from": ["ЖКХ"], "to": ["Дороги"]},
        "place": {"from": None, "to": str(place)},
    }


def test_the_same_values_again_change_nothing_and_write_no_event(org):
    f = Flow(org)
    cid = f.new_case("Яма на дороге", at=t(9))["id"]
    f.post("curator", f"/cases/{cid}/triage", {"importance": "high"}, at=t(9, 5))
    f.post("curator", f"/cases/{cid}/triage", {"importance": "high"}, at=t(9, 10))
    assert len(_triage_events(cid)) == 1


@pytest.mark.urls("config.urls")
def test_the_case_page_shows_each_change_with_its_old_and_new_value(org):
    f = Flow(org)
    cid = f.new_case("Нет воды", at=t(9))["id"]
    f.post("curator", f"/cases/{cid}/triage", {"summary": "Нет воды в доме № 5", "importance": "high"}, at=t(9, 5))
    client = Client()
    with time_machine.travel(t(9, 30), tick=False):
        client.force_login(org.users["curator"])
        html = client.get(f"/cases/{cid}/").content.decode()
    assert 'data-testid="event-changes"' in html
    assert "<del>«Нет воды»</del> → <ins>«Нет воды в доме № 5»</ins>" in html
    assert "Важность" in html


@pytest.mark.urls("config.urls")
def test_the_web_triage_form_records_the_old_place(org):
    """The case page's triage form goes through the same contract (no per-view auditing)."""
    f = Flow(org)
    cid = f.new_case("Яма", at=t(9))["id"]
    places = list(org.places.values())
    f.post("curator", f"/cases/{cid}/triage", {"place_id": places[0].pk}, at=t(9, 1))
    client = Client()
    with time_machine.travel(t(9, 5), tick=False):
        client.force_login(org.users["curator"])
        response = client.post(f"/cases/{cid}/triage/", {"place": places[-1].pk, "importance": "normal"}, follow=False)
    assert response.status_code == 302
    last = _triage_events(cid)[-1]
    assert last.payload["changes"]["place"] == {"from": str(places[0]), "to": str(places[-1])}
