"""Pure parsers of Telegram Bot API ``Update`` objects into ``IncomingMessage``, and the webhook
handler.

Collected: ``message`` and ``edited_message`` from groups and supergroups — including the linked
discussion group of a channel, where citizens comment on channel posts — and, when asked,
``channel_post``. Skipped: the automatic forwards of channel posts into the discussion group
(``is_automatic_forward``: they are the administration's own posts) and messages from bots
(our own answers). An edit (``edited_message``, ``edited_channel_post``) keeps the message's
external id and is ``change="edited"`` at ``edit_date``: a new revision of the same message, never
a "repeat". The replied message (``reply_to_message``: the channel post a discussion comment is
under, or another message) is the ``context`` the curator sees.

External id: ``"{chat_id}:{message_id}"``. ``reply_to`` is the replied message, so a comment in a
discussion group points at the forwarded channel post it comments on.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from otklik.domain.messages import Attachment, IncomingMessage, parent_context
from otklik.sources.errors import MalformedPayload, WebhookRejected
from otklik.sources.payload import as_mapping

NETWORK = "telegram"
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def external_id(chat_id: int | str, message_id: int | str) -> str:
    return f"{chat_id}:{message_id}"


def parse_external_id(value: str) -> tuple[int, int]:
    try:
        chat, message = value.rsplit(":", 1)
        return int(chat), int(message)
    except (ValueError, AttributeError) as exc:
        raise MalformedPayload(f"не похоже на идентификатор сообщения Telegram: {value!r}", source=NETWORK) from exc


def message_url(chat: Mapping[str, Any], message_id: int) -> str:
    """Public supergroups and channels: t.me/<username>/<id>; private supergroups and channels
    (ids -100...): t.me/c/<id without -100>/<id>; basic groups and private chats have no link."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


def _attachments(message: Mapping[str, Any]) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        best = max(photos, key=lambda p: int(p.get("width", 0)) * int(p.get("height", 0)))
        out.append(Attachment("photo", "", "", str(best.get("file_id", ""))))
    for key, kind in (
        ("video", "video"),
        ("video_note", "video"),
        ("document", "doc"),
        ("audio", "audio"),
        ("voice", "audio"),
    ):
        item = message.get(key)
        if isinstance(item, Mapping):
            title = str(item.get("file_name") or item.get("title") or "")
            out.append(Attachment(kind, "", title, str(item.get("file_id", ""))))
    for entity in message.get("entities") or ():
        if isinstance(entity, Mapping) and entity.get("type") == "text_link" and entity.get("url"):
            out.append(Attachment("link", str(entity["url"])))
    return tuple(out)


