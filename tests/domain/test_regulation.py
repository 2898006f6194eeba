"""The regulation file: the shipped defaults of REGULATION.md and strict validation of any file."""

from __future__ import annotations

from pathlib import Path

import pytest

from otklik.domain.regulation import (
    DEFAULT_REGULATION_PATH,
    LIMIT_KEYS,
    Limit,
    Regulation,
    RegulationError,
    Unit,
)

DEFAULT_TEXT = DEFAULT_REGULATION_PATH.read_text(encoding="utf-8")

EXPECTED = {
    # key: (value, unit, runs_from, point) — REGULATION.md, "Time limits"
    "route": (30, Unit.WORKING_MINUTES, "detection", "П.8"),
    "return": (30, Unit.WORKING_MINUTES, "department_receipt", "П.9"),
    "answer": (9, Unit.WORKING_HOURS, "detection", "П.10"),
    "draft_lead": (4, Unit.WORKING_HOURS, "answer_deadline", "П.11"),
    "review": (30, Unit.WORKING_MINUTES, "draft_receipt", "П.12"),
    "rework": (1, Unit.WORKING_HOURS, "rework_return", "П.13"),
    "publish": (30, Unit.WORKING_MINUTES, "approval", "П.14"),
    "final_after_interim": (7, Unit.WORKING_DAYS, "interim_sent", "П.15"),
    "contribution": (2, Unit.WORKING_HOURS, "department_receipt", "П.16"),
}


def test_default_regulation_holds_every_limit_of_the_regulation() -> None:
    reg = Regulation.default()
    assert tuple(reg.limits) == LIMIT_KEYS
    for key, (value, unit, runs_from, point) in EXPECTED.items():
        limit = reg.limit(key)
        assert (limit.key, limit.value, limit.unit, limit.runs_from, limit.point) == (
            key,
            value,
            unit,
            runs_from,
            point,
        )
        assert limit.title and any("а" <= ch <= "я" for ch in limit.title.lower())
    assert "352" in reg.name
    assert Regulation.default() is reg  # cached


def test_only_the_draft_lead_runs_backwards() -> None:
    reg = Regulation.default()
    assert [k for k in LIMIT_KEYS if reg.limit(k).is_backward] == ["draft_lead"]


def test_limit_description_is_russian() -> None:
    reg = Regulation.default()
    assert reg.limit("answer").describe() == "П.10: 9 рабочих часов"
    assert reg.limit("rework").describe() == "П.13: 1 рабочий час"
    assert reg.limit("contribution").describe() == "П.16: 2 рабочих часа"
    assert reg.limit("final_after_interim").describe() == "П.15: 7 рабочих дней"


def test_unknown_limit_key_names_the_key() -> None:
    with pytest.raises(RegulationError, match="«answr»"):
        Regulation.default().limit("answr")


def test_a_file_can_change_the_numbers(tmp_path: Path) -> None:
    path = tmp_path / "faster.toml"
    path.write_text(DEFAULT_TEXT.replace("value = 9\n", "value = 6\n"), encoding="utf-8")
    reg = Regulation.load(path)
    assert reg.limit("answer").value == 6
    assert reg.limit("answer") == Limit("answer", 6, Unit.WORKING_HOURS, "detection", "П.10", reg.limit("answer").title)


def _without_limit(key: str) -> str:
    head, sep, tail = DEFAULT_TEXT.partition(f"[limits.{key}]\n")
    assert sep
    _, nxt, rest = tail.partition("\n[")
    return head + (nxt.lstrip("\n") + rest if nxt else "")


BROKEN = [
    (_without_limit("review"), "limits.review"),
    (DEFAULT_TEXT + '\n[limits.coffee]\nvalue = 5\nunit = "working_minutes"\n', "limits.coffee"),
    (DEFAULT_TEXT.replace("value = 9\n", "value = 0\n"), "limits.answer.value"),
    (DEFAULT_TEXT.replace("value = 9\n", "value = -9\n"), "limits.answer.value"),
    (DEFAULT_TEXT.replace("value = 9\n", "value = 9.5\n"), "limits.answer.value"),
    (DEFAULT_TEXT.replace("value = 9\n", 'value = "9"\n'), "limits.answer.value"),
    (DEFAULT_TEXT.replace("value = 9\n", "value = true\n"), "limits.answer.value"),
    (
        DEFAULT_TEXT.replace('value = 7\nunit = "working_days"', 'value = 7\nunit = "weeks"'),
        "limits.final_after_interim.unit",
    ),
    (DEFAULT_TEXT.replace('runs_from = "approval"', 'runs_from = "sunrise"'), "limits.publish.runs_from"),
    (
        DEFAULT_TEXT.replace('point = "П.12"\n', 'point = "П.12"\ncolour = "red"\n'),
        "limits.review: неизвестные поля: colour",
    ),
    (DEFAULT_TEXT.replace('point = "П.13"\n', ""), "limits.rework: не заданы поля: point"),
    (DEFAULT_TEXT.replace('point = "П.14"\n', 'point = ""\n'), "limits.publish.point"),
    ("version = 2\n" + DEFAULT_TEXT, "version"),
    (DEFAULT_TEXT.replace("name = ", "#name = "), "name"),
    ('name = "x"\n', "[limits]"),
    (DEFAULT_TEXT.replace("[limits.route]", "[limits.route"), "синтаксическая ошибка TOML"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN, ids=[m for _, m in BROKEN])
def test_broken_regulation_is_reported_with_file_key_and_problem(text: str, message: str) -> None:
    with pytest.raises(RegulationError) as info:
        Regulation.loads(text, source="reg-352.toml")
    assert str(info.value).startswith("reg-352.toml")
    assert message in str(info.value)


def test_unreadable_regulation_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(RegulationError, match=r"missing\.toml"):
        Regulation.load(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("name = 'Распоряжение'".encode("cp1251"))
    with pytest.raises(RegulationError, match=r"latin1\.toml"):
        Regulation.load(bad)


def test_regulation_error_is_a_value_error() -> None:
    assert issubclass(RegulationError, ValueError)


def test_domain_modules_import_no_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import otklik.domain.calendar, otklik.domain.regulation, otklik.domain.calendar.production; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
