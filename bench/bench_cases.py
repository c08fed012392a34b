"""Cases at scale: the grid worker's queue, Open311 `GET requests` with filters, and a year of indicators,
with a million cases loaded: median latency and queries per page, against the login page in the same run.

    python bench/bench_cases.py [--data-dir DIR] [--cases 1000000] [-n 10]

DIR holds the full demo county (built with `shanzhi demo --scale full` when empty; bench_pages.py's
directory can be reused). The cases are topped up to exactly --cases with the demo's year-of-cases generator
(shanzhi/demo/casegen.py, `count=`), spread over the last 365 days. Requests go through Django's test Client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, open_demo  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-cases"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--jobs", type=int, default=1, help="processes topping up the cases (PostgreSQL)")
    p.add_argument("-n", type=int, default=10)
    return p.parse_args()


def prepare(args: argparse.Namespace) -> None:
    open_demo(args.data_dir, args.scale)
    # Pages name their static files through the manifest `shanzhi serve` makes at start.
    subprocess.run([sys.executable, "-m", "shanzhi", "collectstatic", "--noinput", "-v0"], check=True,
                   cwd=Path(__file__).resolve().parent.parent)
    from shanzhi.cases.models import Case
    from shanzhi.demo.casegen import generate_cases

    have = Case.objects.count()
    if have < args.cases:
        missing = args.cases - have
        jobs = getattr(args, "jobs", 1)
        print(f"adding {missing:,} cases over the last 365 days in {jobs} process(es) ...", file=sys.stderr)
        t0 = time.monotonic()
        if jobs <= 1:
            made = generate_cases(count=missing, days=365, seed=have + 1, progress=True)  # exactly --cases in all
        else:
            made = _generate_in_parallel(missing, jobs, seed=have + 1)
        print(f"added {made:,} cases in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def _generate_in_parallel(count: int, jobs: int, *, seed: int) -> int:
    """`count` cases from `jobs` forked processes, each a stretch of days of its own (split_count), then the
    roll-ups rebuilt once. For PostgreSQL; SQLite takes one writer at a time."""
    import datetime as dt
    import multiprocessing

    from django.db import connections
    from django.utils import timezone

    from shanzhi.dashboard.rollups import rollups_rebuild
    from shanzhi.demo.casegen import generate_cases, split_count

    end = timezone.localdate() - dt.timedelta(days=1)
    parts = split_count(count, 365, end, jobs)
    connections.close_all()  # each child opens its own
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=generate_cases, kwargs={
        "count": n, "days": days, "end": last, "seed": seed + i, "progress": i == 0, "rollups": False})
        for i, (n, days, last) in enumerate(parts)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    if any(child.exitcode for child in children):
        raise SystemExit("a case generator failed")
    rollups_rebuild(since=end - dt.timedelta(days=364), parts=("cases",))
    return count


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.cases.models import Case

    def get(client: Client, url: str, status: int = 200):
        def call():
            r = client.get(url)
            if r.status_code != status:
                raise SystemExit(f"{url}: expected {status}, got {r.status_code}")
            return r
        return call

    anon, admin, town, worker = Client(), Client(), Client(), Client()
    admin.force_login(User.objects.get(username="admin"))
    town.force_login(User.objects.get(username="town"))
    worker.force_login(User.objects.get(username="worker_a"))
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    month_ago = timezone.localtime() - dt.timedelta(days=30)
    start = month_ago.strftime("%Y-%m-%dT%H:%M:%S%z")
    start = start[:-2] + ":" + start[-2:]
    year = f"?period=custom&from={year_ago:%Y-%m-%d}&to={today:%Y-%m-%d}"
    rows = [
        ("baseline: login page", "anonymous", get(anon, "/accounts/login/")),
        ("grid worker queue", "worker_a", get(worker, "/cases/queue/")),
        ("grid worker queue, overdue only", "worker_a", get(worker, "/cases/queue/?overdue=1")),
        ("town staff: all cases, status + category", "town", get(town, "/cases/all/?status=closed&category=garbage")),
        ("Open311 GET requests (default 90 days)", "anonymous", get(anon, "/open311/v2/requests.json")),
        ("Open311 GET requests, service_code + status + start_date", "anonymous",
         get(anon, f"/open311/v2/requests.json?service_code=garbage,road&status=open&start_date={start}")),
        ("indicators: town, one year", "town", get(town, f"/cases/indicators/330421112/{year}")),
        ("indicators: county, one year", "admin", get(admin, f"/cases/indicators/330421/{year}")),
        ("indicators: grid, one year", "worker_a", get(worker, f"/cases/indicators/330421112201001/{year}")),
    ]
    results = []
    for label, who, fn in rows:
        median, queries = measure(fn, args.n)
        results.append((label, who, queries, median))
        print(f"  {label:<58} {queries:>3} q {median:9.1f} ms", file=sys.stderr)
    base = results[0][3]
    total = Case.objects.count()
    print(f"\nCases at scale on {connection.vendor}: {total:,} cases; median of {args.n} requests "
          f"(Django test Client).\n")
    print("| page | user | queries | median ms | × login page |")
    print("|---|---|---:|---:|---:|")
    for label, who, queries, median in results:
        print(f"| {label} | {who} | {queries} | {median:.1f} | {median / base:.1f} |")


if __name__ == "__main__":
    main()
