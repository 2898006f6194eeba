"""Read the text back from an fpdf2 PDF (there is no PDF reader among the dependencies): walk the
page tree, inflate each page's content stream, follow the font selected by ``Tf`` and map the
2-byte glyph codes of each ``Tj`` string through that font's ToUnicode CMap."""

from __future__ import annotations

import re
import zlib

_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _literal(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            nxt = raw[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif 0x30 <= nxt <= 0x37:
                m = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
                assert m
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
            else:
                out.append(nxt)
                i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_OPS = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def _inflate(body: bytes) -> bytes:
    try:
        return zlib.decompress(body)
    except zlib.error:
        return body


def _stream(body: bytes) -> bytes:
    found = _STREAM.search(body)
    return _inflate(found.group(1)) if found else b""


def _cmap(stream: bytes) -> dict[int, str]:
    return {
        int(src, 16): bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for src, dst in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", stream.split(b"endcodespacerange")[-1])
    }


def _ref(body: bytes, key: bytes) -> int | None:
    found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
    return int(found.group(1)) if found else None


def _page_lines(objects: dict[int, bytes], page: bytes) -> list[str]:
    fonts: dict[bytes, dict[int, str]] = {}
    resources = _ref(page, b"Resources")
    font_dict = re.search(rb"/Font\s*<<(.*?)>>", objects.get(resources, b"") if resources else page, re.S)
    for name, ref in re.findall(rb"/(F\d+)\s+(\d+) 0 R", font_dict.group(1) if font_dict else b""):
        unicode_ref = _ref(objects[int(ref)], b"ToUnicode")
        fonts[name] = _cmap(_stream(objects[unicode_ref])) if unicode_ref else {}
    contents = _ref(page, b"Contents")
    lines, cmap = [], {}
    for font, raw in _OPS.findall(_stream(objects[contents]) if contents else b""):
        if font:
            cmap = fonts.get(font, {})
            continue
        codes = _literal(raw)
        glyphs = [int.from_bytes(codes[i : i + 2], "big") for i in range(0, len(codes) - 1, 2)]
        lines.append("".join(cmap.get(g, "\ufffd") for g in glyphs))
    return lines


def pdf_pages(data: bytes) -> list[list[str]]:
    """The text lines of each page, in page order (``/Kids`` of the page tree)."""
    objects = {int(n): body for n, body in _OBJECT.findall(data)}
    tree = next(body for body in objects.values() if re.search(rb"/Type\s*/Pages\b", body))
    kids_list = re.search(rb"/Kids\s*\[(.*?)\]", tree, re.S)
    assert kids_list, "no page tree"
    return [_page_lines(objects, objects[int(n)]) for n in re.findall(rb"(\d+) 0 R", kids_list.group(1))]


def pdf_text(data: bytes) -> str:
    return "\n".join(line for page in pdf_pages(data) for line in page)
