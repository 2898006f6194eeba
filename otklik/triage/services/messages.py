"""Triage of stored messages: suggestions on ``Message.triage`` (the shape of ``otklik triage``).

Runs after ingestion (``otklik.inbox.tasks.messages_ingested``). One bad message never stops the
batch: it gets ``{"error": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction

from otklik.triage.engine import ENGINE_VERSION, Refs, Triager, triage_row

from .context import TriageContext, _config, _context, _default_gazetteer, _default_rubric, log
from .repeats import _author_key, _RepeatState, find_repeat, repeat_index_for

CHUNK = 500


def _error_row(exc: BaseException, engine: str) -> dict[str, Any]:
    return {"error": f"{type(exc).__name__}: {exc}"[:500], "engine": engine}


def triage_message(message: Any, ctx: TriageContext, st: _RepeatState | None, res: Any = None) -> dict[str, Any]:
    """The suggestions for one message (never raises: a failure becomes ``{"error": ...}``).

    ``res``: the message's ``TriageResult`` if it was analysed with others (``triage_messages``).
    """
    if res is None or isinstance(res, Exception):
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
                topic=res.topic,
            )
        except Exception:  # the other suggestions are still worth showing
            log.exception("triage: repeat search failed for message %s", message.pk)
    numbers = st.numbers if st is not None else {}
    refs = Refs(
        topic_ids=ctx.refs.topic_ids,
        place_ids=ctx.refs.place_ids,
        case_number=numbers.get,
        topic_departments=ctx.refs.topic_departments,
    )
    return triage_row(res, repeat=repeat, refs=refs, engine=ctx.engine, text=message.text or "")


def _analyze_all(ctx: TriageContext, items: list[Any]) -> list[Any]:
    """The messages analysed in one call (the topic model predicts them together); on a failure,
    None for each, so that ``triage_message`` analyses them one by one and isolates the bad one."""
    try:
        return ctx.triager.analyze_many(
            [(m.text or "", m.author_name or None, m.network or None, m.published_at or m.received_at) for m in items]
        )
    except Exception:
        log.exception("triage: batch analysis failed; analysing the messages one by one")
        return [None] * len(items)


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
            for m, res in zip(items, _analyze_all(ctx, items), strict=True):
                m.triage = triage_message(m, ctx, st, res)
            with transaction.atomic():
                for m in items:
                    try:
                        with transaction.atomic():
                            m.save(update_fields=["triage"])
                        done += 1
                    except DatabaseError:
                        log.exception("triage: cannot store the suggestions of message %s", m.pk)
    return done
