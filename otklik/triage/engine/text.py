"""Tokenisation and lemmatisation shared by every part of the engine.

Words are found by one regular expression (letters and digits, with inner hyphens and
apostrophes: «из-за», «Газ-Завод»), sentences end at «. ! ? …» followed by a space and at line
breaks; pymorphy3 gives lemmas. (razdel did the splitting before: it cost a third of the time of
a message and the engine needs no more than words and sentence numbers.) The analyser is created
once per process and lemmas are cached with ``functools.lru_cache`` — a municipal vocabulary is
small, so after a few hundred messages almost every lemma comes from the cache.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_WORD_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]")
_TOKEN_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+(?:[-'’][0-9A-Za-zА-Яа-яЁё]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"»)\]]*\s+|\n\s*")
# «ул. Ленина», «с. Широкая», «д. 5» do not end a sentence
_ABBREVIATIONS = frozenset("ул д с г п пос пгт мкр им пр пер кв корп стр обл р-н р ст т е т.е руб тыс млн".split())
_WORD_BEFORE = re.compile(r"([0-9A-Za-zА-Яа-яЁё-]+)$")
_CYR_RE = re.compile(r"[А-Яа-яЁё]")

# Function words that never decide a topic, a repeat or a place.
STOPWORDS = frozenset(
    """
    и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только
    ее её мне было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть
    надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто
    этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были
    куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти
    нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше
    чуть том нельзя такой им более всегда конечно всю между это весь свой который наш ваш мочь
    очень также просто сказать год день
    """.split()
)


@functools.lru_cache(maxsize=1)
def morph():  # type: ignore[no-untyped-def]
    """The process-wide pymorphy3 analyser (its dictionaries ship in pymorphy3-dicts-ru)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def normalize_word(word: str) -> str:
    return word.lower().replace("ё", "е")


@functools.lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Lemma of one lower-cased word (ё folded to е); non-Cyrillic words are returned as is."""
    w = normalize_word(word)
    if not _CYR_RE.search(w):
        return w
    return normalize_word(morph().parse(w)[0].normal_form)


@functools.lru_cache(maxsize=50_000)
def is_known_word(word: str) -> bool:
    return bool(morph().word_is_known(normalize_word(word)))


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written
    lower: str  # lower-cased, ё folded
    lemma: str
    start: int
    stop: int
    sentence: int


@dataclass(slots=True)
class Doc:
    """A tokenised message: the unit every analyser works on (built once per message)."""

    text: str
    tokens: list[Token] = field(default_factory=list)

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens]

    def content_lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens if t.lemma not in STOPWORDS and len(t.lemma) > 1]


def analyze_text(text: str) -> Doc:
    """Split ``text`` into word tokens with lemmas and sentence numbers."""
    doc = Doc(text=text)
    ends = _sentence_ends(text)
    s_no = 0
    append = doc.tokens.append
    for m in _TOKEN_RE.finditer(text):
        start = m.start()
        while s_no < len(ends) and ends[s_no] <= start:
            s_no += 1
        word = m.group()
        low = normalize_word(word)
        append(Token(text=word, lower=low, lemma=lemma(low), start=start, stop=m.end(), sentence=s_no))
    return doc


def _sentence_ends(text: str) -> list[int]:
    ends = []
    for m in _SENTENCE_END.finditer(text):
        if m.group()[0] == "." and m.group().strip() == ".":
            before = _WORD_BEFORE.search(text, 0, m.start())
            after = text[m.end() : m.end() + 1]
            if (before and before.group(1).lower() in _ABBREVIATIONS) or (after and after.islower()):
                continue
        ends.append(m.end())
    return ends


def lemmatize_phrase(phrase: str) -> tuple[str, ...]:
    """Lemmas of a keyword or a name as written in a rubric or a gazetteer."""
    return tuple(lemma(normalize_word(m.group())) for m in _TOKEN_RE.finditer(phrase))
