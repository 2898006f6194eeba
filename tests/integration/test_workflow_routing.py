"""Routing scenarios through the API: П.8 triage and routing, П.9 return and re-route, П.16 several
departments in order, П.17 repeat messages, П.19 refusal, П.7.2 an absent executor's substitute."""

from __future__ import annotations

import datetime as dt

import pytest

from otklik.organization.models import Absence
from tests.conftest import chita
from tests.integration.flow import Flow, actions, at, stage

pytestmark = pytest.mark.urls("tests.integration.api_urls")

MON = (2026, 12, 7)


def t(hour: int, minute: int = 0, second: int = 0, day: tuple[int, int, int] = MON) -> dt.datetime:
    return chita(*day, hour, minute, second)


def test_p8_curator_sets_topic_place_importance_and_routes_within_30_minutes(org):
    f = Flow(org)
    mid = f.ingest("На ул. Шилова в Широкой третий день нет воды", at=t(10))
    case = f.detect(
        mid,
        at=t(10, 2),
        topic_ids=[org.topics["zhkh"].pk],
        place_id=org.places["shirokaya"].pk,
        importance="high",
        significant=True,
    )
    assert case["state"] == "triage"
    assert case["topics"] == ["ЖКХ"]
    assert case["place"] == "Широкая"
    assert (case["importance"], case["significant"]) == ("high", True)
    assert actions(case) == ["detect", "triage"]
    assert case["messages"][0]["id"] == mid and case["messages"][0]["status"] == "in_case"
    case = f.route(case["id"], "zhkh", at=t(10, 25))
    assert case["state"] == "routed"
    [assignment] = case["assignments"]
    assert (assignment["department_id"], assignment["is_lead"], assignment["status"]) == (
        org.depts["zhkh"].pk,
        True,
        "received",
    )
    assert stage(case, "route")["on_time"] is True
    case = f.accept(case["id"], "zhkh", at=t(10, 30))
    assert case["state"] == "in_work"
    assert case["assignments"][0]["assignee_id"] == org.users["zhkh"].pk


def test_p9_department_returns_within_30_minutes_and_curator_reroutes(org):
    f = Flow(org)
    cid = f.new_case("Когда починят дорогу к школе?", at=t(10))["id"]
    f.route(cid, "edu", at=t(10, 10))
    # Not competent: back to the curator with a reason within 30 minutes of receipt.
    body = f.post("edu", f"/cases/{cid}/return", {"reason": ""}, at=t(10, 20), status=422)
    assert body["field"] == "reason"
    case = f.post("edu", f"/cases/{cid}/return", {"reason": "Дороги — не наша компетенция"}, at=t(10, 25))
    assert case["state"] == "triage"
    assert case["assignments"][0]["status"] == "returned"
    assert case["assignments"][0]["return_reason"] == "Дороги — не наша компетенция"
    ret = stage(case, "return")
    assert (ret["status"], ret["elapsed_seconds"], ret["on_time"]) == ("done", 15 * 60, True)
    assert stage(case, "draft_lead")["status"] == "cancelled"
    # A new route stage (П.8) runs from the return; the answer deadline (П.10) does not move.
    new_route = stage(case, "route", status="open")
    assert at(new_route["due_at"]) == t(10, 55)
    assert at(case["answer_due_at"]) == chita(2026, 12, 8, 11, 0)
    assert stage(case, "answer")["status"] == "open"
    # The returning department cannot act on the case any more.
    f.accept(cid, "edu", at=t(10, 30), status=409)

    case = f.route(cid, "roads", at=t(10, 40))
    assert case["state"] == "routed"
    assert [(a["department_id"], a["order"], a["status"]) for a in case["assignments"]] == [
        (org.depts["edu"].pk, 1, "returned"),
        (org.depts["roads"].pk, 2, "received"),
    ]
    f.accept(cid, "roads", at=t(10, 45))
    f.submit(cid, "roads", at=t(11, 30))
    f.approve(cid, at=t(11, 40))
    case = f.publish(cid, "roads", at=t(11, 50))
    assert case["state"] == "closed"
    assert actions(case) == ["detect", "route", "return", "route", "accept", "submit_draft", "approve", "publish"]
    assert [s["on_time"] for s in case["stages"] if s["key"] == "route"] == [True, True]


