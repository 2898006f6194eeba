"""VK loses nothing (issue 11 §1): each scenario that lost citizens' comments for good, reproduced on
the fake VK API over real HTTP and polled into the database as the worker does."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.registry import get_connector
from otklik.sources.vk.fake import FakeVk

pytestmark = pytest.mark.django_db

GROUP = 100001


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vk():
    with FakeVk(token="t") as fake:
        fake.add_group(GROUP, "Администрация округа", "gz_adm")
        for uid, first in ((501, "Ирина"), (502, "Сергей"), (503, "Ольга")):
            fake.add_user(uid, first, "Жительница" if first != "Сергей" else "Житель")
        yield fake


@pytest.fixture
def source(org) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВК",
        kind=Source.Kind.VK,
        network="vk",
        token="t",
        config={"group_ids": [GROUP]},
    )


def poll(source: Source, vk: FakeVk, clock: Clock, **config: Any) -> polling.PollResult:
    source.refresh_from_db()
    connector = get_connector(
        "vk", {"token": "t", "group_ids": [GROUP], **config}, base_url=vk.url + "/method", sleep=lambda s: None
    )
    connector.clock = clock
    result = polling.poll_source(source, connector=connector)
    assert result.ok, result.error
    return result


def texts(source: Source) -> set[str]:
    return set(Message.objects.filter(source=source).values_list("text", flat=True))


def test_a_comment_deleted_and_another_added_between_polls_is_collected(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Вывоз мусора по новому графику")
    first = vk.add_comment(GROUP, post.id, "Мусор не вывозят", from_id=501)
    poll(source, vk, clock)
    vk.delete_comment(GROUP, post.id, first.id)
    vk.add_comment(GROUP, post.id, "На Журавлёва контейнеры переполнены", from_id=502)  # the count stays 1
    clock.now += 61 * 60  # the post is re-read even though its count did not change
    poll(source, vk, clock)
    assert "На Журавлёва контейнеры переполнены" in texts(source)


def test_comments_added_on_two_posts_during_one_poll_are_both_collected(vk, source):
    clock = Clock()
    earlier = vk.add_post(GROUP, "Пост 22")
    later = vk.add_post(GROUP, "Пост 24")
    vk.add_comment(GROUP, earlier.id, "Старый комментарий", from_id=501)
    vk.add_comment(GROUP, later.id, "Старый комментарий к 24", from_id=501)
    poll(source, vk, clock)

    def citizens_comment(params: dict) -> None:
        # While the poll reads post 22, a citizen comments on post 24 (read already), then on 22.
        if params.get("post_id") == str(earlier.id) and not params.get("comment_id"):
            vk.add_comment(GROUP, later.id, "Комментарий к 24 во время опроса", from_id=502)
            vk.add_comment(GROUP, earlier.id, "Комментарий к 22 во время опроса", from_id=503)

    vk.add_comment(GROUP, earlier.id, "Новое к 22", from_id=502)  # so the poll reads post 22
    vk.add_comment(GROUP, later.id, "Новое к 24", from_id=502)
    vk.on("wall.getComments", lambda p: None)  # the first read is post 24 (newest first)
    vk.on("wall.getComments", citizens_comment)
    poll(source, vk, clock)
    poll(source, vk, clock)  # the next poll, a few minutes later
    assert {"Комментарий к 24 во время опроса", "Комментарий к 22 во время опроса"} <= texts(source)


def test_replies_under_a_deleted_comment_are_collected_and_the_comment_marked_deleted(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Ремонт дороги")
    root = vk.add_comment(GROUP, post.id, "Когда починят дорогу?", from_id=501)
    poll(source, vk, clock)
    for n in range(12):  # more than thread_items_count: the rest of the thread is read too
        vk.add_comment(GROUP, post.id, f"Поддерживаю {n}", from_id=502, thread_root=root.id)
    vk.delete_comment(GROUP, post.id, root.id)
    poll(source, vk, clock)
    stored = Message.objects.filter(source=source)
    replies = stored.filter(text__startswith="Поддерживаю")
    assert replies.count() == 12
    deleted = stored.get(text="Когда починят дорогу?")
    assert deleted.deleted_at is not None
    assert all(r.parent_id == deleted.pk for r in replies)


def test_a_new_comment_on_the_150th_post_of_a_200_post_wall_is_collected(vk, source):
    clock = Clock()
    posts = [vk.add_post(GROUP, f"Новость {n}", date=int(clock.now) - (200 - n) * 600) for n in range(200)]
    poll(source, vk, clock)
    vk.add_comment(GROUP, posts[50].id, "Когда починят фонарь?", from_id=501)  # the 150th newest
    clock.now += 300
    poll(source, vk, clock)
    assert "Когда починят фонарь?" in texts(source)


def test_nothing_new_on_a_200_post_wall_costs_a_bounded_number_of_calls(vk, source):
    clock = Clock()
    posts = [vk.add_post(GROUP, f"Новость {n}", date=int(clock.now) - (200 - n) * 600) for n in range(200)]
    for post in posts:
        vk.add_comment(GROUP, post.id, "Комментарий", from_id=501)
    poll(source, vk, clock)
    before = len(vk.calls)
    clock.now += 300
    poll(source, vk, clock)
    assert len(vk.calls) - before == 2  # two pages of wall.get; nothing due for a re-read yet
    clock.now += 3601
    before = len(vk.calls)
    poll(source, vk, clock, recheck_per_poll=10)
    assert len(vk.calls) - before == 2 + 10


def test_a_post_older_than_the_window_is_not_read_but_a_pinned_one_does_not_stop_the_walk(vk, source):
    clock = Clock()
    pinned = vk.add_post(GROUP, "Закреплённый пост", date=int(clock.now) - 90 * 86400)
    pinned.is_pinned = True
    old = vk.add_post(GROUP, "Старый пост", date=int(clock.now) - 40 * 86400)
    fresh = vk.add_post(GROUP, "Свежий пост", date=int(clock.now) - 86400)
    vk.add_comment(GROUP, old.id, "К старому", from_id=501)
    vk.add_comment(GROUP, fresh.id, "К свежему", from_id=501)
    poll(source, vk, clock)
    assert texts(source) == {"К свежему"}


def test_the_communitys_own_comments_and_posts_are_not_citizens_messages(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Объявление администрации")
    vk.add_comment(GROUP, post.id, "Ответ администрации", from_id=-GROUP)
    vk.add_comment(GROUP, post.id, "Вопрос жителя", from_id=501)
    poll(source, vk, clock)
    assert texts(source) == {"Вопрос жителя"}
    message = Message.objects.get(source=source)
    assert message.author_name == "Ирина Жительница" and message.author_url == "https://vk.com/id501"
    assert message.context["parent"]["text"] == "Объявление администрации"
    assert message.context["parent"]["url"] == f"https://vk.com/wall-{GROUP}_{post.id}"


def test_an_edited_comment_read_again_becomes_a_revision(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Отопление")
    comment = vk.add_comment(GROUP, post.id, "Холодно в квартире", from_id=501)
    poll(source, vk, clock)
    vk.edit_comment(GROUP, post.id, comment.id, "Холодно в квартире, +12")
    clock.now += 3601
    poll(source, vk, clock)
    message = Message.objects.get(source=source)
    assert message.text == "Холодно в квартире, +12" and message.revisions.get().text == "Холодно в квартире"


def test_a_nul_byte_in_one_comment_neither_blocks_the_batch_nor_the_cursor(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Пост")
    vk.add_comment(GROUP, post.id, "Плохой\x00 текст", from_id=501)
    vk.add_comment(GROUP, post.id, "Хороший текст", from_id=502)
    result = poll(source, vk, clock)
    source.refresh_from_db()
    assert texts(source) == {"Плохой текст", "Хороший текст"} and result.created == 2
    assert source.cursor["walls"][str(GROUP)]["posts"][str(post.id)]["n"] == 2


def test_a_short_name_is_resolved_through_the_api(vk, source):
    clock = Clock()
    post = vk.add_post(GROUP, "Пост")
    vk.add_comment(GROUP, post.id, "Вопрос", from_id=501)
    source.refresh_from_db()
    connector = get_connector("vk", {"token": "t", "group_ids": ["https://vk.com/gz_adm"]}, base_url=vk.url + "/method")
    connector.clock = clock
    assert polling.poll_source(source, connector=connector).created == 1
    report = connector.check()
    assert report.config_updates["group_ids"] == [GROUP] and "Администрация округа" in report.found[0]


# --- Callback API: new, edit, delete, restore ---------------------------------------------------


@pytest.fixture
def hook(org) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВК Callback",
        kind=Source.Kind.VK_CALLBACK,
        network="vk",
        config={"secret": "s", "confirmation_code": "c", "group_ids": [GROUP]},
    )


def event(kind: str, obj: dict) -> dict:
    return {"type": kind, "group_id": GROUP, "event_id": kind, "v": "5.199", "secret": "s", "object": obj}


COMMENT = {"id": 7, "from_id": 501, "date": 1733000000, "text": "Где автобус?", "post_owner_id": -GROUP, "post_id": 3}


def send(hook: Source, payload: dict) -> bytes:
    response = Client().post(f"/hooks/vk/{hook.pk}/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    return response.content


def test_callback_edit_delete_and_restore_of_a_comment(hook):
    assert send(hook, event("wall_reply_new", COMMENT)) == b"ok"
    send(hook, event("wall_reply_edit", {**COMMENT, "text": "Где автобус № 5?"}))
    message = Message.objects.get(source=hook)
    assert message.text == "Где автобус № 5?" and message.revisions.get().text == "Где автобус?"
    assert message.context["parent"]["url"] == f"https://vk.com/wall-{GROUP}_3"
    send(hook, event("wall_reply_delete", {"owner_id": -GROUP, "id": 7, "post_id": 3, "deleter_id": 501}))
    message.refresh_from_db()
    assert message.deleted_at is not None
    send(hook, event("wall_reply_restore", {**COMMENT, "text": "Где автобус № 5?"}))
    message.refresh_from_db()
    assert message.deleted_at is None
    assert list(message.revisions.values_list("kind", flat=True)) == ["edited", "deleted", "restored"]


def test_callback_comment_of_the_community_itself_is_dropped(hook):
    send(hook, event("wall_reply_new", {**COMMENT, "from_id": -GROUP}))
    assert not Message.objects.filter(source=hook).exists()


def test_keyword_search_never_returns_the_communitys_own_posts(vk, source):
    clock = Clock()
    vk.add_post(GROUP, "Фонари на Ленина починим к пятнице", from_id=-GROUP)
    vk.add_group(200002, "Газимурский Завод — новости")
    vk.add_post(200002, "Фонари на Ленина не горят", from_id=501)
    source.refresh_from_db()
    connector = get_connector(
        "vk", {"token": "t", "group_ids": [GROUP], "keywords": ["фонари"]}, base_url=vk.url + "/method"
    )
    connector.clock = clock
    polling.poll_source(source, connector=connector)
    assert texts(source) == {"Фонари на Ленина не горят"}
