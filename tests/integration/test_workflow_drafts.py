"""Drafts through the API: П.11 submission, П.12 review, П.13 rework (two rounds), П.14
publication, П.15 an interim answer then the final one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from otklik.cases.models import Publication
from tests.conftest import chita
from tests.integration.flow import Flow, actions, at, stage

pytestmark = pytest.mark.urls("tests.integration.api_urls")


def t(hour: int, minute: int = 0, second: int = 0, day: tuple[int, int, int] = (2026, 12, 7)) -> dt.datetime:
    return chita(*day, hour, minute, second)


def test_p12_p13_two_rounds_of_rework_keep_every_version(org):
    f = Flow(org)
    cid = f.new_case("Когда отремонтируют водопровод?", at=t(9))["id"]
    f.route(cid, "zhkh", at=t(9, 10))
    f.accept(cid, "zhkh", at=t(9, 15))
    f.submit(cid, "zhkh", at=t(10), text="Отремонтируем.")
    # Round 1: returned 10:20; rework due within 1 working hour → 11:20.
    body = f.post("curator", f"/cases/{cid}/return-draft", {"comment": ""}, at=t(10, 20), status=422)
    assert body["field"] == "comment"
    case = f.return_draft(cid, at=t(10, 20), comment="Укажите сроки ремонта.")
    assert case["state"] == "rework"
    rework = stage(case, "rework", status="open")
    assert at(rework["due_at"]) == t(11, 20)
    assert stage(case, "review")["on_time"] is True
    case = f.resubmit(cid, "zhkh", at=t(11), text="Отремонтируем до 10 декабря.")
    assert case["state"] == "review"
    # Round 2: returned at 12:50, rework over lunch: due 14:50; resubmitted 14:55 — late by 5 min.
    f.return_draft(cid, at=t(12, 50), comment="Добавьте, кто подрядчик.")
    case = f.resubmit(cid, "zhkh", at=t(14, 55), text="Подрядчик ООО «Водоканал» отремонтирует до 10 декабря.")
    reworks = [(s["elapsed_seconds"], s["on_time"]) for s in case["stages"] if s["key"] == "rework"]
    assert reworks == [(40 * 60, True), (65 * 60, False)]
    f.approve(cid, at=t(15, 10))
    case = f.publish(cid, "zhkh", at=t(15, 20))

    assert [(d["version"], d["status"]) for d in case["drafts"]] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "published"),
    ]
    assert [d["review_comment"] for d in case["drafts"]] == ["Укажите сроки ремонта.", "Добавьте, кто подрядчик.", ""]
    assert len([s for s in case["stages"] if s["key"] == "review"]) == 3
    assert actions(case) == [
        "detect",
        "route",
        "accept",
        "submit_draft",
        "return_draft",
        "resubmit",
        "return_draft",
        "resubmit",
        "approve",
        "publish",
    ]
    assert case["state"] == "closed"


def test_p12_review_is_due_within_30_minutes_of_the_draft(org):
    f = Flow(org)
    cid = f.new_case("Вопрос", at=t(9))["id"]
    f.route(cid, "zhkh", at=t(9, 10))
    case = f.submit(cid, "zhkh", at=t(12, 45))
    # 12:45 + 30 working minutes, lunch skipped → 14:15.
    assert at(stage(case, "review", status="open")["due_at"]) == t(14, 15)
    assert case["next_stage"] == "review"
    # Submitting a draft implies accepting the message.
    assert case["assignments"][0]["status"] == "accepted"
    assert stage(case, "return")["status"] == "done"


def test_p14_publication_is_due_30_minutes_after_approval_and_only_the_lead_publishes(org):
    f = Flow(org)
    cid = f.new_case("Вопрос", at=t(9))["id"]
    f.route(cid, "roads", "zhkh", at=t(9, 10))
    f.submit(cid, "zhkh", at=t(10))
    case = f.approve(cid, at=t(17, 50))
    publish = stage(case, "publish", status="open")
    assert at(publish["due_at"]) == t(9, 20, day=(2026, 12, 8))
    assert publish["department_id"] == org.depts["zhkh"].pk
    f.publish(cid, "roads", at=t(17, 55), status=403)
    case = f.publish(cid, "zhkh", at=t(9, 10, day=(2026, 12, 8)), url="https://vk.com/wall-1_5?reply=7")
    assert case["drafts"][0]["published_url"] == "https://vk.com/wall-1_5?reply=7"
    assert stage(case, "publish")["elapsed_seconds"] == 20 * 60
    # The roads department never sent its part: its stage is cancelled, not left open.
    assert stage(case, "contribution")["status"] == "cancelled"
    assert case["state"] == "closed"


def test_p15_interim_answer_then_the_final_answer_within_7_working_days(org):
    f = Flow(org)
    cid = f.new_case("Когда построят новую школу?", at=t(10))["id"]
    f.route(cid, "edu", at=t(10, 10))
    f.accept(cid, "edu", at=t(10, 15))
    case = f.submit(cid, "edu", at=t(12), kind="interim", text="Вопрос изучается, ответим до 18 декабря.")
    assert case["drafts"][0]["kind"] == "interim"
    f.approve(cid, at=t(12, 10))
    # Interim published Tue 08.12 10:30. 7 working days from the next day: 9, 10, 11, 14, 15, 16,
    # 17 December → the close of Thu 17.12 (18:00).
    case = f.publish(cid, "edu", at=t(10, 30, day=(2026, 12, 8)))
    assert case["state"] == "interim"
    assert case["closed_at"] is None
    final = stage(case, "final_after_interim", status="open")
    assert at(final["due_at"]) == t(18, 0, day=(2026, 12, 17))
    assert at(case["next_deadline_at"]) == t(18, 0, day=(2026, 12, 17))
    # The П.10 deadline was met by the interim answer (published 9 h → Tue 11:00).
    assert stage(case, "answer")["on_time"] is True

    case = f.submit(cid, "edu", at=t(16, 0, day=(2026, 12, 17)), kind="answer", text="Школу построят в 2027 году.")
    assert case["state"] == "review"
    done = stage(case, "final_after_interim")
    assert done["on_time"] is True
    # Tue 10:30–18:00 less lunch (6 h 30 min) + 6 whole days (9–16 Dec, 8 h each) + 17 Dec 09–16
    # less lunch (6 h).
    assert done["elapsed_seconds"] == (6 * 3600 + 30 * 60) + 6 * 8 * 3600 + 6 * 3600
    f.approve(cid, at=t(16, 10, day=(2026, 12, 17)))
    case = f.publish(cid, "edu", at=t(16, 20, day=(2026, 12, 17)))
    assert case["state"] == "closed"
    assert [(d["kind"], d["status"]) for d in case["drafts"]] == [("interim", "published"), ("answer", "published")]
    assert actions(case).count("publish") == 2
    assert not [s for s in case["stages"] if s["status"] == "open"]


def test_p15_clarification_request_keeps_the_case_open(org):
    f = Flow(org)
    cid = f.new_case("Где можно получить справку?", at=t(10))["id"]
    f.route(cid, "edu", at=t(10, 5))
    f.submit(cid, "edu", at=t(10, 30), kind="clarification", text="Уточните, какая справка нужна?")
    f.approve(cid, at=t(10, 40))
    case = f.publish(cid, "edu", at=t(10, 50))
    assert case["state"] == "interim"


def test_approval_on_a_network_the_system_publishes_to_falls_back_to_manual(org, django_capture_on_commit_callbacks):
    """A VK message that came through the API has no VK source to reply through: the outbox hands
    it to the executor (publish_failed), the case waits for a manual publication."""
    f = Flow(org)
    mid = f.ingest("Вопрос во ВКонтакте", at=t(10), network="vk")
    cid = f.detect(mid, at=t(10, 1))["id"]
    f.route(cid, "zhkh", at=t(10, 5))
    f.submit(cid, "zhkh", at=t(10, 30))
    # The outbox runs after the commit (eagerly in tests), still at 10:40.
    with time_machine.travel(t(10, 40), tick=False), django_capture_on_commit_callbacks(execute=True):
        case = f.approve(cid, at=t(10, 40))
    assert case["state"] == "approved"
    pub = Publication.objects.get(case_id=cid)
    assert pub.status == Publication.Status.MANUAL
    case = f.case(cid, at=t(10, 41))
    assert actions(case)[-1] == "publish_failed"
    case = f.publish(cid, "zhkh", at=t(10, 50))
    assert case["state"] == "closed"
    pub.refresh_from_db()
    assert pub.status == Publication.Status.PUBLISHED
