"""П.19 screen: obscene, insulting or threatening content → «возможно, не подлежит обработке».

The curator has the final word; the screen suggests, naming the words and the П.19 ground:

    obscene  — мат and vulgar words                 («нецензурная брань», «непристойное выражение»)
    insult   — insults, slurs, insults of a person   («оскорбление»)
    threat   — threats to the addressee, their family or property («угроза»)
    harm     — calls for violence in any person      («призыв к насилию»: «расстрелять их», «на кол»)

How a message is read (abusers obfuscate, and innocent words look alike):
  * words are split on spaces and on punctuation, also punctuation without a space («бункера.твари»);
    dotted or spaced letters are joined («б.л.я.т.ь», «х у й»);
  * Latin look-alikes and digits inside Cyrillic words become letters («xуй», «пи3дец»); repeated
    letters are collapsed («хууууй»); masks (``* # @ % $ . ! ?``) inside a word stand for letters
    and the word is compared with the inflected obscene forms («х*й», «ху..ю», «е*****»), and so
    are reversed («йух») and all-Latin («blyat») words;
  * roots are anchored where they are pieces of innocent words (хлеб, страхуй, корабля, сравнить);
  * homonyms are resolved by the sentence: «сухие суки тополя», «пезда» for поезда near a station,
    «в кретином состоянии»; animal words insult only a person who is addressed («вы свиньи»), never
    livestock («свиньи ходят по дороге»);
  * violence: first-person threats («убью»), unambiguous calls in any form but a plain past report
    («расстрелять», «отстреливать»), ambiguous verbs only as a call with a person as their object
    («повесить их», «сжечь администрацию»), never with rubbish, weeds or pests («сжечь мусор»).
The lexicon is data: ``data/screen.toml``.

Over 400 lines for a stated reason: the rules above are one reading of a sentence — the word
normalisation feeds the homonym, person and violence rules, which consult each other — so
``Screen`` is kept whole with the normalisation it depends on; the word lists are in the data file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from .text import is_known_word, lemma, morph

GROUND_NAMES = {
    "obscene": "нецензурные выражения",
    "insult": "оскорбительные выражения",
    "threat": "угроза жизни, здоровью, имуществу или семье",
    "harm": "намерение причинить вред",
}
KIND_LABELS = {
    "obscene": ("obscene", "нецензурная брань"),
    "vulgar": ("obscene", "непристойное выражение"),
    "insult": ("insult", "оскорбление"),
    "slur": ("insult", "оскорбление по национальному или иному признаку"),
    "weak": ("insult", "оскорбление"),
    "animal": ("insult", "оскорбление"),
    "threat": ("threat", "угроза"),
    "harm": ("harm", "призыв к насилию"),
}

_LOOKALIKE = str.maketrans(
    {
        "a": "а", "o": "о", "e": "е", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к",
        "m": "м", "t": "т", "h": "н", "b": "в", "u": "и", "0": "о", "3": "з", "4": "ч",
        "6": "б", "ё": "е",
    }
)  # fmt: skip
_TRANSLIT = [
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
    ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "е"), ("jo", "е"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("x", "х"), ("c", "ц"),
    ("q", "к"), ("y", "й"),
]  # fmt: skip
MASKS = "*#@%$.!?_"
_MASK_SET = frozenset(MASKS)
_CYR = re.compile(r"[а-яё]")
_LAT_WORD = re.compile(r"^[a-z]{3,}$")
_CLEAN = re.compile(r"[^\w*#@%$.!?\-]+")
_DOTTED = re.compile(r"^(?:[а-яёa-z0-9*][.\-_]){2,}[а-яёa-z0-9*]$")
# one punctuation mark between two words of two letters or more is a missing space, not a mask
_GLUE = re.compile(r"(?<=[а-яёa-z]{2})[.!?,;:](?=[а-яёa-z]{2})")
_MULTIDOT = re.compile(r"(?<=[а-яёa-z])\.{2,}(?=[а-яёa-z])")
_PAREN_MASK = re.compile(r"(?<=[а-яё])[()](?=[а-яё])")  # «пид)р»
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_SENT_END = re.compile(r"[.!?\n]+")
_CLAUSE_MARK = re.compile(r"[,!?.;:—\-]")
_STOP_CORES = frozenset(
    "а и в с у о к на по ни да не за до от из так вот ну как что это то же ли бы ой ах эх ого".split()
)
SECOND_PERSON = frozenset(
    "ты вы тебя тебе тобой тебе вас вам вами твой твоя твое твоё твои твоих твоим ваш ваша ваше ваши ваших вашим".split()
)
PERSON_PRONOUNS = frozenset(
    "их им ими вас вам тебя тебе его ему её ее ей всех таких этих этого эту этой этим него нее неё них ним нему"
    " тех того ту этот эти такого такую".split()
)
CALL_WORDS = frozenset("надо нужно пора следует стоит бы хочу хочется готов давайте давай предлагаю".split())
NEGATIONS = frozenset("не нельзя незачем никого".split())


@dataclass(frozen=True, slots=True)
class ScreenResult:
    processable: bool
    reasons: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    grounds: tuple[str, ...] = ()  # codes of GROUND_NAMES, in the order first met

    @property
    def ground_names(self) -> tuple[str, ...]:
        return tuple(GROUND_NAMES[g] for g in self.grounds)


LIST_KEYS = (
    "obscene vulgar insults slurs insults_weak insults_animal canonical whitelist targets addressees persons threats_first"
    " violence_strong violence_weak violence_innocent_objects threat_phrases harm_phrases typo_nouns"
).split()


@dataclass(slots=True)
class ScreenLexicon:
    obscene: list[str] = field(default_factory=list)
    vulgar: list[str] = field(default_factory=list)
    insults: list[str] = field(default_factory=list)
    slurs: list[str] = field(default_factory=list)
    insults_weak: list[str] = field(default_factory=list)
    insults_animal: list[str] = field(default_factory=list)
    canonical: list[str] = field(default_factory=list)
    whitelist: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    addressees: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    threats_first: list[str] = field(default_factory=list)
    violence_strong: list[str] = field(default_factory=list)
    violence_weak: list[str] = field(default_factory=list)
    violence_innocent_objects: list[str] = field(default_factory=list)
    threat_phrases: list[str] = field(default_factory=list)
    harm_phrases: list[str] = field(default_factory=list)
    typo_nouns: list[str] = field(default_factory=list)
    homonyms: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ScreenLexicon:
        values: dict[str, Any] = {k: [str(x) for x in data.get(k, [])] for k in LIST_KEYS}
        values["homonyms"] = {str(k): [str(x) for x in v] for k, v in (data.get("homonyms") or {}).items()}
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> ScreenLexicon:
        return cls.from_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def default(cls) -> ScreenLexicon:
        text = files("otklik.triage.engine").joinpath("data/screen.toml").read_text("utf-8")
        return cls.from_mapping(tomllib.loads(text))


def _join(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _deobfuscate(piece: str) -> str:
    w = piece.replace("ё", "е")
    if _CYR.search(w):
        w = w.translate(_LOOKALIKE)
    return w


def _translit(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        for lat, cyr in _TRANSLIT:
            if word.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Word:
    norm: str  # normalised (masks kept)
    raw: str  # as written
    clause_start: bool
    clause_end: bool
    alts: tuple[str, ...] = ()  # «урод...он» may be two words: their normalised forms


def split_words(text: str) -> list[list[Word]]:
    """Sentences of normalised words (``Word``); spaced-out single letters are joined."""
    text = _PAREN_MASK.sub("*", text.lower())
    return [words for sentence in _split_sentences(text) if (words := _sentence_words(sentence))]


def _sentence_words(sentence: str) -> list[Word]:
    words: list[Word] = []
    run: list[tuple[str, str]] = []
    start = True

    def add(norm: str, raw: str) -> None:
        nonlocal start
        alts = tuple(_deobfuscate(p) for p in _MULTIDOT.split(norm)) if _MULTIDOT.search(norm) else ()
        words.append(Word(norm, raw, start, False, alts))
        start = False

    def flush() -> None:
        if len(run) >= 3:
            add(_deobfuscate("".join(n for n, _ in run)), " ".join(r for _, r in run))
        else:
            for n, r in run:
                add(n, r)
        run.clear()

    def end_clause() -> None:
        nonlocal start
        flush()
        if words:
            last = words[-1]
            words[-1] = Word(last.norm, last.raw, last.clause_start, True, last.alts)
        start = True

    for chunk in sentence.split():
        for part in _CLEAN.sub(" ", chunk).split():
            for piece in _pieces(part):
                stripped = piece.strip("-_")
                core = stripped.strip(".!?")
                if not core or not any(ch.isalnum() for ch in core):
                    continue
                trailing = len(stripped) - len(stripped.rstrip("."))
                norm = _deobfuscate(core + ("." * trailing if trailing >= 2 else ""))
                if len(core) == 1 and core.isalpha():
                    run.append((norm, piece))
                    continue
                flush()
                add(norm, piece)
        if _CLAUSE_MARK.search(chunk[-1:]):
            end_clause()
    end_clause()
    return words


def _split_sentences(text: str) -> list[str]:
    # a sentence ends at .!? followed by a space or the end, or at a line break; «х..» stays a word
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _pieces(part: str) -> list[str]:
    if _DOTTED.match(part):
        return [re.sub(r"[.\-_]", "", part)]
    return [p for p in _GLUE.split(part) if p]


class Screen:
    def __init__(self, lexicon: ScreenLexicon | None = None) -> None:
        lx = lexicon or ScreenLexicon.default()
        self.lexicon = lx
        self._rx = {
            "obscene": _join(lx.obscene),
            "vulgar": _join(lx.vulgar),
            "insult": _join(lx.insults),
            "slur": _join(lx.slurs),
            "weak": _join(lx.insults_weak),
            "animal": _join(lx.insults_animal),
        }
        self._whitelist = frozenset(w.replace("ё", "е") for w in lx.whitelist)
        self._targets = frozenset(lx.targets)
        self._addressees = frozenset(lx.addressees) | SECOND_PERSON
        self._persons = frozenset(lx.persons)
        self._first = frozenset(lx.threats_first)
        self._strong = frozenset(lx.violence_strong)
        self._weak_violence = frozenset(lx.violence_weak)
        self._innocent_objects = frozenset(lx.violence_innocent_objects)
        self._typo_nouns = frozenset(lx.typo_nouns)
        self._homonyms = [(re.compile(p), frozenset(v)) for p, v in lx.homonyms.items()]
        self._threat_rx = _join(lx.threat_phrases)
        self._harm_rx = _join(lx.harm_phrases)

    # ------------------------------------------------------------------ words
    @functools.cached_property
    def _canonical(self) -> frozenset[str]:
        """The obscene forms with their inflections (pymorphy3), ё→е, also without ь/ъ."""
        out: set[str] = set()
        for seed in self.lexicon.canonical:
            forms = {seed}
            try:
                for parse in morph().parse(seed)[:1]:
                    forms.update(f.word for f in parse.lexeme)
            except Exception:  # pragma: no cover - a broken dictionary must not stop the screen
                pass
            for f in forms:
                f = f.replace("ё", "е")
                out.add(f)
                out.add(f.replace("ь", "").replace("ъ", ""))
        return frozenset(out)

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 - one Screen per process, bounded cache
    def classify(self, norm: str) -> str | None:
        """The kind of a normalised word (see KIND_LABELS) or None; context is checked by the caller."""
        if norm in self._whitelist:
            return None
        core = norm.rstrip(".")
        if any(ch in _MASK_SET for ch in core[1:]) and _CYR.search(core):
            return "obscene" if self._masked_obscene(norm) else None
        variants = {core, _RUN3.sub(r"\1", core), _RUN2.sub(r"\1", core)}
        if "-" in core:
            variants |= {core.replace("-", "")} | {p for p in core.split("-") if len(p) > 1}
        variants = {v for v in variants if v and v not in self._whitelist}
        for kind in ("obscene", "vulgar", "slur", "insult", "weak", "animal"):
            rx = self._rx[kind]
            if rx is not None and any(rx.search(v) for v in variants):
                return kind
        if len(core) >= 3:
            if core[::-1] in self._canonical and not is_known_word(core):
                return "obscene"  # «йух»; but «тебе» is not a reversed «ебет»
            if _LAT_WORD.match(core) and _translit(core) in self._canonical:
                return "obscene"
        if core != norm and len(core) <= 4 and _CYR.search(core) and self._masked_obscene(norm):
            return "obscene"  # «х..», «бл...»
        return None

    def _masked_obscene(self, norm: str) -> bool:
        trailing_dots = len(norm) - len(norm.rstrip("."))
        letters = norm.strip(MASKS)
        if not letters or (trailing_dots and norm[:-trailing_dots].strip(MASKS) in _STOP_CORES):
            return False
        parts, i = [], 0
        while i < len(norm):
            if norm[i] in _MASK_SET:
                j = i
                while j < len(norm) and norm[j] in _MASK_SET:
                    j += 1
                k = j - i
                # «х*й» hides letters, «пи...здец» may only break the word: dots stand for 0+ letters
                low = 0 if norm[i] == "." else 1
                parts.append(f"[а-я]{{{low},{k + 2}}}")
                i = j
            else:
                parts.append(re.escape(norm[i]))
                i += 1
        rx = re.compile("".join(parts))
        return any(rx.fullmatch(w) for w in self._canonical)

    # ------------------------------------------------------------------ context
    def _innocent_homonym(self, norm: str, sentence_lemmas: frozenset[str]) -> bool:
        return any(rx.search(norm) and innocent & sentence_lemmas for rx, innocent in self._homonyms)

    def _official(self, lemmas: Sequence[str]) -> bool:
        return any(lem in self._targets for lem in lemmas)

    def _addressed(self, words: Sequence[Word], lemmas: Sequence[str]) -> bool:
        return any(w.norm in self._addressees or lem in self._addressees for w, lem in zip(words, lemmas, strict=True))

    # ------------------------------------------------------------------ check
    def check(self, text: str) -> ScreenResult:
        reasons: list[str] = []
        hits: list[str] = []
        grounds: list[str] = []

        def hit(kind: str, written: str, *, official: bool = False) -> None:
            if written in hits:
                return
            ground, label = KIND_LABELS[kind]
            if official and ground == "insult":
                label = "оскорбление должностного лица"
            hits.append(written)
            reasons.append(f"{label}: «{written}»")
            if ground not in grounds:
                grounds.append(ground)

        for words in split_words(text or ""):
            lemmas = [
                lemma(w.norm) if _CYR.search(w.norm) and not any(c in _MASK_SET for c in w.norm) else w.norm
                for w in words
            ]
            lemma_set = frozenset(lemmas)
            official = self._official(lemmas)
            addressed = None
            flagged: set[int] = set()
            for i, w in enumerate(words):
                kind = self.classify(w.norm)
                if kind is None and w.alts:
                    kind = next((k for k in map(self.classify, w.alts) if k is not None), None)
                if kind is None:
                    continue
                if self._innocent_homonym(w.norm, lemma_set):
                    continue
                if kind in ("insult", "weak", "animal") and i + 1 < len(words) and lemmas[i + 1] in self._typo_nouns:
                    continue  # «в кретином состоянии» is a typo of «критическом»
                if kind in ("weak", "animal") and len(words) > 1:
                    # «вор украл дрова» is a report; «воры из администрации», «вы свиньи», «клоуны!» insult
                    if addressed is None:
                        addressed = official or self._addressed(words, lemmas)
                    vocative = kind == "weak" and w.clause_end and i > 0 and words[i - 1].clause_end
                    if not (addressed or vocative):
                        continue
                flagged.add(i)
                hit(kind, w.raw, official=official)
            self._violence(words, lemmas, flagged, hit)
            flat = " ".join(w.norm for w in words)
            for rx, kind in ((self._threat_rx, "threat"), (self._harm_rx, "harm")):
                if rx is not None:
                    m = rx.search(flat)
                    if m:
                        hit(kind, m.group(0).strip())
        return ScreenResult(processable=not hits, reasons=tuple(reasons), words=tuple(hits), grounds=tuple(grounds))

    def _violence(self, words: Sequence[Word], lemmas: Sequence[str], flagged: set[int], hit: Any) -> None:
        call = bool(CALL_WORDS.intersection(w.norm for w in words))
        for i, lem in enumerate(lemmas):
            if lem not in self._first and lem not in self._strong and lem not in self._weak_violence:
                continue
            if NEGATIONS.intersection(w.norm for w in words[max(0, i - 3) : i]):
                continue
            tag = _tag(words[i].norm)
            first_future = "1per" in tag and ("futr" in tag or "perf" in tag)
            if lem in self._first and first_future:
                hit("threat", words[i].raw)
                continue
            is_call = call or "INFN" in tag or "impr" in tag or first_future
            past = "past" in tag
            if lem in self._strong and (is_call or not past):
                hit("harm", words[i].raw)
                continue
            if lem in self._weak_violence and is_call and not (past and "бы" not in (w.norm for w in words)):
                window = range(max(0, i - 4), min(len(words), i + 5))
                if any(lemmas[j] in self._innocent_objects for j in window):
                    continue
                person = any(
                    j != i and (words[j].norm in PERSON_PRONOUNS or lemmas[j] in self._persons or j in flagged)
                    for j in window
                )
                if person:
                    hit("harm", words[i].raw)


@functools.lru_cache(maxsize=50_000)
def _tag(word: str) -> str:
    """The grammemes of the most likely parse of a verb form («убью» → "...1per,futr...")."""
    try:
        return str(morph().parse(word)[0].tag)
    except Exception:  # pragma: no cover
        return ""


def screen_texts(texts: Iterable[str], screen: Screen | None = None) -> list[ScreenResult]:
    s = screen or Screen()
    return [s.check(t) for t in texts]
