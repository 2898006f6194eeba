"""Behaviour of the pure triage engine (no Django, no database)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from otklik.triage.engine import (
    Gazetteer,
    RepeatIndex,
    Rubric,
    SpikeDetector,
    TopicModel,
    Triager,
)
from otklik.triage.engine.batch import run_jsonl, train_jsonl
from otklik.triage.engine.text import analyze_text

JAN = datetime(2025, 1, 15, 10, tzinfo=UTC)
JUL = datetime(2025, 7, 15, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.default()


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Дорогу в Газимурском Заводе не чистят", "Газимурский Завод"),
        ("Автобус из Широкой не пришёл", "Широкая"),
        ("На улице Ленина темно", "ул. Ленина"),
        ("в ушмуне нет света", "Ушмун"),
        ("Жители села Кактолга просят грейдер", "Кактолга"),
        ("до Новоширокинского не доехать", "Новоширокинский"),
    ],
)
def test_places_are_found_in_any_case(triager: Triager, text: str, place: str) -> None:
    assert place in [p.name for p in triager.analyze(text).places]


def test_common_word_is_not_a_village(triager: Triager) -> None:
    assert triager.analyze("Широкая дорога вся в ямах").places == ()


def test_gazetteer_from_records_matches_inflected_names() -> None:
    gaz = Gazetteer.from_records([{"name": "Верхний Калгукан", "kind": "selo", "aliases": "", "parent": None}])
    found = gaz.find(analyze_text("В Верхнем Калгукане нет воды"))
    assert [(p.name, p.matched) for p in found] == [("Верхний Калгукан", "Верхнем Калгукане")]


def test_topic_comes_with_the_words_that_decided(triager: Triager) -> None:
    res = triager.analyze("Третий день нет отопления, батареи холодные")
    assert res.topic == "heating"
    # the words as written, a phrase as a whole («нет отопления»)
    assert any("отопления" in w for w in res.topic_candidates[0].words)


def test_rubric_from_records_defines_its_own_topics() -> None:
    rubric = Rubric.from_records([{"code": "bridges", "name": "Мосты", "keywords": "мост, переправа"}])
    res = Triager(rubric=rubric).analyze("Мост через реку разрушен")
    assert res.topic == "bridges"
    undetermined = Triager(rubric=rubric).analyze("Добрый день")
    assert (undetermined.topic, undetermined.topic_name, undetermined.topic_confidence) == (
        None,
        "не определено",
        "none",
    )


def test_heating_outage_is_critical_in_winter_with_many_affected(triager: Triager) -> None:
    text = "Весь дом без отопления, батареи ледяные"
    winter = triager.analyze(text, published_at=JAN).importance
    summer = triager.analyze("Весь дом без отопления", published_at=JUL).importance
    assert winter.level == "critical"
    assert any("отопительный сезон" in r for r in winter.reasons)
    assert summer.level == "high"


def test_fire_is_critical_and_significant(triager: Triager) -> None:
    res = triager.analyze("В Батакане горит дом, пожарных нет")
    assert res.importance.level == "critical"
    assert res.significant


def test_street_lights_that_do_not_burn_are_not_a_fire(triager: Triager) -> None:
    assert triager.analyze("На улице Ленина не горят фонари").importance.level == "normal"


def test_media_author_raises_importance(triager: Triager) -> None:
    res = triager.analyze("Жители жалуются на ямы", author="Газета «Вперёд» СМИ")
    assert res.importance.public_author
    assert res.importance.level in ("high", "critical")


def test_thanks_are_low(triager: Triager) -> None:
    assert triager.analyze("Спасибо за концерт!").importance.level == "low"


@pytest.mark.parametrize(
    "text",
    [
        "х*й вам, а не дорога",
        "х у й",
        "бл@дь, опять без света",
        "п#здец",
        "xуйня полная",
        "пи3дец",
        "б.л.я.т.ь",
        "хууууй",
        "Глава — мразь",
        "ворюги из администрации",
        "Вы идиоты",
        "я тебя убью",
        "вам не жить",
        "доберусь до вашей семьи",
        "Сожгу администрацию",
        "он идиот",  # insults count whoever is insulted: the curator decides whether П.19 applies
    ],
)
def test_screen_catches_abuse_and_threats(triager: Triager, text: str) -> None:
    res = triager.analyze(text)
    assert not res.screen.processable
    assert res.screen.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Не надо оскорблять людей",
        "хлебать такую воду нельзя",
        "употреблять эту воду опасно",
        "застрахуй дом",
        "у корабля нет мачты",
        "не психуй",
        "колебаться не будем",
        "ребята молодцы",
        "страхуй не страхуй",
        "небось к весне сделаете",
        "ни рубля на ремонт",
        "учебник один на троих",
        "сабля в музее",
        "выступление ансамбля",
        "потребление воды выросло",
        "дорога в ужасном состоянии",
        "он вор",  # an accusation of nobody addressed is a report («вор украл дрова»)
    ],
)
def test_screen_lets_innocent_words_pass(triager: Triager, text: str) -> None:
    assert triager.analyze(text).screen.processable


def test_repeat_found_by_same_issue_and_place() -> None:
    index = RepeatIndex()
    index.add("a", "В Широкой третий день нет воды, водовоз не приезжает", "Иван", "Широкая")
    index.add("b", "В Батакане бродячие собаки покусали ребёнка", "Ольга", "Батакан")
    match = index.find("Опять в Широкой нет воды, водовоз так и не приехал", "Иван", "Широкая")
    assert match is not None and match.case_id == "a"
    assert any("то же место" in r for r in match.reasons)
    assert index.find("Спасибо за концерт в клубе", "Пётр", "Ушмун") is None


def test_repeat_in_another_village_is_not_a_repeat() -> None:
    index = RepeatIndex()
    index.add("a", "Скважина сломалась, воды нет", "Иван", "Широкая")
    assert index.find("Скважина сломалась, воды нет", "Пётр", "Ушмун") is None


def test_spike_detected_against_own_baseline() -> None:
    det = SpikeDetector()
    alert = det.check([1, 0, 2, 1, 1, 0, 1, 9], key=("heating", "Ушмун"))
    assert alert is not None and alert.count == 9
    assert "Ушмун" in alert.explanation
    assert det.check([3, 4, 2, 5, 3, 4, 3, 5]) is None


def test_spike_from_events() -> None:
    now = datetime(2025, 1, 20, tzinfo=UTC)
    events = [(("water", "Широкая"), now - timedelta(days=d, hours=1)) for d in range(1, 10)]
    events += [(("water", "Широкая"), now - timedelta(hours=h)) for h in range(1, 8)]
    alerts = SpikeDetector().detect_events(events, now)
    assert [a.key for a in alerts] == [("water", "Широкая")]


def test_batch_writes_one_line_per_input_and_reports_bad_lines(triager: Triager) -> None:
    lines = [
        json.dumps({"id": 1, "text": "В Широкой третий день нет воды, водовоз не приезжает"}),
        "not json",
        json.dumps({"id": 2, "text": "Опять в Широкой нет воды, водовоз так и не приехал"}),
        json.dumps({"id": 3}),
    ]
    out = io.StringIO()
    stats = run_jsonl(lines, out, triager)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert (stats.ok, stats.errors) == (2, 2)
    assert rows[1] == {"line": 2, "error": rows[1]["error"]}
    assert rows[2]["repeat_of"] == 1
    assert set(rows[0]) == {
        "id", "topic", "topic_name", "topic_id", "topic_confidence", "topic_confidence_name", "topic_candidates",
        "departments", "places", "importance", "screen", "repeat_of", "repeat_of_number", "repeat_reasons",
        "significant", "significance_reasons", "summary", "engine",
    }  # fmt: skip
    assert rows[2]["repeat_of_number"] is None and rows[2]["repeat_reasons"]


def test_model_trains_saves_loads_and_combines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = [{"text": f"нет воды в кране {i}", "topic": "вода"} for i in range(5)] + [
        {"text": f"яма на дороге {i}", "topic": "дорога"} for i in range(5)
    ]
    path = tmp_path / "m.pkl"
    _, n, errors = train_jsonl([json.dumps(d, ensure_ascii=False) for d in data] + ["{}"], path)
    assert n == 10 and len(errors) == 1
    model = TopicModel.load(path)
    assert model.predict_proba("воды нет")["вода"] > 0.5
    assert Triager.default(model=path).analyze("опять воды нет в кране").topic == "вода"


def test_rubric_keywords_typed_as_word_equals_weight() -> None:
    from otklik.triage.engine.rubric import parse_keywords

    assert parse_keywords("отопление=3, батарея=2,5;котельная\nтепло=x, =4, мусор=0") == {
        "отопление": 3.0,
        "батарея": 2.5,
        "котельная": 2.0,
        "тепло": 2.0,
    }
    rubric = Rubric.from_records([{"code": "heat", "name": "Тепло", "keywords": "котельная=1, батарея=5"}])
    assert rubric.topics["heat"].keywords == {"котельная": 1.0, "батарея": 5.0}


def test_topics_without_keywords_inherit_the_shipped_ones() -> None:
    rubric = Rubric.from_records(
        [
            {"code": "zhkh", "name": "ЖКХ", "keywords": ""},  # the shipped ЖКХ group
            {"code": "roads", "name": "Дорожное хозяйство"},  # the shipped code
            {"code": "bridges", "name": "Мосты"},  # nothing to inherit
        ],
        inherit=Rubric.default(),
    )
    assert {"отопление", "вода", "свет"} <= set(rubric.topics["zhkh"].keywords)
    assert rubric.topics["roads"].keywords == Rubric.default().topics["roads"].keywords
    assert rubric.topics["bridges"].keywords == {}
    res = Triager(rubric=rubric).analyze("Третий день нет воды")
    assert (res.topic, res.topic_name) == ("zhkh", "ЖКХ")
    assert Triager(rubric=rubric).analyze("Добрый день").topic_name == "не определено"


def test_repeat_index_forgets_and_replaces_cases() -> None:
    index = RepeatIndex(use_vectors=False)
    index.add(1, "В Широкой нет воды, водовоз не приезжает", place="Широкая")
    index.add(2, "Яма на дороге в Батакан", place="Батакан")
    assert index.find("В Широкой нет воды! Водовоз не приезжает", place="Широкая").case_id == 1
    index.add(1, "В Широкой нет воды, водовоз не приезжает", place="Ушмун")  # the curator fixed the place
    assert index.find("В Широкой нет воды! Водовоз не приезжает", place="Широкая") is None
    assert index.remove(2) and not index.remove(2)
    assert (len(index), index.dead, 2 in index, 1 in index) == (1, 2, False, True)


def test_streets_of_the_same_name_in_two_villages_are_both_reported() -> None:
    gaz = Gazetteer.from_records(
        [
            {"name": "Ленина", "kind": "street", "parent": "Газимурский Завод"},
            {"name": "Ленина", "kind": "street", "parent": "Трубачево"},
        ]
    )
    found = gaz.find(analyze_text("На улице Ленина темно"))
    assert sorted(p.parent for p in found) == ["Газимурский Завод", "Трубачево"]
