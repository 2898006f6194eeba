"""JSONL in, JSONL out: the body of ``otklik triage`` (the Django command is a thin wrapper).

Input lines: ``{"id", "text", "source"?, "author"?, "published_at"?}``. One output line per
input line; a bad line gets ``{"line": N, "error": "..."}`` and the rest are still processed.
The output shape is ``output.triage_row`` (the same as ``Message.triage``) with ``"id"`` first.
``repeat_of`` is computed among the earlier lines of the same input (and against ``index`` if
given, e.g. pre-filled with the database's earlier cases).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .model import TopicModel
from .output import ENGINE_VERSION, LineRef, Refs, triage_row
from .repeats import RepeatIndex
from .rubric import Rubric
from .triager import Triager


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(slots=True)
class BatchStats:
    total: int = 0
    ok: int = 0
    errors: int = 0


def _parse_dt(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("published_at должен быть строкой ISO 8601")
    return datetime.fromisoformat(value.strip())


def _opt_str(rec: dict[str, Any], key: str) -> str | None:
    v = rec.get(key)
    return None if v is None else str(v)


CHUNK = 256


def _parse_line(line: str) -> dict[str, Any]:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"некорректный JSON (позиция {exc.pos})") from None
    if not isinstance(rec, dict):
        raise ValueError("строка должна быть объектом JSON")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("нет поля text")
    rec["_at"] = _parse_dt(rec.get("published_at"))
    return rec


def triage_lines(
    lines: Iterable[str],
    triager: Triager,
    *,
    index: RepeatIndex | None = None,
    refs: Refs | None = None,
    engine: str = ENGINE_VERSION,
) -> Iterator[dict[str, Any]]:
    """One output row per non-empty line: ``{"id", **triage_row}`` or ``{"line", "error"}``.

    ``index`` may hold stored cases (keys: case ids, resolved to numbers by ``refs``); earlier
    lines of this input are added to it as ``LineRef`` keys and reported by their own id. Lines
    are analysed in chunks (the topic model predicts a chunk in one call); the output keeps the
    input's order.
    """
    index = index if index is not None else RepeatIndex()
    chunk: list[tuple[int, dict[str, Any] | str]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            chunk.append((n, _parse_line(line)))
        except (ValueError, TypeError) as exc:
            chunk.append((n, str(exc)))
        if len(chunk) >= CHUNK:
            yield from _triage_chunk(chunk, triager, index, refs, engine)
            chunk = []
    if chunk:
        yield from _triage_chunk(chunk, triager, index, refs, engine)


def _triage_chunk(
    chunk: list[tuple[int, dict[str, Any] | str]],
    triager: Triager,
    index: RepeatIndex,
    refs: Refs | None,
    engine: str,
) -> Iterator[dict[str, Any]]:
    good = [(n, rec) for n, rec in chunk if isinstance(rec, dict)]
    try:
        results = triager.analyze_many(
            [(rec["text"], _opt_str(rec, "author"), _opt_str(rec, "source"), rec["_at"]) for _, rec in good]
        )
    except (ValueError, TypeError):  # one bad line must not cost the chunk: analyse them one by one
        results = []
        for _, rec in good:
            try:
                results.append(
                    triager.analyze(
                        rec["text"],
                        author=_opt_str(rec, "author"),
                        source=_opt_str(rec, "source"),
                        published_at=rec["_at"],
                    )
                )
            except (ValueError, TypeError) as exc:
                results.append(exc)  # type: ignore[arg-type]
    by_line = dict(zip((n for n, _ in good), results, strict=True))
    for n, item in chunk:
        if isinstance(item, str):
            yield {"line": n, "error": item}
            continue
        rec = item
        res = by_line[n]
        if isinstance(res, Exception):
            yield {"line": n, "error": str(res)}
            continue
        text, author, at = rec["text"], _opt_str(rec, "author"), rec["_at"]
        place_names = [p.name for p in res.places]
        line_id = rec.get("id") if rec.get("id") is not None else n
        match = index.find(text, author, place_names, at, lemmas=res.content_lemmas, topic=res.topic)
        index.add(LineRef(line_id), text, author, place_names, at, topic=res.topic, lemmas=res.content_lemmas)
        yield {"id": rec.get("id"), **triage_row(res, repeat=match, refs=refs, engine=engine, text=text)}


def run_jsonl(
    lines: Iterable[str],
    out: Writer,
    triager: Triager,
    *,
    index: RepeatIndex | None = None,
    refs: Refs | None = None,
    engine: str = ENGINE_VERSION,
) -> BatchStats:
    stats = BatchStats()
    for row in triage_lines(lines, triager, index=index, refs=refs, engine=engine):
        stats.total += 1
        if "error" in row:
            stats.errors += 1
        else:
            stats.ok += 1
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return stats


def read_labelled(lines: Iterable[str]) -> tuple[list[dict[str, str]], list[str]]:
    records, errors = [], []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"некорректный JSON (позиция {exc.pos})") from None
            if not isinstance(rec, dict) or not rec.get("text") or not rec.get("topic"):
                raise ValueError("нужны поля text и topic")
            records.append({"text": str(rec["text"]), "topic": str(rec["topic"])})
        except ValueError as exc:
            errors.append(f"строка {n}: {exc}")
    return records, errors


def train_jsonl(
    lines: Iterable[str], model_path: str | Path, *, rubric: Rubric | None = None
) -> tuple[TopicModel, int, list[str]]:
    """Train the topic model on labelled JSONL and save it; returns (model, n, line errors).

    The learner is the better of the calibrated word+char model and plain TF-IDF + logistic
    regression by cross-validation; the rules (``rubric``, the shipped one by default) are
    blended in only if that helps on the same folds.
    """
    records, errors = read_labelled(lines)
    model = TopicModel.train(records, kind="auto", rubric=rubric or Rubric.default())
    model.save(model_path)
    return model, len(records), errors
