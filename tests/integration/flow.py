"""Scenario helpers for the workflow tests: every step goes through the HTTP API at a fixed time.

``Flow`` holds one API client (token auth) per person of the ``org`` fixture and runs each request
inside ``time_machine.travel(at, tick=False)``, because the API reads the clock with
``timezone.now()``. Each helper asserts the expected HTTP status and returns the decoded JSON.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import time_machine

from tests.integration.apiclient import Api

_ids = itertools.count(1)


class Flow:
    def __init__(self, org: Any) -> None:
        self.org = org
        self.apis = {name: Api(user) for name, user in org.users.items()}

    # -- raw requests -----------------------------------------------------------------------------

    def post(self, who: str, path: str, data: Any = None, *, at: dt.datetime, status: int = 200) -> Any:
        with time_machine.travel(at, tick=False):
            response = self.apis[who].post(path, data)
        assert response.status_code == status, (response.status_code, response.content.decode())
        return response.json()

    def get(self, who: str, path: str, *, at: dt.datetime, status: int = 200, **params: Any) -> Any:
        with time_machine.travel(at, tick=False):
            response = self.apis[who].get(path, **params)
        assert response.status_code == status, (response.status_code, response.content.decode())
        return response.json()

    # -- steps ------------------------------------------------------------------------------------

    def ingest(self, text: str, *, at: dt.datetime, network: str = "other", who: str = "curator", **extra: Any) -> int:
        """A monitoring system posts one message; returns its id."""
        item = {"external_id": f"ext-{next(_ids)}", "network": network, "text": text, **extra}
        body = self.post(who, "/messages/", {"messages": [item]}, at=at, status=201)
        assert len(body["created"]) == 1, body
        return int(body["created"][0])

    def detect(self, message_id: int, *, at: dt.datetime, who: str = "curator", **payload: Any) -> Any:
        return self.post(who, f"/messages/{message_id}/detect", payload, at=at, status=201)

    def new_case(self, text: str, *, at: dt.datetime, **payload: Any) -> Any:
        """Ingest a message and detect it at ``at``: the detection time of the new case."""
        return self.detect(self.ingest(text, at=at), at=at, **payload)

    def route(self, case_id: int, *depts: str, at: dt.datetime, who: str = "curator", status: int = 200) -> Any:
        body = {"departments": [{"department_id": self.org.depts[d].pk} for d in depts]}
        return self.post(who, f"/cases/{case_id}/route", body, at=at, status=status)

    def accept(self, case_id: int, who: str, *, at: dt.datetime, status: int = 200) -> Any:
        return self.post(who, f"/cases/{case_id}/accept", {}, at=at, status=status)

    def submit(
        self, case_id: int, who: str, *, at: dt.datetime, text: str = "Проект ответа.", status: int = 201, **extra: Any
    ) -> Any:
        return self.post(who, f"/cases/{case_id}/drafts", {"text": text, **extra}, at=at, status=status)

    def approve(self, case_id: int, *, at: dt.datetime, who: str = "curator", status: int = 200) -> Any:
        return self.post(who, f"/cases/{case_id}/approve", {}, at=at, status=status)

    def return_draft(
        self,
        case_id: int,
        *,
        at: dt.datetime,
        comment: str = "Уточните сроки.",
        who: str = "curator",
        status: int = 200,
    ) -> Any:
        return self.post(who, f"/cases/{case_id}/return-draft", {"comment": comment}, at=at, status=status)

    def resubmit(self, case_id: int, who: str, *, at: dt.datetime, text: str, status: int = 200) -> Any:
        return self.post(who, f"/cases/{case_id}/resubmit", {"text": text}, at=at, status=status)

    def publish(self, case_id: int, who: str, *, at: dt.datetime, url: str = "", status: int = 200) -> Any:
        url = url or f"https://vk.com/wall-1_{next(_ids)}"
        return self.post(who, f"/cases/{case_id}/publish", {"url": url}, at=at, status=status)

    def case(self, case_id: int, *, at: dt.datetime, who: str = "curator") -> Any:
        return self.get(who, f"/cases/{case_id}", at=at)


def stage(case: Any, key: str, *, status: str | None = None, nth: int = 0) -> Any:
    """The ``nth`` stage of ``key`` (in start order) in a case's JSON, optionally of one status."""
    found = [s for s in case["stages"] if s["key"] == key and (status is None or s["status"] == status)]
    assert len(found) > nth, (key, status, [(s["key"], s["status"]) for s in case["stages"]])
    return found[nth]


def at(value: str) -> dt.datetime:
    """Parse an API datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def actions(case: Any) -> list[str]:
    return [e["action"] for e in case["events"]]
