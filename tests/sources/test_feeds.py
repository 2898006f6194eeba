from datetime import UTC, datetime

import pytest

from otklik.sources.errors import ConfigurationError, MalformedPayload, TransientSourceError
from otklik.sources.feeds.fake import FakeFeed, seed_demo
from otklik.sources.feeds.parser import FeedFilter, parse_feed
from otklik.sources.registry import get_connector
from tests.sources.conftest import FIXTURES

ATOM = (FIXTURES / "feed_atom.xml").read_bytes()


def test_atom_entries_become_messages_and_entries_without_id_are_reported():
    parsed = parse_feed(ATOM)
    roads, _pie = parsed.messages
    assert roads.external_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert roads.text == "Газимурский Завод: дороги после паводка\n\nДорогу на Ямкун размыло."
    assert roads.author_name == "Иван Петров"
    assert roads.published_at == datetime(2024, 11, 28, 10, 0, tzinfo=UTC)
    assert len(parsed.skipped) == 1


def test_keyword_filter_is_case_insensitive_substring():
    parsed = parse_feed(ATOM, FeedFilter.from_config({"keywords": ["ГАЗИМУР"]}))
    assert [m.url for m in parsed.messages] == ["https://blog.example/roads"]
    assert parsed.filtered_out == 1


def test_regex_and_place_filters():
    both = FeedFilter.from_config({"patterns": [r"дорог\w*"], "places": ["ямкун"]})
    assert [m.url for m in parse_feed(ATOM, both).messages] == ["https://blog.example/roads"]
    nowhere = FeedFilter.from_config({"places": ["Нерчинск"]})
    assert parse_feed(ATOM, nowhere).messages == []


def test_bad_regex_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        FeedFilter.from_config({"patterns": ["(unclosed"]})


def test_not_a_feed_is_malformed():
    with pytest.raises(MalformedPayload):
        parse_feed(b"\x00\x01 not xml at all <")


@pytest.fixture
def feed():
    with FakeFeed() as fake:
        seed_demo(fake)
        yield fake


def test_conditional_get_and_only_new_entries(feed, sleeps):
    connector = get_connector("feed", {"url": feed.url + "/rss", "keywords": ["газимур"]}, sleep=sleeps)
    connector.check()
    messages, cursor = connector.fetch({})
    assert len(messages) == 2 and cursor["etag"]
    assert connector.fetch(cursor) == ([], cursor)  # 304 Not Modified
    assert feed.calls[-1][1].get("if-none-match") == cursor["etag"]
    feed.add_item("Газимурский Завод: открыли каток", "Новость")
    (new,), cursor2 = connector.fetch(cursor)
    assert new.text.startswith("Газимурский Завод: открыли каток")
    feed.add_item("Другое", "не про район")
    assert connector.fetch(cursor2)[0] == []


def test_feed_server_errors_are_retried(feed, sleeps):
    feed.inject("/rss", "http_500", times=10)
    connector = get_connector("feed", {"url": feed.url + "/rss", "max_attempts": 2}, sleep=sleeps)
    with pytest.raises(TransientSourceError):
        connector.fetch({})
    assert len(sleeps) == 1


def test_missing_feed_is_a_configuration_error(feed, sleeps):
    connector = get_connector("feed", {"url": feed.url + "/nope"}, sleep=sleeps)
    with pytest.raises(ConfigurationError, match="404"):
        connector.fetch({})
