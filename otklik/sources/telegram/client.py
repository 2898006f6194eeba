"""Telegram Bot API client: ``getUpdates`` long polling, ``sendMessage``/``sendPhoto`` replies.

Wire format: ``POST https://api.telegram.org/bot<token>/<method>`` (JSON body); answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``.

Error mapping: 429 -> ``RateLimited(retry_after)``; 401/404 -> ``ConfigurationError`` (bad token);
409 -> ``ConfigurationError`` (a webhook is set, polling impossible); 400 "message to be replied
not found" and other 400/403 while publishing -> ``CannotPublish``; 5xx -> transient.

Cursor: ``{"offset": last update_id + 1}``. Telegram forgets updates only when asked for a larger
offset, so updates fetched but not committed (the caller saves the cursor after the commit) are
delivered again on the next fetch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult
from otklik.sources.base import HttpApi
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
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientSourceError(
                f"{method}: ответ не JSON (HTTP {response.status_code})", source=self.network
            ) from exc
        if not isinstance(body, Mapping):
            raise MalformedPayload(f"{method}: ответ не объект", source=self.network)
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

    def check(self) -> None:
        me = self.call("getMe")
        if not isinstance(me, Mapping) or not me.get("is_bot"):
            raise ConfigurationError("getMe: токен принадлежит не боту", source=self.network)

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
            if self.chat_ids and parser.parse_external_id(message.external_id)[0] not in self.chat_ids:
                continue
            messages.append(message)
        return messages, {**(cursor or {}), "offset": offset}

    def publish(self, req: PublishRequest) -> PublishResult:
        chat_id, message_id = parser.parse_external_id(req.reply_to_external_id)
        reply = {"message_id": message_id, "chat_id": chat_id}
        if req.attachments:
            first = Path(req.attachments[0])
            result = self.call(
                "sendPhoto",
                publishing=True,
                files={"photo": (first.name, first.read_bytes(), "image/jpeg")},
                chat_id=str(chat_id),
                caption=req.text[:1024] if len(req.text) <= 1024 else None,
                reply_parameters=reply,
            )
            if len(req.text) > 1024:  # a caption holds 1024 characters: the text goes after
                result = self.call(
                    "sendMessage", publishing=True, chat_id=chat_id, text=req.text, reply_parameters=reply
                )
        else:
            if not req.text.strip():
                raise CannotPublish("пустой ответ", source=self.network)
            result = self.call("sendMessage", publishing=True, chat_id=chat_id, text=req.text, reply_parameters=reply)
        if not isinstance(result, Mapping) or "message_id" not in result:
            raise MalformedPayload("sendMessage: нет message_id", source=self.network)
        chat = as_mapping(result.get("chat")) or {"id": chat_id}
        return PublishResult(
            external_id=parser.external_id(chat.get("id", chat_id), result["message_id"]),
            url=parser.message_url(chat, int(result["message_id"])),
        )
