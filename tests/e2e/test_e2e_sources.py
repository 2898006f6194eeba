"""In a real browser: the administrator sets a VK source up (by its short name, «Проверить» shows
the community before saving), the list shows a bot's warning, and the curator sees a comment's
post and its edit with the difference. Screenshots at 1366×768 and 390×844."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import make_org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_administrator_checks_then_saves_a_vk_source(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.inbox.models import Source
    from otklik.sources.vk.fake import FakeVk

    org = make_org()
    Source.objects.create(
        administration=org.adm,
        name="Telegram: чат жителей",
        kind=Source.Kind.TELEGRAM,
        network="telegram",
        token="1:t",
        status=Source.Status.OK,
        warning="Опрос не выполнялся 30 ч — дольше, чем сеть хранит обновления (24 ч): сообщения за это время "
        "могли не дойти. Просмотрите чаты вручную; предупреждение снимается проверкой.",
    )
    with FakeVk(token="vk-token") as vk:
        vk.add_group(100001, "Администрация Газимуро-Заводского округа", "gazzavod_adm")
        page = people.page("gz-admin", viewport=SIZES[size])
        page.goto("/sources/")
        expect(page.get_by_test_id("source-warning")).to_contain_text("24 ч")
        shot(page, f"sources-list-{size}")
        page.get_by_role("link", name="ВКонтакте (сообщества, поиск)").click()
        page.fill("input[name=name]", "ВК: администрация")
        page.fill("input[name=token]", "vk-token")
        page.fill("textarea[name=group_ids]", "https://vk.com/gazzavod_adm")
        page.fill("input[name=base_url]", vk.url + "/method")
        shot(page, f"sources-vk-form-{size}")
        page.get_by_role("button", name="Проверить").click()
        expect(page.get_by_test_id("check-report")).to_contain_text("Администрация Газимуро-Заводского округа")
        shot(page, f"sources-vk-checked-{size}")
        expect(page.locator("input[name=token]")).to_have_value("vk-token")  # kept for «Сохранить»
        page.get_by_role("button", name="Сохранить").click()
        expect(page.get_by_test_id("sources")).to_contain_text("ВК: администрация")
    assert Source.objects.get(kind="vk").config["group_ids"] == [100001]


@pytest.mark.parametrize("size", list(SIZES))
def test_curator_sees_the_post_and_the_edit_of_a_comment(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.domain.messages import IncomingMessage, parent_context
    from otklik.inbox.actions import message_ingest_batch
    from otklik.inbox.models import Message, Source

    org = make_org()
    source = Source.objects.create(administration=org.adm, name="ВК", kind=Source.Kind.VK, network="vk", token="t")
    post = parent_context(
        "post",
        "wall-100001_7",
        "Уважаемые жители! С 1 декабря меняется график вывоза ТКО.",
        "https://vk.com/wall-100001_7",
        "Администрация округа",
    )
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    first = IncomingMessage(
        network="vk",
        external_id="wall-100001_7_c3",
        text="На улице Журавлёва мусор не вывозили неделю.",
        author_name="Ирина Колесникова",
        reply_to="wall-100001_7",
        context=post,
    )
    message_ingest_batch(source=source, items=[first], now=now)
    edit = IncomingMessage(
        network="vk",
        external_id="wall-100001_7_c3",
        text="На улице Журавлёва мусор не вывозили две недели, контейнеры переполнены.",
        change="edited",
        changed_at=now + dt.timedelta(minutes=20),
    )
    message_ingest_batch(source=source, items=[edit], now=now + dt.timedelta(minutes=20))
    message = Message.objects.get(source=source)
    page = people.page("gz-curator", viewport=SIZES[size])
    page.goto(f"/inbox/{message.pk}/")
    expect(page.get_by_test_id("message-context")).to_contain_text("график вывоза ТКО")
    expect(page.get_by_test_id("message-edited")).to_be_visible()
    expect(page.locator(".msg-history ins")).to_contain_text("две недели")
    shot(page, f"message-context-{size}")
