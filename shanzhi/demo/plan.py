"""The shape of the demo county, decided before anything is written: units, codes, names, boundaries, sizes.

Pure Python and deterministic: the same scale and seed give the same plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shanzhi.demo import names as N
from shanzhi.demo.shapes import Quad, county_quad, split, split_columns, split_rows

# From ../shared/reference/jiashan.json (2023 statistical division codes); kept in code so an installed
# package needs no data files.
REFERENCE = {
    "county": {"code": "330421", "name": "嘉善县", "centre": {"lat": 30.841, "lon": 120.925}, "area_km2": 506.88},
    "towns": [
        {"code": "330421001", "name": "魏塘街道", "kind": "subdistrict"},
        {"code": "330421002", "name": "罗星街道", "kind": "subdistrict"},
        {"code": "330421003", "name": "惠民街道", "kind": "subdistrict"},
        {"code": "330421102", "name": "大云镇", "kind": "town"},
        {"code": "330421103", "name": "西塘镇", "kind": "town"},
        {"code": "330421105", "name": "干窑镇", "kind": "town"},
        {"code": "330421107", "name": "陶庄镇", "kind": "town"},
        {"code": "330421111", "name": "姚庄镇", "kind": "town"},
        {"code": "330421112", "name": "天凝镇", "kind": "town"},
    ],
}
AVERAGE_HOUSEHOLD = 3.2
RESIDENTS_PER_GRID = 2000


@dataclass(frozen=True)
class Scale:
    residents: int
    units: dict[str, tuple[int, int]]
    # 新联村 at this scale: households and at least this many residents.
    xinlian_households: int
    xinlian_residents: int


SCALES = {
    "full": Scale(800_000, N.TOWN_UNITS_FULL, 420, 1560),
    # ~1/50 of the residents in 18 villages; 新联村 keeps its share of an average village.
    "small": Scale(16_000, N.TOWN_UNITS_SMALL, 80, 295),
}


@dataclass
class MicroGridPlan:
    code: str
    name: str
    kind: str  # stairwell or villager_group
    quad: Quad
    households: int
    address: str  # everything before the house or room number
    urban: bool


@dataclass
class CompoundPlan:
    code: str
    name: str
    quad: Quad
    micro_grids: list[MicroGridPlan] = field(default_factory=list)


@dataclass
class GridPlan:
    code: str
    name: str
    quad: Quad
    compounds: list[CompoundPlan] = field(default_factory=list)
    direct: list[MicroGridPlan] = field(default_factory=list)  # rural grids: villagers' groups

    @property
    def micro_grids(self) -> list[MicroGridPlan]:
        return self.direct + [m for c in self.compounds for m in c.micro_grids]


@dataclass
class VillagePlan:
    code: str
    name: str
    kind: str  # village or community
    quad: Quad
    households: int
    min_residents: int
    floating_share: float
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class TownPlan:
    code: str
    name: str
    kind: str
    quad: Quad
    villages: list[VillagePlan] = field(default_factory=list)


@dataclass
class CountyPlan:
    code: str
    name: str
    quad: Quad
    scale: str
    seed: int
    towns: list[TownPlan] = field(default_factory=list)

    def villages(self) -> list[VillagePlan]:
        return [v for t in self.towns for v in t.villages]


def _split_evenly(total: int, parts: int, rng: random.Random, spread: float = 0.3) -> list[int]:
    """Split `total` into `parts` positive integers of roughly equal size, jittered."""
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [max(1, int(r)) for r in raw]
    order = sorted(range(parts), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % parts]] += 1
        i += 1
    while sum(out) > total and max(out) > 1:
        out[out.index(max(out))] -= 1
    return out


def _place_names(rng: random.Random, count: int, suffixes: list[str], used: set[str]) -> list[str]:
    out = []
    while len(out) < count:
        name = rng.choice(N.PLACE_FIRST) + rng.choice(N.PLACE_SECOND) + rng.choice(suffixes)
        if name not in used and name[0] != name[1]:
            used.add(name)
            out.append(name)
    return out


def make_plan(scale: str = "small", seed: int = 1) -> CountyPlan:
    """Lay out the whole county: every unit with its code, name, boundary and household count."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    sc = SCALES[scale]
    ref = REFERENCE
    rng = random.Random(f"shanzhi-demo-plan:{seed}")
    c = ref["county"]
    county = CountyPlan(code=c["code"], name=c["name"], scale=scale, seed=seed,
                        quad=county_quad(c["centre"]["lat"], c["centre"]["lon"], c["area_km2"], rng))
    # Towns: three columns (west, centre, east), three rows each (north to south).
    columns: list[list[str]] = [[], [], []]
    for code, (col, _row) in sorted(N.TOWN_LAYOUT.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        columns[col].append(code)
    col_weights = [sum(N.TOWN_AREA[code] for code in col) for col in columns]
    town_quads: dict[str, Quad] = {}
    for col_quad, codes in zip(split_columns(county.quad, col_weights, rng, 0.25), columns, strict=True):
        for code, q in zip(codes, split_rows(col_quad, [N.TOWN_AREA[x] for x in codes], rng, 0.25), strict=True):
            town_quads[code] = q
    named = {(town, suffix): (name, kind) for town, suffix, name, kind in N.NAMED_PLACES}
    used_names = {name for _, _, name, _ in N.NAMED_PLACES}

    # Residents per village: a spread of sizes; 新联村 is fixed by the article.
    drafts: list[tuple[TownPlan, str, str, str, float]] = []
    for t in ref["towns"]:
        town = TownPlan(code=t["code"], name=t["name"], kind=t["kind"], quad=town_quads[t["code"]])
        county.towns.append(town)
        n_comm, n_vill = sc.units[t["code"]]
        comm_names = iter(_place_names(rng, n_comm, N.COMMUNITY_SUFFIXES, used_names))
        vill_names = iter(_place_names(rng, n_vill, ["村"], used_names))
        for i in range(n_comm + n_vill):
            community = i < n_comm
            suffix = f"{i + 1:03d}" if community else f"{201 + i - n_comm:03d}"
            name, kind = named.get((t["code"], suffix), (None, "community" if community else "village"))
            if name is None:
                name = next(comm_names) if community else next(vill_names)
            weight = rng.lognormvariate(0, 0.5) * (1.4 if community and t["kind"] == "subdistrict" else 1.0)
            drafts.append((town, t["code"] + suffix, name, kind, weight))
    rest = sc.residents - sc.xinlian_residents
    total_w = sum(w for _, _, name, _, w in drafts if name != "新联村")
    for town, code, name, kind, weight in drafts:
        if name == "新联村":
            households, min_res = sc.xinlian_households, sc.xinlian_residents
        else:
            households, min_res = max(12, round(rest * weight / total_w / AVERAGE_HOUSEHOLD)), 0
        community = kind == "community"
        share = rng.uniform(0.55, 0.8) if community else rng.uniform(0.4, 0.65)
        town.villages.append(VillagePlan(code=code, name=name, kind=kind, quad=town.quad, households=households,
                                         min_residents=min_res, floating_share=share))
    for town in county.towns:
        weights = [0.35 if v.kind == "community" else 1.0 for v in town.villages]
        for v, q in zip(town.villages, split(town.quad, weights, rng), strict=True):
            v.quad = q
            _plan_grids(v, town, rng)
    return county


def _plan_grids(v: VillagePlan, town: TownPlan, rng: random.Random) -> None:
    """Grids of a village, then compounds and stairwells (communities) or villagers' groups (villages)."""
    n_grids = max(1, math.ceil(v.households * AVERAGE_HOUSEHOLD / RESIDENTS_PER_GRID))
    if v.name == "新联村":
        n_grids = max(2, n_grids)  # two grids, so the demo has grid workers A and B side by side
    community = v.kind == "community"
    group_no = 0
    used: set[str] = set()
    for gi, (hh, gq) in enumerate(zip(_split_evenly(v.households, n_grids, rng, 0.15),
                                      split(v.quad, [1.0] * n_grids, rng), strict=True)):
        grid = GridPlan(code=f"{v.code}{gi + 1:03d}", name=f"{v.name}第{N.chinese_number(gi + 1)}网格", quad=gq)
        v.grids.append(grid)
        if community:
            n_mg = max(2, round(hh / rng.uniform(14, 22)))
            n_comp = max(1, min(n_mg, round(n_mg / rng.randint(6, 12))))
            per_comp = _split_evenly(n_mg, n_comp, rng, 0.3)
            hh_comp = _split_evenly(hh, n_comp, rng, 0.2)
            for ci, (cq, k, chh) in enumerate(zip(split(gq, [float(x) for x in per_comp], rng), per_comp, hh_comp,
                                                  strict=True)):
                while True:
                    cname = rng.choice(N.COMPOUND_FIRST) + rng.choice(N.COMPOUND_SECOND)
                    if cname not in used:
                        used.add(cname)
                        break
                comp = CompoundPlan(code=f"{grid.code}{ci + 1:02d}", name=cname, quad=cq)
                grid.compounds.append(comp)
                road = rng.choice(N.ROAD_NAMES)
                gate = rng.randint(1, 600)
                counts = _split_evenly(chh, min(k, chh), rng, 0.3)
                for mi, (mq, mhh) in enumerate(zip(split(comp.quad, [1.0] * len(counts), rng), counts, strict=True)):
                    building, unit = mi // 2 + 1, mi % 2 + 1
                    comp.micro_grids.append(MicroGridPlan(
                        code=f"{comp.code}{mi + 1:03d}", name=f"{building}幢{unit}单元", kind="stairwell", quad=mq,
                        households=mhh, urban=True,
                        address=f"{town.name}{road}{gate}号{cname}{building}幢{unit}单元"))
        else:
            n_mg = max(2, min(hh, round(hh / rng.uniform(20, 30))))
            counts = _split_evenly(hh, n_mg, rng, 0.3)
            for mi, (mq, mhh) in enumerate(zip(split(gq, [1.0] * n_mg, rng), counts, strict=True)):
                group_no += 1
                gname = f"第{N.chinese_number(group_no)}村民小组" if group_no < 100 else f"第{group_no}村民小组"
                grid.direct.append(MicroGridPlan(
                    code=f"{grid.code}{mi + 1:03d}", name=gname, kind="villager_group", quad=mq, households=mhh,
                    urban=False, address=f"{town.name}{v.name}{gname}"))
