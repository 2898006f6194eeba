"""Read the text back from an fpdf2 PDF (there is no PDF reader among the dependencies): inflate
the streams, take the literal strings shown by ``Tj``, and map their 2-byte glyph codes through
the ToUnicode CMaps."""

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


def pdf_text(data: bytes) -> str:
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            streams.append(match.group(1))
    cmaps: list[dict[int, str]] = []
    for s in streams:
        if b"beginbfchar" in s:
            cmaps.append(
                {
                    int(src, 16): bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
                    for src, dst in re.findall(
                        rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", s.split(b"endcodespacerange")[-1]
                    )
                }
            )
    lines = []
    for s in streams:
        if b" Tj" not in s:  # images and fonts
            continue
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", s, re.S):
            codes = _literal(raw)
            glyphs = [int.from_bytes(codes[i : i + 2], "big") for i in range(0, len(codes) - 1, 2)]
            # each font (regular, bold) is subset with its own codes: keep every full decoding
            for cmap in cmaps:
                if all(g in cmap for g in glyphs):
                    lines.append("".join(cmap[g] for g in glyphs))
    return "\n".join(lines)
