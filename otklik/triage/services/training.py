"""Retraining: each administration's topic model from its curators' labels.

A model is saved only when it does at least as well as the rules on held-out labels; the learner
itself (calibrated word+char model or plain TF-IDF + logistic regression, with or without the
rules) is the better of the two by cross-validation on the training labels. A new administration
(fewer than ``MIN_LABELS`` labels) keeps the rules.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.utils import timezone

from otklik.organization.models import Administration
from otklik.triage.engine import TopicModel, Triager

from .context import _context, log, model_path

MIN_LABELS = 30
MIN_TOPICS = 2
HOLDOUT_SHARE = 0.2


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
    """Share of records whose label is the triager's first guess (also when it says «не определено»)."""
    if not records:
        return 0.0
    results = triager.analyze_many([(r["text"], None, None, None) for r in records])
    return sum(
        bool(res.topic_candidates) and res.topic_candidates[0].topic == r["topic"]
        for res, r in zip(results, records, strict=True)
    ) / len(records)


def retrain_topic_model(administration: Administration) -> dict[str, Any]:
    """Train on the curators' labels; save when the model does at least as well as the rules.

    The figures are measured on a held-out 20 % (shuffled with a fixed seed); the learner is
    chosen by cross-validation on the rest (``TopicModel.train(kind="auto")``: the calibrated
    word+char model or plain TF-IDF + logistic regression, with the rules blended in only if that
    helps), and the saved model is then trained on all the labels the same way.
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
        trial = TopicModel.train(train, kind="auto", rubric=rules.rubric)
    except ValueError:  # the training part has a single topic
        trial = None
    if trial is not None:
        combined = Triager(rubric=rules.rubric, gazetteer=rules.gazetteer, model=trial, config=rules.config)
        result["model_accuracy"] = round(_accuracy(combined, test), 4)
        result["learners"] = trial.report.as_dict()
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
        final = TopicModel.train(records, kind="auto", rubric=rules.rubric)
        final.save(path)
        result["learner"] = final.kind
        result["rules_weight"] = final.rules_weight
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
