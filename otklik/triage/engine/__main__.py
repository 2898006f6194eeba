"""``python -m otklik.triage.engine [FILE|-]`` — the triage CLI without Django."""

from __future__ import annotations

import argparse
import sys

from .batch import run_jsonl, train_jsonl
from .gazetteer import Gazetteer
from .rubric import Rubric
from .triager import TriageConfig, Triager


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m otklik.triage.engine")
    ap.add_argument("args", nargs="*", help="[train] FILE|-")
    ap.add_argument("--model")
    ap.add_argument("--rubric")
    ap.add_argument("--gazetteer")
    ap.add_argument("--ner", action="store_true")
    ns = ap.parse_args(argv)
    args = list(ns.args)
    if args and args[0] == "train":
        if len(args) < 2 or not ns.model:
            ap.error("train FILE --model PATH")
        with open(args[1], encoding="utf-8") as fh:
            _, n, errors = train_jsonl(fh, ns.model)
        for e in errors:
            print(e, file=sys.stderr)
        print(f"обучено на {n} примерах → {ns.model}", file=sys.stderr)
        return 0
    triager = Triager(
        rubric=Rubric.from_file(ns.rubric) if ns.rubric else None,
        gazetteer=Gazetteer.from_file(ns.gazetteer) if ns.gazetteer else None,
        model=ns.model,
        config=TriageConfig(ner=ns.ner),
    )
    src = args[0] if args else "-"
    if src == "-":
        run_jsonl(sys.stdin, sys.stdout, triager)
    else:
        with open(src, encoding="utf-8") as fh:
            run_jsonl(fh, sys.stdout, triager)
    return 0


if __name__ == "__main__":
    sys.exit(main())
