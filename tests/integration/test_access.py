"""Who may see and do what, through the API: executors see only their departments' cases (404 for
the others), curator-only actions need the curator role (the responsible official may act as one),
executors' actions are refused to curators (403), and nothing crosses administrations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from otklik.organization.models import ApiToken
from tests.conftest import chita
from tests.integration.flow import Flow
from tests.integration.test_downloads import ROLES, files  # noqa: F401 (the fixture)

pytestmark = pytest.mark.urls("tests.integration.api_urls")


def t(hour: int, minute: int = 0) -> dt.datetime:
    return chita(2026, 12, 7, hour, minute)


@pytest.fixture
def cases(org):
    """Three cases: to ЖКХ, to Дороги, and one still in triage."""
    f = Flow(org)
    zhkh = f.new_case("Прорвало трубу на ул. Ленина", at=t(9))["id"]
    roads = f.new_case("Яма на дороге в Широкой", at=t(9))["id"]
    triage = f.new_case("Ещё не разобрано", at=t(9))["id"]
    f.route(zhkh, "zhkh", at=t(9, 5))
    f.route(roads, "roads", at=t(9, 5))
    return f, {"zhkh": zhkh, "roads": roads, "triage": triage}


def _ids(page) -> set[int]:
    return {c["id"] for c in page["items"]}


def test_executor_sees_only_own_departments_cases(org, cases):
    f, c = cases
    assert _ids(f.get("zhkh", "/cases/", at=t(10))) == {c["zhkh"]}
    assert _ids(f.get("zhkh2", "/cases/", at=t(10))) == {c["zhkh"]}
    assert _ids(f.get("zhkh_head", "/cases/", at=t(10))) == {c["zhkh"]}
    assert _ids(f.get("roads", "/cases/", at=t(10))) == {c["roads"]}
    assert _ids(f.get("edu", "/cases/", at=t(10))) == set()
    f.get("zhkh", f"/cases/{c['zhkh']}", at=t(10))
    for other in (c["roads"], c["triage"]):
        body = f.get("zhkh", f"/cases/{other}", at=t(10), status=404)
        assert body["detail"] == "Обращение не найдено."
        # Acting on an invisible case reveals nothing either.
        f.accept(other, "zhkh", at=t(10), status=404)
        f.post("zhkh", f"/cases/{other}/comments", {"text": "?"}, at=t(10), status=404)
    # An executor's inbox is empty and he cannot read a message of a case he does not see.
    assert f.get("zhkh", "/messages/", at=t(10)) == []
    msg = f.case(c["roads"], at=t(10))["messages"][0]["id"]
    f.get("zhkh", f"/messages/{msg}", at=t(10), status=404)


def test_head_responsible_and_curator_see_everything(org, cases):
    f, c = cases
    for who in ("head", "responsible", "curator"):
        assert _ids(f.get(who, "/cases/", at=t(10))) == set(c.values())
        f.get(who, f"/cases/{c['roads']}", at=t(10))


def test_curator_only_actions_need_the_curator_role(org, cases):
    f, c = cases
    for who in ("zhkh", "zhkh_head", "head"):
        body = f.route(c["triage"], "zhkh", at=t(10), who=who, status=403 if who == "head" else 404)
        assert body["detail"]
    # The executor sees his case but may not triage or refuse it.
    body = f.post("zhkh", f"/cases/{c['zhkh']}/triage", {"importance": "high"}, at=t(10), status=403)
    assert body["detail"] == "Это действие выполняет куратор."
    f.post("zhkh", f"/cases/{c['zhkh']}/refuse", {"reason": "п. 19"}, at=t(10), status=403)
    # Only curators take messages in and decide on them.
    f.post("zhkh", "/messages/", {"messages": [{"external_id": "x", "text": "y"}]}, at=t(10), status=403)
    f.post("head", "/messages/", {"messages": [{"external_id": "x", "text": "y"}]}, at=t(10), status=403)
    mid = f.ingest("Новое", at=t(10))
    body = f.post("head", f"/messages/{mid}/detect", {}, at=t(10), status=403)
    assert "куратор" in body["detail"]
    f.post("head", f"/messages/{mid}/dismiss", {}, at=t(10), status=403)

    f.submit(c["zhkh"], "zhkh", at=t(10, 5))
    for who in ("zhkh", "zhkh2", "head"):
        body = f.approve(c["zhkh"], at=t(10, 10), who=who, status=403)
        assert body["detail"] == "Это действие выполняет куратор."
        f.return_draft(c["zhkh"], at=t(10, 10), who=who, status=403)


def test_responsible_official_may_act_as_curator(org, cases):
    f, c = cases
    f.route(c["triage"], "edu", at=t(10), who="responsible")
    mid = f.ingest("Новое", at=t(10), who="responsible")
    f.detect(mid, at=t(10), who="responsible")
    f.submit(c["zhkh"], "zhkh", at=t(10, 5))
    f.approve(c["zhkh"], at=t(10, 10), who="responsible")


def test_curator_cannot_accept_submit_or_return_for_a_department(org, cases):
    f, c = cases
    for who in ("curator", "head", "responsible"):
        body = f.accept(c["zhkh"], who, at=t(10), status=403)
        assert "исполнитель" in body["detail"]
        f.submit(c["zhkh"], who, at=t(10), status=403)
        f.post(who, f"/cases/{c['zhkh']}/return", {"reason": "Не наше"}, at=t(10), status=403)
        f.post(who, f"/cases/{c['zhkh']}/contribute", {"text": "Часть"}, at=t(10), status=403)
    # Every executor of the department may act, the department head too; others may not.
    f.accept(c["zhkh"], "zhkh2", at=t(10))
    f.submit(c["zhkh"], "zhkh_head", at=t(10, 5))
    f.submit(c["roads"], "zhkh", at=t(10, 5), status=404)


def test_nothing_crosses_administrations(org, other_org, cases):
    f, c = cases
    g = Flow(other_org)
    foreign_case = g.new_case("Сообщение соседей", at=t(9))["id"]
    foreign_msg = g.ingest("Ещё одно", at=t(9))
    # Lists hold only one's own administration.
    assert _ids(g.get("curator", "/cases/", at=t(10))) == {foreign_case}
    assert foreign_case not in _ids(f.get("curator", "/cases/", at=t(10)))
    assert [m["id"] for m in f.get("curator", "/messages/", at=t(10))] == []
    # Reading or acting on the other's data is 404 for every role.
    for who in ("curator", "head", "responsible", "zhkh"):
        for cid in c.values():
            g.get(who, f"/cases/{cid}", at=t(10), status=404)
        g.post(who, f"/cases/{c['zhkh']}/approve", {}, at=t(10), status=404)
    f.get("curator", f"/messages/{foreign_msg}", at=t(10), status=404)
    f.post("curator", f"/messages/{foreign_msg}/detect", {}, at=t(10), status=404)
    f.post("curator", f"/messages/{foreign_msg}/attach", {"case_id": c["triage"]}, at=t(10), status=404)
    g.route(foreign_case, "zhkh", at=t(10), status=200)  # its own «ЖКХ» department
    # Routing to a department of another administration is an unknown department.
    other = g.new_case("Ещё", at=t(9))["id"]
    body = g.post(
        "curator",
        f"/cases/{other}/route",
        {"departments": [{"department_id": org.depts["roads"].pk}]},
        at=t(10),
        status=422,
    )
    assert body["field"] == "departments"
    # Naming an administration one has no role in is refused.
    with __import__("time_machine").travel(t(10), tick=False):
        response = f.apis["curator"].client.get(
            "/api/cases/", headers={**f.apis["curator"]._headers(), "X-Administration": "other"}
        )
    assert response.status_code == 403


def test_unauthenticated_and_revoked_tokens_get_401(org, cases):
    f, c = cases
    anonymous = Client()
    assert anonymous.get("/api/cases/").status_code == 401
    response = anonymous.get("/api/cases/", headers={"Authorization": "Bearer otk_wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Требуется вход в систему или токен API."
    ApiToken.objects.filter(user=org.users["zhkh"]).update(is_active=False)
    assert f.apis["zhkh"].get(f"/cases/{c['zhkh']}").status_code == 401


def test_case_list_filters(org, cases):
    f, c = cases
    topic = org.topics["roads"].pk
    f.post("curator", f"/cases/{c['roads']}/triage", {"topic_ids": [topic], "importance": "high"}, at=t(9, 30))
    assert _ids(f.get("curator", "/cases/", at=t(10), department=org.depts["roads"].pk)) == {c["roads"]}
    assert _ids(f.get("curator", "/cases/", at=t(10), topic=topic)) == {c["roads"]}
    assert _ids(f.get("curator", "/cases/", at=t(10), importance="high")) == {c["roads"]}
    assert _ids(f.get("curator", "/cases/", at=t(10), state="triage")) == {c["triage"]}
    # Text search ignores case, in Russian too (SQLite's LIKE folds only ASCII).
    assert _ids(f.get("curator", "/cases/", at=t(10), q="ТРУБУ")) == {c["zhkh"]}
    assert _ids(f.get("curator", "/cases/", at=t(10), q="широкой")) == {c["roads"]}
    # Overdue at 11:00: the triage case (route due 09:30) and the ЖКХ case that its department
    # has neither accepted nor returned (П.9, due 09:35); Дороги accepted at 09:10 and its next
    # deadline is the draft (П.11) at 15:00.
    f.accept(c["roads"], "roads", at=t(9, 10))
    assert _ids(f.get("curator", "/cases/", at=t(9, 30), overdue=True)) == set()
    assert _ids(f.get("curator", "/cases/", at=t(11), overdue=True)) == {c["triage"], c["zhkh"]}
    # Open cases by deadline: the nearest deadline first; closed ones are not open.
    f.submit(c["zhkh"], "zhkh", at=t(9, 40))
    f.approve(c["zhkh"], at=t(9, 45))
    f.publish(c["zhkh"], "zhkh", at=t(9, 50))
    page = f.get("curator", "/cases/", at=t(10), open=True)
    assert [x["id"] for x in page["items"]] == [c["triage"], c["roads"]]
    # All cases by deadline: the closed case (no deadline) comes last on every database.
    page = f.get("curator", "/cases/", at=t(10))
    assert [x["id"] for x in page["items"]] == [c["triage"], c["roads"], c["zhkh"]]


@pytest.mark.urls("config.urls")
def test_an_api_token_opens_no_file_and_no_media(org, other_org, files):  # noqa: F811
    """Media and downloads in the role × endpoint table, through the API's credentials: a token
    of any role is no session, so every file endpoint answers as to a stranger (the sign-in
    page), and /media/ has no route at all. (With a session, the same table is in
    test_downloads.py.) The API itself names no file path."""
    from django.urls import reverse

    from otklik.organization.tokens import api_token_create

    case, attachment, dispatch = files["case"], files["attachment"], files["dispatch"]
    urls = {
        "attachment": reverse("web:attachment", args=[case.pk, attachment.pk]),
        "sent_report": reverse("reports:sent_file", args=[dispatch.pk, "pdf"]),
        "report_download": reverse("reports:download", args=["xlsx"]) + "?month=2026-11",
        "media_attachment": f"/media/{attachment.file.name}",
        "media_report": f"/media/{files['report_names'][2]}",
    }
    seen, expected = {}, {}
    for role in ROLES:
        if role == "anonymous":
            headers = {"Authorization": "Bearer otk_notatoken"}
        else:
            user = (other_org if role == "foreign" else org).users["curator" if role == "foreign" else role]
            headers = {"Authorization": f"Bearer {api_token_create(user=user, name='files')}"}
        for endpoint, url in urls.items():
            seen[(endpoint, role)] = Client().get(url, headers=headers).status_code
            expected[(endpoint, role)] = 404 if endpoint.startswith("media") else 302
    assert seen == expected
    # What the API returns about the case carries no path to the stored file.
    api_token = api_token_create(user=org.users["curator"], name="read")
    body = Client().get(f"/api/cases/{case.pk}", headers={"Authorization": f"Bearer {api_token}"}).content.decode()
    assert attachment.file.name not in body and "/media/" not in body