def parse_message(message: Mapping[str, Any], update_type: str = "message") -> IncomingMessage:
    if not isinstance(message, Mapping):
        raise MalformedPayload("сообщение: ожидался объект", source=NETWORK)
    chat = message.get("chat")
    if not isinstance(chat, Mapping) or "id" not in chat:
        raise MalformedPayload("сообщение: нет поля 'chat.id'", source=NETWORK)
    if "message_id" not in message:
        raise MalformedPayload("сообщение: нет поля 'message_id'", source=NETWORK)
    try:
        message_id = int(message["message_id"])
        chat_id = int(chat["id"])
        published = datetime.fromtimestamp(int(message.get("date", 0)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"сообщение: неверные поля ({exc})", source=NETWORK) from exc
    sender = as_mapping(message.get("from")) or None
    sender_chat = message.get("sender_chat")
    if sender and not (isinstance(sender_chat, Mapping) and sender.get("is_bot")):
        name = f"{sender.get('first_name', '')} {sender.get('last_name', '')}".strip()
        author_id = str(sender.get("id", ""))
        author_url = f"https://t.me/{sender['username']}" if sender.get("username") else ""
    elif isinstance(sender_chat, Mapping):
        name = str(sender_chat.get("title", ""))
        author_id = str(sender_chat.get("id", ""))
        author_url = f"https://t.me/{sender_chat['username']}" if sender_chat.get("username") else ""
    else:
        name = str(chat.get("title", ""))
        author_id = str(chat_id)
        author_url = ""
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise MalformedPayload(f"сообщение {message_id}: текст не строка", source=NETWORK)
    reply = message.get("reply_to_message")
    reply_to = ""
    if isinstance(reply, Mapping) and "message_id" in reply:
        reply_chat = as_mapping(reply.get("chat")) or chat
        reply_to = external_id(reply_chat.get("id", chat_id), reply["message_id"])
    raw = {k: v for k, v in message.items() if k != "reply_to_message"}
    if isinstance(reply, Mapping):
        raw["reply_to_message"] = {
            "message_id": reply.get("message_id"),
            "chat": reply.get("chat"),
            "text": (reply.get("text") or reply.get("caption") or "")[:500],
            "is_automatic_forward": reply.get("is_automatic_forward", False),
        }
    raw["_update_type"] = update_type
    context: dict[str, Any] = {}
    if isinstance(reply, Mapping) and "message_id" in reply:
        reply_chat = as_mapping(reply.get("chat")) or chat
        origin = as_mapping(reply.get("forward_origin"))
        if reply.get("is_automatic_forward") and origin.get("type") == "channel":
            channel = as_mapping(origin.get("chat"))
            kind, url = "post", message_url(channel, int(origin.get("message_id") or 0))
            author = str(channel.get("title") or "")
        else:
            sender_of_reply = as_mapping(reply.get("from"))
            kind, url = "message", message_url(reply_chat, int(reply["message_id"]))
            author = f"{sender_of_reply.get('first_name', '')} {sender_of_reply.get('last_name', '')}".strip()
        context = parent_context(kind, reply_to, str(reply.get("text") or reply.get("caption") or ""), url, author)
    edited = update_type.startswith("edited_")
    edit_date = message.get("edit_date")
    return IncomingMessage(
        network=NETWORK,
        external_id=external_id(chat_id, message_id),
        text=text,
        url=message_url(chat, message_id),
        author_name=name,
        author_id=author_id,
        author_url=author_url,
        published_at=published,
        attachments=_attachments(message),
        reply_to=reply_to,
        raw=raw,
        context=context,
        change="edited" if edited else "",
        changed_at=datetime.fromtimestamp(int(edit_date), tz=UTC) if edited and isinstance(edit_date, int) else None,
    )


def parse_update(update: Mapping[str, Any], *, include_channel_posts: bool = False) -> IncomingMessage | None:
    """One Update -> a message, or None when the update is not a citizen's message."""
    if not isinstance(update, Mapping) or "update_id" not in update:
        raise MalformedPayload("update: нет поля 'update_id'", source=NETWORK)
    for kind in MESSAGE_KINDS:
        message = update.get(kind)
        if message is None:
            continue
        if kind.endswith("channel_post") and not include_channel_posts:
            return None
        if not isinstance(message, Mapping):
            raise MalformedPayload(f"update {update['update_id']}: {kind} не объект", source=NETWORK)
        if message.get("is_automatic_forward"):
            return None
        sender = message.get("from")
        if isinstance(sender, Mapping) and sender.get("is_bot"):
            # Our own answers, other bots, and anonymous admins / posts "as the channel"
            # (GroupAnonymousBot, Channel_Bot): none of them is a citizen's message.
            return None
        chat = as_mapping(message.get("chat")) or {}
        if chat.get("type") == "private":
            return None  # private chats with the bot are not public messages (П.2)
        if not (message.get("text") or message.get("caption") or message.get("photo")):
            return None  # service messages: joins, pins, topic changes
        return parse_message(message, kind)
    return None


def handle_webhook(
    headers: Mapping[str, str],
    payload: Mapping[str, Any],
    *,
    secret_token: str,
    include_channel_posts: bool = False,
) -> list[IncomingMessage]:
    """A webhook request: checks ``X-Telegram-Bot-Api-Secret-Token`` (case-insensitive header
    name), then parses the one Update it carries. A wrong secret raises ``WebhookRejected``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(SECRET_HEADER.lower(), "")
    if secret_token and not hmac.compare_digest(given, secret_token):
        raise WebhookRejected("webhook: неверный секретный токен", source=NETWORK)
    message = parse_update(payload, include_channel_posts=include_channel_posts)
    return [message] if message else []
