"""Link-only manual publication and connector errors in words (issue 13 §8), and the word diff."""

from __future__ import annotations

import pytest

from otklik.domain.publishing import LinkError, explain_error, external_id_from_url
from otklik.domain.textdiff import changed, word_diff


@pytest.mark.parametrize(
    ("network", "url", "expected"),
    [
        ("vk", "https://vk.com/wall-100001_15", "wall-100001_15"),
        ("vk", "https://vk.com/wall-100001_15?reply=77", "wall-100001_15_c77"),
        ("vk", "https://vk.com/club100001?w=wall-100001_15_r77", "wall-100001_15_c77"),
        ("vk", "https://m.vk.com/wall-100001_15", "wall-100001_15"),
        ("telegram", "https://t.me/gazzavod/120", "@gazzavod:120"),
        ("telegram", "https://t.me/gazzavod/120?comment=5", "@gazzavod:5"),
        ("telegram", "https://t.me/c/1234567/89", "-1001234567:89"),
        ("ok", "https://ok.ru/group/70000000000001/topic/155", "topic:155"),
        ("ok", "https://ok.ru/group/70000000000001/topic/155?commentId=9", "topic:155:c9"),
        ("max", "https://max.ru/gazzavod/AZxyz", "gazzavod:AZxyz"),
        ("forum", "https://forum.example.ru/t/1", ""),
    ],
)
def test_the_id_comes_from_the_link(network: str, url: str, expected: str) -> None:
    assert external_id_from_url(network, url) == expected


@pytest.mark.parametrize(
    ("network", "url", "words"),
    [
        ("vk", "https://ok.ru/group/1/topic/2", "ту же сеть"),
        ("vk", "https://vk.com/id12345", "нет записи"),
        ("telegram", "https://t.me/gazzavod", "нет сообщения"),
        ("ok", "https://ok.ru/group/1", "нет темы"),
    ],
)
def test_a_wrong_link_is_refused_in_words(network: str, url: str, words: str) -> None:
    with pytest.raises(LinkError, match=words):
        external_id_from_url(network, url)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("[Errno 111] Connection refused", "недоступен"),
        ("Не удалось убедиться, что ответ размещён (ConnectError: [Errno 111] Connection refused).", "недоступен"),
        ("HTTP 401 Unauthorized", "ключ доступа"),
        ("VK error 5: User authorization failed: invalid access_token", "ключ доступа"),
        ("429 Too Many Requests: retry after 30", "частоту запросов"),
        ("Flood control exceeded", "частоту запросов"),
        ("Bad Request: message to reply not found", "не найдено"),
        ("ReadTimeout: timed out", "не ответила вовремя"),
        ("502 Bad Gateway", "временно не работает"),
        ("Forbidden: bot is not a member of the channel chat", "нет права"),
    ],
)
def test_connector_errors_are_said_in_russian(raw: str, words: str) -> None:
    assert words in explain_error(raw)


def test_our_own_russian_reasons_are_kept_and_unknown_ones_are_not_shown_raw() -> None:
    ours = "Нет исходного сообщения из сети, на которое можно ответить."
    assert explain_error(ours) == ours
    assert "технической причине" in explain_error("KeyError: 'response'")
    assert explain_error("") == ""


def test_word_diff_marks_what_changed() -> None:
    pieces = word_diff("заменим до пятнцы.", "заменим до пятницы.\r\n")
    assert [(p.op, p.text) for p in pieces if p.op != "same"] == [("removed", "пятнцы."), ("added", "пятницы.\n")]
    assert not changed(word_diff("a b\r\nc", "a b\nc"))
