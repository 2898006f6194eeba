"""П.17: the index of an administration's earlier cases, for repeat suggestions.

First message text, ``network:author_id``, place, first topic and detection time of each case
(П.19 refusals excluded), built lazily, then synced per batch with new cases (ids above the
watermark) and cases edited by "triage"/"refuse" events; rebuilt after 24 h or when many entries
were replaced.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q

from otklik.organization.models import Administration
from otklik.triage.engine import RepeatIndex, RepeatMatch

from .context import _identity, lock, log

CHUNK = 500
_indexes: dict[int, _RepeatState] = {}


@dataclass(slots=True)
class _RepeatState:
    ident: tuple[Any, ...]
    index: RepeatIndex
    numbers: dict[int, int] = field(default_factory=dict)  # case id -> number (indexed cases only)
    stamps: dict[int, Any] = field(default_factory=dict)  # case id -> updated_at when indexed
    max_id: int = 0  # every case up to this id has been seen (its updated_at is in stamps)
    event_id: int = 0  # case events up to this id have been applied
    built_at: float = 0.0  # wall-clock time of the build (also across processes, via the snapshot)


EVENT_OVERLAP = 200


def _max_age() -> float:
    return float((getattr(settings, "OTKLIK_TRIAGE", {}) or {}).get("index_max_age_seconds", 24 * 3600))


def _author_key(network: str, author_id: str) -> str | None:
    return f"{network}:{author_id}" if author_id else None


Entry = tuple[int, int, str, str | None, str, Any, str, Any, str | None]


def _case_entries(adm: Administration, case_filter: Q, known: dict[int, Any] | None = None) -> Iterable[Entry]:
    """(case id, number, first message text, author key, place, detected_at, state, updated_at, topic).

    With ``known`` (case id -> updated_at already indexed), unchanged cases are skipped before
    their messages are read. ``topic`` is the code of the case's first topic.
    """
    from otklik.cases.models import Case
    from otklik.inbox.models import Message

    cases = [
        row
        for row in Case.objects.filter(case_filter, administration=adm)
        .order_by("id")
        .values_list("id", "number", "summary", "place__name", "detected_at", "state", "updated_at")
        if known is None or known.get(row[0]) != row[6]
    ]
    for start in range(0, len(cases), CHUNK):
        part = cases[start : start + CHUNK]
        ids = [c[0] for c in part]
        first: dict[int, tuple[str, str | None]] = {}
        rows = (
            Message.objects.filter(case_id__in=ids)
            .order_by("case_id", "received_at", "id")
            .values_list("case_id", "text", "network", "author_id")
        )
        for case_id, text, network, author_id in rows:
            if case_id not in first:
                first[case_id] = (text, _author_key(network, author_id))
        topics: dict[int, str] = {}
        for case_id, code in (
            Case.topics.through.objects.filter(case_id__in=ids)
            .order_by("case_id", "id")
            .values_list("case_id", "topic__code")
        ):
            topics.setdefault(case_id, code)
        for case_id, number, summary, place, detected_at, state, updated_at in part:
            text, author = first.get(case_id, (summary, None))
            yield (
                case_id,
                number,
                text or summary or "",
                author,
                place or "",
                detected_at,
                state,
                updated_at,
                topics.get(case_id),
            )


def _index_case(st: _RepeatState, entry: Entry) -> None:
    from otklik.domain.workflow import State

    case_id, number, text, author, place, detected_at, state, updated_at, topic = entry
    st.stamps[case_id] = updated_at
    if state == State.REFUSED.value or not text.strip():
        # П.19 refusals are not issues handled; drop a case refused since it was indexed.
        st.index.remove(case_id)
        st.numbers.pop(case_id, None)
        return
    st.index.add(case_id, text, author, place or None, detected_at, topic=topic)
    st.numbers[case_id] = number


def build_repeat_index(adm: Administration) -> _RepeatState:
    """A fresh index of all the administration's cases (not cached; the CLI extends its own)."""
    from otklik.cases.models import Case, CaseEvent

    t0 = time.perf_counter()
    st = _RepeatState(ident=_identity(adm), index=RepeatIndex())
    st.event_id = CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
    st.max_id = Case.objects.filter(administration=adm).aggregate(top=Max("id"))["top"] or 0
    for entry in _case_entries(adm, Q(id__lte=st.max_id)):
        _index_case(st, entry)
    st.built_at = time.time()
    log.info(
        "triage: repeat index of %s built: %d cases in %.0f ms",
        adm.slug,
        len(st.index),
        (time.perf_counter() - t0) * 1000,
    )
    return st


