"""Build the real-message evaluation files from the raw pages in ``raw/`` (run once; output committed).

    python tests/triage_real/build.py

Every item keeps where it came from (``source``). Nothing here is generated: the texts are public
messages copied verbatim (trimmed to the message) from the sources named in the raw files.

* ``screen_tune.jsonl`` / ``screen_eval.jsonl`` — toxic comments and their human neutral rewrites
  (RUSSE-2022 detox corpus, train split only: the tune page and the eval pages are disjoint parts
  of the file). A pair whose rewrite equals the "toxic" text (up to case and punctuation) is
  dropped: the annotators found nothing to remove, so it is not a toxic example.
* ``topics_eval.jsonl`` / ``topics_tune.jsonl`` — citizens' messages to authorities found on public
  pages (letters to governors, city and regional complaint portals, «Народный контроль» rubrics,
  readers' letters, residents' posts and comments quoted by local news — the resident's own words
  only), topic labelled by us with the rubric's codes, ``setting`` urban or rural. Raw files:
  ``raw/topics_pages.jsonl`` (the first 48, which the first rubric was built against) and
  ``raw/topics_more.tsv`` (``topic<TAB>u|r<TAB>url<TAB>text``). The split is by page, never by
  item: the first 48 all go to tuning (they were looked at while the rules were written), every
  other page is ordered within its topic by the hash of its URL and every third one goes to tuning
  (a third of each class, stratified, decided by the URL alone), the rest to evaluation — except pages of
  regional government portals (``kuzbass-online.ru``), which always go to evaluation, so that
  nothing that could be part of somebody's held-out ЦУР data is ever tuned on.
  ``repeat_of`` links a message to an earlier one about the same problem on another page.
* ``topics_taxonomy.jsonl`` — the Perm ЦУР («Инцидент Менеджмент») sub-topic names with the ЦУР's
  own group; our rubric code is our mapping of that group/sub-topic (training data for the
  learner, not messages).
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


# Pages that tell of the same problem as an earlier page (real repeats: another message, same issue).
REPEATS = {
    "https://tvsamara.ru/guest-book/answer/57993": "https://tvsamara.ru/guest-book/answer/58844",
    "https://www.kp40.ru/news/culture/136174/?utm_source=rss": "https://www.kp40.ru/news/culture/138999/?utm_source=rss",
}
EVAL_ONLY = ("kuzbass-online.ru",)


def _url_hash(url: str) -> str:
    return hashlib.blake2b(url.encode("utf-8"), digest_size=8).hexdigest()


def _tune_pages(rows: list[list[str]]) -> set[str]:
    """A third of each topic's pages, chosen by the hash of the URL (never by the text)."""
    by_topic: dict[str, list[str]] = {}
    for topic, _, url, _ in rows:
        if not any(host in url for host in EVAL_ONLY) and url not in by_topic.setdefault(topic, []):
            by_topic[topic].append(url)
    chosen = {url for urls in by_topic.values() for i, url in enumerate(sorted(urls, key=_url_hash)) if i % 3 == 2}
    # A repeat goes where its original went (both are needed to measure repeats).
    return {url for url in chosen if url not in REPEATS} | {url for url, first in REPEATS.items() if first in chosen}


def _topics() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The real messages, split by page (see the module's docstring)."""
    seen: set[str] = set()
    tune: list[dict[str, object]] = []
    evaluation: list[dict[str, object]] = []
    ids: dict[str, str] = {}
    first_pages: set[str] = set()
    for n, line in enumerate((RAW / "topics_pages.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
        rec = json.loads(line)
        seen.add(_norm(rec["text"]))
        first_pages.add(rec["url"])
        tune.append({"id": f"p{n:03d}", "text": rec["text"], "topic": rec["topic"], "source": rec["url"]})
    rows = [line.split("\t") for line in (RAW / "topics_more.tsv").read_text(encoding="utf-8").splitlines()]
    tune_pages = _tune_pages(rows)
    for n, (topic, setting, url, text) in enumerate(rows, start=1):
        key = _norm(text)
        if key in seen:
            continue
        seen.add(key)
        ids[url] = f"m{n:03d}"
        item: dict[str, object] = {
            "id": ids[url],
            "text": text.strip(),
            "topic": topic,
            "setting": {"u": "urban", "r": "rural"}[setting],
            "source": url,
        }
        if url in REPEATS:
            item["repeat_of"] = ids[REPEATS[url]]
        # a page of the first 48 keeps all its messages in tuning (one page, one split)
        (tune if url in tune_pages or url in first_pages else evaluation).append(item)
    return tune, evaluation


def _write(name: str, rows: list[dict[str, object]]) -> None:
    with (HERE / name).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{name}: {len(rows)}")


def main() -> None:
    _write("screen_tune.jsonl", _detox("detox_train_p0.txt", "tune") + _detox("detox_train_p120k.txt", "tune"))
    _write("screen_eval.jsonl", _detox("detox_train_p250k.txt", "eval") + _detox("detox_train_p440k.txt", "eval"))
    tune, evaluation = _topics()
    _write("topics_tune.jsonl", tune)
    _write("topics_eval.jsonl", evaluation)
    perm = []
    for line in (RAW / "cur_perm_taxonomy.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, group, code = (part.strip() for part in line.split("|"))
        perm.append(
            {"id": f"perm{len(perm) + 1:03d}", "text": name, "topic": code, "cur_group": group, "source": PERM_REPO}
        )
    _write("topics_taxonomy.jsonl", perm)


if __name__ == "__main__":
    main()
