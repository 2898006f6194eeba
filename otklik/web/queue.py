"""Reads of the curator's work queue (П.8, 12): the inbox filtered and sorted by deadline, who
has a message open, the next message after a decision, the dismissed list, and the context panel
(the author's earlier messages and cases, open cases at the same place).

Every message has the same routing limit counted from its receipt (П.8: 30 working minutes), so
the nearest deadline is the oldest message: the queue is oldest first. Filters read the indexed
columns or the message's triage suggestions (``Message.triage``, a JSON object) within the
administration's new messages (the ``message_inbox`` index); nothing is computed per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from otklik.cases.models import Case, open_condition
from otklik.cases.selectors import cases_visible_to
from otklik.core.fulltext import search_messages
from otklik.domain.networks import NETWORK_CHOICES
from otklik.inbox.models import PRESENCE_TTL, Message, MessagePresence
from otklik.organization.services import Actor

IMPORTANCE_LEVELS = ("low", "normal", "high", "critical")
SCREEN_CHOICES = ("flagged", "clean")
CONTEXT_LIMIT = 8


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass
class QueueFilter:
    q: str = ""
    network: str | None = None
    source_id: int | None = None
    topic_id: int | None = None
    place_id: int | None = None
    importance: str | None = None
    screen: str | None = None

    @classmethod
    def from_query(cls, data: QueryDict) -> QueueFilter:
        networks = {code for code, _t in NETWORK_CHOICES}
        return cls(
            q=(data.get("q") or "").strip()[:200],
            network=data.get("network") if data.get("network") in networks else None,
            source_id=_int(data.get("source")),
            topic_id=_int(data.get("topic")),
            place_id=_int(data.get("place")),
            importance=data.get("importance") if data.get("importance") in IMPORTANCE_LEVELS else None,
            screen=data.get("screen") if data.get("screen") in SCREEN_CHOICES else None,
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.network, self.source_id, self.topic_id, self.place_id, self.importance, self.screen))

    def query(self) -> str:
        """The filter as a query string (for the pager, the live poll and «следующее»)."""
        params = QueryDict(mutable=True)
        for key, value in (
            ("q", self.q),
            ("network", self.network),
            ("source", self.source_id),
            ("topic", self.topic_id),
            ("place", self.place_id),
            ("importance", self.importance),
            ("screen", self.screen),
        ):
            if value:
                params[key] = str(value)
        return params.urlencode()


def queue(actor: Actor, f: QueueFilter | None = None, *, status: str = Message.Status.NEW) -> QuerySet[Message]:
    """The administration's messages of ``status`` matching ``f``, nearest deadline (oldest) first."""
    if not (actor.is_curator or actor.is_head):
        return Message.objects.none()
    qs: QuerySet[Message] = Message.objects.filter(administration=actor.administration, status=status).select_related(
        "source"
    )
    f = f or QueueFilter()
    if f.network:
        qs = qs.filter(network=f.network)
    if f.source_id:
        qs = qs.filter(source_id=f.source_id)
    if f.topic_id:
        qs = qs.filter(triage__topic_id=f.topic_id)
    if f.place_id:
        qs = qs.filter(triage__places__0__place_id=f.place_id)
    if f.importance:
        qs = qs.filter(triage__importance__level=f.importance)
    if f.screen == "flagged":
        qs = qs.filter(triage__screen__processable=False)
    elif f.screen == "clean":
        # a message the screen has not seen (no key) counts as clean
        qs = qs.filter(Q(triage__screen__processable=True) | Q(triage__screen__processable__isnull=True))
    if f.q:
        qs = search_messages(qs, f.q)
    return qs.order_by("received_at", "id")


def next_message(actor: Actor, after: Message, f: QueueFilter | None = None) -> Message | None:
    """The message to take after deciding ``after``: the next one in the queue, else the first."""
    qs = queue(actor, f).exclude(pk=after.pk)
    later = qs.filter(Q(received_at__gt=after.received_at) | Q(received_at=after.received_at, id__gt=after.pk))
    return later.first() or qs.first()


def presence(message_ids: list[int], *, now: dt.datetime, exclude_user: int | None = None) -> dict[int, list[str]]:
    """Message id → the names of the other people who have it open now (one query for a page)."""
    qs = MessagePresence.objects.filter(
        message_id__in=message_ids, seen_at__gte=now - dt.timedelta(seconds=PRESENCE_TTL)
    ).select_related("user")
    if exclude_user is not None:
        qs = qs.exclude(user_id=exclude_user)
    result: dict[int, list[str]] = {}
    for p in qs.order_by("seen_at"):
        result.setdefault(p.message_id, []).append(p.user.get_full_name() or p.user.get_username())
    return result


@dataclass
class ContextPanel:
    author_messages: list[Message] = field(default_factory=list)
    author_cases: list[Case] = field(default_factory=list)
    place_cases: list[Case] = field(default_factory=list)
    place_name: str = ""

    @property
    def empty(self) -> bool:
        return not (self.author_messages or self.author_cases or self.place_cases)


def context_panel(
    actor: Actor, message: Message, *, place_id: int | None = None, exclude_case: int | None = None
) -> ContextPanel:
    """What the curator (or an executor on the case) should know beside the message: the author's
    earlier messages in the same network and the cases they are in, and the open cases at the
    same place. The author is matched by the network's id (a display name is not a person)."""
    panel = ContextPanel()
    adm = actor.administration
    # An executor (on the case page) sees only what is in the cases visible to them.
    visible = None if actor.sees_everything else cases_visible_to(actor).values("pk")
    if message.author_id:
        messages_qs = Message.objects.filter(
            administration=adm, network=message.network, author_id=message.author_id
        ).exclude(pk=message.pk)
        if visible is not None:
            messages_qs = messages_qs.filter(case_id__in=visible)
        earlier = messages_qs.select_related("case").order_by("-received_at", "-id")[: CONTEXT_LIMIT * 2]
        seen: set[int] = set()
        for m in earlier:
            if len(panel.author_messages) < CONTEXT_LIMIT:
                panel.author_messages.append(m)
            if m.case is not None and m.case_id not in seen and m.case_id != exclude_case:
                seen.add(m.case_id)
                panel.author_cases.append(m.case)
        panel.author_cases = panel.author_cases[:CONTEXT_LIMIT]
    if place_id:
        cases: QuerySet[Case] = (
            Case.objects.filter(administration=adm, place_id=place_id).filter(open_condition()).select_related("place")
        )
        if exclude_case:
            cases = cases.exclude(pk=exclude_case)
        if visible is not None:
            cases = cases.filter(pk__in=visible)
        panel.place_cases = list(cases.order_by("next_deadline_at", "id")[:CONTEXT_LIMIT])
        if panel.place_cases and panel.place_cases[0].place is not None:
            panel.place_name = panel.place_cases[0].place.name
    return panel


def filter_choices(actor: Actor) -> dict[str, Any]:
    """The options of the queue's filters (the administration's sources, topics and places)."""
    from django.utils.translation import gettext as _

    from otklik.inbox.models import Source
    from otklik.organization.models import Place, Topic
    from otklik.web.forms import IMPORTANCE_CHOICES

    adm = actor.administration
    return {
        "networks": [(code, _(title)) for code, title in NETWORK_CHOICES],
        "sources": Source.objects.filter(administration=adm).order_by("name"),
        "topics": Topic.objects.filter(administration=adm, is_active=True),
        "places": Place.objects.filter(administration=adm).order_by("name"),
        "importances": IMPORTANCE_CHOICES,
        "screens": [("flagged", _("возможно, п. 19")), ("clean", _("без признаков п. 19"))],
    }