def _sync(adm: Administration, st: _RepeatState) -> bool:
    """Bring the index up to date; False when it must be rebuilt instead."""
    from otklik.cases.models import Case, CaseEvent

    agg = Case.objects.filter(administration=adm).aggregate(
        known=Count("id", filter=Q(id__lte=st.max_id)), top=Max("id")
    )
    if agg["known"] < len(st.stamps):
        return False  # cases never disappear: the database was restored or reset
    top = agg["top"] or 0
    changed = Q(id__gt=st.max_id, id__lte=top)
    # Place or refusal changes come with "triage"/"refuse" events: a range scan of the event
    # ids (with an overlap for transactions that committed late), never a scan of all cases.
    event_top = CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
    edited = set(
        CaseEvent.objects.filter(
            id__gt=max(0, st.event_id - EVENT_OVERLAP), case__administration=adm, action__in=("triage", "refuse")
        ).values_list("case_id", flat=True)
    )
    if edited:
        changed |= Q(id__in=sorted(i for i in edited if i <= st.max_id))
    if agg["known"] > len(st.stamps):
        # A transaction that took an id below our watermark committed after we had synced.
        ids = Case.objects.filter(administration=adm, id__lte=st.max_id).values_list("id", flat=True)
        changed |= Q(id__in=[i for i in ids.iterator(chunk_size=5000) if i not in st.stamps][:CHUNK])
    if top > st.max_id or edited or agg["known"] > len(st.stamps):
        for entry in _case_entries(adm, changed, st.stamps):
            _index_case(st, entry)
    st.max_id, st.event_id = top, event_top
    return True


def _usable(adm: Administration, st: _RepeatState | None) -> bool:
    return (
        st is not None
        and st.ident == _identity(adm)
        and time.time() - st.built_at < _max_age()
        and not (st.index.dead > 100 and st.index.dead > len(st.index) // 4)
        and _sync(adm, st)
    )


def repeat_index_for(adm: Administration) -> _RepeatState:
    """The cached, synced index of the administration's earlier cases."""
    with lock:
        st = _indexes.get(adm.pk)
        if not _usable(adm, st):
            st = private_repeat_index(adm)
            _indexes[adm.pk] = st
        assert st is not None
        return st


def private_repeat_index(adm: Administration) -> _RepeatState:
    """An up-to-date index of the administration's cases that the caller may extend (the CLI adds
    its input's lines): the snapshot synced, or a fresh build (then written as the snapshot)."""
    st = load_snapshot(adm)
    if _usable(adm, st):
        assert st is not None
        return st
    st = build_repeat_index(adm)
    save_snapshot(adm, st)
    return st


def snapshot_path(adm: Administration) -> Path:
    return Path(settings.OTKLIK_DATA_DIR) / "cache" / f"repeats-{adm.slug}.pkl"


def save_snapshot(adm: Administration, st: _RepeatState) -> None:
    """Write atomically (a temporary file, then ``os.replace``); a failure only costs speed."""
    path = snapshot_path(adm)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(st, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        log.exception("triage: cannot write the repeat index snapshot %s", path)


def load_snapshot(adm: Administration) -> _RepeatState | None:
    """The snapshot of this administration's index, or None (missing, foreign or unreadable)."""
    path = snapshot_path(adm)
    try:
        with path.open("rb") as fh:
            st = pickle.load(fh)  # our own file in OTKLIK_DATA_DIR, like the model files
    except FileNotFoundError:
        return None
    except Exception:
        log.warning("triage: unreadable repeat index snapshot %s; rebuilding", path, exc_info=True)
        return None
    return st if isinstance(st, _RepeatState) and st.ident == _identity(adm) else None


def find_repeat(
    st: _RepeatState,
    text: str,
    *,
    author: str | None,
    places: Sequence[str],
    at: dt.datetime | None,
    exclude: int | None = None,
    lemmas: Sequence[str] | None = None,
    topic: str | None = None,
) -> RepeatMatch | None:
    match = st.index.find(text, author, list(places), at, exclude=exclude, lemmas=lemmas, topic=topic)
    if match is None or match.case_id not in st.numbers:  # only this administration's cases
        return None
    return match
