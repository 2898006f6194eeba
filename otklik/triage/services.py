"""The Django adapter of the triage engine (П.6, 8, 17, 19, 23).

* ``triager_for(administration)`` — a ``Triager`` from the administration's active Topic rows,
  its Place rows and its trained model file (``OTKLIK_DATA_DIR/models/<slug>.pkl``); no rows →
  the shipped defaults. Cached per administration in the process and rebuilt when the rows or
  the model file change (the check costs two small queries and one ``stat`` per batch).
* ``triage_messages(message_ids)`` — runs after ingestion and stores the suggestions on
  ``Message.triage`` in the same shape as ``otklik triage`` prints (``engine.output.triage_row``).
  One bad message never stops the batch: it gets ``{"error": ...}``.
* Repeats (П.17): an index of the administration's earlier cases (first message text, author,
  place, detection time), built lazily, updated incrementally with new and changed cases.
* ``record_decision(case)`` / ``label_decisions()`` — the curator's decisions as ``TriageLabel``
  rows; ``retrain_topic_models()`` trains each administration's topic model on them.
* ``spikes_for(administration, now)`` — П.23 heightened activity per (topic, place).
* ``cli_parts(slug)`` — what ``otklik triage`` needs from the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from otklik.organization.models import Administration, Place, Topic
from otklik.triage.engine import (
    ENGINE_VERSION,
    Gazetteer,
    Refs,
    RepeatIndex,
    RepeatMatch,
    Rubric,
    SpikeDetector,
    TopicModel,
    TriageConfig,
    Triager,
    triage_row,
)

log = logging.getLogger(__name__)

LABEL_ACTIONS = ("detect", "triage", "refuse")
MIN_LABELS = 30
MIN_TOPICS = 2
HOLDOUT_SHARE = 0.2
CHUNK = 500


# --------------------------------------------------------------------------------------------
# the administration's triager


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
_indexes: dict[int, _RepeatState] = {}
_lock = threading.RLock()


def reset_caches() -> None:
    """Forget every cached triager and repeat index (tests; after restoring a database)."""
    with _lock:
        _contexts.clear()
        _indexes.clear()


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
    path = model_path(adm)
    stamp = _model_stamp(path)
    key = (_identity(adm), _digest(topic_rows), _digest(place_rows), stamp)
    with _lock:
        ctx = _contexts.get(adm.pk)
        if ctx is not None and ctx.key == key:
            return ctx
    ctx = _build_context(adm, key, topic_rows, place_rows, path, stamp)
    with _lock:
        _contexts[adm.pk] = ctx
    return ctx


def _build_context(
    adm: Administration,
    key: tuple[Any, ...],
    topic_rows: list[tuple[Any, ...]],
    place_rows: list[tuple[Any, ...]],
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
        refs=Refs(topic_ids=topic_ids, place_ids=place_ids),
        engine=engine,
        from_db=bool(topic_rows or place_rows or model),
    )


def triager_for(administration: Administration) -> Triager:
    """The administration's Triager (its rubric, gazetteer and model; defaults where it has none)."""
    return _context(administration).triager


# --------------------------------------------------------------------------------------------
# П.17: the index of earlier cases


@dataclass(slots=True)
class _RepeatState:
    ident: tuple[Any, ...]
    index: RepeatIndex
    numbers: dict[int, int] = field(default_factory=dict)  # case id -> number (indexed cases only)
    stamps: dict[int, Any] = field(default_factory=dict)  # case id -> updated_at when indexed
    max_id: int = 0  # every case up to this id has been seen (its updated_at is in stamps)
    event_id: int = 0  # case events up to this id have been applied
    built_at: float = 0.0


EVENT_OVERLAP = 200


def _max_age() -> float:
    return float((getattr(settings, "OTKLIK_TRIAGE", {}) or {}).get("index_max_age_seconds", 24 * 3600))


def _author_key(network: str, author_id: str) -> str | None:
    return f"{network}:{author_id}" if author_id else None


Entry = tuple[int, int, str, str | None, str, Any, str, Any]


