"""Tokenisation and lemmatisation shared by every part of the engine.

razdel splits the text, pymorphy3 gives lemmas. The analyser is created once per process and
lemmas are cached with ``functools.lru_cache`` — a municipal vocabulary is small, so after a few
hundred messages almost every lemma comes from the cache, which is what keeps the fast path
above 500 messages per second.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from razdel import sentenize, tokenize

_WORD_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]")
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
    for s_no, sent in enumerate(sentenize(text)):
        base = sent.start
        for tok in tokenize(sent.text):
            if not _WORD_RE.search(tok.text):
                continue
            low = normalize_word(tok.text)
            doc.tokens.append(
                Token(
                    text=tok.text,
                    lower=low,
                    lemma=lemma(low),
                    start=base + tok.start,
                    stop=base + tok.stop,
                    sentence=s_no,
                )
            )
    return doc


def lemmatize_phrase(phrase: str) -> tuple[str, ...]:
    """Lemmas of a keyword or a name as written in a rubric or a gazetteer."""
    return tuple(lemma(normalize_word(t.text)) for t in tokenize(phrase) if _WORD_RE.search(t.text))
