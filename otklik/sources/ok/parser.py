"""Pure parsers of OK REST API payloads: group topics (``mediatopic.getByIds``) and their
comments (``discussions.getComments``).

Comment fields (``id``, ``author_id``, ``author_name``, ``text``, ``date`` "yyyy-MM-dd HH:mm:ss"
Moscow time or ``created_ms``, ``reply_to_comment_id``, ``type``) and the response shape
``{"comments": [...], "anchor": "...", "has_more": bool}`` are not on the method's apiok.ru page;
they are what third-party OK clients read (see docs/sources.md). A comment flagged ``deleted`` is a
deletion.

External ids: a topic is ``topic:{topic_id}``, a comment ``topic:{topic_id}:c{comment_id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from otklik.domain.messages import IncomingMessage, parent_context
from otklik.sources.errors import MalformedPayload
from otklik.sources.payload import as_mapping

NETWORK = "ok"
OK = "https://ok.ru"
MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Parsed:
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def topic_external_id(topic_id: str) -> str:
    return f"topic:{topic_id}"


def comment_external_id(topic_id: str, comment_id: str) -> str:
    return f"topic:{topic_id}:c{comment_id}"


def parse_external_id(value: str) -> tuple[str, str | None]:
    parts = (value or "").split(":")
    if len(parts) == 2 and parts[0] == "topic" and parts[1]:
        return parts[1], None
    if len(parts) == 3 and parts[0] == "topic" and parts[2].startswith("c"):
        return parts[1], parts[2][1:]
    raise MalformedPayload(f"не похоже на идентификатор Одноклассников: {value!r}", source=NETWORK)


def topic_url(group_id: str, topic_id: str) -> str:
    return f"{OK}/group/{group_id}/topic/{topic_id}"


def _when(item: Mapping[str, Any], what: str) -> datetime | None:
    if item.get("created_ms") is not None:
        try:
            return datetime.fromtimestamp(int(item["created_ms"]) / 1000, tz=UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MalformedPayload(f"{what}: неверное created_ms", source=NETWORK) from exc
    if item.get("date"):
        try:
            local = datetime.strptime(str(item["date"]), "%Y-%m-%d %H:%M:%S")
        except ValueError as exc:
            raise MalformedPayload(f"{what}: неверная дата {item['date']!r}", source=NETWORK) from exc
        return local.replace(tzinfo=MOSCOW).astimezone(UTC)
    return None


def parse_comment(item: Mapping[str, Any], *, topic_id: str, group_id: str, topic_text: str = "") -> IncomingMessage:
    """One comment of a topic; its context is the topic (text as far as the cursor keeps it, link)."""
    if not isinstance(item, Mapping) or not item.get("id"):
        raise MalformedPayload("комментарий: нет поля 'id'", source=NETWORK)
    comment_id = str(item["id"])
    text = item.get("text", "")
    if not isinstance(text, str):
        raise MalformedPayload(f"комментарий {comment_id}: текст не строка", source=NETWORK)
    author_id = str(item.get("author_id") or "")
    reply_to_comment = item.get("reply_to_comment_id")
    return IncomingMessage(
        network=NETWORK,
        external_id=comment_external_id(topic_id, comment_id),
        text=text,
        url=topic_url(group_id, topic_id),
        author_name=str(item.get("author_name") or ""),
        author_id=author_id,
        author_url=f"{OK}/profile/{author_id}" if author_id else "",
        published_at=_when(item, f"комментарий {comment_id}"),
        reply_to=(
            comment_external_id(topic_id, str(reply_to_comment)) if reply_to_comment else topic_external_id(topic_id)
        ),
        raw={**item, "topic_id": topic_id, "group_id": group_id},
        context=parent_context("post", topic_external_id(topic_id), topic_text, topic_url(group_id, topic_id)),
    )


def removed_comment(topic_id: str, comment_id: str, *, group_id: str) -> IncomingMessage:
    """A comment gone from the discussion (missing from a complete re-read, or shown as deleted):
    a deletion of that comment."""
    return IncomingMessage(
        network=NETWORK,
        external_id=comment_external_id(topic_id, comment_id),
        text="",
        change="deleted",
        raw={"id": comment_id, "deleted": True, "topic_id": topic_id, "group_id": group_id},
    )


def parse_comments(response: Mapping[str, Any], *, topic_id: str, group_id: str, topic_text: str = "") -> Parsed:
    if not isinstance(response, Mapping) or not isinstance(response.get("comments", []), list):
        raise MalformedPayload("discussions.getComments: нет списка 'comments'", source=NETWORK)
    out = Parsed()
    for item in response.get("comments", []):
        try:
            if isinstance(item, Mapping) and item.get("deleted") and item.get("id"):
                out.messages.append(removed_comment(topic_id, str(item["id"]), group_id=group_id))
                continue
            out.messages.append(parse_comment(item, topic_id=topic_id, group_id=group_id, topic_text=topic_text))
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
    return out


def _topic_text(topic: Mapping[str, Any]) -> str:
    parts = []
    for media in topic.get("media") or ():
        if isinstance(media, Mapping) and media.get("type") == "text" and media.get("text"):
            parts.append(str(media["text"]))
    return "\n".join(parts)


def parse_topics(response: Mapping[str, Any], *, group_id: str) -> Parsed:
    """``mediatopic.getByIds`` response: ``{"media_topics": [...], "entities": {...}}``."""
    if not isinstance(response, Mapping) or not isinstance(response.get("media_topics"), list):
        raise MalformedPayload("mediatopic.getByIds: нет списка 'media_topics'", source=NETWORK)
    entities = as_mapping(response.get("entities")) or {}
    names: dict[str, str] = {}
    for kind in ("users", "groups"):
        for entity in entities.get(kind) or ():
            if isinstance(entity, Mapping):
                ref = f"{kind[:-1]}:{entity.get('uid') or entity.get('id')}"
                names[ref] = str(entity.get("name") or "")
    out = Parsed()
    for topic in response["media_topics"]:
        try:
            if not isinstance(topic, Mapping) or not topic.get("id"):
                raise MalformedPayload("топик: нет поля 'id'", source=NETWORK)
            topic_id = str(topic["id"])
            author_ref = str(topic.get("author_ref") or topic.get("owner_ref") or "")
            author_id = author_ref.split(":", 1)[-1] if author_ref else ""
            out.messages.append(
                IncomingMessage(
                    network=NETWORK,
                    external_id=topic_external_id(topic_id),
                    text=_topic_text(topic),
                    url=topic_url(group_id, topic_id),
                    author_name=names.get(author_ref, ""),
                    author_id=author_id,
                    author_url=(f"{OK}/profile/{author_id}" if author_ref.startswith("user:") else ""),
                    published_at=_when(topic, f"топик {topic_id}"),
                    raw={**topic, "group_id": group_id},
                )
            )
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
    return out
