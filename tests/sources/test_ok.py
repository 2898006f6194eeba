"""Одноклассники: signature, parsers on documented payloads, client against the fake OK API
(which verifies signatures as OK does)."""

import hashlib
import time
from datetime import UTC, datetime

import pytest

from otklik.domain.messages import PublishRequest
from otklik.sources.errors import CannotPublish, ConfigurationError, RateLimited
from otklik.sources.ok import parser
from otklik.sources.ok.client import signature
from otklik.sources.ok.fake import FakeOk, seed_demo
from otklik.sources.registry import get_connector
from tests.sources.conftest import load

CONFIG = {
    "application_key": "CBAKEY",
    "application_secret_key": "SECRET",
    "access_token": "tkn",
    "group_ids": ["53000000000001"],
}


def test_signature_follows_the_documented_scheme():
    params = {"application_key": "ABC", "format": "json", "method": "events.get", "access_token": "tok"}
    secret = hashlib.md5(b"tok" + b"APPSECRET").hexdigest()
    expected = hashlib.md5(("application_key=ABCformat=jsonmethod=events.get" + secret).encode()).hexdigest()
    assert signature(params, access_token="tok", application_secret_key="APPSECRET") == expected


def test_comments_parse_with_moscow_dates_and_reply_links():
    parsed = parser.parse_comments(load("ok_discussions_getComments.json"), topic_id="155", group_id="53")
    first, second = parsed.messages
    assert first.external_id == "topic:155:cMTczMjc4NTAwMDAwMDoxMjM0NQ"
    assert first.published_at == datetime(2024, 11, 28, 9, 30, tzinfo=UTC)
    assert first.reply_to == "topic:155"
    assert second.reply_to == "topic:155:cMTczMjc4NTAwMDAwMDoxMjM0NQ"
    assert first.author_url == "https://ok.ru/profile/910000000001"
    assert first.url == "https://ok.ru/group/53/topic/155"


def test_topics_parse_text_and_author():
    (topic,) = parser.parse_topics(load("ok_mediatopic_getByIds.json"), group_id="53").messages
    assert topic.text == "Мост через Газимур в плохом состоянии."
    assert topic.author_name == "Галина Рудакова"
    assert topic.external_id == "topic:155123456789012"


@pytest.fixture
def ok():
    with FakeOk() as fake:
        seed_demo(fake)
        yield fake


def client(fake, sleeps, **config):
    return get_connector("ok", {**CONFIG, **config}, base_url=fake.url, sleep=sleeps)


def test_fetch_collects_comments_and_then_only_new_ones(ok, sleeps):
    connector = client(ok, sleeps)
    connector.check()
    messages, cursor = connector.fetch({})
    assert [m.author_name for m in messages] == ["Людмила Шестакова", "Виктор Кочнев"]
    assert connector.fetch(cursor)[0] == []
    tid = next(iter(ok.topics))
    ok.add_comment(tid, "Свет так и не починили", author="910000000001")
    (new,), _ = connector.fetch(cursor)
    assert new.text == "Свет так и не починили"


def test_citizens_topics_are_collected(ok, sleeps):
    ok.add_topic("53000000000001", "Когда откроют ФАП?", author="910000000002")
    messages, _ = client(ok, sleeps).fetch({})
    assert "Когда откроют ФАП?" in [m.text for m in messages]


def test_wrong_secret_gives_a_signature_configuration_error(ok, sleeps):
    with pytest.raises(ConfigurationError, match="104"):
        client(ok, sleeps, application_secret_key="WRONG").check()


def test_expired_token_is_a_configuration_error(ok, sleeps):
    ok.inject("group.getInfo", "bad_token")
    with pytest.raises(ConfigurationError):
        client(ok, sleeps).check()


def test_flood_is_retried(ok, sleeps):
    ok.inject("discussions.getComments", "rate_limit", times=2)
    messages, _ = client(ok, sleeps).fetch({})
    assert len(messages) == 2 and len(sleeps) == 2


def test_flood_that_persists_raises(ok, sleeps):
    ok.inject("group.getStatTopics", "rate_limit", times=9)
    with pytest.raises(RateLimited):
        client(ok, sleeps).fetch({})