def test_p9_return_is_refused_once_the_department_sent_a_draft(org):
    f = Flow(org)
    cid = f.new_case("Сообщение", at=t(10))["id"]
    f.route(cid, "zhkh", at=t(10, 5))
    f.submit(cid, "zhkh", at=t(10, 20))
    body = f.post("zhkh", f"/cases/{cid}/return", {"reason": "Не наше"}, at=t(10, 25), status=409)
    assert body["detail"] == "Нельзя вернуть обращение куратору: обращение № 1 в состоянии «На согласовании»."


def test_p16_three_departments_in_order_the_last_drafts_the_joint_answer(org):
    f = Flow(org)
    cid = f.new_case("Дорога к школе разбита, автобус не ходит, в домах нет воды", at=t(10))["id"]
    case = f.route(cid, "roads", "edu", "zhkh", at=t(10, 15))
    assert [(a["department_id"], a["order"], a["is_lead"]) for a in case["assignments"]] == [
        (org.depts["roads"].pk, 1, False),
        (org.depts["edu"].pk, 2, False),
        (org.depts["zhkh"].pk, 3, True),
    ]
    # П.16.3: each non-last department sends its part within 2 working hours of receipt.
    contributions = [s for s in case["stages"] if s["key"] == "contribution"]
    assert len(contributions) == 2
    assert {at(s["due_at"]) for s in contributions} == {t(12, 15)}
    assert len([s for s in case["stages"] if s["key"] == "draft_lead"]) == 1
    assert stage(case, "draft_lead")["department_id"] == org.depts["zhkh"].pk

    # Only the last department drafts (П.16.4); the others contribute.
    body = f.submit(cid, "roads", at=t(10, 30), status=403)
    assert "последнее подразделение" in body["detail"]
    f.post("zhkh", f"/cases/{cid}/contribute", {"text": "Часть"}, at=t(10, 31), status=409)

    f.accept(cid, "roads", at=t(10, 20))
    case = f.post("roads", f"/cases/{cid}/contribute", {"text": "Ремонт дороги — в мае."}, at=t(11, 15))
    assert case["state"] == "routed"  # a non-last department's work does not move the case
    # Education is late: 10:15 → 13:00 (2 h 45 min) + 14:00 → 14:30 = 3 h 15 min of working time.
    case = f.post("edu", f"/cases/{cid}/contribute", {"text": "Подвоз детей организован."}, at=t(14, 30))
    facts = {
        s["department_id"]: (s["elapsed_seconds"], s["on_time"]) for s in case["stages"] if s["key"] == "contribution"
    }
    assert facts == {
        org.depts["roads"].pk: (3600, True),
        org.depts["edu"].pk: (3 * 3600 + 15 * 60, False),
    }
    f.post("edu", f"/cases/{cid}/contribute", {"text": "Ещё"}, at=t(14, 35), status=409)
    assert [a["contribution"] for a in case["assignments"][:2]] == [
        "Ремонт дороги — в мае.",
        "Подвоз детей организован.",
    ]

    f.accept(cid, "zhkh", at=t(10, 30))
    f.submit(cid, "zhkh", at=t(14, 45), text="Общий ответ: дорога — в мае, подвоз организован, вода — сегодня.")
    f.approve(cid, at=t(15, 0))
    case = f.publish(cid, "zhkh", at=t(15, 10))
    assert case["state"] == "closed"
    assert case["drafts"][0]["department_id"] == org.depts["zhkh"].pk
    assert actions(case).count("contribute") == 2
    assert not [s for s in case["stages"] if s["status"] == "open"]


