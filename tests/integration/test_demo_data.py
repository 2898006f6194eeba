"""The demo is data plus a builder (``otklik/core/demo/``): the builder writes exactly what the data
says, and the whole demo stays the one it was before the split (figures taken from the single-module
demo on a fresh database at the same ``now``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from otklik.cases.models import Assignment, Case, CaseEvent, Draft, Publication
from otklik.core.demo import DEPARTMENTS, MESSAGES, PEOPLE, seed_demo
from otklik.inbox.models import Message, Source
from otklik.organization.models import Department, Membership, OfficialAccount, Place, Topic
from otklik.sla.models import Stage

NOW = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)
EVENTS = {
    "accept": 18,
    "approve": 9,
    "contribute": 2,
    "detect": 23,
    "publish": 8,
    "refuse": 2,
    "return_draft": 1,
    "route": 18,
    "submit_draft": 13,
    "triage": 21,
}


@pytest.mark.django_db
def test_the_builder_writes_what_the_data_says() -> None:
    demo = seed_demo(now=NOW)
    assert Department.objects.count() == len(DEPARTMENTS) == len(demo.depts)
    assert Membership.objects.count() == len(PEOPLE) + 1  # and the administrator
    assert Message.objects.count() == len(MESSAGES)
    new = sum(1 for m in MESSAGES if m[6] == "new")
    assert Case.objects.count() == len(MESSAGES) - new
    for text, scenario in ((m[2], m[6]) for m in MESSAGES):
        message = Message.objects.get(text=text)
        assert (message.case_id is None) == (scenario == "new"), text


@pytest.mark.django_db
def test_the_demo_is_the_one_it_was_before_the_split() -> None:
    seed_demo(now=NOW)
    counts = {
        model.__name__: model.objects.count()
        for model in (
            Assignment,
            Case,
            CaseEvent,
            Department,
            Draft,
            Membership,
            Message,
            OfficialAccount,
            Place,
            Publication,
            Source,
            Stage,
            Topic,
        )
    }
    assert counts == {
        "Assignment": 20,
        "Case": 23,
        "CaseEvent": 115,
        "Department": 7,
        "Draft": 13,
        "Membership": 14,
        "Message": 32,
        "OfficialAccount": 4,
        "Place": 29,
        "Publication": 5,
        "Source": 5,
        "Stage": 110,
        "Topic": 25,
    }
    assert Counter(Case.objects.values_list("state", flat=True)) == {
        "approved": 1,
        "closed": 7,
        "in_work": 3,
        "interim": 1,
        "refused": 2,
        "review": 3,
        "rework": 1,
        "routed": 2,
        "triage": 3,
    }
    assert Counter(CaseEvent.objects.values_list("action", flat=True)) == EVENTS