def test_malformed_comment_skipped_others_kept(ok, sleeps):
    ok.inject(
        "discussions.getComments",
        "raw",
        body={
            "comments": [
                {"id": "A1", "author_id": "1", "text": "Хорошо", "date": "2024-11-28 12:00:00"},
                {"author_id": "2", "text": "без id"},
            ],
            "has_more": False,
        },
    )
    connector = client(ok, sleeps)
    messages, _ = connector.fetch({})
    assert [m.text for m in messages] == ["Хорошо"] and len(connector.last_skipped) == 1


def test_publish_asks_for_manual_publication_by_default(ok, sleeps):
    with pytest.raises(CannotPublish, match="вручную"):
        client(ok, sleeps).publish(PublishRequest("ok", "topic:1:cX", "Ответ", "g"))


def test_publish_through_the_api_when_enabled_and_permitted(sleeps):
    with FakeOk(allow_admin_comments=True) as fake:
        seed_demo(fake)
        connector = client(fake, sleeps, publish_via_api=True)
        messages, _ = connector.fetch({})
        result = connector.publish(PublishRequest("ok", messages[0].external_id, "Ответ", "g"))
        assert result.external_id.startswith("topic:")


def test_publish_denied_by_ok_becomes_cannot_publish(ok, sleeps):
    messages, _ = client(ok, sleeps).fetch({})
    with pytest.raises(CannotPublish, match="PERMISSION_DENIED"):
        client(ok, sleeps, publish_via_api=True).publish(PublishRequest("ok", messages[0].external_id, "Ответ", "g"))


def test_group_bot_token_is_checked(ok, sleeps):
    report = client(ok, sleeps, bot_token="bot-tkn").check()
    assert "токен бота группы «Газимурский Завод — наш район» (id 53000000000001)" in report.found
    assert not [w for w in report.warnings if "другой группе" in w]
    with pytest.raises(ConfigurationError, match="бота"):
        client(ok, sleeps, bot_token="nope").check()


# --- checked against apiok.ru (issue 11 §5a) ---------------------------------------------------


def test_topic_statistics_ask_for_the_comment_count_and_the_window(ok, sleeps):
    """group.getStatTopics returns only the statistics named in ``fields``: without COMMENTS no
    count comes back and no comment would ever be read."""
    client(ok, sleeps).fetch({})
    ((_, params),) = [c for c in ok.calls if c[0] == "group.getStatTopics"]
    assert "COMMENTS" in params["fields"].split(",")
    assert int(params["start_time"]) > 0


def test_several_new_topics_are_asked_with_a_media_limit(ok, sleeps):
    ok.add_topic("53000000000001", "Когда откроют ФАП?", author="910000000002")
    ok.add_topic("53000000000001", "Нет воды на Лесной", author="910000000001")
    messages, _ = client(ok, sleeps).fetch({})
    assert {"Когда откроют ФАП?", "Нет воды на Лесной"} <= {m.text for m in messages}
    (params,) = [p for method, p in ok.calls if method == "mediatopic.getByIds"]
    assert params["media_limit"] == "3"


def test_comments_are_read_from_the_first_with_the_documented_anchor(ok, sleeps):
    client(ok, sleeps).fetch({})
    (params,) = [p for method, p in ok.calls if method == "discussions.getComments"]
    assert params["anchor"] == "FIRST" and params["direction"] == "FORWARD"


def test_session_secret_key_signs_instead_of_the_derived_one():
    params = {"application_key": "ABC", "format": "json", "method": "events.get"}
    expected = hashlib.md5(b"application_key=ABCformat=jsonmethod=events.getSESSIONSECRET").hexdigest()
    assert signature(params, access_token="t", application_secret_key="x", session_secret_key="SESSIONSECRET") == (
        expected
    )


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def timed(fake, sleeps, clock, **config):
    connector = client(fake, sleeps, **config)
    connector.clock = clock
    return connector


