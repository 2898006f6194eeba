"""The Triager: one call gives the curator a topic, places, importance, the П.19 screen and the
significance flag for a message, each with the words or reasons behind it (П.6, 8, 19, 23).

Topic with a trained model: ``combined = w·p_model + (1 − w)·p_rules`` per topic, where
``p_rules`` is the rubric's score (share of matched keyword weight, damped when evidence is thin)
and ``w = TriageConfig.model_weight`` (0.6). When no keyword matched, the model decides alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .gazetteer import Gazetteer, PlaceMatch
from .importance import AuthorRules, Importance, assess
from .model import TopicModel
from .rubric import Rubric, TopicScore
from .screen import Screen, ScreenResult
from .text import analyze_text


@dataclass(slots=True)
class TriageConfig:
    model_weight: float = 0.6
    top_topics: int = 3
    ner: bool = False  # slovnet NER for places not in the gazetteer (~1 ms a message)
    public_authors: tuple[str, ...] = ()
    author_markers: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TriageResult:
    topic: str
    topic_name: str
    topic_candidates: tuple[TopicScore, ...]
    places: tuple[PlaceMatch, ...]
    importance: Importance
    screen: ScreenResult
    significant: bool
    significance_reasons: tuple[str, ...] = field(default=())
    topic_names: Mapping[str, str] = field(default_factory=dict)  # code -> name, per candidate
    content_lemmas: tuple[str, ...] = ()  # for RepeatIndex.find(..., lemmas=) without re-tokenising

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "topic_name": self.topic_name,
            "topic_candidates": [
                {"topic": c.topic, "score": c.score, "words": list(c.words)} for c in self.topic_candidates
            ],
            "places": [{"name": p.name, "kind": p.kind, "matched": p.matched, "parent": p.parent} for p in self.places],
            "importance": {
                "level": self.importance.level,
                "reasons": list(self.importance.reasons),
            },
            "screen": {
                "processable": self.screen.processable,
                "reasons": list(self.screen.reasons),
                "words": list(self.screen.words),
            },
            "significant": self.significant,
            "significance_reasons": list(self.significance_reasons),
        }


class Triager:
    def __init__(
        self,
        rubric: Rubric | None = None,
        gazetteer: Gazetteer | None = None,
        model: TopicModel | str | Path | None = None,
        config: TriageConfig | None = None,
        screen: Screen | None = None,
    ) -> None:
        self.rubric = rubric or Rubric.default()
        self.gazetteer = gazetteer or Gazetteer.default()
        self.model = TopicModel.load(model) if isinstance(model, (str, Path)) else model
        self.config = config or TriageConfig()
        self.screen = screen or Screen()
        self.authors = AuthorRules.build(self.config.public_authors, self.config.author_markers)

    @classmethod
    def default(cls, *, model: TopicModel | str | Path | None = None, **config: object) -> Triager:
        return cls(model=model, config=TriageConfig(**config))  # type: ignore[arg-type]

    def _topics(self, doc_lemmas: list[str], rules: list[TopicScore]) -> list[TopicScore]:
        if self.model is None:
            return rules
        probs = self.model.predict_proba_lemmas(" ".join(doc_lemmas))
        rule_map = {c.topic: c for c in rules}
        no_rules = len(rules) == 1 and rules[0].topic == self.rubric.fallback
        w = 1.0 if no_rules else self.config.model_weight
        codes = set(probs) | (set() if no_rules else set(rule_map))
        combined = []
        for code in codes:
            r = rule_map.get(code)
            score = w * probs.get(code, 0.0) + (1 - w) * (r.score if r and not no_rules else 0.0)
            combined.append(TopicScore(code, round(score, 4), r.words if r else ()))
        combined.sort(key=lambda c: (-c.score, c.topic))
        return combined[: self.config.top_topics]

    def analyze(
        self,
        text: str,
        *,
        author: str | None = None,
        source: str | None = None,
        published_at: datetime | None = None,
    ) -> TriageResult:
        doc = analyze_text(text or "")
        rules = self.rubric.score(doc, top=self.config.top_topics if self.model is None else 50)
        content = doc.content_lemmas()
        candidates = self._topics(content, rules)
        topic = candidates[0].topic
        places = self.gazetteer.find(doc, ner=self.config.ner)
        importance = assess(
            doc,
            topic=topic,
            published_at=published_at,
            author=author,
            source=source,
            authors=self.authors,
        )
        screen = self.screen.check(text or "")
        sig: list[str] = []
        if screen.processable:
            if importance.level == "critical":
                sig.append("критическая важность")
            if importance.level in ("high", "critical") and importance.many_affected:
                sig.append("затронуто много людей")
            if importance.public_author and importance.level != "low":
                sig.append("автор — СМИ или публичная персона")
        return TriageResult(
            topic=topic,
            topic_name=self.rubric.name(topic),
            topic_candidates=tuple(candidates),
            places=tuple(places),
            importance=importance,
            screen=screen,
            significant=bool(sig),
            significance_reasons=tuple(sig),
            topic_names={c.topic: self.rubric.name(c.topic) for c in candidates},
            content_lemmas=tuple(content),
        )
