"""What the page benchmarks share: a data dir holding a demo county, and a median-and-queries timer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "shanzhi"]


def open_demo(data_dir: str | Path, scale: str, *demo_args: str) -> Path:
    """Point Django at `data_dir`, migrate it, and build the demo county there unless it holds one."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    os.environ["SHANZHI_DATA_DIR"] = str(data)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    subprocess.run([*CLI, "migrate", "-v0"], check=True, env=os.environ)
    import django

    django.setup()
    from shanzhi.lib import staticbuild
    from shanzhi.org.models import OrgUnit

    staticbuild.ensure_collected()  # pages name their CSS by the hashed names, as `shanzhi serve` does

    if OrgUnit.objects.exists():
        print(f"reusing the demo county in {data}", file=sys.stderr)
    else:
        print(f"building the {scale} demo county in {data} ...", file=sys.stderr)
        t0 = time.monotonic()
        subprocess.run([*CLI, "demo", "--scale", scale, *demo_args], check=True, env=os.environ)
        print(f"built in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return data


def measure(fn, n: int) -> tuple[float, int]:
    """(median ms over n calls, queries of one call) after one warm-up call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx)  # read now: the next request empties the connection's query log
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), queries
