"""Quality floors on the labelled evaluation set: a regression below them fails.

The floors sit slightly below the figures measured when the rules were frozen (docs/triage.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from otklik.triage.engine import Triager

ROOT = Path(__file__).resolve().parents[2]


def _eval_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("eval_triage", ROOT / "tests/bench/eval_triage.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_quality_floors_on_eval_set() -> None:
    ev = _eval_module()
    rows = ev.load(ev.EVAL)
    assert len(rows) >= 300
    f = ev.evaluate(rows, Triager.default())
    assert f["topic_top1"] >= 0.94
    assert f["topic_top3"] >= 0.97
    assert f["place_precision"] >= 0.97
    assert f["place_recall"] >= 0.96
    assert f["screen_false_positive_rate"] <= 0.03
    assert f["screen_false_negative_rate"] <= 0.06
    assert f["importance_exact"] >= 0.86
    assert f["repeat_recall"] >= 0.9
