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
        self.paths: dict[int, str] = {}

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
        rows = OrgUnit.objects.filter(
            level=Level.MICROGRID, is_active=True, boundary__isnull=False
        ).order_by("code")
        geoms, ids, paths = [], [], {}
        for pk, path, boundary in rows.values_list("id", "path", "boundary").iterator(chunk_size=2000):
            geoms.append(parse_polygon(boundary))
            ids.append(pk)
            paths[pk] = path
        self.ids = np.asarray(ids, dtype=np.int64)
        self.paths = paths
        self.tree = shapely.STRtree(geoms) if geoms else None

    def invalidate(self) -> None:
        with self.lock:
            self.version = None


_index = _Index()


def invalidate() -> None:
    """Forget the index; the next call rebuilds it."""
    _index.invalidate()


def locate_ids(points) -> list[int | None]:
    """Micro-grid id for each (lat, lon), or None outside every boundary. Vectorised.

    `points` is a sequence of (lat, lon) pairs or an (n, 2) array. A point on an edge shared by two
    micro-grids goes to the first of them in code order, the same one every time.
    Cost: no queries once the index is warm; one STRtree probe per point in C, no Python loop
    except building the returned list.
    """
    tree, ids = _index.get()
    n = len(points)
    if tree is None or n == 0:
        return [None] * n
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    # Contiguous x and y arrays make shapely.points several times faster than strided columns.
    pts = shapely.points(np.ascontiguousarray(arr[:, 1]), np.ascontiguousarray(arr[:, 0]))
    hit_point, hit_geom = tree.query(pts, predicate="intersects")
    found = np.full(n, -1, dtype=np.int64)
    if len(hit_point):
        # Sort by point, then by tree position (code order) and keep the first hit of each point.
        order = np.lexsort((hit_geom, hit_point))
        sp, sg = hit_point[order], hit_geom[order]
        first = np.ones(len(sp), dtype=bool)
        first[1:] = sp[1:] != sp[:-1]
        found[sp[first]] = ids[sg[first]]
    return [v if v >= 0 else None for v in found.tolist()]


def locate(lat: float, lon: float) -> Located | None:
    """The micro-grid under a point with its ancestors, or None when the point is outside the county.

    Cost: one query (two after a move elsewhere); boundaries are not loaded, a town's outline is large.
    """
    mg_id = locate_ids([(lat, lon)])[0]
    if mg_id is None:
        return None
    rows = OrgUnit.objects.defer("boundary")
    # One query for the whole chain, from the path the index remembers; if a move has made it stale,
    # the micro-grid will not be among the rows and we ask again by id.
    cached_path = _index.paths.get(mg_id, "")
    chain = list(rows.filter(path__in=_prefixes(cached_path)).order_by("path")) if cached_path else []
    if not chain or chain[-1].pk != mg_id or len(chain) != cached_path.count("/"):
        mg = rows.filter(pk=mg_id).first()
        if mg is None:  # deleted since the index was built
            invalidate()
            return None
        chain = [*rows.filter(code__in=mg.ancestor_codes[:-1]).order_by("path"), mg]
    return Located(micro_grid=chain[-1], ancestors=chain[:-1])


def _prefixes(path: str) -> list[str]:
    """Paths of a unit and its ancestors ("a/", "a/b/", ...)."""
    out, acc = [], ""
    for code in path.split("/")[:-1]:
        acc += code + "/"
        out.append(acc)
    return out


def brute_force_ids(points: list[tuple[float, float]]) -> list[int | None]:
    """Reference implementation for benchmarks and tests: test every polygon for every point."""
    rows = OrgUnit.objects.filter(level=Level.MICROGRID, is_active=True, boundary__isnull=False).order_by("code")
    polys = [(pk, parse_polygon(b)) for pk, b in rows.values_list("id", "boundary")]
    for _, g in polys:
        shapely.prepare(g)
    out: list[int | None] = []
    for lat, lon in points:
        pt = shapely.Point(lon, lat)
        out.append(next((pk for pk, g in polys if g.intersects(pt)), None))
    return out
