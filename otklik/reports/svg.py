"""Server-side SVG pictures for the Head's dashboard: no CDN, no script, nothing to download.

Pure functions from plain data to an SVG string; every text and link is escaped here, so the
result can be put into a page as it is. Pictures scale with their box (``viewBox``, no fixed
size); each mark is a link to the list behind it and carries a ``<title>`` (the browser's
tooltip and the screen reader's text). Legends are drawn by the page, outside the picture, so
they never cover data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape


def esc(value: object) -> str:
    return escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------
# the trend


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str
    kind: str = "line"  # "line" or "bar"


@dataclass(frozen=True)
class Mark:
    value: int
    href: str
    title: str


def nice_ceiling(value: float) -> int:
    """The axis top: 1, 2, 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return int(step * exponent)
    return int(10 * exponent)


def axis(biggest: float) -> tuple[int, int]:
    """(tick, top) of a value axis: whole-number ticks of 1, 2, 5 × 10ⁿ, three to five of them."""
    tick = nice_ceiling(max(biggest, 1) / 4)
    top = max(tick * math.ceil(max(biggest, 1) / tick), tick)
    return tick, top


def trend_svg(
    labels: Sequence[str],
    series: Sequence[Series],
    marks: Mapping[str, Sequence[Mark]],
    *,
    title: str,
    width: int = 360,
    height: int = 200,
) -> str:
    """Bars for the series of kind "bar", lines with dots for the others, one column per label."""
    left, right, top, bottom = 28, 6, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    tick, top_value = axis(max([m.value for s in series for m in marks.get(s.key, ())] or [0]))
    step = plot_w / n

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    out = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
    ]
    for k in range(top_value // tick + 1):  # grid and the value axis, whole numbers only
        v = k * tick
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        out.append(f'<text class="axis" x="{left - 4}" y="{y(v) + 3.5:.1f}" text-anchor="end">{int(v)}</text>')
    every = 1 if n <= 8 else 2
    for i, label in enumerate(labels):
        if (n - 1 - i) % every == 0:  # the latest column is always labelled
            out.append(f'<text class="axis" x="{x(i):.1f}" y="{height - bottom + 15}" text-anchor="middle">'
                       f"{esc(label)}</text>")  # fmt: skip
    bars = [s for s in series if s.kind == "bar"]
    bar_w = step * 0.7 / max(len(bars), 1)
    for b, s in enumerate(bars):
        for i, m in enumerate(marks.get(s.key, ())):
            bx = x(i) - step * 0.35 + b * bar_w
            h = plot_h * m.value / top_value
            out.append(
                f'<a href="{esc(m.href)}"><rect class="bar" fill="{esc(s.color)}" x="{bx:.1f}" y="{y(m.value):.1f}" '
                f'width="{bar_w:.1f}" height="{max(h, 0):.1f}"><title>{esc(m.title)}</title></rect></a>'
            )
    for s in series:
        if s.kind != "line":
            continue
        points = list(marks.get(s.key, ()))
        path = " ".join(f"{x(i):.1f},{y(m.value):.1f}" for i, m in enumerate(points))
        out.append(f'<polyline class="line" fill="none" stroke="{esc(s.color)}" points="{path}"/>')
        for i, m in enumerate(points):
            out.append(
                f'<a href="{esc(m.href)}"><circle class="dot" fill="{esc(s.color)}" cx="{x(i):.1f}" '
                f'cy="{y(m.value):.1f}" r="3.2"><title>{esc(m.title)}</title></circle></a>'
            )
    out.append(f'<line class="axisline" x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# the map


@dataclass(frozen=True)
class MapPoint:
    name: str
    latitude: float
    longitude: float
    count: int
    href: str
    title: str


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), km."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def map_svg(
    points: Sequence[MapPoint],
    *,
    title: str,
    bounds: tuple[float, float, float, float] | None = None,
    width: int = 360,
) -> str:
    """Settlements as circles (area ∝ count) on an equirectangular projection scaled by cos φ,
    with a graticule every half degree and a scale bar. ``bounds`` (south, west, north, east)
    keeps the frame still from month to month; by default the points' own extent."""
    if not points and not bounds:
        return ""
    lats = [p.latitude for p in points]
    lons = [p.longitude for p in points]
    south, west, north, east = bounds or (min(lats), min(lons), max(lats), max(lons))
    pad_lat = max((north - south) * 0.12, 0.08)
    pad_lon = max((east - west) * 0.08, 0.12)
    south, north, west, east = south - pad_lat, north + pad_lat, west - pad_lon, east + pad_lon
    k = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * k, north - south
    scale = (width - 20) / span_x
    height = int(span_y * scale + 40)

    def px(lat: float, lon: float) -> tuple[float, float]:
        return 10 + (lon - west) * k * scale, 10 + (north - lat) * scale

    out = [
        f'<svg class="chart map" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
        f'<rect class="land" x="10" y="10" width="{width - 20}" height="{height - 40:.0f}"/>',
    ]
    grid = 0.5
    lat = math.ceil(south / grid) * grid
    while lat < north:
        _, gy = px(lat, west)
        out.append(f'<line class="grid" x1="10" x2="{width - 10}" y1="{gy:.1f}" y2="{gy:.1f}"/>')
        out.append(f'<text class="axis" x="13" y="{gy - 2:.1f}">{lat:.1f}°</text>')
        lat += grid
    lon = math.ceil(west / grid) * grid
    while lon < east:
        gx, _ = px(north, lon)
        out.append(f'<line class="grid" x1="{gx:.1f}" x2="{gx:.1f}" y1="10" y2="{height - 30}"/>')
        out.append(f'<text class="axis" x="{gx + 2:.1f}" y="{height - 33}">{lon:.1f}°</text>')
        lon += grid
    # scale bar: a round number of km about a quarter of the width
    km_per_px = _km(south, west, south, east) / (width - 20)
    bar_km = nice_ceiling(km_per_px * (width - 20) / 5)
    bar_px = bar_km / km_per_px
    y0 = height - 14
    out.append(f'<line class="scale" x1="14" x2="{14 + bar_px:.1f}" y1="{y0}" y2="{y0}"/>')
    out.append(f'<text class="axis" x="{18 + bar_px:.1f}" y="{y0 + 4}">{bar_km} км</text>')
    biggest = max([p.count for p in points] or [1]) or 1
    for p in sorted(points, key=lambda p: -p.count):  # small circles on top of big ones
        cx, cy = px(p.latitude, p.longitude)
        r = 3 + 16 * math.sqrt(p.count / biggest) if p.count else 2.5
        cls = "place" if p.count else "place empty"
        label = f"{p.name} · {p.count}" if p.count else p.name
        on_left = cx > width * 0.72  # labels near the east edge go to the left of their circle
        tx, anchor = (cx - r - 3, "end") if on_left else (cx + r + 3, "start")
        out.append(
            f'<a href="{esc(p.href)}"><g class="{cls}"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}"/>'
            f'<text x="{tx:.1f}" y="{cy + 4:.1f}" text-anchor="{anchor}">{esc(label)}</text>'
            f"<title>{esc(p.title)}</title></g></a>"
        )
    out.append("</svg>")
    return "".join(out)
