"""What an incoming message must be to be stored, for ``actions.message_ingest_batch``: control
characters and lone surrogates removed (PostgreSQL refuses NUL in text and jsonb; the removal is
counted, not silent), and the reasons, in Russian, why an item cannot be stored at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from otklik.domain.messages import CHANGES, Attachment, IncomingMessage
from otklik.domain.networks import NETWORKS

MAX_TEXT = 100_000
# Short fields of the row; an identifier over its limit is refused (a cut id would point elsewhere),
# a display name is shortened with «…» and the full value kept in ``raw`` (recorded, not silent).
ID_LIMITS = {"external_id": 255, "reply_to": 255, "author_id": 128, "url": 1000, "author_url": 1000}
NAME_LIMIT = 255
PASSTHROUGH_NETWORKS = ("file", "manual", "api")

# C0 controls except TAB, LF, CR; DEL; C1 controls. PostgreSQL refuses NUL in text and jsonb.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """The text without NUL and other control characters (kept: tab, new line) or lone surrogates."""
    if not value:
        return value
    value = _CONTROL.sub("", value)
    return _SURROGATE.sub("\ufffd", value)


def clean_json(value: Any) -> Any:
    """``clean_text`` over every string (keys too) of a JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


_STRING_FIELDS = ("external_id", "text", "url", "author_name", "author_id", "author_url", "reply_to")
# What ``json.dumps`` (ASCII) writes for the characters ``clean_text`` removes or replaces.
_JSON_CONTROL = re.compile(r"\\u00(?:0[0-8bcef]|1[0-9a-f]|7f|[89][0-9a-f])|\\[bf]|\\ud[89a-f]|\x7f")


def _json_dirty(value: Any) -> bool:
    if not value:
        return False
    try:
        return bool(_JSON_CONTROL.search(json.dumps(value)))
    except (TypeError, ValueError):
        return True


def cleaned_item(item: IncomingMessage) -> tuple[IncomingMessage, bool]:
    """The item without control characters, and whether anything was removed. Most items are
    clean: they are checked with one regular expression per field and returned as they are."""
    dirty_fields = [n for n in _STRING_FIELDS if _CONTROL.search(str(getattr(item, n) or ""))]
    dirty_attachments = any(_CONTROL.search(f"{a.kind}{a.url}{a.title}{a.external_id}") for a in item.attachments)
    dirty_json = _json_dirty(item.raw) or _json_dirty(item.context)
    if (
        not dirty_fields
        and not dirty_attachments
        and not dirty_json
        and not any(_SURROGATE.search(str(getattr(item, n) or "")) for n in ("text", "author_name"))
    ):
        return item, False
    fields: dict[str, Any] = {n: clean_text(str(getattr(item, n) or "")) for n in _STRING_FIELDS}
    attachments = tuple(
        Attachment(clean_text(a.kind), clean_text(a.url), clean_text(a.title), clean_text(a.external_id))
        for a in item.attachments
    )
    cleaned = replace(
        item,
        **fields,
        attachments=attachments,
        raw=clean_json(dict(item.raw or {})),
        context=clean_json(dict(item.context or {})),
    )
    return cleaned, True


def validate_incoming(item: IncomingMessage) -> str | None:
    """Why an incoming message cannot be stored (Russian), or None when it can."""
    if not item.external_id or not str(item.external_id).strip():
        return "нет идентификатора сообщения"
    if item.change not in CHANGES:
        return f"неизвестный вид изменения «{item.change}»"
    if item.network not in NETWORKS and item.network not in PASSTHROUGH_NETWORKS:
        return f"неизвестная сеть «{str(item.network)[:40]}»"
    for name, limit in ID_LIMITS.items():
        value = str(getattr(item, name) or "")
        if len(value) > limit:
            return f"поле {name} длиннее {limit} символов ({len(value)}): сообщение не сохранено"
    if len(item.text or "") > MAX_TEXT:
        return f"текст длиннее {MAX_TEXT} символов ({len(item.text)}): сообщение не сохранено, чтобы не обрезать его"
    if item.change == "deleted":
        return None
    if not (item.text or "").strip() and not item.attachments:
        return "пустое сообщение"
    for when in (item.published_at, item.changed_at):
        if when is not None and when.tzinfo is None:
            return "время публикации без часового пояса"
    return None
