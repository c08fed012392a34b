"""Phone pages on the wire: bytes transferred cold and warm, and load time under slow 3G, in Chromium.

    python bench/bench_weight.py [--scale small|full] [--data-dir DIR] [-n 3]

Builds the demo county into DIR unless it holds one, adds what the phone pages show (a resident's
report in 新联村第一网格, an incident over that grid walked by a central household's leader there),
starts `shanzhi serve` there (gunicorn, WhiteNoise: hashed, compressed static files), and opens each
page of a resident's and a grid worker's phone in Chromium (/usr/bin/chromium, a 390x844 phone).
Bytes: the sum of encodedDataLength over the responses from the server (shanzhi.lib.pageweight),
cold (empty cache) and warm (the same page again). Time: to the load event, under Chromium's network
emulation of 400 ms latency and 50 kB/s, median over N cold and N warm loads. Baseline in the same
run: the staff log-in page; "x log-in" is a page's cold time over the log-in page's.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CLI, open_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=["small", "full"], default="small")
    p.add_argument("--data-dir", default="", help="SHANZHI_DATA_DIR (default: a fixed temp dir per scale)")
    p.add_argument("-n", type=int, default=3, help="timed cold and warm loads per page (default 3)")
    return p.parse_args()


def field_data():
    """A central household's leader in worker_a's grid, with a report and an incident to walk."""
    from shanzhi.accounts.models import User, UserKind
    from shanzhi.campaigns import services as svc
    from shanzhi.campaigns.models import Campaign, Measure
    from shanzhi.campaigns.scope import resolve
    from shanzhi.cases.models import Case, Category, Channel, Kind
    from shanzhi.cases.services import case_report
    from shanzhi.lib import clock
    from shanzhi.org.models import OrgUnit
    from shanzhi.people.models import CentralHousehold

    grid = OrgUnit.objects.get(code="330421112201001")  # worker_a's grid, 新联村第一网格
    head = (CentralHousehold.objects.filter(household__micro_grid__path__startswith=grid.path)
            .select_related("leader__household").order_by("id").first().leader)
    user = User.objects.filter(resident=head).first() or User.objects.create(
        username=f"r{head.pk}", kind=UserKind.RESIDENT, display_name=head.name, resident=head)
    worker = User.objects.get(username="worker_a")
    case = Case.objects.filter(reporter=user).order_by("id").first()
    if case is None:
        hh = head.household
        case = case_report(actor=user, category=Category.objects.get(code="garbage"), kind=Kind.PROBLEM,
                           channel=Channel.RESIDENT, description="路边垃圾三天没人清理（页面重量基准）",
                           lat=hh.lat, lon=hh.lon)
    incident = Campaign.objects.filter(name__contains="页面重量基准").first()
    if incident is None:
        town = User.objects.get(username="town")
        incident = svc.incident_declare(actor=town, type="页面重量基准", occurred_at=clock.now(), place=grid.name,
                                        scope=resolve(actor=town, units=[grid.code]), measure=Measure.HOME)
    return user, worker, case, incident


def pages(user, worker, case, incident) -> list[tuple[str, str, object, str]]:
    return [
        ("baseline: staff log-in", "anonymous", None, "/accounts/login/"),
        ("resident log-in", "anonymous", None, "/accounts/resident/"),
        ("resident home", "resident", user, "/"),
        ("report form", "resident", user, "/cases/report/"),
        ("my cases", "resident", user, "/cases/mine/"),
        ("case detail", "resident", user, f"/cases/mine/{case.number}/"),
        ("rating", "resident", user, f"/cases/{case.number}/rate/"),
        ("inbox", "resident", user, "/cases/inbox/"),
        ("village feed", "resident", user, "/cases/feed/"),
        ("tasks", "resident", user, "/campaigns/mine/"),
        ("walk list", "resident", user, f"/campaigns/{incident.pk}/walk/"),
        ("worker home", "worker_a", worker, "/"),
        ("worker queue", "worker_a", worker, "/cases/queue/"),
        ("worker inbox", "worker_a", worker, "/cases/inbox/"),
        ("case page", "worker_a", worker, f"/cases/staff/{case.number}/"),
        ("board", "worker_a", worker, f"/campaigns/{incident.pk}/board/"),
    ]


def serve(data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2", "--no-sweep"],
                            env={**os.environ, "SHANZHI_DATA_DIR": str(data)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300  # the first start collects the static files
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("shanzhi serve did not start") from None
            time.sleep(0.2)


def main() -> None:
    args = parse_args()
    data = open_demo(args.data_dir or Path(tempfile.gettempdir()) / f"shanzhi-bench-pages-{args.scale}", args.scale)
    from django.conf import settings
    from django.test import Client

    from shanzhi.lib.pageweight import SLOW_3G, Meter

    user, worker, case, incident = field_data()
    cookies = {}
    for u in (user, worker):
        client = Client()
        client.force_login(u)
        cookies[u.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    proc, base = serve(data)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls are done; Playwright's loop runs here
    from playwright.sync_api import sync_playwright

    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for label, who, u, path in pages(user, worker, case, incident):
                sizes, cold_s, warm_s = None, [], []
                for _ in range(max(1, args.n)):
                    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
                    if u is not None:
                        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookies[u.pk],
                                              "url": base}])
                    meter = Meter(context.new_page(), base, network=SLOW_3G)
                    cold, warm = meter.open(path), meter.open(path)
                    context.close()
                    if cold.status != 200:
                        raise SystemExit(f"{path}: answered {cold.status}")
                    sizes = sizes or (cold.total, warm.total)
                    cold_s.append(cold.seconds)
                    warm_s.append(warm.seconds)
                rows.append((label, who, *sizes, statistics.median(cold_s), statistics.median(warm_s)))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    base_time = rows[0][4]
    print(f"\nPhone pages, {args.scale} demo, Chromium 390x844, slow 3G (400 ms, 50 kB/s), median of {args.n}; "
          "budget 150 kB cold, 30 kB warm\n")
    print("| page | who | cold kB | warm kB | cold load (s) | warm load (s) | x log-in |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, who, cold_b, warm_b, cs, ws in rows:
        print(f"| {label} | {who} | {cold_b / 1000:.1f} | {warm_b / 1000:.1f} | {cs:.2f} | {ws:.2f} | {cs / base_time:.1f} |")


if __name__ == "__main__":
    main()
