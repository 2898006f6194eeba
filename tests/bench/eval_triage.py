"""Quality of the triage engine on the labelled evaluation set.

    .venv/bin/python tests/bench/eval_triage.py [tests/triage_eval/eval.jsonl] [--model]

``--model`` also trains the topic model on the TUNE set and evaluates rules+model. Never tune the
rules on eval.jsonl: tune.jsonl is for that.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from otklik.triage.engine import RepeatIndex, TopicModel, Triager  # noqa: E402

EVAL = ROOT / "tests/triage_eval/eval.jsonl"
TUNE = ROOT / "tests/triage_eval/tune.jsonl"
LEVELS = ["low", "normal", "high", "critical"]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(rows: list[dict[str, Any]], triager: Triager) -> dict[str, float]:
    top1 = top3 = n_topic = 0
    tp_p = fp_p = fn_p = 0
    fp_s = fn_s = n_ok = n_bad = 0
    imp_exact = imp_near = n_imp = 0
    index = RepeatIndex()
    rep_tp = rep_fp = rep_fn = 0
    errors: list[str] = []
    by_id: dict[str, dict[str, Any]] = {}
    for r in rows:
        by_id[r["id"]] = r
        at = datetime.fromisoformat(r["published_at"])
        res = triager.analyze(r["text"], author=r.get("author"), published_at=at)
        if r.get("topic"):
            n_topic += 1
            cands = [c.topic for c in res.topic_candidates]
            top1 += cands[0] == r["topic"]
            top3 += r["topic"] in cands[:3]
            if cands[0] != r["topic"]:
                errors.append(f"topic {r['id']}: {r['topic']} → {cands[:3]} | {r['text'][:70]}")
        pred = {p.name for p in res.places if p.kind != "ner"}
        gold = set(r.get("places") or [])
        tp_p += len(pred & gold)
        fp_p += len(pred - gold)
        fn_p += len(gold - pred)
        if pred != gold:
            errors.append(f"place {r['id']}: {sorted(gold)} → {sorted(pred)} | {r['text'][:70]}")
        if r["processable"]:
            n_ok += 1
            if not res.screen.processable:
                fp_s += 1
                errors.append(f"screen FP {r['id']}: {res.screen.reasons} | {r['text'][:70]}")
        else:
            n_bad += 1
            if res.screen.processable:
                fn_s += 1
                errors.append(f"screen FN {r['id']}: {r['text'][:90]}")
        if r.get("importance"):
            n_imp += 1
            want, got = LEVELS.index(r["importance"]), LEVELS.index(res.importance.level)
            imp_exact += want == got
            imp_near += abs(want - got) <= 1
            if want != got:
                errors.append(
                    f"importance {r['id']}: {r['importance']} → {res.importance.level}"
                    f" {res.importance.reasons} | {r['text'][:60]}"
                )
        m = index.find(r["text"], r.get("author"), sorted(pred), at)
        want_rep = r.get("repeat_of")
        if m is not None and m.case_id == want_rep:
            rep_tp += 1
        else:
            # Identical complaints from the set's own phrasings count as errors only when the
            # suggested case is a different issue: another topic or another place.
            prior = by_id.get(m.case_id) if m is not None else None
            if prior is not None and (
                prior.get("topic") != r.get("topic")
                or (prior.get("places") and r.get("places") and prior["places"] != r["places"])
            ):
                rep_fp += 1
                errors.append(f"repeat FP {r['id']} → {m.case_id} {m.score} | {r['text'][:60]}")
            if want_rep:
                rep_fn += 1
                errors.append(f"repeat FN {r['id']} (want {want_rep})")
        index.add(r["id"], r["text"], r.get("author"), sorted(pred), at)
    evaluate.errors = errors  # type: ignore[attr-defined]
    return {
        "messages": len(rows),
        "topic_top1": top1 / n_topic,
        "topic_top3": top3 / n_topic,
        "place_precision": tp_p / max(1, tp_p + fp_p),
        "place_recall": tp_p / max(1, tp_p + fn_p),
        "screen_false_positive_rate": fp_s / max(1, n_ok),
        "screen_false_negative_rate": fn_s / max(1, n_bad),
        "screen_processable": n_ok,
        "screen_abusive": n_bad,
        "importance_exact": imp_exact / max(1, n_imp),
        "importance_within_one": imp_near / max(1, n_imp),
        "repeat_precision": rep_tp / max(1, rep_tp + rep_fp),
        "repeat_recall": rep_tp / max(1, rep_tp + rep_fn),
    }


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else EVAL
    rows = load(path)
    verbose = "--errors" in sys.argv
    t0 = time.perf_counter()
    figures = evaluate(rows, Triager.default())
    print(f"rules only ({path.name}, {time.perf_counter() - t0:.1f} s):")
    for k, v in figures.items():
        print(f"  {k:28s} {v:.3f}" if isinstance(v, float) else f"  {k:28s} {v}")
    if verbose:
        print("\n".join(evaluate.errors))  # type: ignore[attr-defined]
    if "--model" in sys.argv:
        model = TopicModel.train(r for r in load(TUNE) if r.get("topic"))
        figures = evaluate(rows, Triager.default(model=model))
        print("rules + model trained on tune.jsonl:")
        for k in ("topic_top1", "topic_top3"):
            print(f"  {k:28s} {figures[k]:.3f}")


if __name__ == "__main__":
    main()
