"""Staff pages on the demo county: queries per page and median latency, against a baseline.

    python bench/bench_pages.py [--scale small|full] [--data-dir DIR] [-n 20]

Builds the demo county with `shanzhi demo --scale S` into DIR (a SQLite file there, or DATABASE_URL
if set) unless DIR already holds it, then requests each page N times through Django's test Client,
logged in as the county admin and as grid worker A. Baselines measured in the same run: `SELECT 1`
and the anonymous login page. Prints a Markdown table; "x login" is the median over the login page's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, open_demo  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=["small", "full"], default="small")
    p.add_argument("--data-dir", default="", help="SHANZHI_DATA_DIR (default: a fixed temp dir per scale)")
    p.add_argument("-n", type=int, default=20, help="timed requests per page (default 20)")
    return p.parse_args()


def prepare(args: argparse.Namespace) -> Path:
    """Point Django at the bench data dir and build the demo there once."""
    return open_demo(args.data_dir or Path(tempfile.gettempdir()) / f"shanzhi-bench-pages-{args.scale}", args.scale)


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client

    from shanzhi.accounts.models import User
    from shanzhi.org.models import Level, OrgUnit

    county = OrgUnit.objects.get(level=Level.COUNTY)
    town = OrgUnit.objects.get(code="330421112")
    grid = OrgUnit.objects.get(code="330421112201001")

    def get(client: Client, url: str, status: int = 200):
        def call():
            response = client.get(url)
            if response.status_code != status:
                raise SystemExit(f"{url}: expected {status}, got {response.status_code}")
            return response
        return call

    def select_one():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    anon = Client()
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    worker = Client()
    worker.force_login(User.objects.get(username="worker_a"))

    def deep(unit: OrgUnit) -> int:
        return max(1, (unit.resident_count + 49) // 50 * 3 // 4)

    rows: list[tuple[str, str, object, str]] = [
        ("baseline: SELECT 1", "—", select_one, ""),
        ("baseline: login page", "anonymous", get(anon, "/accounts/login/"), ""),
        ("staff home (redirect)", "admin", get(admin, "/", 302), ""),
        ("county page", "admin", get(admin, f"/units/{county.code}/"), f"{county.resident_count:,} residents"),
        ("town page", "admin", get(admin, f"/units/{town.code}/"), f"{town.resident_count:,} residents"),
        ("county map GeoJSON", "admin", get(admin, f"/units/{county.code}/children.geojson"), ""),
        ("county residents p1", "admin", get(admin, f"/people/units/{county.code}/residents/"), ""),
        (f"county residents p{deep(county):,}", "admin",
         get(admin, f"/people/units/{county.code}/residents/?page={deep(county)}"), "deep page"),
        ("county households p1", "admin", get(admin, f"/people/units/{county.code}/households/"), ""),
        ("county residents, tag filter", "admin",
         get(admin, f"/people/units/{county.code}/residents/?tag=elderly_alone"), "COUNT + page"),
        ("staff home (redirect)", "worker_a", get(worker, "/", 302), ""),
        ("grid page", "worker_a", get(worker, f"/units/{grid.code}/"), f"{grid.resident_count:,} residents"),
        ("grid map GeoJSON", "worker_a", get(worker, f"/units/{grid.code}/children.geojson"), ""),
        ("grid residents p1", "worker_a", get(worker, f"/people/units/{grid.code}/residents/"), ""),
        (f"grid residents p{deep(grid)}", "worker_a",
         get(worker, f"/people/units/{grid.code}/residents/?page={deep(grid)}"), "deep page"),
        ("grid households p1", "worker_a", get(worker, f"/people/units/{grid.code}/households/"), ""),
    ]
    results = []
    for label, who, fn, note in rows:
        median, queries = measure(fn, args.n)
        results.append((label, who, queries, median, note))
        print(f"  {label:<34} {who:<9} {queries:>3} q {median:8.1f} ms", file=sys.stderr)

    base = next(r[3] for r in results if r[0] == "baseline: login page")
    db = connection.vendor
    print(f"\nStaff pages, {args.scale} demo county on {db} ({county.resident_count:,} residents, "
          f"{county.household_count:,} households); median of {args.n} requests via the Django test Client.\n")
    print("| page | user | queries | median ms | x login page | note |")
    print("|---|---|---:|---:|---:|---|")
    for label, who, queries, median, note in results:
        print(f"| {label} | {who} | {queries} | {median:.1f} | {median / base:.2f} | {note} |")


if __name__ == "__main__":
    main()
