"""Places: a gazetteer of settlements and streets, matched in any grammatical case.

Matching is by stems, not by the dictionary: local toponyms (Батакан, Кактолга, Ушмун) are
unknown to pymorphy3, so every name token is reduced to a stem (trailing vowels and «й»
dropped) and a text token matches when it is that stem plus a Russian case ending
(«Газимурском Заводе», «из Широкой», «в Ушмуне»). Single-word names that are also common words
(Широкая, Тайна, Зерен) must be capitalised mid-sentence or follow a marker («с.», «село»);
streets must stand next to «улица/ул.» or before a house number.

Places not in the gazetteer may be found by the optional slovnet NER (``find(..., ner=True)``),
which costs ~1 ms a message and is therefore off on the fast path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .resources import load_records, shipped_records
from .text import Doc, Token, is_known_word, lemma, normalize_word

ENDINGS = frozenset(
    "а я у ю е и ы о ом ем ой ей ою ею ую юю ая яя ое ее ий ый ого его ому ему ым им ых их ами ями"
    " ах ях ам ям ов ев ь ью".split()
) | {""}
_STRIP = "аяоеиыуюйь"
SETTLEMENT_MARKERS = frozenset("с село д деревня п пос поселок посёлок пгт станция ст".split())
STREET_MARKERS = frozenset("ул улица пер переулок проспект пр пр-т мкр микрорайон квартал".split())
STREET_KINDS = frozenset({"street"})


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    parent: str = ""


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    name: str
    kind: str
    matched: str  # the words as written in the message
    parent: str = ""


def _stem(word: str) -> str:
    w = word
    for _ in range(2):
        if len(w) > 3 and w[-1] in _STRIP:
            w = w[:-1]
    return w


def _variant_tokens(text: str, kind: str) -> tuple[str, ...]:
    words = [normalize_word(w) for w in text.replace(".", ". ").split()]
    words = [w.strip(".,") for w in words if w.strip(".,")]
    if kind in STREET_KINDS:
        words = [w for w in words if w not in STREET_MARKERS]
    return tuple(words)


PLACE_WORDS = (
    SETTLEMENT_MARKERS
    | STREET_MARKERS
    | frozenset("город г район округ область край республика станица хутор урочище река озеро остров".split())
)


def _looks_like_a_place(doc: Doc, start: int, written: str) -> bool:
    """A span NER calls a location is offered as a place only if a word of it is a geographical
    name or unknown to the dictionary (local toponyms are), or a place word stands before it."""
    from .text import morph

    before = [t for t in doc.tokens if t.stop <= start][-2:]
    if any(t.lemma in PLACE_WORDS for t in before):
        return True
    for word in written.replace("-", " ").split():
        low = normalize_word(word.strip('.,«»"()'))
        if not low:
            continue
        if not is_known_word(low):
            return True
        if any("Geox" in p.tag for p in morph().parse(low)[:2]):
            return True
    return False


class Gazetteer:
    def __init__(self, places: Iterable[PlaceRecord]) -> None:
        self.places = list(places)
        # first-token stem -> [(record, tuple of (stem, full) per token)]
        self._index: dict[str, list[tuple[PlaceRecord, tuple[tuple[str, str], ...]]]] = {}
        for rec in self.places:
            variants = {_variant_tokens(rec.name, rec.kind)}
            variants |= {_variant_tokens(a, rec.kind) for a in rec.aliases}
            for var in variants:
                if not var:
                    continue
                parts = tuple((_stem(w), w) for w in var)
                self._index.setdefault(parts[0][0], []).append((rec, parts))
        self._max_strip = 4

    # ----------------------------------------------------------------- loading
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Gazetteer:
        """Build from dicts ``{name, kind, aliases?, parent?}``; aliases: list or comma string."""
        out = []
        for rec in records:
            aliases = rec.get("aliases") or ()
            if isinstance(aliases, str):
                aliases = [a.strip() for a in aliases.replace("\n", ",").split(",") if a.strip()]
            out.append(
                PlaceRecord(
                    name=str(rec["name"]),
                    kind=str(rec.get("kind") or "selo"),
                    aliases=tuple(str(a) for a in aliases),
                    parent=str(rec.get("parent") or ""),
                )
            )
        return cls(out)

    @classmethod
    def from_file(cls, path: str | Path) -> Gazetteer:
        """Load ``.toml`` (``[[place]]`` tables) or ``.json`` (a list or ``{"place": [...]}``)."""
        return cls.from_records(load_records(path, "place"))

    @classmethod
    def default(cls) -> Gazetteer:
        return cls.from_records(shipped_records("gazetteer.toml", "place"))

    # ----------------------------------------------------------------- matching
    @staticmethod
    def _token_matches(low: str, stem: str, full: str) -> bool:
        return low == full or (low.startswith(stem) and low[len(stem) :] in ENDINGS)

    def _accept(self, toks: list[Token], i: int, n: int, rec: PlaceRecord) -> bool:
        prev = toks[i - 1].lemma if i > 0 else ""
        if rec.kind in STREET_KINDS:
            before = {t.lemma for t in toks[max(0, i - 2) : i]}
            after = toks[i + n] if i + n < len(toks) else None
            return bool(
                before & STREET_MARKERS
                or (after is not None and (after.lemma in STREET_MARKERS or after.lower[:1].isdigit()))
            )
        if n > 1 or prev in SETTLEMENT_MARKERS:
            return True
        tok = toks[i]
        if not is_known_word(tok.lower):
            return True  # a local toponym: no common word to confuse it with
        sentence_start = i == 0 or toks[i - 1].sentence != tok.sentence
        return tok.text[:1].isupper() and not sentence_start

    def find(self, doc: Doc, *, ner: bool = False) -> list[PlaceMatch]:
        toks = doc.tokens
        found: dict[tuple[str, str], PlaceMatch] = {}  # (name, parent): two villages may share a street name
        covered: set[int] = set()
        for i, tok in enumerate(toks):
            low = tok.lower
            seen: set[int] = set()
            for k in range(0, self._max_strip):
                if len(low) - k < 3:
                    break
                for rec, parts in self._index.get(low[: len(low) - k], ()):
                    if id(parts) in seen:
                        continue
                    seen.add(id(parts))
                    n = len(parts)
                    if i + n > len(toks):
                        continue
                    if all(
                        self._token_matches(toks[i + j].lower, parts[j][0], parts[j][1]) for j in range(n)
                    ) and self._accept(toks, i, n, rec):
                        matched = " ".join(t.text for t in toks[i : i + n])
                        found.setdefault((rec.name, rec.parent), PlaceMatch(rec.name, rec.kind, matched, rec.parent))
                        covered.update(range(tok.start, toks[i + n - 1].stop))
        places = list(found.values())
        if ner:
            places.extend(self._ner_places(doc, covered, {name for name, _ in found}))
        return places

    def _ner_places(self, doc: Doc, covered: set[int], known: set[str]) -> list[PlaceMatch]:
        from .resources import ResourceUnavailable, ner

        try:
            markup = ner()(doc.text)
        except (ResourceUnavailable, OSError):  # pragma: no cover - broken install
            return []
        out = []
        for span in markup.spans:
            if span.type != "LOC" or any(p in covered for p in range(span.start, span.stop)):
                continue
            written = doc.text[span.start : span.stop]
            if not _looks_like_a_place(doc, span.start, written):
                continue  # «Житель», «Администрация»: NER's LOC on a common word is not a place
            name = " ".join(lemma(w).capitalize() for w in written.split())
            if name in known:
                continue
            known.add(name)
            out.append(PlaceMatch(name, "ner", written))
        return out
