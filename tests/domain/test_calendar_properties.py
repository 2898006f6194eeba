"""Property tests of the working-time engine (hypothesis): the algebra of add/elapsed/subtract."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from otklik.domain.calendar import DayException, WorkingCalendar

CAL = WorkingCalendar.default()
CHITA = ZoneInfo("Asia/Chita")

# Starts in 2024 .. Nov 2026 so that 3 working days forward or back stay in the covered years.
START_LO = datetime(2024, 1, 20, tzinfo=CHITA)
START_HI = datetime(2026, 11, 30, tzinfo=CHITA)
SPAN_US = (START_HI - START_LO) // timedelta(microseconds=1)

moments = st.integers(0, SPAN_US).map(lambda us: START_LO + timedelta(microseconds=us))
# Minute-grained and arbitrary (microsecond) working durations up to three working days.
durations = st.one_of(
    st.integers(0, 3 * 8 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 3 * 8 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
)

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(moments, durations)
def test_elapsed_from_start_to_deadline_is_the_duration(start: datetime, d: timedelta) -> None:
    assert CAL.elapsed(start, CAL.add(start, d)) == d


@FAST
@given(moments, durations)
def test_deadline_is_the_first_instant_reaching_the_duration(start: datetime, d: timedelta) -> None:
    end = CAL.add(start, d)
    assert end >= start
    if d > timedelta(0):
        assert CAL.elapsed(start, end - timedelta(microseconds=1)) < d


@FAST
@given(moments, moments, durations)
def test_add_is_monotonic_in_the_start(a: datetime, b: datetime, d: timedelta) -> None:
    a, b = min(a, b), max(a, b)
    assert CAL.add(a, d) <= CAL.add(b, d)


@FAST
@given(moments, durations, durations)
def test_add_is_monotonic_in_the_duration_and_additive(start: datetime, d1: timedelta, d2: timedelta) -> None:
    small, big = min(d1, d2), max(d1, d2)
    assert CAL.add(start, small) <= CAL.add(start, big)
    assert CAL.add(CAL.add(start, small), big - small) == CAL.add(start, big)


@FAST
@given(moments, durations)
def test_subtract_then_add_round_trip(end: datetime, d: timedelta) -> None:
    x = CAL.subtract(end, d)
    assert x <= end
    assert CAL.elapsed(x, end) == d
    back = CAL.add(x, d)
    assert back <= end
    assert CAL.elapsed(back, end) == timedelta(0)
    if CAL.is_working_time(end):
        assert back == end
    # x is the latest such instant: a microsecond later leaves less than d.
    if d > timedelta(0):
        assert CAL.elapsed(x + timedelta(microseconds=1), end) < d


@FAST
@given(moments, durations)
def test_add_then_subtract_round_trip(start: datetime, d: timedelta) -> None:
    end = CAL.add(start, d)
    x = CAL.subtract(end, d)
    assert x >= start
    assert CAL.elapsed(start, x) == timedelta(0)
    if CAL.is_working_time(start):
        assert x == start


@FAST
@given(moments, moments, moments)
def test_elapsed_is_additive_and_antisymmetric(a: datetime, b: datetime, c: datetime) -> None:
    assert CAL.elapsed(a, b) + CAL.elapsed(b, c) == CAL.elapsed(a, c)
    assert CAL.elapsed(a, b) == -CAL.elapsed(b, a)


@FAST
@given(moments, durations)
def test_result_is_in_the_calendar_zone_whatever_the_input_zone(start: datetime, d: timedelta) -> None:
    in_utc = CAL.add(start.astimezone(UTC), d)
    assert in_utc == CAL.add(start, d)
    assert in_utc.tzinfo == CHITA


@FAST
@given(moments, st.integers(1, 10))
def test_working_days_end_at_the_close_of_a_working_day(start: datetime, n: int) -> None:
    from otklik.domain.regulation import Limit, Unit

    end = CAL.add(start, Limit("final_after_interim", n, Unit.WORKING_DAYS, "interim_sent", "П.15", ""))
    info = CAL.day(end.date())
    assert info.is_working and end.timetz().replace(tzinfo=None) == info.intervals[-1][1]
    d, count = start.astimezone(CHITA).date(), 0
    while d < end.date():
        d += timedelta(days=1)
        count += CAL.day(d).is_working
    assert count == n


@settings(max_examples=40, deadline=None)
@given(
    st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    st.sampled_from(["day_off", "working_day", "shortened", "hours"]),
    moments,
    durations,
)
def test_exceptions_keep_the_algebra(day: date, kind: str, start: datetime, d: timedelta) -> None:
    intervals = ((time(10), time(11, 30)),) if kind == "hours" else ()
    cal = CAL.with_exceptions([DayException(day, kind, intervals)])
    assert cal.elapsed(start, cal.add(start, d)) == d


ANY_YEAR = WorkingCalendar(production=None)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)))
# Both occurrences of a repeated local hour (Chita's clocks went back at midnight on 1 October
# 1983): the result is local time with the right ``fold``.
@example(datetime(1983, 9, 30, 13, 0, tzinfo=UTC))
@example(datetime(1983, 9, 30, 14, 0, tzinfo=UTC))
def test_instants_keep_their_microseconds(moment: datetime) -> None:
    # add(x, 0) is x: the conversion to and from the internal microsecond clock is exact.
    result = ANY_YEAR.add(moment, timedelta(0))
    # Compared in UTC: Python never finds a local time of a repeated hour equal to an instant of
    # another zone (PEP 495), even when it is that instant.
    assert result.astimezone(UTC) == moment
    assert result.microsecond == moment.astimezone(CHITA).microsecond
