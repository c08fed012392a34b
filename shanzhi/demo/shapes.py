"""Boundaries for the synthetic county: convex quadrilaterals split into children that tile them exactly.

A quad is (bottom-left, bottom-right, top-right, top-left), each a (lon, lat) tuple. A split cuts it
with segments from one edge to the opposite edge; neighbouring children share the very same vertex
tuples, so siblings never overlap and their union is the parent. Every piece stays convex, so a
bilinear blend of the corners is always inside it (used for household points).
"""

from __future__ import annotations

import math
import random

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]

M_PER_DEG_LAT = 111_195.0


def _lerp(p: Point, q: Point, t: float) -> Point:
    return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)


def _dist_m(p: Point, q: Point) -> float:
    sx = M_PER_DEG_LAT * math.cos(math.radians((p[1] + q[1]) / 2))
    return math.hypot((q[0] - p[0]) * sx, (q[1] - p[1]) * M_PER_DEG_LAT)


def county_quad(lat: float, lon: float, area_km2: float, rng: random.Random) -> Quad:
    """A slightly skewed quad of about `area_km2` around a centre."""
    aspect = 1.1  # a little wider than tall, like Jiashan
    h_km = math.sqrt(area_km2 / aspect)
    w_km = area_km2 / h_km
    dx = w_km * 1000 / 2 / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    dy = h_km * 1000 / 2 / M_PER_DEG_LAT

    def j() -> float:
        return rng.uniform(-0.04, 0.04)

    return (
        (lon - dx * (1 + j()), lat - dy * (1 + j())),
        (lon + dx * (1 + j()), lat - dy * (1 + j())),
        (lon + dx * (1 + j()), lat + dy * (1 + j())),
        (lon - dx * (1 + j()), lat + dy * (1 + j())),
    )


def _cuts(weights: list[float], rng: random.Random, jitter: float) -> tuple[list[float], list[float]]:
    """Cumulative cut fractions on the two opposite edges, jittered but strictly increasing."""
    total = sum(weights)
    base = [0.0]
    for w in weights:
        base.append(base[-1] + w / total)
    base[-1] = 1.0
    one, two = [0.0], [0.0]
    for i in range(1, len(base) - 1):
        gap = min(base[i] - base[i - 1], base[i + 1] - base[i])
        d = rng.uniform(-jitter, jitter) * gap
        one.append(base[i] + d)
        two.append(base[i] - d)
    one.append(1.0)
    two.append(1.0)
    return one, two


def split_columns(quad: Quad, weights: list[float], rng: random.Random, jitter: float = 0.3) -> list[Quad]:
    """Cut a quad west to east into len(weights) columns with widths in proportion to the weights."""
    a, b, c, d = quad
    fb, ft = _cuts(weights, rng, jitter)
    bottom = [a] + [_lerp(a, b, t) for t in fb[1:-1]] + [b]
    top = [d] + [_lerp(d, c, t) for t in ft[1:-1]] + [c]
    return [(bottom[i], bottom[i + 1], top[i + 1], top[i]) for i in range(len(weights))]


def split_rows(quad: Quad, weights: list[float], rng: random.Random, jitter: float = 0.3) -> list[Quad]:
    """Cut a quad north to south into len(weights) rows with heights in proportion to the weights."""
    a, b, c, d = quad
    fl, fr = _cuts(weights, rng, jitter)
    left = [d] + [_lerp(d, a, t) for t in fl[1:-1]] + [a]
    right = [c] + [_lerp(c, b, t) for t in fr[1:-1]] + [b]
    return [(left[i + 1], right[i + 1], right[i], left[i]) for i in range(len(weights))]


def split(quad: Quad, weights: list[float], rng: random.Random) -> list[Quad]:
    """Tile a quad with len(weights) children, areas roughly in proportion to the weights.

    Children come in columns (west to east), each column cut into rows (north to south), in the order
    of `weights`, so neighbouring codes are neighbours on the map.
    """
    n = len(weights)
    if n == 1:
        return [quad]
    a, b, c, d = quad
    width = (_dist_m(a, b) + _dist_m(d, c)) / 2
    height = (_dist_m(a, d) + _dist_m(b, c)) / 2
    cols = max(1, min(n, round(math.sqrt(n * width / max(height, 1.0)))))
    groups: list[list[float]] = []
    start = 0
    for i in range(cols):
        size = n // cols + (1 if i < n % cols else 0)
        groups.append(weights[start:start + size])
        start += size
    out: list[Quad] = []
    for col, group in zip(split_columns(quad, [sum(g) for g in groups], rng), groups, strict=True):
        out.extend(split_rows(col, group, rng) if len(group) > 1 else [col])
    return out


def point_in(quad: Quad, u: float, v: float) -> Point:
    """The point at (u, v) in [0, 1]² of a quad by bilinear blending; inside for 0 < u, v < 1."""
    a, b, c, d = quad
    lo = _lerp(a, b, u)
    hi = _lerp(d, c, u)
    return _lerp(lo, hi, v)


def geojson(quad: Quad) -> dict:
    """The quad as a closed GeoJSON Polygon ring, counter-clockwise."""
    ring = [list(p) for p in quad]
    ring.append(list(quad[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def bbox_fields(quad: Quad) -> dict[str, float]:
    """OrgUnit's bounding box and centre for a quad, computed without shapely."""
    lons = [p[0] for p in quad]
    lats = [p[1] for p in quad]
    return {
        "min_lon": min(lons), "min_lat": min(lats), "max_lon": max(lons), "max_lat": max(lats),
        "centre_lon": sum(lons) / 4, "centre_lat": sum(lats) / 4,
    }
