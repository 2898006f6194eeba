"""2027 (decree No. 1187 of 17.09.2026), the estimate for years without decree data, the clock,
and checking a year file before an administrator loads it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from otklik.domain.calendar import (
    CalendarFileError,
    DayKind,
    ProductionCalendar,
    WorkingCalendar,
    YearData,
    missing_years,
)
from otklik.domain.calendar.importing import preview_import
from otklik.domain.regulation import Regulation

CHITA = ZoneInfo("Asia/Chita")
CAL = WorkingCalendar(strict_years=True)  # the shipped data only: nothing may be estimated here
REG = Regulation.default()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHITA)  # type: ignore[misc]


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


# -- 2027 deadlines -------------------------------------------------------------------------------

DEADLINES_2027 = [
    # (start, limit key or duration, expected, why)
    (at(2026, 12, 30, 16, 0), "answer", at(2027, 1, 11, 17, 0), "П.10 across New Year: 31 Dec 2026 and 1–10 Jan off"),
    (at(2026, 12, 30, 17, 50), "route", at(2027, 1, 11, 9, 20), "П.8 across New Year"),
    (at(2026, 12, 31, 12, 0), "route", at(2027, 1, 11, 9, 30), "31 Dec 2026 is a day off"),
    (at(2027, 1, 8, 12, 0), "route", at(2027, 1, 11, 9, 30), "8 Jan 2027 is a holiday"),
    (at(2027, 2, 19, 17, 50), "route", at(2027, 2, 20, 9, 20), "Saturday 20 Feb 2027 is a working day"),
    (at(2027, 2, 20, 16, 45), "route", at(2027, 2, 24, 9, 15), "20 Feb closes at 17:00; 21–23 Feb off"),
    (at(2027, 2, 20, 10, 0), "answer", at(2027, 2, 24, 12, 0), "7 h on 20 Feb, then Wednesday 24 Feb"),
    (at(2027, 4, 30, 16, 30), minutes(60), at(2027, 5, 4, 9, 30), "30 Apr shortened, 1–3 May off"),
    (at(2027, 5, 7, 17, 30), minutes(60), at(2027, 5, 11, 9, 30), "9 May on Sunday: Monday 10 May off"),
    (at(2027, 6, 11, 16, 0), timedelta(hours=2), at(2027, 6, 15, 10, 0), "11 Jun shortened, 12–14 Jun off"),
    (at(2027, 6, 12, 11, 0), "route", at(2027, 6, 15, 9, 30), "12 Jun on Saturday: Monday 14 Jun off"),
    (at(2027, 11, 3, 16, 30), minutes(60), at(2027, 11, 8, 9, 30), "3 Nov shortened, 4 Nov holiday, 5 Nov off"),
    (at(2027, 12, 30, 17, 30), minutes(30), at(2027, 12, 30, 18, 0), "30 Dec 2027 is a full day"),
    (at(2026, 12, 25, 15, 0), "final_after_interim", at(2027, 1, 14, 18, 0), "П.15: 7 working days over New Year"),
]


@pytest.mark.parametrize(("start", "limit", "expected", "why"), DEADLINES_2027, ids=[c[3] for c in DEADLINES_2027])
def test_deadlines_in_2027_follow_the_decree(
    start: datetime, limit: str | timedelta, expected: datetime, why: str
) -> None:
    got = CAL.add(start, REG.limit(limit) if isinstance(limit, str) else limit)
    assert got == expected, why
    if isinstance(limit, timedelta):
        assert CAL.elapsed(start, got) == limit


def test_saturday_20_february_2027_works_mondays_hours_one_hour_shorter() -> None:
    day = CAL.day(date(2027, 2, 20))
    assert day.kind is DayKind.SHORTENED
    assert day.intervals == ((time(9), time(13)), (time(14), time(17)))
    assert CAL.day(date(2027, 2, 22)).kind is DayKind.DAY_OFF
    assert CAL.day(date(2027, 2, 23)).kind is DayKind.HOLIDAY


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2027, 1, 1), DayKind.HOLIDAY),
        (date(2027, 1, 11), DayKind.WORKING),
        (date(2027, 4, 30), DayKind.SHORTENED),
        (date(2027, 5, 1), DayKind.HOLIDAY),
        (date(2027, 5, 3), DayKind.DAY_OFF),
        (date(2027, 5, 10), DayKind.DAY_OFF),
        (date(2027, 6, 11), DayKind.SHORTENED),
        (date(2027, 6, 14), DayKind.DAY_OFF),
        (date(2027, 11, 3), DayKind.SHORTENED),
        (date(2027, 11, 5), DayKind.DAY_OFF),
        (date(2027, 12, 31), DayKind.DAY_OFF),
        (date(2027, 3, 5), DayKind.WORKING),  # 8 Mar is Monday: Friday 5 Mar is not shortened
    ],
)
def test_2027_days(day: date, kind: DayKind) -> None:
    assert CAL.day(day).kind is kind


# Decree No. 1187: the official norms of the 40-hour week, days / hours by month.
NORMS_2027 = [
    (15, 120),
    (19, 151),
    (22, 176),
    (22, 175),
    (19, 152),
    (21, 167),
    (22, 176),
    (22, 176),
    (22, 176),
    (21, 168),
    (20, 159),
    (22, 176),
]


def test_2027_monthly_norms_are_the_official_ones() -> None:
    summary = CAL.year_summary(2027)
    assert [(m.working_days, m.working_hours) for m in summary.months] == NORMS_2027
    assert (summary.working_days, summary.working_hours, summary.shortened_days) == (247, 1972, 4)
    assert sum(d for d, _ in NORMS_2027) == 247 and sum(h for _, h in NORMS_2027) == 1972


def test_2027_agrees_with_the_holidays_package() -> None:
    """holidays >= 0.109 carries the 2027 transfers; our table and it must name the same days."""
    package = holidays.country_holidays("RU", years=2027)
    days = [date(2027, 1, 1) + timedelta(days=n) for n in range(365)]
    ours_off = {d for d in days if not CAL.day(d).is_working}
    package_off = {d for d in days if (d in package or d.weekday() >= 5) and d not in package.weekend_workdays}
    assert ours_off == package_off
    assert (
        {d for d in days if d.weekday() >= 5 and CAL.day(d).is_working}
        == set(package.weekend_workdays)
        == {date(2027, 2, 20)}
    )


# -- a year without decree data --------------------------------------------------------------------

NO_YEARS = ProductionCalendar(country="RU", years={1900: YearData(1900, "", {}, {}, frozenset())})


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_the_estimate_from_the_holidays_package_reproduces_every_shipped_year(year: int) -> None:
    """The fallback (package + art. 95 rule) gives each shipped year exactly, day by day."""
    estimated = WorkingCalendar(strict_years=False, production=NO_YEARS)
    for shipped, guess in zip(CAL.year_days(year), estimated.year_days(year), strict=True):
        assert (guess.kind, guess.intervals) == (shipped.kind, shipped.intervals), shipped.date


def test_the_estimate_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkingCalendar(strict_years=False)
    with caplog.at_level("WARNING"):
        assert cal.day(date(2029, 3, 8)).kind is DayKind.HOLIDAY
    assert "2029" in caplog.text and "приблизительно" in caplog.text and "otklik calendar import" in caplog.text


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 9, 30), []),
        (date(2027, 10, 1), [2028]),
        (date(2027, 12, 31), [2028]),
        (date(2028, 1, 3), [2028]),  # the year has begun: deadlines are estimated now
        (date(2026, 12, 1), []),
        (date(2023, 5, 5), [2023]),
    ],
)
def test_a_missing_year_is_announced_from_1_october(today: date, expected: list[int]) -> None:
    assert missing_years(ProductionCalendar.default(), today) == expected


# -- the clock ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "running", "changes_at"),
    [
        (at(2026, 12, 8, 10, 0), True, at(2026, 12, 8, 13, 0)),  # morning: runs until lunch
        (at(2026, 12, 8, 13, 30), False, at(2026, 12, 8, 14, 0)),  # lunch
        (at(2026, 12, 8, 13, 0), False, at(2026, 12, 8, 14, 0)),  # 13:00 itself is lunch
        (at(2026, 12, 8, 23, 0), False, at(2026, 12, 9, 9, 0)),  # night
        (at(2026, 12, 5, 12, 0), False, at(2026, 12, 7, 9, 0)),  # Saturday
        (at(2027, 1, 5, 10, 0), False, at(2027, 1, 11, 9, 0)),  # New Year holidays
        (at(2027, 2, 20, 16, 30), True, at(2027, 2, 20, 17, 0)),  # working Saturday, shortened
    ],
)
def test_the_clock_says_whether_working_time_runs(moment: datetime, running: bool, changes_at: datetime) -> None:
    assert CAL.clock(moment) == (running, changes_at)
    assert CAL.is_working_time(moment) is running


# -- checking a year file ---------------------------------------------------------------------------

# Not a decree: a made-up 2028 for the tests (1–8 Jan, 23 Feb, 8 Mar, 1 and 9 May, 12 Jun and
# 4 Nov from the package, one moved day off, three shortened days). Its norms are what its days give.
YEAR_2028 = """\
country = "RU"

