"""Councils at county scale: the council pages over a year of council work, median latency and queries per
page against the login page in the same run, and a meeting notice to every member of every council.

    python bench/bench_councils.py [--data-dir DIR] [--scale small|full] [--cases 0] [-n 10]

DIR holds a demo county (built with `shanzhi demo --scale SCALE` when empty, which includes the councils);
a county built before the councils existed gets its councils and a year of their work from
shanzhi.councils.demo.generate_councils. --cases N first tops the cases up to N as bench_cases.py does
(default 0: the cases that are there). Pages go through Django's test Client. The notice schedules one
meeting in every active council through services_meetings.meeting_schedule (inbox + SMS to the members,
the SMS through the in-memory backend) inside a transaction that is rolled back, so DIR stays reusable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's shanzhi, whatever is installed
os.environ["SMS_BACKEND"] = "memory"  # the notice's SMS are counted, not written to the outbox

from _common import measure, open_demo  # noqa: E402

VILLAGE = "新联村"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-councils"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--cases", type=int, default=0, help="top the cases up to this many first (default 0: none)")
    p.add_argument("-n", type=int, default=10, help="timed runs per row (median reported)")
    return p.parse_args()


def prepare(args: argparse.Namespace) -> None:
    if args.cases:
        from bench_cases import prepare as prepare_cases

        prepare_cases(argparse.Namespace(data_dir=args.data_dir, scale=args.scale, cases=args.cases))
    else:
        open_demo(args.data_dir, args.scale)
    from shanzhi.councils.demo import generate_councils
    from shanzhi.councils.models import Council

    if not Council.objects.exists():  # a county built before the councils: a year of their work
        print("adding the councils and a year of their work ...", file=sys.stderr)
        t0 = time.monotonic()
        made = generate_councils(days=365, seed=1, scale=args.scale, progress=True)
        print(f"added {dict(made)} in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def notice_everyone() -> dict:
    """One meeting in every active council, scheduled by the service; timed, then rolled back."""
    from django.db import connection, transaction
    from django.test import TestCase
    from django.test.utils import CaptureQueriesContext

    from shanzhi.accounts.sms import MemoryBackend
    from shanzhi.cases.models import Notification
    from shanzhi.councils.models import Council
    from shanzhi.councils.services_meetings import meeting_schedule
    from shanzhi.lib import clock

    class Rollback(Exception):
        pass

    now = clock.now()
    starts = now + dt.timedelta(days=7)
    out: dict = {}
    try:
        with transaction.atomic():
            councils = list(Council.objects.filter(is_active=True).select_related("type", "unit").order_by("pk"))
            before = Notification.objects.count()
            MemoryBackend.outbox.clear()
            with CaptureQueriesContext(connection) as ctx:
                with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
                    t0 = time.perf_counter()
                    for council in councils:
                        meeting_schedule(actor=None, council=council, title="全县议事会集中议事日", starts_at=starts,
                                         ends_at=starts + dt.timedelta(hours=2), place="村委会议室", now=now)
                    t1 = time.perf_counter()
                queries = len(ctx)
            for callback in callbacks:  # the SMS, sent after the commit
                callback()
            t2 = time.perf_counter()
            out = {"councils": len(councils), "inbox": Notification.objects.count() - before,
                   "sms": len(MemoryBackend.outbox), "queries": queries,
                   "schedule_s": t1 - t0, "sms_s": t2 - t1}
            raise Rollback
    except Rollback:
        pass
    return out


def main() -> None:
    args = parse_args()
    prepare(args)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from shanzhi.accounts.models import User
    from shanzhi.councils import access
    from shanzhi.councils.models import Council, Decision, Meeting, Member, Topic

    def get(client: Client, url: str):
        def call():
            r = client.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: expected 200, got {r.status_code}")
            return r
        return call

    council = (Council.objects.filter(unit__name=VILLAGE, type__code="residents").select_related("unit")
               .order_by("pk").first())
    if council is None:
        raise SystemExit(f"no residents' council in {VILLAGE}")
    topic = (Topic.objects.filter(council=council, hidden=False).order_by("-support_count", "-pk").first())
    anon, admin, town = Client(), Client(), Client()
    admin.force_login(User.objects.get(username="admin"))
    town.force_login(User.objects.get(username="town"))
    rows = [
        ("baseline: login page", "anonymous", get(anon, "/accounts/login/")),
        (f"council page ({VILLAGE} 百姓议事会)", "admin", get(admin, reverse("councils:council_detail",
                                                                             args=[council.pk]))),
        ("topic list (county)", "admin", get(admin, reverse("councils:queue"))),
        ("topic list (town)", "town", get(town, reverse("councils:queue"))),
    ]
    if topic is not None:
        rows.append((f"topic page ({topic.number}, {topic.support_count} supports)", "admin",
                     get(admin, reverse("councils:topic_detail", args=[topic.number]))))
    rows += [
        ("meeting list", "admin", get(admin, reverse("councils:meeting_list"))),
        ("meeting list", "town", get(town, reverse("councils:meeting_list"))),
        ("decision list", "admin", get(admin, reverse("councils:decision_list"))),
        ("decision list", "town", get(town, reverse("councils:decision_list"))),
    ]
    results = []
    for label, who, fn in rows:
        try:
            median, queries = measure(fn, args.n)
        except Exception as exc:  # a page another piece of work has not finished: say so, time the rest
            print(f"  {label}: skipped ({exc})", file=sys.stderr)
            continue
        results.append((label, who, queries, median))
        print(f"  {label:<52} {queries:>3} q {median:9.1f} ms", file=sys.stderr)

    print("  scheduling a meeting in every council (rolled back) ...", file=sys.stderr)
    notice = notice_everyone()
    load = os.getloadavg()
    login = results[0][3]
    members = access.current_members(council).count()
    sizes = (f"{Council.objects.count():,} councils, {Member.objects.filter(access.current_q()).count():,} "
             f"current members, {Topic.objects.count():,} topics, {Meeting.objects.count():,} meetings, "
             f"{Decision.objects.count():,} decisions")
    print(f"\nCouncils at {args.scale} scale on {connection.vendor} ({sizes}; {VILLAGE} 百姓议事会 has {members} "
          f"members): median of {args.n} requests (Django test Client), queries per request; load average "
          f"at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")
    print("| page | user | queries | median ms | × login page |")
    print("|---|---|---:|---:|---:|")
    for label, who, queries, median in results:
        print(f"| {label} | {who} | {queries} | {median:.1f} | {median / login:.1f} |")
    if notice:
        total = notice["schedule_s"] + notice["sms_s"]
        notices = notice["inbox"] + notice["sms"]
        print(f"\nA meeting notice to every member of every council: {notice['councils']:,} meetings scheduled "
              f"through meeting_schedule, {notice['inbox']:,} inbox notices and {notice['sms']:,} SMS "
              f"(in-memory backend) in {total:.1f} s ({notice['schedule_s']:.1f} s scheduling, "
              f"{notice['queries']:,} queries; {notice['sms_s']:.1f} s SMS): "
              f"{notice['schedule_s'] / notice['councils'] * 1000:.1f} ms a council, "
              f"{total / max(notices, 1) * 1000:.2f} ms a notice. Rolled back.")


if __name__ == "__main__":
    main()
