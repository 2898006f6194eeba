"""Telegram Bot API client: ``getUpdates`` long polling, ``sendMessage``/``sendPhoto`` replies.

Wire format: ``POST https://api.telegram.org/bot<token>/<method>`` (JSON body); answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``.

Error mapping: 429 -> ``RateLimited(retry_after)``; 401/404 -> ``ConfigurationError`` (bad token);
409 -> ``ConfigurationError`` (a webhook is set, polling impossible); 400 "message to be replied
not found" and other 400/403 while publishing -> ``CannotPublish``; 5xx -> transient.

Cursor: ``{"offset": last update_id + 1}``. Telegram forgets updates only when asked for a larger
offset, so updates fetched but not committed (the caller saves the cursor after the commit) are
delivered again on the next fetch. One bot has one update queue: the poller
(``otklik.sources.polling``) runs one ``fetch`` per bot token and hands each message to every source
on that bot whose chats it belongs to (``chat_of``); ``chat_ids`` here only filters when the client
is used alone. Telegram keeps unconfirmed updates for 24 hours (``UPDATES_KEPT``).
"""

from __future__ import annotations

import json
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
from otklik.sources.payload import as_mapping
from otklik.sources.telegram import parser

ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "edited_channel_post"]
REPLY_NOT_FOUND = "message to be replied not found"
UPDATES_KEPT = 24 * 3600  # seconds Telegram keeps an update nobody fetched


