"""П.23 heightened social activity: spikes of messages per (topic, place).

Pure functions over counts. For each key, the last window's count is compared with the previous
windows (its own baseline): a robust z-score (median and MAD) and the Poisson upper tail with
λ = mean of the baseline. An alert needs at least ``min_count`` messages and either
z ≥ ``z_threshold`` or p ≤ ``alpha``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SpikeAlert:
    key: Hashable
    count: int
    baseline: float  # median of the previous windows
    z: float
    p_value: float
    explanation: str


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
    return max(0.0, 1.0 - cdf)


def _describe(key: Hashable) -> str:
    if isinstance(key, tuple):
        return ", ".join(str(k) for k in key if k)
    return str(key)


@dataclass(slots=True)
class SpikeDetector:
    window: timedelta = timedelta(hours=24)
    baseline_windows: int = 14
    min_count: int = 3
    z_threshold: float = 3.5
    alpha: float = 0.001
    min_lambda: float = 0.2  # a quiet key still has some chance of a message

    def check(self, series: Sequence[int], key: Hashable = "") -> SpikeAlert | None:
        """``series``: counts per window, oldest first; the last one is the current window."""
        if not series:
            return None
        current = int(series[-1])
        base = [int(c) for c in series[:-1]][-self.baseline_windows :]
        if current < self.min_count:
            return None
        med = statistics.median(base) if base else 0.0
        mad = statistics.median([abs(c - med) for c in base]) if base else 0.0
        scale = 1.4826 * mad if mad > 0 else max(1.0, math.sqrt(max(med, 1.0)))
        z = (current - med) / scale
        lam = max(self.min_lambda, statistics.fmean(base) if base else self.min_lambda)
        p = poisson_sf(current, lam)
        if z < self.z_threshold and p > self.alpha:
            return None
        hours = self.window.total_seconds() / 3600
        explanation = (
            f"Всплеск: {_describe(key)} — {current} сообщ. за {hours:g} ч при обычных {med:g} "
            f"(медиана за {len(base)} предыдущих окон); z = {z:.1f}, вероятность случайно ≤ {p:.2g}"
        )
        return SpikeAlert(key, current, float(med), round(z, 2), p, explanation)

    def detect(self, counts: Mapping[Hashable, Sequence[int]]) -> list[SpikeAlert]:
        alerts = [a for key, s in counts.items() if (a := self.check(s, key)) is not None]
        return sorted(alerts, key=lambda a: a.p_value)

    def bucket(self, events: Iterable[tuple[Hashable, datetime]], now: datetime) -> dict[Hashable, list[int]]:
        """Count events ``(key, at)`` into windows ending at ``now``, oldest first."""
        n = self.baseline_windows + 1
        out: dict[Hashable, list[int]] = {}
        for key, at in events:
            age = now - at
            if age < timedelta(0):
                continue
            idx = int(age / self.window)
            if idx >= n:
                continue
            out.setdefault(key, [0] * n)[n - 1 - idx] += 1
        return out

    def detect_events(self, events: Iterable[tuple[Hashable, datetime]], now: datetime) -> list[SpikeAlert]:
        return self.detect(self.bucket(events, now))
