"""П.19 screen: obscene, insulting or threatening content toward officials → not processed.

The matcher works on our own normalisation of the text, because abusers obfuscate:
  * Latin look-alikes (a o e p c x y k m t h) become Cyrillic inside Cyrillic words;
  * digits 0→о 3→з 4→ч 6→б inside words;
  * masks (* # @ % $ ! ?) inside a word stand for one or two unknown letters («х*й», «бл@дь»);
  * letters spaced or dotted out («х у й», «б.л.я.т.ь») are joined;
  * repeated letters are collapsed («хууууй», «мрааазь»).
Obscene roots are anchored where a root is a common substring of innocent words, and a
whitelist (оскорблять, хлебать, застрахуй, корабля, ребята …) never fires. Weak insults («вор»,
«идиот») count only when an official or the addressee is named in the same sentence, so
«дорога в ужасном состоянии» passes. The curator has the final word; the reasons say which
words triggered.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from .text import lemma

_LOOKALIKE = str.maketrans(
    {
        "a": "а", "o": "о", "e": "е", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к",
        "m": "м", "t": "т", "h": "н", "b": "в", "u": "и", "0": "о", "3": "з", "4": "ч",
        "6": "б", "ё": "е",
    }
)  # fmt: skip
_MASKS = "*#@%$!?"
_CYR = re.compile(r"[а-яё]")
_WORD_SPLIT = re.compile(r"[\s,;:()\"«»\[\]{}<>/\\|+=~^]+")
_DOTTED = re.compile(r"^(?:[а-яa-z0-9*#@%$][.\-_]){2,}[а-яa-z0-9*#@%$]$")
_REPEAT = re.compile(r"(.)\1+")
_EDGE = "\".,!?;:()«»'-_…"


@dataclass(frozen=True, slots=True)
class ScreenResult:
    processable: bool
    reasons: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


@dataclass(slots=True)
class ScreenLexicon:
    obscene_roots: list[str]
    obscene_words: list[str]
    whitelist: list[str]
    insults_strong: list[str]
    insults_weak: list[str]
    targets: list[str]
    threat_words: list[str]
    threat_phrases: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ScreenLexicon:
        keys = (
            "obscene_roots obscene_words whitelist insults_strong insults_weak targets threat_words threat_phrases"
        ).split()
        values: dict[str, Any] = {k: list(data.get(k, [])) for k in keys}
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> ScreenLexicon:
        return cls.from_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def default(cls) -> ScreenLexicon:
        text = files("otklik.triage.engine").joinpath("data/screen.toml").read_text("utf-8")
        return cls.from_mapping(tomllib.loads(text))


def _collapse(word: str) -> str:
    return _REPEAT.sub(r"\1", word)


def _deobfuscate_word(raw: str) -> str:
    w = raw.strip(_EDGE) if not any(ch in _MASKS for ch in raw.strip(_EDGE)) else raw
    w = w.strip("\".,;:()«»'…")
    if _DOTTED.match(w):
        w = re.sub(r"[.\-_]", "", w)
    if _CYR.search(w) or any(ch in _MASKS for ch in w[1:-1]):
        w = w.translate(_LOOKALIKE)
    return w


def normalized_words(text: str) -> list[tuple[str, str]]:
    """(normalised word, as written) pairs; spaced-out single letters are joined."""
    raw_words = [w for w in _WORD_SPLIT.split(text.lower()) if w]
    out: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if len(run) >= 3:
            out.append(("".join(n for n, _ in run), " ".join(r for _, r in run)))
        else:
            out.extend(run)
        run.clear()

    for raw in raw_words:
        # "х.у.й" and trailing punctuation are handled in _deobfuscate_word
        norm = _deobfuscate_word(raw)
        if not norm:
            continue
        if len(norm) == 1:
            run.append((norm, raw))
            continue
        flush()
        out.append((norm, raw))
    flush()
    return out


class Screen:
    def __init__(self, lexicon: ScreenLexicon | None = None) -> None:
        lx = lexicon or ScreenLexicon.default()
        self.lexicon = lx
        self._roots = [re.compile(p) for p in lx.obscene_roots]
        self._obscene_words = [_collapse(w) for w in lx.obscene_words]
        self._whitelist = frozenset(_collapse(w) for w in lx.whitelist) | frozenset(lx.whitelist)
        self._strong = frozenset(lx.insults_strong)
        self._weak = frozenset(lx.insults_weak)
        self._targets = frozenset(lx.targets)
        self._threat_words = frozenset(_collapse(w) for w in lx.threat_words) | frozenset(lx.threat_words)
        self._threat_re = [re.compile(p) for p in lx.threat_phrases]

    @functools.lru_cache(maxsize=100_000)  # noqa: B019 - one Screen per process, bounded cache
    def _obscene(self, word: str) -> bool:
        if word in self._whitelist:
            return False
        masked = any(ch in _MASKS for ch in word[1:-1])
        if masked:
            core = word.strip(_MASKS)
            if not _CYR.search(core):
                return False
            pattern = "".join("[а-я]{1,2}" if ch in _MASKS else re.escape(ch) for ch in _collapse(core))
            rx = re.compile(pattern)
            return any(rx.fullmatch(w) for w in self._obscene_words) or any(
                rx.fullmatch(w[: len(w) - k]) for w in self._obscene_words for k in (1, 2) if len(w) - k >= 3
            )
        c = _collapse(word)
        if c in self._whitelist:
            return False
        return any(r.search(c) for r in self._roots) or any(r.search(word) for r in self._roots)

    def check(self, text: str) -> ScreenResult:
        words = normalized_words(text)
        reasons: list[str] = []
        hits: list[str] = []

        def hit(kind: str, written: str) -> None:
            if written not in hits:
                hits.append(written)
                reasons.append(f"{kind}: «{written}»")

        for norm, raw in words:
            parts = [norm] + ([p for p in norm.split("-") if p] if "-" in norm else [])
            for part in parts:
                letters = part.strip(_MASKS + ".-_")
                if not _CYR.search(letters):
                    lems: set[str] = {letters}
                else:
                    lems = {lemma(letters), lemma(_collapse(letters))}
                if self._obscene(part):
                    hit("нецензурная брань", raw)
                elif lems & self._strong:
                    hit("оскорбление", raw)
                elif part in self._threat_words or _collapse(part) in self._threat_words:
                    hit("угроза", raw)
        # weak insults need an addressee/official in the same sentence
        for sentence in _sentences(text):
            sw = normalized_words(sentence)
            slem = [lemma(n) if _CYR.search(n) else n for n, _ in sw]
            if not self._targets.intersection(slem):
                continue
            for (_, raw), lem in zip(sw, slem, strict=True):
                if lem in self._weak:
                    hit("оскорбление должностного лица", raw)
        flat = " ".join(n for n, _ in words)
        for rx in self._threat_re:
            m = rx.search(flat)
            if m:
                hit("угроза", m.group(0))
        return ScreenResult(processable=not hits, reasons=tuple(reasons), words=tuple(hits))


def _sentences(text: str) -> Iterable[str]:
    return (s for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip())
