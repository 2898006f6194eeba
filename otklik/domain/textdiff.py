"""A word diff of two versions of an answer (П.12–13): what the curator changed, or what changed
in the reworked version. Pure, no Django; the template marks the pieces up (never as HTML)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Piece:
    op: str  # "same", "added", "removed"
    text: str


def word_diff(old: str, new: str) -> list[Piece]:
    """``old`` → ``new`` as pieces of unchanged, removed and added words (whitespace kept)."""
    a = _TOKENS.findall((old or "").replace("\r\n", "\n"))
    b = _TOKENS.findall((new or "").replace("\r\n", "\n"))
    pieces: list[Piece] = []

    def put(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1].op == op:
            pieces[-1] = Piece(op, pieces[-1].text + text)
        else:
            pieces.append(Piece(op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("same", a[i1:i2])
        else:
            put("removed", a[i1:i2])
            put("added", b[j1:j2])
    return pieces


def changed(pieces: list[Piece]) -> bool:
    return any(p.op != "same" for p in pieces)
