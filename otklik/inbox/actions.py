"""Writes of the inbox: idempotent ingestion on (source, external id), edits and deletions as
revisions, manual entry, dismissal.

Every path messages take in — connectors, the Callback API, file imports, the HTTP API, the
curator's manual entry — goes through ``message_ingest_batch``; what an item must be to be stored
(cleaning, validation) is in ``cleaning.py``.

Why over 400 lines: ingestion (new, edited, deleted, restored items, provenance) and the curator's
decisions on a message (dismiss, undo, refuse, attach) write the same rows under the same locks.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.core.validators import is_http_link
from otklik.domain.messages import IncomingMessage
from otklik.organization.models import Administration

from .cleaning import NAME_LIMIT, PASSTHROUGH_NETWORKS, clean_text, cleaned_item, validate_incoming
from .models import Message, MessageDismissal, MessagePresence, MessageRevision, Source

log = logging.getLogger(__name__)

TRIAGE_TASK = "otklik.triage.tasks.triage_messages_task"
CHANGED_TASK = "otklik.inbox.tasks.message_changed"


@dataclass(frozen=True)
class Provenance:
    """Who brought messages in that no connector read (issue 15 §5): recorded on each new row."""

    via: str  # Message.BroughtVia: api, file, manual
    user_id: int | None = None
    token_id: int | None = None


@dataclass
class IngestResult:
    created: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (external id, reason)
    edited: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    cleaned: int = 0  # items stored after removing control characters


def _attachments(item: IncomingMessage, refused: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for n, a in enumerate(item.attachments):
        url = a.url
        if url and not is_http_link(url):
            refused[f"attachments.{n}"] = url
            url = ""
        rows.append({"kind": a.kind, "url": url, "title": a.title, "external_id": a.external_id})
    return rows


def _safe_url(value: str, name: str, refused: dict[str, Any]) -> str:
    """A link people will click: http(s) only. Another scheme (``javascript:``, ``data:``) is not
    stored as a link; the value is kept in ``raw`` (recorded, not silent) and the message stored."""
    if value and not is_http_link(value):
        refused[name] = value
        return ""
    return value


def _row(source: Source, item: IncomingMessage, now: dt.datetime, brought: Provenance | None = None) -> Message:
    raw = dict(item.raw) if item.raw else {}
    author_name = item.author_name or ""
    if len(author_name) > NAME_LIMIT:
        raw["_otklik_author_name"] = author_name
        author_name = author_name[: NAME_LIMIT - 1] + "…"
    refused: dict[str, Any] = {}
    url = _safe_url(item.url or "", "url", refused)
    author_url = _safe_url(item.author_url or "", "author_url", refused)
    attachments = _attachments(item, refused)
    if refused:
        raw["_otklik_refused_urls"] = refused
    edited = item.change == "edited"
    return Message(
        administration_id=source.administration_id,
        source=source,
        network=item.network if item.network not in PASSTHROUGH_NETWORKS else source.network,
        external_id=str(item.external_id).strip(),
        url=url,
        reply_to=item.reply_to or "",
        author_name=author_name,
        author_id=item.author_id or "",
        author_url=author_url,
        text=item.text or "",
        attachments=attachments,
        published_at=item.published_at,
        received_at=now,
        raw=raw,
        context=dict(item.context or {}),
        edited_at=(item.changed_at or now) if edited else None,
        brought_via=brought.via if brought else "",
        brought_by_id=brought.user_id if brought else None,
        brought_by_token_id=brought.token_id if brought else None,
    )


def message_ingest_batch(
    *,
    source: Source,
    items: Sequence[IncomingMessage],
    now: dt.datetime | None = None,
    brought: Provenance | None = None,
) -> IngestResult:
    """Store the messages not seen before and apply edits, deletions and restorations of the ones
    seen; report duplicates and invalid items; lose nothing good.

    One bad item never blocks the batch: control characters are removed (PostgreSQL refuses NUL),
    an item that still cannot be stored is refused with a reason (``errors``, logged) and the rest
    are stored. A message seen again with another text is an edit (VK re-reads show edits too).
    Runs in one transaction: the caller saves its cursor only after this returns. ``brought``
    records who brought the new messages in (the API, a file import, manual entry).
    """
    now = now or timezone.now()
    result = IngestResult()
    new: dict[str, IncomingMessage] = {}
    changes: list[IncomingMessage] = []
    for original in items:
        item, was_dirty = cleaned_item(original)
        result.cleaned += was_dirty
        problem = validate_incoming(item)
        if problem:
            _refuse(result, source, str(item.external_id or ""), problem)
            continue
        key = str(item.external_id).strip()
        if key != item.external_id:
            item = replace(item, external_id=key)
        if item.change == "":
            if key in new:  # the same message twice in one batch: the first one counts
                result.duplicates += 1
                continue
            new[key] = item
        else:
            changes.append(item)
    if not new and not changes:
        return result
    changed: list[tuple[int, str]] = []
    with transaction.atomic():
        keys = list({*new, *(c.external_id for c in changes)})
        # Seen before: only their ids and texts (a re-read of a wall is mostly duplicates); the rows
        # that change are then loaded whole and locked.
        seen: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), 500):
            for ext, pk, text in Message.objects.filter(source=source, external_id__in=keys[i : i + 500]).values_list(
                "external_id", "pk", "text"
            ):
                seen[ext] = (pk, text)
        touched = {c.external_id for c in changes if c.external_id in seen}
        touched |= {k for k, item in new.items() if k in seen and (item.text or "") != seen[k][1]}
        existing: dict[str, Message] = {}
        if touched:
            ids = [seen[k][0] for k in touched]
            for i in range(0, len(ids), 500):
                for message in Message.objects.select_for_update().filter(pk__in=ids[i : i + 500]):
                    existing[message.external_id] = message
        created = _insert_with_parents(
            source,
            [item for key, item in new.items() if key not in seen],
            {k: v[0] for k, v in seen.items()},
            now,
            result,
            brought,
        )
        result.created = [m.pk for m in created if m.pk is not None]
        for key, item in new.items():
            if key not in seen:
                continue
            if key not in existing:
                result.duplicates += 1  # the same text again
            elif _apply_edit(existing[key], item, now, quiet=True):
                result.edited.append(existing[key].pk)
                changed.append((existing[key].pk, "edited"))
            else:
                result.duplicates += 1
        rows = {m.external_id: m for m in created}
        rows.update(existing)
        for item in changes:
            kind = _apply_change(source, rows, item, now, result)
            if kind:
                changed.append((rows[item.external_id].pk, kind))
        if result.created:
            ids = list(result.created)
            transaction.on_commit(lambda: dispatch_task(TRIAGE_TASK, ids))
        in_cases = {m.pk for m in rows.values() if m.case_id}
        notify = [(pk, kind) for pk, kind in changed if pk in in_cases]
        if notify:
            transaction.on_commit(lambda: _notify_changes(notify))
    return result


def _notify_changes(changes: list[tuple[int, str]]) -> None:
    for pk, kind in changes:
        dispatch_task(CHANGED_TASK, pk, kind)


def _refuse(result: IngestResult, source: Source, external_id: str, reason: str) -> None:
    log.warning("source %s: refused item %r: %s", source.pk, external_id[:80], reason)
    result.errors.append((external_id[:255], reason))


def _insert(
    source: Source,
    items: list[IncomingMessage],
    now: dt.datetime,
    result: IngestResult,
    parents: Mapping[str, int] | None = None,
    brought: Provenance | None = None,
) -> list[Message]:
    """Insert new rows in one statement; if the database refuses it, row by row, so one row it
    will not take (or a concurrent ingest that got there first) costs only that row."""
    rows = [_row(source, item, now, brought) for item in items]
    for row in rows:
        if parents and row.reply_to:
            row.parent_id = parents.get(row.reply_to)
    if not rows:
        return []
    try:
        with transaction.atomic():
            return Message.objects.bulk_create(rows, batch_size=500)
    except DatabaseError:
        pass
    created: list[Message] = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
            created.append(row)
        except IntegrityError:
            result.duplicates += 1
        except DatabaseError as exc:
            row.pk = None
            _refuse(result, source, row.external_id, f"база данных не приняла сообщение: {exc}"[:500])
    return created


def _revise(message: Message, kind: str, item: IncomingMessage, now: dt.datetime, **old: Any) -> None:
    number = message.revision_count + 1
    MessageRevision.objects.create(
        message=message,
        number=number,
        kind=kind,
        changed_at=item.changed_at or now,
        recorded_at=now,
        raw=old.pop("raw", None) or dict(item.raw or {}),
        **old,
    )
    message.revision_count = number


def _apply_edit(message: Message, item: IncomingMessage, now: dt.datetime, *, quiet: bool = False) -> bool:
    """A new version of a stored message: the replaced text is kept as a revision. ``quiet``: a
    plain re-read, an edit only when the text or the attachments differ."""
    refused: dict[str, Any] = {}
    attachments = _attachments(item, refused)
    if (item.text or "") == message.text and (attachments == message.attachments or quiet):
        return False
    _revise(
        message,
        MessageRevision.Kind.EDITED,
        item,
        now,
        text=message.text,
        attachments=message.attachments,
        raw=message.raw,
    )
    message.text = item.text or ""
    message.attachments = attachments
    message.raw = dict(item.raw or {})
    if refused:
        message.raw["_otklik_refused_urls"] = refused
    message.edited_at = item.changed_at or now
    fields = ["text", "attachments", "raw", "edited_at", "revision_count"]
    if item.context and not message.context:
        message.context = dict(item.context)
        fields.append("context")
    message.save(update_fields=fields)
    return True


def _apply_change(
    source: Source, rows: dict[str, Message], item: IncomingMessage, now: dt.datetime, result: IngestResult
) -> str:
    """Apply one edit, deletion or restoration; the kind applied, or "" when nothing changed."""
    message = rows.get(item.external_id)
    if message is None:
        if item.change == "deleted":
            result.duplicates += 1  # a message we never stored: nothing to mark
            return ""
        created = _insert(source, [item], now, result)  # an edit or restoration of a message we missed
        if created:
            rows[item.external_id] = created[0]
            result.created.append(created[0].pk)
        return ""
    if item.change == "edited":
        if message.deleted_at is not None or not _apply_edit(message, item, now):
            result.duplicates += 1
            return ""
        result.edited.append(message.pk)
        return "edited"
    if item.change == "deleted":
        if message.deleted_at is not None:
            result.duplicates += 1
            return ""
        _revise(message, MessageRevision.Kind.DELETED, item, now, text="", attachments=[])
        message.deleted_at = item.changed_at or now
        message.save(update_fields=["deleted_at", "revision_count"])
        result.deleted.append(message.pk)
        return "deleted"
    if message.deleted_at is None:  # restored, but we never saw it deleted
        result.duplicates += 1
        return ""
    _revise(message, MessageRevision.Kind.RESTORED, item, now, text="", attachments=[])
    message.deleted_at = None
    message.save(update_fields=["deleted_at", "revision_count"])
    if (item.text or "") and item.text != message.text:
        _apply_edit(message, item, now)
    result.restored.append(message.pk)
    return "restored"


def _insert_with_parents(
    source: Source,
    items: list[IncomingMessage],
    existing: Mapping[str, int],
    now: dt.datetime,
    result: IngestResult,
    brought: Provenance | None = None,
) -> list[Message]:
    """Insert new messages pointing each reply at its stored parent in the same source (a thread's
    root comment): parents already stored are looked up once; a parent in the same batch is
    inserted first (level by level), so no row is updated after its insert."""
    wanted = {i.reply_to for i in items if i.reply_to} - {i.external_id for i in items}
    parents: dict[str, int] = dict(existing)
    missing = [k for k in wanted if k not in parents]
    for i in range(0, len(missing), 500):
        parents.update(
            Message.objects.filter(source=source, external_id__in=missing[i : i + 500]).values_list("external_id", "pk")
        )
    created: list[Message] = []
    pending = list(items)
    while pending:
        waiting = {i.external_id for i in pending}
        level = [i for i in pending if i.reply_to not in waiting or i.reply_to == i.external_id] or pending
        done = _insert(source, level, now, result, parents, brought)
        created.extend(done)
        parents.update({m.external_id: m.pk for m in done if m.pk is not None})
        chosen = {i.external_id for i in level}
        pending = [i for i in pending if i.external_id not in chosen]
    return created


def dispatch_task(name: str, *args: Any) -> None:
    """Run a Celery task by its registered name: the inbox does not import triage or the cases
    (``sources`` import the inbox, and sources must not know about cases)."""
    from celery import current_app

    task = current_app.tasks.get(name)
    if task is None and current_app.conf.task_always_eager:
        current_app.loader.import_default_modules()  # eager (tests, demo): run it here
        task = current_app.tasks.get(name)
    if task is None:
        current_app.send_task(name, args=list(args))  # a worker knows the task by its name
    else:
        task.delay(*args)


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
    brought = Provenance(Message.BroughtVia.MANUAL, user_id=actor_id)
    result = message_ingest_batch(source=source, items=[item], now=now, brought=brought)
    if result.errors:
        raise ValidationFailed(result.errors[0][1], field="text")
    message = Message.objects.get(pk=result.created[0])
    if message.network != network:
        Message.objects.filter(pk=message.pk).update(network=network)
        message.network = network
    return message


def message_dismiss(*, message: Message, actor_id: int, reason: str = "", now: dt.datetime | None = None) -> Message:
    """The curator decides the message needs no response (not every post is an appeal).

    The decision and its reason are recorded (``MessageDismissal``); the web form requires a reason,
    the HTTP API may leave it empty."""
    now = now or timezone.now()
    reason = clean_text(reason or "").strip()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != Message.Status.NEW:
            raise IllegalTransition("Сообщение уже разобрано.")
        locked.status = Message.Status.DISMISSED
        locked.dismissed_by_id = actor_id
        locked.dismissed_at = now
        locked.dismiss_reason = reason
        locked.save(update_fields=["status", "dismissed_by", "dismissed_at", "dismiss_reason"])
        MessageDismissal.objects.create(message=locked, reason=reason, dismissed_by_id=actor_id, dismissed_at=now)
    return locked


def can_undo_dismissal(message: Message, *, now: dt.datetime, tz: dt.tzinfo) -> bool:
    """A dismissal can be undone on the day it was made (in the administration's zone)."""
    if message.status != Message.Status.DISMISSED or message.dismissed_at is None:
        return False
    return bool(timezone.localtime(message.dismissed_at, tz).date() == timezone.localtime(now, tz).date())


def message_undismiss(*, message: Message, actor_id: int, tz: dt.tzinfo, now: dt.datetime | None = None) -> Message:
    """Undo «не требует реагирования» the same day: the message is back in the inbox; the decision
    stays on record with who undid it and when."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != Message.Status.DISMISSED:
            raise IllegalTransition("Сообщение не отмечено как не требующее реагирования.")
        if not can_undo_dismissal(locked, now=now, tz=tz):
            raise IllegalTransition("Отменить решение можно только в тот же день.")
        MessageDismissal.objects.filter(message=locked, undone_at__isnull=True).update(
            undone_by_id=actor_id, undone_at=now
        )
        locked.status = Message.Status.NEW
        locked.dismissed_by = None
        locked.dismissed_at = None
        locked.dismiss_reason = ""
        locked.save(update_fields=["status", "dismissed_by", "dismissed_at", "dismiss_reason"])
    return locked


def message_mark_open(*, message: Message, user_id: int, now: dt.datetime | None = None) -> None:
    """Record that ``user_id`` has the message open now (the soft lock the next curator sees)."""
    now = now or timezone.now()
    updated = MessagePresence.objects.filter(message=message, user_id=user_id).update(seen_at=now)
    if not updated:
        try:
            with transaction.atomic():
                MessagePresence.objects.create(message=message, user_id=user_id, seen_at=now)
        except IntegrityError:  # the same person in two tabs at once
            MessagePresence.objects.filter(message=message, user_id=user_id).update(seen_at=now)


def message_mark_closed(*, message_ids: Sequence[int], user_id: int) -> None:
    """The person has decided or left: their marks no longer warn anybody."""
    MessagePresence.objects.filter(message_id__in=list(message_ids), user_id=user_id).delete()
