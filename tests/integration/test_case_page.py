"""The case page's read (``cases.selectors.case_detail``): what it loads by plain queries is what
``prefetch_related`` loads, in the same order, and nothing it names costs another query."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch

from otklik.cases import actions, selectors
from otklik.cases.actions.detection import TriageData
from otklik.cases.models import Assignment, Case, CaseEvent, Draft
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch, source_for
from otklik.inbox.models import Message, Source
from otklik.sla.models import Stage
from tests import media
from tests.conftest import chita

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _worked_case(org: Any) -> Case:
    """Two messages, two topics, two departments (roads answers, last in order), a draft returned with a photo and resubmitted,
    a loose attachment and a comment: every relation the page reads has rows, some two."""
    source = source_for(org.adm, Source.Kind.API, network="vk")
    result = message_ingest_batch(
        source=source,
        items=[
            IncomingMessage(network="vk", external_id="p-1", text="Яма на дороге у школы"),
            IncomingMessage(network="vk", external_id="p-2", text="И ещё одна яма рядом"),
        ],
    )
    first, second = (Message.objects.get(pk=pk) for pk in result.created)
    t = chita(2026, 12, 7, 10, 0)
    curator, roads = org.actor("curator"), org.actor("roads")
    case = actions.case_detect(message=first, actor=curator, now=t)
    actions.case_attach_message(case=case, message=second, actor=curator, now=t)
    actions.case_triage(
        case=case,
        actor=curator,
        data=TriageData(topic_ids=[org.topics["roads"].pk, org.topics["education"].pk], place_id=org.places["gz"].pk),
        now=t,
    )
    actions.case_route(
        case=case,
        actor=curator,
        targets=[actions.RouteTarget(org.depts["edu"].pk), actions.RouteTarget(org.depts["roads"].pk)],
        now=t,
    )
    actions.case_accept(case=case, actor=roads, now=t)
    photo = actions.case_attach_file(case=case, actor=roads, upload=SimpleUploadedFile("яма.jpg", media.jpeg()), now=t)
    actions.case_attach_file(case=case, actor=roads, upload=SimpleUploadedFile("ещё.jpg", media.jpeg()), now=t)
    actions.case_submit_draft(
        case=case, actor=roads, kind="answer", text="Яму засыпали щебнем.", attachment_ids=[photo.pk], now=t
    )
    actions.case_return_draft(case=case, actor=curator, comment="Укажите срок асфальтирования.", now=t)
    actions.case_resubmit(case=case, actor=roads, text="Яму засыпали, асфальт — в мае.", now=t)
    actions.case_comment(case=case, actor=curator, text="Проверю на месте.", now=t)
    return case


def _by_prefetch(actor: Any, pk: int) -> Case:
    """What ``case_detail`` returned before it read by plain queries."""
    return (
        selectors.cases_visible_to(actor)
        .filter(pk=pk)
        .prefetch_related(
            "topics",
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("brought_by", "brought_by_token").order_by(
                    "published_at", "id"
                ),
            ),
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("department", "assignee").order_by("order")
            ),
            Prefetch(
                "drafts",
                queryset=Draft.objects.select_related("author", "reviewed_by")
                .prefetch_related("attachments")
                .order_by("version"),
            ),
            Prefetch("stages", queryset=Stage.objects.select_related("department").order_by("started_at", "id")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            "attachments",
        )
        .get()
    )


RELATIONS = ("topics", "messages", "assignments", "drafts", "stages", "events")


@pytest.mark.parametrize("who", ["curator", "roads"])
def test_the_same_rows_in_the_same_order_as_prefetch(org: Any, who: str, django_assert_num_queries: Any) -> None:
    case = _worked_case(org)
    actor = org.actor(who)
    expected = _by_prefetch(actor, case.pk)
    got = selectors.case_detail(actor, case.pk)
    with django_assert_num_queries(0):
        for name in RELATIONS:
            mine, theirs = list(getattr(got, name).all()), list(getattr(expected, name).all())
            assert [o.pk for o in mine] == [o.pk for o in theirs], name
            assert len(mine) >= 2, name
            for a, b in zip(mine, theirs, strict=True):
                own = {k for k in b.__dict__ if not k.startswith(("_state", "_prefetch"))}
                assert a.__dict__.keys() - {"_state", "_prefetched_objects_cache"} == own, name
                for field in a._meta.concrete_fields:
                    assert getattr(a, field.attname) == getattr(b, field.attname), (name, field.name)
        for d, e in zip(got.drafts.all(), expected.drafts.all(), strict=True):
            assert [a.pk for a in d.attachments.all()] == sorted(a.pk for a in e.attachments.all())
            assert d.author.get_full_name() == e.author.get_full_name()
            assert d.case is got
        assert sorted(a.pk for a in got.attachments.all()) == sorted(a.pk for a in expected.attachments.all())
        # what the page names of each row is there already
        assert [a.department.name for a in got.assignments.all()] == [
            "Управление образования",
            "Отдел дорожного хозяйства",
        ]
        assert {e.actor.username for e in got.events.all() if e.actor_id} == {"gz-curator", "gz-roads"}
        assert all(m.brought_by is None or m.brought_by.pk for m in got.messages.all())
        assert [s.department.name if s.department_id else None for s in got.stages.all()] == [
            s.department.name if s.department_id else None for s in expected.stages.all()
        ]
        assert [e.payload for e in got.events.all()] == [e.payload for e in expected.events.all()]  # JSON decoded


def test_a_further_filter_still_asks_the_database(org: Any) -> None:
    case = _worked_case(org)
    got = selectors.case_detail(org.actor("curator"), case.pk)
    assert got.drafts.filter(status=Draft.Status.SUPERSEDED).count() == 1  # the returned one, reworked
    assert got.assignments.filter(is_lead=True).get().department_id == org.depts["roads"].pk


def test_the_case_page_shows_it(org: Any, client: Any) -> None:
    case = _worked_case(org)
    client.force_login(org.users["curator"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    for text in ("Яму засыпали, асфальт — в мае.", "Укажите срок асфальтирования.", "Проверю на месте.", "ещё.jpg"):
        assert text in page
    assert page.index("Яма на дороге у школы") < page.index("И ещё одна яма рядом")


def test_plain_rows_are_the_orms_under_any_alias(org: Any) -> None:
    """``plainsql.objects`` builds a model's rows as the ORM does, whichever alias the SQL names."""
    from otklik.core.plainsql import name, objects

    case = _worked_case(org)
    where = f"WHERE {{}}.{name('case_id')} = %s ORDER BY {{}}.{name('id')}"
    orm = list(CaseEvent.objects.filter(case=case).order_by("id"))
    for alias in ("t", "e", "t"):
        rows = objects(CaseEvent, where.format(alias, alias), [case.pk], alias=alias)
        assert [(r.pk, r.at, r.payload, r.actor_id) for r in rows] == [(e.pk, e.at, e.payload, e.actor_id) for e in orm]
