"""П.20 accountability and the API's error contract: every action is one attributed event, nothing
is deleted, an illegal transition is a 409 with a clear Russian message, a bad payload a 422 naming
the field."""

from __future__ import annotations

import datetime as dt

import pytest

from otklik.cases.models import Assignment, Case, CaseEvent, Draft
from otklik.inbox.models import Message
from tests.conftest import chita
from tests.integration.flow import Flow, actions

pytestmark = pytest.mark.urls("tests.integration.api_urls")


def t(hour: int, minute: int = 0, day: tuple[int, int, int] = (2026, 12, 7)) -> dt.datetime:
    return chita(*day, hour, minute)


def test_every_action_writes_one_event_with_actor_and_states_and_refusals_write_none(org):
    f = Flow(org)
    u = {k: v.pk for k, v in org.users.items()}
    cid = f.new_case("Сообщение", at=t(9))["id"]
    f.post("curator", f"/cases/{cid}/triage", {"importance": "high"}, at=t(9, 5))
    f.route(cid, "edu", at=t(9, 10))
    f.post("edu", f"/cases/{cid}/return", {"reason": "Не наша компетенция"}, at=t(9, 15))
    f.route(cid, "roads", "zhkh", at=t(9, 20))
    f.post("roads", f"/cases/{cid}/contribute", {"text": "Часть ответа"}, at=t(9, 30))
    f.accept(cid, "zhkh", at=t(9, 35))
    f.post("zhkh", f"/cases/{cid}/comments", {"text": "Выезжаю на место"}, at=t(9, 40), status=201)
    f.submit(cid, "zhkh", at=t(10))
    # Refused requests in between leave no trace in the journal.
    f.approve(cid, at=t(10, 1), who="zhkh", status=403)
    f.resubmit(cid, "zhkh", at=t(10, 2), text="x", status=409)
    f.return_draft(cid, at=t(10, 5))
    f.resubmit(cid, "zhkh", at=t(10, 30), text="Исправленный проект")
    f.approve(cid, at=t(10, 40), who="responsible")
    case = f.publish(cid, "zhkh", at=t(10, 50))

    got = [(e["action"], e["actor_id"], e["from_state"], e["to_state"]) for e in case["events"]]
    assert got == [
        ("detect", u["curator"], "", "triage"),
        ("triage", u["curator"], "triage", "triage"),
        ("route", u["curator"], "triage", "routed"),
        ("return", u["edu"], "routed", "triage"),
        ("route", u["curator"], "triage", "routed"),
        ("contribute", u["roads"], "routed", "routed"),
        ("accept", u["zhkh"], "routed", "in_work"),
        ("comment", u["zhkh"], "in_work", "in_work"),
        ("submit_draft", u["zhkh"], "in_work", "review"),
        ("return_draft", u["curator"], "review", "rework"),
        ("resubmit", u["zhkh"], "rework", "review"),
        ("approve", u["responsible"], "review", "approved"),
        ("publish", u["zhkh"], "approved", "closed"),
    ]
    # Times are the moments of the actions, in order.
    times = [e["at"] for e in case["events"]]
    assert times == sorted(times)
    assert CaseEvent.objects.filter(case_id=cid).count() == len(got)
    by_action = {e["action"]: e["payload"] for e in case["events"]}
    assert by_action["return"]["reason"] == "Не наша компетенция"
    assert by_action["return_draft"]["comment"] == "Уточните сроки."
    assert by_action["comment"] == {"text": "Выезжаю на место"}
    assert by_action["triage"] == {"importance": "high", "changes": {"importance": {"from": "normal", "to": "high"}}}


def test_nothing_is_hard_deleted(org):
    f = Flow(org)
    cid = f.new_case("Сообщение", at=t(9))["id"]
    f.route(cid, "zhkh", at=t(9, 10))
    f.submit(cid, "zhkh", at=t(10))
    case = Case.objects.get(pk=cid)
    models = [Case, Message, Draft, CaseEvent, Assignment]
    counts = [m.objects.count() for m in models]
    for obj in (case, case.messages.get(), case.drafts.get(), case.events.first(), case.assignments.get()):
        with pytest.raises(RuntimeError, match=r"П\.20"):
            obj.delete()
    for model in models:
        with pytest.raises(RuntimeError, match=r"П\.20"):
            model.objects.all().delete()
    with pytest.raises(RuntimeError):
        case.events.all().delete()
    with pytest.raises(RuntimeError):
        case.drafts.all().delete()
    # Events are append-only: no update either.
    event = case.events.first()
    with pytest.raises(RuntimeError):
        CaseEvent.objects.filter(pk=event.pk).update(action="forged")
    event.action = "forged"
    with pytest.raises(RuntimeError):
        event.save()
    assert [m.objects.count() for m in models] == counts


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("approve", "Нельзя согласовать проект: обращение № 1 в состоянии «Разбор куратором»."),
        ("publish", "Нельзя разместить ответ: обращение № 1 в состоянии «Разбор куратором»."),
        ("resubmit", "Нельзя направить доработанный проект: обращение № 1 в состоянии «Разбор куратором»."),
    ],
    ids=["approve", "publish", "resubmit"],
)
def test_illegal_transition_is_409_with_a_clear_russian_message(org, step, expected):
    f = Flow(org)
    cid = f.new_case("Сообщение", at=t(9))["id"]
    if step == "approve":
        body = f.approve(cid, at=t(9, 5), status=409)
    elif step == "publish":
        body = f.publish(cid, "curator", at=t(9, 5), status=409)
    else:
        f.route(cid, "zhkh", at=t(9, 1))
        body = f.resubmit(cid, "zhkh", at=t(9, 5), text="x", status=409)
        expected = expected.replace("Разбор куратором", "Направлено в подразделение")
    assert body["code"] == "illegal_transition"
    assert body["detail"] == expected
    assert body["extra"]["state"] in ("triage", "routed")


