"""Benchmark: build the demo county into SQLite and PostgreSQL, against a plain bulk insert of as many rows.

    python bench/bench_demo.py [--scale full|small] [--db sqlite|postgres|both] [--seed N]
                               [--pg-url postgres://postgres@127.0.0.1:5432]

For each database, a child process gets a fresh database (SQLite: a file in a temporary data dir;
PostgreSQL: `CREATE DATABASE bench_demo`, dropped afterwards), applies migrations, builds the demo
county with `shanzhi.demo.generator.build_demo` and counts the rows written. Then, in the same
database and the same run, the baseline: `cursor.executemany` of the same number of rows into a plain
table of similar width (8 columns, 2 indexes), in one transaction. The machine is shared and noisy,
so compare the ratio; CPU seconds show how much of the wall time was this process's own work.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DB = "bench_demo"


def _rows_written() -> int:
    from shanzhi.accounts.models import User
    from shanzhi.audit.models import AuditEntry
    from shanzhi.org.models import Department, OrgUnit, Post
    from shanzhi.people.models import CadreRegistration, CentralHousehold, Household, Residency, Resident

    models = [OrgUnit, Department, User, Post, Household, Resident, Resident.tags.through, Residency,
              CentralHousehold, CadreRegistration, AuditEntry]
    return sum(m.objects.count() for m in models)


def _baseline(rows: int) -> float:
    """Seconds to executemany `rows` rows of 8 columns into a plain indexed table, in one transaction."""
    from django.db import connection, transaction

    rng = random.Random(1)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_baseline")
        cur.execute("CREATE TABLE bench_baseline (id integer PRIMARY KEY, parent_id integer, name varchar(50), "
                    "code varchar(64), masked varchar(18), born date, lat double precision, note text)")
        cur.execute("CREATE INDEX bench_baseline_parent ON bench_baseline (parent_id)")
        cur.execute("CREATE UNIQUE INDEX bench_baseline_code ON bench_baseline (code)")
    data = [(i, i // 3, "张三丰", f"{rng.getrandbits(128):032x}{i:08d}", "330421********1234",
             dt.date(1990, 1, 1) + dt.timedelta(days=i % 20000), 30.8 + i * 1e-7, "演示数据基线") for i in range(rows)]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(0, rows, 20_000):
            cur.executemany("INSERT INTO bench_baseline VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                            data[start:start + 20_000])
    seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_baseline")
    return seconds


def child(scale: str, seed: int) -> None:
    """Run inside the child process: migrate, build, count, baseline; print one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shanzhi.demo.generator import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    load_before = os.getloadavg()[0]
    cpu0 = time.process_time()
    started = time.perf_counter()
    summary = build_demo(scale=scale, seed=seed, progress=True, cases=False)  # the registry only
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = _rows_written()
    baseline = _baseline(rows)
    print(json.dumps({
        "db": connection.vendor, "scale": scale, "rows": rows, "seconds": seconds, "baseline": baseline,
        "cpu": cpu, "drafter_cpu": child_cpu.ru_utime + child_cpu.ru_stime, "timings": summary["timings"],
        "residents": summary["residents"], "households": summary["households"],
        "micro_grids": summary["micro_grids"], "load": [load_before, os.getloadavg()[0]],
        "figures": {k: summary[k] for k in ("towns", "villages", "grids", "compounds", "micro_grids", "households",
                                            "residents", "floating", "central_households",
                                            "cadre_registrations", "users", "staff_posts", "microgrid_heads")},
    }))


def run(db: str, scale: str, seed: int, pg_url: str) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as data_dir:
        env["SHANZHI_DATA_DIR"] = data_dir
        env.pop("DATABASE_URL", None)
        admin = None
        if db == "postgres":
            import psycopg

            admin = psycopg.connect(f"{pg_url.rstrip('/')}/postgres", autocommit=True)
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {PG_DB}")
            env["DATABASE_URL"] = f"{pg_url.rstrip('/')}/{PG_DB}"
        try:
            out = subprocess.run([sys.executable, __file__, "--child", "--scale", scale, "--seed", str(seed)],
                                 env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        finally:
            if admin is not None:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                admin.close()
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = [
        "| database | scale | rows written | demo build | rows/s | plain executemany, same rows | rows/s "
        "| build ÷ baseline | CPU s (loader + drafter) | phases s (units/staff/people/rollups) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        t = r["timings"]
        lines.append(
            f"| {r['db']} | {r['scale']} ({r['residents']:,} residents, {r['households']:,} households, "
            f"{r['micro_grids']:,} micro-grids) | {r['rows']:,} | {r['seconds']:.1f} s | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['baseline']:.1f} s | {r['rows'] / r['baseline']:,.0f} | "
            f"{r['seconds'] / r['baseline']:.1f}× | {r['cpu']:.0f} + {r['drafter_cpu']:.0f} | "
            f"{t['units']:.0f} / {t['staff']:.0f} / {t['people']:.0f} / {t['rollups']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.scale, args.seed)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [run(db, args.scale, args.seed, args.pg_url) for db in dbs]
    print(f"\nDemo county build, {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs "
          f"(load average before/after: " + "; ".join(f"{r['db']} {r['load'][0]:.1f}/{r['load'][1]:.1f}"
                                                       for r in results) + ")\n")
    print(table(results))
    figures = results[0]["figures"]
    print("\nCounty built (same in every database): " + ", ".join(f"{k.replace('_', ' ')} {v:,}"
                                                                for k, v in figures.items()))


if __name__ == "__main__":
    main()
