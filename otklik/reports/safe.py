"""Text from outside made safe for every file we hand over (XLSX, DOCX, PDF, CSV, JSON).

Citizens' text reaches the reports through case summaries, and curators' or imported reference
data through topic, place and department names. Two things can go wrong with it:

* **control characters** (ESC, NUL, …) are not allowed in XML: openpyxl and python-docx refuse
  them, and one such message used to make every XLSX/DOCX download fail and the monthly dispatch
  retry every hour. They are removed (a tab or line break becomes a space where a cell is one line);
* **formula injection**: a spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return (``=HYPERLINK(...)``). In XLSX such text is written as a typed string
  with Excel's quote prefix (shown as typed, never evaluated); in CSV, DOCX and PDF — where a
  reader may paste it into a spreadsheet — it gets a leading apostrophe, the OWASP remedy.

Very long text is cut (with «…») to what the format can hold: XLSX cells hold 32,767 characters.
Pure functions, no Django.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls except tab/LF/CR, DEL, C1 controls, lone surrogates, and the two non-characters
#: XML 1.0 forbids.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_000
ELLIPSIS = "…"


def clean(text: Any, *, limit: int | None = None, one_line: bool = False) -> str:
    """Text without control characters, at most ``limit`` characters long (with «…»)."""
    value = _CONTROL.sub("", str(text))
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if one_line:
        value = _LINE_BREAKS.sub(" ", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return value


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def neutralize(text: Any, *, limit: int | None = None, one_line: bool = False) -> str:
    """Clean text that a spreadsheet can never evaluate: an apostrophe before a formula start.

    The check runs on the raw text (a leading tab or CR is itself a trigger), so cleaning cannot
    turn a harmless value into a formula or hide one."""
    raw = str(text)
    value = clean(raw, limit=limit, one_line=one_line)
    if is_formula_like(raw) or is_formula_like(value):
        value = "'" + value.lstrip("\t\r\n")
    return value


def cell_text(value: Any, *, limit: int | None = None) -> Any:
    """A table cell for CSV/DOCX/PDF: strings neutralised, numbers and dates as they are."""
    return neutralize(value, limit=limit, one_line=True) if isinstance(value, str) else value
