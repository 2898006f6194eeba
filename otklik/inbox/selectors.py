"""Reads of the inbox for the curator's and the executor's pages: a message's context (the parent it
answers) and its history of edits and deletions in the network, with the difference marked."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .models import Message, MessageRevision

_WORDS = re.compile(r"\s+|[^\s]+")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference as ``(op, text)`` pieces: ``same``, ``added``, ``removed``."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", "".join(b[j1:j2])))
    return out


@dataclass
class HistoryEntry:
    number: int
    kind: str
    kind_label: str
    changed_at: Any
    diff: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class MessageContext:
    parent: dict[str, Any] = field(default_factory=dict)  # what the network showed of the parent
    parent_message: Message | None = None  # the stored parent, when we have it
    history: list[HistoryEntry] = field(default_factory=list)  # newest first
    edited: bool = False
    deleted: bool = False


def message_context(message: Message) -> MessageContext:
    """The parent and the history of one message (two small queries at most)."""
    ctx = MessageContext(
        parent=dict((message.context or {}).get("parent") or {}),
        edited=bool(message.revision_count and message.edited_at),
        deleted=message.deleted_at is not None,
    )
    if message.parent_id:
        ctx.parent_message = Message.objects.filter(pk=message.parent_id).only("text", "url", "author_name").first()
    if not message.revision_count:
        return ctx
    revisions = list(MessageRevision.objects.filter(message=message).order_by("number"))
    # Each edit replaced the text it keeps; the next version is the following edit's text, or now.
    texts = [r.text for r in revisions if r.kind == MessageRevision.Kind.EDITED] + [message.text]
    edit_no = 0
    for revision in revisions:
        entry = HistoryEntry(revision.number, revision.kind, revision.get_kind_display(), revision.changed_at)
        if revision.kind == MessageRevision.Kind.EDITED:
            entry.diff = text_diff(texts[edit_no], texts[edit_no + 1])
            edit_no += 1
        ctx.history.append(entry)
    ctx.history.reverse()
    return ctx