class TelegramClient(HttpApi):
    network = "telegram"
    default_base_url = "https://api.telegram.org"

    def __init__(
        self,
        *,
        token: str,
        poll_timeout: int = 0,
        limit: int = 100,
        include_channel_posts: bool = False,
        chat_ids: list[int] | None = None,
        **kwargs: Any,
    ):
        # The HTTP timeout must outlast the long-poll timeout.
        kwargs.setdefault("timeout", max(15.0, poll_timeout + 10.0))
        super().__init__(**kwargs)
        if not token:
            raise ConfigurationError("не задан токен бота (token)", source=self.network)
        self.token = token
        self.poll_timeout = max(0, int(poll_timeout))
        self.limit = max(1, min(100, int(limit)))
        self.include_channel_posts = include_channel_posts
        self.chat_ids = {int(c) for c in chat_ids or []}  # empty: every chat the bot is in

    def call(self, method: str, *, publishing: bool = False, files: dict | None = None, **params: Any) -> Any:
        # Telegram has no idempotency key: a send that timed out may have been delivered, so
        # sends are repeated only when Telegram refused them (429), never after a timeout.
        return self.with_retries(
            lambda: self._call_once(method, params, publishing, files),
            what=f"telegram {method}",
            retry_transient=not publishing,
        )

    def _call_once(self, method: str, params: dict, publishing: bool, files: dict | None) -> Any:
        url = f"{self.base_url}/bot{self.token}/{method}"
        params = {k: v for k, v in params.items() if v is not None}
        if files:
            data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            response = self.send("POST", url, data=data, files=files)
        else:
            response = self.send("POST", url, json=params)
        body = self.api_json(response, method, "Telegram Bot API", lambda b: isinstance(b, Mapping) and "ok" in b)
        if body.get("ok") is True:
            return body.get("result")
        raise self._error(method, body, response.status_code, publishing)

    def _error(self, method: str, body: Mapping, status: int, publishing: bool) -> SourceError:
        code = int(body.get("error_code") or status)
        description = str(body.get("description") or "")
        text = f"{method}: {code} «{description}»"
        parameters = as_mapping(body.get("parameters")) or {}
        if code == 429:
            retry_after = parameters.get("retry_after")
            return RateLimited(
                text,
                retry_after=float(retry_after) if retry_after is not None else None,
                source=self.network,
                code=code,
            )
        if code in (401, 404):
            return ConfigurationError(f"токен бота недействителен ({text})", source=self.network, code=code)
        if code == 409:
            return ConfigurationError(
                f"у бота включён webhook — опрос getUpdates невозможен ({text})",
                source=self.network,
                code=code,
            )
        if code >= 500:
            return TransientSourceError(text, source=self.network, code=code)
        if publishing or REPLY_NOT_FOUND in description.lower():
            if REPLY_NOT_FOUND in description.lower():
                reason = "сообщение, на которое нужно ответить, удалено или не найдено"
            elif code == 403:
                reason = "бот не может писать в этот чат (нет прав или бот удалён из чата)"
            else:
                reason = description
            return CannotPublish(f"Telegram не принял ответ: {reason}", source=self.network, code=code)
        return SourceError(text, source=self.network, code=code)

    # --- connector ----------------------------------------------------------------------------

    def chat_of(self, message: IncomingMessage) -> int:
        return parser.parse_external_id(message.external_id)[0]

    def check(self) -> CheckReport:
        me = self.call("getMe")
        if not isinstance(me, Mapping) or not me.get("is_bot"):
            raise ConfigurationError("getMe: токен принадлежит не боту", source=self.network)
        report = CheckReport(found=[f"бот @{me.get('username', '')} ({me.get('first_name', '')})"])
        reads_all = bool(me.get("can_read_all_group_messages"))
        report.found.append(
            "читает все сообщения групп"
            if reads_all
            else "режим приватности включён: без прав администратора "
            "бот видит в группах только команды и ответы на свои сообщения"
        )
        for chat_id in sorted(self.chat_ids):
            chat = self.call("getChat", chat_id=chat_id)
            member = self.call("getChatMember", chat_id=chat_id, user_id=me.get("id"))
            status = str(as_mapping(member).get("status") or "")
            title = str(as_mapping(chat).get("title") or chat_id)
            admin = status in ("administrator", "creator")
            report.found.append(
                f"чат «{title}» ({chat_id}): " + ("бот — администратор" if admin else f"бот — {status}")
            )
            if status in ("left", "kicked"):
                raise ConfigurationError(f"бот не состоит в чате «{title}» ({chat_id})", source=self.network)
            if not admin and not reads_all:
                report.warnings.append(
                    f"в чате «{title}» бот не администратор и в режиме приватности: сообщения жителей он не увидит. "
                    "Сделайте бота администратором или отключите приватность в @BotFather (/setprivacy)"
                )
        if not self.chat_ids:
            report.warnings.append("чаты не указаны: собираются сообщения всех групп, где состоит бот")
        hook = as_mapping(self.call("getWebhookInfo"))
        if hook.get("url"):
            report.warnings.append(
                f"у бота настроен webhook ({hook['url']}): опрос getUpdates невозможен, пока он не удалён"
            )
        return report

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        self.last_skipped = []
        offset = int((cursor or {}).get("offset") or 0)
        updates = self.call(
            "getUpdates",
            offset=offset or None,
            timeout=self.poll_timeout,
            limit=self.limit,
            allowed_updates=ALLOWED_UPDATES,
        )
        if not isinstance(updates, list):
            raise MalformedPayload("getUpdates: result не список", source=self.network)
        self.has_more = len(updates) >= self.limit
        messages: list[IncomingMessage] = []
        for update in updates:
            if isinstance(update, Mapping) and isinstance(update.get("update_id"), int):
                offset = max(offset, update["update_id"] + 1)
            try:
                message = parser.parse_update(update, include_channel_posts=self.include_channel_posts)
            except MalformedPayload as exc:
                self.skip(str(exc))
                continue
            if message is None:
                continue
            if self.chat_ids and self.chat_of(message) not in self.chat_ids:
                continue
            messages.append(message)
        return messages, {**(cursor or {}), "offset": offset}

    def publish(self, req: PublishRequest) -> PublishResult:
        """The answer as a reply (``reply_parameters``); photos and videos go with it: one file as
        ``sendPhoto``/``sendVideo`` with the text as caption (≤ 1024), several as ``sendMediaGroup``
        (the caption on the first). A text too long for a caption follows as ``sendMessage``.
        Nothing is repeated after a timeout (Telegram has no idempotency key)."""
        chat_id, message_id = parser.parse_external_id(req.reply_to_external_id)
        reply = {"message_id": message_id, "chat_id": chat_id}
        files = [Path(p) for p in req.attachments]
        caption = req.text if len(req.text) <= 1024 else None
        if not files and not req.text.strip():
            raise CannotPublish("пустой ответ", source=self.network)
        if len(files) == 1:
            kind = "video" if media_kind(files[0].name) == "video" else "photo"
            method = "sendVideo" if kind == "video" else "sendPhoto"
            result = self.call(
                method,
                publishing=True,
                files={kind: (files[0].name, files[0].read_bytes(), _mime(files[0]))},
                chat_id=str(chat_id),
                caption=caption,
                reply_parameters=reply,
            )
        elif files:
            media = []
            upload: dict[str, Any] = {}
            for n, path in enumerate(files[:10]):
                kind = "video" if media_kind(path.name) == "video" else "photo"
                item: dict[str, Any] = {"type": kind, "media": f"attach://file{n}"}
                if n == 0 and caption:
                    item["caption"] = caption
                media.append(item)
                upload[f"file{n}"] = (path.name, path.read_bytes(), _mime(path))
            sent = self.call(
                "sendMediaGroup",
                publishing=True,
                files=upload,
                chat_id=str(chat_id),
                media=media,
                reply_parameters=reply,
            )
            if not isinstance(sent, list) or not sent:
                raise MalformedPayload("sendMediaGroup: пустой ответ", source=self.network)
            result = sent[0]
        if not files or caption is None:
            text_result = self.call(
                "sendMessage", publishing=True, chat_id=chat_id, text=req.text, reply_parameters=reply
            )
            result = text_result if not files else result
        if not isinstance(result, Mapping) or "message_id" not in result:
            raise MalformedPayload("sendMessage: нет message_id", source=self.network)
        chat = as_mapping(result.get("chat")) or {"id": chat_id}
        return PublishResult(
            external_id=parser.external_id(chat.get("id", chat_id), result["message_id"]),
            url=parser.message_url(chat, int(result["message_id"])),
        )


def _mime(path: Path) -> str:
    return "video/mp4" if media_kind(path.name) == "video" else "image/jpeg"
