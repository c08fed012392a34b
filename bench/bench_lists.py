"""The daily pages at a million cases: the grid worker's queue and the case lists of a town and the county,
median latency and queries per page against the login page in the same run, on SQLite and/or PostgreSQL.

    python bench/bench_lists.py --db sqlite|postgres|both [--sqlite-dir DIR] [--pg-url URL] [--pg-dir DIR]
                                [--cases 1000000] [-n 10] [--deep-page 200]

Each database is measured in its own process (Django binds one database per process). A data dir holds the
full demo county (built with `shanzhi demo --scale full` when empty) and is topped up to --cases with the
demo's year-of-cases generator, as bench_cases.py does; --cases 0 measures whatever is there. For
PostgreSQL the data dir holds only the keys; the rows live in the database of --pg-url (created first).
Requests go through Django's test Client.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's shanzhi, whatever is installed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--sqlite-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-cases"))
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/shanzhi_bench_lists")
    p.add_argument("--pg-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-lists-pg"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--jobs", type=int, default=1, help="processes topping up the cases (PostgreSQL)")
    p.add_argument("--deep-page", type=int, default=200)
    p.add_argument("-n", type=int, default=10)
    p.add_argument("--one", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)  # the child process
    return p.parse_args(argv)


def measure_one(args: argparse.Namespace) -> dict:
    """Measure every page on the database this process is bound to; rows as a dict for the parent."""
    from bench_cases import prepare

    prepare(argparse.Namespace(data_dir=args.data_dir, scale=args.scale, cases=args.cases, jobs=args.jobs))  # + collectstatic
    from _common import measure
    from django.db import connection
    from django.test import Client

    from shanzhi.accounts.models import User
    from shanzhi.cases.models import Case

    if connection.vendor == "postgresql":  # what autovacuum does after a bulk load: statistics, visibility map
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")

    def get(client: Client, url: str):
        def call():
            r = client.get(url)
            if r.status_code != 200:
                raise SystemExit(f"{url}: expected 200, got {r.status_code}")
            return r
        return call

    anon, admin, town, worker = Client(), Client(), Client(), Client()
    admin.force_login(User.objects.get(username="admin"))
    town.force_login(User.objects.get(username="town"))
    worker.force_login(User.objects.get(username="worker_a"))
    deep = args.deep_page
    rows = [
        ("baseline: login page", "anonymous", get(anon, "/accounts/login/")),
        ("queue", "worker_a", get(worker, "/cases/queue/")),
        ("queue, overdue only", "worker_a", get(worker, "/cases/queue/?overdue=1")),
        ("town's case list, page 1", "town", get(town, "/cases/all/")),
        (f"town's case list, page {deep}", "town", get(town, f"/cases/all/?page={deep}")),
        ("town's case list, status = closed", "town", get(town, "/cases/all/?status=closed")),
        ("county's case list, status + category", "admin", get(admin, "/cases/all/?status=closed&category=garbage")),
        (f"county's case list, status + category, page {deep}", "admin",
         get(admin, f"/cases/all/?status=closed&category=garbage&page={deep}")),
        ("grid worker's case list, page 1", "worker_a", get(worker, "/cases/all/")),
        ("county's dispatch picker (fetched when the form is opened)", "admin", get(admin, "/cases/all/targets/")),
        ("town's dispatch picker (fetched when the form is opened)", "town", get(town, "/cases/all/targets/")),
    ]
    from django.db.models import Q

    from shanzhi.cases import selectors
    from shanzhi.cases.models import Category

    def selector(username: str, number: int = 1, **filters):
        """The list's selector alone, without the page around it (dispatch targets, template)."""
        user = User.objects.get(username=username)
        where, narrow = Q(), []
        if "status" in filters:
            where &= Q(status=filters["status"])
            narrow.append(Q(status=filters["status"]))
        if "category" in filters:
            codes = Category.objects.filter(Q(code=filters["category"]) | Q(parent__code=filters["category"]))
            where &= Q(category_id__in=codes.values("id"))
            narrow.append(Q(category_id__in=codes.values("id")))

        def call():
            fresh = User.objects.get(pk=user.pk)  # the gate's cache is per request
            return selectors.case_list_page(user=fresh, where=where, narrow=narrow, number=number,
                                            related=("category", "unit", "handling_unit", "assignee", "department"))
        return call

    rows += [
        ("selector only: town, page 1", "town", selector("town")),
        (f"selector only: town, page {deep}", "town", selector("town", deep)),
        ("selector only: county, status + category", "admin", selector("admin", status="closed", category="garbage")),
        ("selector only: grid worker, page 1", "worker_a", selector("worker_a")),
    ]
    results = []
    for label, who, fn in rows:
        median, queries = measure(fn, args.n)
        results.append({"label": label, "who": who, "queries": queries, "ms": median})
        print(f"  [{connection.vendor}] {label:<52} {queries:>3} q {median:9.1f} ms", file=sys.stderr)
    return {"vendor": connection.vendor, "cases": Case.objects.count(), "rows": results,
            "load": os.getloadavg()[0]}


def run_child(args: argparse.Namespace, db: str) -> dict:
    env = dict(os.environ)
    if db == "postgres":
        env["DATABASE_URL"] = args.pg_url
        name = args.pg_url.rsplit("/", 1)[-1]
        base = args.pg_url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", base, "-qc", f'CREATE DATABASE "{name}"'], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fails harmlessly when it exists
    else:
        env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", db, "--sqlite-dir", args.sqlite_dir,
           "--pg-dir", args.pg_dir, "--pg-url", args.pg_url, "--scale", args.scale, "--cases", str(args.cases),
           "--jobs", str(args.jobs), "--deep-page", str(args.deep_page), "-n", str(args.n)]
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, cwd=ROOT).stdout
    return json.loads(out)


def main() -> None:
    args = parse_args()
    if args.one:
        args.data_dir = args.pg_dir if args.one == "postgres" else args.sqlite_dir
        print(json.dumps(measure_one(args)))
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = [run_child(args, db) for db in dbs]
    print(f"\nThe daily pages at scale: median of {args.n} requests (Django test Client), queries per request; "
          f"× login page = median / the login page's median in the same run; load average at the end: "
          + ", ".join(f"{r['vendor']} {r['load']:.1f}" for r in runs) + ".\n")
    heads = " | ".join(f"{r['vendor']} ({r['cases']:,} cases): queries | ms | × login" for r in runs)
    print(f"| page | user | {heads} |")
    print("|---|---|" + "---:|---:|---:|" * len(runs))
    for i, row in enumerate(runs[0]["rows"]):
        cells = []
        for r in runs:
            x, base = r["rows"][i], r["rows"][0]["ms"]
            cells.append(f"{x['queries']} | {x['ms']:.1f} | {x['ms'] / base:.1f}")
        print(f"| {row['label']} | {row['who']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
