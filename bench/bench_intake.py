"""Benchmark case intake through the API at 8 concurrent clients, on SQLite and PostgreSQL.

For each database: builds the small demo county into a fresh database, issues an Open311 api_key, starts
`shanzhi serve` (gunicorn, the production server), and has N concurrent clients POST GeoReport v2
requests (route + save + timeline + audit + notify) at random households' points. In the same run and
against the same server it measures a trivial endpoint (`GET /open311/discovery.json`, no database) as the
baseline. Afterwards it counts the rows: every 2xx answer must be a committed case.

    python bench/bench_intake.py [--db sqlite|postgres|both] [--clients 8] [--requests 400]
                                 [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

SERVICES = ["garbage", "street_light", "road", "hazard", "noise", "neighbour", "rental", "manhole"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shanzhi(env: dict, *args: str, capture: bool = True) -> str:
    out = subprocess.run([sys.executable, "-m", "shanzhi", *args], env=env, check=True, text=True,
                         stdout=subprocess.PIPE if capture else None, stderr=subprocess.DEVNULL)
    return (out.stdout or "").strip()


def _points(env: dict, n: int) -> list[tuple[float, float]]:
    code = ("from shanzhi.people.models import Household as H; import json; "
            "print(json.dumps(list(H.objects.filter(lat__isnull=False).values_list('lat','lon')[:5000])))")
    pts = json.loads(_shanzhi(env, "shell", "-v", "0", "-c", code))
    rng = random.Random(7)
    return [tuple(rng.choice(pts)) for _ in range(n)]


def _count_cases(env: dict) -> int:
    return int(_shanzhi(env, "shell", "-v", "0", "-c", "from shanzhi.cases.models import Case; print(Case.objects.count())"))


def _run(port: int, clients: int, per_client: int, make_request) -> tuple[list[float], int, int, float]:
    """Each client sends its requests over one keep-alive connection; returns latencies, ok, errors, wall."""
    latencies: list[float] = []
    ok = errors = 0
    lock = threading.Lock()

    def client(idx: int) -> None:
        nonlocal ok, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, good, bad = [], 0, 0
        for i in range(per_client):
            method, path, body, headers = make_request(idx, i)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - t0)
            if 200 <= status < 300:
                good += 1
            else:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            ok += good
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, ok, errors, time.perf_counter() - t0


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


def bench_database(label: str, database_url: str, clients: int, requests: int) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="sz-intake-"))
    env = {**os.environ, "SHANZHI_DATA_DIR": str(tmp), "DATABASE_URL": database_url, "SMS_BACKEND":
           "shanzhi.accounts.sms.MemoryBackend", "SHANZHI_SWEEP_INTERVAL": "3600"}
    server = None
    try:
        print(f"[{label}] building the small demo county …", file=sys.stderr)
        _shanzhi(env, "migrate", "-v", "0")
        _shanzhi(env, "demo", "--scale", "small", "--seed", "1", "--reset")
        key = _shanzhi(env, "issue_api_key", "--name", "bench").splitlines()[-1]
        points = _points(env, clients * requests)
        before = _count_cases(env)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "shanzhi", "serve", "--port", str(port), "--workers", "2",
                                   "--threads", "4", "--no-migrate"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        per_client = max(1, requests // clients)

        def trivial(_idx: int, _i: int):
            return "GET", "/open311/discovery.json", None, {}

        def intake(idx: int, i: int):
            lat, lon = points[(idx * per_client + i) % len(points)]
            form = {"api_key": key, "service_code": SERVICES[(idx + i) % len(SERVICES)], "lat": f"{lat:.6f}",
                    "long": f"{lon:.6f}", "description": f"基准测试 {idx}-{i}：路边有问题需要处理",
                    "first_name": "测", "last_name": "试"}
            return ("POST", "/open311/v2/requests.json", urllib.parse.urlencode(form),
                    {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": f"b-{idx}-{i}"})

        _run(port, clients, 5, trivial)  # warm up both workers
        rows = []
        for name, maker in (("trivial GET discovery.json (baseline)", trivial),
                            ("POST requests.json (route+save+audit+notify)", intake)):
            lat, ok, err, wall = _run(port, clients, per_client, maker)
            rows.append({"db": label, "endpoint": name, "requests": len(lat), "ok": ok, "errors": err,
                         "rps": len(lat) / wall, "p50": _pct(lat, 0.5), "p99": _pct(lat, 0.99)})
        after = _count_cases(env)
        rows[-1]["committed"] = after - before
        return rows
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


def _pg_database(base_url: str, name: str) -> str:
    import psycopg

    parsed = urllib.parse.urlparse(base_url)
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunparse(parsed._replace(path=f"/{name}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400, help="requests per endpoint, all clients together")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()
    rows: list[dict] = []
    if args.db in ("sqlite", "both"):
        tmp = Path(tempfile.mkdtemp(prefix="sz-intake-db-"))
        try:
            rows += bench_database("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", args.clients, args.requests)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.db in ("postgres", "both"):
        url = _pg_database(args.pg_url, "bench_intake")
        rows += bench_database("PostgreSQL", url, args.clients, args.requests)
    print(f"\nCase intake at {args.clients} concurrent clients (gunicorn, 2 workers x 4 threads)\n")
    print("| database | endpoint | requests | 2xx | errors | req/s | p50 ms | p99 ms | req/s vs baseline | cases committed |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = {}
    for r in rows:
        base.setdefault(r["db"], r["rps"])
        print(f"| {r['db']} | {r['endpoint']} | {r['requests']} | {r['ok']} | {r['errors']} | {r['rps']:.0f} | "
              f"{r['p50']:.1f} | {r['p99']:.1f} | {r['rps'] / base[r['db']]:.2f} | {r.get('committed', '—')} |")
    lost = [r for r in rows if "committed" in r and r["committed"] != r["ok"]]
    if lost:
        print("\nMISMATCH: 2xx answers and committed cases differ:", lost, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
