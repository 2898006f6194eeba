"""File import: dry run with a per-row report, bad rows reported while good ones are kept,
re-import adds nothing, a crash mid-file and a re-run; the page and the command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message, Source
from otklik.sources import importing
from otklik.sources.errors import ConfigurationError
from otklik.sources.importing import import_file

pytestmark = pytest.mark.django_db

MAPPING = {"external_id": "id", "text": "Текст", "published_at": "Дата", "author_name": "Автор", "url": "Ссылка"}
CSV = """id;Текст;Дата;Автор;Ссылка
1;На ул. Ленина не горят фонари;01.12.2024 10:30;Иван;https://vk.com/wall-1_1
2;Нет воды в микрорайоне Северный;2024-12-01T11:00:00+09:00;Ольга;https://vk.com/wall-1_2
3;;01.12.2024 12:00;Пётр;
4;Яма на дороге в Широкую;32.13.2024;Сергей;
5;Школьный автобус не пришёл;02.12.2024;Анна;https://vk.com/wall-1_5
"""


@pytest.fixture
def source(org) -> Source:
    return inbox_actions.source_for(org.adm, Source.Kind.FILE, network="other")


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_dry_run_reports_each_row_and_writes_nothing(source, csv_file):
    report = import_file(source=source, path_or_file=csv_file, format="csv", mapping=MAPPING, dry_run=True)
    assert (report.total, report.new, report.created, report.duplicates, report.error_count) == (5, 3, 0, 0, 2)
    assert [(r.row, r.status) for r in report.rows] == [
        (2, "new"),
        (3, "new"),
        (4, "error"),
        (5, "error"),
        (6, "new"),
    ]
    assert report.errors[0] == (4, "пустой текст сообщения") and report.errors[1][0] == 5
    assert "32.13.2024" in report.errors[1][1]
    assert not Message.objects.filter(source=source).exists()


def test_import_keeps_good_rows_reports_bad_ones_and_reimport_adds_nothing(source, csv_file, org):
    report = import_file(source=source, path_or_file=csv_file, format="csv", mapping=MAPPING, tz="Asia/Chita")
    assert (report.created, report.error_count) == (3, 2) and [r for r, _ in report.errors] == [4, 5]
    first = Message.objects.get(source=source, external_id="1")
    assert first.published_at.isoformat() == "2024-12-01T01:30:00+00:00"  # 10:30 in Chita is 01:30 UTC
    assert first.author_name == "Иван" and first.url == "https://vk.com/wall-1_1" and first.network == "other"
    assert first.administration_id == org.adm.pk and first.raw["Автор"] == "Иван"

    again = import_file(source=source, path_or_file=csv_file, format="csv", mapping=MAPPING)
    assert (again.created, again.duplicates, again.error_count) == (0, 3, 2)
    dry = import_file(source=source, path_or_file=csv_file, format="csv", mapping=MAPPING, dry_run=True)
    assert dry.new == 0 and dry.duplicates == 3
    assert Message.objects.filter(source=source).count() == 3


def test_a_crash_mid_file_then_a_rerun(source, tmp_path, monkeypatch):
    path = tmp_path / "big.jsonl"
    path.write_text(
        "\n".join(json.dumps({"text": f"Сообщение {n}", "n": n}, ensure_ascii=False) for n in range(10)),
        encoding="utf-8",
    )
    real = importing.message_ingest_batch
    calls = []

    def crash_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("сбой")
        return real(**kwargs)

    monkeypatch.setattr(importing, "message_ingest_batch", crash_on_second)
    with pytest.raises(RuntimeError):
        import_file(source=source, path_or_file=path, mapping={"text": "text"}, batch_size=4)
    assert Message.objects.filter(source=source).count() == 4  # the first batch is committed

    monkeypatch.setattr(importing, "message_ingest_batch", real)
    report = import_file(source=source, path_or_file=path, mapping={"text": "text"}, batch_size=4)
    assert (report.created, report.duplicates) == (6, 4)  # ids are stable hashes of the rows
    assert Message.objects.filter(source=source).count() == 10


def test_xlsx_and_a_bad_mapping(source, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Текст", "Дата", "Сеть"])
    sheet.append(["Не вывозят мусор в Кактолге", "05.12.2024 09:00", "ok"])
    sheet.append([None, None, None])
    sheet.append(["Нет света на ул. Журавлёва", "bad date", "vk"])
    path = tmp_path / "monitoring.xlsx"
    book.save(path)
    mapping = {"text": "Текст", "published_at": "Дата", "network": "Сеть"}
    assert importing.read_header(path) == ["Текст", "Дата", "Сеть"]
    assert importing.guess_mapping(["Текст", "Дата", "Сеть"]) == mapping
    report = import_file(source=source, path_or_file=path, mapping=mapping)
    assert report.created == 1 and report.errors[0][0] == 4
    assert Message.objects.get(source=source).network == "ok"
    with pytest.raises(ConfigurationError):
        import_file(source=source, path_or_file=path, mapping={"author_name": "Текст"})


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_import_page_upload_check_then_import(org, csv_file):
    client = login(Client(), org.users["curator"])
    assert client.get("/sources/import/").status_code == 200
    with csv_file.open("rb") as handle:
        page = client.post("/sources/import/", {"step": "upload", "file": handle, "network": "vk"})
    assert page.status_code == 200
    token = page.context["token"]
    assert page.context["mapping"].initial["text"] == "Текст"  # prefilled from the header row
    data = {"token": token, **{k: v for k, v in MAPPING.items()}}

    checked = client.post("/sources/import/", {**data, "step": "check"})
    report = checked.context["report"]
    assert report.dry_run and report.new == 3 and report.error_count == 2
    assert "Проверка без записи" in checked.content.decode()
    assert not Message.objects.filter(administration=org.adm).exists()

    done = client.post("/sources/import/", {**data, "step": "import"})
    assert done.context["report"].created == 3
    assert Message.objects.filter(administration=org.adm, network="vk").count() == 3
    again = client.post("/sources/import/", {**data, "step": "import"})
    assert again.status_code == 400  # the stored file is gone after an import


def test_import_and_sources_pages_are_for_curators_only(org):
    client = login(Client(), org.users["zhkh"])
    assert client.get("/sources/import/").status_code == 403
    assert client.get("/sources/").status_code == 403
    assert login(Client(), org.users["responsible"]).get("/sources/").status_code == 200


def test_sources_page_highlights_failing_sources(org):
    Source.objects.create(
        administration=org.adm,
        name="ВК сломан",
        kind="vk",
        network="vk",
        status="failing",
        last_error="ключ доступа недействителен",
        failure_count=4,
    )
    Source.objects.create(administration=org.adm, name="Лента", kind="feed", network="feed", status="ok")
    page = login(Client(), org.users["curator"]).get("/sources/")
    html = page.content.decode()
    assert page.status_code == 200 and "ключ доступа недействителен" in html
    assert 'class="failing"' in html and "Проверить" in html


def test_sources_check_button(org):
    source = Source.objects.create(
        administration=org.adm,
        name="ВК",
        kind="vk",
        network="vk",
        token="t",
        base_url="http://127.0.0.1:9/method",
        config={"group_ids": [1]},
    )
    client = login(Client(), org.users["curator"])
    response = client.post(f"/sources/{source.pk}/check/", follow=True)
    assert response.status_code == 200 and "«ВК»:" in response.content.decode()


def test_import_command(source, csv_file):
    out = StringIO()
    call_command(
        "sources",
        "import",
        str(csv_file),
        "--source",
        str(source.pk),
        "--format",
        "csv",
        "--mapping",
        json.dumps(MAPPING, ensure_ascii=False),
        "--dry-run",
        stdout=out,
    )
    assert "будет добавлено: 3" in out.getvalue() and "строка 4: пустой текст сообщения" in out.getvalue()
    assert not Message.objects.filter(source=source).exists()
    out = StringIO()
    call_command(
        "sources", "import", str(csv_file), "--source", str(source.pk), "--mapping", json.dumps(MAPPING), stdout=out
    )
    assert "добавлено: 3" in out.getvalue() and Message.objects.filter(source=source).count() == 3
