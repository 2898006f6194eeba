"""Writes of the inbox: idempotent ingestion on (source, external id), manual entry, dismissal.

Every path messages take in — connectors, the Callback API, file imports, the HTTP API, the
curator's manual entry — goes through ``message_ingest_batch``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.domain.messages import IncomingMessage
from otklik.organization.models import Administration

from .models import Message, Source

MAX_TEXT = 100_000


@dataclass
class IngestResult:
    created: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (external id, reason)


def validate_incoming(item: IncomingMessage) -> str | None:
    """Why an incoming message cannot be stored (Russian), or None when it can."""
    if not item.external_id or not str(item.external_id).strip():
        return "нет идентификатора сообщения"
    if len(str(item.external_id)) > 255:
        return "идентификатор длиннее 255 символов"
    if not (item.text or "").strip() and not item.attachments:
        return "пустое сообщение"
    if item.published_at is not None and item.published_at.tzinfo is None:
        return "время публикации без часового пояса"
    return None


def _attachments(item: IncomingMessage) -> list[dict[str, Any]]:
    return [{"kind": a.kind, "url": a.url, "title": a.title, "external_id": a.external_id} for a in item.attachments]


def _row(source: Source, item: IncomingMessage, now: dt.datetime) -> Message:
    return Message(
        administration_id=source.administration_id,
        source=source,
        network=item.network if item.network not in ("file", "manual", "api") else source.network,
        external_id=str(item.external_id).strip(),
        url=(item.url or "")[:1000],
        reply_to=(item.reply_to or "")[:255],
        author_name=(item.author_name or "")[:255],
        author_id=(item.author_id or "")[:128],
        author_url=(item.author_url or "")[:1000],
        text=(item.text or "")[:MAX_TEXT],
        attachments=_attachments(item),
        published_at=item.published_at,
        received_at=now,
        raw=dict(item.raw) if item.raw else {},
    )


def message_ingest_batch(
    *, source: Source, items: Sequence[IncomingMessage], now: dt.datetime | None = None
) -> IngestResult:
    """Store the messages not seen before; report duplicates and invalid items; lose nothing good.

    Runs in one transaction: the caller saves its cursor only after this returns.
    """
    now = now or timezone.now()
    result = IngestResult()
    valid: dict[str, IncomingMessage] = {}
    for item in items:
        problem = validate_incoming(item)
        if problem:
            result.errors.append((str(item.external_id or ""), problem))
            continue
        key = str(item.external_id).strip()
        if key in valid:
            result.duplicates += 1
            continue
        valid[key] = item
    if not valid:
        return result
    with transaction.atomic():
        existing: set[str] = set()
        keys = list(valid)
        for i in range(0, len(keys), 500):
            existing.update(
                Message.objects.filter(source=source, external_id__in=keys[i : i + 500]).values_list(
                    "external_id", flat=True
                )
            )
        result.duplicates += len(existing)
        rows = [_row(source, item, now) for key, item in valid.items() if key not in existing]
        try:
            with transaction.atomic():
                created = Message.objects.bulk_create(rows, batch_size=500)
        except IntegrityError:
            # A concurrent ingest of the same source got there first: fall back to one by one.
            created = []
            for row in rows:
                try:
                    with transaction.atomic():
                        row.save()
                    created.append(row)
                except IntegrityError:
                    result.duplicates += 1
        result.created = [m.pk for m in created if m.pk is not None]
        if result.created:
            ids = list(result.created)
            transaction.on_commit(lambda: _after_ingest(ids))
    return result


def _after_ingest(message_ids: list[int]) -> None:
    from otklik.inbox.tasks import messages_ingested

    messages_ingested.delay(message_ids)


def source_for(administration: Administration, kind: str, network: str = "other", name: str = "") -> Source:
    """The administration's built-in source of a kind (manual entry, API), created on first use."""
    titles: dict[str, str] = {
        Source.Kind.MANUAL: "Ручной ввод куратором",
        Source.Kind.API: "Внешние системы (API)",
        Source.Kind.FILE: "Импорт файлов",
    }
    source, _ = Source.objects.get_or_create(
        administration=administration,
        kind=kind,
        network=network if kind != Source.Kind.MANUAL else "other",
        defaults={"name": name or titles.get(kind, kind), "poll_interval": 0},
    )
    return source


def message_create_manual(
    *,
    administration: Administration,
    actor_id: int,
    network: str,
    text: str,
    author_name: str = "",
    url: str = "",
    published_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Manual entry by the curator: a message seen in a messenger or told by phone."""
    if not text.strip():
        raise ValidationFailed("Введите текст сообщения.", field="text")
    source = source_for(administration, Source.Kind.MANUAL)
    item = IncomingMessage(
        network=network,
        external_id=f"manual-{uuid.uuid4()}",
        text=text,
        url=url,
        author_name=author_name,
        published_at=published_at,
        raw={"entered_by": actor_id},
    )
    result = message_ingest_batch(source=source, items=[item], now=now)
    if result.errors:
        raise ValidationFailed(result.errors[0][1], field="text")
    message = Message.objects.get(pk=result.created[0])
    if message.network != network:
        Message.objects.filter(pk=message.pk).update(network=network)
        message.network = network
    return message


def message_dismiss(*, message: Message, actor_id: int, now: dt.datetime | None = None) -> Message:
    """The curator decides the message needs no response (not every post is an appeal)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != Message.Status.NEW:
            raise IllegalTransition("Сообщение уже разобрано.")
        locked.status = Message.Status.DISMISSED
        locked.dismissed_by_id = actor_id
        locked.dismissed_at = now
        locked.save(update_fields=["status", "dismissed_by", "dismissed_at"])
    return locked
