"""Small helpers for reading untrusted JSON payloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_EMPTY: Mapping[str, Any] = {}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty (falsy) mapping."""
    return value if isinstance(value, Mapping) else _EMPTY
