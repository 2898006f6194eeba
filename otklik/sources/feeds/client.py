"""RSS/Atom feed client: conditional GET (ETag / If-Modified-Since kept in the cursor), parse,
filter. The cursor also keeps the ids seen recently (bounded), so a feed that re-publishes its
whole list returns only new entries.
"""

from __future__ import annotations

from typing import Any

from otklik.domain.messages import IncomingMessage
from otklik.sources.base import CheckReport, HttpApi
from otklik.sources.errors import ConfigurationError, SourceError
from otklik.sources.feeds.parser import FeedFilter, parse_feed

SEEN_LIMIT = 1000


class FeedClient(HttpApi):
    network = "feed"

    def __init__(self, *, url: str, filters: dict | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not url:
            raise ConfigurationError("не задан адрес ленты (url)", source=self.network)
        self.url = url
        self.filter = FeedFilter.from_config(filters or {})
        self.filtered_out = 0

    def _get(self, cursor: dict) -> Any:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml, text/xml"}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        return self.with_retries(
            lambda: self.send("GET", self.url, headers=headers, follow_redirects=True),
            what=f"feed {self.url}",
        )

    def check(self) -> CheckReport:
        response = self._get({})
        if response.status_code >= 400:
            raise ConfigurationError(f"лента {self.url} недоступна: HTTP {response.status_code}", source=self.network)
        parsed = parse_feed(response.content)
        return CheckReport(found=[f"лента {self.url}: записей {len(parsed.messages)}"])

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        self.last_skipped = []
        cursor = dict(cursor or {})
        response = self._get(cursor)
        if response.status_code == 304:
            return [], cursor
        if response.status_code in (401, 403, 404, 410):
            raise ConfigurationError(f"лента {self.url} недоступна: HTTP {response.status_code}", source=self.network)
        if response.status_code >= 400:
            raise SourceError(f"HTTP {response.status_code}", source=self.network)
        parsed = parse_feed(response.content, self.filter)  # MalformedPayload if unreadable
        self.last_skipped.extend(parsed.skipped)
        self.filtered_out = parsed.filtered_out
        seen = list(cursor.get("seen") or [])
        seen_set = set(seen)
        new = [m for m in parsed.messages if m.external_id not in seen_set]
        seen.extend(m.external_id for m in new)
        cursor["seen"] = seen[-SEEN_LIMIT:]
        if response.headers.get("ETag"):
            cursor["etag"] = response.headers["ETag"]
        if response.headers.get("Last-Modified"):
            cursor["modified"] = response.headers["Last-Modified"]
        return new, cursor
