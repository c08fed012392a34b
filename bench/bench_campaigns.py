"""Campaign engine at full scale: assignment of the whole county, 新联村 mobilisation, the live board.

    python bench/bench_campaigns.py [--data-dir DIR] [-n 10]

DIR holds the full demo county (built with `shanzhi demo --scale full --no-cases` when empty).
Measured in one run:
- the assignment algorithm over every household of the county (~250,000) to central households at 1:10,
  against a plain round-robin of the same households and helpers: time, largest load, share in the same
  micro-grid;
- 新联村 mobilisation through `incident_declare` (scope, assignment, targets stored, audit): time from the
  call to every assignment committed;
- the live board of that incident (the board's partial when the field pages exist, else the progress
  selector): median latency and queries per refresh.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import open_demo  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-campaigns"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("-n", type=int, default=10)
    return p.parse_args()


def prepare(args) -> None:
    open_demo(args.data_dir, args.scale, "--no-cases")


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from shanzhi.accounts.models import User
    from shanzhi.campaigns import assign as A
    from shanzhi.campaigns.models import Campaign, Rule, Target
    from shanzhi.campaigns.scope import resolve
    from shanzhi.campaigns.selectors import progress
    from shanzhi.campaigns.services import _homes_and_helpers, incident_declare
    from shanzhi.lib import clock
    from shanzhi.org.models import OrgUnit
    from shanzhi.people.models import Household

    rows = []
    # 1. the whole county, in memory: our assignment against round-robin
    ids = list(Household.objects.filter(is_active=True).values_list("id", flat=True))
    probe = Campaign(rule=Rule.CENTRAL_HOUSEHOLD, capacity=10)
    t0 = time.perf_counter()
    homes, helpers, _meta = _homes_and_helpers(probe, ids)
    read_s = time.perf_counter() - t0
    group_of = {h.id: h.group for h in homes}
    hgroup = {h.id: h.group for h in helpers}
    own = {h.own_home for h in helpers if h.own_home}
    for label, fn in (("round-robin (baseline)", lambda: A.round_robin(homes, helpers)),
                      ("assign(): links, same micro-grid, nearest, capacity", lambda: A.assign(homes, helpers).helper_of)):
        t0 = time.perf_counter()
        result = fn()
        secs = time.perf_counter() - t0
        loads: dict[int, int] = {}
        for home_id, hid in result.items():
            if home_id not in own:
                loads[hid] = loads.get(hid, 0) + 1
        same = sum(1 for home_id, hid in result.items() if group_of[home_id] == hgroup[hid])
        rows.append((label, len(homes), len(helpers), secs, max(loads.values() or [0]), same / max(1, len(result)),
                     len(homes) - len(result)))
    print(f"\nAssignment of the whole county to central households (read: {read_s:.1f} s, "
          f"{len(homes):,} households, {len(helpers):,} central households)\n")
    print("| method | households | helpers | seconds | largest load | same micro-grid | unassigned |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = rows[0][3]
    for label, nh, nk, secs, largest, share, un in rows:
        print(f"| {label} | {nh:,} | {nk:,} | {secs:.2f} ({secs / base:.1f}×) | {largest} | {share:.1%} | {un:,} |")

    # 2. 新联村 mobilisation through the service
    town = User.objects.get(username="town")
    village = OrgUnit.objects.get(code="330421112201")
    t0 = time.perf_counter()
    scope = resolve(actor=town, units=[village.code])
    campaign = incident_declare(actor=town, type="新冠肺炎密切接触", occurred_at=clock.now(), place="天凝镇新联村",
                                scope=scope)
    secs = time.perf_counter() - t0
    n = Target.objects.filter(campaign=campaign).count()
    assigned = Target.objects.filter(campaign=campaign, central__isnull=False).count()
    largest = max(Target.objects.filter(campaign=campaign).exclude(central__household_id=None)
                  .values_list("central_id", flat=True).order_by().values("central_id")
                  .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
                  .values_list("n", flat=True) or [0])
    print(f"\n新联村 mobilisation: {n} households, {assigned} assigned to central households of the village, "
          f"largest load {largest} (incl. own household), declaration to all assignments committed: {secs:.2f} s\n")

    # 3. the live board
    client = Client()
    client.force_login(town)
    try:
        url = reverse("campaigns:board_partial", args=[campaign.pk])

        def refresh():
            r = client.get(url)
            assert r.status_code == 200, r.status_code
    except NoReverseMatch:
        children = list(village.children.all())

        def refresh():
            progress(campaign=campaign, unit=village, children=children)
    refresh()
    with CaptureQueriesContext(connection) as ctx:
        refresh()
    queries = len(ctx)  # read now: the next request resets the connection's query log
    times = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        refresh()
        times.append((time.perf_counter() - t0) * 1000)
    login = Client()
    lt = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        login.get("/accounts/login/")
        lt.append((time.perf_counter() - t0) * 1000)
    med, base_ms = statistics.median(times), statistics.median(lt)
    print("| live board refresh | queries | median ms | × login page |")
    print("|---|---:|---:|---:|")
    print(f"| baseline: login page | 0 | {base_ms:.1f} | 1.0 |")
    print(f"| 新联村 incident board | {queries} | {med:.1f} | {med / base_ms:.1f} |")


if __name__ == "__main__":
    main()
