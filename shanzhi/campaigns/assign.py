"""Give every household one responsible person: existing links first, then the same micro-grid
(least-loaded first), then the nearest helper in the same village with room; within capacity.

Pure functions over plain tuples, so they can be tested exhaustively (see tests/test_assign.py) and
run on a whole county in seconds.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

NO_HELPER = "本村社没有可分配的责任人"
FULL = "本村社责任人已满（容量不足）"


@dataclass(frozen=True)
class Home:
    id: int
    group: int  # micro-grid (or grid for grid workers)
    village: int
    lat: float | None
    lon: float | None
    linked: int | None = None  # helper id this household is already linked to (registry)


@dataclass(frozen=True)
class Helper:
    id: int
    group: int
    village: int
    lat: float | None
    lon: float | None
    capacity: int
    own_home: int | None = None  # a helper's own household is theirs, outside the capacity


@dataclass
class Assignment:
    helper_of: dict[int, int]
    unassigned: dict[int, str]
    load: dict[int, int]


def assign(homes: list[Home], helpers: list[Helper], *, exclude: set[int] = frozenset()) -> Assignment:
    """Assign each home to at most one helper with room; list the rest with the reason."""
    helpers = [h for h in helpers if h.id not in exclude]
    by_id = {h.id: h for h in helpers}
    load = dict.fromkeys(by_id, 0)
    helper_of: dict[int, int] = {}
    own = {h.own_home: h.id for h in helpers if h.own_home is not None}

    def room(hid: int) -> bool:
        return load[hid] < by_id[hid].capacity

    # 1. a helper's own home, and links already kept in the registry
    for home in homes:
        if home.id in own:
            helper_of[home.id] = own[home.id]
        elif home.linked in by_id and room(home.linked):
            helper_of[home.id] = home.linked
            load[home.linked] += 1

    # 2. same group, least loaded first (ties: lower id), deterministic
    group_heaps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for h in helpers:
        heapq.heappush(group_heaps[h.group], (load[h.id], h.id))
    for home in sorted(homes, key=lambda x: x.id):
        if home.id in helper_of:
            continue
        heap = group_heaps.get(home.group)
        while heap:
            cur_load, hid = heap[0]
            if cur_load != load[hid]:
                heapq.heapreplace(heap, (load[hid], hid))
                continue
            if not room(hid):
                heapq.heappop(heap)
                continue
            helper_of[home.id] = hid
            load[hid] += 1
            heapq.heapreplace(heap, (load[hid], hid))
            break

    # 3. nearest helper in the same village with room
    village_helpers: dict[int, list[Helper]] = defaultdict(list)
    for h in helpers:
        village_helpers[h.village].append(h)
    unassigned: dict[int, str] = {}
    left: dict[int, list[Home]] = defaultdict(list)
    for home in homes:
        if home.id not in helper_of:
            left[home.village].append(home)
    for village, vhomes in left.items():
        cands = [h for h in village_helpers.get(village, []) if h.lat is not None]
        if not village_helpers.get(village):
            for home in vhomes:
                unassigned[home.id] = NO_HELPER
            continue
        ids = np.array([h.id for h in cands], dtype=np.int64)
        pts = np.array([[h.lat, h.lon] for h in cands], dtype=float).reshape(-1, 2)
        coslat = np.cos(np.radians(pts[:, 0].mean())) if len(pts) else 1.0
        for home in sorted(vhomes, key=lambda x: x.id):
            free = np.array([room(int(i)) for i in ids], dtype=bool) if len(ids) else np.zeros(0, bool)
            if not free.any() or home.lat is None:
                fallback = [h for h in village_helpers[village] if room(h.id)]
                if fallback and home.lat is None:
                    best = min(fallback, key=lambda h: (load[h.id], h.id)).id
                else:
                    unassigned[home.id] = FULL
                    continue
            else:
                d = (pts[:, 0] - home.lat) ** 2 + ((pts[:, 1] - home.lon) * coslat) ** 2
                d[~free] = np.inf
                best = int(ids[int(np.argmin(d))])
            helper_of[home.id] = best
            load[best] += 1
    return Assignment(helper_of=helper_of, unassigned=unassigned, load=load)


def round_robin(homes: list[Home], helpers: list[Helper]) -> dict[int, int]:
    """Baseline for benchmarks: deal homes to helpers in turn, ignoring place and capacity."""
    if not helpers:
        return {}
    return {home.id: helpers[i % len(helpers)].id for i, home in enumerate(homes)}


def walk_order(points: list[tuple[int, float | None, float | None]], start: tuple[float, float] | None = None
               ) -> list[int]:
    """A sensible walking route: nearest-neighbour from the start (or the first point)."""
    placed = [(i, la, lo) for i, la, lo in points if la is not None]
    order = [i for i, la, _ in points if la is None]
    if not placed:
        return order
    coords = np.array([[la, lo] for _, la, lo in placed])
    ids = [i for i, _, _ in placed]
    coslat = np.cos(np.radians(coords[:, 0].mean()))
    remaining = np.ones(len(placed), bool)
    cur = np.array(start) if start is not None else coords[0]
    route = []
    for _ in range(len(placed)):
        d = (coords[:, 0] - cur[0]) ** 2 + ((coords[:, 1] - cur[1]) * coslat) ** 2
        d[~remaining] = np.inf
        j = int(np.argmin(d))
        route.append(ids[j])
        remaining[j] = False
        cur = coords[j]
    return route + order
