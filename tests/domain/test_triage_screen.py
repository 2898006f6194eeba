"""The П.19 screen: what it catches, what it lets through, and what it says (no Django)."""

from __future__ import annotations

import pytest

from otklik.triage.engine import Screen


@pytest.fixture(scope="module")
def screen() -> Screen:
    return Screen()


@pytest.mark.parametrize(
    ("text", "ground"),
    [
        # мат: roots, morphology, compounds
        ("ну ты и долбоеб", "obscene"),
        ("долбаёбы в администрации", "obscene"),
        ("валинахуйпроблядь!!!", "obscene"),
        ("еб-нутая совсем", "obscene"),
        # obfuscation: masks, dots, Latin look-alikes, spacing, reversal, transliteration
        ("х.. вам, а не дорога", "obscene"),
        ("ху..ю", "obscene"),
        ("ну пи...здец", "obscene"),
        ("у*бище", "obscene"),
        ("бл@дь, опять без света", "obscene"),
        ("xуйня полная", "obscene"),
        ("x у й", "obscene"),
        ("йух вам", "obscene"),
        ("blyat, opyat", "obscene"),
        ("пи3дец", "obscene"),
        ("б.л.я.т.ь", "obscene"),
        ("хууууй", "obscene"),
        # vulgar words that are not мат
        ("засранцы из управы", "obscene"),
        ("опять говно из канализации, уроды", "obscene"),
        # insults: derivations and misspellings
        ("сама ты дебилка", "insult"),
        ("кто сочиняет этот бред?!!! дибилы!!!!!", "insult"),
        ("дегинераты", "insult"),
        ("Глава — мразь", "insult"),
        ("ворюги из администрации", "insult"),
        ("Вы идиоты", "insult"),
        # slurs
        ("хохлы опять", "insult"),
        ("понаехали чурки", "insult"),
        # punctuation without a space glues two words
        ("сидят там в бункера.твари", "insult"),
        # threats in the first person
        ("я тебя убью", "threat"),
        ("вам не жить", "threat"),
        ("доберусь до вашей семьи", "threat"),
        ("ходите и оглядывайтесь", "threat"),
        # calls for violence in any person and mood
        ("предлагаю этих чиновников… отстреливать на месте", "harm"),
        ("их на кол посадить надо", "harm"),
        ("повесить бы вас всех", "harm"),
        ("депутатов расстреливать надо", "harm"),
        ("сжечь их всех", "harm"),
        ("руки им оторвать за такой асфальт", "harm"),
        ("его бы подвесить за ноги", "harm"),
    ],
)
def test_screen_catches_abuse_threats_and_calls_for_violence(screen: Screen, text: str, ground: str) -> None:
    res = screen.check(text)
    assert not res.processable
    assert ground in res.grounds
    assert res.reasons and all("«" in r for r in res.reasons)


@pytest.mark.parametrize(
    "text",
    [
        # homonyms resolved by context
        "сухие суки на тополе нужно спилить",
        "обрежьте сучья у берёзы во дворе",
        "пезда опять опоздала на станцию, электричка",
        "дом в кретином состоянии",
        "Свиньи ходят по дороге, хозяин не смотрит",
        "крысы бегают у мусорки",
        "скотину пасти негде",
        "коровы и козлы пасутся у школы",
        # phrases anchored at word starts
        "Стране жить стало лучше",
        "так жить нельзя, нет воды неделю",
        # innocent words with obscene-looking pieces
        "тебе ответят в понедельник",
        "сравнить цены в магазинах",
        "хлебать такую воду нельзя",
        "застрахуй дом",
        "у корабля нет мачты",
        "учебник один на троих",
        "Питер далеко",
        "педиатр не принимает",
        "ссылка на сайт не работает",
        "жидкая грязь на дороге",
        # violence words about things, or reports of the past
        "сжечь мусор во дворе нельзя",
        "повесить знак на столб",
        "уничтожить борщевик у школы",
        "нас задушили тарифами",
        "бабушка сломала ногу на гололёде",
        "в 1937 году его расстреляли",
        # an accusation of nobody addressed is a report
        "Вор украл дрова у соседки, полиция не едет",
    ],
)
def test_screen_lets_innocent_text_pass(screen: Screen, text: str) -> None:
    res = screen.check(text)
    assert res.processable, res.reasons


def test_verdict_names_the_words_and_the_ground(screen: Screen) -> None:
    res = screen.check("Глава — мразь, сожгу администрацию")
    assert res.words == ("мразь", "сожгу")
    assert res.grounds == ("insult", "threat")
    assert res.reasons == ("оскорбление должностного лица: «мразь»", "угроза: «сожгу»")
    assert res.ground_names == ("оскорбительные выражения", "угроза жизни, здоровью, имуществу или семье")


def test_an_insult_of_an_official_says_so(screen: Screen) -> None:
    assert screen.check("чиновники — клоуны").reasons == ("оскорбление должностного лица: «клоуны»",)
    assert screen.check("клоуны в цирке выступали").processable
