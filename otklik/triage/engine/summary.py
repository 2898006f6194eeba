"""The message as one line for the case summary («Суть»): title and body joined with punctuation.

Feeds and forums send «title\\n\\nbody»; a one-line field (an ``<input>``) drops the line breaks, so
«…в микрорайоне Северный» + «Жители…» became «СеверныйЖители». Each line that does not end with
punctuation gets a full stop before the next one; spaces are collapsed; the result is cut at a word
boundary with «…».
"""

from __future__ import annotations

import re

SUMMARY_LIMIT = 300
_END = ".!?…:;,—-"
_SPACES = re.compile(r"\s+")


def summary_of(text: str, limit: int = SUMMARY_LIMIT) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    parts = []
    for n, line in enumerate(lines):
        bare = line.rstrip("»)\"'")
        if n < len(lines) - 1 and bare and bare[-1] not in _END:
            line += "."
        parts.append(line)
    out = " ".join(parts)
    if len(out) <= limit:
        return out
    cut = out[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—-") + "…"
