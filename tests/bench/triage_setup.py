"""Shared set-up of the triage benchmarks: the test fixture's administration with the shipped
villages as places, and earlier cases each with its first message (not a benchmark itself)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any


def organisation_with_places() -> tuple[Any, Any, list[Any]]:
    """(the fixture's Org, its administration, its places incl. the shipped villages)."""
    from otklik.organization.models import Place
    from otklik.triage.engine import Gazetteer
    from tests.conftest import make_org

    org = make_org()
    adm = org.adm
    existing = {p.name for p in org.places.values()}
    Place.objects.bulk_create(
        Place(administration=adm, name=p.name, kind="street" if p.kind == "street" else "settlement")
        for p in Gazetteer.default().places
        if p.name not in existing
    )
    return org, adm, list(Place.objects.filter(administration=adm))


def earlier_cases(
    org: Any,
    places: Sequence[Any],
    source: Any,
    texts: Sequence[str],
    rng: random.Random,
    *,
    n: int,
    first: dt.datetime,
    step: dt.timedelta,
    text: Callable[[random.Random, str], str] = lambda _rng, t: t,
    batch: int = 10_000,
) -> None:
    """``n`` cases detected every ``step`` from ``first``, each with a message from ``texts``."""
    from otklik.cases.models import Case
    from otklik.inbox.models import Message

    for lo in range(0, n, batch):
        cases = Case.objects.bulk_create(
            (
                Case(
                    administration=org.adm,
                    number=i + 1,
                    network="vk",
                    summary="",
                    place=rng.choice(places),
                    detected_at=first + step * i,
                    detected_by=org.users["curator"],
                )
                for i in range(lo, min(n, lo + batch))
            ),
            batch_size=2000,
        )
        Message.objects.bulk_create(
            (
                Message(
                    administration=org.adm,
                    source=source,
                    network="vk",
                    external_id=f"old-{c.number}",
                    text=text(rng, rng.choice(texts)),
                    author_id=f"a{rng.randrange(20000)}",
                    received_at=c.detected_at,
                    case=c,
                    status=Message.Status.IN_CASE,
                )
                for c in cases
            ),
            batch_size=2000,
        )