def test_an_edited_comment_comes_back_as_an_edit_of_the_same_message(ok, sleeps):
    clock = Clock()
    messages, cursor = timed(ok, sleeps, clock).fetch({})
    tid = next(iter(ok.topics))
    first = messages[0]
    ok.edit_comment(tid, first.raw["id"], "На остановке у почты нет освещения уже месяц")
    assert timed(ok, sleeps, clock).fetch(cursor)[0] == []  # the count did not change: not re-read yet
    clock.now += 61 * 60
    (edit,), cursor = timed(ok, sleeps, clock).fetch(cursor)
    assert (edit.change, edit.external_id, edit.text) == (
        "edited",
        first.external_id,
        "На остановке у почты нет освещения уже месяц",
    )
    clock.now += 61 * 60
    assert timed(ok, sleeps, clock).fetch(cursor)[0] == []  # the same text again is nothing new


def test_a_deleted_comment_becomes_a_deletion_and_a_restored_one_a_restoration(ok, sleeps):
    clock = Clock()
    messages, cursor = timed(ok, sleeps, clock).fetch({})
    tid = next(iter(ok.topics))
    gone = messages[1]
    ok.delete_comment(tid, gone.raw["id"])
    (deletion,), cursor = timed(ok, sleeps, clock).fetch(cursor)  # the count changed: read now
    assert (deletion.change, deletion.external_id) == ("deleted", gone.external_id)
    ok.restore_comment(tid, gone.raw["id"])
    (back,), cursor = timed(ok, sleeps, clock).fetch(cursor)
    assert (back.change, back.external_id, back.text) == ("restored", gone.external_id, gone.text)


def test_a_comment_deleted_and_another_added_between_polls(ok, sleeps):
    """The count stays the same: the periodic re-read still finds both changes."""
    clock = Clock()
    messages, cursor = timed(ok, sleeps, clock).fetch({})
    tid = next(iter(ok.topics))
    ok.delete_comment(tid, messages[0].raw["id"])
    ok.add_comment(tid, "Когда заменят доски на мосту?", author="910000000001")
    clock.now += 61 * 60
    changes, _ = timed(ok, sleeps, clock).fetch(cursor)
    assert {(m.change, m.text) for m in changes} == {("deleted", ""), ("", "Когда заменят доски на мосту?")}


def test_a_partial_read_of_a_long_discussion_resumes_and_infers_no_deletion(ok, sleeps):
    clock = Clock()
    tid = next(iter(ok.topics))
    for n in range(250):
        ok.add_comment(tid, f"Комментарий {n}", author="910000000002")
    connector = timed(ok, sleeps, clock)
    connector.max_pages = 1
    first, cursor = connector.fetch({})
    assert len(first) == 100 and not [m for m in first if m.change]
    second, cursor = connector.fetch(cursor)  # goes on from where it stopped, nothing deleted
    third, cursor = connector.fetch(cursor)
    assert len(first) + len(second) + len(third) == 252
    assert not [m for m in second + third if m.change]
    assert "resume" not in cursor["groups"]["53000000000001"]["topics"][tid]


def test_a_cursor_from_before_per_comment_state_is_taken_over(ok, sleeps):
    tid = next(iter(ok.topics))
    old = {"groups": {"53000000000001": {"topics": {tid: {"anchor": "MTcX", "comments": 2}}}}}
    messages, cursor = client(ok, sleeps).fetch(old)
    assert len(messages) == 2 and not [m for m in messages if m.change]  # ingestion drops the repeats
    assert set(cursor["groups"]["53000000000001"]["topics"][tid]) == {"n", "t", "ids", "gone"}


def test_comments_carry_their_topic_as_context(ok, sleeps):
    messages, _ = client(ok, sleeps).fetch({})
    parent = messages[0].context["parent"]
    assert parent["text"] == "Жители, делитесь проблемами посёлка."
    assert parent["url"].startswith("https://ok.ru/group/53000000000001/topic/")
    assert parent["external_id"] == messages[0].reply_to


def test_a_comment_the_parser_skips_on_a_re_read_is_not_taken_for_a_deletion(ok, sleeps):
    clock = Clock()
    _messages, cursor = timed(ok, sleeps, clock).fetch({})
    tid = next(iter(ok.topics))
    ok.topics[tid]["comments"][0]["text"] = {"not": "a string"}  # unreadable now, but still there
    clock.now += 61 * 60
    changes, _ = timed(ok, sleeps, clock).fetch(cursor)
    assert not [m for m in changes if m.change == "deleted"]