[years.2028]
decree = "Учебный файл"
working_days = 249
working_hours = 1989
days_off = [
  { date = 2028-05-08, moved_from = 2028-01-08 },
]
shortened = [2028-02-22, 2028-03-07, 2028-04-28]
"""


def test_a_year_file_is_previewed_with_totals_monthly_norms_and_changed_days() -> None:
    current = WorkingCalendar(strict_years=False)
    preview = preview_import(YEAR_2028, source="2028.toml", current=current, origin="test")
    [year] = preview.years
    assert (year.year, year.norms.working_days, year.norms.working_hours) == (2028, 249, 1989)
    assert len(year.norms.months) == 12 and sum(m.working_days for m in year.norms.months) == 249
    assert year.replaces == "estimated"
    changed = {c.date: c.after.kind for c in year.changes}
    assert changed[date(2028, 5, 8)] is DayKind.DAY_OFF
    assert any("08.05.2028" in w for w in year.warnings)  # the package does not know that transfer
    assert preview.calendar.day(date(2028, 5, 8)).kind is DayKind.DAY_OFF
    assert current.day(date(2028, 5, 8)).kind is not DayKind.DAY_OFF  # nothing changed in place


BROKEN = [
    # (replace this, with that, line, problem)
    ("2028-03-07", "2028-02-30", 10, "синтаксическая ошибка TOML"),
    ("2028-03-07", "2027-03-07", 10, "не относится к 2028 году"),
    ("working_days = 249", "working_days = 250", 5, "working_days = 250, а по дням файла рабочих дней 249"),
    ("working_hours = 1989", "working_hours = 1990", 6, "рабочих часов 1989"),
    ("working_hours = 1989\n", "", 3, "working_hours: укажите официальную норму года"),
    ("2028-05-08, moved_from", "2028-05-06, moved_from", 8, "суббота или воскресенье"),
    ('decree = "Учебный файл"', 'decree = "Учебный файл"\ncolour = "red"', 5, "неизвестные поля: colour"),
    ("2028", "2029", 0, "с пропуском: нет 2028"),
    ('country = "RU"', 'country = "UA"', 1, "country = 'UA'"),
]


@pytest.mark.parametrize(("old", "new", "line", "problem"), BROKEN, ids=[b[3] for b in BROKEN])
def test_a_broken_year_file_is_refused_with_its_line_and_problem(old: str, new: str, line: int, problem: str) -> None:
    text = YEAR_2028.replace(old, new)
    assert text != YEAR_2028
    with pytest.raises(CalendarFileError) as info:
        preview_import(text, source="2028.toml", current=WorkingCalendar(strict_years=False), origin="test")
    assert problem in info.value.problem
    assert str(info.value).startswith("2028.toml")
    if "пропуском" not in problem:
        assert info.value.line == line, str(info.value)
