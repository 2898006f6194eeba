"""Topics, the learned model, explanations and repeats of the pure triage engine (no Django)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.triage.engine import RepeatIndex, Rubric, TopicModel, Triager
from otklik.triage.engine.output import triage_row
from otklik.triage.engine.summary import summary_of

T0 = datetime(2025, 11, 3, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.default()


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # ЦУР/ПОС categories the rubric had no words for
        ("Застройщик не сдал дом, дольщики третий год ждут квартиры", "construction"),
        ("Самострой у реки, разрешение на строительство кто выдал?", "construction"),
        ("Третий месяц задерживают зарплату на заводе, куда жаловаться?", "labour"),
        ("В центре занятости не предлагают ни одной вакансии", "labour"),
        ("Не могу записаться в МФЦ на замену паспорта, электронная очередь не работает", "public_services"),
        ("На Госуслугах не приходит справка", "public_services"),
        ("Не выплатили пособие многодетной семье", "support"),
        ("Как получить соцконтракт?", "support"),
        ("Когда проведут газ в наше село? Газификация обещана давно", "gas"),
        ("Пропала сотовая связь и интернет в деревне", "communications"),
        # urban vocabulary
        ("Открытый люк на тротуаре, ребёнок чуть не упал", "improvement"),
        ("Не работает светофор на перекрёстке", "roads"),
        ("Разбита проезжая часть на улице Мира", "roads"),
        ("Брошенный автомобиль во дворе третий год", "roads"),
        ("Трамвай не ходит с утра, люди мёрзнут на остановке", "transport"),
        ("Электричка опять отменена", "transport"),
        ("Не приходит QR-код после прививки", "health"),
        ("Невыносимый запах с очистных сооружений", "ecology"),
        ("Незаконная реклама на фасаде дома", "improvement"),
    ],
)
def test_rubric_covers_the_cur_categories_and_urban_words(triager: Triager, text: str, topic: str) -> None:
    assert triager.analyze(text).topic == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # forms pymorphy3 reads as another word: «ямы» -> «ям», «газа» -> «газа»
        ("Во дворе огромные ямы, не проехать", "roads"),
        ("Вторую неделю нет газа, готовить не на чем", "gas"),
        # a hyphenated compound counts by its parts, also a dash typed without spaces
        ("Мама-инвалид не может выйти из дома, просим пандус", "social"),
        ("Сменился хозяин рынка-увеличились цены за место", "trade"),
        # «на связи» is a greeting, not a complaint about communications
        ("На связи жители Овсянки: у нас разбитая дорога и пыль", "roads"),
        # outages said plainly
        ("В доме, где живут двое пожилых, с июля нет воды", "water"),
    ],
)
def test_forms_compounds_and_greetings_found_in_real_messages(triager: Triager, text: str, topic: str) -> None:
    assert triager.analyze(text).topic == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Огромная яма на дороге возле школы, машины бьют колёса", "roads"),
        ("Рядом с больницей не вывозят мусор неделю", "waste"),
        ("На остановке «Мосты» нет расписания автобусов", "transport"),
        ("Дорога до детского сада разбита", "roads"),
    ],
)
def test_the_subject_outweighs_the_landmarks(triager: Triager, text: str, topic: str) -> None:
    assert triager.analyze(text).topic == topic


def test_no_evidence_is_undetermined_with_a_plain_confidence_word(triager: Triager) -> None:
    res = triager.analyze("Добрый вечер, подскажите пожалуйста")
    assert (res.topic, res.topic_name, res.topic_confidence) == (None, "не определено", "none")
    row = triage_row(res, text="Добрый вечер")
    assert (row["topic"], row["topic_confidence_name"]) == (None, "не определено")
    sure = triager.analyze("Третий день нет отопления, батареи ледяные, котельная не работает")
    assert (sure.topic, sure.topic_confidence) == ("heating", "high")
    assert triage_row(sure)["topic_confidence_name"] == "уверенно"


def test_model_labels_are_the_administrations_own_never_rubric_codes() -> None:
    data = [{"text": f"нет воды в кране, водопровод сломан {i}", "topic": "ВОДА-1"} for i in range(8)] + [
        {"text": f"яма на дороге, асфальт разбит {i}", "topic": "ДОР-2"} for i in range(8)
    ]
    model = TopicModel.train(data, kind="auto", rubric=Rubric.default(), cv_folds=4)
    assert model.labels == ["ВОДА-1", "ДОР-2"]
    assert set(model.report.accuracy) >= {"baseline", "calibrated"}
    assert model.report.chosen in ("baseline", "calibrated")
    t = Triager(model=model)
    res = t.analyze("Котельная не работает, холодно, и воды нет")  # the rules say «heating»
    assert {c.topic for c in res.topic_candidates} <= {"ВОДА-1", "ДОР-2"}
    assert res.topic in (None, "ВОДА-1", "ДОР-2")


def test_retraining_keeps_the_better_learner_by_cross_validation() -> None:
    # labels a word model cannot tell apart but characters can (misspelt, glued words)
    data = [{"text": f"вадапровод{'ы' * (i % 3)} сламался {i}", "topic": "w"} for i in range(10)] + [
        {"text": f"дарога{'ы' * (i % 3)} разбита {i}", "topic": "r"} for i in range(10)
    ]
    model = TopicModel.train(data, kind="auto", cv_folds=5)
    best = max(model.report.accuracy.values())
    assert model.report.accuracy[model.report.chosen] == best


def test_model_file_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = [{"text": f"нет воды в кране {i}", "topic": "вода"} for i in range(6)] + [
        {"text": f"яма на дороге {i}", "topic": "дорога"} for i in range(6)
    ]
    model = TopicModel.train(data, kind="calibrated")
    model.save(tmp_path / "m.pkl")
    again = TopicModel.load(tmp_path / "m.pkl")
    assert again.labels == model.labels and again.kind == "calibrated"
    assert again.predict_proba("воды нет")["вода"] > 0.5


def test_summary_joins_title_and_body_with_punctuation() -> None:
    feed = "Газимурский Завод: нет воды в микрорайоне Северный\n\nЖители третий день без холодной воды."
    assert summary_of(feed) == (
        "Газимурский Завод: нет воды в микрорайоне Северный. Жители третий день без холодной воды."
    )
    assert summary_of("Вопрос?\nКогда?") == "Вопрос? Когда?"
    assert summary_of("слово " * 200).endswith("…") and len(summary_of("слово " * 200)) <= 300


def test_no_common_word_is_offered_as_a_place() -> None:
    t = Triager.default(ner=True)
    places = t.analyze("Житель пишет: Администрация не отвечает, Житель ждёт").places
    assert all(p.name.lower() not in ("житель", "администрация") for p in places)


def test_importance_reasons_agree_with_the_level(triager: Triager) -> None:
    normal = triager.analyze("Дети ходят по дороге, нет тротуара").importance
    assert normal.level == "normal"
    assert normal.reasons[0] == "нет угрозы жизни, ЧС или отключения"
    assert all(r.startswith("учтено, но не повышает") for r in normal.reasons[1:])
    high = triager.analyze("Весь дом без воды третий день", published_at=T0).importance
    assert high.level in ("high", "critical") and not any(r.startswith("нет угрозы") for r in high.reasons)


def test_three_messages_about_the_same_bridge_on_one_day_are_linked(triager: Triager) -> None:
    index = RepeatIndex()
    texts = [
        "В Батакане мост через Газимур совсем разрушился, проехать нельзя",
        "Мост в Батакане разрушен, машины не проходят, когда починят?",
        "Батакан: мост через реку разваливается, ездить опасно",
    ]
    found = []
    for n, text in enumerate(texts):
        res = triager.analyze(text)
        at = T0 + timedelta(hours=n)
        places = [p.name for p in res.places]
        match = index.find(text, None, places, at, lemmas=res.content_lemmas, topic=res.topic)
        found.append(match.case_id if match else None)
        index.add(n, text, None, places, at, topic=res.topic, lemmas=res.content_lemmas)
    assert found[0] is None and found[1] == 0 and found[2] in (0, 1)


def test_a_repeat_is_looked_for_within_the_window_only(triager: Triager) -> None:
    index = RepeatIndex(window=timedelta(days=30))
    text = "В Батакане мост через Газимур разрушился"
    index.add("old", text, None, ["Батакан"], T0 - timedelta(days=90), topic="roads")
    assert index.find(text, None, ["Батакан"], T0, topic="roads") is None
    index.add("recent", text, None, ["Батакан"], T0 - timedelta(days=3), topic="roads")
    match = index.find(text, None, ["Батакан"], T0, topic="roads")
    assert match is not None and match.case_id == "recent" and "та же тема" in match.reasons
