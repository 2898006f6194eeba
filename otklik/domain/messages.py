"""Messages as connectors hand them over, and answers as publishers take them.

Pure dataclasses, no Django: the network connectors (``otklik.sources``) produce
``IncomingMessage`` and consume ``PublishRequest``; the inbox app stores them.

Rules:
- ``external_id`` is unique within one source and stable across fetches, so ingestion is
  idempotent on ``(source, external_id)`` and re-fetching never duplicates a message.
- ``published_at`` is aware and in UTC.
- ``raw`` is the original payload item, JSON-serialisable, kept for audit (П.20).
- ``change`` says what the item is: a message (``""``), or an ``edited`` / ``deleted`` /
  ``restored`` event about a message with the same ``external_id`` (``changed_at`` is when the
  network says it happened). An edit carries the new text; a deletion needs only the id.
- ``context`` is what the network shows of the parent (``{"parent": {"kind", "external_id",
  "text", "url", "author_name"}}``): the VK post a comment is under, the channel post a
  discussion message replies to, the root comment of a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ATTACHMENT_KINDS = ("photo", "video", "doc", "link", "audio", "other")
CHANGES = ("", "edited", "deleted", "restored")


@dataclass(frozen=True)
class Attachment:
    kind: str  # one of ATTACHMENT_KINDS
    url: str
    title: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    network: str  # "vk" | "ok" | "telegram" | "feed" | "file" | "manual" | "api"
    external_id: str
    text: str
    url: str = ""
    author_name: str = ""
    author_id: str = ""
    author_url: str = ""
    published_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str = ""  # external id of the parent (the post, for a comment)
    raw: Mapping[str, Any] = field(default_factory=dict)
    change: str = ""  # one of CHANGES
    changed_at: datetime | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


def parent_context(kind: str, external_id: str, text: str = "", url: str = "", author_name: str = "") -> dict[str, Any]:
    """The ``context`` of a message whose parent the network showed (kind: post, comment, message)."""
    return {
        "parent": {
            "kind": kind,
            "external_id": external_id,
            "text": text[:4000],
            "url": url,
            "author_name": author_name,
        }
    }


@dataclass(frozen=True)
class PublishRequest:
    network: str
    reply_to_external_id: str  # the message being answered
    text: str
    guid: str  # idempotency key, stable per draft
    attachments: tuple[Path, ...] = ()


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str
