"""Stage deadlines and facts to the second, through the API (П.8, 10, 11; working time).

Every expected instant here was counted by hand on the default schedule (Mon–Fri 09:00–18:00,
lunch 13:00–14:00, Asia/Chita) and the Russian production calendar, and is written out in full.
"""

from __future__ import annotations

import pytest

from otklik.cases.models import CaseEvent
from otklik.sla.models import Stage
from otklik.sla.sweep import record_breaches
from tests.conftest import chita
from tests.integration.flow import Flow, at, stage

pytestmark = pytest.mark.urls("tests.integration.api_urls")


def test_detected_monday_1000_route_due_1030_answer_due_tuesday_1100_draft_due_monday_1600(org):
    f = Flow(org)
    case = f.new_case("Нет воды на ул. Ленина", at=chita(2026, 12, 7, 10, 0))
    # П.8: 30 working minutes. П.10: Mon 10–13 (3 h) + 14–18 (4 h) + Tue 09–11 (2 h) = 9 h.
    assert at(stage(case, "route")["due_at"]) == chita(2026, 12, 7, 10, 30)
    assert at(stage(case, "answer")["due_at"]) == chita(2026, 12, 8, 11, 0)
    assert at(case["answer_due_at"]) == chita(2026, 12, 8, 11, 0)
    assert stage(case, "route")["limit_seconds"] == 30 * 60
    assert stage(case, "answer")["limit_seconds"] == 9 * 3600
    assert at(case["next_deadline_at"]) == chita(2026, 12, 7, 10, 30)
    assert case["next_stage"] == "route"

    case = f.route(case["id"], "zhkh", at=chita(2026, 12, 7, 10, 20, 7))
    # П.11: 4 working hours before Tue 11:00 = Tue 09–11 (2 h) + Mon 16–18 (2 h) → Mon 16:00.
    assert at(stage(case, "draft_lead")["due_at"]) == chita(2026, 12, 7, 16, 0)
    # П.9: the department may return it within 30 working minutes of receipt.
    assert at(stage(case, "return")["due_at"]) == chita(2026, 12, 7, 10, 50, 7)
    route = stage(case, "route")
    assert route["status"] == "done"
    assert route["elapsed_seconds"] == 20 * 60 + 7
    assert route["on_time"] is True
    assert at(case["next_deadline_at"]) == chita(2026, 12, 7, 10, 50, 7)


def test_stage_facts_are_exact_to_the_second_and_late_stages_are_not_on_time(org):
    f = Flow(org)
    cid = f.new_case("Яма на дороге", at=chita(2026, 12, 7, 10, 0))["id"]
    # Routed 1 s late: 30 min 1 s of working time.
    f.route(cid, "zhkh", at=chita(2026, 12, 7, 10, 30, 1))
    f.accept(cid, "zhkh", at=chita(2026, 12, 7, 10, 45))
    # Draft at 12:59:59 — before the Mon 16:00 lead deadline.
    f.submit(cid, "zhkh", at=chita(2026, 12, 7, 12, 59, 59))
    # Review over lunch: 12:59:59 → 14:29:59 is 1 s + 29 min 59 s = 30 min of working time exactly.
    f.approve(cid, at=chita(2026, 12, 7, 14, 29, 59))
    # Published Tue 11:00:00 — exactly at the П.10 deadline: on time (the deadline is inclusive).
    case = f.publish(cid, "zhkh", at=chita(2026, 12, 8, 11, 0))

    facts = {s["key"]: (s["elapsed_seconds"], s["limit_seconds"], s["on_time"]) for s in case["stages"]}
    assert facts["route"] == (30 * 60 + 1, 30 * 60, False)
    assert facts["return"] == (14 * 60 + 59, 30 * 60, True)
    # draft_lead runs from routing (10:30:01) to the draft (12:59:59); its limit is the time to 16:00.
    assert facts["draft_lead"] == (2 * 3600 + 29 * 60 + 58, 4 * 3600 + 29 * 60 + 59, True)
    assert facts["review"] == (30 * 60, 30 * 60, True)
    # Approved 14:29:59 → Tue 11:00: Mon 3 h 30 min 1 s + Tue 2 h — far beyond 30 minutes.
    assert facts["publish"] == (5 * 3600 + 30 * 60 + 1, 30 * 60, False)
    assert facts["answer"] == (9 * 3600, 9 * 3600, True)
    assert case["state"] == "closed"
    assert case["next_deadline_at"] is None


