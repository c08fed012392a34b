"""The time bank at county scale: a ledger of a million entries, a volunteer's balance and page, a village's
monthly ranking, median latency and queries against the log-in page in the same run; and, on PostgreSQL,
8 concurrent redemptions of the last item in stock (exactly one may succeed).

    python bench/bench_timebank.py [--data-dir DIR] [--entries 1000000] [--accounts N] [--villages 160] [-n 20]
    DATABASE_URL=postgres://... python bench/bench_timebank.py --data-dir DIR ...

The ledger is bulk-written into the configured database (SQLite in DIR, or DATABASE_URL) over a year, on
the villages of the demo county if DIR holds one (its residents get the accounts), else on a minimal
county of `--villages` villages (units, residents and accounts written directly, nothing else). It is
topped up to `--entries` (a second run reuses it). Accounts default to entries / 33 (about 30,000 for a
million). Credits are services, activities and civic acts with the county rule's points; redemptions are
written in time order only when the account's balance covers them, as the store does. A small run for a
smoke test: `--entries 20000`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's shanzhi, whatever is installed

from _common import CLI  # noqa: E402

BATCH = 10_000
SEED = 12


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-timebank"))
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=0, help="default: entries / 33")
    p.add_argument("--villages", type=int, default=160, help="villages of the minimal county (no demo county)")
    p.add_argument("-n", type=int, default=20, help="timed runs per row (median reported)")
    p.add_argument("--race", type=int, default=8, help="concurrent redemptions of the last item (PostgreSQL)")
    return p.parse_args()


def open_data(data_dir: str) -> None:
    """Point Django at the data dir (or DATABASE_URL), migrate, and collect static files for the log-in page."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    os.environ["SHANZHI_DATA_DIR"] = str(data)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    subprocess.run([*CLI, "migrate", "-v0"], check=True, env=os.environ)
    import django

    django.setup()
    from shanzhi.lib import staticbuild

    staticbuild.ensure_collected()


