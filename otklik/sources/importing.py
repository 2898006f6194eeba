"""Import of messages from CSV, XLSX and JSONL files into a Source (issue #5, item 5).

``import_file`` streams the file (``otklik.sources.files.read_messages``) and ingests it in
batches of ``BATCH`` rows through ``message_ingest_batch``; each batch is its own transaction, so
a crash in the middle keeps the batches before it, and a re-run adds only what is missing
(ingestion is idempotent on ``(source, external_id)``; rows without an id column get a stable
hash of their values). Bad rows are reported with their row number and reason; the good rows are
kept. A dry run writes nothing and reports, row by row, what an import would do.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import Provenance, message_ingest_batch, validate_incoming
from otklik.inbox.models import Message, Source
from otklik.sources.files import RowError, read_messages

BATCH = 1000
MAX_ERRORS = 10_000  # reasons kept for the report; ``error_count`` counts them all
MAX_PREVIEW = 200  # rows of a dry run shown one by one


@dataclass
class RowReport:
    row: int
    status: str  # "new" | "duplicate" | "error"
    external_id: str = ""
    text: str = ""
    reason: str = ""


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0  # rows written (0 in a dry run)
    duplicates: int = 0  # rows already imported (or twice in the file)
    new: int = 0  # rows a dry run would add (equals ``created`` after an import)
    error_count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    rows: list[RowReport] = field(default_factory=list)  # dry run: the first rows one by one
    dry_run: bool = False
    _seen: set[str] = field(default_factory=set, repr=False)  # dry run: ids met earlier in the file

    @property
    def good(self) -> int:
        return self.total - self.error_count

    def summary(self) -> str:
        verb = "будет добавлено" if self.dry_run else "добавлено"
        return f"Строк: {self.total}; {verb}: {self.new}; уже были: {self.duplicates}; с ошибками: {self.error_count}"

    def _error(self, row: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((row, reason))


def import_file(
    *,
    source: Source,
    path_or_file: Any,
    format: str | None = None,
    mapping: Mapping[str, str],
    dry_run: bool = False,
    tz: str | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH,
    network: str | None = None,
    brought: Provenance | None = None,
) -> ImportReport:
    """Import (or, with ``dry_run``, check) a file into ``source``.

    ``path_or_file``: a path, or an uploaded file (Django ``UploadedFile`` or any binary file
    object). ``format``: ``csv``, ``xlsx`` or ``jsonl`` (default: by the file's suffix).
    ``tz``: the time zone of dates without one (default: the administration's). ``network``: the
    network of rows without a ``network`` column (default: the source's). ``brought``: who imports
    (recorded on every new message; a file import without a person is still marked as one).
    Raises ``ConfigurationError`` for a bad mapping, format or an unreadable file."""
    tz = tz or getattr(source.administration, "timezone", "") or "Asia/Chita"
    report = ImportReport(dry_run=dry_run)
    with _as_path(path_or_file, format) as path:
        batch: list[tuple[int, Any]] = []
        for number, item in read_messages(path, mapping=mapping, fmt=format, tz=tz, network=network or source.network):
            report.total += 1
            if isinstance(item, RowError) and not dry_run:
                report._error(number, item.reason)
                continue
            batch.append((number, item))  # a dry run reports every row in file order
            if len(batch) >= batch_size:
                _flush(source, batch, report, dry_run=dry_run, now=now, brought=brought)
                batch = []
        if batch:
            _flush(source, batch, report, dry_run=dry_run, now=now, brought=brought)
    report.errors.sort()
    return report


def _flush(
    source: Source,
    batch: list[tuple[int, Any]],
    report: ImportReport,
    *,
    dry_run: bool,
    now: dt.datetime | None,
    brought: Provenance | None = None,
) -> None:
    if dry_run:
        _check_batch(source, batch, report)
        return
    rows_of: dict[str, list[int]] = {}
    for number, item in batch:
        rows_of.setdefault(str(item.external_id or "").strip(), []).append(number)
    brought = brought or Provenance(Message.BroughtVia.FILE)
    items = [item for _, item in batch]
    result = message_ingest_batch(source=source, items=items, now=now or timezone.now(), brought=brought)
    report.created += len(result.created)
    report.new += len(result.created)
    report.duplicates += result.duplicates
    for external_id, reason in result.errors:
        numbers = rows_of.get(str(external_id).strip()) or [0]
        report._error(numbers.pop(0), reason)


def _check_batch(source: Source, batch: list[tuple[int, IncomingMessage | RowError]], report: ImportReport) -> None:
    """A dry run: validate like the ingestion does and look up ids already stored; write nothing."""
    keys = {str(item.external_id).strip() for _, item in batch if isinstance(item, IncomingMessage)}
    existing = report._seen
    existing.update(
        Message.objects.filter(source=source, external_id__in=list(keys)).values_list("external_id", flat=True)
    )
    for number, item in batch:
        if isinstance(item, RowError):
            report._error(number, item.reason)
            if len(report.rows) < MAX_PREVIEW:
                report.rows.append(RowReport(number, "error", reason=item.reason))
            continue
        problem = validate_incoming(item)
        key = str(item.external_id or "").strip()
        if problem:
            report._error(number, problem)
            status, reason = "error", problem
        elif key in existing:
            report.duplicates += 1
            status, reason = "duplicate", "уже импортировано"
        else:
            existing.add(key)  # a second row with the same id in the file is a duplicate
            report.new += 1
            status, reason = "new", ""
        if len(report.rows) < MAX_PREVIEW:
            report.rows.append(RowReport(number, status, key, item.text[:200], reason))


class _as_path:
    """A context manager giving a filesystem path for a path or an uploaded file object."""

    def __init__(self, path_or_file: Any, fmt: str | None):
        self.obj = path_or_file
        self.fmt = fmt
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        if isinstance(self.obj, str | Path):
            return Path(self.obj)
        temporary = getattr(self.obj, "temporary_file_path", None)
        name = str(getattr(self.obj, "name", "") or "upload")
        suffix = f".{self.fmt}" if self.fmt else Path(name).suffix
        if callable(temporary):
            path = Path(temporary())
            if self.fmt or path.suffix:
                return path
        handle = tempfile.NamedTemporaryFile(prefix="otklik-import-", suffix=suffix, delete=False)
        with handle:
            if hasattr(self.obj, "chunks"):
                for chunk in self.obj.chunks():
                    handle.write(chunk)
            else:
                if hasattr(self.obj, "seek"):
                    self.obj.seek(0)
                shutil.copyfileobj(self.obj, handle)
        self.tmp = Path(handle.name)
        return self.tmp

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def read_header(path: str | Path, fmt: str | None = None) -> list[str]:
    """Column names of a file (the header row of a CSV/XLSX, the keys of the first JSONL
    objects), to prefill the mapping form."""
    import json

    from otklik.sources.files import _csv_rows, detect_format

    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        reader = _csv_rows(path)
        try:
            first = next(reader, None)
            if first is not None:
                return [k for k in first if k is not None]
            return []
        finally:
            reader.close()  # type: ignore[attr-defined]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            header = next(workbook.active.iter_rows(values_only=True, max_row=1), None) or ()
            return [str(h).strip() for h in header if h is not None]
        finally:
            workbook.close()
    names: list[str] = []
    with path.open(encoding="utf-8-sig") as handle:
        for n, line in enumerate(handle):
            if n >= 20:
                break
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                names.extend(k for k in item if k not in names)
    return names


GUESSES: dict[str, tuple[str, ...]] = {
    "text": ("text", "текст", "message", "сообщение", "content", "body", "содержание"),
    "external_id": ("external_id", "id", "идентификатор", "uid", "guid", "post_id"),
    "url": ("url", "ссылка", "link", "адрес"),
    "author_name": ("author_name", "author", "автор", "имя", "name"),
    "author_id": ("author_id", "id автора", "user_id"),
    "author_url": ("author_url", "ссылка на автора", "профиль", "profile"),
    "published_at": ("published_at", "date", "дата", "время", "created_at", "datetime", "дата публикации"),
    "network": ("network", "сеть", "источник", "platform", "площадка"),
}


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """Target field -> column, by the usual Russian and English column names."""
    lowered = {c.strip().lower(): c for c in columns}
    mapping: dict[str, str] = {}
    for target, names in GUESSES.items():
        for name in names:
            if name in lowered and lowered[name] not in mapping.values():
                mapping[target] = lowered[name]
                break
    return mapping
