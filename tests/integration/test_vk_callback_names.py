"""VK Callback API events carry only ``from_id`` (issue 11 §4): the author's name comes from
``users.get`` / ``groups.getById`` on the fake VK API, once (cached), so every VK message has a
name and a profile link; without a key or with VK down the message is stored all the same."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.cache import cache
from django.test import Client

from otklik.inbox.models import Message, Source
from otklik.sources.vk.fake import FakeVk

pytestmark = pytest.mark.django_db

GROUP = 100001


def event(comment_id: int, from_id: int, text: str) -> dict:
    return {
        "type": "wall_reply_new",
        "group_id": GROUP,
        "secret": "s3cret",
        "object": {
            "id": comment_id,
            "from_id": from_id,
            "date": 1733000000,
            "text": text,
            "post_owner_id": -GROUP,
            "post_id": 1,
            "parents_stack": [],
        },
    }


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def vk():
    with FakeVk(token="t") as fake:
        fake.add_group(GROUP, "Администрация округа", "gz_adm")
        fake.add_group(200002, "Совет ветеранов", "veterans")
        fake.add_user(501, "Ирина", "Соколова")
        yield fake


def hook(org, vk: FakeVk | None, token: str = "t") -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВК Callback",
        kind=Source.Kind.VK_CALLBACK,
        network="vk",
        token=token,
        base_url=(vk.url + "/method") if vk else "http://127.0.0.1:9/method",
        config={"secret": "s3cret", "confirmation_code": "a1b2c3d4", "group_ids": [GROUP]},
    )


def post(source: Source, payload: dict):
    response = Client().post(f"/hooks/vk/{source.pk}/", json.dumps(payload), content_type="application/json")
    assert response.content == b"ok"
    return response


def test_callback_comment_gets_the_authors_name_and_link_once(org, vk):
    source = hook(org, vk)
    post(source, event(77, 501, "Когда уберут снег на ул. Ленина?"))
    post(source, event(78, 501, "И во дворе тоже"))
    post(source, event(79, -200002, "Поддерживаем обращение"))
    stored = {m.external_id: m for m in Message.objects.filter(source=source)}
    assert stored["wall-100001_1_c77"].author_name == "Ирина Соколова"
    assert stored["wall-100001_1_c77"].author_url == "https://vk.com/id501"
    assert stored["wall-100001_1_c78"].author_name == "Ирина Соколова"
    assert stored["wall-100001_1_c79"].author_name == "Совет ветеранов"
    assert stored["wall-100001_1_c79"].author_url == "https://vk.com/club200002"
    assert [c[0] for c in vk.calls].count("users.get") == 1  # the second comment's name came from the cache


def test_callback_edit_of_a_comment_keeps_a_name(org, vk):
    source = hook(org, vk)
    post(source, event(77, 501, "Снег не убран"))
    edit = copy.deepcopy(event(77, 501, "Снег не убран третий день"))
    edit["type"] = "wall_reply_edit"
    post(source, edit)
    message = Message.objects.get(source=source)
    assert (message.text, message.author_name) == ("Снег не убран третий день", "Ирина Соколова")


def test_without_a_key_or_with_vk_down_the_message_is_stored_with_the_links_label(org):
    for token in ("", "t"):  # no key; a key but VK unreachable
        source = hook(org, None, token=token)
        post(source, event(77, 501, "Когда уберут снег?"))
        message = Message.objects.get(source=source)
        assert (message.author_name, message.author_url) == ("id501", "https://vk.com/id501")
