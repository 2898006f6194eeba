"""Quality of triage on real public messages (``tests/triage_real``) and on the template smoke set.

    .venv/bin/python tests/bench/eval_triage.py [--errors] [--smoke-only]

Real sets (see ``tests/triage_real/build.py`` for where every item comes from):
* topics: ``topics_eval.jsonl`` — 248 citizens' messages to authorities, labelled by us, split from
  ``topics_tune.jsonl`` (158) by page. The rules are tuned on the tuning split only (and on the
  template tune set); ``--errors`` prints the tuning split's errors, never the evaluation's.
* learning: the learners are trained on the tune labels (the real tuning messages, the Perm ЦУР's
  sub-topic names and the template tune set) and measured on the evaluation messages, per class
  side by side; also cross-validated on the real toxic/neutral corpus.
* П.19 screen: ``screen_eval.jsonl`` (toxic comments and their human neutral rewrites, a part of
  the RUSSE-2022 corpus disjoint from ``screen_tune.jsonl``), plus the real and template
  complaints as neutral text.
* repeats: real paraphrases (each toxic comment and its neutral rewrite are the same message
  said twice) among the other real messages, real repeats (two messages from different pages
  about the same problem, ``repeat_of``) among the evaluation messages, and the template set.
Never tune on the eval files.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from otklik.triage.engine import RepeatIndex, TopicModel, Triager  # noqa: E402

REAL = ROOT / "tests/triage_real"
SMOKE_EVAL = ROOT / "tests/triage_eval/eval.jsonl"
SMOKE_TUNE = ROOT / "tests/triage_eval/tune.jsonl"
LEVELS = ["low", "normal", "high", "critical"]
# The template set predates the split of social protection and support measures.
SMOKE_SAME = {"support": "social"}
T0 = datetime(2025, 3, 3, 9, 0)


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def per_class(gold: Sequence[str], pred: Sequence[str | None]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for c in sorted(set(gold)):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        out[c] = {
            "n": gold.count(c),
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
        }
    return out


# --------------------------------------------------------------------------------------------- topics


def topic_figures(rows: list[dict[str, Any]], triager: Triager, same: dict[str, str] | None = None) -> dict[str, Any]:
    same = same or {}
    results = triager.analyze_many([(r["text"], None, None, None) for r in rows])
    gold = [r["topic"] for r in rows]
    pred = [same.get(res.topic, res.topic) if res.topic else None for res in results]
    first = [
        same.get(res.topic_candidates[0].topic, res.topic_candidates[0].topic) if res.topic_candidates else None
        for res in results
    ]
    covered = [i for i, p in enumerate(pred) if p is not None]
    top3 = sum(
        g in [same.get(c.topic, c.topic) for c in res.topic_candidates[:3]]
        for g, res in zip(gold, results, strict=True)
    )
    curve = []
    for th in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
        keep = [i for i, res in enumerate(results) if res.topic_candidates and res.topic_candidates[0].score > th]
        if keep:
            curve.append((th, len(keep) / len(rows), sum(first[i] == gold[i] for i in keep) / len(keep)))
    errors = [
        f"{g} → {p or 'не определено'} ({res.topic_candidates[0].score if res.topic_candidates else 0}) | {r['text'][:90]}"
        for r, g, p, res in zip(rows, gold, pred, results, strict=True)
        if p != g
    ]
    return {
        "n": len(rows),
        "accuracy": sum(p == g for p, g in zip(pred, gold, strict=True)) / len(rows),
        "accuracy_first_guess": sum(p == g for p, g in zip(first, gold, strict=True)) / len(rows),
        "coverage": len(covered) / len(rows),
        "accuracy_covered": sum(pred[i] == gold[i] for i in covered) / max(1, len(covered)),
        "top3": top3 / len(rows),
        "per_class": per_class(gold, pred),
        "curve": curve,
        "errors": errors,
    }


def learning_figures(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> dict[str, Any]:
    """Rules, plain TF-IDF + LR, the calibrated word+char model, and what retraining keeps.

    Accuracies of the first guess, and ``per_class`` (precision, recall) of each, side by side.
    """
    out: dict[str, Any] = {}
    gold = [r["topic"] for r in test]
    rules = Triager.default()
    preds: dict[str, list[str | None]] = {"rules": _first_guesses(rules, test)}
    for kind in ("baseline", "calibrated"):
        model = TopicModel.train(train, kind=kind)
        probs = model.predict_proba_many([r["text"] for r in test])
        preds[kind] = [max(p, key=lambda k: p[k]) for p in probs]
    kept = TopicModel.train(train, kind="auto", rubric=rules.rubric)
    preds["kept"] = _first_guesses(Triager.default(model=kept), test)
    for name, pred in preds.items():
        out[name] = sum(p == g for p, g in zip(pred, gold, strict=True)) / len(test)
    out["kept_kind"] = kept.kind
    out["kept_rules_weight"] = kept.rules_weight
    out["per_class"] = {name: per_class(gold, pred) for name, pred in preds.items()}
    return out


def _first_guesses(triager: Triager, test: list[dict[str, Any]]) -> list[str | None]:
    res = triager.analyze_many([(r["text"], None, None, None) for r in test])
    return [x.topic_candidates[0].topic if x.topic_candidates else None for x in res]


def by_setting(rows: list[dict[str, Any]], triager: Triager) -> dict[str, tuple[int, float]]:
    """Accuracy (topic, «не определено» counted wrong) of urban and of rural messages."""
    out = {}
    for setting in ("urban", "rural"):
        part = [r for r in rows if r.get("setting") == setting]
        if part:
            out[setting] = (len(part), topic_figures(part, triager)["accuracy"])
    return out


def repeat_figures_real(rows: list[dict[str, Any]], triager: Triager) -> dict[str, float]:
    """Each message with ``repeat_of`` against all the others (a day later): is its original found?"""
    repeats = [r for r in rows if r.get("repeat_of")]
    index = RepeatIndex()
    results = triager.analyze_many([(r["text"], None, None, None) for r in rows])
    by_id = dict(zip((r["id"] for r in rows), results, strict=True))
    for n, r in enumerate(rows):
        if r.get("repeat_of"):
            continue
        res = by_id[r["id"]]
        index.add(r["id"], r["text"], None, None, T0 + timedelta(minutes=n), topic=res.topic, lemmas=res.content_lemmas)
    tp = fp = 0
    for r in repeats:
        res = by_id[r["id"]]
        m = index.find(r["text"], None, None, T0 + timedelta(days=1), lemmas=res.content_lemmas, topic=res.topic)
        tp += m is not None and m.case_id == r["repeat_of"]
        fp += m is not None and m.case_id != r["repeat_of"]
    # false links among the messages that repeat nothing: each against the others
    alarms = 0
    singles = [r for r in rows if not r.get("repeat_of") and r["id"] not in {x["repeat_of"] for x in repeats}]
    for r in singles:
        res = by_id[r["id"]]
        m = index.find(
            r["text"], None, None, T0 + timedelta(days=1), exclude=r["id"], lemmas=res.content_lemmas, topic=res.topic
        )
        alarms += m is not None
    return {
        "pairs": len(repeats),
        "recall": tp / max(1, len(repeats)),
        "precision": tp / max(1, tp + fp),
        "false_link_rate_on_singles": alarms / max(1, len(singles)),
    }


def cv_toxicity(rows: list[dict[str, Any]], folds: int = 5) -> dict[str, float]:
    """Both learners on a real binary task (toxic vs its neutral rewrite), cross-validated.

    A comment and its rewrite always fall in the same fold (else the rewrite in training, with
    the other label, would be the nearest neighbour of the comment under test).
    """
    pairs: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        pairs[r["id"].split("-", 2)[2]].append(i)
    keys = sorted(pairs)
    random.Random(7).shuffle(keys)
    out = {}
    for kind in ("baseline", "calibrated"):
        right = 0
        for f in range(folds):
            held = [i for k in keys[f::folds] for i in pairs[k]]
            held_set = set(held)
            train = [
                {"text": rows[i]["text"], "topic": "neutral" if rows[i]["processable"] else "toxic"}
                for i in range(len(rows))
                if i not in held_set
            ]
            model = TopicModel.train(train, kind=kind)
            probs = model.predict_proba_many([rows[i]["text"] for i in held])
            right += sum(
                max(p, key=lambda k: p[k]) == ("neutral" if rows[i]["processable"] else "toxic")
                for p, i in zip(probs, held, strict=True)
            )
        out[kind] = right / len(rows)
    return out


# --------------------------------------------------------------------------------------------- screen


def screen_figures(rows: list[dict[str, Any]], triager: Triager) -> dict[str, Any]:
    toxic = [r for r in rows if not r["processable"]]
    neutral = [r for r in rows if r["processable"]]
    missed = [r for r in toxic if triager.screen.check(r["text"]).processable]
    alarms = [(r, triager.screen.check(r["text"])) for r in neutral]
    alarms = [(r, s) for r, s in alarms if not s.processable]
    grounds: Counter[str] = Counter()
    for r in toxic:
        grounds.update(triager.screen.check(r["text"]).grounds)
    return {
        "toxic": len(toxic),
        "neutral": len(neutral),
        "recall": 1 - len(missed) / max(1, len(toxic)),
        "false_alarm_rate": len(alarms) / max(1, len(neutral)),
        "grounds": dict(grounds),
        "errors": [f"miss | {r['text'][:100]}" for r in missed]
        + [f"alarm {s.reasons} | {r['text'][:90]}" for r, s in alarms],
    }


def complaint_alarms(triager: Triager, rows: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    ok = [r for r in rows if r.get("processable", True)]
    bad = [(r, triager.screen.check(r["text"])) for r in ok]
    bad = [(r, s) for r, s in bad if not s.processable]
    return len(bad), len(ok), [f"alarm {s.reasons} | {r['text'][:90]}" for r, s in bad]


# --------------------------------------------------------------------------------------------- repeats


def repeat_figures_paraphrases(pairs: list[tuple[str, str]], distractors: list[str]) -> dict[str, float]:
    """Index every neutral rewrite (and the distractors); each toxic original should find its own."""
    index = RepeatIndex()
    rng = random.Random(3)
    for n, (_, neutral) in enumerate(pairs):
        index.add(("pair", n), neutral, None, None, T0 + timedelta(minutes=rng.randrange(600)))
    for n, text in enumerate(distractors):
        index.add(("other", n), text, None, None, T0 + timedelta(minutes=rng.randrange(600)))
    tp = fp = fn = 0
    for n, (toxic, _) in enumerate(pairs):
        m = index.find(toxic, None, None, T0 + timedelta(days=1))
        if m is not None and m.case_id == ("pair", n):
            tp += 1
        else:
            fn += 1
            fp += m is not None
    return {"pairs": len(pairs), "recall": tp / max(1, tp + fn), "precision": tp / max(1, tp + fp)}


def repeat_figures_smoke(rows: list[dict[str, Any]], triager: Triager) -> dict[str, float]:
    index = RepeatIndex()
    by_id = {r["id"]: r for r in rows}
    tp = fp = fn = 0
    for r in rows:
        at = datetime.fromisoformat(r["published_at"])
        res = triager.analyze(r["text"], author=r.get("author"), published_at=at)
        places = sorted(p.name for p in res.places if p.kind != "ner")
        m = index.find(r["text"], r.get("author"), places, at, lemmas=res.content_lemmas, topic=res.topic)
        want = r.get("repeat_of")
        if m is not None and m.case_id == want:
            tp += 1
        else:
            prior = by_id.get(m.case_id) if m is not None else None
            if prior is not None and (
                prior.get("topic") != r.get("topic")
                or (prior.get("places") and r.get("places") and prior["places"] != r["places"])
            ):
                fp += 1
            if want:
                fn += 1
        index.add(r["id"], r["text"], r.get("author"), places, at, topic=res.topic, lemmas=res.content_lemmas)
    return {"recall": tp / max(1, tp + fn), "precision": tp / max(1, tp + fp)}


# --------------------------------------------------------------------------------------------- smoke


def smoke_figures(rows: list[dict[str, Any]], triager: Triager) -> dict[str, float]:
    t = topic_figures([r for r in rows if r.get("topic")], triager, SMOKE_SAME)
    tp_p = fp_p = fn_p = 0
    imp_exact = n_imp = 0
    for r in rows:
        res = triager.analyze(r["text"], author=r.get("author"), published_at=datetime.fromisoformat(r["published_at"]))
        pred = {p.name for p in res.places if p.kind != "ner"}
        gold = set(r.get("places") or [])
        tp_p += len(pred & gold)
        fp_p += len(pred - gold)
        fn_p += len(gold - pred)
        if r.get("importance"):
            n_imp += 1
            imp_exact += r["importance"] == res.importance.level
    s = screen_figures(rows, triager)
    return {
        "topic_top1": t["accuracy_first_guess"],
        "topic_top3": t["top3"],
        "place_precision": tp_p / max(1, tp_p + fp_p),
        "place_recall": tp_p / max(1, tp_p + fn_p),
        "screen_recall": s["recall"],
        "screen_false_alarm_rate": s["false_alarm_rate"],
        "importance_exact": imp_exact / max(1, n_imp),
        **{f"repeat_{k}": v for k, v in repeat_figures_smoke(rows, triager).items()},
    }


def _print(title: str, figures: dict[str, Any]) -> None:
    print(title)
    for k, v in figures.items():
        if k in ("errors", "per_class", "curve"):
            continue
        print(f"  {k:28s} {v:.3f}" if isinstance(v, float) else f"  {k:28s} {v}")


def main() -> None:
    verbose = "--errors" in sys.argv
    t0 = time.perf_counter()
    triager = Triager.default()
    if "--smoke-only" not in sys.argv:
        topics = load(REAL / "topics_eval.jsonl")
        real_tune = load(REAL / "topics_tune.jsonl")
        f = topic_figures(topics, triager)
        _print(f"real citizens' messages (evaluation split), rules only ({len(topics)} messages, 25-topic rubric):", f)
        print("  coverage against accuracy (threshold on the best score: coverage, accuracy of the first guess):")
        for th, cov, acc in f["curve"]:
            print(f"    > {th:.1f}: {cov:.2f}  {acc:.3f}")
        for setting, (n, acc) in by_setting(topics, triager).items():
            print(f"  {setting:28s} {acc:.3f}  ({n} messages)")
        ft = topic_figures(real_tune, triager)
        _print(f"real citizens' messages (tuning split), rules only ({len(real_tune)} messages):", ft)
        if verbose:
            print("\n".join("    " + e for e in ft["errors"]))
        tune = real_tune + load(REAL / "topics_taxonomy.jsonl") + [r for r in load(SMOKE_TUNE) if r.get("topic")]
        lf = learning_figures(tune, topics)
        _print("learning (trained on the tune labels, measured on the evaluation messages; first guess):", lf)
        names = list(lf["per_class"])
        print("  per class, n, then precision/recall of: " + ", ".join(names))
        for c in sorted(lf["per_class"]["rules"]):
            cells = "  ".join(
                f"{lf['per_class'][k][c]['precision']:.2f}/{lf['per_class'][k][c]['recall']:.2f}" for k in names
            )
            print(f"    {c:16s} {lf['per_class']['rules'][c]['n']:3d}  {cells}")
        _print(
            "real repeats (another page, same problem) among the evaluation messages:",
            repeat_figures_real(topics, triager),
        )
        screen_real = load(REAL / "screen_eval.jsonl")
        cv = cv_toxicity(screen_real)
        _print("learners on a real binary task (toxic vs neutral rewrite, 5-fold CV):", cv)
        s = screen_figures(screen_real, triager)
        _print(f"П.19 screen on real comments ({s['toxic']} toxic, {s['neutral']} neutral rewrites):", s)
        n_bad, n_ok, alarms = complaint_alarms(triager, topics + load(SMOKE_EVAL))
        print(f"  false alarms on citizens' complaints: {n_bad} of {n_ok}")
        if verbose:
            print("\n".join("    " + e for e in s["errors"] + alarms))
        pairs = []
        for r in screen_real:
            if not r["processable"]:
                neutral = next(x for x in screen_real if x["id"] == r["id"].replace("-t-", "-n-"))
                pairs.append((r["text"], neutral["text"]))
        _print(
            "repeats on real paraphrases (toxic original → its rewrite, among the real messages):",
            repeat_figures_paraphrases(pairs, [r["text"] for r in topics]),
        )
    _print("template smoke set (tests/triage_eval/eval.jsonl):", smoke_figures(load(SMOKE_EVAL), triager))
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
