"""Concurrent requests on one case: the row lock (PostgreSQL) or the IMMEDIATE write transaction
(SQLite) lets exactly one win; the other gets a 409 and nothing is lost or half-written.

Each thread has its own database connection (Django's are thread-local) and closes it at the end;
a barrier starts both requests together.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from otklik.cases.models import Case, CaseEvent, Draft
from otklik.sla.models import Stage
from tests.conftest import chita
from tests.integration.flow import Flow

pytestmark = [pytest.mark.urls("tests.integration.api_urls"), pytest.mark.django_db(transaction=True)]


def _race(calls: list[tuple[Any, str, dict[str, Any]]]) -> list[Any]:
    """Run the POSTs at once, one thread each; return each response (or the exception raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, api: Any, path: str, data: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = api.post(path, data)
        except Exception as exc:  # reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _case_in_review(f: Flow) -> int:
    cid = f.new_case("Сообщение", at=chita(2026, 12, 7, 9, 0))["id"]
    f.route(cid, "zhkh", at=chita(2026, 12, 7, 9, 5))
    f.submit(cid, "zhkh", at=chita(2026, 12, 7, 10, 0))
    return cid


@pytest.mark.parametrize("second", ["return-draft", "approve"])
def test_concurrent_approve_and_return_of_one_draft_exactly_one_wins(org, second):
    f = Flow(org)
    cid = _case_in_review(f)
    events_before = CaseEvent.objects.filter(case_id=cid).count()
    payload = {"comment": "Доработайте"} if second == "return-draft" else {}
    # A second curator's client, so the two requests come from different sessions.
    with time_machine.travel(chita(2026, 12, 7, 10, 10), tick=False):
        results = _race(
            [
                (f.apis["curator"], f"/cases/{cid}/approve", {}),
                (f.apis["responsible"], f"/cases/{cid}/{second}", payload),
            ]
        )
    for r in results:
        assert not isinstance(r, Exception), r
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.content.decode() for r in results]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["code"] == "illegal_transition"
    assert loser["detail"].startswith("Нельзя ")

    winner = next(r for r in results if r.status_code == 200).json()
    case = Case.objects.get(pk=cid)
    assert case.state == winner["state"] in ("approved", "rework")
    draft = Draft.objects.get(case_id=cid)
    assert draft.status == ("approved" if case.state == "approved" else "returned")
    # Exactly one outcome recorded: one event, one review stage closed once, one new stage opened.
    new_events = list(CaseEvent.objects.filter(case_id=cid).order_by("id")[events_before:])
    assert [e.action for e in new_events] == ["approve" if case.state == "approved" else "return_draft"]
    review = Stage.objects.get(case_id=cid, key="review")
    assert review.status == "done" and review.elapsed_seconds == 600
    follow_up = "publish" if case.state == "approved" else "rework"
    assert Stage.objects.filter(case_id=cid, key=follow_up, status="open").count() == 1
    assert Stage.objects.filter(case_id=cid, key__in=["publish", "rework"]).count() == 1
    assert case.next_stage == follow_up


def test_concurrent_detections_get_distinct_case_numbers(org):
    f = Flow(org)
    at = chita(2026, 12, 7, 9, 0)
    messages = [f.ingest(f"Сообщение {i}", at=at) for i in range(4)]
    with time_machine.travel(at, tick=False):
        results = _race([(f.apis["curator"], f"/messages/{m}/detect", {}) for m in messages])
    for r in results:
        assert not isinstance(r, Exception), r
    assert [r.status_code for r in results] == [201] * 4, [r.content.decode()[:300] for r in results]
    numbers = sorted(r.json()["number"] for r in results)
    assert numbers == [1, 2, 3, 4]


def test_concurrent_detection_of_one_message_creates_one_case(org):
    f = Flow(org)
    at = chita(2026, 12, 7, 9, 0)
    mid = f.ingest("Сообщение", at=at)
    with time_machine.travel(at, tick=False):
        results = _race(
            [(f.apis["curator"], f"/messages/{mid}/detect", {}), (f.apis["responsible"], f"/messages/{mid}/detect", {})]
        )
    for r in results:
        assert not isinstance(r, Exception), r
    assert sorted(r.status_code for r in results) == [201, 409]
    assert Case.objects.count() == 1
