"""П.5: the registry of official accounts, exported for the official website."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from otklik.organization.models import OfficialAccount

pytestmark = pytest.mark.django_db


def _accounts(org: Any) -> None:
    OfficialAccount.objects.create(
        department=org.depts["zhkh"], network="vk", name="ЖКХ округа", url="https://vk.com/gz_zhkh"
    )
    OfficialAccount.objects.create(
        department=org.depts["roads"], network="ok", name="Дороги округа", url="https://ok.ru/group/1"
    )
    OfficialAccount.objects.create(
        department=org.depts["roads"], network="telegram", name="Старый канал", url="https://t.me/old", is_active=False
    )


def test_the_registry_lists_active_accounts_by_department_publicly(org: Any) -> None:
    _accounts(org)
    page = Client().get(f"/o/{org.adm.slug}/accounts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "ЖКХ округа" in html and "https://vk.com/gz_zhkh" in html and "ВКонтакте" in html
    assert "Старый канал" not in html


def test_the_registry_exports_csv_and_json_for_the_website(org: Any) -> None:
    _accounts(org)
    response = Client().get(f"/o/{org.adm.slug}/accounts/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Подразделение", "Сеть", "Название", "Ссылка"]
    assert ["Отдел дорожного хозяйства", "Одноклассники", "Дороги округа", "https://ok.ru/group/1"] in rows
    assert len(rows) == 3
    data = Client().get(f"/o/{org.adm.slug}/accounts/", {"format": "json"}).json()
    assert {a["url"] for a in data["accounts"]} == {"https://vk.com/gz_zhkh", "https://ok.ru/group/1"}


def test_another_administrations_registry_does_not_show_ours(org: Any, other_org: Any) -> None:
    _accounts(org)
    html = Client().get(f"/o/{other_org.adm.slug}/accounts/").content.decode()
    assert "ЖКХ округа" not in html
    assert Client().get("/o/no-such-okrug/accounts/").status_code == 404