def test_answer_one_second_after_the_deadline_is_late(org):
    f = Flow(org)
    cid = f.new_case("Не вывозят мусор", at=chita(2026, 12, 7, 10, 0))["id"]
    f.route(cid, "zhkh", at=chita(2026, 12, 7, 10, 5))
    f.submit(cid, "zhkh", at=chita(2026, 12, 7, 15, 0))
    f.approve(cid, at=chita(2026, 12, 7, 15, 5))
    case = f.publish(cid, "zhkh", at=chita(2026, 12, 8, 11, 0, 1))
    answer = stage(case, "answer")
    assert (answer["elapsed_seconds"], answer["on_time"]) == (9 * 3600 + 1, False)


def test_answer_deadline_runs_over_the_weekend(org):
    f = Flow(org)
    # Fri 15:00: Fri 15–18 (3 h) + Mon 09–13 (4 h) + 14–16 (2 h) → Mon 16:00.
    case = f.new_case("Сломан светофор", at=chita(2026, 12, 4, 15, 0))
    assert at(case["answer_due_at"]) == chita(2026, 12, 7, 16, 0)
    # Fri 17:50: 10 minutes on Friday, 20 on Monday → Mon 09:20.
    late = f.new_case("Гололёд на мосту", at=chita(2026, 12, 4, 17, 50))
    assert at(stage(late, "route")["due_at"]) == chita(2026, 12, 7, 9, 20)
    # Routed on Monday 09:10: only 20 working minutes elapsed over the weekend, so on time.
    routed = f.route(late["id"], "roads", at=chita(2026, 12, 7, 9, 10))
    assert stage(routed, "route")["elapsed_seconds"] == 20 * 60
    assert stage(routed, "route")["on_time"] is True


def test_answer_deadline_runs_over_the_new_year_holidays(org):
    f = Flow(org)
    # Tue 30.12.2025 16:00 (a full working day): 2 h on 30 Dec; 31 Dec 2025 is a moved day off,
    # 1–11 Jan 2026 are holidays and days off; Mon 12 Jan 09–13 (4 h) + 14–17 (3 h) → 17:00.
    case = f.new_case("Нет отопления в школе", at=chita(2025, 12, 30, 16, 0))
    assert at(stage(case, "route")["due_at"]) == chita(2025, 12, 30, 16, 30)
    assert at(case["answer_due_at"]) == chita(2026, 1, 12, 17, 0)
    case = f.route(case["id"], "edu", at=chita(2025, 12, 30, 16, 10))
    # 4 working hours before 12 Jan 17:00: 14–17 (3 h) + 12–13 (1 h) → 12 Jan 12:00.
    assert at(stage(case, "draft_lead")["due_at"]) == chita(2026, 1, 12, 12, 0)
    f.submit(case["id"], "edu", at=chita(2026, 1, 12, 9, 30))
    f.approve(case["id"], at=chita(2026, 1, 12, 9, 45))
    case = f.publish(case["id"], "edu", at=chita(2026, 1, 12, 10, 0))
    # 2 h on 30 Dec + 1 h on 12 Jan; nothing counted over the holidays.
    assert stage(case, "answer")["elapsed_seconds"] == 3 * 3600
    assert stage(case, "answer")["on_time"] is True


def test_detection_during_lunch_starts_the_clock_at_1400(org):
    f = Flow(org)
    case = f.new_case("Упало дерево", at=chita(2026, 12, 7, 13, 10))
    assert at(stage(case, "route")["due_at"]) == chita(2026, 12, 7, 14, 30)
    # 4 h on Monday (14–18) + 5 h on Tuesday (09–13, 14–15) → Tue 15:00.
    assert at(case["answer_due_at"]) == chita(2026, 12, 8, 15, 0)


