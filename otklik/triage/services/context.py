"""The administration's triager: its rubric (Topic rows), gazetteer (Place rows), trained model
file (``OTKLIK_DATA_DIR/models/<slug>.pkl``) and the departments competent for each topic.

No rows → the shipped defaults. Cached per administration in the process and rebuilt when the
rows or the model file change (the check costs a few small queries and one ``stat`` per batch).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from otklik.organization.models import Administration, Department, Place, Topic
from otklik.triage.engine import ENGINE_VERSION, Gazetteer, Refs, Rubric, TopicModel, TriageConfig, Triager

log = logging.getLogger("otklik.triage.services")


def model_path(administration: Administration) -> Path:
    return Path(settings.OTKLIK_DATA_DIR) / "models" / f"{administration.slug}.pkl"


@functools.lru_cache(maxsize=1)
def _default_rubric() -> Rubric:
    return Rubric.default()


@functools.lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    return Gazetteer.default()


def _config() -> TriageConfig:
    options = getattr(settings, "OTKLIK_TRIAGE", {}) or {}
    return TriageConfig(
        # NER finds places the gazetteer lacks; warm, it costs ~1.5 ms a message in the worker.
        ner=bool(options.get("ner", True)),
        public_authors=tuple(options.get("public_authors", ())),
    )


@dataclass(slots=True)
class TriageContext:
    """Everything one batch of one administration needs, built from its rows and model file."""

    key: tuple[Any, ...]
    triager: Triager
    refs: Refs
    engine: str
    from_db: bool  # False: the shipped defaults (no Topic and no Place rows, no model)


_contexts: dict[int, TriageContext] = {}
lock = threading.RLock()  # guards this module's and ``repeats``' caches


def _identity(adm: Administration) -> tuple[Any, ...]:
    # The pk alone is not enough: a test database may reuse ids for another administration.
    return (adm.pk, adm.slug, adm.created_at.isoformat() if adm.created_at else "")


def _digest(rows: Sequence[Any]) -> str:
    return hashlib.blake2b(repr(rows).encode("utf-8"), digest_size=12).hexdigest()


def _model_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _context(adm: Administration) -> TriageContext:
    topic_rows = list(
        Topic.objects.filter(administration=adm, is_active=True)
        .order_by("id")
        .values_list("id", "code", "name", "keywords")
    )
    place_rows = list(
        Place.objects.filter(administration=adm)
        .order_by("id")
        .values_list("id", "name", "kind", "aliases", "parent__name")
    )
    dept_rows = list(
        Department.topics.through.objects.filter(
            department__administration=adm, department__is_active=True, topic__is_active=True
        )
        .order_by("department_id", "topic_id")
        .values_list("topic__code", "department_id", "department__name")
    )
    path = model_path(adm)
    stamp = _model_stamp(path)
    key = (_identity(adm), _digest(topic_rows), _digest(place_rows), _digest(dept_rows), stamp)
    with lock:
        ctx = _contexts.get(adm.pk)
        if ctx is not None and ctx.key == key:
            return ctx
    ctx = _build_context(adm, key, topic_rows, place_rows, dept_rows, path, stamp)
    with lock:
        _contexts[adm.pk] = ctx
    return ctx


def _build_context(
    adm: Administration,
    key: tuple[Any, ...],
    topic_rows: list[tuple[Any, ...]],
    place_rows: list[tuple[Any, ...]],
    dept_rows: list[tuple[Any, ...]],
    path: Path,
    stamp: tuple[int, int] | None,
) -> TriageContext:
    t0 = time.perf_counter()
    if topic_rows:
        rubric = Rubric.from_records(
            [{"code": code, "name": name, "keywords": kw} for _, code, name, kw in topic_rows],
            inherit=_default_rubric(),
        )
    else:
        rubric = _default_rubric()
    if place_rows:
        gazetteer = Gazetteer.from_records(
            [
                {"name": name, "kind": kind, "aliases": aliases, "parent": parent or ""}
                for _, name, kind, aliases, parent in place_rows
            ]
        )
    else:
        gazetteer = _default_gazetteer()
    model = None
    engine = f"{ENGINE_VERSION}+rules"
    if stamp is not None:
        try:
            model = TopicModel.load(path)
            trained = dt.datetime.fromtimestamp(stamp[0] / 1e9, tz=dt.UTC)
            engine = f"{ENGINE_VERSION}+model@{trained:%Y-%m-%dT%H:%M:%SZ}"
        except Exception:  # a broken or foreign file must not stop triage
            log.exception("triage: cannot load the topic model %s; rules only", path)
    topic_ids = {code: pk for pk, code, _, _ in topic_rows}
    by_name: dict[str, list[int]] = {}
    place_ids: dict[Any, int] = {}
    for pk, name, _, _, parent in place_rows:
        place_ids[(name, parent or "")] = pk
        by_name.setdefault(name, []).append(pk)
    for name, pks in by_name.items():
        if len(pks) == 1:
            place_ids[name] = pks[0]
    topic_departments: dict[str, list[tuple[int, str]]] = {}
    for code, dept_id, dept_name in dept_rows:
        topic_departments.setdefault(code, []).append((dept_id, dept_name))
    triager = Triager(rubric=rubric, gazetteer=gazetteer, model=model, config=_config())
    log.info(
        "triage: built the triager of %s (%d topics, %d places, model=%s) in %.0f ms",
        adm.slug,
        len(topic_rows),
        len(place_rows),
        model is not None,
        (time.perf_counter() - t0) * 1000,
    )
    return TriageContext(
        key=key,
        triager=triager,
        refs=Refs(topic_ids=topic_ids, place_ids=place_ids, topic_departments=topic_departments),
        engine=engine,
        from_db=bool(topic_rows or place_rows or model),
    )


def triager_for(administration: Administration) -> Triager:
    """The administration's Triager (its rubric, gazetteer and model; defaults where it has none)."""
    return _context(administration).triager
