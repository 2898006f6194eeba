"""The Django adapter of triage: suggestions on ingestion, repeats, labels, retraining, CLI, spikes."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from otklik.cases import actions
from otklik.cases.models import Case
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch, source_for
from otklik.inbox.models import Message, Source
from otklik.organization.models import Place, Topic
from otklik.triage import services, tasks
from otklik.triage.engine import ENGINE_VERSION
from otklik.triage.models import TriageLabel
from tests.conftest import chita

pytestmark = pytest.mark.django_db

T0 = chita(2026, 3, 2, 10)
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> Any:
    settings.OTKLIK_DATA_DIR = tmp_path
    services.reset_caches()
    yield
    services.reset_caches()


@pytest.fixture
def ingest(django_capture_on_commit_callbacks: Any) -> Any:
    """Ingest texts as a connector does; the on-commit hook runs triage (Celery is eager)."""

    def run(org: Any, *texts: str, at: dt.datetime = T0, author_id: str = "") -> list[Message]:
        source = source_for(org.adm, Source.Kind.API, network="vk")
        items = [
            IncomingMessage(network="vk", external_id=f"t-{next(_ids)}", text=t, author_id=author_id) for t in texts
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = message_ingest_batch(source=source, items=items, now=at)
        assert not result.errors
        return list(Message.objects.filter(pk__in=result.created).order_by("id"))

    return run


def detect(org: Any, message: Message, *, at: dt.datetime, topics: tuple[str, ...] = (), place: str = "") -> Case:
    data = actions.TriageData(
        topic_ids=[org.topics[t].pk for t in topics], place_id=org.places[place].pk if place else None
    )
    return actions.case_detect(message=message, actor=org.actor("curator"), now=at, triage=data)


# --------------------------------------------------------------------------------------------
# suggestions on ingestion


def test_ingestion_fills_triage_from_the_administrations_topics_and_places(org: Any, ingest: Any) -> None:
    [m] = ingest(org, "В Широкой третий день нет воды, водовоз не приезжает")
    hints = m.triage
    # The fixture's «ЖКХ» topic has no keywords: it inherits those of the shipped ЖКХ sub-topics.
    assert hints["topic"] == "zhkh"
    assert hints["topic_id"] == org.topics["zhkh"].pk
    assert hints["topic_name"] == "ЖКХ"
    assert hints["topic_candidates"][0] == {
        "topic": "zhkh",
        "name": "ЖКХ",
        "score": hints["topic_candidates"][0]["score"],
        "words": hints["topic_candidates"][0]["words"],
    }
    assert hints["places"] == [
        {
            "name": "Широкая",
            "kind": "settlement",
            "kind_name": "населённый пункт",
            "place_id": org.places["shirokaya"].pk,
        }
    ]
    assert hints["screen"] == {"processable": True, "reasons": [], "grounds": [], "ground_names": []}
    assert hints["repeat_of"] is None and hints["repeat_of_number"] is None
    assert hints["engine"] == f"{ENGINE_VERSION}+rules"
    assert set(hints) == {
        "topic", "topic_name", "topic_id", "topic_confidence", "topic_confidence_name", "topic_candidates",
        "departments", "places", "importance", "screen", "repeat_of", "repeat_of_number", "repeat_reasons",
        "significant", "significance_reasons", "summary", "engine",
    }  # fmt: skip


def test_edited_topics_and_places_apply_to_the_next_batch(org: Any, ingest: Any) -> None:
    [before] = ingest(org, "Мост через Газимур у Ишаги совсем разрушен")
    assert before.triage["topic"] != "bridges"
    # Not in the gazetteer yet: NER may name the places, but none is one of the administration's.
    assert all(p["place_id"] is None and p["kind"] == "ner" for p in before.triage["places"])
    bridges = Topic.objects.create(
        administration=org.adm, code="bridges", name="Мосты", keywords="мост=3, переправа=2, опора"
    )
    ishaga = Place.objects.create(administration=org.adm, name="Ишага", aliases="Ишаги")
    [after] = ingest(org, "Мост через Газимур у Ишаги совсем разрушен")
    assert (after.triage["topic"], after.triage["topic_id"]) == ("bridges", bridges.pk)
    assert after.triage["places"][0]["place_id"] == ishaga.pk
    Topic.objects.filter(pk=bridges.pk).update(is_active=False)
    [again] = ingest(org, "Мост через Газимур у Ишаги совсем разрушен")
    assert again.triage["topic"] != "bridges"


def test_an_abusive_message_is_flagged_not_processable_with_reasons(org: Any, ingest: Any) -> None:
    [m] = ingest(org, "Глава, ты вор и идиот, сожгу вашу администрацию")
    assert m.triage["screen"]["processable"] is False
    assert m.triage["screen"]["reasons"]
    assert m.triage["significant"] is False


def test_one_bad_message_does_not_stop_the_batch(org: Any, ingest: Any, monkeypatch: Any) -> None:
    from otklik.triage.engine import Triager

    real_many, real_one = Triager.analyze_many, Triager.analyze

    def flaky_many(self: Any, items: Any) -> Any:
        if any("СБОЙ" in text for text, *_ in items):
            raise RuntimeError("сбой разбора")
        return real_many(self, items)

    def flaky_one(self: Any, text: str, **kw: Any) -> Any:
        if "СБОЙ" in text:
            raise RuntimeError("сбой разбора")
        return real_one(self, text, **kw)

    monkeypatch.setattr(Triager, "analyze_many", flaky_many)
    monkeypatch.setattr(Triager, "analyze", flaky_one)
    good, bad = ingest(org, "Нет света в Широкой", "СБОЙ в тексте")
    assert good.triage["topic"] == "zhkh"
    assert bad.triage["error"] == "RuntimeError: сбой разбора"


# --------------------------------------------------------------------------------------------
# П.17 repeats


def test_a_repeat_of_an_existing_case_suggests_that_case(org: Any, ingest: Any) -> None:
    [first] = ingest(org, "В Широкой третий день нет воды, водовоз не приезжает", author_id="id7")
    case = detect(org, first, at=T0 + dt.timedelta(minutes=10), topics=("zhkh",), place="shirokaya")
    [unrelated] = ingest(org, "Спасибо за новую детскую площадку в Газимурском Заводе", at=T0 + dt.timedelta(hours=1))
    detect(org, unrelated, at=T0 + dt.timedelta(hours=1, minutes=5), topics=("roads",), place="gz")
    [repeat] = ingest(org, "Опять в Широкой нет воды, водовоз так и не приехал", at=T0 + dt.timedelta(days=1))
    assert repeat.triage["repeat_of"] == case.pk
    assert repeat.triage["repeat_of_number"] == case.number
    assert any("широкая" in r.lower() for r in repeat.triage["repeat_reasons"])
    # the index follows later edits of the case: another village is never a repeat
    actions.case_triage(
        case=case,
        actor=org.actor("curator"),
        data=actions.TriageData(place_id=org.places["gz"].pk),
        now=T0 + dt.timedelta(days=1, minutes=5),
    )
    [again] = ingest(org, "Опять в Широкой нет воды, водовоз так и не приехал", at=T0 + dt.timedelta(days=2))
    assert again.triage["repeat_of"] is None


def test_a_case_of_another_administration_is_never_suggested(org: Any, other_org: Any, ingest: Any) -> None:
    text = "В Широкой третий день нет воды, водовоз не приезжает"
    [theirs] = ingest(other_org, text, author_id="id7")
    their_case = detect(other_org, theirs, at=T0 + dt.timedelta(minutes=5), topics=("zhkh",), place="shirokaya")
    [ours] = ingest(org, text, at=T0 + dt.timedelta(days=1), author_id="id7")
    assert ours.triage["repeat_of"] is None
    [theirs_again] = ingest(other_org, text, at=T0 + dt.timedelta(days=1))
    assert theirs_again.triage["repeat_of"] == their_case.pk


# --------------------------------------------------------------------------------------------
# labels and retraining


def test_curator_decisions_become_labels_idempotently(org: Any, ingest: Any) -> None:
    water, abuse = ingest(org, "В Широкой нет воды", "Глава, ты вор и идиот, сожгу вашу администрацию")
    case = detect(org, water, at=T0 + dt.timedelta(minutes=5), topics=("roads",), place="gz")
    refused = actions.message_refuse(
        message=abuse, actor=org.actor("curator"), reason="Угроза (п. 19)", now=T0 + dt.timedelta(minutes=6)
    )
    assert tasks.label_decisions() == 2
    label = TriageLabel.objects.get(case=case)
    assert (label.suggested_topic, label.chosen_topics) == ("zhkh", ["roads"])
    assert (label.suggested_place, label.chosen_place) == ("Широкая", "Газимурский Завод")
    assert label.suggested_processable is True and label.refused is False and label.topic_agreed is False
    assert label.message_id == water.pk and label.administration_id == org.adm.pk
    bad = TriageLabel.objects.get(case=refused)
    assert bad.suggested_processable is False and bad.refused is True
    # the next run relabels only what changed since; labels stay one per case
    actions.case_triage(
        case=case,
        actor=org.actor("curator"),
        data=actions.TriageData(topic_ids=[org.topics["zhkh"].pk], place_id=org.places["shirokaya"].pk),
        now=T0 + dt.timedelta(minutes=20),
    )
    services.label_decisions(now=T0 + dt.timedelta(hours=2))
    assert TriageLabel.objects.count() == 2
    label.refresh_from_db()
    assert (label.chosen_topics, label.chosen_place, label.topic_agreed) == (["zhkh"], "Широкая", True)


def test_a_curator_decision_is_labelled_as_soon_as_it_commits(
    org: Any, ingest: Any, django_capture_on_commit_callbacks: Any
) -> None:
    (water,) = ingest(org, "В Широкой нет воды третий день")
    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, water, at=T0 + dt.timedelta(minutes=5), topics=("zhkh",), place="shirokaya")
    label = TriageLabel.objects.get(case=case)
    assert (label.chosen_topics, label.chosen_place) == (["zhkh"], "Широкая")


FERRY = [
    "Паром через Газимур опять не ходит",
    "Паромщик не вышел на смену, люди ждут на берегу",
    "Когда запустят паромную переправу у Кактолги",
    "Паром сломался, на тот берег не попасть",
    "На пароме нет спасательных жилетов",
    "Переправа паромом закрыта без объявления",
]
BRIDGE = [
    "Мост через ручей прогнил, доски проваливаются",
    "На мосту нет перил, страшно ходить",
    "Деревянный мост у Батакана смыло водой",
    "Когда отремонтируют мост на въезде в село",
    "Опоры моста подмыло, он шатается",
    "Пешеходный мостик через протоку разрушен",
]


def _labelled_cases(org: Any, n: int) -> None:
    """``n`` decided cases of two topics the rules do not know (no keywords, unknown names)."""
    ferry = Topic.objects.create(administration=org.adm, code="ferry", name="Паромы")
    bridge = Topic.objects.create(administration=org.adm, code="bridge", name="Мосты и переходы")
    source = source_for(org.adm, Source.Kind.API, network="vk")
    for i in range(n):
        topic, texts = (ferry, FERRY) if i % 2 == 0 else (bridge, BRIDGE)
        text = f"{texts[(i // 2) % len(texts)]} ({i})"
        msg = Message.objects.create(
            administration=org.adm, source=source, network="vk", external_id=f"l-{i}", text=text, received_at=T0
        )
        case = Case.objects.create(
            administration=org.adm,
            number=1000 + i,
            network="vk",
            summary=text,
            detected_at=T0,
            detected_by=org.users["curator"],
        )
        Message.objects.filter(pk=msg.pk).update(case=case, status=Message.Status.IN_CASE)
        case.topics.set([topic])
        TriageLabel.objects.create(
            administration=org.adm, case=case, message=msg, suggested_topic="other", chosen_topics=[topic.code]
        )


def test_retraining_writes_a_model_that_the_next_triage_uses(org: Any, other_org: Any, ingest: Any) -> None:
    _labelled_cases(org, 40)
    [before] = ingest(org, "Паром у Кактолги снова стоит")
    assert before.triage["topic"] != "ferry"
    results = {r["administration"]: r for r in tasks.retrain_topic_models()}
    assert results["other"]["status"] == "skipped"  # no labels there
    mine = results["gz"]
    assert mine["status"] == "saved", mine
    assert mine["model_accuracy"] > mine["rules_accuracy"] and mine["held_out"] == 8
    # both learners were measured, and the kept one is the better of the two
    learners = mine["learners"]["accuracy"]
    assert {"baseline", "calibrated"} <= set(learners) and mine["learner"] in ("baseline", "calibrated")
    path = services.model_path(org.adm)
    assert path.exists() and path.with_suffix(".json").exists()
    [after] = ingest(org, "Паром у Кактолги снова стоит")
    assert (after.triage["topic"], after.triage["topic_id"]) == ("ferry", Topic.objects.get(code="ferry").pk)
    assert "+model@" in after.triage["engine"]
    assert services.triager_for(org.adm).model is not None
    assert services.triager_for(other_org.adm).model is None


def test_too_few_labels_train_nothing(org: Any) -> None:
    _labelled_cases(org, 29)
    [result] = [r for r in services.retrain_topic_models() if r["administration"] == "gz"]
    assert result["status"] == "skipped" and not services.model_path(org.adm).exists()


def test_the_suggested_topic_comes_with_its_departments(org: Any, ingest: Any) -> None:
    org.depts["zhkh"].topics.set([org.topics["zhkh"]])
    [m] = ingest(org, "В Широкой третий день нет воды, водовоз не приезжает")
    assert m.triage["topic"] == "zhkh"
    assert m.triage["departments"] == [{"id": org.depts["zhkh"].pk, "name": org.depts["zhkh"].name}]
    [other] = ingest(org, "Огромная яма на дороге в Широкой")
    assert other.triage["topic"] == "roads" and other.triage["departments"] == []


# --------------------------------------------------------------------------------------------
# the CLI and П.23 spikes


def _cli(tmp_path: Any, *args: str) -> list[dict[str, Any]]:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in (
                {"id": "a", "text": "В Широкой третий день нет воды, водовоз не приезжает"},
                {"id": "b", "text": "Опять в Широкой нет воды, водовоз так и не приехал"},
            )
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("triage", str(src), *args, stdout=out, stderr=io.StringIO())
    return [json.loads(x) for x in out.getvalue().splitlines()]


def test_cli_uses_the_databases_rubric_places_and_cases(org: Any, ingest: Any, tmp_path: Any) -> None:
    [first] = ingest(org, "В Широкой нет воды, водовоз не приезжает уже неделю")
    case = detect(org, first, at=T0 + dt.timedelta(minutes=5), topics=("zhkh",), place="shirokaya")
    rows = _cli(tmp_path)
    assert (rows[0]["topic"], rows[0]["topic_id"]) == ("zhkh", org.topics["zhkh"].pk)
    assert rows[0]["places"] == [
        {
            "name": "Широкая",
            "kind": "settlement",
            "kind_name": "населённый пункт",
            "place_id": org.places["shirokaya"].pk,
        }
    ]
    assert (rows[0]["repeat_of"], rows[0]["repeat_of_number"]) == (case.pk, case.number)


def test_cli_with_several_administrations_needs_one_named(org: Any, other_org: Any, tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="--administration"):
        _cli(tmp_path)
    Topic.objects.filter(administration=other_org.adm).delete()
    Place.objects.filter(administration=other_org.adm).delete()
    rows = _cli(tmp_path, "--administration", "other")  # an empty one: the shipped defaults
    assert (rows[0]["topic"], rows[0]["topic_id"]) == ("water", None)
    assert rows[1]["repeat_of"] == "a"
    with pytest.raises(CommandError, match="nope"):
        _cli(tmp_path, "--administration", "nope")


def test_cli_with_an_empty_database_uses_the_shipped_defaults(db: Any, tmp_path: Any) -> None:
    rows = _cli(tmp_path)
    assert (rows[0]["topic"], rows[0]["places"][0]["name"], rows[0]["topic_id"]) == ("water", "Широкая", None)


def test_spikes_for_finds_a_burst_per_topic_and_place(org: Any, ingest: Any) -> None:
    now = T0 + dt.timedelta(days=15)
    for day in (2, 5, 9, 12):  # the usual: a complaint now and then
        ingest(org, "На дороге в Широкой яма", at=now - dt.timedelta(days=day, hours=3))
    ingest(org, "Нет света в Газимурском Заводе", at=now - dt.timedelta(days=3))
    for h in range(1, 8):  # today: seven in a few hours
        ingest(org, f"Дорогу в Широкой размыло, не проехать ({h})", at=now - dt.timedelta(hours=h))
    spikes = services.spikes_for(org.adm, now)
    assert [(s["topic"], s["place"], s["count"]) for s in spikes] == [("roads", "Широкая", 7)]
    spike = spikes[0]
    assert spike["topic_id"] == org.topics["roads"].pk and spike["place_id"] == org.places["shirokaya"].pk
    assert "Всплеск" in spike["explanation"]
    assert services.spikes_for(org.adm, now - dt.timedelta(days=1)) == []
