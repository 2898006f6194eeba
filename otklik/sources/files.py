"""Streaming import of messages from CSV, XLSX and JSONL files with a column mapping.

``read_messages(path, mapping=...)`` yields ``(row_number, IncomingMessage | RowError)`` one row at
a time (openpyxl in read-only mode, csv and JSONL line by line), so a 100 000-row file is read in
constant memory. Bad rows become ``RowError`` with a Russian reason; good rows go on.

Mapping: ``{target_field: source_column}`` with targets ``text`` (required), ``external_id``,
``url``, ``author_name``, ``author_id``, ``author_url``, ``published_at``, ``network``. Without an
``external_id`` column the id is a stable hash of the row's mapped values, so importing the same
file again adds nothing. Dates: ISO 8601 or ``dd.mm.yyyy HH:MM`` (``dd.mm.yyyy`` alone too); a
naive date is in ``tz`` (default Asia/Chita) and is stored in UTC.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from otklik.domain.messages import IncomingMessage
from otklik.sources.errors import ConfigurationError

DEFAULT_TZ = "Asia/Chita"
TARGETS = {
    "text",
    "external_id",
    "url",
    "author_name",
    "author_id",
    "author_url",
    "published_at",
    "network",
}
FORMATS = {"csv", "xlsx", "jsonl"}
_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    values: Mapping[str, Any] | None = None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"csv", "txt", "tsv"}:
        return "csv"
    if suffix in {"xlsx", "xlsm"}:
        return "xlsx"
    if suffix in {"jsonl", "ndjson"}:
        return "jsonl"
    raise ConfigurationError(f"неизвестный формат файла «{path.name}»: поддерживаются CSV, XLSX и JSONL", source="file")


def validate_mapping(mapping: Mapping[str, str]) -> None:
    unknown = set(mapping) - TARGETS
    if unknown:
        raise ConfigurationError(
            f"неизвестные поля в сопоставлении: {', '.join(sorted(unknown))}; допустимы: {', '.join(sorted(TARGETS))}",
            source="file",
        )
    if "text" not in mapping:
        raise ConfigurationError("в сопоставлении нет столбца для поля text", source="file")


def parse_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 or dd.mm.yyyy[ HH:MM[:SS]]; a naive value is in ``tz``; result in UTC."""
    if value is None or value == "":
        return None
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if parsed is None:
        text = str(value).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            match = _RU_DATE.match(text)
            if match:
                day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
                try:
                    parsed = datetime(year, month, day, hour, minute, second)
                except ValueError:
                    parsed = None
        if parsed is None:
            raise ValueError(f"дата «{text}» не в формате ISO 8601 или дд.мм.гггг ЧЧ:ММ")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def row_hash(values: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {k: "" if v is None else str(v).strip() for k, v in sorted(values.items())},
        ensure_ascii=False,
        sort_keys=True,
    )
    return "row-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def row_to_message(
    row: Mapping[str, Any],
    *,
    row_number: int,
    mapping: Mapping[str, str],
    tz: ZoneInfo,
    network: str = "file",
) -> IncomingMessage | RowError:
    missing = [column for column in mapping.values() if column not in row]
    if missing:
        return RowError(row_number, f"нет столбца «{missing[0]}»", row)
    values = {target: row.get(column) for target, column in mapping.items()}

    def text_of(key: str) -> str:
        value = values.get(key)
        return "" if value is None else str(value).strip()

    text = text_of("text")
    if not text:
        return RowError(row_number, "пустой текст сообщения", row)
    external_id = text_of("external_id") if "external_id" in mapping else ""
    if "external_id" in mapping and not external_id:
        return RowError(row_number, "пустой идентификатор сообщения", row)
    if not external_id:
        external_id = row_hash(values)
    try:
        published_at = parse_datetime(values.get("published_at"), tz)
    except ValueError as exc:
        return RowError(row_number, str(exc), row)
    raw = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    return IncomingMessage(
        network=text_of("network") or network,
        external_id=external_id,
        text=text,
        url=text_of("url"),
        author_name=text_of("author_name"),
        author_id=text_of("author_id"),
        author_url=text_of("author_url"),
        published_at=published_at,
        raw=raw,
    )


def _csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    raw = path.open("rb")
    try:
        head = raw.read(65536)
        raw.seek(0)
        encoding = "utf-8-sig"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A cut multi-byte character at the end of the sample is still UTF-8.
            encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "cp1251"
        header = head.decode(encoding, errors="ignore").splitlines()[0] if head else ""
        # Russian Excel writes ";"; others ",": the header line decides.
        delimiter = max(";,\t", key=header.count) if header else ","
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        yield from csv.DictReader(text, delimiter=delimiter)
    finally:
        raw.close()


def _xlsx_rows(path: Path) -> Iterator[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.active
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else f"column{n}" for n, h in enumerate(header)]
        for values in rows:
            if values is None or all(v is None for v in values):
                yield {}
                continue
            yield dict(zip(names, values, strict=False))
    finally:
        workbook.close()


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any] | str]:
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if not line.strip():
                yield {}
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"строка не JSON: {exc.msg}"
                continue
            yield item if isinstance(item, dict) else "строка JSON не объект"


def read_messages(
    path: str | Path,
    *,
    mapping: Mapping[str, str],
    fmt: str | None = None,
    tz: str = DEFAULT_TZ,
    network: str = "file",
) -> Iterator[tuple[int, IncomingMessage | RowError]]:
    """Yield ``(row_number, message or RowError)``. Row numbers are the ones a person sees:
    the header is row 1 of a CSV/XLSX, so the first data row is 2; JSONL counts lines from 1."""
    path = Path(path)
    validate_mapping(mapping)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ConfigurationError(f"неизвестный формат «{fmt}»", source="file")
    if not path.exists():
        raise ConfigurationError(f"файл «{path}» не найден", source="file")
    zone = ZoneInfo(tz)
    rows: Iterator[Any]
    first = 2
    if fmt == "csv":
        rows = _csv_rows(path)
    elif fmt == "xlsx":
        rows = _xlsx_rows(path)
    else:
        rows, first = _jsonl_rows(path), 1
    for number, row in enumerate(rows, start=first):
        if isinstance(row, str):
            yield number, RowError(number, row)
            continue
        if not row or all(v in (None, "") for v in row.values()):
            continue  # blank lines are not errors
        yield number, row_to_message(row, row_number=number, mapping=mapping, tz=zone, network=network)