def test_p17_repeat_message_answer_must_state_the_measures_taken(org):
    f = Flow(org)
    first = f.new_case("Яма у дома 5 на ул. Ленина", at=t(10))["id"]
    f.route(first, "roads", at=t(10, 5))
    f.submit(first, "roads", at=t(11))
    f.approve(first, at=t(11, 10))
    f.publish(first, "roads", at=t(11, 20))

    # A week later the same author writes again about the same pit.
    mid = f.ingest("Яму у дома 5 так и не заделали!", at=t(10, day=(2026, 12, 14)))
    repeat = f.detect(mid, at=t(10, 5, day=(2026, 12, 14)), repeat_of=first)
    assert repeat["repeat_of_id"] == first
    assert repeat["events"][0]["payload"]["repeat_of"] == 1
    # Its own full set of deadlines (П.17 → П.9–16).
    assert at(repeat["answer_due_at"]) == chita(2026, 12, 15, 11, 5)
    rid = repeat["id"]
    f.route(rid, "roads", at=t(10, 20, day=(2026, 12, 14)))
    body = f.submit(rid, "roads", at=t(11, day=(2026, 12, 14)), status=422)
    assert body["field"] == "measures_taken"
    assert "п. 17" in body["detail"]
    case = f.submit(
        rid, "roads", at=t(11, 5, day=(2026, 12, 14)), measures_taken="Подрядчик выйдет на место 16 декабря."
    )
    assert case["drafts"][0]["measures_taken"] == "Подрядчик выйдет на место 16 декабря."
    f.approve(rid, at=t(11, 10, day=(2026, 12, 14)))
    case = f.publish(rid, "roads", at=t(11, 15, day=(2026, 12, 14)))
    assert case["state"] == "closed"


def test_p17_repeat_of_an_unknown_case_is_not_found(org, other_org):
    f = Flow(org)
    g = Flow(other_org)
    foreign = g.new_case("Чужое", at=t(10))["id"]
    mid = f.ingest("Повтор", at=t(10))
    f.post("curator", f"/messages/{mid}/detect", {"repeat_of": foreign}, at=t(10, 1), status=404)


def test_p19_refused_message_is_recorded_with_its_reason_and_never_processed(org):
    f = Flow(org)
    mid = f.ingest("Оскорбления и угрозы в адрес главы", at=t(10))
    body = f.post("curator", f"/messages/{mid}/refuse", {"reason": ""}, at=t(10, 5), status=422)
    assert body["field"] == "reason"
    case = f.post(
        "curator", f"/messages/{mid}/refuse", {"reason": "Угрозы должностному лицу (п. 19)"}, at=t(10, 5), status=201
    )
    assert case["state"] == "refused"
    assert case["refusal_reason"] == "Угрозы должностному лицу (п. 19)"
    assert at(case["closed_at"]) == t(10, 5)
    assert case["next_deadline_at"] is None
    assert not [s for s in case["stages"] if s["status"] == "open"]
    assert stage(case, "answer")["status"] == "cancelled"
    assert actions(case) == ["detect", "refuse"]
    assert case["events"][-1]["payload"] == {"reason": "Угрозы должностному лицу (п. 19)"}
    # Not processed: no routing, no drafts.
    body = f.route(case["id"], "zhkh", at=t(10, 10), status=409)
    assert "Не подлежит обработке" in body["detail"]
    f.post("curator", f"/messages/{mid}/refuse", {"reason": "ещё раз"}, at=t(10, 11), status=409)


def test_p19_refusal_of_a_case_under_triage_and_not_after_routing(org):
    f = Flow(org)
    cid = f.new_case("Нецензурная брань", at=t(10))["id"]
    case = f.post("curator", f"/cases/{cid}/refuse", {"reason": "Нецензурные выражения"}, at=t(10, 3))
    assert case["state"] == "refused"
    other = f.new_case("Обычный вопрос", at=t(10))["id"]
    f.route(other, "zhkh", at=t(10, 5))
    f.post("curator", f"/cases/{other}/refuse", {"reason": "п. 19"}, at=t(10, 6), status=409)


