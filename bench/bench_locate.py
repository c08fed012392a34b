"""Benchmark locate() over a Jiashan-size grid: 11,000+ micro-grids, single and batched, against brute force.

Builds a synthetic tiling straight into a fresh SQLite database (county -> 9 towns -> 160 villages ->
480 grids -> 12,000 micro-grids with jittered, shared edges), then measures points per second for:

- locate_ids() batched (100,000 random points in the county, one call),
- locate_ids() one point per call, and locate() (one point, with its ancestors from the database),
- brute_force_ids() (every polygon tested for every point) on a small sample, extrapolated,

all in the same run, and prints a Markdown table with ratios against the brute-force baseline.

    python bench/bench_locate.py [--points 100000] [--single 5000] [--brute 200] [--seed 7]
                                 [--import-units]

`--import-units` also times `import_units` of the 12,000 micro-grids (GeoJSON, all validations) into
the tree above them, to show the import is not quadratic.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Jiashan: about 23 km x 22 km around (30.841 N, 120.925 E).
LON_MIN, LON_MAX = 120.80, 121.05
LAT_MIN, LAT_MAX = 30.74, 30.94
NX, NY = 120, 100  # micro-grid lattice: 12,000 cells of about 200 m x 220 m
GRID_W = 5  # micro-grids per grid side: 25 per grid, 480 grids
VILLAGE_W = 3  # grids per village along x: 160 villages
TOWN_CODES = ["330421001", "330421002", "330421003", "330421102", "330421103", "330421105", "330421107",
              "330421111", "330421112"]
TOWN_NAMES = ["魏塘街道", "罗星街道", "惠民街道", "大云镇", "西塘镇", "干窑镇", "陶庄镇", "姚庄镇", "天凝镇"]


def setup_django(tmp: Path) -> None:
    os.environ["SHANZHI_DATA_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def lattice(rng: np.random.Generator):
    """Jittered lattice corners and edge midpoints; edges on the county outline stay straight."""
    dx, dy = (LON_MAX - LON_MIN) / NX, (LAT_MAX - LAT_MIN) / NY
    xs = LON_MIN + np.arange(NX + 1) * dx
    ys = LAT_MIN + np.arange(NY + 1) * dy
    cx, cy = np.meshgrid(xs, ys, indexing="ij")  # corners [i, j]
    jx = rng.uniform(-0.22, 0.22, cx.shape) * dx
    jy = rng.uniform(-0.22, 0.22, cy.shape) * dy
    jx[0, :] = jx[-1, :] = 0
    jy[:, 0] = jy[:, -1] = 0
    jx[:, 0] = jx[:, -1] = 0  # keep the top and bottom outline straight in x too (no slivers)
    jy[0, :] = jy[-1, :] = 0
    cx, cy = cx + jx, cy + jy
    # Midpoint of the horizontal edge (i,j)-(i+1,j), pushed up or down; of the vertical edge (i,j)-(i,j+1),
    # pushed left or right.
    hx = (cx[:-1, :] + cx[1:, :]) / 2
    hy = (cy[:-1, :] + cy[1:, :]) / 2 + rng.uniform(-0.12, 0.12, (NX, NY + 1)) * dy
    hy[:, 0], hy[:, -1] = LAT_MIN, LAT_MAX
    vx = (cx[:, :-1] + cx[:, 1:]) / 2 + rng.uniform(-0.12, 0.12, (NX + 1, NY)) * dx
    vy = (cy[:, :-1] + cy[:, 1:]) / 2
    vx[0, :], vx[-1, :] = LON_MIN, LON_MAX
    return cx, cy, hx, hy, vx, vy


def cell_ring(i: int, j: int, lat_lon) -> list[list[float]]:
    cx, cy, hx, hy, vx, vy = lat_lon
    pts = [
        (cx[i, j], cy[i, j]), (hx[i, j], hy[i, j]), (cx[i + 1, j], cy[i + 1, j]), (vx[i + 1, j], vy[i + 1, j]),
        (cx[i + 1, j + 1], cy[i + 1, j + 1]), (hx[i, j + 1], hy[i, j + 1]), (cx[i, j + 1], cy[i, j + 1]),
        (vx[i, j], vy[i, j]),
    ]
    ring = [[float(x), float(y)] for x, y in pts]
    return [*ring, ring[0]]


def town_of(vi: int, vj: int) -> int:
    """Town index (0-8) of a village at village-lattice column vi (0-7) and row vj (0-19)."""
    col = 0 if vi < 3 else (1 if vi < 6 else 2)
    row = 0 if vj < 7 else (1 if vj < 14 else 2)
    return row * 3 + col


def build_tiling(seed: int):
    """Return the unit rows (dicts) of the whole tree, parents first; micro-grids last."""
    import shapely
    from shapely.geometry import mapping

    rng = np.random.default_rng(seed)
    lat_lon = lattice(rng)
    gx, gy = NX // GRID_W, NY // GRID_W  # 24 x 20 grids
    vx_n = gx // VILLAGE_W  # 8 x 20 villages
    micro: dict[tuple[int, int], list] = {}
    for i in range(NX):
        for j in range(NY):
            micro[(i, j)] = shapely.Polygon(cell_ring(i, j, lat_lon))
    bad = [k for k, g in micro.items() if not g.is_valid]
    if bad:
        raise SystemExit(f"jitter made {len(bad)} invalid cells")

    rows: list[dict] = []
    county = {"code": "330421", "name": "嘉善县", "level": "county", "kind": "county", "parent": None}
    towns = [{"code": c, "name": n, "level": "town", "kind": "subdistrict" if n.endswith("街道") else "town",
              "parent": "330421", "geoms": []} for c, n in zip(TOWN_CODES, TOWN_NAMES, strict=True)]
    villages, grids, micros = [], [], []
    seq_in_town = [0] * 9
    for vj in range(gy):
        for vi in range(vx_n):
            t = town_of(vi, vj)
            seq_in_town[t] += 1
            vcode = f"{TOWN_CODES[t]}{200 + seq_in_town[t]:03d}"
            village = {"code": vcode, "name": f"{TOWN_NAMES[t][:2]}{seq_in_town[t]}村", "level": "village",
                       "kind": "village", "parent": TOWN_CODES[t], "geoms": []}
            for k in range(VILLAGE_W):
                gi = vi * VILLAGE_W + k
                gcode = f"{vcode}{k + 1:03d}"
                grid = {"code": gcode, "name": f"{village['name']}第{k + 1}网格", "level": "grid", "kind": "grid",
                        "parent": vcode, "geoms": []}
                n = 0
                for a in range(GRID_W):
                    for b in range(GRID_W):
                        n += 1
                        g = micro[(gi * GRID_W + a, vj * GRID_W + b)]
                        micros.append({"code": f"{gcode}{n:03d}", "name": f"{grid['name']}{n}组",
                                       "level": "microgrid", "kind": "villager_group", "parent": gcode,
                                       "geom": g})
                        grid["geoms"].append(g)
                grid["geom"] = shapely.union_all(grid.pop("geoms"))
                village["geoms"].append(grid["geom"])
                grids.append(grid)
            village["geom"] = shapely.union_all(village.pop("geoms"))
            towns[t]["geoms"].append(village["geom"])
            villages.append(village)
    for t in towns:
        t["geom"] = shapely.union_all(t.pop("geoms"))
    county["geom"] = shapely.box(LON_MIN, LAT_MIN, LON_MAX, LAT_MAX)
    rows = [county, *towns, *villages, *grids, *micros]
    for r in rows:
        r["boundary"] = mapping(r["geom"])
        # GeoJSON as stored by the app: lists, not tuples.
        r["boundary"] = {"type": r["boundary"]["type"], "coordinates": _lists(r["boundary"]["coordinates"])}
    return rows


def _lists(x):
    return [_lists(v) for v in x] if isinstance(x, list | tuple) else x


def insert_rows(rows: list[dict]) -> None:
    """Bulk-insert the tree (the bench measures locate, not the services)."""
    from shanzhi.org.models import OrgUnit

    paths: dict[str, str] = {}
    ids: dict[str, int] = {}
    for level in ("county", "town", "village", "grid", "microgrid"):
        batch = []
        for r in rows:
            if r["level"] != level:
                continue
            parent = r["parent"]
            path = (paths[parent] if parent else "") + r["code"] + "/"
            paths[r["code"]] = path
            g = r["geom"]
            c = g.representative_point()
            minx, miny, maxx, maxy = g.bounds
            batch.append(OrgUnit(code=r["code"], name=r["name"], level=level, kind=r["kind"],
                                 parent_id=ids[parent] if parent else None, path=path, boundary=r["boundary"],
                                 min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
                                 centre_lat=c.y, centre_lon=c.x))
        for u in OrgUnit.objects.bulk_create(batch, batch_size=1000):
            ids[u.code] = u.pk
        if level == "county" or not batch:
            continue
    # bulk_create on SQLite returns pks; make sure they are all there
    missing = [r["code"] for r in rows if r["code"] not in ids]
    if missing:
        ids.update(dict(OrgUnit.objects.filter(code__in=missing).values_list("code", "id")))


def timed(fn, *args, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--single", type=int, default=5_000)
    ap.add_argument("--brute", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--import-units", action="store_true", help="also time import_units of the micro-grids")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="sz-bench-locate-"))
    atexit.register(shutil.rmtree, tmp, True)  # the database is throw-away
    setup_django(tmp)
    from shanzhi.org import locate as loc
    from shanzhi.org.models import Level, OrgUnit

    t0 = time.perf_counter()
    rows = build_tiling(args.seed)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    tree_rows = rows if not args.import_units else [r for r in rows if r["level"] != "microgrid"]
    insert_rows(tree_rows)
    t_insert = time.perf_counter() - t0

    import_line = None
    if args.import_units:
        import_line = bench_import(rows, tmp)
    n_micro = OrgUnit.objects.filter(level=Level.MICROGRID).count()

    rng = np.random.default_rng(args.seed + 1)
    lats = rng.uniform(LAT_MIN - 0.01, LAT_MAX + 0.01, args.points)
    lons = rng.uniform(LON_MIN - 0.01, LON_MAX + 0.01, args.points)
    points = list(zip(lats.tolist(), lons.tolist(), strict=True))

    loc.invalidate()
    t_index, _ = timed(loc.locate_ids, points[:1])
    t_batch, batch_ids = timed(loc.locate_ids, points, repeat=3)
    single_pts = points[: args.single]

    def single_calls(pts):
        return [loc.locate_ids([p])[0] for p in pts]

    t_single, single_ids = timed(single_calls, single_pts)
    assert single_ids == batch_ids[: len(single_pts)]
    full_pts = points[: min(1000, args.single)]
    t_full, _ = timed(lambda pts: [loc.locate(lat, lon) for lat, lon in pts], full_pts)

    brute_pts = points[: args.brute]
    # brute_force_ids() loads and parses every polygon per call: time that alone and take it off.
    t_brute_load, _ = timed(loc.brute_force_ids, [], repeat=3)
    t_brute_total, brute_ids = timed(loc.brute_force_ids, brute_pts, repeat=2)
    t_brute = max(t_brute_total - t_brute_load, 1e-9)
    mismatches = sum(1 for a, b in zip(brute_ids, batch_ids, strict=False) if a != b)
    outside = sum(1 for x in batch_ids if x is None)

    brute_rate = len(brute_pts) / t_brute
    table = [
        ("brute_force_ids() (baseline, extrapolated)", len(brute_pts), t_brute, brute_rate),
        ("locate() one point, with its ancestors (1 query)", len(full_pts), t_full, len(full_pts) / t_full),
        ("locate_ids() one point per call", len(single_pts), t_single, len(single_pts) / t_single),
        ("locate_ids() batched, one call", len(points), t_batch, len(points) / t_batch),
    ]
    print(f"\nlocate() over {n_micro:,} micro-grids (synthetic Jiashan-size tiling, SQLite, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]})\n")
    print("| method | points | seconds | points/s | vs brute force |")
    print("|---|---:|---:|---:|---:|")
    for name, n, t, rate in table:
        print(f"| {name} | {n:,} | {t:.3f} | {rate:,.0f} | {rate / brute_rate:,.1f}x |")
    print()
    print(f"- tiling built in {t_build:.1f} s, inserted in {t_insert:.1f} s; index built in {t_index:.2f} s "
          f"(first call); brute force loads polygons in {t_brute_load:.2f} s per call (not counted above)")
    print(f"- {outside:,} of {len(points):,} random points fall outside the county (margin of 0.01 degrees)")
    print(f"- brute force and batched agree on {len(brute_pts) - mismatches}/{len(brute_pts)} points")
    if import_line:
        print(import_line)
    if mismatches:
        raise SystemExit("locate_ids disagrees with brute force")


def bench_import(rows: list[dict], tmp: Path) -> str:
    """Time import_units of the micro-grids as one GeoJSON file (every validation runs)."""
    import json

    from shanzhi.org.geojson_io import import_feature_collection

    feats = [{"type": "Feature", "geometry": r["boundary"],
              "properties": {"code": r["code"], "name": r["name"], "level": r["level"], "kind": r["kind"]}}
             for r in rows if r["level"] == "microgrid"]
    path = tmp / "micro.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False))
    t0 = time.perf_counter()
    report = import_feature_collection(path.read_bytes(), actor=None)
    t = time.perf_counter() - t0
    if report.problems:
        raise SystemExit(f"import refused: {report.problems[:5]}")
    return (f"- import_units of {len(feats):,} micro-grids (GeoJSON, validated, audited): {t:.1f} s, "
            f"{len(feats) / t:,.0f} units/s")


if __name__ == "__main__":
    main()
