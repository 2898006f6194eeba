"""Optional trained topic model: TF-IDF over lemmas (1–2-grams) + logistic regression.

Trained on labelled ``{"text", "topic"}`` records; the labels define the classes, whatever their
names. Persisted with joblib. Only load model files you wrote yourself: a pickle runs code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .text import analyze_text

FORMAT_VERSION = 1


def lemma_string(text: str) -> str:
    return " ".join(analyze_text(text).content_lemmas())


class TopicModel:
    def __init__(self, pipeline: Any, labels: list[str]) -> None:
        self.pipeline = pipeline
        self.labels = labels

    @classmethod
    def train(cls, records: Iterable[Mapping[str, Any]], *, min_per_class: int = 1) -> TopicModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        texts, labels = [], []
        for rec in records:
            text, topic = rec.get("text"), rec.get("topic")
            if not text or not topic:
                continue
            texts.append(lemma_string(str(text)))
            labels.append(str(topic))
        counts: dict[str, int] = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        keep = [i for i, lab in enumerate(labels) if counts[lab] >= min_per_class]
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
        if len(set(labels)) < 2:
            raise ValueError("для обучения нужны примеры хотя бы двух тем")
        pipe = Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                ),
                ("clf", LogisticRegression(C=10.0, max_iter=2000)),
            ]
        )
        pipe.fit(texts, labels)
        return cls(pipe, list(pipe.classes_))

    def predict_proba_lemmas(self, lemmas: str) -> dict[str, float]:
        probs = self.pipeline.predict_proba([lemmas])[0]
        return {str(lab): float(p) for lab, p in zip(self.pipeline.classes_, probs, strict=True)}

    def predict_proba(self, text: str) -> dict[str, float]:
        return self.predict_proba_lemmas(lemma_string(text))

    def save(self, path: str | Path) -> None:
        """Write atomically: a temporary file in the same directory, then ``os.replace``, so a
        worker loading the model meanwhile sees the old file or the new one, never half of one."""
        import os
        import tempfile

        import joblib

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                joblib.dump({"version": FORMAT_VERSION, "pipeline": self.pipeline, "labels": self.labels}, fh)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        import joblib

        data = joblib.load(Path(path))
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"неизвестный формат модели: {path}")
        return cls(data["pipeline"], list(data["labels"]))
