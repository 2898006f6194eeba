"""П.23: what reaches the Head at once, at any time of day.

* A socially significant case (``Case.significant`` set by the curator) or message (its triage
  suggestions say ``"significant": true``) — once per case / message.
* Heightened activity: a spike of messages per (topic, place) found by the triage engine's
  ``SpikeDetector`` over the messages' triage suggestions — once per key and local day.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from otklik.organization.models import Administration

from .models import Notification
from .services import case_url, heads, notify

log = logging.getLogger(__name__)


def alert_significant_case(case: Any, *, now: dt.datetime | None = None) -> int:
    """Tell the Head about a significant case (flag or triage of its messages); once per case."""
    now = now or timezone.now()
    flagged = list(case.messages.filter(triage__significant=True).values_list("pk", flat=True))
    if not (case.significant or flagged):
        return 0
    if not case.significant:
        told = Notification.objects.filter(dedupe_key__in=[f"significant:message:{pk}" for pk in flagged])
        if told.values("dedupe_key").distinct().count() == len(flagged):
            return 0  # the Head already heard of these messages; the curator's flag would tell again
    adm = case.administration
    reasons = []
    for message in case.messages.all()[:5]:
        reasons += list((message.triage or {}).get("significance_reasons") or [])
    body = case.summary[:500]
    if reasons:
        body += "\n\nПризнаки: " + "; ".join(dict.fromkeys(str(r) for r in reasons))
    created = notify(
        recipients=heads(adm),
        title=f"П. 23: социально значимое обращение № {case.number}",
        body=body,
        url=case_url(case),
        kind=Notification.Kind.SIGNIFICANT,
        administration=adm,
        case_id=case.pk,
        urgent=True,
        dedupe_key=f"significant:case:{case.pk}",
        now=now,
    )
    return len(created)


def significant_message_body(message: Any) -> str:
    """What the Head needs to judge an alert, and no personal data (152-ФЗ): the network, the
    triage's reasons, topic and place — not the author, not the text; those are behind the link."""
    triage = message.triage or {}
    lines = [f"Сеть: {message.get_network_display()}."]
    reasons = [str(r) for r in triage.get("significance_reasons") or []]
    if reasons:
        lines.append("Признаки: " + "; ".join(dict.fromkeys(reasons)) + ".")
    places = [str(p.get("name")) for p in triage.get("places") or [] if isinstance(p, dict) and p.get("name")]
    where = ", ".join(x for x in (str(triage.get("topic_name") or ""), ", ".join(places[:2])) if x)
    if where:
        lines.append(f"Тема и место: {where}.")
    lines.append("Текст сообщения — по ссылке.")
    return "\n".join(lines)


def alert_significant_messages(now: dt.datetime | None = None, *, lookback: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Messages whose triage says significant, not yet in a case the Head was told about."""
    from otklik.inbox.models import Message

    now = now or timezone.now()
    sent = 0
    rows = (
        Message.objects.filter(triage__significant=True, received_at__gte=now - lookback)
        .select_related("administration")
        .order_by("received_at")
    )
    for message in rows.iterator(chunk_size=200):
        adm = message.administration
        if message.case_id and Notification.objects.filter(dedupe_key=f"significant:case:{message.case_id}").exists():
            continue
        created = notify(
            recipients=heads(adm),
            title="П. 23: социально значимое сообщение",
            body=significant_message_body(message),
            url=message.url or "/",
            kind=Notification.Kind.SIGNIFICANT,
            administration=adm,
            urgent=True,
            dedupe_key=f"significant:message:{message.pk}",
            now=now,
        )
        sent += len(created)
    return sent


def _detector() -> Any:
    from otklik.triage.engine.spikes import SpikeDetector

    options = getattr(settings, "OTKLIK_SPIKE_DETECTOR", {}) or {}
    window = dt.timedelta(hours=float(options.get("window_hours", 24)))
    return SpikeDetector(
        window=window,
        baseline_windows=int(options.get("baseline_windows", 14)),
        min_count=int(options.get("min_count", 3)),
    )


def spike_events(administration: Administration, *, since: dt.datetime, until: dt.datetime) -> list[tuple[Any, Any]]:
    """(key, received_at) per message: key = (topic name, first place name) from triage."""
    from otklik.inbox.models import Message

    rows = Message.objects.filter(
        administration=administration, received_at__gte=since, received_at__lte=until
    ).values_list("triage__topic_name", "triage__places__0__name", "received_at")
    return [((topic or "", place or ""), at) for topic, place, at in rows if topic or place]


def alert_spikes(now: dt.datetime | None = None) -> int:
    """Run the spike detector per administration; alert the Head once per key and local day."""
    now = now or timezone.now()
    detector = _detector()
    span = detector.window * (detector.baseline_windows + 1)
    sent = 0
    for adm in Administration.objects.filter(is_active=True):
        events = spike_events(adm, since=now - span, until=now)
        if not events:
            continue
        today = timezone.localtime(now, adm.calendar.tz).date().isoformat()
        for alert in detector.detect_events(events, now):
            topic, place = alert.key
            created = notify(
                recipients=heads(adm),
                title=f"П. 23: всплеск активности — {', '.join(x for x in (topic, place) if x)}",
                body=alert.explanation,
                url="/",
                kind=Notification.Kind.SPIKE,
                administration=adm,
                urgent=True,
                dedupe_key=f"spike:{topic}:{place}:{today}"[:200],
                now=now,
            )
            sent += len(created)
    return sent
