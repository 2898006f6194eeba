"""Pure parsers of MAX Bot API payloads (dev.max.ru, ``platform-api2.max.ru``) into ``IncomingMessage``.

Objects (dev.max.ru «Объекты», the official TypeScript client's types):

- ``Update``: ``update_type`` (``message_created`` with ``message``; ``message_edited`` with
  ``message``; ``message_removed`` with ``message_id``, ``chat_id``, ``user_id``), ``timestamp`` (ms);
- ``Message``: ``sender`` (``User``: ``user_id``, ``first_name``, ``last_name``, ``username``,
  ``is_bot``), ``recipient`` (``chat_id``, ``chat_type``: ``dialog`` | ``chat`` | ``channel``),
  ``timestamp`` (ms, UTC), ``link`` (``type`` ``reply`` | ``forward``, ``message``: the linked
  ``MessageBody``), ``body`` (``mid``, ``seq``, ``text``, ``attachments``: ``{type, payload}``
  with ``image`` / ``video`` / ``file`` / ``audio``...), ``url``;
- comments on channel posts (``GET /messages/{mid}/comments``): the same fields.

External ids: a chat message or channel post is ``"{chat_id}:{mid}"``; a comment under a channel
post ``"{chat_id}:{post mid}/{comment mid}"`` (publishing a reply needs both). Dialogs with the
bot are private (П.2) and bots' messages (our answers) are not citizens': both are skipped.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from otklik.domain.messages import Attachment, IncomingMessage, parent_context
from otklik.sources.errors import MalformedPayload, WebhookRejected
from otklik.sources.payload import as_mapping

NETWORK = "max"
SECRET_HEADER = "X-Max-Bot-Api-Secret"
UPDATE_TYPES = ("message_created", "message_edited", "message_removed")


@dataclass(frozen=True)
class MaxRef:
    chat_id: int
    mid: str
    comment_mid: str | None = None


def external_id(chat_id: int | str, mid: str, comment_mid: str | None = None) -> str:
    return f"{chat_id}:{mid}/{comment_mid}" if comment_mid else f"{chat_id}:{mid}"


def parse_external_id(value: str) -> MaxRef:
    try:
        chat, rest = (value or "").split(":", 1)
        mid, _, comment = rest.partition("/")
        if not mid:
            raise ValueError
        return MaxRef(int(chat), mid, comment or None)
    except ValueError as exc:
        raise MalformedPayload(f"не похоже на идентификатор сообщения MAX: {value!r}", source=NETWORK) from exc


def _when(ms: Any) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"неверное время {ms!r}", source=NETWORK) from exc


def _name(user: Mapping[str, Any]) -> str:
    full = f"{user.get('first_name', '') or ''} {user.get('last_name', '') or ''}".strip()
    return full or str(user.get("name") or "")


def _attachments(body: Mapping[str, Any]) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    for item in body.get("attachments") or ():
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type") or "")
        payload = as_mapping(item.get("payload"))
        url = str(payload.get("url") or "")
        ident = str(payload.get("token") or payload.get("photo_id") or payload.get("id") or "")
        if kind == "image":
            out.append(Attachment("photo", url, "", ident))
        elif kind == "video":
            out.append(Attachment("video", url, "", ident))
        elif kind == "file":
            out.append(Attachment("doc", url, str(item.get("filename") or ""), ident))
        elif kind == "audio":
            out.append(Attachment("audio", url, "", ident))
        elif kind:
            out.append(Attachment("other", url, kind, ident))
    return tuple(out)


def parse_message(
    message: Mapping[str, Any],
    *,
    change: str = "",
    chat_id: int | None = None,
    post: IncomingMessage | None = None,
) -> IncomingMessage | None:
    """One ``Message`` (or a comment under ``post``); ``None`` when it is not a citizen's."""
    if not isinstance(message, Mapping):
        raise MalformedPayload("сообщение: ожидался объект", source=NETWORK)
    body = as_mapping(message.get("body"))
    recipient = as_mapping(message.get("recipient"))
    mid = str(body.get("mid") or "")
    chat = recipient.get("chat_id", chat_id)
    if not mid or chat is None:
        raise MalformedPayload("сообщение: нет body.mid или recipient.chat_id", source=NETWORK)
    try:
        chat = int(chat)
    except (TypeError, ValueError) as exc:
        raise MalformedPayload(f"сообщение {mid}: chat_id не число", source=NETWORK) from exc
    if recipient.get("chat_type") == "dialog":
        return None  # a private dialog with the bot is not a public message (П.2)
    sender = as_mapping(message.get("sender"))
    if sender.get("is_bot"):
        return None  # our own answers and other bots
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise MalformedPayload(f"сообщение {mid}: текст не строка", source=NETWORK)
    attachments = _attachments(body)
    if not text.strip() and not attachments and change != "deleted":
        return None  # service messages
    link = as_mapping(message.get("link"))
    linked = as_mapping(link.get("message"))
    reply_to = ""
    context: dict[str, Any] = {}
    if post is not None:
        reply_to = post.external_id
        context = parent_context("post", post.external_id, post.text, post.url, post.author_name)
    if link.get("type") == "reply" and linked.get("mid"):
        parent_chat = int(link.get("chat_id") or chat)
        if post is not None:
            ref = parse_external_id(post.external_id)
            reply_to = external_id(parent_chat, ref.mid, str(linked["mid"]))
        else:
            reply_to = external_id(parent_chat, str(linked["mid"]))
        context = parent_context(
            "comment" if post is not None else "message",
            reply_to,
            str(linked.get("text") or ""),
            author_name=_name(as_mapping(link.get("sender"))),
        )
    ident = external_id(chat, parse_external_id(post.external_id).mid, mid) if post else external_id(chat, mid)
    user_id = sender.get("user_id")
    username = sender.get("username")
    return IncomingMessage(
        network=NETWORK,
        external_id=ident,
        text=text,
        url=str(message.get("url") or (post.url if post else "") or ""),
        author_name=_name(sender),
        author_id=str(user_id) if user_id is not None else "",
        author_url=f"https://max.ru/{username}" if username else "",
        published_at=_when(message.get("timestamp")),
        attachments=attachments,
        reply_to=reply_to,
        raw=dict(message),
        change=change,
        context=context,
    )


