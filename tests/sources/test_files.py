import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from otklik.domain.messages import IncomingMessage
from otklik.sources.errors import ConfigurationError
from otklik.sources.files import RowError, read_messages

MAPPING = {"external_id": "id", "text": "Текст", "published_at": "Дата", "author_name": "Автор"}


def collect(path, mapping=MAPPING, **kwargs):
    return list(read_messages(path, mapping=mapping, **kwargs))


def test_csv_with_semicolons_cp1251_and_russian_dates(tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "id;Текст;Дата;Автор\n"
        "1;Нет воды на Журавлёва;01.12.2024 10:30;Ирина\n"
        "2;;01.12.2024 11:00;Сергей\n"
        "3;Яма на дороге;2024-12-01T10:00:00+03:00;\n"
        "4;Фонари;31.02.2024 10:00;Ольга\n".encode("cp1251")
    )
    rows = collect(path)
    assert [n for n, _ in rows] == [2, 3, 4, 5]
    first = rows[0][1]
    assert isinstance(first, IncomingMessage)
    assert first.published_at == datetime(2024, 12, 1, 1, 30, tzinfo=UTC)  # Asia/Chita, UTC+9
    assert first.network == "file" and first.author_name == "Ирина"
    assert isinstance(rows[1][1], RowError) and "пустой текст" in rows[1][1].reason
    assert rows[2][1].published_at == datetime(2024, 12, 1, 7, 0, tzinfo=UTC)
    assert isinstance(rows[3][1], RowError) and "31.02.2024" in rows[3][1].reason


def test_naive_dates_use_the_given_time_zone(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("id,Текст,Дата,Автор\n1,x,01.12.2024 10:30,\n", encoding="utf-8")
    ((_, message),) = collect(path, tz="Europe/Moscow")
    assert message.published_at == datetime(2024, 12, 1, 7, 30, tzinfo=UTC)


def test_without_an_id_column_the_id_is_a_stable_row_hash(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("Текст,Дата\nНет воды,01.12.2024\nЯма,02.12.2024\n", encoding="utf-8")
    mapping = {"text": "Текст", "published_at": "Дата"}
    first = [m.external_id for _, m in collect(path, mapping)]
    second = [m.external_id for _, m in collect(path, mapping)]
    assert first == second and len(set(first)) == 2 and first[0].startswith("row-")


def test_missing_column_is_reported_per_row(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("id,text\n1,x\n", encoding="utf-8")
    ((_, error),) = collect(path)
    assert isinstance(error, RowError) and "Текст" in error.reason


def test_xlsx_read_only(tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "Текст", "Дата", "Автор"])
    sheet.append([10, "Мост прогнил", datetime(2024, 12, 1, 9, 0), "Виктор"])
    sheet.append([None, None, None, None])
    sheet.append([11, "Свет", "01.12.2024 12:00", None])
    path = tmp_path / "a.xlsx"
    book.save(path)
    rows = collect(path)
    assert [(n, m.external_id) for n, m in rows] == [(2, "10"), (4, "11")]
    assert rows[0][1].published_at == datetime(2024, 12, 1, 0, 0, tzinfo=UTC)


def test_jsonl_bad_lines_are_errors_good_lines_kept(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"id": "a", "Текст": "Первое", "Дата": "2024-12-01T10:00:00Z"}, ensure_ascii=False),
        "{broken",
        "[1, 2]",
        json.dumps({"id": "b", "Текст": "Второе", "Дата": None}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = collect(path, {"external_id": "id", "text": "Текст", "published_at": "Дата"})
    kinds = [(n, type(r).__name__) for n, r in rows]
    assert kinds == [(1, "IncomingMessage"), (2, "RowError"), (3, "RowError"), (4, "IncomingMessage")]


def test_mapping_must_name_the_text_and_known_fields(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="text"):
        collect(path, {"external_id": "a"})
    with pytest.raises(ConfigurationError, match="неизвестные"):
        collect(path, {"text": "a", "colour": "a"})


def test_unknown_format_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "a.pdf"
    path.write_text("x")
    with pytest.raises(ConfigurationError, match="CSV, XLSX и JSONL"):
        collect(path)
