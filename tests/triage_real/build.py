"""Build the real-message evaluation files from the raw pages in ``raw/`` (run once; output committed).

    python tests/triage_real/build.py

Every item keeps where it came from (``source``). Nothing here is generated: the texts are public
messages copied verbatim (trimmed to the message) from the sources named in the raw files.

* ``screen_tune.jsonl`` / ``screen_eval.jsonl`` — toxic comments and their human neutral rewrites
  (RUSSE-2022 detox corpus, train split only: the tune page and the eval pages are disjoint parts
  of the file). A pair whose rewrite equals the "toxic" text (up to case and punctuation) is
  dropped: the annotators found nothing to remove, so it is not a toxic example.
* ``topics_eval.jsonl`` — citizens' messages to authorities found on public pages (letters to
  governors, city portals, readers' letters), topic labelled by us with the rubric's codes.
* ``topics_tune.jsonl`` — the Perm ЦУР («Инцидент Менеджмент») sub-topic names with the ЦУР's own
  group; our rubric code is our mapping of that group/sub-topic.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
DETOX_REPO = "github:s-nlp/russe_detox_2022/data/input/train.tsv@6efda7cb6256a6693415ee7d9897306cbec3cc58"
PERM_REPO = (
    "github:mathewpolonsky/Request-Topic-Classification/processing_citizens_appeals_tg_bot/files/"
    "topic2big_topiс_stars.json@f12a414332789e547363d406e54744c79fad9db3"
)
_PUNCT = re.compile(r"[^\w]+")


def _norm(text: str) -> str:
    return _PUNCT.sub(" ", text.lower().replace("ё", "е")).strip()


def _detox(name: str, split: str) -> list[dict[str, object]]:
    path = RAW / name
    chars = ""
    rows: list[dict[str, object]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# source:"):
            chars = line.rsplit("chars", 1)[1].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        toxic, _, neutral = (part.strip() for part in line.partition("|||"))
        if not toxic or not neutral or _norm(toxic) == _norm(neutral):
            continue
        digest = hashlib.blake2b(toxic.encode("utf-8"), digest_size=4).hexdigest()
        source = f"{DETOX_REPO} chars {chars}"
        rows.append({"id": f"{split}-t-{digest}", "text": toxic, "processable": False, "source": source})
        rows.append({"id": f"{split}-n-{digest}", "text": neutral, "processable": True, "source": source})
    return rows


def _write(name: str, rows: list[dict[str, object]]) -> None:
    with (HERE / name).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{name}: {len(rows)}")


def main() -> None:
    _write("screen_tune.jsonl", _detox("detox_train_p0.txt", "tune") + _detox("detox_train_p120k.txt", "tune"))
    _write("screen_eval.jsonl", _detox("detox_train_p250k.txt", "eval") + _detox("detox_train_p440k.txt", "eval"))
    topics = []
    for n, line in enumerate((RAW / "topics_pages.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
        rec = json.loads(line)
        topics.append({"id": f"p{n:03d}", "text": rec["text"], "topic": rec["topic"], "source": rec["url"]})
    _write("topics_eval.jsonl", topics)
    perm = []
    for line in (RAW / "cur_perm_taxonomy.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, group, code = (part.strip() for part in line.split("|"))
        perm.append(
            {"id": f"perm{len(perm) + 1:03d}", "text": name, "topic": code, "cur_group": group, "source": PERM_REPO}
        )
    _write("topics_tune.jsonl", perm)


if __name__ == "__main__":
    main()
