"""Who brought a message in (issue 15 §5): the person (and token) behind an API call, a file import
from the UI or the command line, a manual entry — recorded on the message and shown on its screen.
A connector's message records nobody."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from otklik.inbox.actions import source_for
from otklik.inbox.models import Message, Source
from otklik.organization.tokens import api_token_create

pytestmark = pytest.mark.django_db

CSV = "id;Текст\n1;На ул. Ленина не горят фонари\n2;Нет воды в микрорайоне Северный\n"
MAPPING = {"external_id": "id", "text": "Текст"}


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _screen(org: Any, message: Message) -> str:
    client = Client()
    client.force_login(org.users["curator"])
    response = client.get(f"/inbox/{message.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_file_imported_in_the_ui_records_the_curator(org: Any, csv_file: Path) -> None:
    client = Client()
    client.force_login(org.users["curator"])
    with csv_file.open("rb") as handle:
        page = client.post("/sources/import/", {"step": "upload", "file": handle, "network": "vk"})
    data = {"token": page.context["token"], **MAPPING}
    assert client.post("/sources/import/", {**data, "step": "import"}).context["report"].created == 2
    messages = list(Message.objects.filter(administration=org.adm))
    assert {(m.brought_via, m.brought_by_id, m.brought_by_token_id) for m in messages} == {
        (Message.BroughtVia.FILE, org.users["curator"].pk, None)
    }
    html = _screen(org, messages[0])
    assert 'data-testid="message-provenance"' in html
    assert "импорт файла" in html and org.users["curator"].get_full_name() in html


def test_the_import_command_records_the_person_named_or_the_file_alone(org: Any, csv_file: Path) -> None:
    source = source_for(org.adm, Source.Kind.FILE, network="other")
    args = ["sources", "import", str(csv_file), "--source", str(source.pk), "--mapping", json.dumps(MAPPING)]
    call_command(*args, "--user", org.users["responsible"].get_username(), stdout=StringIO())
    assert set(Message.objects.values_list("brought_via", "brought_by_id")) == {
        (Message.BroughtVia.FILE, org.users["responsible"].pk)
    }
    other = csv_file.with_name("second.csv")
    other.write_text("id;Текст\n3;Упало дерево\n", encoding="utf-8")
    call_command("sources", "import", str(other), "--source", str(source.pk), "--mapping", json.dumps(MAPPING))
    third = Message.objects.get(external_id="3")
    assert (third.brought_via, third.brought_by_id) == (Message.BroughtVia.FILE, None)
    assert "импорт файла" in _screen(org, third)
    with pytest.raises(Exception, match="не найден"):
        call_command(*args, "--user", "nobody", stdout=StringIO())


def test_manual_entry_records_the_curator(org: Any) -> None:
    client = Client()
    client.force_login(org.users["curator"])
    response = client.post("/inbox/new/", {"network": "messenger", "text": "Позвонила жительница: нет света"})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.brought_via, message.brought_by_id) == (Message.BroughtVia.MANUAL, org.users["curator"].pk)
    assert "ручной ввод" in _screen(org, message)


@pytest.mark.urls("config.urls")
def test_the_message_screen_names_the_token_of_an_api_message(org: Any) -> None:
    raw = api_token_create(user=org.users["curator"], name="Мониторинг «Медиалогия»")
    response = Client().post(
        "/api/messages/",
        data={"messages": [{"external_id": "m-1", "text": "Течёт крыша"}]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    html = _screen(org, message)
    assert "через API" in html and "Мониторинг «Медиалогия»" in html.replace("&laquo;", "«").replace("&raquo;", "»")
    assert f"otk_{message.brought_by_token.prefix}" in html
    assert raw not in html  # the token itself is never shown again