def test_p7_absent_executor_is_replaced_by_the_substitute(org):
    f = Flow(org)
    # Трубин (ЖКХ) is on sick leave; Дорогин from the roads department stands in for him.
    Absence.objects.create(
        administration=org.adm,
        user=org.users["zhkh"],
        substitute=org.users["roads"],
        reason=Absence.Reason.ILLNESS,
        start_date=dt.date(2026, 12, 7),
        end_date=dt.date(2026, 12, 11),
    )
    cid = f.new_case("Течёт крыша", at=t(10))["id"]
    case = f.route(cid, "zhkh", at=t(10, 5))
    assert case["assignments"][0]["assignee_id"] == org.users["roads"].pk
    assert stage(case, "draft_lead")["status"] == "open"
    # The substitute sees the case in his list and works it as the ЖКХ executor.
    listed = f.get("roads", "/cases/", at=t(10, 6))
    assert cid in [c["id"] for c in listed["items"]]
    case = f.accept(cid, "roads", at=t(10, 10))
    assert case["state"] == "in_work"
    f.submit(cid, "roads", at=t(11))
    f.approve(cid, at=t(11, 5))
    case = f.publish(cid, "roads", at=t(11, 10))
    assert case["state"] == "closed"
    assert case["drafts"][0]["author_id"] == org.users["roads"].pk
    assert case["drafts"][0]["department_id"] == org.depts["zhkh"].pk
    assert {e["actor_id"] for e in case["events"] if e["action"] in ("accept", "submit_draft", "publish")} == {
        org.users["roads"].pk
    }

    # After the absence ends, routing goes to Трубин again.
    later = f.new_case("Снова течёт", at=t(10, day=(2026, 12, 14)))["id"]
    case = f.route(later, "zhkh", at=t(10, 5, day=(2026, 12, 14)))
    assert case["assignments"][0]["assignee_id"] == org.users["zhkh"].pk
    f.get("roads", f"/cases/{later}", at=t(10, 6, day=(2026, 12, 14)), status=404)


def test_p8_route_to_a_chosen_executor_and_the_substitute_of_that_executor(org):
    f = Flow(org)
    Absence.objects.create(
        administration=org.adm,
        user=org.users["zhkh2"],
        substitute=org.users["zhkh"],
        reason=Absence.Reason.VACATION,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )
    cid = f.new_case("Сообщение", at=t(10))["id"]
    body = {"departments": [{"department_id": org.depts["zhkh"].pk, "executor_id": org.users["zhkh2"].pk}]}
    case = f.post("curator", f"/cases/{cid}/route", body, at=t(10, 5))
    assert case["assignments"][0]["assignee_id"] == org.users["zhkh"].pk
    # An executor of another department cannot be chosen.
    cid2 = f.new_case("Сообщение", at=t(10))["id"]
    body = {"departments": [{"department_id": org.depts["zhkh"].pk, "executor_id": org.users["edu"].pk}]}
    err = f.post("curator", f"/cases/{cid2}/route", body, at=t(10, 5), status=422)
    assert err["field"]


def test_another_message_on_the_same_issue_joins_the_open_case_without_new_deadlines(org):
    f = Flow(org)
    case = f.new_case("Нет света на ул. Мира", at=t(10))
    cid = case["id"]
    f.route(cid, "zhkh", at=t(10, 5))
    mid = f.ingest("И у нас на Мира света нет", at=t(10, 30))
    case = f.post("curator", f"/messages/{mid}/attach", {"case_id": cid}, at=t(10, 31))
    assert sorted(m["id"] for m in case["messages"])[-1] == mid
    assert actions(case)[-1] == "attach_message"
    assert at(case["answer_due_at"]) == chita(2026, 12, 8, 11, 0)
    assert len(case["stages"]) == 4  # route, answer, return, draft_lead — nothing new
    # A message already in a case cannot join another; a closed case takes no more messages.
    other = f.new_case("Другое", at=t(10))["id"]
    f.post("curator", f"/messages/{mid}/attach", {"case_id": other}, at=t(10, 32), status=409)
    f.submit(cid, "zhkh", at=t(11))
    f.approve(cid, at=t(11, 5))
    f.publish(cid, "zhkh", at=t(11, 10))
    late = f.ingest("Свет так и не дали", at=t(12))
    body = f.post("curator", f"/messages/{late}/attach", {"case_id": cid}, at=t(12, 1), status=409)
    assert body["detail"].startswith("Нельзя добавить сообщение к обращению")
