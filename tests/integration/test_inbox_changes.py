"""Ingestion: edits and deletions as revisions, parents, the notices of a changed message in a case,
and one bad item never blocking a batch (on SQLite and on PostgreSQL: PostgreSQL refuses NUL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from otklik.cases import actions as case_actions
from otklik.domain.messages import IncomingMessage, parent_context
from otklik.inbox.actions import message_ingest_batch
from otklik.inbox.cleaning import MAX_TEXT
from otklik.inbox.models import Message, MessageRevision, Source
from otklik.notify.models import Notification
from tests.conftest import chita

pytestmark = pytest.mark.django_db

T0 = chita(2026, 3, 2, 10)


@pytest.fixture
def source(org: Any) -> Source:
    return Source.objects.create(administration=org.adm, name="ВК", kind=Source.Kind.VK, network="vk", token="t")


def item(ext: str, text: str = "Нет воды на ул. Ленина", **kw: Any) -> IncomingMessage:
    return IncomingMessage(network=kw.pop("network", "vk"), external_id=ext, text=text, **kw)


def test_a_nul_byte_and_control_characters_are_removed_and_the_batch_is_stored(source: Source) -> None:
    items = [
        item("a", "Нет\x00 воды\x07 на ул.\tЛенина\n", author_name="Ива\x00н", raw={"text": "x\x00y", "k\x00": 1}),
        item("b", "Второе сообщение"),
    ]
    result = message_ingest_batch(source=source, items=items, now=T0)
    assert len(result.created) == 2 and not result.errors and result.cleaned == 1
    stored = Message.objects.get(source=source, external_id="a")
    assert stored.text == "Нет воды на ул.\tЛенина\n" and stored.author_name == "Иван"
    assert stored.raw == {"text": "xy", "k": 1}


def test_an_over_long_text_is_refused_whole_with_a_reason_and_the_rest_stored(source: Source) -> None:
    items = [item("long", "а" * (MAX_TEXT + 1)), item("ok", "Короткое"), item("net", "Текст", network="myspace")]
    result = message_ingest_batch(source=source, items=items, now=T0)
    assert [m.external_id for m in Message.objects.filter(source=source)] == ["ok"]
    reasons = dict(result.errors)
    assert "не сохранено" in reasons["long"] and "неизвестная сеть" in reasons["net"]


def test_a_long_author_name_is_shortened_visibly_and_kept_whole_in_raw(source: Source) -> None:
    name = "Я" * 300
    message_ingest_batch(source=source, items=[item("a", author_name=name)], now=T0)
    stored = Message.objects.get(source=source)
    assert len(stored.author_name) == 255 and stored.author_name.endswith("…")
    assert stored.raw["_otklik_author_name"] == name


def test_an_edit_is_a_revision_of_the_same_message_and_keeps_the_history(source: Source) -> None:
    message_ingest_batch(source=source, items=[item("a", "Нет воды")], now=T0)
    later = T0 + dt.timedelta(minutes=5)
    result = message_ingest_batch(
        source=source, items=[item("a", "Нет воды третий день", change="edited", changed_at=later)], now=later
    )
    stored = Message.objects.get(source=source)
    assert result.edited == [stored.pk] and not result.created
    assert stored.text == "Нет воды третий день" and stored.edited_at == later and stored.revision_count == 1
    revision = MessageRevision.objects.get(message=stored)
    assert revision.kind == "edited" and revision.text == "Нет воды" and revision.number == 1
    # The same edit delivered again changes nothing.
    again = message_ingest_batch(source=source, items=[item("a", "Нет воды третий день", change="edited")], now=later)
    assert again.duplicates == 1 and MessageRevision.objects.count() == 1


def test_a_message_read_again_with_another_text_is_an_edit(source: Source) -> None:
    message_ingest_batch(source=source, items=[item("a", "Первый текст")], now=T0)
    result = message_ingest_batch(source=source, items=[item("a", "Исправленный текст")], now=T0)
    assert len(result.edited) == 1 and Message.objects.get(source=source).text == "Исправленный текст"
    same = message_ingest_batch(source=source, items=[item("a", "Исправленный текст")], now=T0)
    assert same.duplicates == 1 and not same.edited


def test_a_deletion_marks_the_message_and_keeps_it_and_a_restoration_unmarks_it(source: Source) -> None:
    message_ingest_batch(source=source, items=[item("a")], now=T0)
    gone = message_ingest_batch(source=source, items=[item("a", "", change="deleted")], now=T0)
    stored = Message.objects.get(source=source)
    assert gone.deleted == [stored.pk] and stored.deleted_at == T0 and stored.text == "Нет воды на ул. Ленина"
    back = message_ingest_batch(source=source, items=[item("a", change="restored")], now=T0)
    stored.refresh_from_db()
    assert back.restored == [stored.pk] and stored.deleted_at is None
    assert list(stored.revisions.values_list("kind", flat=True)) == ["deleted", "restored"]


def test_an_edit_of_a_message_never_seen_stores_it(source: Source) -> None:
    result = message_ingest_batch(source=source, items=[item("a", "Текст", change="edited", changed_at=T0)], now=T0)
    stored = Message.objects.get(source=source)
    assert result.created == [stored.pk] and stored.edited_at == T0


def test_a_reply_points_at_its_stored_parent_and_keeps_the_networks_context(source: Source) -> None:
    ctx = parent_context("post", "wall-1_5", "Пост администрации", "https://vk.com/wall-1_5")
    items = [item("wall-1_5_c1", "Корень"), item("wall-1_5_c2", "Ответ", reply_to="wall-1_5_c1", context=ctx)]
    message_ingest_batch(source=source, items=items, now=T0)
    reply = Message.objects.get(external_id="wall-1_5_c2")
    assert reply.parent is not None and reply.parent.external_id == "wall-1_5_c1"
    assert reply.context["parent"]["text"] == "Пост администрации"


def test_the_curator_and_the_executor_hear_that_a_message_in_a_case_changed(
    org: Any, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    message_ingest_batch(source=source, items=[item("a", "Яма на дороге у школы")], now=T0)
    message = Message.objects.get(source=source)
    case = case_actions.case_detect(message=message, actor=org.actor("curator"), now=T0)
    case_actions.case_route(
        case=case,
        actor=org.actor("curator"),
        targets=[case_actions.RouteTarget(department_id=org.depts["roads"].pk)],
        now=T0,
    )
    earlier = list(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        message_ingest_batch(source=source, items=[item("a", "Яма на дороге у школы № 1", change="edited")], now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        message_ingest_batch(source=source, items=[item("a", "", change="deleted")], now=T0)
    notices = Notification.objects.filter(case=case).exclude(pk__in=earlier)
    recipients = set(notices.values_list("recipient_id", flat=True))
    assert recipients == {org.users["curator"].pk, org.users["roads"].pk}
    titles = sorted(set(notices.values_list("title", flat=True)))
    assert any("изменил" in t for t in titles) and any("удалено" in t for t in titles)


def test_a_change_of_a_message_without_a_case_notifies_nobody(
    source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    message_ingest_batch(source=source, items=[item("a")], now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        message_ingest_batch(source=source, items=[item("a", "Другое", change="edited")], now=T0)
    assert not Notification.objects.exists()


def test_the_message_and_case_pages_show_the_parent_and_the_edit_with_its_difference(org: Any, source: Source) -> None:
    from django.test import Client

    from otklik.inbox.selectors import text_diff

    ctx = parent_context("post", "wall-1_5", "Пост: график вывоза мусора", "https://vk.com/wall-1_5")
    message_ingest_batch(
        source=source, items=[item("c1", "Мусор не вывозят", reply_to="wall-1_5", context=ctx)], now=T0
    )
    message_ingest_batch(
        source=source, items=[item("c1", "Мусор не вывозят вторую неделю", change="edited", changed_at=T0)], now=T0
    )
    message = Message.objects.get(source=source)
    client = Client()
    client.force_login(org.users["curator"])
    page = client.get(f"/inbox/{message.pk}/").content.decode()
    assert "Пост: график вывоза мусора" in page and "Комментарий к записи" in page
    assert 'data-testid="message-edited"' in page and "вторую неделю</ins>" in page
    case = case_actions.case_detect(message=message, actor=org.actor("curator"), now=T0)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Пост: график вывоза мусора" in page and "вторую неделю</ins>" in page
    assert text_diff("a b", "a c") == [("same", "a "), ("removed", "b"), ("added", "c")]
