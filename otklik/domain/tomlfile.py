"""Reading the domain's TOML files (calendar, regulation) with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_text(path: str | Path, *, what: str, error: type[ValueError]) -> str:
    """The UTF-8 text of ``path``; ``what`` («файл календаря») names it in the ``error`` raised."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} не найден") from None
    except OSError as exc:
        raise error(f"{path}: не удалось прочитать {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} не в кодировке UTF-8") from None


def parse(text: str, *, source: str, error: type[ValueError]) -> dict[str, Any]:
    """TOML ``text`` as a dict; a syntax error names ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: синтаксическая ошибка TOML: {exc}") from None
