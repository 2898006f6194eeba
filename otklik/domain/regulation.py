"""The regulation as data: every time limit of Order No. 352 (П.8–16), loaded from a TOML file.

Pure Python, no Django. No code names a number: a limit's value, unit and anchor come only from a
regulation file (the shipped default is ``otklik/domain/data/regulation-default.toml``; any
administration may replace it). Loading validates the file strictly — every required key present,
no unknown keys, positive integer values, known units and anchors — and every error names the file,
the key and the problem, in Russian, because the administrator reads it.

A limit's ``runs_from`` names the event its clock starts from. One limit runs backwards:
``draft_lead`` (П.11) is counted back from the ``answer`` deadline (``runs_from =
"answer_deadline"``); :attr:`Limit.is_backward` says so and the calendar subtracts it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from otklik.domain import tomlfile

__all__ = [
    "BACKWARD_ANCHORS",
    "DEFAULT_REGULATION_PATH",
    "LIMIT_KEYS",
    "RUNS_FROM",
    "Limit",
    "Regulation",
    "RegulationError",
    "Unit",
]

DEFAULT_REGULATION_PATH = Path(__file__).parent / "data" / "regulation-default.toml"


class Unit(StrEnum):
    WORKING_MINUTES = "working_minutes"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_MINUTES = "calendar_minutes"
    CALENDAR_HOURS = "calendar_hours"
    CALENDAR_DAYS = "calendar_days"


#: The limits of REGULATION.md, in the order of the points (П.8, 9, 10, 11, 12, 13, 14, 15, 16).
LIMIT_KEYS: tuple[str, ...] = (
    "route",
    "return",
    "answer",
    "draft_lead",
    "review",
    "rework",
    "publish",
    "final_after_interim",
    "contribution",
)

#: Events a limit's clock may run from (Russian descriptions for messages and screens).
RUNS_FROM: Mapping[str, str] = MappingProxyType(
    {
        "detection": "выявление сообщения куратором",
        "department_receipt": "поступление сообщения в подразделение",
        "answer_deadline": "срок подготовки и публикации ответа (отсчёт назад)",
        "draft_receipt": "поступление проекта ответа куратору",
        "rework_return": "возврат проекта на доработку",
        "approval": "согласование ответа куратором",
        "interim_sent": "день направления промежуточного ответа",
    }
)

#: Anchors from which a limit is counted backwards (the deadline precedes the anchor).
BACKWARD_ANCHORS: frozenset[str] = frozenset({"answer_deadline"})

_LIMIT_FIELDS = ("value", "unit", "runs_from", "point", "title")
_TOP_LEVEL = ("name", "limits")


class RegulationError(ValueError):
    """A regulation file is unreadable or invalid; the message names the file, key and problem."""


@dataclass(frozen=True)
class Limit:
    """One time limit of the regulation: ``value`` ``unit`` counted from ``runs_from``."""

    key: str
    value: int
    unit: Unit
    runs_from: str
    point: str
    title: str

    @property
    def is_backward(self) -> bool:
        """True when the deadline lies *before* the anchor (П.11: 4 hours before the answer)."""
        return self.runs_from in BACKWARD_ANCHORS

    def describe(self) -> str:
        """Russian one-liner for screens and reports, e.g. ``П.10: 9 рабочих часов``."""
        return f"{self.point}: {self.value} {_unit_words(self.unit, self.value)}"


@dataclass(frozen=True)
class Regulation:
    """A named set of limits, one per key of :data:`LIMIT_KEYS`."""

    name: str
    limits: Mapping[str, Limit]

    def limit(self, key: str) -> Limit:
        try:
            return self.limits[key]
        except KeyError:
            known = ", ".join(LIMIT_KEYS)
            raise RegulationError(f"{self.name}: неизвестный срок «{key}»; допустимые ключи: {known}") from None

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> Regulation:
        """Parse and validate regulation TOML ``text``; ``source`` names it in error messages."""
        return _parse(tomlfile.parse(text, source=source, error=RegulationError), source)

    @classmethod
    def load(cls, path: str | Path) -> Regulation:
        text = tomlfile.read_text(path, what="файл регламента", error=RegulationError)
        return cls.loads(text, source=str(path))

    @classmethod
    def default(cls) -> Regulation:
        """The shipped default regulation (Order No. 352), parsed once per process."""
        return _default_regulation()


@functools.cache
def _default_regulation() -> Regulation:
    return Regulation.load(DEFAULT_REGULATION_PATH)


def _parse(data: dict[str, Any], source: str) -> Regulation:
    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise RegulationError(
            f"{source}: неизвестные ключи верхнего уровня: {', '.join(unknown)}; допустимы: {', '.join(_TOP_LEVEL)}"
        )
    name = data.get("name", "")
    if not isinstance(name, str) or not name.strip():
        raise RegulationError(f"{source}: ключ name: нужно непустое название регламента")
    raw_limits = data.get("limits")
    if not isinstance(raw_limits, dict):
        raise RegulationError(f"{source}: нет таблицы [limits] со сроками регламента")
    unknown = sorted(set(raw_limits) - set(LIMIT_KEYS))
    if unknown:
        raise RegulationError(
            f"{source}: неизвестные сроки: {', '.join(f'limits.{k}' for k in unknown)}; "
            f"допустимые ключи: {', '.join(LIMIT_KEYS)}"
        )
    missing = [k for k in LIMIT_KEYS if k not in raw_limits]
    if missing:
        raise RegulationError(f"{source}: не заданы сроки: {', '.join(f'limits.{k}' for k in missing)}")
    limits = {key: _parse_limit(key, raw_limits[key], source) for key in LIMIT_KEYS}
    return Regulation(name=name.strip(), limits=MappingProxyType(limits))


def _parse_limit(key: str, raw: Any, source: str) -> Limit:
    where = f"{source}: limits.{key}"
    if not isinstance(raw, dict):
        raise RegulationError(f"{where}: ожидается таблица с полями {', '.join(_LIMIT_FIELDS)}")
    unknown = sorted(set(raw) - set(_LIMIT_FIELDS))
    if unknown:
        raise RegulationError(f"{where}: неизвестные поля: {', '.join(unknown)}; допустимы: {', '.join(_LIMIT_FIELDS)}")
    missing = [f for f in _LIMIT_FIELDS if f not in raw]
    if missing:
        raise RegulationError(f"{where}: не заданы поля: {', '.join(missing)}")
    value = raw["value"]
    # bool is an int subclass: `value = true` must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RegulationError(f"{where}.value: нужно положительное целое число, получено {value!r}")
    try:
        unit = Unit(raw["unit"])
    except ValueError:
        raise RegulationError(
            f"{where}.unit: неизвестная единица {raw['unit']!r}; допустимы: {', '.join(u.value for u in Unit)}"
        ) from None
    runs_from = raw["runs_from"]
    if runs_from not in RUNS_FROM:
        raise RegulationError(
            f"{where}.runs_from: неизвестное начало отсчёта {runs_from!r}; допустимы: {', '.join(RUNS_FROM)}"
        )
    texts = {}
    for field in ("point", "title"):
        text = raw[field]
        if not isinstance(text, str) or not text.strip():
            raise RegulationError(f"{where}.{field}: нужна непустая строка")
        texts[field] = text.strip()
    return Limit(
        key=key,
        value=value,
        unit=unit,
        runs_from=runs_from,
        point=texts["point"],
        title=texts["title"],
    )


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


_UNIT_WORDS: Mapping[Unit, tuple[str, str, str]] = MappingProxyType(
    {
        Unit.WORKING_MINUTES: ("рабочая минута", "рабочие минуты", "рабочих минут"),
        Unit.WORKING_HOURS: ("рабочий час", "рабочих часа", "рабочих часов"),
        Unit.WORKING_DAYS: ("рабочий день", "рабочих дня", "рабочих дней"),
        Unit.CALENDAR_MINUTES: ("минута", "минуты", "минут"),
        Unit.CALENDAR_HOURS: ("час", "часа", "часов"),
        Unit.CALENDAR_DAYS: ("календарный день", "календарных дня", "календарных дней"),
    }
)


def _unit_words(unit: Unit, n: int) -> str:
    return _plural(n, *_UNIT_WORDS[unit])
