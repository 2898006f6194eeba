"""Telegram: the pure parser on a documented getUpdates payload, the webhook handler, and the
client against the fake Bot API over real HTTP."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from otklik.domain.messages import PublishRequest
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    RateLimited,
    TransientSourceError,
    WebhookRejected,
)
from otklik.sources.registry import get_connector
from otklik.sources.telegram import parser
from otklik.sources.telegram.client import TelegramClient
from otklik.sources.telegram.fake import FakeTelegram, seed_demo
from tests.sources.conftest import load

GROUP = -1001000000002
PARENTS = -1001000000003


def parse_all(**kwargs):
    return [parser.parse_update(u, **kwargs) for u in load("tg_getUpdates.json")["result"]]


def test_discussion_group_comment_points_at_the_forwarded_channel_post():
    forward, comment, _photo, _edited, _channel_post, _service = parse_all()
    assert forward is None  # the automatic forward is the administration's own post
    assert comment.external_id == "-1009876543210:56"
    assert comment.reply_to == "-1009876543210:55"
    assert comment.url == "https://t.me/gazzavod_chat/56"
    assert comment.author_name == "Анна Лыкова"
    assert comment.author_url == "https://t.me/anna_lykova"
    assert comment.published_at == datetime.fromtimestamp(1732785100, tz=UTC)
    assert comment.raw["reply_to_message"]["is_automatic_forward"] is True


def test_photo_caption_is_the_text_and_the_largest_photo_is_kept():
    photo = parse_all()[2]
    assert photo.text == "Автобус до школы опять не пришёл"
    assert photo.attachments[0].external_id == "AgACAgIAAxk-large"
    assert photo.url == "https://t.me/c/2222222222/12"  # private supergroup link


def test_edit_keeps_the_external_id_and_says_it_is_an_edit():
    edited = parse_all()[3]
    assert edited.external_id == "-1009876543210:56"
    assert edited.raw["_update_type"] == "edited_message"


def test_channel_posts_and_service_messages_are_skipped_unless_asked():
    assert parse_all()[4] is None and parse_all()[5] is None
    post = parse_all(include_channel_posts=True)[4]
    assert post.author_name == "Газимурский Завод — официально"


def test_webhook_checks_the_secret_header():
    update = load("tg_getUpdates.json")["result"][1]
    (message,) = parser.handle_webhook({"x-telegram-bot-api-secret-token": "s"}, update, secret_token="s")
    assert message.external_id == "-1009876543210:56"
    with pytest.raises(WebhookRejected):
        parser.handle_webhook({}, update, secret_token="s")


@pytest.fixture
def tg():
    with FakeTelegram(token="1:t") as fake:
        seed_demo(fake)
        yield fake


def client(fake, sleeps, **config) -> TelegramClient:
    return get_connector("telegram", {"token": "1:t", **config}, base_url=fake.url, sleep=sleeps)


def test_fetch_and_cursor_semantics(tg, sleeps):
    connector = client(tg, sleeps)
    messages, cursor = connector.fetch({})
    assert [m.text[:10] for m in messages] == ["А горячую ", "Автобус до"]
    assert connector.fetch(cursor)[0] == []
    tg.post(PARENTS, "Спасибо, автобус пришёл")
    (new,), _ = connector.fetch(cursor)
    assert new.text == "Спасибо, автобус пришёл"


def test_updates_not_confirmed_are_delivered_again(tg, sleeps):
    connector = client(tg, sleeps)
    first, _ = connector.fetch({})  # the commit failed: the cursor was not saved
    again, _ = connector.fetch({})
    assert [m.external_id for m in again] == [m.external_id for m in first]


def test_chat_filter(tg, sleeps):
    messages, _ = client(tg, sleeps, chat_ids=[PARENTS]).fetch({})
    assert {m.external_id.split(":")[0] for m in messages} == {str(PARENTS)}


def test_429_waits_retry_after_and_retries(tg, sleeps):
    tg.inject("getUpdates", "rate_limit", retry_after=7)
    messages, _ = client(tg, sleeps).fetch({})
    assert messages and sleeps == [7]


def test_bad_token_is_a_configuration_error(tg, sleeps):
    with pytest.raises(ConfigurationError, match="токен бота"):
        client(tg, sleeps, token="1:wrong").check()


def test_webhook_conflict_is_a_configuration_error(tg, sleeps):
    tg.inject("getUpdates", "conflict")
    with pytest.raises(ConfigurationError, match="webhook"):
        client(tg, sleeps).fetch({})


def test_timeouts_are_retried_then_transient(tg, sleeps):
    tg.inject("getUpdates", "sleep", times=5, seconds=0.3)
    connector = get_connector(
        "telegram", {"token": "1:t", "timeout": 0.05, "max_attempts": 3}, base_url=tg.url, sleep=sleeps
    )
    with pytest.raises(TransientSourceError):
        connector.fetch({})
    assert len(sleeps) == 2


def test_malformed_update_is_skipped_others_kept(tg, sleeps):
    tg.raw_update({"message": {"text": "no chat"}})
    connector = client(tg, sleeps)
    messages, cursor = connector.fetch({})
    assert len(messages) == 2 and len(connector.last_skipped) == 1
    assert connector.fetch(cursor)[0] == []  # the bad update is confirmed, not replayed forever


def test_long_poll_returns_when_an_update_arrives(tg, sleeps):
    connector = client(tg, sleeps, poll_timeout=5)
    _, cursor = connector.fetch({})
    import threading

    threading.Timer(0.1, lambda: tg.post(GROUP, "Новое сообщение")).start()
    (message,), _ = connector.fetch(cursor)
    assert message.text == "Новое сообщение"


def test_publish_replies_in_the_discussion_group(tg, sleeps):
    connector = client(tg, sleeps)
    messages, _ = connector.fetch({})
    result = connector.publish(
        PublishRequest("telegram", messages[0].external_id, "Горячую воду дадут в пятницу.", "g1")
    )
    (sent,) = tg.sent
    assert sent["reply_to_message"]["message_id"] == int(messages[0].external_id.split(":")[1])
    assert result.url == f"https://t.me/gazzavod_chat/{sent['message_id']}"


def test_publish_with_photo_uses_send_photo(tg, sleeps, tmp_path: Path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"jpeg")
    client(tg, sleeps).publish(PublishRequest("telegram", f"{PARENTS}:1", "Фото", "g", attachments=(photo,)))
    assert tg.sent[0]["caption"] == "Фото" and tg.sent[0]["photo"]


def test_reply_to_a_deleted_message_cannot_be_published(tg, sleeps):
    with pytest.raises(CannotPublish, match="удалено"):
        client(tg, sleeps).publish(PublishRequest("telegram", f"{GROUP}:999", "Ответ", "g"))


def test_publish_is_not_repeated_after_a_timeout(tg, sleeps):
    tg.inject("sendMessage", "http_500")
    with pytest.raises(TransientSourceError):
        client(tg, sleeps).publish(PublishRequest("telegram", f"{PARENTS}:1", "Ответ", "g"))
    assert tg.count_calls("sendMessage") == 1


def test_publish_rate_limit_is_retried(tg, sleeps):
    tg.inject("sendMessage", "rate_limit", retry_after=2)
    client(tg, sleeps).publish(PublishRequest("telegram", f"{PARENTS}:1", "Ответ", "g"))
    assert len(tg.sent) == 1 and sleeps == [2]


def test_very_long_retry_after_is_not_slept_through(tg, sleeps):
    tg.inject("getUpdates", "rate_limit", retry_after=3600)
    with pytest.raises(RateLimited) as error:
        client(tg, sleeps).fetch({})
    assert error.value.retry_after == 3600 and sleeps == []
