"""API robustness (issue 15 §4): enums and error responses in the schema, http(s)-only links,
bounded ids/limits/offsets/dates (422, never 500), 413 for an oversized body, detect + route in one
transaction, and batch ingestion judged item by item. Each test failed on the code before it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from otklik.cases.models import Case
from otklik.domain.networks import NETWORKS
from otklik.domain.workflow import DraftKind, Importance, StageKey, State
from otklik.inbox.actions import message_ingest_batch, source_for
from otklik.inbox.models import Message, Source
from otklik.web.forms import ManualMessageForm, PublishForm
from tests.conftest import chita
from tests.integration.flow import Flow

pytestmark = pytest.mark.urls("tests.integration.api_urls")

BIG = 2**63  # one past the largest 64-bit id


def t(hour: int, minute: int = 0) -> dt.datetime:
    return chita(2026, 12, 7, hour, minute)


@pytest.fixture
def flow(org: Any) -> Flow:
    return Flow(org)


def _schema() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


# -- the schema --------------------------------------------------------------------------------


def test_schema_declares_the_domain_enums(db: Any) -> None:
    schema = _schema()
    components = schema["components"]["schemas"]
    assert components["State"]["enum"] == [s.value for s in State]
    assert components["Importance"]["enum"] == [i.value for i in Importance]
    assert components["DraftKind"]["enum"] == [k.value for k in DraftKind]
    assert components["StageKey"]["enum"] == [k.value for k in StageKey]
    assert components["MessageIn"]["properties"]["network"]["enum"] == list(NETWORKS)
    assert components["CaseListItem"]["properties"]["network"]["enum"] == list(NETWORKS)
    assert components["DraftIn"]["properties"]["kind"]["allOf"] == [{"$ref": "#/components/schemas/DraftKind"}]
    assert {"$ref": "#/components/schemas/Importance"} in components["TriageIn"]["properties"]["importance"]["anyOf"]
    assert components["CaseListItem"]["properties"]["state"]["$ref"] == "#/components/schemas/State"
    assert components["StageOut"]["properties"]["key"]["$ref"] == "#/components/schemas/StageKey"
    status = next(p for p in schema["paths"]["/api/messages/"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == list(Message.Status.values)


def test_every_operation_documents_its_errors_with_one_schema(db: Any) -> None:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    operations = 0
    for path, methods in _schema()["paths"].items():
        for method, op in methods.items():
            operations += 1
            codes = {int(c) for c in op["responses"]}
            assert {401, 403, 429} <= codes, (method, path)
            if "{" in path:
                assert {404, 422} <= codes, (method, path)
            if "requestBody" in op:
                assert {400, 413, 422} <= codes, (method, path)
            for code in codes - {200, 201}:
                assert op["responses"][str(code)]["content"] == error, (method, path, code)
    assert operations == 22


def test_undocumented_fields_are_bounded_in_the_schema(db: Any) -> None:
    schema = _schema()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/messages/"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 200)
    assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, 100_000)
    case_id = schema["paths"]["/api/cases/{case_id}"]["get"]["parameters"][0]["schema"]
    assert (case_id["minimum"], case_id["maximum"]) == (1, BIG - 1)


# -- bounds: 422, never 500 --------------------------------------------------------------------


def test_out_of_range_ids_offsets_limits_and_dates_get_422(flow: Flow) -> None:
    mid = flow.ingest("Яма на дороге", at=t(9))
    for path, params in [
        ("/messages/", {"offset": -1}),
        ("/messages/", {"limit": 0}),
        ("/messages/", {"limit": 201}),
        ("/cases/", {"offset": -5}),
        ("/cases/", {"offset": 10**9}),
        ("/cases/", {"department": BIG}),
        ("/cases/", {"number": BIG}),
        ("/cases/", {"due_before": "9999-12-31T23:59:59-23:00"}),
        ("/cases/", {"detected_from": "0001-01-01T00:00:00+05:00"}),
        ("/cases/", {"state": "nonsense"}),
        (f"/cases/{BIG}", {}),
        (f"/messages/{BIG}", {}),
        ("/messages/0", {}),
    ]:
        body = flow.get("curator", path, at=t(9, 1), status=422, **params)
        assert body["code"] == "invalid" and body["detail"].startswith("Некорректные данные"), (path, body)
    # The largest id is fine: nothing has it.
    assert flow.get("curator", f"/cases/{BIG - 1}", at=t(9, 1), status=404)["code"] == "not_found"
    for path, payload in [
        (f"/messages/{mid}/attach", {"case_id": BIG}),
        (f"/messages/{mid}/detect", {"repeat_of": BIG}),
        (f"/messages/{mid}/detect", {"departments": [{"department_id": BIG}]}),
        (f"/messages/{mid}/detect", {"detected_at": "9999-12-31T23:59:59-23:59"}),
        (f"/messages/{mid}/detect", {"shortened_deadline": "2026-12-07T10:00:00"}),  # no time zone
        (f"/messages/{mid}/detect", {"importance": "urgent"}),
        (f"/messages/{mid}/detect", [None, None]),  # not an object: not "every field left out"
        ("/messages/", {"source_id": BIG, "messages": [{"external_id": "x", "text": "y"}]}),
    ]:
        body = flow.post("curator", path, payload, at=t(9, 1), status=422)
        assert body["code"] == "invalid", (path, body)
    assert Message.objects.get(pk=mid).status == Message.Status.NEW
    assert not Case.objects.exists()


def test_malformed_json_is_400_with_the_error_body(flow: Flow) -> None:
    response = flow.apis["curator"].client.post(
        "/api/messages/",
        data="{not json",
        content_type="application/json",
        headers=flow.apis["curator"]._headers(),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Тело запроса — не правильный JSON.", "code": "bad_request"}


def test_an_oversized_body_gets_413(flow: Flow, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    items = [{"external_id": f"big-{i}", "text": "х" * 500} for i in range(40)]
    body = flow.post("curator", "/messages/", {"messages": items}, at=t(9), status=413)
    assert body["code"] == "too_large" and "10000" in body["detail"]
    assert not Message.objects.exists()


def test_text_fields_lose_nul_and_control_characters_not_the_request(flow: Flow) -> None:
    case = flow.new_case("Нет света", at=t(9))
    event = flow.post("curator", f"/cases/{case['id']}/comments", {"text": "про\x00верка\x07"}, at=t(9, 1), status=201)
    assert event["payload"]["text"] == "проверка"


# -- links: http and https only ----------------------------------------------------------------


def test_publish_accepts_only_http_links(flow: Flow, org: Any) -> None:
    case = flow.new_case("Мусор во дворе", at=t(9))["id"]
    for url in ("javascript:alert(document.cookie)", "data:text/html,<script>1</script>", "ftp://x.ru/a", "vk.com"):
        body = flow.post("curator", f"/cases/{case}/publish", {"url": url}, at=t(9, 1), status=422)
        assert body["field"] == "url", url
    for url in ("javascript:alert(1)", "ftp://files.example.ru/a"):
        assert not PublishForm({"url": url}).is_valid()
        assert not ManualMessageForm({"network": "other", "text": "т", "url": url}).is_valid()
    assert PublishForm({"url": "https://vk.com/wall-1_2?reply=3"}).is_valid()
    draft_url = Case._meta.apps.get_model("cases", "Draft")._meta.get_field("published_url")
    with pytest.raises(ValidationError):
        draft_url.clean("javascript:alert(1)", None)
    with pytest.raises(ValidationError):
        Message._meta.get_field("url").clean("ftp://x.ru/a", None)
    # The action refuses it too, whoever calls it (the UI, the API, a connector's result).
    from otklik.cases import actions
    from otklik.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="http"):
        actions.case_publish(case=Case.objects.get(pk=case), actor=org.actor("curator"), url="javascript:alert(1)")


def test_a_connector_link_with_another_scheme_is_not_stored_as_a_link(org: Any) -> None:
    from otklik.domain.messages import Attachment, IncomingMessage

    source = source_for(org.adm, Source.Kind.API, network="other")
    item = IncomingMessage(
        network="vk",
        external_id="js-1",
        text="Текст жителя",
        url="javascript:alert(1)",
        author_url="data:text/html,x",
        attachments=(Attachment("photo", "javascript:alert(2)", "фото"), Attachment("photo", "https://vk.com/p.jpg")),
    )
    result = message_ingest_batch(source=source, items=[item])
    message = Message.objects.get(pk=result.created[0])
    assert (message.text, message.url, message.author_url) == ("Текст жителя", "", "")
    assert [a["url"] for a in message.attachments] == ["", "https://vk.com/p.jpg"]
    assert message.raw["_otklik_refused_urls"] == {
        "url": "javascript:alert(1)",
        "author_url": "data:text/html,x",
        "attachments.0": "javascript:alert(2)",
    }


# -- detect + route: both or neither -----------------------------------------------------------


def test_detect_and_route_is_one_transaction(flow: Flow, org: Any) -> None:
    mid = flow.ingest("Прорвало трубу", at=t(9))
    other = org.depts["zhkh"].pk + 10_000  # no such department
    body = flow.post(
        "curator", f"/messages/{mid}/detect", {"departments": [{"department_id": other}]}, at=t(9, 1), status=422
    )
    assert body["field"] == "departments" or "подразделен" in body["detail"].lower(), body
    assert not Case.objects.exists()
    message = Message.objects.get(pk=mid)
    assert (message.status, message.case_id) == (Message.Status.NEW, None)
    # The same message can be detected and routed afterwards.
    case = flow.detect(mid, at=t(9, 2), departments=[{"department_id": org.depts["zhkh"].pk}])
    assert case["state"] == "routing" or case["assignments"], case


# -- batch ingestion, item by item -------------------------------------------------------------


def test_a_batch_is_judged_item_by_item_and_good_items_are_kept(flow: Flow) -> None:
    flow.ingest("Уже было", at=t(8), external_id="seen")
    items: list[Any] = [
        {"external_id": "ok-1", "text": "Нет воды в доме 5"},
        {"external_id": "bad-url", "text": "Ссылка", "url": "javascript:alert(1)"},
        {"external_id": "no-text"},
        {"external_id": "future", "text": "Из будущего", "detected_at": "2030-01-01T00:00:00+09:00"},
        "not an object",
        {"external_id": "seen", "text": "Уже было"},
        {"external_id": "bad-net", "text": "Сеть", "network": "myspace"},
        {"external_id": "ok-2", "text": "Яма у школы", "published_at": "2026-12-07T08:00:00+09:00"},
        {"external_id": "ok-1", "text": "Нет воды в доме 5"},
        {"external_id": "old-date", "text": "Давно", "published_at": "0001-01-01T00:00:00+05:00"},
    ]
    body = flow.post("curator", "/messages/", {"messages": items}, at=t(9), status=201)
    got = [(i["index"], i["external_id"], i["status"]) for i in body["items"]]
    assert got == [
        (0, "ok-1", "created"),
        (1, "bad-url", "refused"),
        (2, "no-text", "refused"),
        (3, "future", "refused"),
        (4, "", "refused"),
        (5, "seen", "duplicate"),
        (6, "bad-net", "refused"),
        (7, "ok-2", "created"),
        (8, "ok-1", "duplicate"),
        (9, "old-date", "refused"),
    ]
    reasons = {i["index"]: i["reason"] for i in body["items"]}
    assert reasons[1].startswith("url:") and "http" in reasons[1]
    assert reasons[2].startswith("text:")
    assert "будущем" in reasons[3]
    assert "объект JSON" in reasons[4]
    assert reasons[6].startswith("network:")
    assert "диапазона" in reasons[9]
    stored = set(Message.objects.values_list("external_id", flat=True))
    assert stored == {"seen", "ok-1", "ok-2"}
    assert body["created"] == [body["items"][0]["message_id"], body["items"][7]["message_id"]]
    assert body["duplicates"] == 2 and len(body["errors"]) == 6


def test_a_detection_that_fails_rolls_its_message_back_and_keeps_the_others(flow: Flow) -> None:
    items = [
        {"external_id": "past-1", "text": "Вчерашнее", "detected_at": "2026-12-06T10:00:00+09:00"},
        {"external_id": "past-2", "text": "Завтрашнее", "detected_at": "2026-12-08T10:00:00+09:00"},
        {"external_id": "plain", "text": "Просто сообщение"},
    ]
    body = flow.post("curator", "/messages/", {"messages": items}, at=t(9), status=201)
    assert [i["status"] for i in body["items"]] == ["created", "refused", "created"]
    assert "будущем" in body["items"][1]["reason"]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"past-1", "plain"}
    case = Case.objects.get()
    assert body["cases"] == [case.pk] and body["items"][0]["case_id"] == case.pk
    assert case.detected_at == dt.datetime(2026, 12, 6, 1, tzinfo=dt.UTC)


# -- provenance (issue 15 §5) ------------------------------------------------------------------


def test_a_message_from_the_api_records_the_person_and_the_token(flow: Flow, org: Any) -> None:
    mid = flow.ingest("Через API", at=t(9))
    api = flow.apis["curator"]
    message = Message.objects.get(pk=mid)
    assert message.brought_via == Message.BroughtVia.API
    assert message.brought_by == org.users["curator"]
    assert message.brought_by_token is not None and api.token.startswith(f"otk_{message.brought_by_token.prefix}")
    out = flow.get("curator", f"/messages/{mid}", at=t(9, 1))
    assert out["brought_by"] == {
        "channel": "api",
        "user_id": org.users["curator"].pk,
        "username": org.users["curator"].get_username(),
        "token_id": message.brought_by_token_id,
        "token_name": "test",
    }
    listed = flow.get("curator", "/messages/", at=t(9, 1))
    assert listed[0]["brought_by"]["token_id"] == message.brought_by_token_id
    # A connector's message has no such record.
    source = source_for(org.adm, Source.Kind.API, network="other")
    from otklik.domain.messages import IncomingMessage

    result = message_ingest_batch(source=source, items=[IncomingMessage(network="vk", external_id="c", text="т")])
    assert flow.get("curator", f"/messages/{result.created[0]}", at=t(9, 2))["brought_by"] is None


def test_a_message_in_the_schema_carries_its_provenance(db: Any) -> None:
    props = _schema()["components"]["schemas"]["MessageOut"]["properties"]
    assert "brought_by" in props
    assert json.dumps(props["brought_by"]).count("BroughtByOut") == 1


def test_provenance_costs_no_query_per_message(flow: Flow) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listing() -> int:
        with CaptureQueriesContext(connection) as queries:
            flow.get("curator", "/messages/", at=t(9, 30))
        return len(queries.captured_queries)

    for n in range(2):
        flow.ingest(f"Сообщение {n}", at=t(9))
    listing()  # the token's last_used_at is written once a minute: not counted below
    few = listing()
    for n in range(8):
        flow.ingest(f"Ещё сообщение {n}", at=t(9))
    assert listing() == few
