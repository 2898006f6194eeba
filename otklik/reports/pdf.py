"""The monthly summary as PDF (fpdf2; DejaVu Sans shipped with matplotlib for Cyrillic, never
downloaded). A4 landscape so the department table fits. Takes the dataclass; never queries."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from . import tables as t
from .charts import all_charts
from .queries import MonthlyReport

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatters at INFO


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 8, f"{self.footer_text} — стр. {self.page_no()}", align="C")


def _table(pdf: FPDF, headers: list[str], rows: list[list[t.Cell]], *, size: float = 8, widths=None) -> None:  # type: ignore[no-untyped-def]
    pdf.set_font("DejaVu", size=size)
    head = FontFace(emphasis="BOLD", fill_color=(221, 231, 240))
    with pdf.table(col_widths=widths, headings_style=head, line_height=size * 0.55, text_align="CENTER") as table:
        table.row(headers)
        for values in rows:
            table.row([t.text(v) for v in values])
        if not rows:
            table.row(["Нет данных за период", *[""] * (len(headers) - 1)])
    pdf.ln(4)


def _heading(pdf: FPDF, text: str, size: float = 12) -> None:
    pdf.set_font("DejaVu", "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def render_pdf(report: MonthlyReport) -> bytes:
    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Справка за {report.label}")
    pdf.set_author("Отклик")
    pdf.set_lang("ru")
    pdf.footer_text = f"{report.administration}: справка за {report.label}"
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, "СПРАВКА", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        0,
        6,
        "о своевременности и качестве работы структурных подразделений с сообщениями из открытых "
        f"источников за {report.label} (п. 21 Регламента)\n{report.administration}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    _heading(pdf, "1. Общие показатели")
    _table(pdf, ["Показатель", "Значение"], [list(r) for r in t.summary_rows(report)], size=9, widths=(5, 1))
    _heading(pdf, "2. Своевременность по подразделениям")
    _table(pdf, t.DEPARTMENT_HEADERS, t.department_rows(report), size=6.5, widths=(4, *[1] * 13))
    _heading(pdf, "3. Соблюдение сроков по этапам")
    _table(pdf, t.STAGE_HEADERS, t.stage_rows(report), size=8, widths=(5, 1, 1, 1, 1, 1, 1))
    for name, rows in t.department_stage_rows(report):
        _heading(pdf, name, size=10)
        _table(pdf, t.STAGE_HEADERS, rows, size=8, widths=(5, 1, 1, 1, 1, 1, 1))
    _heading(pdf, "4. Динамика обращений")
    for what, items in (("Тематика", report.topics), ("Место", report.places), ("Сеть", report.networks)):
        _table(pdf, t.dynamics_headers(report, what), t.dynamics_rows(items), size=8, widths=(3, 1, 1, 1, 1))
    _heading(pdf, "5. Наиболее просроченные обращения")
    _table(pdf, t.OVERDUE_HEADERS, t.overdue_rows(report), size=7.5, widths=(1, 6, 3, 4, 2, 1.5, 3))
    for title, png in all_charts(report):
        pdf.add_page()
        _heading(pdf, title)
        pdf.image(io.BytesIO(png), w=200)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, t.NOTES, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