def test_shortened_deadline_set_by_the_curator_moves_the_answer_and_draft_deadlines(org):
    f = Flow(org)
    # П.8: important message, the curator shortens the deadline to Mon 15:00 at detection.
    mid = f.ingest("Прорыв теплотрассы, дети без тепла", at=chita(2026, 12, 7, 10, 0))
    case = f.detect(
        mid,
        at=chita(2026, 12, 7, 10, 0),
        importance="critical",
        shortened_deadline=chita(2026, 12, 7, 15, 0).isoformat(),
    )
    assert at(case["shortened_deadline"]) == chita(2026, 12, 7, 15, 0)
    assert at(case["answer_due_at"]) == chita(2026, 12, 7, 15, 0)
    answer = stage(case, "answer")
    assert at(answer["due_at"]) == chita(2026, 12, 7, 15, 0)
    assert answer["limit_seconds"] == 4 * 3600  # 10–13 and 14–15
    assert case["importance"] == "critical"

    case = f.route(case["id"], "zhkh", at=chita(2026, 12, 7, 10, 20))
    # 4 h before 15:00 would be 10:00, before routing: the draft is due halfway through the
    # 3 h 40 min that remain — 1 h 50 min after 10:20 → 12:10.
    assert at(stage(case, "draft_lead")["due_at"]) == chita(2026, 12, 7, 12, 10)

    # Shortening again later (by triage) recomputes the open deadlines.
    case = f.post(
        "curator",
        f"/cases/{case['id']}/triage",
        {"shortened_deadline": chita(2026, 12, 7, 14, 30).isoformat()},
        at=chita(2026, 12, 7, 10, 40),
    )
    assert at(case["answer_due_at"]) == chita(2026, 12, 7, 14, 30)
    assert at(stage(case, "answer")["due_at"]) == chita(2026, 12, 7, 14, 30)
    # From 10:20 to 14:30 there are 3 h 10 min of working time; half is 1 h 35 min → 11:55.
    assert at(stage(case, "draft_lead")["due_at"]) == chita(2026, 12, 7, 11, 55)

    f.submit(case["id"], "zhkh", at=chita(2026, 12, 7, 11, 50))
    f.approve(case["id"], at=chita(2026, 12, 7, 12, 0))
    case = f.publish(case["id"], "zhkh", at=chita(2026, 12, 7, 12, 10))
    assert stage(case, "answer")["on_time"] is True
    assert case["state"] == "closed"


def test_shortened_deadline_cannot_extend_the_regulation_nor_be_in_the_past(org):
    f = Flow(org)
    mid = f.ingest("Сообщение", at=chita(2026, 12, 7, 10, 0))
    body = f.post(
        "curator",
        f"/messages/{mid}/detect",
        {"shortened_deadline": chita(2026, 12, 8, 11, 0, 1).isoformat()},
        at=chita(2026, 12, 7, 10, 0),
        status=422,
    )
    assert body["field"] == "shortened_deadline"
    cid = f.detect(mid, at=chita(2026, 12, 7, 10, 0))["id"]
    body = f.post(
        "curator",
        f"/cases/{cid}/triage",
        {"shortened_deadline": chita(2026, 12, 7, 11, 0).isoformat()},
        at=chita(2026, 12, 7, 11, 30),
        status=422,
    )
    assert body["field"] == "shortened_deadline"


def test_breach_is_recorded_by_the_sweep_exactly_once(org):
    f = Flow(org)
    cid = f.new_case("Не горят фонари", at=chita(2026, 12, 7, 10, 0))["id"]
    # Nothing is overdue at 10:30 sharp: the deadline itself is still in time.
    assert record_breaches(chita(2026, 12, 7, 10, 30)) == 0
    assert record_breaches(chita(2026, 12, 7, 10, 30, 1)) == 1
    assert record_breaches(chita(2026, 12, 7, 10, 45)) == 0
    route = Stage.objects.get(case_id=cid, key="route")
    assert route.breached_at == chita(2026, 12, 7, 10, 30, 1)
    breaches = CaseEvent.objects.filter(case_id=cid, action="breach")
    assert [(e.payload["stage"], e.actor_id, e.from_state, e.to_state) for e in breaches] == [
        ("route", None, "triage", "triage")
    ]
    # The late routing closes the stage as late; the sweep does not record it again.
    case = f.route(cid, "zhkh", at=chita(2026, 12, 7, 10, 50))
    assert stage(case, "route")["on_time"] is False
    assert stage(case, "route")["breached_at"] is not None
    # Tue 11:00:01: the answer (П.10) and the draft lead (П.11) and the return (П.9) are all late.
    assert record_breaches(chita(2026, 12, 8, 11, 0, 1)) == 3
    assert record_breaches(chita(2026, 12, 9, 11, 0)) == 0
    case = f.case(cid, at=chita(2026, 12, 9, 11, 0))
    assert sorted(e["payload"]["stage"] for e in case["events"] if e["action"] == "breach") == [
        "answer",
        "draft_lead",
        "return",
        "route",
    ]
