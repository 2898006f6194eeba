"""The VK client against the fake VK API over real HTTP on 127.0.0.1."""

import time
from pathlib import Path

import pytest

from otklik.domain.messages import PublishRequest
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    MalformedPayload,
    RateLimited,
    TransientSourceError,
)
from otklik.sources.registry import get_connector
from otklik.sources.vk.client import VkClient
from otklik.sources.vk.fake import FakeVk, seed_demo


@pytest.fixture
def vk():
    with FakeVk(token="t") as fake:
        seed_demo(fake)
        yield fake


def client(fake, sleeps, **config) -> VkClient:
    config = {"token": "t", "group_ids": [100001, 100002], **config}
    return get_connector("vk", config, base_url=fake.url + "/method", sleep=sleeps)


def test_first_fetch_collects_citizens_posts_and_comments_not_the_communitys_own(vk, sleeps):
    messages, cursor = client(vk, sleeps).fetch({})
    ids = {m.external_id for m in messages}
    assert ids == {
        "wall-100001_1_c1",
        "wall-100001_1_c2",
        "wall-100001_1_c3",
        "wall-100002_1",
        "wall-100002_2",
    }
    assert cursor["walls"]["100001"]["posts"]["1"]["n"] == 3 and "comment" not in cursor["walls"]["100001"]


def test_second_fetch_returns_only_new_items(vk, sleeps):
    connector = client(vk, sleeps)
    _, cursor = connector.fetch({})
    vk.add_comment(100002, 1, "Воду так и не дали", from_id=501)
    vk.add_post(100002, "Новая жалоба на дорогу", from_id=502)
    messages, cursor2 = connector.fetch(cursor)
    assert sorted(m.external_id for m in messages) == ["wall-100002_1_c1", "wall-100002_3"]
    assert connector.fetch(cursor2)[0] == []


def test_cursor_is_not_mutated_so_an_uncommitted_fetch_can_be_repeated(vk, sleeps):
    connector = client(vk, sleeps)
    first, _cursor = connector.fetch({})
    again, _ = connector.fetch({})  # the caller did not persist `cursor`
    assert {m.external_id for m in again} == {m.external_id for m in first}


def test_comment_counts_spare_calls_for_posts_without_new_comments(vk, sleeps):
    connector = client(vk, sleeps)
    _, cursor = connector.fetch({})
    before = vk.count_calls("wall.getComments")
    connector.fetch(cursor)
    assert vk.count_calls("wall.getComments") == before


def test_long_threads_are_read_beyond_the_first_ten_replies(vk, sleeps):
    post = vk.add_post(100002, "Обсуждение", from_id=503)
    root = vk.add_comment(100002, post.id, "Корень", from_id=501)
    for n in range(13):
        vk.add_comment(100002, post.id, f"Ответ {n}", from_id=502, thread_root=root.id)
    messages, _ = client(vk, sleeps).fetch({})
    replies = [m for m in messages if m.reply_to == f"wall-100002_{post.id}_c{root.id}"]
    assert len(replies) == 13


def test_keyword_search_uses_newsfeed_search(vk, sleeps):
    connector = client(vk, sleeps, group_ids=[], keywords=["фонари"])
    messages, cursor = connector.fetch({})
    assert [m.external_id for m in messages] == ["wall-100002_2"]
    assert cursor["search"]["фонари"]["start_time"] > 0


def test_rate_limit_is_retried_with_back_off(vk, sleeps):
    vk.inject("wall.get", "rate_limit", times=2)
    messages, _ = client(vk, sleeps).fetch({})
    assert messages
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.1


def test_rate_limit_that_persists_raises_rate_limited_after_bounded_retries(vk, sleeps):
    vk.inject("wall.get", "flood", times=10)
    with pytest.raises(RateLimited):
        client(vk, sleeps).fetch({})
    assert len(sleeps) == 3  # 4 attempts


def test_timeout_gives_a_transient_error_after_bounded_retries(vk, sleeps):
    vk.inject("wall.get", "sleep", times=10, seconds=0.3)
    connector = get_connector(
        "vk",
        {"token": "t", "group_ids": [100001], "timeout": 0.05, "max_attempts": 2},
        base_url=vk.url + "/method",
        sleep=sleeps,
    )
    with pytest.raises(TransientSourceError, match="нет ответа"):
        connector.fetch({})
    assert len(sleeps) == 1


def test_server_error_is_retried(vk, sleeps):
    vk.inject("wall.get", "http_500", times=1)
    messages, _ = client(vk, sleeps).fetch({})
    assert messages and len(sleeps) == 1


def test_malformed_json_is_a_clear_transient_error(vk, sleeps):
    vk.inject("wall.get", "malformed", times=10)
    with pytest.raises(TransientSourceError, match="не JSON"):
        client(vk, sleeps).fetch({})


