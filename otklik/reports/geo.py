"""Where the okrug's settlements are, for the Head's map (offline: no tiles, no geocoder).

A place's coordinates are its own fields (``Place.latitude/longitude``, set in the admin) or else
the shipped ``data/settlements.csv`` by name (sources named in the file). Streets and objects
count for their settlement.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from django.db.models import Count

from otklik.organization.models import Administration, Place


def name_key(name: str) -> str:
    return " ".join(name.lower().replace("ё", "е").split())


@lru_cache(maxsize=1)
def shipped_coordinates() -> dict[str, tuple[float, float]]:
    """Settlement name (folded) → (latitude, longitude) from the shipped file; rows without
    coordinates are skipped."""
    text = resources.files("otklik.reports").joinpath("data", "settlements.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#"))))
    out = {}
    for row in rows:
        try:
            out[name_key(row["name"])] = (float(row["latitude"]), float(row["longitude"]))
        except (TypeError, ValueError):
            continue
    return out


@dataclass
class Settlement:
    place_id: int
    name: str
    latitude: float | None
    longitude: float | None
    count: int = 0

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def settlement_of(place: Any, by_id: dict[int, Any]) -> Any:
    """The settlement a street or object belongs to (the place itself if it is one)."""
    seen = set()
    while place.kind != Place.Kind.SETTLEMENT and place.parent_id and place.parent_id not in seen:
        seen.add(place.pk)
        place = by_id.get(place.parent_id, place)
        if place.pk in seen:
            break
    return place


def settlement_counts(
    adm: Administration, lo: dt.datetime, hi: dt.datetime, *, by_place: dict[int, int] | None = None
) -> list[Settlement]:
    """Every settlement of the administration with the cases detected there in the period
    (``by_place``: those cases counted by place already, as the dashboard's places are)."""
    from otklik.cases.models import Case

    places = list(Place.objects.filter(administration=adm))
    by_id = {p.pk: p for p in places}
    shipped = shipped_coordinates()
    settlements: dict[int, Settlement] = {}
    for p in places:
        if p.kind != Place.Kind.SETTLEMENT:
            continue
        lat, lon = p.latitude, p.longitude
        if lat is None or lon is None:
            lat, lon = shipped.get(name_key(p.name), (None, None))
        settlements[p.pk] = Settlement(p.pk, p.name, lat, lon)
    if by_place is None:
        by_place = dict(
            Case.objects.filter(administration=adm, detected_at__gte=lo, detected_at__lt=hi, place__isnull=False)
            .values_list("place_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    for place_id, n in by_place.items():
        place = by_id.get(place_id)
        if place is None:
            continue
        home = settlement_of(place, by_id)
        if home.pk in settlements:
            settlements[home.pk].count += n
    return sorted(settlements.values(), key=lambda s: (-s.count, s.name))