def parse_update(update: Mapping[str, Any]) -> IncomingMessage | None:
    if not isinstance(update, Mapping) or "update_type" not in update:
        raise MalformedPayload("update: нет поля 'update_type'", source=NETWORK)
    kind = update["update_type"]
    if kind == "message_removed":
        chat_id, mid = update.get("chat_id"), update.get("message_id")
        if chat_id is None or not mid:
            raise MalformedPayload("message_removed: нет chat_id или message_id", source=NETWORK)
        return IncomingMessage(
            network=NETWORK,
            external_id=external_id(int(chat_id), str(mid)),
            text="",
            change="deleted",
            changed_at=_when(update.get("timestamp")),
            raw=dict(update),
        )
    if kind not in ("message_created", "message_edited"):
        return None
    message = parse_message(as_mapping(update.get("message")), change="edited" if kind == "message_edited" else "")
    if message is not None and kind == "message_edited":
        return replace(message, changed_at=_when(update.get("timestamp")))
    return message


def handle_webhook(headers: Mapping[str, str], payload: Mapping[str, Any], *, secret: str) -> list[IncomingMessage]:
    """A webhook request (``POST /subscriptions`` with ``secret``): MAX sends the secret in
    ``X-Max-Bot-Api-Secret``; one ``Update`` per request."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if secret and not hmac.compare_digest(lowered.get(SECRET_HEADER.lower(), ""), secret):
        raise WebhookRejected("webhook MAX: неверный секрет", source=NETWORK)
    message = parse_update(payload)
    return [message] if message else []