def test_malformed_items_are_skipped_and_counted_the_rest_kept(vk, sleeps):
    vk.inject(
        "wall.get",
        "raw",
        body={
            "response": {
                "count": 2,
                "items": [
                    {"id": 5, "owner_id": -100001, "from_id": 501, "date": int(time.time()), "text": "Хорошая"},
                    {"owner_id": -100001, "text": "без id"},
                ],
            }
        },
    )
    connector = client(vk, sleeps, group_ids=[100001])
    messages, _ = connector.fetch({})
    assert [m.external_id for m in messages] == ["wall-100001_5"]
    assert len(connector.last_skipped) == 1


def test_bad_token_is_a_configuration_error_naming_the_source(vk, sleeps):
    connector = client(vk, sleeps, token="wrong")
    with pytest.raises(ConfigurationError) as error:
        connector.check()
    assert str(error.value).startswith("vk:")
    assert "ключ доступа" in str(error.value)


def test_check_passes_with_a_good_token(vk, sleeps):
    client(vk, sleeps).check()


def test_missing_groups_and_keywords_fail_the_check(vk, sleeps):
    with pytest.raises(ConfigurationError, match="group_ids"):
        client(vk, sleeps, group_ids=[]).check()


def test_publish_replies_to_a_comment_as_the_community(vk, sleeps):
    result = client(vk, sleeps).publish(
        PublishRequest("vk", "wall-100001_1_c2", "Ремонт дороги запланирован на июнь.", "draft-1")
    )
    (created,) = vk.created_comments()
    assert created.from_id == -100001 and created.reply_to_comment == 2
    assert result.external_id == f"wall-100001_1_c{created.id}"
    assert result.url == f"https://vk.com/wall-100001_1?reply={created.id}"


def test_guid_prevents_a_double_comment_when_the_answer_was_lost(vk, sleeps):
    # The first call is performed by VK but its answer is lost (504): the client retries
    # with the same guid and VK returns the comment already created.
    vk.inject("wall.createComment", "lose_response")
    connector = client(vk, sleeps)
    result = connector.publish(PublishRequest("vk", "wall-100001_1", "Ответ", "draft-7"))
    assert len(vk.created_comments()) == 1
    again = connector.publish(PublishRequest("vk", "wall-100001_1", "Ответ", "draft-7"))
    assert again == result and len(vk.created_comments()) == 1
    assert vk.count_calls("wall.createComment") == 3


def test_closed_comments_cannot_be_published(vk, sleeps):
    vk.walls[-100001][0].comments_closed = True
    with pytest.raises(CannotPublish, match="комментарии закрыты"):
        client(vk, sleeps).publish(PublishRequest("vk", "wall-100001_1", "Ответ", "g"))


def test_error_223_cannot_publish(vk, sleeps):
    vk.inject("wall.createComment", "error", code=223, message="Too many replies")
    with pytest.raises(CannotPublish) as error:
        client(vk, sleeps).publish(PublishRequest("vk", "wall-100001_1", "Ответ", "g"))
    assert error.value.code == 223


def test_flood_control_while_publishing_is_retried(vk, sleeps):
    vk.inject("wall.createComment", "flood", times=1)
    client(vk, sleeps).publish(PublishRequest("vk", "wall-100001_1", "Ответ", "g"))
    assert len(vk.created_comments()) == 1 and len(sleeps) == 1


def test_publish_with_a_photo_uploads_it_and_attaches_it(vk, sleeps, tmp_path: Path):
    photo = tmp_path / "yama.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0fakejpeg")
    client(vk, sleeps).publish(PublishRequest("vk", "wall-100001_1", "Фото ремонта", "g2", attachments=(photo,)))
    assert vk.uploaded == [b"\xff\xd8\xff\xe0fakejpeg"]
    (created,) = vk.created_comments()
    assert created.attachments[0]["type"] == "photo"


def test_publish_to_an_unparseable_id_is_a_clear_error(vk, sleeps):
    with pytest.raises(MalformedPayload, match="ВКонтакте"):
        client(vk, sleeps).publish(PublishRequest("vk", "telegram:1", "Ответ", "g"))


def test_publish_with_a_photo_and_a_video_attaches_both_once(vk, sleeps, tmp_path: Path):
    photo, video = tmp_path / "yama.jpg", tmp_path / "remont.mp4"
    photo.write_bytes(b"\xff\xd8\xff\xe0fakejpeg")
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    connector = client(vk, sleeps)
    request = PublishRequest("vk", "wall-100001_1", "Отремонтировали", "g3", attachments=(photo, video))
    first = connector.publish(request)
    again = connector.publish(request)  # a retry after a lost answer: VK's guid keeps it once
    assert first.external_id == again.external_id
    (created,) = vk.created_comments()
    assert [a["type"] for a in created.attachments] == ["photo", "video"]
    assert vk.count_calls("video.save") == 2 and len(vk.videos) == 2
