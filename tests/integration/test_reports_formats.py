"""DOCX, XLSX and PDF open and carry the hand-checked figures; the command; the page; the dispatch."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.conftest import chita
from tests.integration.pdftext import pdf_text
from tests.integration.reports_seed import REPORT_NOW, seed_may_2026

pytestmark = pytest.mark.django_db


@pytest.fixture
def may_report(org):  # type: ignore[no-untyped-def]
    from otklik.reports.queries import build_monthly_report

    seed_may_2026(org)
    return build_monthly_report(org.adm, dt.date(2026, 5, 1), dt.date(2026, 5, 31), now=REPORT_NOW)


def test_docx_is_an_official_document_with_the_figures(may_report) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    from otklik.reports.docx import render_docx

    doc = Document(io.BytesIO(render_docx(may_report)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "СПРАВКА" in text and "за май 2026 г." in text and "Куратор" in text
    dept_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Подразделение")
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in dept_table.rows[1:]}
    assert rows["Отдел ЖКХ, строительства и транспорта"][1:9] == ["3", "2", "1", "1", "1", "33,3", "7,83", "10,37"]
    assert rows["Всего"][1:5] == ["4", "3", "2", "1"]
    assert len(doc.inline_shapes) == 2  # the charts
    assert doc.paragraphs[0].runs[0].font.name == "Times New Roman"


def test_xlsx_holds_the_numbers(may_report) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from otklik.reports.xlsx import render_xlsx

    wb = load_workbook(io.BytesIO(render_xlsx(may_report)))
    assert wb.sheetnames[:3] == ["Сводка", "Подразделения", "Этапы"]
    rows = {r[0]: r for r in wb["Подразделения"].iter_rows(min_row=3, values_only=True)}
    assert rows["Отдел ЖКХ, строительства и транспорта"][1:9] == (3, 2, 1, 1, 1, 33.3, 7.83, 10.37)
    assert rows["Отдел дорожного хозяйства"][11] == 1  # interim answers
    summary = {r[0]: r[1] for r in wb["Сводка"].iter_rows(min_row=3, values_only=True)}
    assert summary["Дано ответов (п. 10)"] == 3
    overdue = list(wb["Просрочки"].iter_rows(min_row=3, values_only=True))
    assert [r[5] for r in overdue] == [23.33, 3, 1.25]


def test_pdf_opens_and_contains_the_figures(may_report) -> None:  # type: ignore[no-untyped-def]
    from otklik.reports.pdf import render_pdf

    data = render_pdf(may_report)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "СПРАВКА" in text and "май 2026" in text
    assert "Отдел ЖКХ, строительства и транспорта" in text
    assert "7,83" in text and "10,37" in text and "23,33" in text


def test_command_writes_all_formats_even_for_an_empty_month(org, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from openpyxl import load_workbook

    out = io.StringIO()
    call_command("report", "monthly", "--month", "2026-01", "--format", "docx,xlsx,pdf", "--out", str(tmp_path),
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["otklik-gz-2026-01.docx", "otklik-gz-2026-01.pdf", "otklik-gz-2026-01.xlsx"]
    doc = Document(str(tmp_path / "otklik-gz-2026-01.docx"))
    assert any("не поступало" in p.text for p in doc.paragraphs)
    wb = load_workbook(tmp_path / "otklik-gz-2026-01.xlsx")
    assert {r[0]: r[1] for r in wb["Сводка"].iter_rows(min_row=3, values_only=True)}["Дано ответов (п. 10)"] == 0
    assert (tmp_path / "otklik-gz-2026-01.pdf").read_bytes().startswith(b"%PDF")


def test_command_any_period_and_errors(org, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    call_command("report", "monthly", "--from", "2026-05-04", "--to", "2026-05-08", "--format", "xlsx",
                 "--out", str(tmp_path), "--administration", "gz", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["otklik-gz-2026-05-04_2026-05-08.xlsx"]
    with pytest.raises(CommandError, match="Неизвестный формат"):
        call_command("report", "monthly", "--month", "2026-05", "--format", "odt", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="ГГГГ-ММ"):
        call_command("report", "monthly", "--month", "май", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="не найдена"):
        call_command("report", "monthly", "--month", "2026-05", "--administration", "nope", "--out", str(tmp_path))


def test_report_page_is_for_head_responsible_and_curators_only(org, client) -> None:  # type: ignore[no-untyped-def]
    seed_may_2026(org)
    for name in ("zhkh", "zhkh_head"):
        client.force_login(org.users[name])
        assert client.get("/reports/?month=2026-05").status_code == 403
        assert client.get("/reports/download/pdf/?month=2026-05").status_code == 403
    client.force_login(org.users["head"])
    page = client.get("/reports/?month=2026-05")
    assert page.status_code == 200
    html = page.content.decode()
    assert "май 2026 г." in html and "7,83" in html and "Уведомить о недостатках" in html
    response = client.get("/reports/download/xlsx/?month=2026-05")
    assert response.status_code == 200
    assert "otklik-gz-2026-05.xlsx" in response["Content-Disposition"]
    client.force_login(org.users["curator"])
    response = client.get("/reports/download/docx/?from=2026-05-04&to=2026-05-08")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client.get("/reports/?month=bad").status_code == 400


def test_summary_is_sent_once_on_the_first_working_day(
    org,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,
) -> None:
    from otklik.notify.models import Notification
    from otklik.reports.models import ReportDispatch
    from otklik.reports.services import first_working_day, monthly_dispatch

    settings.MEDIA_ROOT = str(tmp_path)
    org.users["head"].email = "head@example.ru"
    org.users["head"].save()
    seed_may_2026(org)
    calendar = org.adm.calendar
    assert first_working_day(calendar, 2026, 6) == dt.date(2026, 6, 1)
    assert first_working_day(calendar, 2026, 1) == dt.date(2026, 1, 12)  # after the New Year holidays
    assert monthly_dispatch(chita(2026, 6, 1, 8, 30)) == []  # the working day has not begun
    assert monthly_dispatch(chita(2026, 5, 31, 12)) == []
    with django_capture_on_commit_callbacks(execute=True):
        sent = monthly_dispatch(chita(2026, 6, 1, 9, 5))
    assert len(sent) == 1
    dispatch = ReportDispatch.objects.get()
    assert (dispatch.period_start, dispatch.period_end) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert len(dispatch.files) == 3
    got = set(Notification.objects.filter(kind="report").values_list("recipient__username", flat=True))
    assert got == {"gz-head", "gz-curator"}
    assert len(mail.outbox) == 1  # only the Head has an e-mail address
    assert sorted(a[0] for a in mail.outbox[0].attachments) == [
        "otklik-gz-2026-05.docx", "otklik-gz-2026-05.pdf", "otklik-gz-2026-05.xlsx",
    ]  # fmt: skip
    assert monthly_dispatch(chita(2026, 6, 1, 15)) == []  # once
    assert ReportDispatch.objects.count() == 1
