"""The web UI through Django's test client: every view, the roles' permissions, the workflow
end to end, errors shown as messages (never a 500), and network text always escaped."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.models import Case, Publication
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch
from otklik.inbox.models import Message, Source
from otklik.sla.models import Stage

pytestmark = pytest.mark.django_db


def login(client: Client, org: Any, name: str) -> Client:
    client.force_login(org.users[name])
    return client


def make_message(org: Any, text: str = "На ул. Ленина прорвало трубу, нет воды", **kw: Any) -> Message:
    source, _ = Source.objects.get_or_create(
        administration=org.adm, name="Группа «Газимурский Завод»", kind=Source.Kind.OK, network="ok"
    )
    ext = kw.pop("external_id", f"ok-{Message.objects.count() + 1}")
    result = message_ingest_batch(
        source=source,
        items=[
            IncomingMessage(
                network="ok",
                external_id=ext,
                text=text,
                url=f"https://ok.ru/group/1/topic/{ext}",
                author_name=kw.pop("author_name", "Житель"),
                **kw,
            )
        ],
    )
    return Message.objects.get(pk=result.created[0])


def routed_case(org: Any, *depts: str) -> Case:
    msg = make_message(org)
    curator = org.actor("curator")
    case = actions.case_detect(message=msg, actor=curator)
    return actions.case_route(
        case=case,
        actor=curator,
        targets=[actions.RouteTarget(department_id=org.depts[d].pk) for d in depts or ("zhkh",)],
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- sign-in and roles -------------------------------------------------------------------------


def test_login_page_renders_and_signs_in(client: Client, org: Any) -> None:
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    assert "Вход" in response.content.decode()
    response = client.post(reverse("web:login"), {"username": "gz-curator", "password": "pass12345"})
    assert response.status_code == 302
    assert client.get("/", follow=False)["Location"] == reverse("web:inbox")


@pytest.mark.parametrize("name", ["inbox", "board", "review", "my_cases", "dashboard", "message_new", "home"])
def test_anonymous_is_sent_to_login(client: Client, org: Any, name: str) -> None:
    response = client.get(reverse(f"web:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("curator", "web:inbox"),
        ("responsible", "web:inbox"),
        ("zhkh", "web:my_cases"),
        ("head", "web:dashboard"),
        ("admin", "sources:list"),
    ],
)
def test_home_routes_each_role_to_its_work(client: Client, org: Any, name: str, target: str) -> None:
    response = login(client, org, name).get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_user_without_role_gets_403_not_500(client: Client, org: Any) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("nobody", password="x"))
    assert client.get(reverse("web:home")).status_code == 403


@pytest.mark.parametrize(
    ("name", "views"),
    [
        ("zhkh", ["inbox", "board", "review", "dashboard", "message_new"]),
        ("head", ["inbox", "review", "message_new"]),
        ("admin", ["inbox", "board", "review", "dashboard", "message_new"]),
    ],
)
def test_views_of_other_roles_are_forbidden(client: Client, org: Any, name: str, views: list[str]) -> None:
    login(client, org, name)
    for view in views:
        assert client.get(reverse(f"web:{view}")).status_code == 403, view


def test_navigation_depends_on_role(client: Client, org: Any) -> None:
    html = login(client, org, "zhkh").get(reverse("web:my_cases")).content.decode()
    assert "Мои обращения" in html and "Входящие" not in html
    html = login(Client(), org, "curator").get(reverse("web:inbox")).content.decode()
    assert "Входящие" in html and "На согласовании" in html and "Сводка" in html


# ---- curator: inbox and triage -----------------------------------------------------------------


def test_inbox_lists_new_messages_nearest_deadline_first_with_hints_and_countdown(client: Client, org: Any) -> None:
    old = make_message(org, "Старое сообщение о дороге")
    Message.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(hours=2))
    new = make_message(org, "Новое сообщение про школу")
    Message.objects.filter(pk=new.pk).update(
        triage={
            "topic": "education",
            "topic_name": "Образование",
            "topic_candidates": [{"topic": "education", "score": 0.8}, {"topic": "roads", "score": 0.1}],
            "places": [{"name": "Широкая", "kind": "settlement"}],
            "importance": {"level": "high", "reasons": ["дети"]},
            "screen": {"processable": False, "reasons": ["оскорбление"]},
            "significant": True,
        }
    )
    html = login(client, org, "curator").get(reverse("web:inbox")).content.decode()
    # Every message has the same routing limit from its receipt: the oldest is due first.
    assert html.index("Старое сообщение") < html.index("Новое сообщение")
    assert "Образование" in html and "Широкая" in html and "Высокая" in html
    assert "социально значимое" in html and "возможно, п. 19" in html
    assert 'data-testid="countdown"' in html and "data-due=" in html and "раб. мин" in html and "(Чита)" in html
    assert "https://ok.ru/group/1/topic/" in html


def test_message_page_preselects_triage_suggestions(client: Client, org: Any) -> None:
    msg = make_message(org, "Нет света в школе")
    Message.objects.filter(pk=msg.pk).update(
        triage={"topic": "education", "places": [{"name": "Широкая"}], "importance": {"level": "critical"}}
    )
    response = login(client, org, "curator").get(reverse("web:message", args=[msg.pk]))
    form = response.context["detect_form"]
    assert form.initial["topics"] == [org.topics["education"].pk]
    assert form.initial["place"] == org.places["shirokaya"].pk
    assert form.initial["importance"] == "critical"
    # The engine's output with database ids (otklik.triage.engine.output) wins over names.
    earlier = routed_case(org)
    Message.objects.filter(pk=msg.pk).update(
        triage={
            "topic": "nope",
            "topic_id": org.topics["roads"].pk,
            "places": [{"name": "?", "kind": "selo", "place_id": org.places["gz"].pk}],
            "repeat_of": earlier.pk,
            "repeat_of_number": earlier.number,
            "repeat_reasons": ["тот же автор"],
        }
    )
    response = client.get(reverse("web:message", args=[msg.pk]))
    form = response.context["detect_form"]
    assert form.initial["topics"] == [org.topics["roads"].pk]
    assert form.initial["place"] == org.places["gz"].pk
    assert form.initial["repeat_of"] == earlier.number
    html = response.content.decode()
    assert f"№ {earlier.number}</a>" in html and "тот же автор" in html and "село" in html


def test_message_text_with_markup_is_escaped(client: Client, org: Any) -> None:
    msg = make_message(org, '<script>alert("x")</script><b>жирный</b> <img src=x onerror=alert(1)>')
    login(client, org, "curator")
    for url in (reverse("web:inbox"), reverse("web:message", args=[msg.pk])):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>жирный" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_detect_and_route_to_two_departments_in_order(client: Client, org: Any) -> None:
    msg = make_message(org)
    login(client, org, "curator")
    zhkh, roads = org.depts["zhkh"].pk, org.depts["roads"].pk
    response = client.post(
        reverse("web:message_detect", args=[msg.pk]),
        {
            "topics": [org.topics["zhkh"].pk],
            "place": org.places["gz"].pk,
            "importance": "high",
            "significant": "on",
            "departments": [zhkh, roads],
            f"order_{zhkh}": "2",
            f"order_{roads}": "1",
            "summary": "Прорыв трубы",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:inbox")
    case = Case.objects.get()
    assert case.state == "routed" and case.importance == "high" and case.significant
    assert [(a.department_id, a.is_lead) for a in case.assignments.order_by("order")] == [(roads, False), (zhkh, True)]
    assert list(case.topics.all()) == [org.topics["zhkh"]] and case.place == org.places["gz"]


def test_detect_without_departments_is_refused_and_keeps_what_was_typed(client: Client, org: Any) -> None:
    msg = make_message(org)
    response = login(client, org, "curator").post(
        reverse("web:message_detect", args=[msg.pk]),
        {"importance": "high", "summary": "Прорыв трубы на Школьной", "comment": "Срочно"},
    )
    assert response.status_code == 400 and not Case.objects.exists()
    assert any("Отметьте хотя бы одно подразделение" in m for m in messages_of(response))
    html = response.content.decode()
    assert 'value="Прорыв трубы на Школьной"' in html and "Срочно</textarea>" in html
    assert '<option value="high" selected>' in html
    msg.refresh_from_db()
    assert msg.status == "new"


def test_repeat_of_case(client: Client, org: Any) -> None:
    first = routed_case(org)
    msg = make_message(org, "Опять нет воды")
    login(client, org, "curator").post(
        reverse("web:message_detect", args=[msg.pk]),
        {"importance": "normal", "repeat_of": first.number, "departments": [org.depts["zhkh"].pk]},
    )
    repeat = Case.objects.exclude(pk=first.pk).get()
    assert repeat.repeat_of == first


def test_repeat_of_unknown_case_is_a_message(client: Client, org: Any) -> None:
    msg = make_message(org)
    response = login(client, org, "curator").post(
        reverse("web:message_detect", args=[msg.pk]),
        {"importance": "normal", "repeat_of": 999, "departments": [org.depts["zhkh"].pk]},
    )
    assert response.status_code == 400
    assert "Обращение № 999 не найдено." in messages_of(response)
    assert not Case.objects.exists()


def test_refuse_under_p19(client: Client, org: Any) -> None:
    msg = make_message(org, "Угрозы чиновнику")
    login(client, org, "curator")
    response = client.post(reverse("web:message_refuse", args=[msg.pk]), {"note": ""})
    assert response.status_code == 400 and not Case.objects.exists()
    assert any("Отметьте основание п. 19" in m for m in messages_of(response))
    client.post(reverse("web:message_refuse", args=[msg.pk]), {"grounds": ["threat"], "note": "Угроза по телефону"})
    case = Case.objects.get()
    assert case.state == "refused"
    assert (
        case.refusal_reason.startswith("п. 19: угрозы жизни, здоровью") and "Угроза по телефону" in case.refusal_reason
    )


def test_attach_to_open_case(client: Client, org: Any) -> None:
    case = routed_case(org)
    msg = make_message(org, "И у нас тоже нет воды")
    login(client, org, "curator").post(reverse("web:message_attach", args=[msg.pk]), {"case_number": case.number})
    msg.refresh_from_db()
    assert msg.case_id == case.pk and msg.status == "in_case"


def test_dismiss_and_second_dismiss_is_a_message_not_500(client: Client, org: Any) -> None:
    msg = make_message(org)
    login(client, org, "curator")
    response = client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "Укажите, почему сообщение не требует реагирования." in " ".join(messages_of(response))
    client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": "реклама"})
    msg.refresh_from_db()
    assert msg.status == "dismissed" and msg.dismiss_reason == "реклама"
    response = client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": "реклама"}, follow=True)
    assert response.status_code == 200
    assert "Сообщение уже разобрано." in messages_of(response)


def test_manual_entry(client: Client, org: Any) -> None:
    login(client, org, "curator")
    assert client.get(reverse("web:message_new")).status_code == 200
    response = client.post(
        reverse("web:message_new"), {"network": "messenger", "author_name": "Иванова", "text": "Позвонила по телефону"}
    )
    msg = Message.objects.get()
    assert response["Location"] == reverse("web:message", args=[msg.pk])
    assert msg.network == "messenger" and msg.author_name == "Иванова"
    response = client.post(reverse("web:message_new"), {"network": "other", "text": ""})
    assert response.status_code == 200 and Message.objects.count() == 1


def test_message_of_another_administration_is_404(client: Client, org: Any, other_org: Any) -> None:
    msg = make_message(other_org)
    login(client, org, "curator")
    assert client.get(reverse("web:message", args=[msg.pk])).status_code == 404
    assert client.post(reverse("web:message_dismiss", args=[msg.pk])).status_code == 404


# ---- executor ----------------------------------------------------------------------------------


def test_my_cases_lists_only_my_departments_sorted_by_deadline(client: Client, org: Any) -> None:
    mine = routed_case(org, "zhkh")
    other = routed_case(org, "roads")
    response = login(client, org, "zhkh").get(reverse("web:my_cases"))
    assert [c.pk for c in response.context["cases"]] == [mine.pk]
    assert other.pk not in [c.pk for c in response.context["cases"]]


def test_executor_cannot_open_or_act_on_another_departments_case(client: Client, org: Any) -> None:
    case = routed_case(org, "roads")
    login(client, org, "zhkh")
    assert client.get(reverse("web:case", args=[case.pk])).status_code == 404
    assert client.post(reverse("web:case_accept", args=[case.pk])).status_code == 404
    assert client.post(reverse("web:case_draft", args=[case.pk]), {"text": "x"}).status_code == 404


def test_executor_cannot_do_curator_actions(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    login(client, org, "zhkh")
    assert client.post(reverse("web:case_approve", args=[case.pk])).status_code == 403
    assert client.post(reverse("web:case_triage", args=[case.pk]), {"importance": "low"}).status_code == 403


def test_full_cycle_with_rework_through_the_ui(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    executor, curator = login(Client(), org, "zhkh"), login(Client(), org, "curator")
    page = executor.get(reverse("web:case", args=[case.pk])).content.decode()
    assert "Принять в работу" in page and 'data-testid="draft-panel"' in page and "/ 4096" in page
    executor.post(reverse("web:case_accept", args=[case.pk]))
    executor.post(reverse("web:case_draft", args=[case.pk]), {"kind": "answer", "text": "Бригада выехала."})
    case.refresh_from_db()
    assert case.state == "review"
    queue = curator.get(reverse("web:review"))
    assert [r["draft"].case_id for r in queue.context["rows"]] == [case.pk]
    curator.post(
        reverse("web:case_return_draft", args=[case.pk]), {"comment": "Укажите срок ремонта", "next": "review"}
    )
    case.refresh_from_db()
    assert case.state == "rework"
    page = executor.get(reverse("web:case", args=[case.pk])).content.decode()
    assert "Укажите срок ремонта" in page and 'data-testid="resubmit-panel"' in page
    executor.post(reverse("web:case_resubmit", args=[case.pk]), {"text": "Бригада выехала, ремонт до 18:00."})
    curator.post(reverse("web:case_approve", args=[case.pk]))
    case.refresh_from_db()
    assert case.state == "approved"
    page = executor.get(reverse("web:case", args=[case.pk])).content.decode()
    assert "Ответ размещён" in page
    executor.post(reverse("web:case_publish", args=[case.pk]), {"url": "https://ok.ru/group/1/topic/1?reply=5"})
    case.refresh_from_db()
    assert case.state == "closed"
    page = executor.get(reverse("web:case", args=[case.pk])).content.decode()
    for title in ("Проект возвращён на доработку", "Доработанный проект направлен на согласование", "Ответ размещён"):
        assert title in page
    assert Stage.objects.get(case=case, key="answer").on_time is True


def test_action_errors_are_shown_as_messages(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    login(client, org, "zhkh")
    response = client.post(
        reverse("web:case_draft", args=[case.pk]), {"kind": "answer", "text": "я" * 5000}, follow=True
    )
    assert response.status_code == 200
    assert any("длиннее, чем допускает сеть" in m for m in messages_of(response))
    response = client.post(reverse("web:case_resubmit", args=[case.pk]), {"text": "x"}, follow=True)
    assert response.status_code == 200 and messages_of(response)


def test_return_to_curator_goes_back_to_triage(client: Client, org: Any) -> None:
    case = routed_case(org, "roads")
    login(client, org, "roads").post(reverse("web:case_return", args=[case.pk]), {"reason": "Не наша компетенция"})
    case.refresh_from_db()
    assert case.state == "triage"
    html = login(Client(), org, "curator").get(reverse("web:inbox")).content.decode()
    assert "ждёт направления: 1" in html


def test_contribution_of_non_lead_department_is_shown_to_lead(client: Client, org: Any) -> None:
    case = routed_case(org, "roads", "zhkh")
    roads = login(Client(), org, "roads")
    page = roads.get(reverse("web:case", args=[case.pk])).content.decode()
    assert "Информация для общего ответа" in page and 'data-testid="draft-panel"' not in page
    roads.post(reverse("web:case_contribute", args=[case.pk]), {"text": "Дорогу отсыплем в четверг"})
    page = login(Client(), org, "zhkh").get(reverse("web:case", args=[case.pk])).content.decode()
    assert "Дорогу отсыплем в четверг" in page and 'data-testid="contributions"' in page


def test_upload_checks_type_by_content(client: Client, org: Any, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = routed_case(org, "zhkh")
    login(client, org, "zhkh")
    from tests import media

    png = media.png()
    client.post(reverse("web:case_upload", args=[case.pk]), {"file": SimpleUploadedFile("photo.png", png)})
    assert case.attachments.count() == 1
    att = case.attachments.get()
    assert client.get(reverse("web:attachment", args=[case.pk, att.pk])).status_code == 200
    response = client.post(
        reverse("web:case_upload", args=[case.pk]), {"file": SimpleUploadedFile("evil.png", b"<html>")}, follow=True
    )
    assert any("Допускаются только фото" in m for m in messages_of(response))
    assert case.attachments.count() == 1
    assert login(Client(), org, "roads").get(reverse("web:attachment", args=[case.pk, att.pk])).status_code == 404


def test_publication_status_and_retry(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    executor, curator = org.actor("zhkh"), org.actor("curator")
    actions.case_submit_draft(case=case, actor=executor, kind="answer", text="Ответ")
    draft = actions.case_approve(case=case, actor=curator)
    pub = Publication.objects.create(draft=draft, case=case, guid="g-1", last_error="сеть недоступна")
    login(client, org, "zhkh")
    page = client.get(reverse("web:case", args=[case.pk])).content.decode()
    assert 'data-testid="publication-status"' in page and "ожидает" in page and "сеть недоступна" in page
    assert "Повторить размещение" in page
    response = client.post(reverse("web:publication_retry", args=[case.pk, pub.pk]), follow=True)
    assert response.status_code == 200
    pub.refresh_from_db()
    # The eager task ran: an OK message from a source with no connector settings goes to manual.
    assert pub.status in ("manual", "pending", "published")
    assert (
        login(Client(), org, "roads").post(reverse("web:publication_retry", args=[case.pk, pub.pk])).status_code == 404
    )


def test_comment_is_added_to_the_timeline(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    login(client, org, "zhkh").post(reverse("web:case_comment", args=[case.pk]), {"text": "<i>уточняю</i>"})
    html = client.get(reverse("web:case", args=[case.pk])).content.decode()
    assert "&lt;i&gt;уточняю&lt;/i&gt;" in html


# ---- curator: board and review ----------------------------------------------------------------


def test_board_filters_and_colours(client: Client, org: Any) -> None:
    a = routed_case(org, "zhkh")
    b = routed_case(org, "roads")
    Case.objects.filter(pk=b.pk).update(next_deadline_at=timezone.now() - dt.timedelta(minutes=5))
    login(client, org, "curator")
    response = client.get(reverse("web:board"))
    levels = {c.pk: c.deadline_level for c in response.context["cases"]}
    assert levels[b.pk] == "overdue" and levels[a.pk] in ("green", "amber", "red")
    response = client.get(reverse("web:board"), {"department": org.depts["zhkh"].pk})
    assert [c.pk for c in response.context["cases"]] == [a.pk]
    response = client.get(reverse("web:board"), {"state": "review", "network": "ok", "topic": "x"})
    assert response.status_code == 200 and response.context["cases"] == []
    assert login(Client(), org, "head").get(reverse("web:board")).status_code == 200


def test_deadline_level_thresholds() -> None:
    from otklik.web.selectors import deadline_level

    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    due = start + dt.timedelta(minutes=100)
    at = lambda m: start + dt.timedelta(minutes=m)  # noqa: E731
    assert deadline_level(now=at(10), due=due, started=start) == "green"
    assert deadline_level(now=at(60), due=due, started=start) == "amber"
    assert deadline_level(now=at(90), due=due, started=start) == "red"
    assert deadline_level(now=at(101), due=due, started=start) == "overdue"
    assert deadline_level(now=at(0), due=None) == "none"


# ---- the Head ---------------------------------------------------------------------------------


def test_dashboard_figures_by_department_and_alerts(client: Client, org: Any) -> None:
    case = routed_case(org, "zhkh")
    executor, curator = org.actor("zhkh"), org.actor("curator")
    actions.case_triage(case=case, actor=curator, data=actions.TriageData(significant=True))
    actions.case_submit_draft(case=case, actor=executor, kind="answer", text="Ответ")
    actions.case_approve(case=case, actor=curator)
    actions.case_publish(case=case, actor=executor, url="https://ok.ru/x")
    late = routed_case(org, "roads")
    Stage.objects.filter(case=late, key="answer").update(due_at=timezone.now() - dt.timedelta(minutes=1))
    actions.case_submit_draft(case=late, actor=org.actor("roads"), kind="answer", text="Ответ")
    actions.case_approve(case=late, actor=curator)
    actions.case_publish(case=late, actor=org.actor("roads"), url="https://ok.ru/y")
    response = login(client, org, "head").get(reverse("web:dashboard"))
    assert response.status_code == 200
    month = response.context["d"]  # figures in detail: tests/integration/test_dashboard.py
    assert (month.total.answered_on_time, month.total.answered_late, month.detected) == (1, 1, 2)
    depts = {line.row.department_id: line.row for line in month.departments}
    zhkh, roads = depts[org.depts["zhkh"].pk], depts[org.depts["roads"].pk]
    assert (zhkh.answered_on_time, zhkh.answered_late, zhkh.received) == (1, 0, 1)
    assert (roads.answered_on_time, roads.answered_late) == (0, 1)
    assert [a.case.pk for a in month.alerts if a.case] == [case.pk]
    assert f"№ {case.number}" in response.content.decode()


# ---- i18n and safety --------------------------------------------------------------------------


def test_english_is_available(client: Client, org: Any) -> None:
    login(client, org, "curator")
    html = client.get(reverse("web:inbox"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Входящие" in html and 'lang="ru"' in html  # Russian first, whatever the browser says
    client.post(reverse("set_language"), {"language": "en", "next": "/inbox/"})
    html = client.get(reverse("web:inbox")).content.decode()
    assert "Inbox" in html and 'lang="en"' in html


def test_csrf_is_enforced(org: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users["curator"])
    msg = make_message(org)
    assert client.post(reverse("web:message_dismiss", args=[msg.pk])).status_code == 403
    html = client.get(reverse("web:inbox")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_times_are_shown_in_the_administration_zone(client: Client, org: Any) -> None:
    msg = make_message(org)
    Message.objects.filter(pk=msg.pk).update(received_at=dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC))
    html = login(client, org, "curator").get(reverse("web:message", args=[msg.pk])).content.decode()
    # 01:30 UTC is 10:30 in Asia/Chita; one form of a moment, with the zone (and the year if not this one).
    assert re.search(r'2 мар\.( 2026)?, 10:30 <span class="tz">\(Чита\)</span>', html)


def test_domain_titles_are_marked_for_translation() -> None:
    from otklik.cases.actions import ACTION_TITLES
    from otklik.domain.networks import NETWORKS
    from otklik.domain.workflow import DRAFT_KIND_TITLES, IMPORTANCE_TITLES, STAGE_TITLES, STATE_TITLES
    from otklik.web.i18n_titles import TITLES

    shown = {
        *STATE_TITLES.values(),
        *IMPORTANCE_TITLES.values(),
        *STAGE_TITLES.values(),
        *DRAFT_KIND_TITLES.values(),
        *ACTION_TITLES.values(),
        *(n.title for n in NETWORKS.values()),
    }
    assert shown <= set(TITLES)


def test_dashboard_shows_p23_notifications_when_the_model_exists(client: Client, org: Any) -> None:
    from django.apps import apps

    try:
        model = apps.get_model("notify", "Notification")
    except LookupError:
        pytest.skip("notify.Notification does not exist yet")
    case = routed_case(org)
    fields = {f.name for f in model._meta.get_fields()}
    row: dict[str, Any] = {"title": "Социально значимое: прорыв трубы", "case": case}
    for name, value in (
        ("recipient", org.users["head"]),
        ("administration", org.adm),
        ("kind", "significant"),
        ("created_at", timezone.now()),
    ):
        if name in fields:
            row[name] = value
    row["case"] = None  # an alert without a case (a case's alert shows the case itself, once)
    model.objects.create(**row)
    html = login(client, org, "head").get(reverse("web:dashboard")).content.decode()
    assert "Социально значимое: прорыв трубы" in html


def test_shortened_deadline_is_read_in_the_administration_zone(client: Client, org: Any) -> None:
    from zoneinfo import ZoneInfo

    msg = make_message(org)
    local = (timezone.now() + dt.timedelta(hours=1)).astimezone(ZoneInfo("Asia/Chita"))
    login(client, org, "curator").post(
        reverse("web:message_detect", args=[msg.pk]),
        {
            "importance": "normal",
            "shortened_deadline": local.strftime("%Y-%m-%dT%H:%M"),
            "departments": [org.depts["zhkh"].pk],
        },
    )
    case = Case.objects.get()
    assert case.shortened_deadline == local.replace(second=0, microsecond=0)
    assert case.answer_due_at == case.shortened_deadline
