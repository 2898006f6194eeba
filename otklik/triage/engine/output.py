"""The one output shape of a triaged message, shared by the CLI and the Django adapter.

    {"topic", "topic_name", "topic_id", "topic_confidence", "topic_confidence_name",
     "topic_candidates": [{"topic", "name", "score", "words"}],
     "departments": [{"id", "name"}],
     "places": [{"name", "kind", "kind_name", "place_id"}], "importance": {"level", "reasons"},
     "screen": {"processable", "reasons", "grounds", "ground_names"}, "repeat_of", "repeat_of_number",
     "repeat_reasons", "significant", "significance_reasons", "summary", "engine"}

``topic`` is null when the engine cannot tell («не определено»: ``topic_name``); the candidates are
still listed. ``departments`` are the departments whose competence includes the suggested topic
(from ``Refs.topic_departments``, in their order), what the triage form pre-selects. ``*_id`` and
``repeat_of_number`` come from ``Refs`` (the database's ids); without them they are null or empty.
``summary`` is the message as one line: a title and its body joined with punctuation
(«Нет воды в микрорайоне Северный. Жители третий день…»). The CLI adds ``"id"`` in front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .repeats import RepeatMatch
from .summary import summary_of
from .triager import CONFIDENCE_NAMES, TriageResult

ENGINE_VERSION = "otklik-triage/2.0"
PLACE_KIND_NAMES = {
    "okrug": "округ",
    "selo": "село",
    "poselok": "посёлок",
    "derevnya": "деревня",
    "settlement": "населённый пункт",
    "street": "улица",
    "object": "объект",
    "ner": "место по тексту, нет в справочнике",
}


@dataclass(frozen=True, slots=True)
class LineRef:
    """An earlier line of the same CLI input (not a stored case) as a repeat candidate."""

    id: Any


@dataclass(slots=True)
class Refs:
    """Database ids of the rubric's topics and the gazetteer's places, and case numbers."""

    topic_ids: Mapping[str, int] = field(default_factory=dict)
    # (name, parent) -> id, and name -> id for names that are unique
    place_ids: Mapping[tuple[str, str] | str, int] = field(default_factory=dict)
    case_number: Callable[[Any], int | None] = field(default=lambda _case_id: None)
    # topic code -> [(department id, name)] of the departments competent for it, in their order
    topic_departments: Mapping[str, Sequence[tuple[int, str]]] = field(default_factory=dict)


NO_REFS = Refs()


def triage_row(
    res: TriageResult,
    *,
    repeat: RepeatMatch | None = None,
    refs: Refs | None = None,
    engine: str = ENGINE_VERSION,
    text: str | None = None,
) -> dict[str, Any]:
    """The output row of one message (``text``: the message, for ``summary``)."""
    refs = refs or NO_REFS
    repeat_of: Any = None
    repeat_number: int | None = None
    if repeat is not None:
        if isinstance(repeat.case_id, LineRef):
            repeat_of = repeat.case_id.id
        else:
            repeat_of = repeat.case_id
            repeat_number = refs.case_number(repeat.case_id)
    return {
        "topic": res.topic,
        "topic_name": res.topic_name,
        "topic_id": refs.topic_ids.get(res.topic) if res.topic is not None else None,
        "topic_confidence": res.topic_confidence,
        "topic_confidence_name": CONFIDENCE_NAMES[res.topic_confidence],
        "topic_candidates": [
            {"topic": c.topic, "name": res.topic_names.get(c.topic, c.topic), "score": c.score, "words": list(c.words)}
            for c in res.topic_candidates
        ],
        "departments": [
            {"id": pk, "name": name} for pk, name in (refs.topic_departments.get(res.topic, ()) if res.topic else ())
        ],
        "places": [
            {
                "name": p.name,
                "kind": p.kind,
                "kind_name": PLACE_KIND_NAMES.get(p.kind, ""),
                "place_id": refs.place_ids.get((p.name, p.parent), refs.place_ids.get(p.name)),
            }
            for p in res.places
        ],
        "importance": {"level": res.importance.level, "reasons": list(res.importance.reasons)},
        "screen": {
            "processable": res.screen.processable,
            "reasons": list(res.screen.reasons),
            "grounds": list(res.screen.grounds),
            "ground_names": list(res.screen.ground_names),
        },
        "repeat_of": repeat_of,
        "repeat_of_number": repeat_number,
        "repeat_reasons": list(repeat.reasons) if repeat is not None else [],
        "significant": res.significant,
        "significance_reasons": list(res.significance_reasons),
        "summary": summary_of(text) if text is not None else "",
        "engine": engine,
    }
