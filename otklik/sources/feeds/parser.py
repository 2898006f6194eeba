"""Pure parsing and filtering of RSS/Atom documents (feedparser) into ``IncomingMessage``.

Filters (per source, lemma-free): ``keywords`` — case-insensitive substrings, any of which must
occur in the title or text; ``patterns`` — regular expressions (case-insensitive), any of which
must match; ``places`` — substrings naming places, one of which must occur. An empty filter
passes everything. External id: the entry id, else its link.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from otklik.domain.messages import Attachment, IncomingMessage
from otklik.sources.errors import MalformedPayload

NETWORK = "feed"
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class FeedFilter:
    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    places: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FeedFilter:
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in config.get("patterns") or ())
        except re.error as exc:
            from otklik.sources.errors import ConfigurationError

            raise ConfigurationError(f"неверное регулярное выражение: {exc}", source=NETWORK) from exc
        return cls(
            keywords=tuple(k.casefold() for k in config.get("keywords") or () if k.strip()),
            patterns=patterns,
            places=tuple(p.casefold() for p in config.get("places") or () if p.strip()),
        )

    def accepts(self, text: str) -> bool:
        folded = text.casefold()
        if self.keywords or self.patterns:
            if not (any(k in folded for k in self.keywords) or any(p.search(text) for p in self.patterns)):
                return False
        if self.places and not any(p in folded for p in self.places):
            return False
        return True


@dataclass
class Parsed:
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    filtered_out: int = 0


def clean_html(value: str) -> str:
    import html

    text = _TAGS.sub(" ", value or "")
    return _SPACES.sub(" ", html.unescape(text)).strip()


def _when(entry: Any) -> datetime | None:  # a feedparser.FeedParserDict
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: feedparser's own get() maps a missing "published" to "updated" with a warning
        parsed = dict.get(entry, key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def parse_entry(entry: Any) -> IncomingMessage:  # a feedparser.FeedParserDict
    ident = entry.get("id") or entry.get("link")
    if not ident:
        raise MalformedPayload("запись ленты без id и ссылки", source=NETWORK)
    title = clean_html(entry.get("title", ""))
    body = ""
    if entry.get("content"):
        body = clean_html(entry["content"][0].get("value", ""))
    if not body:
        body = clean_html(entry.get("summary", ""))
    text = f"{title}\n\n{body}".strip() if body and body != title else title
    attachments = tuple(
        Attachment(
            "photo" if str(e.get("type", "")).startswith("image") else "other",
            str(e.get("href", "")),
        )
        for e in entry.get("enclosures") or ()
        if e.get("href")
    )
    raw = {
        "id": entry.get("id", ""),
        "link": entry.get("link", ""),
        "title": entry.get("title", ""),
        "summary": entry.get("summary", ""),
        "author": entry.get("author", ""),
        "published": dict.get(entry, "published") or dict.get(entry, "updated", ""),
    }
    return IncomingMessage(
        network=NETWORK,
        external_id=str(ident),
        text=text,
        url=str(entry.get("link", "")),
        author_name=clean_html(entry.get("author", "")),
        published_at=_when(entry),
        attachments=attachments,
        raw=raw,
    )


def parse_feed(document: bytes | str, feed_filter: FeedFilter | None = None) -> Parsed:
    parsed = feedparser.parse(document)
    if parsed.get("bozo") and not parsed.get("entries"):
        raise MalformedPayload(f"лента не читается: {parsed.get('bozo_exception')}", source=NETWORK)
    out = Parsed()
    for entry in parsed.entries:
        try:
            message = parse_entry(entry)
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
            continue
        if feed_filter and not feed_filter.accepts(message.text):
            out.filtered_out += 1
            continue
        out.messages.append(message)
    return out
