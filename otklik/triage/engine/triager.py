"""The Triager: one call gives the curator a topic, places, importance, the П.19 screen and the
significance flag for a message, each with the words or reasons behind it (П.6, 8, 19, 23).

Topic:
* rules only (a new administration): the rubric's best topic;
* with the administration's trained model: the model's probabilities over the administration's own
  labels, blended with the rules mapped onto those labels only if retraining measured that it
  helps (``TopicModel.rules_weight``); a rubric code never wins unless it is one of the labels.
When the best score is below ``TriageConfig.abstain_below`` (``abstain_below_model`` with a model)
the topic is «не определено» (None);
the candidates are still listed. ``topic_confidence`` is a plain word for the curator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .gazetteer import Gazetteer, PlaceMatch
from .importance import AuthorRules, Importance, assess
from .model import TopicModel
from .rubric import Rubric, TopicScore
from .screen import Screen, ScreenResult
from .text import Doc, analyze_text

CONFIDENCE_NAMES = {
    "high": "уверенно",
    "medium": "вероятно",
    "low": "предположительно",
    "none": "не определено",
}
UNDETERMINED_NAME = "не определено"


def confidence_level(score: float, *, abstain_below: float) -> str:
    if score < abstain_below or score <= 0:
        return "none"
    if score >= 0.7:
        return "high"
    if score >= 0.45:
        return "medium"
    return "low"


@dataclass(slots=True)
class TriageConfig:
    abstain_below: float = 0.3  # best rules score below this: «не определено»
    # best model probability below this: «не определено» (calibrated probabilities over many labels
    # are lower than rule scores; on the real set 0.3 left out right answers at 0.20–0.29)
    abstain_below_model: float = 0.15
    top_topics: int = 3
    ner: bool = False  # slovnet NER for places not in the gazetteer (~1 ms a message)
    public_authors: tuple[str, ...] = ()
    author_markers: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TriageResult:
    topic: str | None  # None: «не определено»
    topic_name: str
    topic_candidates: tuple[TopicScore, ...]
    places: tuple[PlaceMatch, ...]
    importance: Importance
    screen: ScreenResult
    significant: bool
    significance_reasons: tuple[str, ...] = field(default=())
    topic_names: Mapping[str, str] = field(default_factory=dict)  # code -> name, per candidate
    content_lemmas: tuple[str, ...] = ()  # for RepeatIndex.find(..., lemmas=) without re-tokenising
    topic_confidence: str = "none"  # a key of CONFIDENCE_NAMES

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "topic_name": self.topic_name,
            "topic_confidence": self.topic_confidence,
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
                "grounds": list(self.screen.grounds),
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

    def _model_probs(self, texts: list[str], lemmas: list[str]) -> list[dict[str, float] | None]:
        if self.model is None:
            return [None] * len(texts)
        return list(self.model.predict_proba_many(texts, lemmas))

    def _topics_from(self, probs: dict[str, float] | None, rules: list[TopicScore]) -> list[TopicScore]:
        if probs is None or self.model is None:
            return rules[: self.config.top_topics]
        rule_words = {c.topic: c.words for c in rules}
        scores = self.model.blend(probs, [(c.topic, c.score) for c in rules if c.score > 0])
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: self.config.top_topics]
        return [TopicScore(code, round(p, 4), rule_words.get(code, ())) for code, p in ranked]

    def analyze(
        self,
        text: str,
        *,
        author: str | None = None,
        source: str | None = None,
        published_at: datetime | None = None,
    ) -> TriageResult:
        return self.analyze_many([(text, author, source, published_at)])[0]

    def analyze_many(self, items: Sequence[tuple[str, str | None, str | None, datetime | None]]) -> list[TriageResult]:
        """``analyze`` for several messages at once (the topic model predicts them in one call)."""
        docs = [analyze_text(text or "") for text, *_ in items]
        contents = [doc.content_lemmas() for doc in docs]
        probs = self._model_probs([text or "" for text, *_ in items], [" ".join(c) for c in contents])
        out = []
        for (text, author, source, published_at), doc, content, p in zip(items, docs, contents, probs, strict=True):
            rules = self.rubric.score(doc, top=max(self.config.top_topics, 5))
            candidates = self._topics_from(p, rules)
            out.append(self._result(text or "", doc, content, candidates, author, source, published_at))
        return out

    def _result(
        self,
        text: str,
        doc: Doc,
        content: list[str],
        candidates: list[TopicScore],
        author: str | None,
        source: str | None,
        published_at: datetime | None,
    ) -> TriageResult:
        best = candidates[0] if candidates else TopicScore(self.rubric.fallback, 0.0, ())
        threshold = self.config.abstain_below if self.model is None else self.config.abstain_below_model
        level = confidence_level(best.score, abstain_below=threshold)
        topic = None if level == "none" else best.topic
        candidates = [c for c in candidates if c.score > 0]
        places = self.gazetteer.find(doc, ner=self.config.ner)
        importance = assess(
            doc,
            topic=topic,
            published_at=published_at,
            author=author,
            source=source,
            authors=self.authors,
        )
        screen = self.screen.check(text)
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
            topic_name=self.rubric.name(topic) if topic is not None else UNDETERMINED_NAME,
            topic_candidates=tuple(candidates),
            places=tuple(places),
            importance=importance,
            screen=screen,
            significant=bool(sig),
            significance_reasons=tuple(sig),
            topic_names={c.topic: self.rubric.name(c.topic) for c in candidates},
            content_lemmas=tuple(content),
            topic_confidence=level,
        )
