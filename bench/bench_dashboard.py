"""The command centre at scale: a year of county, town and grid indicators from the daily roll-ups
against the raw computation over the case table in the same run, the big screen's first load and its
refresh, and the roll-up rebuild — with the full demo county and a million cases.

    python bench/bench_dashboard.py [--data-dir DIR] [--cases 1000000] [-n 5] [--raw-n 1]

DIR is bench_cases.py's data dir (the full demo county with the cases topped up to --cases); with
DATABASE_URL set, that PostgreSQL database is used instead (built the same way when empty). Medians of
-n calls (--raw-n for the slow raw computation); queries counted on one call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's shanzhi, whatever is installed

from _common import measure  # noqa: E402
from bench_cases import prepare  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-cases"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--jobs", type=int, default=1, help="processes topping up the cases (PostgreSQL)")
    p.add_argument("-n", type=int, default=5)
    p.add_argument("--raw-n", type=int, default=1)
    p.add_argument("--skip-rebuild", action="store_true", help="reuse the stored roll-ups")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client

    from shanzhi.accounts.models import User
    from shanzhi.cases import indicators as raw
    from shanzhi.cases.models import Case
    from shanzhi.dashboard import registry
    from shanzhi.dashboard.rollups import rollups_rebuild
    from shanzhi.lib import clock
    from shanzhi.lib.periods import Period
    from shanzhi.mediation import indicators as raw_mediation
    from shanzhi.mediation.models import Dispute
    from shanzhi.org.models import OrgUnit

    rebuild_s = None
    if not args.skip_rebuild:
        t0 = time.perf_counter()
        rollups_rebuild()
        rebuild_s = time.perf_counter() - t0
        print(f"roll-ups rebuilt in {rebuild_s:.1f} s", file=sys.stderr)

    today = clock.today()
    year = Period("custom", today - dt.timedelta(days=364), today)
    county = OrgUnit.objects.get(parent__isnull=True)
    town = OrgUnit.objects.filter(parent=county).order_by("code").first()
    worker = User.objects.get(username="worker_a")
    grid = OrgUnit.objects.filter(posts__user=worker, level="grid").first()
    case_keys = [i.key for i in registry.all_indicators() if i.source == "cases"]
    mediation_keys = [i.key for i in registry.all_indicators() if i.source == "mediation"]

    def children(unit):
        return list(OrgUnit.objects.filter(parent=unit, is_active=True).defer("boundary").order_by("code"))

    def rolled(unit, keys):
        def call():
            registry.values([unit], year, keys)
            registry.values(children(unit), year, keys)
        return call

    def raw_cases(unit):
        def call():
            raw.indicators_by_unit([unit], year.start, year.end)
            raw.indicators_by_unit(children(unit), year.start, year.end)
        return call

    def raw_disputes(unit):
        def call():
            raw_mediation.indicators_for(unit, year.start, year.end)
        return call

    anon, admin = Client(), Client()
    admin.force_login(User.objects.get(username="admin"))

    def get(client, url):
        def call():
            r = client.get(url)
            if r.status_code != 200:
                raise SystemExit(f"{url}: expected 200, got {r.status_code}")
        return call

    screen = f"/dashboard/{county.code}/?period=year"
    # (label, call, repetitions, index of the raw row it is compared with)
    rows = [
        ("baseline: login page", get(anon, "/accounts/login/"), args.n, None),
        ("raw: county, year, unit + towns (case table)", raw_cases(county), args.raw_n, None),
        ("raw: town, year, unit + villages", raw_cases(town), args.raw_n, None),
        ("raw: grid, year, unit + micro-grids", raw_cases(grid), args.raw_n, None),
        ("raw: county disputes, year", raw_disputes(county), args.raw_n, None),
        ("roll-ups: county, year, unit + towns", rolled(county, case_keys), args.n, 1),
        ("roll-ups: town, year, unit + villages", rolled(town, case_keys), args.n, 2),
        ("roll-ups: grid, year, unit + micro-grids", rolled(grid, case_keys), args.n, 3),
        ("roll-ups: county disputes, year, unit + towns", rolled(county, mediation_keys), args.n, 4),
        ("big screen: county, first load (period=year)", get(admin, screen), args.n, None),
        ("big screen: county, refresh (live feed)", get(admin, f"/dashboard/{county.code}/feed/"), args.n, None),
    ]
    results = []
    for label, fn, n, ref in rows:
        median, queries = measure(fn, n)
        results.append((label, queries, median, ref))
        print(f"  {label:<52} {queries:>3} q {median:10.1f} ms", file=sys.stderr)
    base = results[0][2]
    print(f"\nCommand centre on {connection.vendor}: {Case.objects.count():,} cases, "
          f"{Dispute.objects.count():,} disputes; period {year.first} ~ {year.last}.\n")
    if rebuild_s is not None:
        print(f"Roll-up rebuild from scratch: {rebuild_s:.1f} s.\n")
    print("| what | queries | median ms | × login page | × raw |")
    print("|---|---:|---:|---:|---:|")
    for label, queries, median, ref in results:
        vs_raw = "" if ref is None else f"{median / results[ref][2]:.4f}"
        print(f"| {label} | {queries} | {median:.1f} | {median / base:.0f} | {vs_raw} |")


if __name__ == "__main__":
    main()
