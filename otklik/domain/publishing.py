"""What a person needs when an answer is published by hand or the connector fails (П.14).

Pure functions, no Django:

* ``external_id_from_url`` derives the network's id of the published answer from its link, in the
  connectors' own formats (``sources/*/parser.py``), so that the executor gives only the link;
* ``explain_error`` turns a connector's error (``[Errno 111] Connection refused``, an HTTP 401, a
  rate limit...) into a Russian sentence that says what happened and what to do.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_VK_WALL = re.compile(r"wall(-?\d+)_(\d+)(?:_r?(\d+))?")
_TG_PRIVATE = re.compile(r"^/c/(\d+)/(\d+)(?:/(\d+))?/?$")
_TG_PUBLIC = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{3,})/(\d+)/?$")
_OK_TOPIC = re.compile(r"/topic/(\d+)")

NETWORK_HOSTS: dict[str, tuple[str, ...]] = {
    "vk": ("vk.com", "m.vk.com", "vk.ru", "m.vk.ru"),
    "telegram": ("t.me", "telegram.me"),
    "ok": ("ok.ru", "m.ok.ru"),
    "max": ("max.ru", "web.max.ru"),
}


def _first(query: dict[str, list[str]], *names: str) -> str:
    for name in names:
        if query.get(name):
            return query[name][0]
    return ""


class LinkError(ValueError):
    """The link is not one of the network's: the message is for the person."""


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def external_id_from_url(network: str, url: str) -> str:
    """The published answer's id in ``network`` from its link; ``""`` where the network has none.

    Raises ``LinkError`` when the link is not a link to the network (the answer is published in
    the same network, П.14) or does not point to a post or comment.
    """
    url = url.strip()
    hosts = NETWORK_HOSTS.get(network)
    if hosts is None:
        return ""  # blogs, forums, feeds...: the link is all there is
    if _host(url) not in hosts:
        raise LinkError(f"Ссылка должна вести в ту же сеть, где размещён ответ (п. 14): {', '.join(hosts[:1])}.")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if network == "vk":
        match = _VK_WALL.search(parts.path) or _VK_WALL.search(" ".join(query.get("w", [])))
        if not match:
            raise LinkError("В ссылке ВКонтакте нет записи: нужна ссылка вида https://vk.com/wall-123_456.")
        owner, post, comment = match.group(1), match.group(2), match.group(3) or _first(query, "reply")
        return f"wall{owner}_{post}_c{comment}" if comment else f"wall{owner}_{post}"
    if network == "telegram":
        private = _TG_PRIVATE.match(parts.path)
        if private:
            return f"-100{private.group(1)}:{private.group(3) or private.group(2)}"
        public = _TG_PUBLIC.match(parts.path)
        if public:
            comment = _first(query, "comment")
            return f"@{public.group(1)}:{comment or public.group(2)}"
        raise LinkError("В ссылке Telegram нет сообщения: нужна ссылка вида https://t.me/канал/123.")
    if network == "ok":
        topic = _OK_TOPIC.search(parts.path)
        if not topic:
            raise LinkError("В ссылке Одноклассников нет темы: нужна ссылка вида https://ok.ru/group/…/topic/123.")
        comment = _first(query, "commentId", "comment")
        return f"topic:{topic.group(1)}:c{comment}" if comment else f"topic:{topic.group(1)}"
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        raise LinkError("В ссылке MAX нет сообщения: нужна ссылка вида https://max.ru/канал/идентификатор.")
    return f"{segments[-2]}:{segments[-1]}"


#: (pattern in the connector's error, the sentence shown). The first that matches wins.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), words)
    for p, words in (
        (
            r"errno 111|connection refused|connecterror|name or service not known|errno -[23]|nodename nor servname",
            "Сервер сети недоступен: не удалось соединиться (нет связи с интернетом или адрес сервера неверен). "
            "Проверьте подключение; ответ можно разместить вручную.",
        ),
        (
            r"timed? ?out|timeout",
            "Сеть не ответила вовремя. Проверьте на странице сети, появился ли ответ, и при необходимости "
            "разместите его вручную.",
        ),
        (
            r"\b401\b|unauthori[sz]ed|invalid (access )?token|user authorization failed|error_code.?5\b",
            "Сеть отклонила ключ доступа (токен недействителен или отозван). Администратору нужно обновить "
            "ключ источника; ответ разместите вручную.",
        ),
        (
            r"\b403\b|forbidden|access denied|permission|not enough rights|chat_write_forbidden",
            "У официального аккаунта нет права отвечать здесь (комментарии закрыты или аккаунт не администратор "
            "сообщества). Разместите ответ вручную.",
        ),
        (
            r"\b429\b|rate.?limit|too many requests|flood|error_code.?(6|9)\b",
            "Сеть временно ограничила частоту запросов. Система повторит попытку сама; если срок близок — "
            "разместите ответ вручную.",
        ),
        (
            r"\b404\b|not found|deleted|message to reply not found|post was deleted",
            "Сообщение, на которое нужно ответить, не найдено: вероятно, его удалили. Проверьте страницу в сети.",
        ),
        (
            r"\b5\d\d\b|internal server error|bad gateway|service unavailable",
            "Сервер сети временно не работает. Система повторит попытку; при необходимости разместите ответ вручную.",
        ),
        (
            r"no such file|filenotfound|too large|file size",
            "Сеть не приняла вложение (файл не найден или слишком велик). Разместите ответ и фото вручную.",
        ),
    )
)


def explain_error(raw: str) -> str:
    """A Russian sentence for a connector's error; our own Russian reasons are kept as they are."""
    text = (raw or "").strip()
    if not text:
        return ""
    for pattern, words in _ERRORS:
        if pattern.search(text):
            return words
    if re.search(r"[А-Яа-яЁё]", text):
        return text  # already a sentence of ours (publishing.py, connectors' Russian errors)
    return "Сеть не приняла ответ по технической причине. Разместите ответ вручную; подробности — у администратора."
