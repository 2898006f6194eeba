"""A fake feed server on 127.0.0.1 serving RSS 2.0 with ETag / Last-Modified and 304 answers.

Run standalone: ``python -m otklik.sources.feeds.fake --port 8084 --seed demo`` (feed at /rss).
"""

from __future__ import annotations

import hashlib
import time
from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

from otklik.sources.fakeserver import FakeServer, Reply, Request, serve_until_stopped, standalone_parser


class FakeFeed(FakeServer):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.items: list[dict] = []
        self.modified = time.time()

    def add_item(
        self,
        title: str,
        description: str,
        *,
        guid: str | None = None,
        link: str | None = None,
        date: float | None = None,
    ) -> None:
        with self.lock:
            n = len(self.items) + 1
            self.items.append(
                {
                    "title": title,
                    "description": description,
                    "guid": guid if guid is not None else f"urn:fake:{n}",
                    "link": link or f"https://news.example/{n}",
                    "date": date or time.time(),
                }
            )
            self.modified = time.time()

    def document(self) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<rss version="2.0"><channel>',
            "<title>Новости района</title><link>https://news.example/</link>",
            "<description>Тестовая лента</description>",
        ]
        for item in reversed(self.items):
            guid = f"<guid>{escape(item['guid'])}</guid>" if item["guid"] else ""
            parts.append(
                f"<item><title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
                f"<description>{escape(item['description'])}</description>{guid}"
                f"<pubDate>{formatdate(item['date'], usegmt=True)}</pubDate></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode()

    def dispatch(self, request: Request) -> Reply:
        with self.lock:
            self.calls.append((request.path, dict(request.headers)))
        injection = self.take_injection(request.path)
        if injection:
            if injection.kind == "http_500":
                return Reply.text("Internal Server Error", 500)
            if injection.kind == "malformed":
                return Reply(200, b"<html><body>not a feed", "text/html")
            if injection.kind == "sleep":
                time.sleep(float(injection.options.get("seconds", 1.0)))
        if request.path != "/rss":
            return Reply.text("not found", 404)
        with self.lock:
            body = self.document()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = formatdate(self.modified, usegmt=True)
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", "application/rss+xml", {"ETag": etag})
        return Reply(200, body, "application/rss+xml; charset=utf-8", {"ETag": etag, "Last-Modified": modified})


def seed_demo(fake: FakeFeed) -> None:
    fake.add_item("В Газимурском Заводе отремонтируют мост", "Жители жалуются на состояние моста через реку Газимур.")
    fake.add_item("Погода в Забайкалье", "Ожидаются морозы до -40.")
    fake.add_item("Газимурский Завод: нет воды в микрорайоне Северный", "Жители третий день без холодной воды.")


def main(argv: list[str] | None = None) -> None:
    parser = standalone_parser("Fake RSS feed for tests and the demo", 8084)
    args = parser.parse_args(argv)
    fake = FakeFeed(host=args.host, port=args.port)
    if args.seed == "demo":
        seed_demo(fake)
    serve_until_stopped(
        fake,
        lambda: f"Fake feed on {fake.url}/rss",
    )


if __name__ == "__main__":
    main()
