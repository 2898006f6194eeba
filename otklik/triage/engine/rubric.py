"""Topic rubric: categories with weighted lemma keywords, and rule-based topic scoring.

A rubric is data. It is loaded from a TOML/JSON file (see ``data/rubric.toml`` for the format) or
from plain records (``Rubric.from_records``) — the administration's Topic rows. Keywords are
lemmatised on load, so a curator may type any form ("батареи", "уличное освещение").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .resources import load_records, shipped_records
from .text import Doc, lemma, lemmatize_phrase

FALLBACK_TOPIC = "other"
LANDMARK_SHARE = 0.25
# Facilities and places people use to say where a problem is. Such a keyword counts a quarter
# after a locative word or as a proper name; elsewhere it is the subject («в школе холодно»).
LANDMARKS = frozenset(
    "школа садик детсад сад больница поликлиника остановка мост магазин аптека стадион парк сквер клуб"
    " библиотека кладбище церковь храм вокзал станция рынок администрация почта котельная подстанция"
    " водокачка фап площадка гараж завод ферма лес река озеро пруд кафе тц банк колледж техникум лицей"
    " гимназия университет интернат музей памятник фонтан рынок каток бассейн спорткомплекс автостанция"
    " автовокзал трасса дорога переезд улица двор подъезд башня вышка колонка скважина колодец".split()
)
# words after which a landmark tells where, not what («возле школы», «рядом с больницей», «до моста»)
LOCATIVE = frozenset(
    "возле около вокруг рядом напротив близ вблизи недалеко неподалеку неподалёку у за перед мимо вдоль между позади"
    " район сторона к до через над под остановка остановочный ул проспект переулок тц жк мкр микрорайон".split()
)


@dataclass(frozen=True, slots=True)
class Topic:
    code: str
    name: str
    keywords: Mapping[str, float] = field(default_factory=dict)
    group: str = ""


@dataclass(frozen=True, slots=True)
class TopicScore:
    topic: str
    score: float  # in [0, 1]
    words: tuple[str, ...]  # the words (as written) that decided


class Rubric:
    """Weighted keyword rules for topics. Scores are shares of the matched weight."""

    def __init__(self, topics: Iterable[Topic], fallback: str = FALLBACK_TOPIC) -> None:
        self.topics: dict[str, Topic] = {t.code: t for t in topics}
        self.fallback = fallback
        self._unigrams: dict[str, list[tuple[str, float]]] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str, float]]] = {}
        for topic in self.topics.values():
            for word, weight in topic.keywords.items():
                lemmas = lemmatize_phrase(word)
                if not lemmas:
                    continue
                if len(lemmas) == 1:
                    self._unigrams.setdefault(lemmas[0], []).append((topic.code, float(weight)))
                else:
                    self._phrases.setdefault(lemmas[0], []).append((lemmas, topic.code, float(weight)))

    # ----------------------------------------------------------------- loading
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], *, inherit: Rubric | None = None) -> Rubric:
        """Build from dicts ``{code, name, keywords, group?}``.

        ``keywords`` is a mapping word -> weight, or a list of words (weight 2 each), or a string
        of words separated by commas/new lines, each optionally ``word=weight`` (how a curator
        types them into a form: ``"отопление=3, батарея=2, котельная"``).

        With ``inherit`` (e.g. ``Rubric.default()``), a topic without keywords takes those of the
        inherited topic with the same code, or else of the inherited topics whose name or group
        equals its name or code (an administration's «ЖКХ» gets the shipped ЖКХ sub-topics' words).
        """
        topics = []
        for rec in records:
            code = str(rec["code"])
            name = str(rec.get("name") or code)
            keywords = parse_keywords(rec.get("keywords"))
            if not keywords and inherit is not None:
                keywords = inherit.keywords_like(code, name)
            topics.append(Topic(code=code, name=name, keywords=keywords, group=str(rec.get("group") or "")))
        return cls(topics)

    def keywords_like(self, code: str, name: str) -> dict[str, float]:
        """Keywords of this rubric's topic ``code``, or of the topics named/grouped as ``name``."""
        if code in self.topics:
            return dict(self.topics[code].keywords)
        keys = {code.casefold(), name.casefold()}
        out: dict[str, float] = {}
        for t in self.topics.values():
            if t.code == self.fallback:
                continue
            if t.name.casefold() in keys or (t.group and t.group.casefold() in keys):
                for word, weight in t.keywords.items():
                    out[word] = max(weight, out.get(word, 0.0))
        return out

    @classmethod
    def from_file(cls, path: str | Path) -> Rubric:
        """Load a ``.toml`` file (``[[topic]]`` tables) or a ``.json`` file (a list or ``{"topic": [...]}``)."""
        return cls.from_records(load_records(path, "topic"))

    @classmethod
    def default(cls) -> Rubric:
        return cls.from_records(shipped_records("rubric.toml", "topic"))

    # ----------------------------------------------------------------- scoring
    def raw_scores(self, doc: Doc) -> dict[str, tuple[float, list[str]]]:
        """Topic -> (sum of weights of the distinct keywords found, the words as written).

        A keyword that only says where the problem is counts ``LANDMARK_SHARE`` of its weight: after
        a locative word («возле школы», «рядом с больницей», «дорога до школы») or as a proper name
        («остановка «Мосты»», «ТЦ Европа»). The subject of a message outweighs its landmarks.
        """
        found: dict[str, dict[tuple[str, ...], tuple[float, str]]] = {}
        toks = doc.tokens
        # A phrase owns its words: «школьный автобус» is transport, and its «школьный» is not also
        # education. Phrases are matched first; a word inside a matched phrase of another topic is skipped.
        owned: dict[int, str] = {}
        for i, tok in enumerate(toks):
            for lemmas, code, weight in self._phrases.get(tok.lemma, ()):
                n = len(lemmas)
                if tuple(t.lemma for t in toks[i : i + n]) == lemmas:
                    written = " ".join(t.text for t in toks[i : i + n])
                    found.setdefault(code, {})[lemmas] = (weight * _landmark_share(doc, i, n), written)
                    for j in range(i, i + n):
                        owned.setdefault(j, code)
        for i, tok in enumerate(toks):
            for key_lemma in self._unigram_lemmas(tok.lemma, tok.lower):
                unigrams = self._unigrams[key_lemma]
                share = _landmark_share(doc, i, lemmas=(key_lemma,))
                for code, weight in unigrams:
                    if owned.get(i, code) != code:
                        continue
                    hits = found.setdefault(code, {})
                    key: tuple[str, ...] = (key_lemma,)
                    w = weight * share
                    if key not in hits or hits[key][0] < w:
                        hits[key] = (w, tok.text)
        out: dict[str, tuple[float, list[str]]] = {}
        for code, hits in found.items():
            # A phrase absorbs the weight of its own words ("детская площадка" is not also "площадка").
            phrase_words = {lem for key in hits if len(key) > 1 for lem in key}
            total = 0.0
            words = []
            for key, (weight, written) in sorted(hits.items(), key=lambda kv: -kv[1][0]):
                if len(key) == 1 and key[0] in phrase_words:
                    continue
                total += weight
                words.append(written)
            out[code] = (total, words)
        return out

    def _unigram_lemmas(self, lem: str, lower: str) -> tuple[str, ...]:
        """The keyword lemmas a token stands for: its own, or, for a hyphenated compound that is
        no keyword as a whole, those of its parts («мама-инвалид», «дети-инвалиды», and a dash
        typed without spaces: «рынка-увеличились»)."""
        if lem in self._unigrams:
            return (lem,)
        if "-" not in lower:
            return ()
        parts = (lemma(part) for part in lower.split("-") if len(part) > 2)
        return tuple(dict.fromkeys(p for p in parts if p in self._unigrams))

    def score(self, doc: Doc, top: int = 3) -> list[TopicScore]:
        """Top topics by rules; score = share of matched weight, damped when evidence is thin.

        No keyword at all gives the fallback topic with score 0 (the caller says «не определено»).
        """
        raw = self.raw_scores(doc)
        total = sum(v for v, _ in raw.values())
        if total <= 0:
            return [TopicScore(self.fallback, 0.0, ())]
        # share × confidence: a single weak word (weight 1) gives ~0.5 at best.
        confidence = total / (total + 1.0)
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [TopicScore(code, round(v / total * confidence, 4), tuple(words)) for code, (v, words) in ranked[:top]]

    def name(self, code: str) -> str:
        t = self.topics.get(code)
        if t is not None:
            return t.name
        return FALLBACK_NAME if code == self.fallback else code


