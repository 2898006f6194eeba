"""The curator's work queue in a real browser at 1366×768 and 390×844 (issue 13 §2–4, 9–11):
dense rows in deadline order, filters, keyboard shortcuts and bulk dismissal with a reason,
the dismissed list and its undo, triage in one pass (departments pre-selected, П.19 grounds
pre-ticked, no routing without a department), «следующее», new messages arriving live, a second
curator seeing who has a message, the context panel, the bell and notification channels, the
phone menu, and the Russian 404 with DEBUG on. Screenshots in test-artifacts/e2e/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import make_org

from .conftest import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

TEXTS = [
    "На улице Ленина вторые сутки нет воды, когда дадут?",
    "Спасибо за расчищенную дорогу к школе!",
    "В Широкой яма на дороге у магазина, машины бьются",
    "Когда откроют новый ФАП? Уже полгода обещают",
    "Фонари на Набережной не горят третью неделю",
    "Поздравляю всех с праздником!",
    "Мусор не вывозят с понедельника, контейнеры переполнены",
    "Автобус до Газимурского Завода опять не пришёл",
    "Собаки бродячие у садика, дети боятся",
    "Продам гараж недорого, звоните",
    "Почему в школе холодно? Батареи ледяные",
    "Мост через Газимур закрыт, как объехать?",
    "Благодарю за быстрый ремонт водопровода",
    "Свалка за деревней горит, дым по всей улице",
    "Когда будет приём у главы?",
    "Во дворе дома 5 прорвало трубу, вода течёт по улице",
]


def _queue(org: Any, count: int = len(TEXTS)) -> list[Any]:
    from django.utils import timezone

    from otklik.inbox.models import Message

    made = []
    now = timezone.now()
    for i, text in enumerate(TEXTS[:count]):
        m = make_message(org, text, external_id=f"q{i}", author=f"Житель {i}")
        # the first is the oldest: it is due first
        Message.objects.filter(pk=m.pk).update(received_at=now - dt.timedelta(minutes=2 * (count - i)))
        made.append(m)
    return made


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"horizontal scroll: {width} > {inner}"


@pytest.mark.parametrize("size", list(SIZES))
def test_queue_is_dense_sorted_and_filtered(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.inbox.models import Message

    org = make_org()
    made = _queue(org)
    Message.objects.filter(pk=made[2].pk).update(
        triage={"topic_id": org.topics["roads"].pk, "topic_name": "Дороги", "places": [{"name": "Широкая"}]}
    )
    page = people.page("gz-curator", viewport=SIZES[size])
    expect(page.get_by_test_id("message")).to_have_count(len(TEXTS))
    expect(page.get_by_test_id("message").first).to_contain_text(TEXTS[0])  # the oldest first
    shot(page, f"queue-01-inbox-{size}")
    _no_horizontal_scroll(page)
    if size == "desktop":
        visible = page.evaluate(
            "Array.from(document.querySelectorAll('[data-testid=message]'))"
            ".filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"
        )
        assert visible >= 12, f"only {visible} rows fit on 1366×768"
    page.fill("input[name=q]", "магазина")
    page.locator("[data-testid=queue-filters] button[type=submit]").click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    expect(page.get_by_test_id("message")).to_contain_text("яма на дороге")
    page.goto("/inbox/")
    page.select_option("select[name=topic]", str(org.topics["roads"].pk))
    page.locator("[data-testid=queue-filters] button[type=submit]").click()
    roads = [m.pk for m in Message.objects.all() if (m.triage or {}).get("topic_id") == org.topics["roads"].pk]
    assert made[2].pk in roads and len(roads) < len(TEXTS)
    expect(page.get_by_test_id("message")).to_have_count(len(roads))
    expect(page.locator(f"#message-{made[2].pk}")).to_be_visible()
    _no_horizontal_scroll(page)
    shot(page, f"queue-02-filtered-{size}")
    if size == "phone":
        nav = page.locator(".navwrap")
        expect(nav).to_be_hidden()
        page.get_by_test_id("burger").click()
        expect(nav.get_by_role("link", name="Доска")).to_be_visible()
        _no_horizontal_scroll(page)
        shot(page, "queue-03-phone-menu")


def test_keyboard_bulk_dismiss_with_a_reason_and_undo(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    from otklik.inbox.models import Message

    org = make_org()
    made = _queue(org, 5)
    page = people.page("gz-curator", viewport=SIZES["desktop"])
    page.keyboard.press("?")
    expect(page.get_by_test_id("kbd-help")).to_have_attribute("open", "")
    shot(page, "queue-04-keys")
    page.keyboard.press("?")
    page.keyboard.press("j")
    page.keyboard.press("j")  # the second row
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("input[name=messages]:checked")).to_have_count(2)
    page.keyboard.press("d")
    reason = page.get_by_test_id("bulk-reason")
    expect(reason).to_be_focused()
    expect(page.get_by_test_id("bulk-action")).to_have_value("dismiss")
    reason.fill("не обращение: мнение, благодарность, поздравление")
    shot(page, "queue-05-bulk")
    page.get_by_test_id("bulk-apply").click()
    expect(page.locator(".flash")).to_contain_text("Отмечены как не требующие реагирования: 2.")
    expect(page.get_by_test_id("message")).to_have_count(3)
    dismissed = set(Message.objects.filter(status="dismissed").values_list("pk", flat=True))
    assert dismissed == {made[1].pk, made[2].pk}
    page.get_by_role("link", name="Не требуют реагирования").click()
    expect(page.get_by_test_id("dismissed-row")).to_have_count(2)
    expect(page.get_by_test_id("dismissed")).to_contain_text("благодарность")
    shot(page, "queue-06-dismissed")
    page.get_by_test_id(f"undo-{made[1].pk}").click()
    expect(page.locator(".flash")).to_contain_text("снова во входящих")
    expect(page.get_by_test_id("detect-form")).to_be_visible()
    assert Message.objects.get(pk=made[1].pk).status == "new"


@pytest.mark.parametrize("size", list(SIZES))
def test_triage_in_one_pass_then_the_next_message(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.cases.models import Case
    from otklik.inbox.models import Message

    org = make_org()
    first, second, _third = _queue(org, 3)
    zhkh = org.depts["zhkh"].pk
    Message.objects.filter(pk=first.pk).update(
        triage={
            "topic": "zhkh",
            "topic_id": org.topics["zhkh"].pk,
            "topic_name": "ЖКХ",
            "departments": [{"id": zhkh, "name": "ЖКХ"}],
            "importance": {"level": "high", "reasons": ["нет воды"]},
        }
    )
    Message.objects.filter(pk=second.pk).update(
        triage={"screen": {"processable": False, "reasons": ["оскорбление"], "grounds": ["insult"]}}
    )
    page = people.page("gz-curator", viewport=SIZES[size])
    page.get_by_test_id("message").first.get_by_role("link", name="Разобрать").click()
    expect(page.get_by_test_id(f"dept-{zhkh}")).to_be_checked()
    _no_horizontal_scroll(page)
    shot(page, f"queue-07-triage-{size}")
    # no department: refused with a message, and what was typed stays
    page.get_by_test_id(f"dept-{zhkh}").uncheck()
    page.fill("input[name=summary]", "Нет воды на Ленина, вторые сутки")
    page.get_by_role("button", name="Создать обращение и направить").click()
    expect(page.locator(".flash")).to_contain_text("Отметьте хотя бы одно подразделение")
    expect(page.locator("input[name=summary]")).to_have_value("Нет воды на Ленина, вторые сутки")
    assert not Case.objects.exists()
    page.get_by_test_id(f"dept-{zhkh}").check()
    page.get_by_role("button", name="Создать обращение и направить").click()
    expect(page.locator(".flash")).to_contain_text("создано и направлено")
    # «следующее»: the next message of the queue is open, its П.19 grounds ticked from the screen
    expect(page.get_by_test_id("message-text")).to_contain_text(TEXTS[1])
    expect(page.locator("[data-testid=refusal-form] input[value=insult]")).to_be_checked()
    expect(page.locator("[data-testid=refusal-form] input[value=obscene]")).not_to_be_checked()
    _no_horizontal_scroll(page)
    shot(page, f"queue-08-refusal-{size}")
    page.get_by_role("button", name="Не обрабатывать (п. 19)").click()
    expect(page.locator(".flash")).to_contain_text("не подлежит обработке")
    expect(page.get_by_test_id("message-text")).to_contain_text(TEXTS[2])
    refused = Case.objects.get(state="refused")
    assert refused.refusal_reason == "п. 19: оскорбительные выражения."
    # dismissing asks for a reason
    page.get_by_test_id("dismiss-form").get_by_role("button", name="Не требует реагирования").click()
    assert Message.objects.get(pk=_third.pk).status == "new"  # the browser asks: the field is required


def test_new_messages_appear_live_and_a_second_curator_sees_who_has_one(people: Any, shot: Any) -> None:
    from django.contrib.auth.models import User
    from playwright.sync_api import expect

    from otklik.organization.models import Membership, Role

    org = make_org()
    made = _queue(org, 3)
    other = User.objects.create_user("gz-curator2", password="pass12345", first_name="Олег", last_name="Вторых")
    Membership.objects.create(user=other, administration=org.adm, role=Role.CURATOR)
    page = people.page("gz-curator", viewport=SIZES["desktop"])
    expect(page.get_by_test_id("message")).to_have_count(3)
    page.get_by_test_id(f"check-{made[0].pk}").check()
    make_message(org, "Только что: упало дерево на провода на Советской", external_id="live-1")
    page.evaluate("htmx.trigger(document.getElementById('queue-poll'), 'poll-now')")
    expect(page.get_by_test_id("message")).to_have_count(4)
    expect(page.get_by_test_id("message").last).to_contain_text("упало дерево")
    expect(page.get_by_test_id("inbox-count")).to_have_text("4")
    expect(page.get_by_test_id(f"check-{made[0].pk}")).to_be_checked()  # nothing reloaded
    shot(page, "queue-09-live")

    page.get_by_test_id("message").first.get_by_role("link", name="Разобрать").click()
    expect(page.get_by_test_id("detect-form")).to_be_visible()
    second = people.page("gz-curator2", viewport=SIZES["desktop"])
    expect(second.get_by_test_id("taken")).to_contain_text("открыто: Мария Кураторова")
    shot(second, "queue-10-taken")
    second.get_by_test_id("message").first.get_by_role("link", name="Разобрать").click()
    expect(second.get_by_test_id("presence-others")).to_contain_text("Мария Кураторова")
    shot(second, "queue-11-presence")
    # the first curator's page hears of the second one at its next heartbeat
    page.evaluate("htmx.trigger(document.getElementById('presence'), 'every')")
    page.evaluate(
        "htmx.ajax('POST', document.getElementById('presence').getAttribute('hx-post'),"
        " {target: '#presence', swap: 'outerHTML'})"
    )
    expect(page.get_by_test_id("presence-others")).to_contain_text("Олег Вторых")


@pytest.mark.parametrize("size", list(SIZES))
def test_context_panel_shows_the_thread_the_author_and_the_place(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.cases import actions
    from otklik.domain.messages import IncomingMessage
    from otklik.inbox.actions import message_ingest_batch
    from otklik.inbox.models import Message, Source

    org = make_org()
    source = Source.objects.create(administration=org.adm, name="ВК: Газимурский Завод", kind="vk", network="vk")
    result = message_ingest_batch(
        source=source,
        items=[
            IncomingMessage(
                network="vk",
                external_id="1_10",
                text="В прошлом году на Широкой тоже не было воды",
                author_id="77",
                author_name="Пётр Соседов",
            ),
            IncomingMessage(
                network="vk",
                external_id="1_11",
                text="У нас в Широкой то же самое",
                author_id="77",
                author_name="Пётр Соседов",
                reply_to="1_9",
                context={
                    "parent": {
                        "kind": "post",
                        "text": "Отключение воды в Широкой до пятницы",
                        "author_name": "Администрация",
                    }
                },
            ),
        ],
    )
    earlier, reply = (Message.objects.get(pk=pk) for pk in result.created)
    case = actions.case_detect(
        message=earlier,
        actor=org.actor("curator"),
        triage=actions.TriageData(topic_ids=[], place_id=org.places["shirokaya"].pk, summary="Нет воды в Широкой"),
    )
    Message.objects.filter(pk=reply.pk).update(
        triage={"places": [{"place_id": org.places["shirokaya"].pk, "name": "Широкая"}]}
    )
    page = people.page("gz-curator", viewport=SIZES[size])
    page.goto(f"/inbox/{reply.pk}/")
    expect(page.get_by_test_id("message-context")).to_contain_text("Отключение воды в Широкой")
    expect(page.get_by_test_id("author-cases")).to_contain_text(f"№ {case.number}")
    expect(page.get_by_test_id("author-messages")).to_contain_text("В прошлом году")
    expect(page.get_by_test_id("place-cases")).to_contain_text("Нет воды в Широкой")
    _no_horizontal_scroll(page)
    shot(page, f"queue-12-context-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_bell_notifications_and_channels(people: Any, shot: Any, size: str, settings: Any) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from otklik.notify.models import Delivery, Notification

    settings.OTKLIK_NOTIFY_TELEGRAM_BOT = "otklik_demo_bot"
    org = make_org()
    n = Notification.objects.create(
        recipient=org.users["zhkh"], administration=org.adm, title="Новое обращение № 7", created_at=timezone.now()
    )
    Delivery.objects.create(
        notification=n, channel="email", status="failed", attempts=3, last_error="[Errno 111] Connection refused"
    )
    page = people.page("gz-zhkh", viewport=SIZES[size], permissions=["notifications"])
    bell = page.get_by_test_id("bell")
    expect(bell.locator("svg")).to_have_count(1)
    expect(bell.get_by_test_id("bell-count")).to_have_text("1")
    bell.click()
    expect(page.locator("main")).to_contain_text("Новое обращение № 7")
    expect(page.locator("main")).not_to_contain_text("Errno")
    _no_horizontal_scroll(page)
    shot(page, f"queue-13-notifications-{size}")
    page.goto("/notifications/preferences/")
    button = page.get_by_test_id("browser-notify")
    expect(button).to_have_text("Включить уведомления в браузере")
    button.click()
    expect(button).to_have_text("Выключить уведомления в браузере")
    assert page.evaluate("localStorage.getItem('otklik.browserNotify')") == "1"
    page.get_by_test_id("telegram-start").click()
    link = page.get_by_test_id("telegram-link")
    expect(link).to_have_attribute(
        "href", __import__("re").compile(r"^https://t\.me/otklik_demo_bot\?start=[\w-]{8,}$")
    )
    _no_horizontal_scroll(page)
    shot(page, f"queue-14-channels-{size}")
    admin = people.page("gz-admin", viewport=SIZES[size])
    admin.goto("/notifications/status/")
    expect(admin.get_by_test_id("delivery-failures")).to_contain_text("сервер не отвечает")
    _no_horizontal_scroll(admin)
    shot(admin, f"queue-15-delivery-status-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_russian_404_with_debug_on(people: Any, shot: Any, size: str, settings: Any) -> None:
    from playwright.sync_api import expect

    from otklik.cases import actions

    settings.DEBUG = True
    org = make_org()
    message = make_message(org, "Школьный автобус не пришёл", external_id="2001")
    curator = org.actor("curator")
    case = actions.case_detect(message=message, actor=curator)
    actions.case_route(case=case, actor=curator, targets=[actions.RouteTarget(department_id=org.depts["edu"].pk)])
    page = people.page("gz-zhkh", viewport=SIZES[size])
    response = page.goto(f"/cases/{case.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Не найдено")
    expect(page.locator("body")).not_to_contain_text("Page not found")
    expect(page.locator("body")).not_to_contain_text("Школьный автобус")
    shot(page, f"queue-16-404-debug-{size}")
    response = page.goto("/no/such/page/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Не найдено")
    expect(page.locator("body")).not_to_contain_text("URLconf")
    response = page.goto("/board/")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Нет доступа")
