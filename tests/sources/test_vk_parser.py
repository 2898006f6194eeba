from datetime import UTC, datetime

import pytest

from otklik.sources.errors import MalformedPayload, WebhookRejected
from otklik.sources.vk import parser
from tests.sources.conftest import load


def test_wall_get_posts_become_messages_with_author_names_and_largest_photo():
    parsed = parser.parse_wall(load("vk_wall_get.json")["response"])
    assert parsed.skipped == []
    citizen, official = parsed.messages
    assert citizen.external_id == "wall-100001_457"
    assert citizen.url == "https://vk.com/wall-100001_457"
    assert citizen.author_name == "Ирина Колесникова"
    assert citizen.author_url == "https://vk.com/id501"
    assert citizen.published_at == datetime(2024, 11, 28, 8, 0, tzinfo=UTC)
    photo, link = citizen.attachments
    assert (photo.kind, photo.url) == ("photo", "https://sun9-1.userapi.com/z.jpg")
    assert (link.kind, link.url, link.title) == ("link", "https://zabaykalskykrai.ru/news/1", "Новости края")
    assert official.author_name == "Администрация Газимуро-Заводского округа"
    assert official.author_url == "https://vk.com/club100001"


def test_comments_and_thread_replies_are_flattened_with_parents():
    parsed = parser.parse_comments(load("vk_wall_getComments.json")["response"], owner_id=-100001, post_id=457)
    ids = [m.external_id for m in parsed.messages]
    assert ids == ["wall-100001_457_c9001", "wall-100001_457_c9003", "wall-100001_457_c9002"]
    top, reply, video = parsed.messages
    assert top.reply_to == "wall-100001_457"
    assert top.url == "https://vk.com/wall-100001_457?reply=9001"
    assert reply.reply_to == "wall-100001_457_c9001"
    assert reply.url == "https://vk.com/wall-100001_457?reply=9003&thread=9001"
    assert reply.author_name == "Ольга Пешкова"
    assert video.attachments[0].url == "https://vk.com/video504_456239100"
    assert "thread" not in top.raw  # raw stays one item, not its whole thread


def test_one_malformed_comment_is_skipped_and_reported_the_others_kept():
    response = load("vk_wall_getComments.json")["response"]
    response["items"].insert(0, {"from_id": 1, "text": "no id"})
    response["items"].append({"id": 9100, "from_id": 1, "date": "вчера", "text": "bad date"})
    parsed = parser.parse_comments(response, owner_id=-100001, post_id=457)
    assert len(parsed.messages) == 3
    assert len(parsed.skipped) == 2
    assert "нет поля 'id'" in parsed.skipped[0]
    assert "неверная дата" in parsed.skipped[1]


def test_response_without_items_is_a_clear_error():
    with pytest.raises(MalformedPayload, match="items"):
        parser.parse_wall({"count": 0})


def test_newsfeed_search_items_are_posts_from_any_wall():
    parsed = parser.parse_newsfeed_search(load("vk_newsfeed_search.json")["response"])
    (message,) = parsed.messages
    assert message.external_id == "wall777_3141"
    assert message.author_name == "Алексей Попов"


def test_external_id_round_trip():
    assert parser.parse_external_id("wall-123_456") == parser.VkRef(-123, 456, None)
    assert parser.parse_external_id("wall-123_456_c789") == parser.VkRef(-123, 456, 789)
    with pytest.raises(MalformedPayload):
        parser.parse_external_id("-123_456")


def test_callback_confirmation_returns_the_code():
    text, messages = parser.handle_callback(
        load("vk_callback_confirmation.json"), confirmation_code="a1b2c3d4", secret="s3cr3t"
    )
    assert (text, messages) == ("a1b2c3d4", [])


def test_callback_new_comment_becomes_a_message():
    text, (message,) = parser.handle_callback(
        load("vk_callback_wall_reply_new.json"), confirmation_code="x", secret="s3cr3t"
    )
    assert text == "ok"
    assert message.external_id == "wall-100001_457_c9010"
    assert message.reply_to == "wall-100001_457"


def test_callback_new_post_becomes_a_message():
    _text, (message,) = parser.handle_callback(
        load("vk_callback_wall_post_new.json"), confirmation_code="x", secret="s3cr3t"
    )
    assert message.external_id == "wall-100001_460"


def test_callback_with_a_wrong_secret_is_rejected():
    payload = load("vk_callback_wall_reply_new.json") | {"secret": "guess"}
    with pytest.raises(WebhookRejected):
        parser.handle_callback(payload, confirmation_code="x", secret="s3cr3t")


def test_callback_events_we_do_not_collect_still_get_ok():
    payload = {"type": "group_join", "object": {"user_id": 1}, "secret": "s3cr3t"}
    assert parser.handle_callback(payload, confirmation_code="x", secret="s3cr3t") == ("ok", [])
