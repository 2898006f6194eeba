"""П.23: heightened activity — spikes of messages per (topic, place) against their own baseline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from otklik.organization.models import Administration
from otklik.triage.engine import SpikeDetector


def _detector() -> SpikeDetector:
    options = getattr(settings, "OTKLIK_SPIKE_DETECTOR", {}) or {}
    return SpikeDetector(
        window=dt.timedelta(hours=float(options.get("window_hours", 24))),
        baseline_windows=int(options.get("baseline_windows", 14)),
        min_count=int(options.get("min_count", 3)),
    )


def spikes_for(
    administration: Administration, now: dt.datetime | None = None, *, detector: SpikeDetector | None = None
) -> list[dict[str, Any]]:
    """Spikes of messages per (topic, place) against their own baseline, from ``Message.triage``.

    A message counts once per place it names (or once with no place), at its publication time
    when known (a first poll that brings two weeks of posts is not a spike), else its receipt.
    """
    from otklik.inbox.models import Message

    now = now or timezone.now()
    detector = detector or _detector()
    since = now - detector.window * (detector.baseline_windows + 1)
    rows = (
        Message.objects.filter(administration=administration, received_at__gte=since, received_at__lte=now)
        .exclude(triage={})
        .values_list("triage", "published_at", "received_at")
    )
    meta: dict[tuple[str, str], dict[str, Any]] = {}
    events = []
    for triage, published_at, received_at in rows.iterator(chunk_size=2000):
        if not isinstance(triage, dict) or "error" in triage or not triage.get("topic"):
            continue
        at = published_at if published_at is not None and since <= published_at <= now else received_at
        topic_name = str(triage.get("topic_name") or triage["topic"])
        places = [p for p in triage.get("places") or [] if isinstance(p, dict) and p.get("name")] or [{}]
        for place in places:
            key = (topic_name, str(place.get("name") or ""))
            if key not in meta:
                meta[key] = {
                    "topic": triage["topic"],
                    "topic_name": topic_name,
                    "topic_id": triage.get("topic_id"),
                    "place": key[1],
                    "place_id": place.get("place_id"),
                }
            events.append((key, at))
    out = []
    for alert in detector.detect_events(events, now):
        out.append(
            {
                **meta[alert.key],  # type: ignore[index]
                "count": alert.count,
                "baseline": alert.baseline,
                "z": alert.z,
                "p_value": alert.p_value,
                "window_hours": detector.window.total_seconds() / 3600,
                "explanation": alert.explanation,
            }
        )
    return out
