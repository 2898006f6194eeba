"""The curator's work queue (issue 13 §2–4, §9, §11): deadline order, search and filters, bulk
decisions, dismissal with a reason and its same-day undo, the live part, presence, the context
panel, notifications (status page, poll, Telegram /start) and the Russian error pages in DEBUG."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.models import Case
from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message, MessageDismissal, MessagePresence, Source
from otklik.notify.models import Delivery, Notification, NotificationPreference
from otklik.notify.telegram_link import handle_update, link_start
from otklik.organization.models import Membership, Role

from .test_web_views import login, make_message, messages_of

pytestmark = pytest.mark.django_db


def _ids(response: Any) -> list[int]:
    return [row["message"].pk for row in response.context["rows"]]


def _age(message: Message, minutes: int) -> None:
    Message.objects.filter(pk=message.pk).update(received_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_queue_is_oldest_first_and_filters_narrow_it(client: Client, org: Any) -> None:
    water = make_message(org, "Нет воды на улице Ленина")
    road = make_message(org, "Яма на дороге в Широкой")
    rude = make_message(org, "Вы там все бездельники")
    _age(water, 5)
    _age(road, 50)
    _age(rude, 20)
    Message.objects.filter(pk=water.pk).update(
        triage={
            "topic_id": org.topics["zhkh"].pk,
            "places": [{"place_id": org.places["gz"].pk}],
            "importance": {"level": "high"},
        }
    )
    Message.objects.filter(pk=road.pk).update(
        triage={"topic_id": org.topics["roads"].pk, "places": [{"place_id": org.places["shirokaya"].pk}]}
    )
    Message.objects.filter(pk=rude.pk).update(triage={"screen": {"processable": False, "grounds": ["insult"]}})
    login(client, org, "curator")
    url = reverse("web:inbox")
    assert _ids(client.get(url)) == [road.pk, rude.pk, water.pk]
    assert _ids(client.get(url, {"topic": org.topics["zhkh"].pk})) == [water.pk]
    assert _ids(client.get(url, {"place": org.places["shirokaya"].pk})) == [road.pk]
    assert _ids(client.get(url, {"importance": "high"})) == [water.pk]
    assert _ids(client.get(url, {"screen": "flagged"})) == [rude.pk]
    assert _ids(client.get(url, {"screen": "clean"})) == [road.pk, water.pk]
    assert _ids(client.get(url, {"q": "дороге"})) == [road.pk]
    assert _ids(client.get(url, {"network": "vk"})) == []
    assert _ids(client.get(url, {"source": water.source_id, "q": "воды"})) == [water.pk]
    # nonsense in a filter is ignored, not a 500
    assert client.get(url, {"topic": "x", "importance": "<b>", "network": "nope"}).status_code == 200


def test_bulk_dismiss_needs_a_reason_and_skips_what_others_decided(client: Client, org: Any) -> None:
    a, b, c = (make_message(org, f"Спасибо за работу {i}") for i in range(3))
    login(client, org, "curator")
    bulk = reverse("web:inbox_bulk")
    response = client.post(bulk, {"action": "dismiss", "messages": [a.pk, b.pk]}, follow=True)
    assert "Укажите, почему сообщение не требует реагирования." in " ".join(messages_of(response))
    assert Message.objects.filter(status="new").count() == 3
    inbox_actions.message_dismiss(message=b, actor_id=org.users["curator"].pk, reason="раньше")
    response = client.post(
        bulk, {"action": "dismiss", "messages": [a.pk, b.pk, c.pk], "reason": "благодарность"}, follow=True
    )
    text = " ".join(messages_of(response))
    assert "Отмечены как не требующие реагирования: 2." in text
    assert "Пропущено — их уже разобрали: 1." in text
    a.refresh_from_db()
    assert a.status == "dismissed" and a.dismiss_reason == "благодарность" and a.dismissed_by == org.users["curator"]
    assert MessageDismissal.objects.filter(message=a, reason="благодарность").exists()
    assert response.redirect_chain[-1][0] == reverse("web:inbox")


def test_bulk_refuse_and_attach(client: Client, org: Any) -> None:
    a, b = make_message(org, "Грубость 1"), make_message(org, "Грубость 2")
    login(client, org, "curator")
    bulk = reverse("web:inbox_bulk")
    client.post(bulk, {"action": "refuse", "messages": [a.pk, b.pk], "grounds": ["obscene", "insult"]})
    refused = Case.objects.filter(state="refused")
    assert refused.count() == 2
    assert all(c.refusal_reason == "п. 19: нецензурные выражения; оскорбительные выражения." for c in refused)
    first = make_message(org, "Нет воды")
    case = actions.case_detect(message=first, actor=org.actor("curator"))
    more = [make_message(org, "И у нас нет воды"), make_message(org, "И здесь")]
    response = client.post(
        bulk, {"action": "attach", "messages": [m.pk for m in more], "case_number": 999}, follow=True
    )
    assert "Обращение № 999 не найдено." in messages_of(response)
    client.post(bulk, {"action": "attach", "messages": [m.pk for m in more], "case_number": case.number})
    assert set(case.messages.values_list("pk", flat=True)) == {first.pk, *(m.pk for m in more)}
    response = client.post(bulk, {"action": "nope", "messages": [a.pk]}, follow=True)
    assert "Выберите действие" in " ".join(messages_of(response))


def test_dismissal_can_be_undone_the_same_day_only(client: Client, org: Any) -> None:
    msg = make_message(org, "Реклама")
    login(client, org, "curator")
    client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": "реклама или спам"})
    page = client.get(reverse("web:inbox_dismissed"))
    assert page.status_code == 200 and [r["message"].pk for r in page.context["rows"]] == [msg.pk]
    assert f'data-testid="undo-{msg.pk}"' in page.content.decode() and "реклама или спам" in page.content.decode()
    response = client.post(reverse("web:message_undismiss", args=[msg.pk]))
    assert response["Location"] == reverse("web:message", args=[msg.pk])
    msg.refresh_from_db()
    assert msg.status == "new" and msg.dismissed_at is None and msg.dismiss_reason == ""
    record = MessageDismissal.objects.get(message=msg)
    assert record.undone_by == org.users["curator"] and record.undone_at is not None  # П.20: kept
    # dismissed again, yesterday: no undo any more
    client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": "реклама"})
    Message.objects.filter(pk=msg.pk).update(dismissed_at=timezone.now() - dt.timedelta(days=1, hours=1))
    html = client.get(reverse("web:message", args=[msg.pk])).content.decode()
    assert "только в тот же день" in html and 'data-testid="undo"' not in html
    response = client.post(reverse("web:message_undismiss", args=[msg.pk]), follow=True)
    assert "только в тот же день" in " ".join(messages_of(response))
    msg.refresh_from_db()
    assert msg.status == "dismissed"
    assert MessageDismissal.objects.filter(message=msg).count() == 2


def test_after_a_decision_the_next_message_opens(client: Client, org: Any) -> None:
    a, b, c = (make_message(org, f"Сообщение {i}") for i in range(3))
    for m, age in ((a, 30), (b, 20), (c, 10)):
        _age(m, age)
    login(client, org, "curator")
    response = client.post(reverse("web:message_dismiss", args=[b.pk]), {"reason": "дубль"})
    assert response["Location"] == reverse("web:message", args=[c.pk])
    response = client.post(reverse("web:message_dismiss", args=[c.pk]), {"reason": "дубль"})
    assert response["Location"] == reverse("web:message", args=[a.pk])  # wraps to the first
    response = client.post(
        reverse("web:message_detect", args=[a.pk]), {"importance": "normal", "departments": [org.depts["zhkh"].pk]}
    )
    assert response["Location"] == reverse("web:inbox")  # nothing left
    # the filter the curator works in is kept
    d, e = make_message(org, "Про дорогу"), make_message(org, "Про воду")
    response = client.post(reverse("web:message_dismiss", args=[d.pk]), {"reason": "x", "queue": "q=воду"})
    assert response["Location"] == reverse("web:message", args=[e.pk]) + "?q=%D0%B2%D0%BE%D0%B4%D1%83"


def test_topic_departments_are_preselected_and_p19_grounds_prefilled(client: Client, org: Any) -> None:
    msg = make_message(org, "Вы все там твари, нет воды")
    Message.objects.filter(pk=msg.pk).update(
        triage={
            "topic_id": org.topics["zhkh"].pk,
            "departments": [{"id": org.depts["zhkh"].pk, "name": "ЖКХ"}, {"id": 99999, "name": "старый"}],
            "screen": {"processable": False, "reasons": ["оскорбление: «твари»"], "grounds": ["insult"]},
        }
    )
    response = login(client, org, "curator").get(reverse("web:message", args=[msg.pk]))
    html = response.content.decode()
    assert response.context["selected_departments"] == [org.depts["zhkh"].pk]
    assert f'data-testid="dept-{org.depts["zhkh"].pk}" checked' in html
    assert f'data-testid="dept-{org.depts["roads"].pk}" checked' not in html
    assert response.context["refusal_form"].initial["grounds"] == ["insult"]
    assert re.search(r'value="insult"[^>]*checked', html) and not re.search(r'value="obscene"[^>]*checked', html)
    # the refusal is offered first when the screen flags the message
    assert html.index('data-testid="refusal-section"') < html.index('data-testid="detect-form"')


def test_live_part_counts_and_appends_only_at_the_end(client: Client, org: Any) -> None:
    first = make_message(org, "Первое")
    login(client, org, "curator")
    page = client.get(reverse("web:inbox"))
    after = page.context["after"]
    assert after == first.pk
    second = make_message(org, "Второе, пришло только что")
    fresh = client.get(reverse("web:inbox_fresh"), {"after": after, "last": "1"})
    html = fresh.content.decode()
    assert fresh.status_code == 200 and "Второе, пришло только что" in html and "Первое" not in html
    assert 'id="inbox-count"' in html and ">2</span>" in html and f"after={second.pk}" in html
    # not on the last page: only the counter and a link, no rows
    fresh = client.get(reverse("web:inbox_fresh"), {"after": after})
    assert "Второе" not in fresh.content.decode() and "Новое сообщение в конце очереди: 1" in fresh.content.decode()


def test_a_second_curator_sees_who_has_the_message(client: Client, org: Any) -> None:
    from django.contrib.auth.models import User

    other = User.objects.create_user("gz-curator2", password="x", first_name="Олег", last_name="Вторых")
    Membership.objects.create(user=other, administration=org.adm, role=Role.CURATOR)
    msg = make_message(org, "Нет света")
    login(client, org, "curator").get(reverse("web:message", args=[msg.pk]))
    second = Client()
    second.force_login(other)
    inbox = second.get(reverse("web:inbox")).content.decode()
    assert "открыто: Мария Кураторова" in inbox
    page = second.get(reverse("web:message", args=[msg.pk])).content.decode()
    assert "уже открыл(а) Мария Кураторова" in page
    # the mark expires, and the decision clears it
    MessagePresence.objects.filter(user=org.users["curator"]).update(seen_at=timezone.now() - dt.timedelta(minutes=5))
    assert "открыто: Мария" not in second.get(reverse("web:inbox")).content.decode()
    beat = client.post(reverse("web:message_presence", args=[msg.pk]))
    assert beat.status_code == 200 and "Олег Вторых" in beat.content.decode()
    client.post(reverse("web:message_dismiss", args=[msg.pk]), {"reason": "x"})
    assert not MessagePresence.objects.filter(user=org.users["curator"]).exists()


def test_context_panel_shows_the_authors_history_and_cases_at_the_place(client: Client, org: Any) -> None:
    earlier = make_message(org, "В прошлом месяце тоже не было воды", author_id="ok-77")
    case = actions.case_detect(
        message=earlier,
        actor=org.actor("curator"),
        triage=actions.TriageData(topic_ids=[], place_id=org.places["gz"].pk, summary="Нет воды на Ленина"),
    )
    make_message(org, "Другой автор", author_id="ok-78")
    msg = make_message(org, "Опять нет воды!", author_id="ok-77")
    Message.objects.filter(pk=msg.pk).update(triage={"places": [{"place_id": org.places["gz"].pk}]})
    response = login(client, org, "curator").get(reverse("web:message", args=[msg.pk]))
    panel = response.context["panel"]
    assert [m.pk for m in panel.author_messages] == [earlier.pk]
    assert [c.pk for c in panel.author_cases] == [case.pk]
    assert [c.pk for c in panel.place_cases] == [case.pk]
    html = response.content.decode()
    assert 'data-testid="author-cases"' in html and f"№ {case.number}" in html and "Другой автор" not in html


def test_delivery_errors_go_to_the_administrators_status_page_only(client: Client, org: Any) -> None:
    n = Notification.objects.create(
        recipient=org.users["zhkh"], administration=org.adm, title="Новое обращение", created_at=timezone.now()
    )
    Delivery.objects.create(
        notification=n, channel="email", status="failed", attempts=3, last_error="[Errno 111] Connection refused"
    )
    html = login(client, org, "zhkh").get(reverse("notify:list")).content.decode()
    assert "Errno" not in html and "Connection refused" not in html and "не доставлено" in html
    assert client.get(reverse("notify:status")).status_code == 403
    status = login(Client(), org, "admin").get(reverse("notify:status"))
    text = status.content.decode()
    assert status.status_code == 200 and "сервер не отвечает" in text and "Иван Трубин" in text
    assert "Errno" not in text


def test_bell_is_an_svg_and_the_poll_gives_the_count(client: Client, org: Any) -> None:
    Notification.objects.create(
        recipient=org.users["curator"], title="Срочно: срок", urgent=True, created_at=timezone.now()
    )
    html = login(client, org, "curator").get(reverse("web:inbox")).content.decode()
    assert '<svg class="bell-icon"' in html and "&#128276;" not in html and "🔔" not in html
    data = client.get(reverse("notify:poll")).json()
    assert data["unread"] == 1 and data["latest"][0]["title"] == "Срочно: срок" and data["latest"][0]["urgent"]


@override_settings(OTKLIK_NOTIFY_TELEGRAM_BOT="otklik_test_bot", OTKLIK_NOTIFY_TELEGRAM_SECRET="s3cret")
def test_telegram_is_bound_by_a_start_code(client: Client, org: Any) -> None:
    login(client, org, "zhkh")
    client.post(reverse("notify:preferences"), {"action": "telegram_link"})
    pref = NotificationPreference.objects.get(user=org.users["zhkh"])
    code = pref.telegram_link_code
    assert (
        code
        and f"https://t.me/otklik_test_bot?start={code}" in client.get(reverse("notify:preferences")).content.decode()
    )
    hook = reverse("notify:telegram_webhook")
    update = {"update_id": 1, "message": {"text": f"/start {code}", "chat": {"id": 4242, "type": "private"}}}
    assert Client().post(hook, json.dumps(update), content_type="application/json").status_code == 403
    bad = Client().post(
        hook, json.dumps(update), content_type="application/json", headers={"X-Telegram-Bot-Api-Secret-Token": "no"}
    )
    assert bad.status_code == 403
    ok = Client().post(
        hook, json.dumps(update), content_type="application/json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    )
    assert ok.status_code == 200
    pref.refresh_from_db()
    assert pref.telegram_chat_id == "4242" and pref.telegram_enabled and pref.telegram_link_code == ""
    # a code works once and expires
    assert not handle_update(update)
    other = NotificationPreference.objects.create(user=org.users["roads"])
    code = link_start(other, now=timezone.now() - dt.timedelta(hours=1))
    assert not handle_update({"message": {"text": f"/start {code}", "chat": {"id": 5, "type": "private"}}})
    # the raw chat id can no longer be typed in
    client.post(
        reverse("notify:preferences"), {"telegram_chat_id": "999", "telegram_enabled": "on", "email_enabled": "on"}
    )
    pref.refresh_from_db()
    assert pref.telegram_chat_id == "4242"
    client.post(reverse("notify:preferences"), {"action": "telegram_unlink"})
    pref.refresh_from_db()
    assert pref.telegram_chat_id == "" and not pref.telegram_enabled


@override_settings(DEBUG=True)
def test_error_pages_are_russian_with_debug_on(client: Client, org: Any) -> None:
    response = login(client, org, "zhkh").get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "Не найдено" in html and "Page not found" not in html
    assert "URLconf" not in html
    msg = make_message(org, "Школьный автобус не пришёл")
    case = actions.case_detect(message=msg, actor=org.actor("curator"))
    actions.case_route(
        case=case, actor=org.actor("curator"), targets=[actions.RouteTarget(department_id=org.depts["edu"].pk)]
    )
    response = client.get(reverse("web:case", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 404 and "Не найдено" in html and "Школьный" not in html and "Traceback" not in html
    response = client.get(reverse("web:board"))
    assert response.status_code == 403 and "Нет доступа" in response.content.decode()
    # the API keeps its JSON answers
    assert Client().get("/api/v1/no-such/").status_code in (401, 404)


@override_settings(DEBUG=True)
def test_an_exception_with_debug_on_is_the_russian_500_page(org: Any, monkeypatch: Any) -> None:
    from otklik.web.views import curator

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(curator.queue, "queue", boom)
    client = Client(raise_request_exception=False)
    client.force_login(org.users["curator"])
    response = client.get(reverse("web:inbox"))
    html = response.content.decode()
    assert (
        response.status_code == 500 and "Внутренняя ошибка" in html and "boom" not in html and "Traceback" not in html
    )


def test_source_filter_options_are_the_administrations(client: Client, org: Any, other_org: Any) -> None:
    Source.objects.create(administration=other_org.adm, name="Чужой источник", kind="vk", network="vk")
    make_message(org)
    html = login(client, org, "curator").get(reverse("web:inbox")).content.decode()
    assert "Чужой источник" not in html and "Группа «Газимурский Завод»" in html


def test_context_panel_tag_keeps_an_executor_to_the_cases_they_see(org: Any) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    earlier = make_message(org, "Прошлое обращение про школу", author_id="ok-90")
    edu_case = actions.case_detect(
        message=earlier,
        actor=org.actor("curator"),
        triage=actions.TriageData(topic_ids=[], place_id=org.places["gz"].pk, summary="Школа: холодно"),
    )
    actions.case_route(
        case=edu_case, actor=org.actor("curator"), targets=[actions.RouteTarget(department_id=org.depts["edu"].pk)]
    )
    msg = make_message(org, "Опять холодно", author_id="ok-90")
    template = Template(
        "{% load queue_context %}{% context_panel message place_id=place exclude_case=None as panel %}"
        "{% for c in panel.author_cases %}[{{ c.summary }}]{% endfor %}{% for c in panel.place_cases %}<{{ c.summary }}>{% endfor %}"
    )
    request = RequestFactory().get("/")
    for who, shown in (("curator", True), ("edu", True), ("zhkh", False)):
        request.actor = org.actor(who)  # type: ignore[attr-defined]
        html = template.render(Context({"request": request, "message": msg, "place": org.places["gz"].pk}))
        assert ("[Школа: холодно]" in html and "<Школа: холодно>" in html) is shown, who


@override_settings(DEBUG=True)
def test_a_suspicious_request_and_a_stale_form_get_russian_pages(org: Any, monkeypatch: Any) -> None:
    from django.core.exceptions import SuspiciousOperation

    from otklik.web.views import curator

    def suspicious(*args: Any, **kwargs: Any) -> Any:
        raise SuspiciousOperation("bad")

    monkeypatch.setattr(curator.queue, "queue", suspicious)
    client = Client(raise_request_exception=False)
    client.force_login(org.users["curator"])
    response = client.get(reverse("web:inbox"))
    assert response.status_code == 400 and "Неверный запрос" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.users["curator"])
    response = strict.post(reverse("web:inbox_bulk"), {"action": "dismiss"})
    html = response.content.decode()
    assert response.status_code == 403 and "Форма устарела" in html and "CSRF" not in html


def test_the_case_page_shows_the_context_panel_of_its_first_message(client: Client, org: Any) -> None:
    earlier = make_message(org, "В прошлом месяце тоже не было воды", author_id="ok-55")
    old_case = actions.case_detect(
        message=earlier,
        actor=org.actor("curator"),
        triage=actions.TriageData(topic_ids=[], place_id=org.places["gz"].pk, summary="Нет воды: прошлый раз"),
    )
    msg = make_message(org, "Опять нет воды!", author_id="ok-55")
    case = actions.case_detect(
        message=msg,
        actor=org.actor("curator"),
        triage=actions.TriageData(topic_ids=[], place_id=org.places["gz"].pk, summary="Нет воды снова"),
    )
    response = login(client, org, "curator").get(reverse("web:case", args=[case.pk]))
    html = response.content.decode()
    assert 'data-testid="context-panel"' in html
    assert f"№ {old_case.number}" in html  # the author's earlier case, not the case itself
