"""Set-up that explains itself (issue 11 §6): typed forms per network in the web UI, «Проверить»
before saving shows what the network says, errors name the field, nothing to read is an error."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from otklik.inbox.models import Source
from otklik.sources.telegram.fake import FakeTelegram
from otklik.sources.vk.fake import FakeVk

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Any) -> Client:
    client = Client()
    client.force_login(org.users["admin"])
    return client


@pytest.fixture
def vk():
    with FakeVk(token="vk-t") as fake:
        fake.add_group(100001, "Администрация Газимуро-Заводского округа", "gazzavod_adm")
        yield fake


VK_FORM = {
    "name": "ВК: администрация",
    "enabled": "on",
    "poll_interval": "300",
    "token": "vk-t",
    "group_ids": "https://vk.com/gazzavod_adm",
    "keywords": "",
    "window_days": "30",
    "publish_as_group": "on",
}


def test_check_shows_the_community_found_and_saves_nothing(admin, vk):
    response = admin.post("/sources/new/vk/", {**VK_FORM, "base_url": vk.url + "/method", "action": "check"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Администрация Газимуро-Заводского округа" in page and "Доступ есть" in page
    assert not Source.objects.filter(kind="vk").exists()


def test_save_resolves_the_short_name_to_the_id(admin, vk):
    response = admin.post("/sources/new/vk/", {**VK_FORM, "base_url": vk.url + "/method", "action": "save"})
    assert response.status_code == 302
    source = Source.objects.get(kind="vk")
    assert source.config["group_ids"] == [100001] and source.token == "vk-t" and source.status == "never"
    # The token is never shown again; leaving it blank keeps it.
    page = admin.get(f"/sources/{source.pk}/edit/").content.decode()
    assert "vk-t" not in page
    admin.post(
        f"/sources/{source.pk}/edit/",
        {**VK_FORM, "token": "", "name": "ВК", "base_url": vk.url + "/method", "action": "save"},
    )
    source.refresh_from_db()
    assert source.token == "vk-t" and source.name == "ВК"


def test_nothing_to_read_is_refused_with_the_field_named(admin):
    response = admin.post("/sources/new/vk/", {**VK_FORM, "group_ids": "", "action": "save"})
    assert response.status_code == 400
    assert "Нечего читать" in response.content.decode()
    assert not Source.objects.exists()


def test_an_invalid_value_names_its_field(admin):
    response = admin.post("/sources/new/telegram/", {**VK_FORM, "chat_ids": "чат школы", "action": "check"})
    assert response.status_code == 400 and "не идентификатор чата" in response.content.decode()


def test_a_wrong_api_address_says_so_and_is_not_saved_unless_asked(admin, vk):
    with FakeTelegram(token="x") as tg:
        data = {**VK_FORM, "base_url": tg.url, "action": "save"}
        page = admin.post("/sources/new/vk/", data).content.decode()
        assert "проверьте адрес API" in page and not Source.objects.exists()
        admin.post("/sources/new/vk/", {**data, "save_anyway": "1"})
    source = Source.objects.get()
    assert source.status == Source.Status.FAILING and "адрес API" in source.last_error


def test_telegram_check_shows_the_bot_and_warns_about_privacy_mode(admin):
    with FakeTelegram(token="1:t") as tg:
        tg.add_chat(-1001, "Чат жителей")
        tg.reads_all = False
        data = {
            "name": "Telegram",
            "enabled": "on",
            "poll_interval": "60",
            "token": "1:t",
            "chat_ids": "-1001",
            "base_url": tg.url,
            "action": "check",
        }
        page = admin.post("/sources/new/telegram/", data).content.decode()
    assert "@otklik_bot" in page and "режим приватности" in page and "администратором" in page


def test_only_the_system_administrator_sets_sources_up(org, admin):
    curator = Client()
    curator.force_login(org.users["curator"])
    assert curator.get("/sources/new/vk/").status_code == 403
    assert admin.get("/sources/new/max/").status_code == 200
    assert admin.get("/sources/new/nope/").status_code == 404
    page = admin.get("/sources/").content.decode()
    assert "/sources/new/max/" in page and "Добавить источник" in page
