"""Find the micro-grid under a point through an in-memory spatial index (shapely STRtree).

The index is built once per process from the micro-grid boundaries and rebuilt when the tree
changes: services call `invalidate()` on commit, and other processes notice within
`RECHECK_SECONDS` through a cheap version query.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import Count, Max

from shanzhi.lib.geometry import parse_polygon
from shanzhi.org.models import Level, OrgUnit

RECHECK_SECONDS = 10.0


@dataclass(frozen=True)
class Located:
    micro_grid: OrgUnit
    ancestors: list[OrgUnit]  # county first, the micro-grid's parent last

    @property
    def chain(self) -> list[OrgUnit]:
        return [*self.ancestors, self.micro_grid]


class _Index:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple | None = None
        self.checked_at = 0.0
        self.tree: shapely.STRtree | None = None
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)

    @staticmethod
    def _db_version() -> tuple:
        agg = OrgUnit.objects.filter(level=Level.MICROGRID).aggregate(n=Count("id"), t=Max("updated_at"))
        return (agg["n"], agg["t"])

    def get(self) -> tuple[shapely.STRtree | None, np.ndarray]:
        with self.lock:
            now = time.monotonic()
            if self.version is None or now - self.checked_at > RECHECK_SECONDS:
                version = self._db_version()
                self.checked_at = now
                if version != self.version:
                    self._build()
                    self.version = version
            return self.tree, self.ids

    def _build(self) -> None:
        rows = OrgUnit.objects.filter(level=Level.MICROGRID, is_active=True, boundary__isnull=False)
        geoms, ids = [], []
        for pk, boundary in rows.values_list("id", "boundary").iterator(chunk_size=2000):
            geoms.append(parse_polygon(boundary))
            ids.append(pk)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.tree = shapely.STRtree(geoms) if geoms else None

    def invalidate(self) -> None:
        with self.lock:
            self.version = None


_index = _Index()


def invalidate() -> None:
    """Forget the index; the next call rebuilds it."""
    _index.invalidate()


def locate_ids(points: list[tuple[float, float]]) -> list[int | None]:
    """Micro-grid id for each (lat, lon), or None outside every boundary. Vectorised.

    Cost: no queries once the index is warm; ~one STRtree probe per point in C.
    """
    tree, ids = _index.get()
    result: list[int | None] = [None] * len(points)
    if tree is None or not points:
        return result
    arr = np.asarray(points, dtype=float)
    pts = shapely.points(arr[:, 1], arr[:, 0])
    hit_point, hit_geom = tree.query(pts, predicate="intersects")
    # A point on a shared edge hits two micro-grids; keep the first, deterministically.
    order = np.lexsort((hit_geom, hit_point))
    seen = np.ones(len(order), dtype=bool)
    sp = hit_point[order]
    seen[1:] = sp[1:] != sp[:-1]
    for p, g in zip(sp[seen], hit_geom[order][seen], strict=True):
        result[int(p)] = int(ids[g])
    return result


def locate(lat: float, lon: float) -> Located | None:
    """The micro-grid under a point with its ancestors, or None when the point is outside the county."""
    mg_id = locate_ids([(lat, lon)])[0]
    if mg_id is None:
        return None
    mg = OrgUnit.objects.get(pk=mg_id)
    ancestors = list(OrgUnit.objects.filter(code__in=mg.ancestor_codes[:-1]).order_by("path"))
    return Located(micro_grid=mg, ancestors=ancestors)


def brute_force_ids(points: list[tuple[float, float]]) -> list[int | None]:
    """Reference implementation for benchmarks and tests: test every polygon for every point."""
    rows = OrgUnit.objects.filter(level=Level.MICROGRID, is_active=True, boundary__isnull=False)
    polys = [(pk, parse_polygon(b)) for pk, b in rows.values_list("id", "boundary")]
    for _, g in polys:
        shapely.prepare(g)
    out: list[int | None] = []
    for lat, lon in points:
        pt = shapely.Point(lon, lat)
        out.append(next((pk for pk, g in polys if g.intersects(pt)), None))
    return out
