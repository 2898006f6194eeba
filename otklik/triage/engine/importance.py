"""Importance category (П.6, 8): rules → level and the reasons, in Russian.

Points: danger to life/health or an emergency (+4), an outage of heat/water/power (+2; heat in
the heating season Oct–Apr +3), children (+1), many people affected (+1), a media or public-figure
author (+2). Level: ≥4 critical, ≥2 high, otherwise normal; a message with no problem signal and
a thanks/suggestion marker is low. The reasons agree with the level: for a normal message they
say that there is no urgent sign, and list a minor one as «учтено, но не повышает». The season comes from the message date; with no date, a heat
outage is treated as in season (people do not complain of cold radiators in July).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .text import Doc

LEVELS = ("low", "normal", "high", "critical")
WINTER_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})

DANGER = frozenset(
    "погибнуть погиб гибель умереть смерть пострадать пострадавший травма травмировать отравление"
    " отравиться госпитализировать реанимация ожог обморожение обморозиться утонуть покусать укусить"
    " задавить сбить завал".split()
)
# Hazards: a risk, not yet a harm (+2).
HAZARD = frozenset(
    "опасный опасно опасность угроза падеж бешеный бешенство разрушаться аварийный наледь искрить".split()
)
# Essential services whose absence is itself serious (+2).
SERVICES = {
    "фап": "фельдшерско-акушерского пункта", "фельдшер": "фельдшера", "медпункт": "медпункта",
    "скорая": "скорой помощи", "медсестра": "медицинской помощи", "врач": "врача",
}  # fmt: skip
EMERGENCY = {
    "пожар": "пожар", "гореть": "пожар", "горение": "пожар", "возгорание": "пожар", "сгореть": "пожар",
    "задымление": "пожар", "пал": "пожар", "палы": "пожар", "наводнение": "наводнение",
    "паводок": "наводнение", "подтопление": "наводнение", "затопить": "наводнение",
    "подтопить": "наводнение", "дтп": "ДТП",
    "авария": "авария", "обрушение": "обрушение", "обрушиться": "обрушение", "рухнуть": "обрушение",
    "взрыв": "взрыв", "утечка": "утечка газа", "чс": "ЧС", "эвакуация": "эвакуация",
}  # fmt: skip
RESOURCES = {
    "отопление": "heat", "тепло": "heat", "батарея": "heat", "котельная": "heat", "кочегарка": "heat",
    "теплоснабжение": "heat", "вода": "water", "водоснабжение": "water", "водовоз": "water",
    "свет": "power", "электричество": "power", "электроснабжение": "power", "электроэнергия": "power",
    "скважина": "water", "водокачка": "water", "водопровод": "water", "котел": "heat",
    "электростанция": "power",
}  # fmt: skip
OUTAGE = frozenset(
    "нет без отсутствовать отключить отключение отключать пропасть пропадать вырубить холодный"
    " ледяной замерзать мерзнуть перемерзнуть перемерзнуть разморозить авария прорыв прорвать"
    " сломаться сломать встать работать".split()
)
RESOURCE_NAMES = {"heat": "отопления", "water": "воды", "power": "электроэнергии"}
CHILDREN = frozenset("ребенок дети детский школьник ученик малыш младенец детсад садик школа".split())
MANY = (("весь", ("дом", "улица", "село", "деревня", "поселок", "район", "округ", "квартал", "подъезд")),)
MANY_WORDS = frozenset("полсела полдеревни полпоселка коллективный подписаться подпись многоквартирный".split())
# people in the plural: «жители» affect many, «житель» is one person
MANY_PEOPLE = frozenset("житель сельчанин односельчанин жилец горожанин гражданин".split())
GRATITUDE = frozenset("спасибо благодарить благодарность благодарный признательный предложение".split())


@dataclass(frozen=True, slots=True)
class Importance:
    level: str
    reasons: tuple[str, ...] = ()
    many_affected: bool = False
    public_author: bool = False


@dataclass(slots=True)
class AuthorRules:
    """Who counts as media or a public figure: exact names/handles and words in the name."""

    names: frozenset[str] = field(default_factory=frozenset)
    markers: tuple[str, ...] = (
        "сми", "газета", "новости", "news", "тв", "tv", "радио", "редакция", "вести", "журналист",
        "блогер", "депутат", "телеканал", "информагентство", "медиа", "media", "правда",
    )  # fmt: skip

    @classmethod
    def build(cls, names: Iterable[str] = (), markers: Iterable[str] | None = None) -> AuthorRules:
        rules = cls(names=frozenset(n.strip().lower() for n in names))
        if markers is not None:
            rules.markers = tuple(m.lower() for m in markers)
        return rules

    def is_public(self, author: str | None, source: str | None = None) -> str | None:
        for who in (author, source):
            if not who:
                continue
            low = who.strip().lower()
            if low in self.names:
                return who
            words = set(low.replace("@", " ").replace("_", " ").replace("-", " ").replace(".", " ").split())
            for m in self.markers:
                if m in words or (len(m) > 4 and m in low):
                    return who
        return None


def _plural(word: str) -> bool:
    from .text import morph

    return "plur" in morph().parse(word)[0].tag


def assess(
    doc: Doc,
    *,
    topic: str | None,
    published_at: datetime | None,
    author: str | None = None,
    source: str | None = None,
    authors: AuthorRules | None = None,
) -> Importance:
    lemmas = doc.lemmas
    lset = set(lemmas)
    points = 0
    reasons: list[str] = []

    danger = sorted(DANGER & lset)
    if danger:
        points += 4
        reasons.append("угроза жизни и здоровью: " + ", ".join(danger))
    emergencies = sorted(
        {EMERGENCY[lem] for i, lem in enumerate(lemmas) if lem in EMERGENCY and (i == 0 or lemmas[i - 1] != "не")}
    )
    if topic in ("roads",) and "авария" in lset and "дтп" not in lset:
        emergencies = [e for e in emergencies if e != "авария"] + ["ДТП"]
    if emergencies:
        points += 4 if not danger else 1
        reasons.append("чрезвычайная ситуация: " + ", ".join(emergencies))

    hazards = sorted(HAZARD & lset)
    if hazards and not danger and not emergencies:
        points += 2
        reasons.append("опасность: " + ", ".join(hazards))

    for i, lem in enumerate(lemmas):
        if lem in SERVICES:
            window = lemmas[max(0, i - 4) : i + 5]
            if {"нет", "закрыть", "закрытый", "некому", "не"} & set(window):
                points += 2
                reasons.append(f"нет {SERVICES[lem]}")
                break

    winter = published_at is None or published_at.month in WINTER_MONTHS
    outages: set[str] = set()
    for i, lem in enumerate(lemmas):
        kind = RESOURCES.get(lem)
        if kind is None:
            continue
        window = lemmas[max(0, i - 4) : i + 5]
        if OUTAGE.intersection(window) or ("не" in window and ("дать" in window or "быть" in window)):
            outages.add(kind)
    if topic == "heating" and {"мерзнуть", "замерзать", "холодно"} & lset:
        outages.add("heat")
    if outages:
        heat_in_season = "heat" in outages and winter
        points += 3 if heat_in_season else 2
        names = ", ".join(RESOURCE_NAMES[k] for k in sorted(outages))
        reasons.append(f"отключение {names}" + (" в отопительный сезон" if heat_in_season else ""))

    if CHILDREN & lset:
        points += 1
        reasons.append("затронуты дети")

    many = False
    for i, lem in enumerate(lemmas):
        if lem == "весь" and i + 1 < len(lemmas):
            for _head, nouns in MANY:
                if lemmas[i + 1] in nouns:
                    many = True
        if lem in MANY_WORDS or doc.tokens[i].lower in MANY_WORDS:
            many = True
        elif lem in MANY_PEOPLE and doc.tokens[i].lower != lem:
            many = many or _plural(doc.tokens[i].lower)
    if many:
        points += 1
        reasons.append("затронуто много людей")

    public = (authors or AuthorRules()).is_public(author, source)
    if public:
        points += 2
        reasons.append(f"автор — СМИ или публичная персона: {public}")

    if points >= 4:
        level = "critical"
    elif points >= 2:
        level = "high"
    elif points == 0 and GRATITUDE & lset:
        level = "low"
        reasons.append("благодарность или предложение")
    else:
        level = "normal"
        # The reasons say why the level is what it is: a minor sign alone does not raise it.
        reasons = ["нет угрозы жизни, ЧС или отключения"] + [f"учтено, но не повышает: {r}" for r in reasons]
    return Importance(level, tuple(reasons), many_affected=many, public_author=bool(public))