def minimal_county(villages: int) -> None:
    """A county, ten towns and `villages` villages, written directly (no boundaries, no people)."""
    from shanzhi.org.models import Level, OrgUnit

    county = OrgUnit.objects.create(code="330421", name="嘉善县", level=Level.COUNTY, kind="county", path="330421/")
    towns = OrgUnit.objects.bulk_create([
        OrgUnit(code=f"330421{100 + i}", name=f"第{i + 1}镇", level=Level.TOWN, kind="town", parent=county,
                path=f"330421/330421{100 + i}/") for i in range(10)])
    OrgUnit.objects.bulk_create([
        OrgUnit(code=f"{t.code}{200 + j}", name=f"{t.name}第{j + 1}村", level=Level.VILLAGE, kind="village",
                parent=t, path=f"{t.path}{t.code}{200 + j}/", resident_count=1500)
        for k, t in enumerate(towns) for j in range(villages // 10 + (1 if k < villages % 10 else 0))])


def ensure_accounts(target: int, rng: random.Random) -> list[tuple[int, int]]:
    """(account id, village id) of `target` accounts: the demo county's residents first, else residents
    written for the purpose (name, birth date and a placeholder identity, no household)."""
    from django.utils import timezone

    from shanzhi.org.models import Level, OrgUnit
    from shanzhi.people.models import Resident
    from shanzhi.volunteers.models import Account

    have = Account.objects.count()
    if have < target:
        villages = list(OrgUnit.objects.filter(level=Level.VILLAGE).order_by("path").values_list("id", "path"))
        by_path = {path: vid for vid, path in villages}
        need = target - have
        rows = []
        taken = Account.objects.filter(resident__isnull=False).values("resident_id")
        for rid, name, mg_path in (Resident.objects.filter(household__isnull=False).exclude(id__in=taken)
                                   .order_by("id").values_list("id", "name", "household__micro_grid__path")
                                   .iterator()):
            village = next((by_path[p] for p in _prefixes(mg_path) if p in by_path), None)
            if village is not None:
                rows.append((rid, name, village))
            if len(rows) >= need:
                break
        if len(rows) < need:  # no demo county (or too few residents): residents written for the bench
            start = Resident.objects.filter(id_number_hash__startswith="bench-timebank-").count()
            fresh = [Resident(name=f"志愿者{start + i}", sex="M" if i % 2 else "F", birth_date=dt.date(1970, 1, 1)
                              + dt.timedelta(days=rng.randrange(15000)), id_number_enc="bench",
                              id_number_hash=f"bench-timebank-{start + i}", id_number_masked="330421**********",
                              residence="registered", status="active")
                     for i in range(need - len(rows))]
            Resident.objects.bulk_create(fresh, batch_size=BATCH)
            ids = [vid for vid, _ in villages]
            rows += [(r.pk, r.name, rng.choice(ids)) for r in fresh]
        created = timezone.now() - dt.timedelta(days=400)
        Account.objects.bulk_create([Account(resident_id=rid, name=name, village_id=vid, code=f"{rng.getrandbits(96):024x}",
                                             created_at=created) for rid, name, vid in rows[:need]], batch_size=BATCH)
    return list(Account.objects.order_by("id").values_list("id", "village_id")[:target])


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{c}/" for c in parts[:i]) for i in range(len(parts), 0, -1)]


COLUMNS = ("account_id", "kind", "hours", "points", "village_id", "at", "source", "note", "created_at")


def _secondary_indexes(data: Path) -> list[str]:
    """On SQLite, drop the ledger's secondary indexes for the load (recreated after it, from a file in the
    data dir, so an interrupted load is repaired by the next run); nothing on PostgreSQL."""
    from django.db import connection

    saved = data / "timebank-entry-indexes.sql"
    if connection.vendor != "sqlite":
        return []
    if saved.exists():
        return [x for x in saved.read_text().split(";\n") if x.strip()]
    with connection.cursor() as cur:
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'volunteers_entry' "
                    "AND sql IS NOT NULL")
        found = cur.fetchall()
        saved.write_text(";\n".join(sql for _, sql in found))
        for name, _ in found:
            cur.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def top_up(target: int, accounts: list[tuple[int, int]], rng: random.Random, data: Path) -> int:
    """Bulk-write entries until the ledger holds `target`, spread over the last year in time order.

    Rows go in with plain executemany (what bulk_create would write, without building model instances)."""
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.utils import timezone

    from shanzhi.volunteers import ledger
    from shanzhi.volunteers.models import Entry, EntryKind

    have = Entry.objects.count()
    need = target - have
    saved = data / "timebank-entry-indexes.sql"
    if need <= 0 and not saved.exists():
        return 0
    pph = ledger.points_rule().points_per_hour
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    # a few very active volunteers, most occasional (weights ~ 1/sqrt(rank))
    weights = [1 / (i + 1) ** 0.5 for i in range(len(accounts))]
    balances: dict[int, int] = dict(Entry.objects.values("account_id").annotate(s=Sum("points")).order_by()
                                    .values_list("account_id", "s"))
    span = (now - start).total_seconds() - 120
    ops = connection.ops
    indexes = _secondary_indexes(data)
    sql = (f"INSERT INTO volunteers_entry ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})")
    written = 0
    t0 = time.monotonic()
    while written < need:
        n = min(BATCH, need - written)
        times = sorted(start + dt.timedelta(seconds=rng.random() * span) for _ in range(n))
        picks = rng.choices(accounts, weights=weights, k=n)
        rows = []
        for at, (aid, vid) in zip(times, picks, strict=True):
            bal = balances.get(aid, 0)
            x = rng.random()
            stamp = ops.adapt_datetimefield_value(at)
            if x < 0.10 and bal >= 20:
                price = rng.choice([p for p in (20, 30, 50, 120, 200) if p <= bal])
                rows.append((aid, EntryKind.REDEEM.value, ops.adapt_decimalfield_value(Decimal(0), 8, 2), -price,
                             vid, stamp, None, "bench", stamp))
                balances[aid] = bal - price
                continue
            source = f"bench:{have + written + len(rows)}"
            if x < 0.62:  # a service of 0.5 to 4 hours
                kind, h100, m100 = EntryKind.SERVICE.value, rng.randint(50, 400), 100
            elif x < 0.88:  # an activity's 2 to 4 hours, at 1, 1.5 or 2 times
                kind, h100, m100 = EntryKind.ACTIVITY.value, rng.choice([200, 300, 400]) - rng.randint(0, 30), \
                    rng.choice([100, 100, 150, 200])
            else:
                kind, h100, m100 = EntryKind.CIVIC.value, 0, 0
            points = (h100 * pph * m100 + 5000) // 10000 if h100 else rng.choice([5, 5, 5, 20, 30])
            balances[aid] = bal + points
            rows.append((aid, kind, ops.adapt_decimalfield_value(Decimal(h100) / 100, 8, 2), points, vid, stamp,
                         source, "", stamp))
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)
        written += n
        rate = written / max(time.monotonic() - t0, 1e-6)
        print(f"\r  ledger: {have + written:,} / {target:,} entries ({rate:,.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    if indexes:
        t1 = time.monotonic()
        with connection.cursor() as cur:
            for statement in indexes:
                cur.execute(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                            .replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1))
        saved.unlink()
        print(f"  ledger indexes rebuilt in {time.monotonic() - t1:.0f} s", file=sys.stderr)
    return written


def measure(fn, n: int) -> tuple[float, float, int]:
    """(median wall ms, median CPU ms of this process, queries of one call) after one warm-up call. The CPU
    time includes SQLite's work (in process) but not PostgreSQL's; on a loaded machine it is the steadier."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx)
    wall, cpu = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu), queries


def race(village_id: int, accounts: list[tuple[int, int]], contenders: int) -> dict | None:
    """`contenders` threads redeem the last item in stock at once through store.redeem; returns the outcome."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        print("  race: skipped (concurrent redemptions are measured on PostgreSQL only)", file=sys.stderr)
        return None
    try:
        from shanzhi.volunteers import store
    except ImportError as exc:
        print(f"  race: skipped (shanzhi.volunteers.store is not importable yet: {exc}; run it after the "
              "store is merged)", file=sys.stderr)
        return None
    from django.db.models import Sum
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.org.models import OrgUnit, Role
    from shanzhi.org.services import post_appoint
    from shanzhi.volunteers.models import Account, Entry, EntryKind, StoreItem

    village = OrgUnit.objects.get(pk=village_id)
    clerk = User.objects.filter(username="bench-store-clerk").first()
    if clerk is None:
        clerk = User.objects.create(username="bench-store-clerk", display_name="积分超市管理员", is_staff=False)
        clerk.set_unusable_password()
        clerk.save()
    if not clerk.posts.filter(unit=village).exists():
        post_appoint(actor=None, unit=village, role=Role.VILLAGE_CADRE, user=clerk)
    price = 10
    rich = list(Account.objects.filter(village=village).values("id").annotate(s=Sum("entries__points")).filter(s__gte=price * 10)
                .order_by("-s").values_list("code", flat=True)[:contenders])
    if len(rich) < contenders:
        print(f"  race: skipped (only {len(rich)} accounts can pay)", file=sys.stderr)
        return None
    item = StoreItem.objects.create(village=village, name="最后一件：保温杯", price=price, stock=1,
                                    created_at=timezone.now())
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(code: str) -> None:
        try:
            mine = StoreItem.objects.get(pk=item.pk)
            barrier.wait()
            try:
                store.redeem(actor=clerk, account_code=code, item=mine)
                result = "ok"
            except Exception as exc:  # the refusals (out of stock) are DomainErrors; anything else is reported
                result = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(code,)) for code in rich]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = (time.perf_counter() - t0) * 1000
    item.refresh_from_db()
    return {"contenders": contenders, "succeeded": outcomes.count("ok"), "refusals": sorted(set(o for o in outcomes
                                                                                          if o != "ok")),
            "stock": item.stock, "entries": Entry.objects.filter(item=item, kind=EntryKind.REDEEM).count(),
            "ms": elapsed}