def test_routing_twice_and_approving_twice_are_409(org):
    f = Flow(org)
    cid = f.new_case("Сообщение", at=t(9))["id"]
    f.route(cid, "zhkh", at=t(9, 5))
    body = f.route(cid, "roads", at=t(9, 6), status=409)
    assert body["detail"] == "Нельзя направить в подразделения: обращение № 1 в состоянии «Направлено в подразделение»."
    f.submit(cid, "zhkh", at=t(10))
    f.approve(cid, at=t(10, 5))
    body = f.approve(cid, at=t(10, 6), status=409)
    assert "«Согласовано, к размещению»" in body["detail"]
    f.accept(cid, "zhkh", at=t(10, 7), status=409)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/drafts", {}, "text"),
        ("/drafts", {"text": ""}, "text"),
        ("/drafts", {"text": "Ответ", "kind": "poem"}, "kind"),
        ("/drafts", {"text": "x" * 10001}, "text"),
        ("/drafts", {"text": "Ответ", "attachment_ids": ["a"]}, "attachment_ids.0"),
        ("/route", {"departments": []}, "departments"),
        ("/route", {"departments": [{"department_id": 999999}]}, "departments"),
        ("/route", {"departments": [{"department_id": "ЖКХ"}]}, "departments.0.department_id"),
        ("/triage", {"importance": "very"}, "importance"),
        ("/triage", {"shortened_deadline": "2026-12-07T15:00:00"}, "shortened_deadline"),
        ("/triage", {"topic_ids": [999999]}, "topic_ids"),
        ("/triage", {"place_id": 999999}, "place_id"),
        ("/comments", {"text": "   "}, "text"),
        ("/publish", {"url": ""}, "url"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isascii() else None,
)
def test_bad_payload_is_422_naming_the_field(org, path, payload, field):
    f = Flow(org)
    cid = f.new_case("Сообщение", at=t(9))["id"]
    who = "curator"
    if path == "/drafts":
        f.route(cid, "zhkh", at=t(9, 5))
        who = "zhkh"
    body = f.post(who, f"/cases/{cid}{path}", payload, at=t(9, 10), status=422)
    assert body["code"] == "invalid"
    assert body["field"] == field
    assert body["detail"]
    # Nothing happened.
    assert actions(f.case(cid, at=t(9, 11)))[-1] in ("detect", "route")


def test_bad_ingest_payload_is_422_and_bad_items_are_reported_not_dropped(org):
    f = Flow(org)
    body = f.post("curator", "/messages/", {"messages": []}, at=t(9), status=422)
    assert body["field"] == "messages"
    # A message that breaks the schema is refused alone, with its reason (issue 15 §4).
    body = f.post("curator", "/messages/", {"messages": [{"external_id": "1"}]}, at=t(9), status=201)
    assert body["items"] == [
        {
            "index": 0,
            "external_id": "1",
            "status": "refused",
            "reason": "text: Field required",
            "message_id": None,
            "case_id": None,
        }
    ]
    body = f.post(
        "curator",
        "/messages/",
        {"messages": [{"external_id": "a", "text": "Хорошее"}, {"external_id": "a", "text": "Повтор"}]},
        at=t(9),
        status=201,
    )
    assert (len(body["created"]), body["duplicates"]) == (1, 1)
    body = f.post("curator", "/messages/", {"messages": [{"external_id": "a", "text": "Хорошее"}]}, at=t(9), status=201)
    assert (body["created"], body["duplicates"]) == ([], 1)


def test_detected_at_in_the_future_is_422(org):
    f = Flow(org)
    mid = f.ingest("Сообщение", at=t(9))
    body = f.post("curator", f"/messages/{mid}/detect", {"detected_at": t(10).isoformat()}, at=t(9), status=422)
    assert body["field"] == "detected_at"
    # A message cannot be detected twice.
    f.detect(mid, at=t(9, 1))
    f.post("curator", f"/messages/{mid}/detect", {}, at=t(9, 2), status=409)
