"""The ``deadline`` and ``calendar`` commands: files, the shipped defaults, and the
administration's own calendar and regulation from the database."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from otklik.organization.models import CalendarException

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------


def _call(name: str, *args: str) -> str:
    from django.core.management import call_command

    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--limit", "answer", "--from", "2026-12-04T15:30"), "2026-12-07T16:30:00+09:00"),
        (("--limit", "answer", "--from", "2026-12-04T06:30:00Z"), "2026-12-07T16:30:00+09:00"),
        (("--limit", "route", "--from", "2026-03-02T12:45:00+09:00"), "2026-03-02T14:15:00+09:00"),
        (("--limit", "draft_lead", "--from", "2026-03-02T18:00"), "2026-03-02T14:00:00+09:00"),
        (("--limit", "final_after_interim", "--from", "2026-04-24T15:00"), "2026-05-06T18:00:00+09:00"),
    ],
)
def test_deadline_command_prints_only_the_deadline(args: tuple[str, ...], expected: str) -> None:
    assert _call("deadline", *args) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--limit", "nope", "--from", "2026-03-02T10:00"), "nope"),
        (("--limit", "answer", "--from", "вчера"), "ISO 8601"),
        (("--limit", "answer", "--from", "2026-03-02T10:00", "--calendar", "/nonexistent/cal.toml"), "cal.toml"),
        (("--limit", "answer", "--from", "2026-03-02T10:00", "--regulation", "/nonexistent/reg.toml"), "reg.toml"),
    ],
)
def test_deadline_command_errors_exit_with_code_2(args: tuple[str, ...], message: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message) as info:
        _call("deadline", *args)
    assert info.value.returncode == 2


def test_deadline_command_reads_given_files(tmp_path: Path) -> None:
    from otklik.domain.regulation import DEFAULT_REGULATION_PATH

    reg = tmp_path / "reg.toml"
    text = DEFAULT_REGULATION_PATH.read_text(encoding="utf-8")
    reg.write_text(text.replace("value = 9\n", "value = 2\n"), encoding="utf-8")
    cal = tmp_path / "cal.toml"
    cal.write_text(
        '[[exceptions]]\ndate = 2026-03-03\nkind = "day_off"\n',
        encoding="utf-8",
    )
    out = _call(
        "deadline", "--limit", "answer", "--from", "2026-03-02T17:00", "--calendar", str(cal), "--regulation", str(reg)
    )
    assert out == "2026-03-04T10:00:00+09:00"


def test_calendar_command_prints_the_year_and_its_totals() -> None:
    out = _call("calendar", "--year", "2026")
    assert "Январь" in out and "Декабрь" in out and "Обозначения" in out
    assert "рабочих дней: 247 (из них сокращённых: 4)" in out
    assert "выходных и праздничных дней: 118" in out
    assert "рабочих часов: 1972" in out
    assert "[ 1]" in out and "( 9)" in out and " 30*" in out


def test_calendar_command_prints_2027_with_the_official_totals() -> None:
    out = _call("calendar", "--year", "2027")
    assert "рабочих дней: 247 (из них сокращённых: 4)" in out
    assert "рабочих часов: 1972" in out
    assert "Февраль: 19 дн., 151 ч" in out and "Ноябрь: 20 дн., 159 ч" in out
    assert " 20*" in out  # Saturday 20 February works, one hour shorter
    assert "внимание" not in out


def test_calendar_command_shows_a_year_without_data_as_an_estimate() -> None:
    out = _call("calendar", "--year", "2028")
    assert "внимание: производственный календарь на 2028 не загружен" in out
    assert "otklik calendar import" in out


def test_calendar_command_refuses_a_year_a_strict_calendar_lacks(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    strict = tmp_path / "strict.toml"
    strict.write_text("strict_years = true\n", encoding="utf-8")
    with pytest.raises(CommandError, match="2028") as info:
        _call("calendar", "--year", "2028", "--calendar", str(strict))
    assert info.value.returncode == 2


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-12-30T16:00+09:00", "2027-01-11T17:00:00+09:00"),  # the example
        ("2027-02-19T17:00", "2027-02-24T10:00:00+09:00"),  # 1 h Friday, 7 h Saturday 20 Feb, 1 h Wednesday
        ("2027-06-11T15:00", "2027-06-15T17:00:00+09:00"),  # 2 h until the 17:00 close of 11 Jun, 12–14 Jun off
    ],
)
def test_deadline_command_answers_in_2027_on_the_shipped_data(start: str, expected: str) -> None:
    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command("deadline", "--limit", "answer", "--from", start, stdout=out, stderr=err)
    assert out.getvalue().strip() == expected
    assert err.getvalue() == ""


def test_deadline_command_past_the_shipped_years_answers_with_a_warning() -> None:
    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command("deadline", "--limit", "answer", "--from", "2027-12-30T16:00", stdout=out, stderr=err)
    # 2 h on 30 Dec, 31 Dec off (decree), 1–9 Jan 2028 off by the package's holidays: 10 Jan.
    assert out.getvalue().strip() == "2028-01-10T17:00:00+09:00"
    assert "2028" in err.getvalue() and "приблизительный" in err.getvalue()


def test_deadline_command_uses_the_only_administrations_calendar(org: Any) -> None:
    # An extra day off of the administration moves the deadline past it.
    CalendarException.objects.create(administration=org.adm, date=dt.date(2026, 12, 8), kind="day_off")
    assert _call("deadline", "--limit", "answer", "--from", "2026-12-07T10:00") == "2026-12-09T11:00:00+09:00"
    # A file given on the command line wins over the database.
    assert _call(
        "deadline", "--limit", "answer", "--from", "2026-12-07T10:00", "--calendar", str(_plain_calendar())
    ) == ("2026-12-08T11:00:00+09:00")


def test_deadline_command_uses_the_named_administrations_regulation(org: Any, other_org: Any) -> None:
    text = (Path(__file__).resolve().parents[2] / "otklik/domain/data/regulation-default.toml").read_text("utf-8")
    other_org.adm.regulation_toml = text.replace("value = 9\n", "value = 2\n")
    other_org.adm.save()
    # Two administrations and none named: the shipped defaults.
    assert _call("deadline", "--limit", "answer", "--from", "2026-12-07T10:00") == "2026-12-08T11:00:00+09:00"
    out = _call("deadline", "--limit", "answer", "--from", "2026-12-07T10:00", "--administration", "other")
    assert out == "2026-12-07T12:00:00+09:00"


def test_deadline_command_refuses_an_unknown_administration(org: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nowhere") as info:
        _call("deadline", "--limit", "answer", "--from", "2026-12-07T10:00", "--administration", "nowhere")
    assert info.value.returncode == 2


def _plain_calendar() -> Path:
    return Path(__file__).resolve().parents[2] / "otklik/domain/data/calendar-default.toml"
