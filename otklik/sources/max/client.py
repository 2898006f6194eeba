"""MAX Bot API client (dev.max.ru): updates by long polling, channel comments, replies.

Wire format: ``https://platform-api2.max.ru`` (configurable: ``OTKLIK_MAX_API_URL`` or the source's
address), JSON bodies, the token in the ``Authorization: <token>`` header — never in the query
string (MAX no longer accepts it there). Errors: HTTP 4xx/5xx with ``{"code", "message"}``.

- updates: ``GET /updates?marker&limit&timeout&types`` -> ``{"updates": [...], "marker"}``; a
  marker passed confirms every earlier update. One queue per bot: the poller runs one fetch per
  token and routes messages to the sources by chat (``chat_of``), then saves the marker;
- channels: ``GET /messages?chat_id=…&count`` lists a channel's posts (newest first) and
  ``GET /messages/{mid}/comments`` the comments under one; ``fetch_channels`` reads the posts of
  the last ``window_days`` and re-reads each post's comments every ``recheck_minutes``, at most
  ``comments_per_poll`` posts per poll, the longest unread first;
- answers: ``POST /messages?chat_id=…`` with ``link: {"type": "reply", "mid"}``, or under a channel
  post ``POST /messages/{mid}/comments``; photos and videos are uploaded first
  (``POST /uploads?type=image|video`` -> upload URL -> ``token``) and attached as
  ``{"type": "image"|"video", "payload": {"token"}}`` (``attachment.not.ready`` is waited out).
  At most 2 messages a second go into one chat; sends are never repeated after a timeout (MAX has
  no idempotency key), only after a refusal (429);
- ``check``: ``GET /me`` (the bot), ``GET /chats/{id}`` and ``GET /chats/{id}/members/me``
  (``is_admin``, ``permissions``: the bot needs ``read_all_messages`` and ``write``), and
  ``GET /subscriptions`` (a webhook next to polling).

An HTTP answer that is not the API's own (an HTML page, a JSON body of another shape) means the
address is wrong: a ``ConfigurationError`` naming it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult
from otklik.domain.networks import media_kind
from otklik.sources.base import CheckReport, HttpApi
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    MalformedPayload,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from otklik.sources.max import parser
from otklik.sources.payload import as_mapping

SEND_PER_SECOND = 2  # into one chat (dev.max.ru)
_sent: dict[int, deque[float]] = defaultdict(deque)
_sent_lock = threading.Lock()


class MaxClient(HttpApi):
    network = "max"
    default_base_url = "https://platform-api2.max.ru"

    def __init__(
        self,
        *,
        token: str,
        chat_ids: list[int] | None = None,
        channel_ids: list[int] | None = None,
        poll_timeout: int = 0,
        limit: int = 100,
        window_days: int = 7,
        recheck_minutes: int = 30,
        comments_per_poll: int = 20,
        now: Any = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("timeout", max(15.0, poll_timeout + 10.0))
        super().__init__(**kwargs)
        if not token:
            raise ConfigurationError("не задан токен бота (token)", source=self.network)
        self.token = token
        self.chat_ids = {int(c) for c in chat_ids or []}
        self.channel_ids = {int(c) for c in channel_ids or []}
        self.poll_timeout = max(0, min(90, int(poll_timeout)))
        self.limit = max(1, min(1000, int(limit)))
        self.window_days = max(1, int(window_days))
        self.recheck_seconds = max(60, int(recheck_minutes) * 60)
        self.comments_per_poll = max(1, int(comments_per_poll))
        self.clock = now or time.time
        self.monotonic = time.monotonic

    # --- protocol -----------------------------------------------------------------------------

    def call(self, verb: str, path: str, *, publishing: bool = False, **kwargs: Any) -> Any:
        return self.with_retries(
            lambda: self._call_once(verb, path, publishing, **kwargs),
            what=f"max {verb} {path}",
            retry_transient=not publishing,
        )

    def _call_once(self, verb: str, path: str, publishing: bool, **kwargs: Any) -> Any:
        headers = {"Authorization": self.token}
        response = self.send(verb, f"{self.base_url}{path}", headers=headers, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        own = isinstance(body, Mapping) and ("code" in body or "message" in body or response.status_code < 400)
        if response.status_code == 429:
            raise RateLimited(f"{path}: слишком много запросов", source=self.network, code=429)
        if response.status_code >= 400:
            if not own:
                raise ConfigurationError(
                    f"адрес API «{self.base_url}» ответил на {path} не как API MAX (HTTP {response.status_code}): "
                    "проверьте адрес API",
                    source=self.network,
                    code=response.status_code,
                )
            raise self._error(path, as_mapping(body), response.status_code, publishing)
        if body is None or not isinstance(body, Mapping | list):
            raise ConfigurationError(
                f"адрес API «{self.base_url}» ответил на {path} не JSON: проверьте адрес API", source=self.network
            )
        return body

    def _error(self, path: str, body: Mapping[str, Any], status: int, publishing: bool) -> SourceError:
        code = str(body.get("code") or status)
        text = f"{path}: {status} {code} «{body.get('message', '')}»"
        if status == 401:
            return ConfigurationError(f"токен бота недействителен ({text})", source=self.network, code=status)
        if code == "attachment.not.ready":
            return RateLimited(text, retry_after=1.0, source=self.network, code=code)
        if publishing:
            if status == 403:
                reason = "бот не может писать в этот чат (нет права «write» или бот удалён из чата)"
            elif status == 404:
                reason = "сообщение, на которое нужно ответить, удалено или не найдено"
            else:
                reason = str(body.get("message") or code)
            return CannotPublish(f"MAX не принял ответ: {reason}", source=self.network, code=status)
        if status in (403, 404):
            return ConfigurationError(f"нет доступа: {text}", source=self.network, code=status)
        return SourceError(text, source=self.network, code=status)

    # --- check --------------------------------------------------------------------------------

    def check(self) -> CheckReport:
        me = as_mapping(self.call("GET", "/me"))
        if not me.get("user_id"):
            raise ConfigurationError("GET /me: токен не принадлежит боту", source=self.network)
        name = me.get("username") or me.get("name") or me.get("first_name") or me["user_id"]
        report = CheckReport(found=[f"бот @{name} (id {me['user_id']})"])
        for chat_id in sorted(self.chat_ids | self.channel_ids):
            chat = as_mapping(self.call("GET", f"/chats/{chat_id}"))
            member = as_mapping(self.call("GET", f"/chats/{chat_id}/members/me"))
            title = chat.get("title") or chat_id
            rights = set(member.get("permissions") or [])
            admin = bool(member.get("is_admin"))
            report.found.append(
                f"{'канал' if chat.get('type') == 'channel' else 'чат'} «{title}» ({chat_id}): "
                + ("бот — администратор" if admin else "бот — участник")
                + (f", права: {', '.join(sorted(rights))}" if rights else "")
            )
            if "read_all_messages" not in rights:
                report.warnings.append(
                    f"в «{title}» у бота нет права «Читать все сообщения» (read_all_messages): "
                    "сделайте его администратором с этим правом"
                )
            if "write" not in rights:
                report.warnings.append(
                    f"в «{title}» у бота нет права писать (write): ответы придётся размещать вручную"
                )
        if not self.chat_ids and not self.channel_ids:
            raise ConfigurationError(
                "нечего читать: не заданы чаты (chat_ids) и каналы (channel_ids)", source=self.network
            )
        subscriptions = as_mapping(self.call("GET", "/subscriptions")).get("subscriptions") or []
        if subscriptions:
            urls = ", ".join(str(as_mapping(s).get("url")) for s in subscriptions)
            report.warnings.append(f"у бота есть подписка webhook ({urls}): при ней GET /updates ничего не получает")
        return report

    # --- updates ------------------------------------------------------------------------------

    def chat_of(self, message: IncomingMessage) -> int:
        return parser.parse_external_id(message.external_id).chat_id

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        self.last_skipped = []
        marker = (cursor or {}).get("marker")
        response = as_mapping(
            self.call(
                "GET",
                "/updates",
                params={
                    k: v
                    for k, v in {
                        "marker": marker,
                        "limit": self.limit,
                        "timeout": self.poll_timeout,
                        "types": ",".join(parser.UPDATE_TYPES),
                    }.items()
                    if v is not None
                },
            )
        )
        updates = response.get("updates")
        if not isinstance(updates, list):
            raise MalformedPayload("GET /updates: нет списка 'updates'", source=self.network)
        self.has_more = len(updates) >= self.limit
        messages: list[IncomingMessage] = []
        for update in updates:
            try:
                message = parser.parse_update(update)
            except MalformedPayload as exc:
                self.skip(str(exc))
                continue
            if message is None or (self.chat_ids and self.chat_of(message) not in self.chat_ids):
                continue
            messages.append(message)
        new_marker = response.get("marker", marker)
        return messages, {**(cursor or {}), "marker": new_marker}

    # --- channel comments ---------------------------------------------------------------------

    def fetch_channels(self, channel_ids: list[int], state: dict) -> tuple[list[IncomingMessage], dict]:
        """Comments under the recent posts of each channel; ``state`` is ``{post mid: last read}``."""
        state = json.loads(json.dumps(state or {}))
        now = float(self.clock())
        out: list[IncomingMessage] = []
        due: list[tuple[float, IncomingMessage]] = []
        watched: dict[str, float] = {}
        for channel in channel_ids:
            response = as_mapping(self.call("GET", "/messages", params={"chat_id": channel, "count": 100}))
            for item in response.get("messages") or []:
                item = as_mapping(item)
                when = int(item.get("timestamp") or 0) / 1000
                if when < now - self.window_days * 86400:
                    continue
                body = as_mapping(item.get("body"))
                post = parser.IncomingMessage(
                    network=parser.NETWORK,
                    external_id=parser.external_id(channel, str(body.get("mid") or "")),
                    text=str(body.get("text") or ""),
                    url=str(item.get("url") or ""),
                    author_name=str(as_mapping(item.get("sender")).get("name") or ""),
                )
                last = float(state.get(post.external_id, 0))
                watched[post.external_id] = last
                if now - last >= self.recheck_seconds:
                    due.append((last, post))
        for _last, post in sorted(due, key=lambda d: d[0])[: self.comments_per_poll]:
            out.extend(self._comments(post))
            watched[post.external_id] = now
        return out, watched

    def _comments(self, post: IncomingMessage) -> list[IncomingMessage]:
        ref = parser.parse_external_id(post.external_id)
        response = as_mapping(self.call("GET", f"/messages/{ref.mid}/comments", params={"count": 100}))
        out: list[IncomingMessage] = []
        for item in response.get("messages") or []:
            try:
                message = parser.parse_message(as_mapping(item), chat_id=ref.chat_id, post=post)
            except MalformedPayload as exc:
                self.skip(str(exc))
                continue
            if message is not None:
                out.append(message)
        return out

    # --- publish ------------------------------------------------------------------------------

    def _throttle(self, chat_id: int) -> None:
        """At most ``SEND_PER_SECOND`` messages a second into one chat (shared by all clients)."""
        while True:
            with _sent_lock:
                sent = _sent[chat_id]
                now = self.monotonic()
                while sent and now - sent[0] >= 1.0:
                    sent.popleft()
                if len(sent) < SEND_PER_SECOND:
                    sent.append(now)
                    return
                wait = 1.0 - (now - sent[0])
            self.sleep(max(wait, 0.05))

    def _upload(self, path: Path) -> dict[str, Any]:
        kind = "video" if media_kind(path.name) == "video" else "image"
        slot = as_mapping(self.call("POST", "/uploads", publishing=True, params={"type": kind}))
        url = slot.get("url")
        if not url:
            raise MalformedPayload("POST /uploads: нет url", source=self.network)
        content = path.read_bytes()
        response = self.with_retries(
            lambda: self.send(
                "POST", str(url), headers={"Authorization": self.token}, files={"data": (path.name, content)}
            ),
            what="max upload",
            retry_transient=False,
        )
        try:
            uploaded = as_mapping(response.json())
        except ValueError as exc:
            raise TransientSourceError("загрузка файла в MAX: ответ не JSON", source=self.network) from exc
        token = slot.get("token") or uploaded.get("token")
        photos = as_mapping(uploaded.get("photos"))
        if not token and photos:
            token = as_mapping(next(iter(photos.values()))).get("token")
        if not token:
            raise CannotPublish("MAX не принял файл", source=self.network)
        return {"type": kind, "payload": {"token": token}}

    def publish(self, req: PublishRequest) -> PublishResult:
        ref = parser.parse_external_id(req.reply_to_external_id)
        if not req.text.strip() and not req.attachments:
            raise CannotPublish("пустой ответ", source=self.network)
        if ref.comment_mid is not None or ref.chat_id in self.channel_ids:
            # A comment under a channel post: a reply to the citizen's comment when there is one.
            if req.attachments:
                raise CannotPublish(
                    "MAX не принимает файлы в комментариях к постам канала: разместите ответ с фото или видео вручную",
                    source=self.network,
                )
            self._throttle(ref.chat_id)
            body: dict[str, Any] = {"text": req.text}
            if ref.comment_mid:
                body["link"] = {"type": "reply", "mid": ref.comment_mid}
            sent = as_mapping(self.call("POST", f"/messages/{ref.mid}/comments", publishing=True, json=body))
            message = as_mapping(sent.get("message"))
            mid = str(as_mapping(message.get("body")).get("mid") or "")
            if not mid:
                raise MalformedPayload("POST /messages/{mid}/comments: нет body.mid", source=self.network)
            return PublishResult(
                external_id=parser.external_id(ref.chat_id, ref.mid, mid), url=str(message.get("url") or "")
            )
        attachments = [self._upload(Path(p)) for p in req.attachments]
        self._throttle(ref.chat_id)
        body = {"text": req.text, "link": {"type": "reply", "mid": ref.mid}}
        if attachments:
            body["attachments"] = attachments
        sent = as_mapping(self.call("POST", "/messages", publishing=True, params={"chat_id": ref.chat_id}, json=body))
        message = as_mapping(sent.get("message"))
        mid = str(as_mapping(message.get("body")).get("mid") or "")
        if not mid:
            raise MalformedPayload("POST /messages: нет body.mid", source=self.network)
        return PublishResult(external_id=parser.external_id(ref.chat_id, mid), url=str(message.get("url") or ""))