def _case_entries(adm: Administration, case_filter: Q, known: dict[int, Any] | None = None) -> Iterable[Entry]:
    """(case id, number, first message text, author key, place, detected_at, state, updated_at).

    With ``known`` (case id -> updated_at already indexed), unchanged cases are skipped before
    their messages are read.
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
        first: dict[int, tuple[str, str | None]] = {}
        rows = (
            Message.objects.filter(case_id__in=[c[0] for c in part])
            .order_by("case_id", "received_at", "id")
            .values_list("case_id", "text", "network", "author_id")
        )
        for case_id, text, network, author_id in rows:
            if case_id not in first:
                first[case_id] = (text, _author_key(network, author_id))
        for case_id, number, summary, place, detected_at, state, updated_at in part:
            text, author = first.get(case_id, (summary, None))
            yield case_id, number, text or summary or "", author, place or "", detected_at, state, updated_at


def _index_case(st: _RepeatState, entry: Entry) -> None:
    from otklik.domain.workflow import State

    case_id, number, text, author, place, detected_at, state, updated_at = entry
    st.stamps[case_id] = updated_at
    if state == State.REFUSED.value or not text.strip():
        # П.19 refusals are not issues handled; drop a case refused since it was indexed.
        st.index.remove(case_id)
        st.numbers.pop(case_id, None)
        return
    st.index.add(case_id, text, author, place or None, detected_at)
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
    st.built_at = time.monotonic()
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


def repeat_index_for(adm: Administration) -> _RepeatState:
    """The cached, synced index of the administration's earlier cases."""
    with _lock:
        st = _indexes.get(adm.pk)
        fresh = (
            st is not None
            and st.ident == _identity(adm)
            and time.monotonic() - st.built_at < _max_age()
            and not (st.index.dead > 100 and st.index.dead > len(st.index) // 4)
            and _sync(adm, st)
        )
        if not fresh:
            st = build_repeat_index(adm)
            _indexes[adm.pk] = st
        assert st is not None
        return st


def find_repeat(
    st: _RepeatState,
    text: str,
    *,
    author: str | None,
    places: Sequence[str],
    at: dt.datetime | None,
    exclude: int | None = None,
    lemmas: Sequence[str] | None = None,
) -> RepeatMatch | None:
    match = st.index.find(text, author, list(places), at, exclude=exclude, lemmas=lemmas)
    if match is None or match.case_id not in st.numbers:  # only this administration's cases
        return None
    return match


# --------------------------------------------------------------------------------------------
# triage of stored messages


def _error_row(exc: BaseException, engine: str) -> dict[str, Any]:
    return {"error": f"{type(exc).__name__}: {exc}"[:500], "engine": engine}


def triage_message(message: Any, ctx: TriageContext, st: _RepeatState | None) -> dict[str, Any]:
    """The suggestions for one message (never raises: a failure becomes ``{"error": ...}``)."""
    try:
        res = ctx.triager.analyze(
            message.text or "",
            author=message.author_name or None,
            source=message.network or None,
            published_at=message.published_at or message.received_at,
        )
    except Exception as exc:
        log.exception("triage: message %s failed", message.pk)
        return _error_row(exc, ctx.engine)
    repeat = None
    if st is not None and (message.text or "").strip():
        try:
            repeat = find_repeat(
                st,
                message.text,
                author=_author_key(message.network, message.author_id),
                places=[p.name for p in res.places],
                at=message.received_at,
                exclude=message.case_id,
                lemmas=res.content_lemmas,
            )
        except Exception:  # the other suggestions are still worth showing
            log.exception("triage: repeat search failed for message %s", message.pk)
    numbers = st.numbers if st is not None else {}
    refs = Refs(topic_ids=ctx.refs.topic_ids, place_ids=ctx.refs.place_ids, case_number=numbers.get)
    return triage_row(res, repeat=repeat, refs=refs, engine=ctx.engine)


def _fallback_context() -> TriageContext:
    return TriageContext(
        key=(),
        triager=Triager(rubric=_default_rubric(), gazetteer=_default_gazetteer(), config=_config()),
        refs=Refs(),
        engine=f"{ENGINE_VERSION}+rules",
        from_db=False,
    )


def triage_messages(message_ids: Iterable[int]) -> int:
    """Triage the messages and store the suggestions on ``Message.triage``; returns how many."""
    from otklik.inbox.models import Message

    ids = list(dict.fromkeys(int(i) for i in message_ids))
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        messages = list(
            Message.objects.filter(pk__in=chunk)
            .select_related("administration")
            .only(
                "id",
                "administration",
                "text",
                "author_name",
                "author_id",
                "network",
                "published_at",
                "received_at",
                "case_id",
                "triage",
            )
            .order_by("received_at", "id")
        )
        by_adm: dict[int, list[Any]] = {}
        for m in messages:
            by_adm.setdefault(m.administration_id, []).append(m)
        for items in by_adm.values():
            adm = items[0].administration
            try:
                ctx = _context(adm)
            except Exception:
                log.exception("triage: cannot build the triager of %s; shipped defaults", adm.slug)
                ctx = _fallback_context()
            try:
                st: _RepeatState | None = repeat_index_for(adm)
            except Exception:
                log.exception("triage: cannot build the repeat index of %s", adm.slug)
                st = None
            for m in items:
                m.triage = triage_message(m, ctx, st)
            with transaction.atomic():
                for m in items:
                    try:
                        with transaction.atomic():
                            m.save(update_fields=["triage"])
                        done += 1
                    except DatabaseError:
                        log.exception("triage: cannot store the suggestions of message %s", m.pk)
    return done


# --------------------------------------------------------------------------------------------
# the curator's decisions as labels


def record_decision(case: Any) -> Any:
    """Store (or update) the label of a case: the first message's suggestions vs the decision."""
    from otklik.cases.models import CaseEvent
    from otklik.domain.workflow import State
    from otklik.triage.models import TriageLabel

    message = case.messages.order_by("received_at", "id").first()
    hints = message.triage if message is not None and isinstance(message.triage, dict) else {}
    if "error" in hints:
        hints = {}
    places = hints.get("places") or []
    first_place = places[0] if places and isinstance(places[0], dict) else {}
    screen: dict[str, Any] = hints["screen"] if isinstance(hints.get("screen"), dict) else {}
    importance: dict[str, Any] = hints["importance"] if isinstance(hints.get("importance"), dict) else {}
    last_event = CaseEvent.objects.filter(case_id=case.pk, action__in=LABEL_ACTIONS).aggregate(m=Max("id"))["m"] or 0
    suggested_repeat = hints.get("repeat_of")
    values = {
        "administration_id": case.administration_id,
        "message": message,
        "suggested_topic": str(hints.get("topic") or "")[:64],
        "chosen_topics": sorted(case.topics.values_list("code", flat=True)),
        "suggested_place": str(first_place.get("name") or "")[:255],
        "chosen_place": case.place.name if case.place_id else "",
        "suggested_importance": str(importance.get("level") or "")[:16],
        "chosen_importance": case.importance or "",
        "suggested_repeat_of": suggested_repeat if isinstance(suggested_repeat, int) else None,
        "chosen_repeat_of": case.repeat_of_id,
        "suggested_processable": screen.get("processable") if isinstance(screen.get("processable"), bool) else None,
        "refused": case.state == State.REFUSED.value or bool(case.refusal_reason),
        "last_event_id": last_event,
    }
    try:
        with transaction.atomic():
            label, _ = TriageLabel.objects.update_or_create(case_id=case.pk, defaults=values)
    except IntegrityError:  # a concurrent run created it first
        label, _ = TriageLabel.objects.update_or_create(case_id=case.pk, defaults=values)
    return label


def label_decisions(now: dt.datetime | None = None, *, overlap: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Record labels for the cases detected, triaged or refused since the last run; idempotent.

    The watermark is the highest case event already labelled; events of the last ``overlap``
    are looked at again, for transactions that committed after a later event was labelled.
    """
    from otklik.cases.models import Case, CaseEvent
    from otklik.triage.models import TriageLabel

    now = now or timezone.now()
    watermark = TriageLabel.objects.aggregate(m=Max("last_event_id"))["m"] or 0
    case_ids = sorted(
        set(
            CaseEvent.objects.filter(action__in=LABEL_ACTIONS)
            .filter(Q(id__gt=watermark) | Q(at__gte=now - overlap))
            .values_list("case_id", flat=True)
        )
    )
    done = 0
    for start in range(0, len(case_ids), CHUNK):
        cases = Case.objects.filter(pk__in=case_ids[start : start + CHUNK]).select_related("place")
        for case in cases:
            try:
                record_decision(case)
                done += 1
            except Exception:
                log.exception("triage: cannot label case %s", case.pk)
    if done:
        log.info("triage: %d decisions labelled", done)
    return done


# --------------------------------------------------------------------------------------------
# retraining


def training_records(administration: Administration) -> list[dict[str, str]]:
    """(first message text, the curator's topic code) per labelled, processed case, oldest first."""
    from otklik.triage.models import TriageLabel

    out = []
    labels = (
        TriageLabel.objects.filter(administration=administration, refused=False)
        .select_related("message", "case")
        .order_by("id")
    )
    for label in labels:
        topic = label.primary_topic
        text = label.message.text if label.message is not None else label.case.summary
        if topic and text and text.strip():
            out.append({"text": text, "topic": topic})
    return out


def _accuracy(triager: Triager, records: Sequence[dict[str, str]]) -> float:
    if not records:
        return 0.0
    return sum(triager.analyze(r["text"]).topic == r["topic"] for r in records) / len(records)


def retrain_topic_model(administration: Administration) -> dict[str, Any]:
    """Train on the curators' labels; save when rules+model do at least as well as rules alone.

    The figures are measured on a held-out 20 % (shuffled with a fixed seed); the saved model is
    then trained on all the labels.
    """
    records = training_records(administration)
    topics = {r["topic"] for r in records}
    result: dict[str, Any] = {"administration": administration.slug, "labels": len(records), "topics": len(topics)}
    if len(records) < MIN_LABELS or len(topics) < MIN_TOPICS:
        result["status"] = "skipped"
        return result
    rng = random.Random(administration.pk)
    shuffled = list(records)
    rng.shuffle(shuffled)
    n_test = max(1, round(len(shuffled) * HOLDOUT_SHARE))
    test, train = shuffled[:n_test], shuffled[n_test:]
    ctx = _context(administration)
    rules = Triager(rubric=ctx.triager.rubric, gazetteer=ctx.triager.gazetteer, config=ctx.triager.config)
    result["rules_accuracy"] = round(_accuracy(rules, test), 4)
    try:
        trial = TopicModel.train(train)
    except ValueError:  # the training part has a single topic
        trial = None
    if trial is not None:
        combined = Triager(rubric=rules.rubric, gazetteer=rules.gazetteer, model=trial, config=rules.config)
        result["model_accuracy"] = round(_accuracy(combined, test), 4)
    else:
        result["model_accuracy"] = 0.0
    result["held_out"] = len(test)
    path = model_path(administration)
    if result["model_accuracy"] < result["rules_accuracy"]:
        result["status"] = "not_better"
        log.warning(
            "triage: model of %s not saved: held-out accuracy %.3f with the model, %.3f by rules (%d labels)",
            administration.slug,
            result["model_accuracy"],
            result["rules_accuracy"],
            len(records),
        )
    else:
        TopicModel.train(records).save(path)
        result["status"] = "saved"
        result["path"] = str(path)
        log.info(
            "triage: model of %s saved to %s: held-out accuracy %.3f (rules alone %.3f), %d labels, %d topics",
            administration.slug,
            path,
            result["model_accuracy"],
            result["rules_accuracy"],
            len(records),
            len(topics),
        )
    result["trained_at"] = timezone.now().isoformat()
    _write_json(path.with_suffix(".json"), result)
    return result


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        log.exception("triage: cannot write %s", path)


def retrain_topic_models() -> list[dict[str, Any]]:
    out = []
    for adm in Administration.objects.filter(is_active=True).order_by("id"):
        try:
            out.append(retrain_topic_model(adm))
        except Exception:
            log.exception("triage: retraining failed for %s", adm.slug)
            out.append({"administration": adm.slug, "status": "failed"})
    return out


# --------------------------------------------------------------------------------------------
# П.23: heightened activity


def _detector() -> SpikeDetector:
    options = getattr(settings, "OTKLIK_SPIKE_DETECTOR", {}) or {}
    return SpikeDetector(
        window=dt.timedelta(hours=float(options.get("window_hours", 24))),
        baseline_windows=int(options.get("baseline_windows", 14)),
        min_count=int(options.get("min_count", 3)),
    )


def spikes_for(
    administration: Administration, now: dt.datetime | None = None, *, detector: SpikeDetector | None = None
) -> list[dict[str, Any]]:
    """Spikes of messages per (topic, place) against their own baseline, from ``Message.triage``.

    A message counts once per place it names (or once with no place), at its publication time
    when known (a first poll that brings two weeks of posts is not a spike), else its receipt.
    """
    from otklik.inbox.models import Message

    now = now or timezone.now()
    detector = detector or _detector()
    since = now - detector.window * (detector.baseline_windows + 1)
    rows = (
        Message.objects.filter(administration=administration, received_at__gte=since, received_at__lte=now)
        .exclude(triage={})
        .values_list("triage", "published_at", "received_at")
    )
    meta: dict[tuple[str, str], dict[str, Any]] = {}
    events = []
    for triage, published_at, received_at in rows.iterator(chunk_size=2000):
        if not isinstance(triage, dict) or "error" in triage or not triage.get("topic"):
            continue
        at = published_at if published_at is not None and since <= published_at <= now else received_at
        topic_name = str(triage.get("topic_name") or triage["topic"])
        places = [p for p in triage.get("places") or [] if isinstance(p, dict) and p.get("name")] or [{}]
        for place in places:
            key = (topic_name, str(place.get("name") or ""))
            if key not in meta:
                meta[key] = {
                    "topic": triage["topic"],
                    "topic_name": topic_name,
                    "topic_id": triage.get("topic_id"),
                    "place": key[1],
                    "place_id": place.get("place_id"),
                }
            events.append((key, at))
    out = []
    for alert in detector.detect_events(events, now):
        out.append(
            {
                **meta[alert.key],  # type: ignore[index]
                "count": alert.count,
                "baseline": alert.baseline,
                "z": alert.z,
                "p_value": alert.p_value,
                "window_hours": detector.window.total_seconds() / 3600,
                "explanation": alert.explanation,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# the CLI


class AdministrationChoiceError(ValueError):
    """Several administrations and none chosen, or an unknown slug (shown to the user)."""


@dataclass(slots=True)
class CliParts:
    administration: str
    rubric: Rubric
    gazetteer: Gazetteer
    model: TopicModel | None
    index: RepeatIndex
    refs: Refs
    engine: str


def cli_parts(slug: str | None = None) -> CliParts | None:
    """The administration's rubric, gazetteer, model and earlier cases for ``otklik triage``.

    None when the database has no administrations (the CLI then uses the shipped defaults).
    Raises ``AdministrationChoiceError`` for an unknown slug or when several administrations
    exist and none is named.
    """
    if slug:
        adm = Administration.objects.filter(slug=slug).first()
        if adm is None:
            raise AdministrationChoiceError(f"администрация «{slug}» не найдена")
    else:
        found = list(Administration.objects.filter(is_active=True).order_by("id")[:2])
        if not found:
            return None
        if len(found) > 1:
            slugs = ", ".join(Administration.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise AdministrationChoiceError(f"в базе несколько администраций, укажите --administration ({slugs})")
        adm = found[0]
    ctx = _context(adm)
    st = build_repeat_index(adm)
    return CliParts(
        administration=adm.slug,
        rubric=ctx.triager.rubric,
        gazetteer=ctx.triager.gazetteer,
        model=ctx.triager.model,
        index=st.index,
        refs=Refs(topic_ids=ctx.refs.topic_ids, place_ids=ctx.refs.place_ids, case_number=st.numbers.get),
        engine=ctx.engine,
    )
