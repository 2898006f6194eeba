"""The administration's own topic model, learned from its curators' labels (never from rubric codes).

Two learners are trained on the labels and the better one is kept:

* ``calibrated`` — TF-IDF over lemma 1–2-grams plus TF-IDF over character 2–5-grams of the text,
  a linear SVM calibrated to probabilities (``CalibratedClassifierCV``, sigmoid);
* ``baseline`` — plain TF-IDF over words + logistic regression (what anyone would try first).

"Better" is measured, not assumed: stratified cross-validation on the labels (``cv_folds``), so
the figures in ``TopicModel.report`` are what retraining found. The rules are combined with the
model only if that helps on the same folds: the rubric's topic for a message is mapped to the
administration's labels through the labels themselves (``rule_map``: which label the curators
chose when the rules said X), and blended with weight ``1 − rules_weight``. A label list never
contains a rubric code unless the curators used it.

Persisted with joblib. Only load model files you wrote yourself: a pickle runs code.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .text import analyze_text

if TYPE_CHECKING:  # pragma: no cover
    from .rubric import Rubric

FORMAT_VERSION = 2
KINDS = ("calibrated", "baseline")
RULE_WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.7, 0.9)  # share of the rules in the blend that cross-validation may pick


def lemma_string(text: str) -> str:
    return " ".join(analyze_text(text).content_lemmas())


def _features(kind: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if kind == "baseline":
        return TfidfVectorizer(token_pattern=r"(?u)\b\w\w+\b", lowercase=True)
    words = TfidfVectorizer(
        token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=1, preprocessor=_lemmas_of
    )
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=150_000, preprocessor=_text_of
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def _lemmas_of(doc: str) -> str:
    # documents are "<lemmas>\t<text>" so that one pipeline sees both (see _doc)
    return doc.split("\t", 1)[0]


def _text_of(doc: str) -> str:
    return doc.split("\t", 1)[-1].lower().replace("ё", "е")


def _doc(text: str, lemmas: str | None = None) -> str:
    return f"{lemma_string(text) if lemmas is None else lemmas}\t{text}"


def _classifier(kind: str, n_per_class_min: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    if kind == "baseline":
        return LogisticRegression(max_iter=2000)
    if n_per_class_min < 3:  # too few examples of some label to calibrate on held-out folds
        return LogisticRegression(C=10.0, max_iter=2000)
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    return CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3)


def _pipeline(kind: str, n_per_class_min: int) -> Any:
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _features(kind)), ("clf", _classifier(kind, n_per_class_min))])


def _text_for(kind: str, doc: str) -> str:
    return doc.split("\t", 1)[1] if kind == "baseline" else doc


@dataclass(slots=True)
class TrainReport:
    """What retraining measured (cross-validated accuracy of each learner, with and without rules)."""

    labels: int = 0
    classes: int = 0
    folds: int = 0
    accuracy: dict[str, float] = field(default_factory=dict)  # "calibrated", "baseline", "calibrated+rules"…
    chosen: str = ""
    rules_weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "classes": self.classes,
            "folds": self.folds,
            "accuracy": {k: round(v, 4) for k, v in self.accuracy.items()},
            "chosen": self.chosen,
            "rules_weight": self.rules_weight,
        }


class TopicModel:
    def __init__(
        self,
        pipeline: Any,
        labels: list[str],
        *,
        kind: str = "calibrated",
        rules_weight: float = 0.0,
        rule_map: Mapping[str, Mapping[str, float]] | None = None,
        report: TrainReport | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.labels = labels
        self.kind = kind
        self.rules_weight = rules_weight
        self.rule_map = {k: dict(v) for k, v in (rule_map or {}).items()}
        self.report = report or TrainReport()

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        kind: str = "auto",
        rubric: Rubric | None = None,
        cv_folds: int = 5,
        min_per_class: int = 1,
        seed: int = 7,
    ) -> TopicModel:
        """Train on ``{"text", "topic"}`` records; ``kind="auto"`` keeps the better learner by CV."""
        texts, labels = [], []
        for rec in records:
            text, topic = rec.get("text"), rec.get("topic")
            if not text or not topic:
                continue
            texts.append(str(text))
            labels.append(str(topic))
        counts = Counter(labels)
        keep = [i for i, lab in enumerate(labels) if counts[lab] >= min_per_class]
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
        if len(set(labels)) < 2:
            raise ValueError("для обучения нужны примеры хотя бы двух тем")
        docs = [_doc(t) for t in texts]
        rule_tops = [_rule_top(rubric, t) for t in texts] if rubric is not None else None
        report = TrainReport(labels=len(labels), classes=len(set(labels)))
        kinds = KINDS if kind == "auto" else (kind,)
        folds = _folds(labels, cv_folds, seed)
        report.folds = len(folds)
        best = (kinds[0], 0.0)
        if len(kinds) > 1 or rule_tops is not None:
            scores: dict[tuple[str, float], float] = {}
            for k in kinds:
                per_weight = _cv_accuracy(k, docs, labels, folds, rule_tops)
                for w, acc in per_weight.items():
                    scores[(k, w)] = acc
                    name = k if w == 0 else f"{k}+rules@{w:g}"
                    report.accuracy[name] = acc
            # ties go to the simpler choice: fewer rules, then the order of KINDS
            best = max(scores, key=lambda kw: (round(scores[kw], 4), -kw[1], -kinds.index(kw[0])))
        chosen_kind, weight = best
        report.chosen = chosen_kind
        report.rules_weight = weight
        n_min = min(Counter(labels).values())
        pipe = _pipeline(chosen_kind, n_min)
        pipe.fit([_text_for(chosen_kind, d) for d in docs], labels)
        rule_map = _rule_map(rule_tops, labels) if rule_tops is not None and weight > 0 else {}
        return cls(pipe, list(pipe.classes_), kind=chosen_kind, rules_weight=weight, rule_map=rule_map, report=report)

    # ------------------------------------------------------------------ prediction
    def predict_proba_many(self, texts: Sequence[str], lemmas: Sequence[str] | None = None) -> list[dict[str, float]]:
        docs = [_text_for(self.kind, _doc(t, None if lemmas is None else lemmas[i])) for i, t in enumerate(texts)]
        rows = self.pipeline.predict_proba(docs)
        classes = [str(c) for c in self.pipeline.classes_]
        return [{lab: float(p) for lab, p in zip(classes, row, strict=True)} for row in rows]

    def predict_proba(self, text: str, lemmas: str | None = None) -> dict[str, float]:
        return self.predict_proba_many([text], None if lemmas is None else [lemmas])[0]

    def blend(self, probs: Mapping[str, float], rule_scores: Iterable[tuple[str, float]]) -> dict[str, float]:
        """The model's probabilities blended with the rules mapped onto the labels (if that helped)."""
        return _blend(probs, rule_scores, self.rule_map, self.rules_weight)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write atomically: a temporary file in the same directory, then ``os.replace``, so a
        worker loading the model meanwhile sees the old file or the new one, never half of one."""
        import joblib

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        data = {
            "version": FORMAT_VERSION,
            "pipeline": self.pipeline,
            "labels": self.labels,
            "kind": self.kind,
            "rules_weight": self.rules_weight,
            "rule_map": self.rule_map,
            "report": self.report.as_dict(),
        }
        try:
            with os.fdopen(fd, "wb") as fh:
                joblib.dump(data, fh)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        import joblib

        data = joblib.load(Path(path))
        if not isinstance(data, dict) or data.get("version") not in (1, FORMAT_VERSION):
            raise ValueError(f"неизвестный формат модели: {path}")
        if data["version"] == 1:  # lemma TF-IDF + LR: it was fed lemma strings only
            return cls(_V1Pipeline(data["pipeline"]), list(data["labels"]), kind="calibrated")
        rep = data.get("report") or {}
        report = TrainReport(
            labels=int(rep.get("labels", 0)),
            classes=int(rep.get("classes", 0)),
            folds=int(rep.get("folds", 0)),
            accuracy=dict(rep.get("accuracy", {})),
            chosen=str(rep.get("chosen", data.get("kind", ""))),
            rules_weight=float(rep.get("rules_weight", 0.0)),
        )
        return cls(
            data["pipeline"],
            list(data["labels"]),
            kind=str(data.get("kind", "calibrated")),
            rules_weight=float(data.get("rules_weight", 0.0)),
            rule_map=data.get("rule_map") or {},
            report=report,
        )


class _V1Pipeline:
    """A version-1 model file (lemma TF-IDF + LR) behind the version-2 interface."""

    def __init__(self, pipeline: Any) -> None:
        self._pipe = pipeline
        self.classes_ = pipeline.classes_

    def predict_proba(self, docs: Sequence[str]) -> Any:
        return self._pipe.predict_proba([_lemmas_of(d) for d in docs])


# ---------------------------------------------------------------------------------------------
# cross-validation


def _folds(labels: Sequence[str], k: int, seed: int) -> list[list[int]]:
    """Stratified folds (indices of the held-out part); fewer folds when classes are small."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_label[lab].append(i)
    k = max(2, min(k, len(labels) // 2))
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for lab in sorted(by_label):
        idx = by_label[lab][:]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(offset + j) % k].append(i)
        offset += len(idx)
    return [f for f in folds if f]


def _cv_accuracy(
    kind: str,
    docs: Sequence[str],
    labels: Sequence[str],
    folds: Sequence[Sequence[int]],
    rule_tops: Sequence[list[tuple[str, float]]] | None,
) -> dict[float, float]:
    weights = RULE_WEIGHTS if rule_tops is not None else (0.0,)
    right = dict.fromkeys(weights, 0)
    total = 0
    for held in folds:
        held_set = set(held)
        train = [i for i in range(len(docs)) if i not in held_set]
        train_labels = [labels[i] for i in train]
        if len(set(train_labels)) < 2:
            continue
        pipe = _pipeline(kind, min(Counter(train_labels).values()))
        pipe.fit([_text_for(kind, docs[i]) for i in train], train_labels)
        classes = [str(c) for c in pipe.classes_]
        rows = pipe.predict_proba([_text_for(kind, docs[i]) for i in held])
        rmap = _rule_map([rule_tops[i] for i in train], train_labels) if rule_tops is not None else {}
        for i, row in zip(held, rows, strict=True):
            probs = dict(zip(classes, (float(p) for p in row), strict=True))
            total += 1
            for w in weights:
                scores = _blend(probs, rule_tops[i] if rule_tops is not None else (), rmap, w)
                right[w] += max(scores, key=lambda lab: scores[lab]) == labels[i]
    return {w: (right[w] / total if total else 0.0) for w in weights}


def _rule_top(rubric: Rubric, text: str) -> list[tuple[str, float]]:
    cands = rubric.score(analyze_text(text), top=3)
    return [(c.topic, c.score) for c in cands if c.score > 0]


def _rule_map(rule_tops: Sequence[list[tuple[str, float]]], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """P(curator's label | the rules' first topic), add-one smoothed over the labels seen with it."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for tops, lab in zip(rule_tops, labels, strict=True):
        if tops:
            counts[tops[0][0]][lab] += 1
    out: dict[str, dict[str, float]] = {}
    for code, c in counts.items():
        n = sum(c.values()) + len(c)
        out[code] = {lab: (v + 1) / n for lab, v in c.items()}
    return out


def _blend(
    probs: Mapping[str, float],
    rule_scores: Iterable[tuple[str, float]],
    rule_map: Mapping[str, Mapping[str, float]],
    weight: float,
) -> dict[str, float]:
    if weight <= 0 or not rule_map:
        return dict(probs)
    mapped: dict[str, float] = defaultdict(float)
    for code, score in rule_scores:
        for lab, p in rule_map.get(code, {}).items():
            mapped[lab] += score * p
    total = sum(mapped.values())
    if total <= 0:
        return dict(probs)
    return {lab: (1 - weight) * p + weight * mapped.get(lab, 0.0) / total for lab, p in probs.items()}


def accuracy(predict: Callable[[str], str | None], records: Sequence[Mapping[str, Any]]) -> float:
    """Share of records whose ``topic`` ``predict(text)`` gets right."""
    if not records:
        return 0.0
    return sum(predict(str(r["text"])) == r["topic"] for r in records) / len(records)
