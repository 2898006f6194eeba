"""VK Callback API and Telegram webhook endpoints: secrets, VK's exact answers, idempotency."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from otklik.inbox.models import Message, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def vk_hook(org) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВК Callback",
        kind=Source.Kind.VK_CALLBACK,
        network="vk",
        config={"secret": "s3cret", "confirmation_code": "a1b2c3d4", "group_ids": [100001]},
    )


def post_vk(source: Source, payload: dict):
    return Client().post(f"/hooks/vk/{source.pk}/", json.dumps(payload), content_type="application/json")


COMMENT = {
    "type": "wall_reply_new",
    "group_id": 100001,
    "event_id": "e1",
    "v": "5.199",
    "object": {
        "id": 77,
        "from_id": 501,
        "date": 1733000000,
        "text": "Когда уберут снег на ул. Ленина?",
        "post_owner_id": -100001,
        "post_id": 1,
        "parents_stack": [],
    },
}


def test_vk_confirmation_returns_the_code(vk_hook):
    response = post_vk(vk_hook, {"type": "confirmation", "group_id": 100001})
    assert response.status_code == 200 and response.content == b"a1b2c3d4"


def test_vk_event_with_the_right_secret_is_ingested_once(vk_hook):
    response = post_vk(vk_hook, {**COMMENT, "secret": "s3cret"})
    assert response.status_code == 200 and response.content == b"ok"
    message = Message.objects.get(source=vk_hook)
    assert message.external_id == "wall-100001_1_c77" and message.reply_to == "wall-100001_1"
    assert message.network == "vk" and message.text.startswith("Когда уберут снег")
    # VK repeats an event it did not get "ok" for: the repeat adds nothing.
    assert post_vk(vk_hook, {**COMMENT, "secret": "s3cret"}).content == b"ok"
    assert Message.objects.filter(source=vk_hook).count() == 1
    vk_hook.refresh_from_db()
    assert vk_hook.status == Source.Status.OK and vk_hook.last_success_at is not None


def test_vk_wrong_or_missing_secret_is_rejected(vk_hook):
    assert post_vk(vk_hook, {**COMMENT, "secret": "guess"}).status_code == 403
    assert post_vk(vk_hook, COMMENT).status_code == 403
    assert not Message.objects.filter(source=vk_hook).exists()


def test_vk_other_events_get_ok_and_bad_requests_do_not(vk_hook):
    assert post_vk(vk_hook, {"type": "message_new", "group_id": 100001, "secret": "s3cret"}).content == b"ok"
    assert post_vk(vk_hook, {"type": "wall_reply_new", "group_id": 100001, "secret": "s3cret"}).status_code == 400
    assert post_vk(vk_hook, {**COMMENT, "group_id": 999, "secret": "s3cret"}).status_code == 403
    bad = Client().post(f"/hooks/vk/{vk_hook.pk}/", "not json", content_type="application/json")
    assert bad.status_code == 400
    assert Client().get(f"/hooks/vk/{vk_hook.pk}/").status_code == 405


def test_vk_source_without_a_secret_accepts_only_confirmation(org):
    source = Source.objects.create(
        administration=org.adm, name="ВК", kind="vk_callback", network="vk", config={"confirmation_code": "c0de"}
    )
    assert post_vk(source, {"type": "confirmation", "group_id": 1}).content == b"c0de"
    assert post_vk(source, COMMENT).status_code == 403


def test_unknown_or_disabled_source_is_404(vk_hook):
    assert Client().post("/hooks/vk/99999/", "{}", content_type="application/json").status_code == 404
    Source.objects.filter(pk=vk_hook.pk).update(enabled=False)
    assert post_vk(vk_hook, {"type": "confirmation", "group_id": 100001}).status_code == 404


@pytest.fixture
def tg_hook(org) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="Telegram бот",
        kind=Source.Kind.TELEGRAM,
        network="telegram",
        token="123:tg",
        config={"webhook_secret": "tg-secret-1"},
    )


UPDATE = {
    "update_id": 501,
    "message": {
        "message_id": 42,
        "date": 1733000000,
        "chat": {"id": -1001000000002, "title": "Газзавод онлайн", "type": "supergroup", "username": "gz_chat"},
        "from": {"id": 9001, "is_bot": False, "first_name": "Анна", "last_name": "Лыкова"},
        "text": "Третий день нет горячей воды на ул. Журавлёва.",
    },
}


def post_tg(source: Source, payload: dict, secret: str | None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return Client().post(
        f"/hooks/telegram/{source.pk}/", json.dumps(payload), content_type="application/json", headers=headers
    )


def test_telegram_webhook_with_the_right_secret(tg_hook):
    response = post_tg(tg_hook, UPDATE, "tg-secret-1")
    assert response.status_code == 200
    message = Message.objects.get(source=tg_hook)
    assert message.external_id == "-1001000000002:42" and message.author_name == "Анна Лыкова"
    assert post_tg(tg_hook, UPDATE, "tg-secret-1").status_code == 200
    assert Message.objects.filter(source=tg_hook).count() == 1


def test_telegram_webhook_wrong_secret(tg_hook):
    assert post_tg(tg_hook, UPDATE, "nope").status_code == 403
    assert post_tg(tg_hook, UPDATE, None).status_code == 403
    assert not Message.objects.filter(source=tg_hook).exists()


def test_telegram_without_a_webhook_secret_takes_no_webhooks(org):
    source = Source.objects.create(administration=org.adm, name="Бот", kind="telegram", network="telegram", token="1:x")
    assert post_tg(source, UPDATE, "").status_code == 403


def test_telegram_webhook_edit_is_a_revision_and_goes_to_the_source_of_its_chat(org, tg_hook):
    sibling = Source.objects.create(
        administration=org.adm,
        name="Второй чат того же бота",
        kind=Source.Kind.TELEGRAM,
        network="telegram",
        token="123:tg",
        config={"webhook_secret": "tg-secret-2", "chat_ids": [-1001000000002]},
    )
    tg_hook.config = {"webhook_secret": "tg-secret-1", "chat_ids": [-1001000000099]}
    tg_hook.save(update_fields=["config"])
    post_tg(tg_hook, UPDATE, "tg-secret-1")
    edited = {"update_id": 502, "edited_message": {**UPDATE["message"], "text": "Исправлено", "edit_date": 1733000100}}
    post_tg(tg_hook, edited, "tg-secret-1")
    assert not Message.objects.filter(source=tg_hook).exists()
    message = Message.objects.get(source=sibling)
    assert message.text == "Исправлено" and message.revisions.count() == 1


@pytest.fixture
def max_hook(org) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="MAX бот",
        kind=Source.Kind.MAX,
        network="max",
        token="m",
        config={"webhook_secret": "max-secret", "chat_ids": [-7001]},
    )


def post_max(source: Source, payload: dict, secret: str):
    return Client().post(
        f"/hooks/max/{source.pk}/",
        json.dumps(payload),
        content_type="application/json",
        headers={"X-Max-Bot-Api-Secret": secret},
    )


MAX_MESSAGE = {
    "sender": {"user_id": 601, "first_name": "Нина", "last_name": "Бянкина", "is_bot": False},
    "recipient": {"chat_id": -7001, "chat_type": "chat"},
    "timestamp": 1733000000000,
    "body": {"mid": "mid.1", "seq": 1, "text": "Не горит фонарь"},
}


def test_max_webhook_new_edit_and_removal(max_hook):
    assert (
        post_max(max_hook, {"update_type": "message_created", "timestamp": 1, "message": MAX_MESSAGE}, "x").status_code
        == 403
    )
    post_max(max_hook, {"update_type": "message_created", "timestamp": 1, "message": MAX_MESSAGE}, "max-secret")
    edited = {**MAX_MESSAGE, "body": {**MAX_MESSAGE["body"], "text": "Не горит фонарь у школы"}}
    post_max(max_hook, {"update_type": "message_edited", "timestamp": 2, "message": edited}, "max-secret")
    removed = {"update_type": "message_removed", "timestamp": 3, "message_id": "mid.1", "chat_id": -7001}
    assert post_max(max_hook, removed, "max-secret").status_code == 200
    message = Message.objects.get(source=max_hook)
    assert message.text == "Не горит фонарь у школы" and message.deleted_at is not None
    assert list(message.revisions.values_list("kind", flat=True)) == ["edited", "deleted"]
