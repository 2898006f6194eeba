"""The one output shape of a triaged message, shared by the CLI and the Django adapter.

    {"topic", "topic_name", "topic_id", "topic_candidates": [{"topic", "name", "score", "words"}],
     "places": [{"name", "kind", "place_id"}], "importance": {"level", "reasons"},
     "screen": {"processable", "reasons"}, "repeat_of", "repeat_of_number", "repeat_reasons",
     "significant", "significance_reasons", "engine"}

``*_id`` and ``repeat_of_number`` come from ``Refs`` (the database's ids); without them they are
null. The CLI adds ``"id"`` (the input line's id) in front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .repeats import RepeatMatch
from .triager import TriageResult

ENGINE_VERSION = "otklik-triage/1.1"


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


NO_REFS = Refs()


def triage_row(
    res: TriageResult,
    *,
    repeat: RepeatMatch | None = None,
    refs: Refs | None = None,
    engine: str = ENGINE_VERSION,
) -> dict[str, Any]:
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
        "topic_id": refs.topic_ids.get(res.topic),
        "topic_candidates": [
            {"topic": c.topic, "name": res.topic_names.get(c.topic, c.topic), "score": c.score, "words": list(c.words)}
            for c in res.topic_candidates
        ],
        "places": [
            {
                "name": p.name,
                "kind": p.kind,
                "place_id": refs.place_ids.get((p.name, p.parent), refs.place_ids.get(p.name)),
            }
            for p in res.places
        ],
        "importance": {"level": res.importance.level, "reasons": list(res.importance.reasons)},
        "screen": {"processable": res.screen.processable, "reasons": list(res.screen.reasons)},
        "repeat_of": repeat_of,
        "repeat_of_number": repeat_number,
        "repeat_reasons": list(repeat.reasons) if repeat is not None else [],
        "significant": res.significant,
        "significance_reasons": list(res.significance_reasons),
        "engine": engine,
    }
