"""The flat timeline of working intervals that makes the working-time arithmetic fast.

Pure Python, no Django. For a contiguous range of local years the working intervals of every day
are laid out as ascending lists of UTC microsecond boundaries with cumulative working time, so
adding, subtracting and measuring working time is two bisects and some integer arithmetic. The
range is extended on demand under a lock and swapped in atomically: readers see either the old
or the new arrays, never a half-built one. What each day's intervals are is not decided here —
the :class:`Timeline` asks its owner (``WorkingCalendar.day``).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

from .days import CalendarError, Interval

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
MAX_EMPTY_YEARS: Final = 20  # a schedule with no working time at all must not loop forever
_FAST_US_LIMIT: Final = 2**32 * 1_000_000  # 2106-02-07: float seconds keep microseconds exact


class _Range:
    """Flat working-interval arrays over the contiguous local years [ylo, yhi]."""

    __slots__ = (
        "cum",
        "cum_end",
        "ends",
        "hi",
        "lo",
        "starts",
        "total",
        "wd_close",
        "wd_ord",
        "yhi",
        "ylo",
    )

    def __init__(self, ylo: int, yhi: int, lo: int, hi: int) -> None:
        self.ylo, self.yhi, self.lo, self.hi = ylo, yhi, lo, hi
        self.starts: list[int] = []  # interval starts, UTC microseconds, ascending
        self.ends: list[int] = []
        self.cum: list[int] = []  # working microseconds in the range before interval i
        self.cum_end: list[int] = []  # ... up to the end of interval i
        self.total = 0
        self.wd_ord: list[int] = []  # ordinals of working days
        self.wd_close: list[int] = []  # end of each working day's last interval, microseconds


class Timeline:
    """Working intervals of one calendar as flat arrays; every instant is UTC microseconds."""

    def __init__(self, tz: tzinfo, intervals_of: Callable[[date], tuple[Interval, ...]]) -> None:
        self.tz = tz
        self._intervals_of = intervals_of
        self._years: dict[int, list[tuple[int, int, int]]] = {}  # year -> [(ord, start, end)]
        self.range: _Range | None = None
        self._lock = threading.RLock()

    # -- conversions ----------------------------------------------------------------------------

    def from_us(self, us: int) -> datetime:
        if 0 <= us < _FAST_US_LIMIT:
            # Exact: us / 1e6 is within 0.24 µs of the true value below 2**32 s and
            # fromtimestamp rounds to the nearest microsecond (tested); 3x faster than the
            # timedelta path.
            return datetime.fromtimestamp(us / 1e6, self.tz)
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    def local_midnight_us(self, d: date) -> int:
        return to_us(datetime.combine(d, time(0), tzinfo=self.tz))

    # -- queries --------------------------------------------------------------------------------

    def is_working(self, t: int) -> bool:
        rng = self.covering(t)
        i = bisect_right(rng.starts, t) - 1
        return i >= 0 and t < rng.ends[i]

    def clock(self, t: int) -> tuple[bool, int]:
        """(True, end of the working interval at ``t``) or (False, start of the next one)."""
        rng = self.covering(t)
        extensions = 0
        while True:
            i = bisect_right(rng.starts, t) - 1
            if i >= 0 and t < rng.ends[i]:
                return True, rng.ends[i]
            if i + 1 < len(rng.starts):
                return False, rng.starts[i + 1]
            extensions = check_extensions(extensions)
            rng = self.extend(rng.ylo, rng.yhi + 1)

    def elapsed(self, ta: int, tb: int) -> int:
        self.covering(ta)
        rng = self.covering(tb)  # ranges only ever widen, so this one covers ta too
        return _cum_at(rng, tb) - _cum_at(rng, ta)

    def add(self, t: int, duration: int) -> int:
        if duration == 0:
            return t
        rng = self.range
        extensions = 0
        while True:
            if rng is None or not rng.lo <= t < rng.hi:
                rng = self.covering(t)
            starts = rng.starts
            i = bisect_right(starts, t) - 1
            if i < 0:
                c = duration
            elif t < rng.ends[i]:
                c = rng.cum[i] + (t - starts[i]) + duration
            else:
                c = rng.cum_end[i] + duration
            if c > rng.total:
                extensions = check_extensions(extensions)
                rng = self.extend(rng.ylo, rng.yhi + 1)
                continue
            j = bisect_left(rng.cum_end, c)
            return starts[j] + (c - rng.cum[j])

    def subtract(self, t: int, duration: int) -> int:
        if duration == 0:
            return t
        rng = self.range
        extensions = 0
        while True:
            if rng is None or not rng.lo <= t < rng.hi:
                rng = self.covering(t)
            c = _cum_at(rng, t) - duration
            if c < 0:
                extensions = check_extensions(extensions)
                rng = self.extend(rng.ylo - 1, rng.yhi)
                continue
            j = bisect_right(rng.cum, c) - 1
            return rng.starts[j] + (c - rng.cum[j])

    def close_of_working_day(self, first: date, n: int) -> int:
        """The end of the ``n``-th working day counted from ``first`` (1 = the first on or after it)."""
        first_ord = first.toordinal()
        rng = self.covering(self.local_midnight_us(first))
        extensions = 0
        while True:
            k = bisect_left(rng.wd_ord, first_ord) + n - 1
            if k < len(rng.wd_ord):
                return rng.wd_close[k]
            extensions = check_extensions(extensions)
            rng = self.extend(rng.ylo, rng.yhi + 1)

    # -- building -------------------------------------------------------------------------------

    def covering(self, t: int) -> _Range:
        rng = self.range
        if rng is not None and rng.lo <= t < rng.hi:
            return rng
        y = self.from_us(t).year
        if rng is None:
            return self.extend(y, y)
        return self.extend(min(rng.ylo, y), max(rng.yhi, y))

    def extend(self, ylo: int, yhi: int) -> _Range:
        """Rebuild the flat arrays over the local years [ylo, yhi] (at least the current range)."""
        if ylo < 1 or yhi > 9998:
            raise CalendarError("срок выходит за пределы поддерживаемых дат")
        with self._lock:
            current = self.range
            if current is not None:
                ylo, yhi = min(ylo, current.ylo), max(yhi, current.yhi)
                if (ylo, yhi) == (current.ylo, current.yhi):
                    return current
            rows = [row for y in range(ylo, yhi + 1) for row in self._year_rows(y)]
            rng = _Range(
                ylo,
                yhi,
                self.local_midnight_us(date(ylo, 1, 1)),
                self.local_midnight_us(date(yhi + 1, 1, 1)),
            )
            total = 0
            last_ord = None
            for ordinal, s, e in rows:
                rng.starts.append(s)
                rng.ends.append(e)
                rng.cum.append(total)
                total += e - s
                rng.cum_end.append(total)
                if ordinal == last_ord:
                    rng.wd_close[-1] = e
                else:
                    rng.wd_ord.append(ordinal)
                    rng.wd_close.append(e)
                    last_ord = ordinal
            rng.total = total
            self.range = rng  # atomic swap: readers see either the old or the new range
            return rng

    def _year_rows(self, year: int) -> list[tuple[int, int, int]]:
        rows = self._years.get(year)
        if rows is None:
            rows = []
            last = None
            d, end = date(year, 1, 1), date(year + 1, 1, 1)
            while d < end:
                ordinal = d.toordinal()
                for s, e in self._intervals_of(d):
                    su = to_us(datetime.combine(d, s, tzinfo=self.tz))
                    eu = to_us(datetime.combine(d, e, tzinfo=self.tz))
                    if last is not None and su < last:  # a DST fold: keep the arrays ascending
                        su = last
                    if eu > su:
                        rows.append((ordinal, su, eu))
                        last = eu
                d += timedelta(days=1)
            self._years[year] = rows
        return rows


def to_us(dt: datetime) -> int:
    try:
        return (dt - _EPOCH) // _US
    except TypeError:
        if isinstance(dt, datetime):
            raise CalendarError(f"время без часового пояса: {dt.isoformat()}") from None
        raise


def check_extensions(done: int) -> int:
    """Searching a year further is fine; twenty years without enough working time is not."""
    if done >= MAX_EMPTY_YEARS:
        raise CalendarError(f"в календаре не найдено рабочего времени на {MAX_EMPTY_YEARS} лет вперёд или назад")
    return done + 1


def _cum_at(rng: _Range, t: int) -> int:
    i = bisect_right(rng.starts, t) - 1
    if i < 0:
        return 0
    if t < rng.ends[i]:
        return rng.cum[i] + (t - rng.starts[i])
    return rng.cum_end[i]
