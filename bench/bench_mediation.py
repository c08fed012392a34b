"""Mediation indicators over a year of disputes: median latency and queries per call, against baselines
measured in the same run (SELECT 1 and the login page).

    python bench/bench_mediation.py [--data-dir DIR] [--scale small|full] [--per-day 60] [-n 10]

DIR holds a demo county (built with `shanzhi demo --scale SCALE` when empty; a directory that already
has one is reused). Disputes are topped up to a year at --per-day with the demo's generator
(shanzhi/mediation/demo.py). Timed: shanzhi.mediation.indicators.indicators_for for the county, a town
and a village over the last 365 days, the centre overview page (mediation:centre) when it exists, and
the disputes API list, through Django's test Client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, open_demo  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-mediation"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--per-day", type=float, default=60.0, help="disputes a day over the year (default 60)")
    p.add_argument("-n", type=int, default=10, help="timed runs per row (median reported)")
    return p.parse_args()


def prepare(args: argparse.Namespace) -> None:
    open_demo(args.data_dir, args.scale)
    from shanzhi.mediation.demo import generate_disputes, install_centres
    from shanzhi.mediation.models import Dispute

    install_centres()  # a county built before the mediation phase existed gets its centres
    want = int(args.per_day * 365 * 0.8)  # the generator's own count varies by a few per cent
    have = Dispute.objects.count()
    if have < want:
        missing = want - have
        print(f"adding about {missing:,} disputes over the last 365 days ...", file=sys.stderr)
        t0 = time.monotonic()
        made = generate_disputes(per_day=missing / 365, days=365, seed=have + 1, progress=True)
        print(f"added {made:,} disputes in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.mediation.indicators import indicators_for
    from shanzhi.mediation.models import Centre, Dispute, Session
    from shanzhi.org.models import Level, OrgUnit

    def get(client: Client, url: str):
        def call():
            r = client.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: expected 200, got {r.status_code}")
            return r
        return call

    def select_one():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    end = timezone.now()
    start = end - dt.timedelta(days=365)
    county = OrgUnit.objects.get(level=Level.COUNTY)
    town = OrgUnit.objects.get(code="330421112")
    village = Centre.objects.filter(unit__level=Level.VILLAGE).select_related("unit").first()
    anon, admin = Client(), Client()
    admin.force_login(User.objects.get(username="admin"))
    rows = [
        ("baseline: SELECT 1", "-", select_one),
        ("baseline: login page", "anonymous", get(anon, "/accounts/login/")),
        ("indicators_for(county, 365 days)", "-", lambda: indicators_for(county, start, end)),
        ("indicators_for(天凝镇, 365 days)", "-", lambda: indicators_for(town, start, end)),
    ]
    if village is not None:
        rows.append((f"indicators_for({village.unit.name}, 365 days)", "-",
                     lambda: indicators_for(village.unit, start, end)))
    try:
        rows.append(("centre overview page (county)", "admin", get(admin, reverse("mediation:centre",
                                                                                    args=[county.code]))))
    except NoReverseMatch:
        print("  (no mediation:centre page yet: skipped)", file=sys.stderr)
    rows.append(("API: GET /api/v1/disputes/ (first page)", "admin", get(admin, "/api/v1/disputes/")))
    results = []
    for label, who, fn in rows:
        try:
            median, queries = measure(fn, args.n)
        except Exception as exc:  # a page another piece of work has not finished: say so, time the rest
            print(f"  {label}: skipped ({exc})", file=sys.stderr)
            continue
        results.append((label, who, queries, median))
        print(f"  {label:<48} {queries:>3} q {median:9.2f} ms", file=sys.stderr)
    select1, login = results[0][3], results[1][3]
    total = Dispute.objects.count()
    print(f"\nMediation at {args.scale} scale on {connection.vendor}: {total:,} disputes "
          f"({Dispute.objects.filter(registered_at__gte=start).count():,} in the last 365 days), "
          f"{Session.objects.count():,} sessions, {Centre.objects.count()} centres; median of {args.n} calls.\n")
    print("| what | user | queries | median ms | × SELECT 1 | × login page |")
    print("|---|---|---:|---:|---:|---:|")
    for label, who, queries, median in results:
        print(f"| {label} | {who} | {queries} | {median:.2f} | {median / select1:.0f} | {median / login:.2f} |")


if __name__ == "__main__":
    main()