FALLBACK_NAME = "Прочее"


def _landmark_share(doc: Doc, i: int, n: int = 1, lemmas: tuple[str, ...] | None = None) -> float:
    """``LANDMARK_SHARE`` when the keyword at tokens ``i…i+n-1`` (of ``lemmas``, the part of a
    hyphenated compound that matched) is a landmark that only locates the problem, else 1."""
    toks = doc.tokens
    tok = toks[i]
    if not any(lem in LANDMARKS for lem in (lemmas or tuple(t.lemma for t in toks[i : i + n]))):
        return 1.0
    for j in range(max(0, i - 2), i):
        if toks[j].sentence == tok.sentence and toks[j].lemma in LOCATIVE:
            return LANDMARK_SHARE
    sentence_start = i == 0 or toks[i - 1].sentence != tok.sentence
    before = doc.text[max(0, tok.start - 1) : tok.start]
    if (tok.text[:1].isupper() and not tok.text.isupper() and not sentence_start) or (before and before in "«\"'“„"):
        return LANDMARK_SHARE  # a proper name: «остановка «Мосты»», «ТЦ Европа»
    return 1.0


def parse_keywords(value: Any) -> dict[str, float]:
    """Keywords as a mapping, a list of words (weight 2), or ``"word=weight, word"`` text."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k).strip(): float(v) for k, v in value.items() if str(k).strip()}
    if isinstance(value, str):
        value = _DECIMAL_COMMA.sub(r"\1.\2", value)  # "батарея=2,5" is a weight of 2.5
        items: list[Any] = value.replace("\n", ",").replace(";", ",").split(",")
    else:
        items = list(value)
    out: dict[str, float] = {}
    for item in items:
        word, _, weight = str(item).partition("=")
        word = word.strip()
        if not word:
            continue
        try:
            w = float(weight.strip().replace(",", ".")) if weight.strip() else DEFAULT_WEIGHT
        except ValueError:
            w = DEFAULT_WEIGHT
        if w > 0:
            out[word] = w
    return out


DEFAULT_WEIGHT = 2.0
_DECIMAL_COMMA = re.compile(r"(=\s*\d+),(\d+)(?!\s*=)")
