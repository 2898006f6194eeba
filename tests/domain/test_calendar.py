"""The working-time engine against the regulation's counting rules and the official calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from otklik.domain.calendar import (
    CalendarError,
    CalendarYearNotCovered,
    DayException,
    DayKind,
    ProductionCalendar,
    WorkingCalendar,
)
from otklik.domain.regulation import Limit, Regulation, Unit

CHITA = ZoneInfo("Asia/Chita")
CAL = WorkingCalendar.default()
REG = Regulation.default()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHITA)  # type: ignore[misc]


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


# -- working minutes and hours --------------------------------------------------------------------

ADD_CASES = [
    # (start, working duration, expected deadline, why)
    (at(2026, 3, 2, 10, 0), minutes(30), at(2026, 3, 2, 10, 30), "plain morning"),
    (at(2026, 3, 2, 12, 45), minutes(30), at(2026, 3, 2, 14, 15), "lunch skipped"),
    (at(2026, 3, 2, 12, 30), minutes(30), at(2026, 3, 2, 13, 0), "ends exactly at lunch: 13:00, not 14:00"),
    (at(2026, 3, 2, 17, 30), minutes(30), at(2026, 3, 2, 18, 0), "ends exactly at close: 18:00, not tomorrow"),
    (at(2026, 3, 2, 13, 0), minutes(30), at(2026, 3, 2, 14, 30), "start at lunch counts from 14:00"),
    (at(2026, 3, 2, 13, 30), minutes(30), at(2026, 3, 2, 14, 30), "start inside lunch"),
    (at(2026, 3, 2, 7, 15), minutes(30), at(2026, 3, 2, 9, 30), "start before opening"),
    (at(2026, 3, 2, 22, 0), minutes(30), at(2026, 3, 3, 9, 30), "start after close"),
    (at(2025, 10, 17, 17, 50), minutes(30), at(2025, 10, 20, 9, 20), "Friday evening to Monday"),
    (at(2025, 10, 18, 11, 0), minutes(30), at(2025, 10, 20, 9, 30), "Saturday start"),
    (at(2026, 3, 6, 17, 50), minutes(30), at(2026, 3, 10, 9, 20), "Friday before 9 Mar 2026 day off"),
    (at(2026, 3, 2, 10, 0), timedelta(hours=9), at(2026, 3, 3, 11, 0), "П.10: 9 working hours overnight"),
    (at(2026, 3, 2, 9, 0), timedelta(hours=8), at(2026, 3, 2, 18, 0), "a whole day ends at its close"),
    (at(2025, 12, 30, 10, 0), timedelta(hours=9), at(2026, 1, 12, 11, 0), "New Year holidays and 9 Jan skipped"),
    (at(2026, 1, 9, 10, 0), minutes(30), at(2026, 1, 12, 9, 30), "9 Jan 2026 is a day off"),
    (at(2025, 4, 30, 16, 30), minutes(30), at(2025, 4, 30, 17, 0), "pre-holiday day closes at 17:00"),
    (at(2025, 4, 30, 16, 30), minutes(60), at(2025, 5, 5, 9, 30), "then 1–4 May 2025 are off"),
    (at(2025, 4, 30, 17, 30), minutes(30), at(2025, 5, 5, 9, 30), "after the shortened close"),
    (at(2025, 11, 1, 10, 0), minutes(30), at(2025, 11, 1, 10, 30), "working Saturday 1 Nov 2025"),
    (at(2025, 11, 1, 16, 45), minutes(30), at(2025, 11, 5, 9, 15), "1 Nov 2025 shortened, 2–4 Nov off"),
    (at(2024, 11, 2, 16, 50), minutes(10), at(2024, 11, 2, 17, 0), "2 Nov 2024: working Saturday, shortened"),
    (at(2024, 12, 28, 17, 30), minutes(30), at(2024, 12, 28, 18, 0), "28 Dec 2024: working Saturday, full day"),
    (at(2024, 4, 27, 17, 30), minutes(60), at(2024, 5, 2, 9, 30), "27 Apr 2024 full day, then 28 Apr–1 May off"),
    (at(2026, 5, 8, 16, 0), timedelta(hours=2), at(2026, 5, 12, 10, 0), "8 May 2026 shortened, 9–11 May off"),
    (at(2025, 3, 7, 16, 30), minutes(60), at(2025, 3, 10, 9, 30), "7 Mar 2025 shortened"),
    (at(2025, 6, 11, 16, 0), minutes(90), at(2025, 6, 16, 9, 30), "11 Jun 2025 shortened, 12–15 Jun off"),
    (at(2025, 5, 7, 17, 30), minutes(30), at(2025, 5, 7, 18, 0), "7 May 2025 is a full day (8 May is off)"),
    (at(2026, 2, 20, 17, 30), minutes(30), at(2026, 2, 20, 18, 0), "20 Feb 2026 is a full day"),
    (at(2026, 11, 3, 16, 30), minutes(60), at(2026, 11, 5, 9, 30), "3 Nov 2026 shortened, 4 Nov holiday"),
    (at(2026, 3, 2, 10, 0, 30), minutes(30), at(2026, 3, 2, 10, 30, 30), "seconds preserved"),
    (at(2026, 3, 2, 12, 59, 59, 999999), minutes(1), at(2026, 3, 2, 14, 0, 59, 999999), "microseconds preserved"),
    (at(2026, 3, 2, 11, 0), timedelta(0), at(2026, 3, 2, 11, 0), "zero duration"),
    (at(2026, 3, 7, 11, 0), timedelta(0), at(2026, 3, 7, 11, 0), "zero duration at a weekend"),
]


@pytest.mark.parametrize(("start", "duration", "expected", "why"), ADD_CASES, ids=[c[3] for c in ADD_CASES])
def test_add_working_time(start: datetime, duration: timedelta, expected: datetime, why: str) -> None:
    result = CAL.add(start, duration)
    assert result == expected, why
    assert result.tzinfo == CHITA


@pytest.mark.parametrize(("start", "duration", "expected", "why"), ADD_CASES, ids=[c[3] for c in ADD_CASES])
def test_elapsed_from_start_to_deadline_equals_the_limit(
    start: datetime, duration: timedelta, expected: datetime, why: str
) -> None:
    assert CAL.elapsed(start, expected) == duration, why


def test_add_accepts_any_time_zone_and_answers_in_the_calendar_zone() -> None:
    result = CAL.add(datetime(2026, 3, 2, 3, 45, tzinfo=UTC), minutes(30))  # 12:45 in Chita
    assert result == at(2026, 3, 2, 14, 15)
    assert result.isoformat() == "2026-03-02T14:15:00+09:00"


def test_regulation_limits_give_the_regulation_deadlines() -> None:
    detected = at(2026, 3, 2, 16, 0)
    assert CAL.add(detected, REG.limit("route")) == at(2026, 3, 2, 16, 30)
    answer = CAL.add(detected, REG.limit("answer"))
    assert answer == at(2026, 3, 3, 17, 0)  # 2 h on Monday, 4 + 3 h on Tuesday
    # П.11: the draft is due 4 working hours before the answer deadline.
    assert CAL.deadline(answer, REG.limit("draft_lead")) == at(2026, 3, 3, 12, 0)
    assert CAL.add(detected, REG.limit("rework")) == at(2026, 3, 2, 17, 0)
    assert CAL.add(detected, REG.limit("contribution")) == at(2026, 3, 2, 18, 0)


SUBTRACT_CASES = [
    (at(2026, 3, 3, 11, 0), timedelta(hours=4), at(2026, 3, 2, 16, 0), "back over the night"),
    (at(2026, 3, 2, 18, 0), timedelta(hours=4), at(2026, 3, 2, 14, 0), "latest instant: end of lunch"),
    (at(2026, 3, 10, 9, 20), minutes(30), at(2026, 3, 6, 17, 50), "back over the 7–9 Mar days off"),
    (at(2026, 1, 12, 11, 0), timedelta(hours=4), at(2025, 12, 30, 16, 0), "back over New Year"),
    (at(2025, 11, 5, 9, 15), minutes(30), at(2025, 11, 1, 16, 45), "back to a shortened Saturday"),
    (at(2026, 3, 2, 10, 0, 0, 7), minutes(30), at(2026, 3, 2, 9, 30, 0, 7), "microseconds preserved"),
    (at(2026, 3, 7, 12, 0), minutes(30), at(2026, 3, 6, 17, 30), "from a weekend"),
]


@pytest.mark.parametrize(("end", "duration", "expected", "why"), SUBTRACT_CASES, ids=[c[3] for c in SUBTRACT_CASES])
def test_subtract_is_the_latest_instant_with_that_working_time_left(
    end: datetime, duration: timedelta, expected: datetime, why: str
) -> None:
    assert CAL.subtract(end, duration) == expected, why
    assert CAL.elapsed(expected, end) == duration


def test_elapsed() -> None:
    assert CAL.elapsed(at(2026, 3, 2, 9, 0), at(2026, 3, 3, 9, 0)) == timedelta(hours=8)
    assert CAL.elapsed(at(2026, 3, 3, 9, 0), at(2026, 3, 2, 9, 0)) == -timedelta(hours=8)
    assert CAL.elapsed(at(2026, 3, 7, 9, 0), at(2026, 3, 10, 10, 0)) == timedelta(hours=1)
    assert CAL.elapsed(at(2025, 12, 30, 9, 0), at(2026, 1, 12, 18, 0)) == timedelta(hours=16)
    assert CAL.elapsed(at(2025, 11, 1, 0, 0), at(2025, 11, 2, 0, 0)) == timedelta(hours=7)
    assert CAL.elapsed(at(2026, 3, 2, 13, 10), at(2026, 3, 2, 13, 50)) == timedelta(0)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (at(2026, 3, 2, 9, 0), True),
        (at(2026, 3, 2, 8, 59, 59, 999999), False),
        (at(2026, 3, 2, 12, 59, 59, 999999), True),
        (at(2026, 3, 2, 13, 0), False),
        (at(2026, 3, 2, 14, 0), True),
        (at(2026, 3, 2, 18, 0), False),
        (at(2025, 11, 1, 16, 59), True),
        (at(2025, 11, 1, 17, 0), False),
        (at(2026, 3, 7, 10, 0), False),
        (at(2026, 1, 9, 10, 0), False),
    ],
)
def test_is_working_time(moment: datetime, working: bool) -> None:
    assert CAL.is_working_time(moment) is working


# -- working days (П.15) and calendar units -------------------------------------------------------

FINAL = Limit("final_after_interim", 7, Unit.WORKING_DAYS, "interim_sent", "П.15", "")


@pytest.mark.parametrize(
    ("sent", "expected", "why"),
    [
        (at(2026, 4, 24, 15, 0), at(2026, 5, 6, 18, 0), "Friday before the May holidays"),
        (at(2025, 12, 26, 15, 0), at(2026, 1, 16, 18, 0), "Friday before the New Year holidays"),
        (at(2025, 4, 21, 10, 0), at(2025, 4, 30, 17, 0), "last day is shortened: close at 17:00"),
        (at(2025, 10, 27, 10, 0), at(2025, 11, 6, 18, 0), "the working Saturday 1 Nov counts"),
        (at(2026, 3, 7, 10, 0), at(2026, 3, 18, 18, 0), "sent on a weekend: counting starts next day"),
        (at(2026, 3, 2, 23, 59), at(2026, 3, 12, 18, 0), "the day of sending never counts"),
    ],
)
def test_working_days_count_from_the_next_day_to_the_close_of_the_last(
    sent: datetime, expected: datetime, why: str
) -> None:
    assert CAL.add(sent, FINAL) == expected, why
    assert CAL.add(sent, REG.limit("final_after_interim")) == expected


def test_working_days_use_the_calendar_time_zone_for_the_day_of_sending() -> None:
    # 16:00 UTC on 1 Mar is 01:00 on Monday 2 Mar in Chita: counting starts on 3 Mar.
    assert CAL.add(datetime(2026, 3, 1, 16, 0, tzinfo=UTC), FINAL) == at(2026, 3, 12, 18, 0)


def test_calendar_units() -> None:
    start = at(2026, 3, 2, 12, 45)
    assert CAL.add(start, Limit("x", 90, Unit.CALENDAR_MINUTES, "detection", "П", "t")) == at(2026, 3, 2, 14, 15)
    assert CAL.add(start, Limit("x", 2, Unit.CALENDAR_HOURS, "detection", "П", "t")) == at(2026, 3, 2, 14, 45)
    # Day N ends at 24:00, i.e. 00:00 of the following day.
    assert CAL.add(start, Limit("x", 3, Unit.CALENDAR_DAYS, "detection", "П", "t")) == at(2026, 3, 6)
    # Ending on Saturday 7 Mar: moves to the next working day, Tuesday 10 Mar (Civil Code art. 193).
    assert CAL.add(at(2026, 3, 4, 10), Limit("x", 3, Unit.CALENDAR_DAYS, "detection", "П", "t")) == at(2026, 3, 11)
    assert CAL.subtract(start, Limit("x", 2, Unit.CALENDAR_HOURS, "detection", "П", "t")) == at(2026, 3, 2, 10, 45)
    with pytest.raises(CalendarError, match="в днях"):
        CAL.subtract(start, FINAL)


# -- the production calendar ----------------------------------------------------------------------

DAY_CASES = [
    (date(2024, 2, 22), DayKind.SHORTENED),
    (date(2024, 4, 27), DayKind.WORKING),
    (date(2024, 4, 29), DayKind.DAY_OFF),
    (date(2024, 4, 30), DayKind.DAY_OFF),
    (date(2024, 11, 2), DayKind.SHORTENED),
    (date(2024, 12, 28), DayKind.WORKING),
    (date(2024, 12, 31), DayKind.DAY_OFF),
    (date(2025, 1, 1), DayKind.HOLIDAY),
    (date(2025, 1, 8), DayKind.HOLIDAY),
    (date(2025, 1, 9), DayKind.WORKING),
    (date(2025, 2, 23), DayKind.HOLIDAY),
    (date(2025, 3, 7), DayKind.SHORTENED),
    (date(2025, 4, 30), DayKind.SHORTENED),
    (date(2025, 5, 2), DayKind.DAY_OFF),
    (date(2025, 5, 7), DayKind.WORKING),
    (date(2025, 5, 8), DayKind.DAY_OFF),
    (date(2025, 6, 11), DayKind.SHORTENED),
    (date(2025, 6, 13), DayKind.DAY_OFF),
    (date(2025, 11, 1), DayKind.SHORTENED),
    (date(2025, 11, 3), DayKind.DAY_OFF),
    (date(2025, 11, 4), DayKind.HOLIDAY),
    (date(2025, 12, 30), DayKind.WORKING),
    (date(2025, 12, 31), DayKind.DAY_OFF),
    (date(2026, 1, 9), DayKind.DAY_OFF),
    (date(2026, 1, 12), DayKind.WORKING),
    (date(2026, 2, 20), DayKind.WORKING),
    (date(2026, 2, 23), DayKind.HOLIDAY),
    (date(2026, 3, 9), DayKind.DAY_OFF),
    (date(2026, 4, 30), DayKind.SHORTENED),
    (date(2026, 5, 8), DayKind.SHORTENED),
    (date(2026, 5, 11), DayKind.DAY_OFF),
    (date(2026, 6, 11), DayKind.SHORTENED),
    (date(2026, 11, 3), DayKind.SHORTENED),
    (date(2026, 12, 30), DayKind.WORKING),
    (date(2026, 12, 31), DayKind.DAY_OFF),
    (date(2026, 3, 7), DayKind.DAY_OFF),
]


@pytest.mark.parametrize(("day", "kind"), DAY_CASES, ids=[str(c[0]) for c in DAY_CASES])
def test_day_kinds_follow_the_decrees(day: date, kind: DayKind) -> None:
    info = CAL.day(day)
    assert info.kind is kind
    assert info.is_working is (kind in (DayKind.WORKING, DayKind.SHORTENED))


def test_shortened_day_loses_its_last_hour_and_working_saturday_keeps_the_weekday_schedule() -> None:
    assert CAL.day(date(2025, 11, 1)).intervals == ((time(9), time(13)), (time(14), time(17)))
    assert CAL.day(date(2024, 12, 28)).intervals == ((time(9), time(13)), (time(14), time(18)))
    assert CAL.day(date(2026, 1, 9)).intervals == ()
    assert "перенесено" in CAL.day(date(2026, 1, 9)).note


@pytest.mark.parametrize(
    ("year", "working_days", "working_hours", "shortened", "non_working"),
    [
        (2024, 248, 1979, 5, 118),
        (2025, 247, 1972, 4, 118),
        # 247 x 8 h minus the four pre-holiday hours (30 Apr, 8 May, 11 Jun, 3 Nov) = 1972.
        (2026, 247, 1972, 4, 118),
        # Decree No. 1187 of 17.09.2026: 247 x 8 h minus 20 Feb, 30 Apr, 11 Jun, 3 Nov = 1972.
        (2027, 247, 1972, 4, 118),
    ],
)
def test_yearly_totals_match_the_official_production_calendar(
    year: int, working_days: int, working_hours: int, shortened: int, non_working: int
) -> None:
    summary = CAL.year_summary(year)
    assert CAL.working_days(year) == summary.working_days == working_days
    assert CAL.working_hours(year) == summary.working_hours == working_hours
    assert summary.shortened_days == shortened
    assert summary.non_working_days == non_working
    data = ProductionCalendar.default().years[year]
    assert (data.working_days, data.working_hours) == (working_days, working_hours)


def test_monthly_hours_2025_match_the_official_norms() -> None:
    expected = [136, 160, 167, 175, 144, 151, 184, 168, 176, 184, 151, 176]
    got = []
    for month in range(1, 13):
        d, total = date(2025, month, 1), 0
        while d.month == month:
            total += CAL.day(d).working_minutes
            d += timedelta(days=1)
        got.append(total // 60)
    assert got == expected


# -- uncovered years ------------------------------------------------------------------------------


STRICT = WorkingCalendar(strict_years=True)


def test_uncovered_year_is_an_error_naming_the_year_and_the_range() -> None:
    with pytest.raises(CalendarYearNotCovered, match=r"2028.*2024–2027"):
        STRICT.day(date(2028, 1, 11))
    with pytest.raises(CalendarYearNotCovered, match="2023"):
        STRICT.add(at(2023, 12, 29, 10), minutes(30))
    with pytest.raises(CalendarYearNotCovered, match="2028"):
        STRICT.add(at(2027, 12, 30, 17, 0), timedelta(hours=2))
    with pytest.raises(CalendarYearNotCovered, match="2023"):
        STRICT.subtract(at(2024, 1, 9, 9, 30), timedelta(hours=1))
    assert STRICT.covered_years == (2024, 2027)
    # The engine still works inside the covered range after refusing.
    assert STRICT.add(at(2027, 12, 30, 17, 0), minutes(30)) == at(2027, 12, 30, 17, 30)


def test_exception_in_an_uncovered_year_is_allowed_for_that_date_only() -> None:
    cal = STRICT.with_exceptions([DayException(date(2028, 1, 11), "working_day")])
    assert cal.day(date(2028, 1, 11)).intervals == ((time(9), time(13)), (time(14), time(18)))
    with pytest.raises(CalendarYearNotCovered):
        cal.day(date(2028, 1, 12))


def test_non_strict_calendar_estimates_other_years_from_the_holidays_package() -> None:
    cal = WorkingCalendar(strict_years=False)
    assert cal.day(date(2028, 1, 1)).kind is DayKind.HOLIDAY
    assert cal.day(date(2028, 1, 10)).kind is DayKind.WORKING
    assert cal.day(date(2028, 11, 3)).kind is DayKind.SHORTENED  # art. 95: eve of 4 Nov
    assert "оценка" in cal.day(date(2028, 11, 3)).note
    # 30 Dec 2027 17:00 + 2 h: 1 h that day, 31 Dec 2027 off (decree), 1–9 Jan 2028 off.
    assert cal.add(at(2027, 12, 30, 17, 0), timedelta(hours=2)) == at(2028, 1, 10, 10, 0)
    assert cal.estimated_years(at(2027, 12, 30, 17, 0), at(2028, 1, 10, 10, 0)) == [2028]
    assert cal.estimated_years(at(2027, 3, 1, 10, 0)) == []


# -- administrator exceptions ---------------------------------------------------------------------


def test_exceptions_override_the_production_calendar() -> None:
    cal = CAL.with_exceptions(
        [
            DayException(date(2026, 3, 3), "day_off", note="Паводок"),
            DayException(date(2026, 3, 7), "hours", ((time(10), time(12)),)),
            DayException(date(2026, 3, 5), "shortened"),
            DayException(date(2026, 3, 9), "working_day"),
        ]
    )
    assert cal.add(at(2026, 3, 2, 17, 30), minutes(60)) == at(2026, 3, 4, 9, 30)
    assert cal.day(date(2026, 3, 3)).note == "Паводок"
    assert cal.add(at(2026, 3, 6, 17, 30), minutes(60)) == at(2026, 3, 7, 10, 30)
    assert cal.day(date(2026, 3, 5)).intervals[-1] == (time(14), time(17))
    assert cal.day(date(2026, 3, 9)).kind is DayKind.WORKING
    # The original calendar is untouched.
    assert CAL.day(date(2026, 3, 3)).kind is DayKind.WORKING
    assert CAL.add(at(2026, 3, 2, 17, 30), minutes(60)) == at(2026, 3, 3, 9, 30)


def test_a_later_exception_replaces_an_earlier_one_for_the_same_date() -> None:
    cal = CAL.with_exceptions([DayException(date(2026, 3, 3), "day_off")])
    cal = cal.with_exceptions([DayException(date(2026, 3, 3), "hours", ((time(9), time(10)),))])
    assert cal.day(date(2026, 3, 3)).intervals == ((time(9), time(10)),)


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (DayException(date(2026, 3, 3), "holiday"), "неизвестный вид"),
        (DayException(date(2026, 3, 3), "hours"), "нужны интервалы"),
        (DayException(date(2026, 3, 3), "day_off", ((time(9), time(10)),)), "не может быть"),
        (DayException(date(2026, 3, 3), "hours", ((time(10), time(9)),)), "раньше конца"),
        (
            DayException(date(2026, 3, 3), "hours", ((time(9), time(11)), (time(10), time(12)))),
            "пересекаются",
        ),
    ],
)
def test_invalid_exceptions_are_rejected(exception: DayException, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        CAL.with_exceptions([exception])


# -- custom calendars and files -------------------------------------------------------------------


def test_default_file_matches_the_built_in_defaults() -> None:
    built_in = WorkingCalendar()
    assert CAL.tz == built_in.tz == CHITA
    assert dict(CAL.schedule) == dict(built_in.schedule)
    assert CAL.covered_years == built_in.covered_years
    # The shipped calendar estimates a year without decree data (with a warning) instead of
    # refusing: a message detected on 30 December must still get its deadline.
    assert not CAL.strict_years and built_in.strict_years


def test_calendar_from_toml_with_own_schedule_and_no_production_calendar() -> None:
    cal = WorkingCalendar.from_toml(
        """
        timezone = "Europe/Moscow"
        production_calendar = "none"
        [schedule]
        mon = ["08:00-12:00", "13:00-17:00"]
        sat = ["10:00-14:00"]
        [[exceptions]]
        date = 2030-01-07
        kind = "day_off"
        note = "Рождество"
        """,
        source="own.toml",
    )
    msk = ZoneInfo("Europe/Moscow")
    assert cal.covered_years == (1, 9999)
    assert cal.day(date(2030, 1, 5)).intervals == ((time(10), time(14)),)  # Saturday
    assert cal.day(date(2030, 1, 8)).kind is DayKind.DAY_OFF  # Tuesday: no schedule
    # Saturday 5 Jan 13:30 + 1 h: 30 min on Saturday, 7 Jan is off, then Monday 14 Jan 08:30.
    assert cal.add(datetime(2030, 1, 5, 13, 30, tzinfo=msk), minutes(60)) == datetime(2030, 1, 12, 10, 30, tzinfo=msk)


def test_daylight_saving_zone_counts_real_elapsed_time() -> None:
    cal = WorkingCalendar(
        tz="Europe/Berlin",
        production=None,
        schedule={wd: ((time(0), time(23, 59)),) for wd in range(7)},
    )
    berlin = ZoneInfo("Europe/Berlin")
    # 31 Mar 2030: clocks jump from 02:00 to 03:00, so 00:00–04:00 local is 3 real hours.
    assert cal.elapsed(datetime(2030, 3, 31, 0, 0, tzinfo=berlin), datetime(2030, 3, 31, 4, 0, tzinfo=berlin)) == (
        timedelta(hours=3)
    )


BAD_CALENDARS = [
    ("timezone = 'Mars/Olympus'", "часовой пояс"),
    ("colour = 'red'", "неизвестные ключи: colour"),
    ("[schedule]\nmon = ['09:00-25:00']", "schedule.mon"),
    ("[schedule]\nmon = ['9 to 5']", "schedule.mon"),
    ("[schedule]\nmon = ['09:00-13:00', '12:00-18:00']", "пересекаются"),
    ("[schedule]\nmonday = ['09:00-13:00']", "monday"),
    ("[[exceptions]]\ndate = 2026-03-03\nkind = 'vacation'", "exceptions[0].kind"),
    ("[[exceptions]]\ndate = 'soon'\nkind = 'day_off'", "exceptions[0].date"),
    ("[[exceptions]]\ndate = 2026-03-03\nkind = 'hours'", "нужны интервалы"),
    ("[[exceptions]]\ndate = 2026-03-03\nkind = 'day_off'\nwhen = 1", "неизвестные поля: when"),
    ("production_calendar = 'UA'", "production_calendar"),
    ("strict_years = 'yes'", "strict_years"),
    ("timezone = ", "синтаксическая ошибка TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CALENDARS, ids=[m for _, m in BAD_CALENDARS])
def test_broken_calendar_file_is_reported_with_file_and_key(text: str, message: str) -> None:
    with pytest.raises(CalendarError) as info:
        WorkingCalendar.from_toml(text, source="broken-calendar.toml")
    assert "broken-calendar.toml" in str(info.value)
    assert message in str(info.value)


def test_calendar_file_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(CalendarError, match=r"nope\.toml"):
        WorkingCalendar.load(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[schedule]\nmon = ['x']\n", encoding="utf-8")
    with pytest.raises(CalendarError, match=r"broken\.toml: schedule\.mon"):
        WorkingCalendar.load(broken)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(CalendarError, match="часового пояса"):
        CAL.add(datetime(2026, 3, 2, 10), minutes(30))
    with pytest.raises(CalendarError, match="отрицательная"):
        CAL.add(at(2026, 3, 2, 10), -minutes(30))


def test_production_calendar_data_errors_name_the_key() -> None:
    with pytest.raises(CalendarError, match=r"data\.toml, строка 3: years\.2025\.shortened"):
        ProductionCalendar.loads('country = "RU"\n[years.2025]\nshortened = [2024-03-07]\n', source="data.toml")
    with pytest.raises(CalendarError, match="working_saturdays"):
        ProductionCalendar.loads(
            'country = "RU"\n[years.2025]\nworking_saturdays = [{ date = 2025-11-01 }]\n', source="data.toml"
        )


def test_calendar_without_working_time_fails_instead_of_looping() -> None:
    empty = WorkingCalendar(production=None, schedule={})
    with pytest.raises(CalendarError, match="не найдено рабочего времени"):
        empty.add(at(2026, 3, 2, 10), minutes(1))
    with pytest.raises(CalendarError, match="не найдено рабочего времени"):
        empty.subtract(at(2026, 3, 2, 10), minutes(1))
    with pytest.raises(CalendarError, match="не найдено рабочего времени"):
        empty.add(at(2026, 3, 2, 10), FINAL)


def test_far_apart_instants_work_without_a_production_calendar() -> None:
    cal = WorkingCalendar(production=None)
    assert cal.elapsed(at(1990, 1, 1), at(2100, 1, 1)) > timedelta(hours=8 * 250 * 100)