def main() -> None:
    args = parse_args()
    open_data(args.data_dir)
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from shanzhi.org.models import Level, OrgUnit
    from shanzhi.volunteers import ledger, ranking
    from shanzhi.volunteers.models import Account, Entry

    rng = random.Random(SEED)
    if not OrgUnit.objects.filter(level=Level.VILLAGE).exists():
        print(f"no county here: writing a minimal one of {args.villages} villages", file=sys.stderr)
        minimal_county(args.villages)
    accounts = ensure_accounts(args.accounts or max(100, args.entries // 33), rng)
    t0 = time.monotonic()
    written = top_up(args.entries, accounts, rng, Path(args.data_dir))
    if written:
        print(f"  wrote {written:,} entries in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE volunteers_entry")
    total = Entry.objects.count()
    n_accounts = Account.objects.count()
    busiest = (Entry.objects.values("account_id").annotate(n=Count("id")).order_by("-n", "account_id").first())
    heavy = Account.objects.get(pk=busiest["account_id"])
    typical = Account.objects.get(pk=accounts[len(accounts) // 2][0])
    typical_n = Entry.objects.filter(account=typical).count()
    last_month = (timezone.localtime(timezone.now()).date().replace(day=1) - dt.timedelta(days=1))
    month_start = last_month.replace(day=1)
    top_village = (Entry.objects.filter(at__gte=timezone.make_aware(dt.datetime.combine(month_start, dt.time())))
                   .values("village_id").annotate(n=Count("id")).order_by("-n", "village_id").first())
    village = OrgUnit.objects.get(pk=top_village["village_id"])
    village_rows = Entry.objects.filter(village=village).count()
    year_start = timezone.make_aware(dt.datetime(timezone.localtime(timezone.now()).year, 1, 1))

    def page_like(account):
        def call():
            return (ledger.balance(account), ledger.hours_total(account, year_start),
                    list(Entry.objects.filter(account=account).select_related("item").order_by("-at", "-id")[:20]))
        return call

    anon = Client()

    def login():
        r = anon.get("/accounts/login/")
        if r.status_code != 200:
            raise RuntimeError(f"login page: {r.status_code}")

    rows = [
        ("baseline: login page (Django test Client)", login),
        (f"balance, busiest account ({busiest['n']:,} entries)", lambda: ledger.balance(heavy)),
        (f"balance, typical account ({typical_n:,} entries)", lambda: ledger.balance(typical)),
        ("my hours and points: balance + hours this year + last 20 entries (busiest)", page_like(heavy)),
        ("my hours and points (typical)", page_like(typical)),
        (f"monthly ranking, {village.name} {last_month:%Y-%m} (village: {village_rows:,} entries)",
         lambda: ranking.monthly_ranking(village, last_month.year, last_month.month)),
    ]
    results = []
    for label, fn in rows:
        median, cpu, queries = measure(fn, args.n)
        results.append((label, queries, median, cpu))
        print(f"  {label:<80} {queries:>3} q {median:9.2f} ms {cpu:9.2f} ms CPU", file=sys.stderr)
    outcome = race(village.pk, accounts, args.race)
    load = os.getloadavg()
    login_ms, login_cpu = results[0][2], results[0][3]
    print(f"\nTime bank on {connection.vendor}: {total:,} ledger entries, {n_accounts:,} accounts, "
          f"{OrgUnit.objects.filter(level=Level.VILLAGE).count():,} villages; median of {args.n} calls, queries "
          f"per call (wall time, and this process's CPU time); load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")
    print("| measured | queries | median ms | × login page | CPU ms (this process) | × login page |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, queries, median, cpu in results:
        print(f"| {label} | {queries} | {median:.2f} | {median / login_ms:.2f} | {cpu:.2f} | "
              f"{cpu / max(login_cpu, 1e-3):.2f} |")
    if outcome is not None:
        ok = outcome["succeeded"] == 1 and outcome["stock"] == 0 and outcome["entries"] == 1
        print(f"\n{outcome['contenders']} concurrent redemptions of the last item in stock (threads calling "
              f"store.redeem, each on its own connection): {outcome['succeeded']} succeeded, stock left "
              f"{outcome['stock']}, {outcome['entries']} redemption entr{'y' if outcome['entries'] == 1 else 'ies'}, "
              f"{outcome['ms']:.0f} ms in all; refusals: {'; '.join(outcome['refusals']) or 'none'}. "
              f"{'PASS' if ok else 'FAIL'}")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
