"""Elections at county scale: the voter roll of the whole county generated in one pass against a plain count
of the same residents, the cross-village duplicate check, check-in at 8 concurrent clerks and the turnout
board's refresh, against the log-in page measured in the same run.

    python bench/bench_elections.py [--data-dir DIR] [--scale small|full] [--residents N] [-n 10] [--clerks 8]

DIR holds a demo county (built with `shanzhi demo --scale SCALE` when empty; the full county has about
600,000 adults). `--residents N` instead builds a synthetic county of N residents in DIR (bulk-written
households in a county of 2 towns, 10 villages a town, 3 grids a village), for a smoke run. With
DATABASE_URL set, that PostgreSQL database is used instead (built the same way when empty).

A bench round (`压测换届`) with an election in every village, election day today, is made once and reused.
Rows the bench writes are removed again (the roll, the check-ins), so DIR stays reusable:

* roll: `elections.roll.roll_generate_all(actor=None, round=...)` (the set-up work), timed in a transaction
  that is rolled back (the round's elections are put back in set-up inside it: the function leaves published
  rolls alone); the demo writer's bulk roll (`elections.demo`'s rule and rows) is timed as the
  reference and kept for the rows below, then deleted at the end;
* duplicate check: `elections.roll.duplicates_report` over the round's roll (nobody on two rolls);
* check-in: `elections.voting.checkin(actor=clerk, station=..., card_token=...)` from `--clerks` threads, each
  its own connection and clerk, voters of one village;
* turnout board: after the check-ins (so it counts them), `elections.voting.turnout` of the busiest village
  and the board's refresh, the `elections:day_turnout` fragment the election-day page polls; besides, the
  bench's own two grouped queries per station and grid, and the overview page for the county admin (every
  election's roll, turnout and dates at risk).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's shanzhi, whatever is installed

from _common import CLI, measure, open_demo  # noqa: E402

ROUND = "压测换届"
BOARD = "elections:day_turnout"  # the election-day turnout board (elections/urls_day.py, htmx-polled every 10 s)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "shanzhi-bench-elections"))
    p.add_argument("--scale", choices=["small", "full"], default="full")
    p.add_argument("--residents", type=int, default=0, help="a synthetic county of N residents instead of the demo")
    p.add_argument("-n", type=int, default=10, help="timed runs per row (median reported)")
    p.add_argument("--clerks", type=int, default=8, help="concurrent clerks checking voters in")
    p.add_argument("--checkins", type=int, default=400, help="check-ins in all")
    return p.parse_args()


# ---- data ------------------------------------------------------------------------------------------

def open_synthetic(data_dir: str, residents: int) -> None:
    """Point Django at DIR and build a synthetic county of `residents` people there unless it holds one."""
    import subprocess

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

    staticbuild.ensure_collected()
    if OrgUnit.objects.exists():
        print(f"reusing the county in {data}", file=sys.stderr)
        return
    t0 = time.monotonic()
    build_synthetic(residents)
    print(f"built a synthetic county of {residents:,} residents in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def build_synthetic(residents: int, seed: int = 7) -> None:
    """County → 2 towns → 10 villages each → 3 grids → 2 micro-grids; households of 3 (a head, a spouse, a
    child or parent); ages 0-95; 85% with hukou. Rows written in bulk (no ID numbers: fake hashes)."""
    import random

    from django.db import transaction

    from shanzhi.accounts.services import user_create_staff
    from shanzhi.org.models import Level, Role
    from shanzhi.org.services import orgunit_create, post_appoint, rollups_refresh
    from shanzhi.people.models import Household, Registration, Relation, Resident

    rng = random.Random(seed)
    today = dt.date.today()
    with transaction.atomic():
        county = orgunit_create(actor=None, code="330421", name="嘉善县", level=Level.COUNTY, parent=None,
                                kind="county")
        mgs = []
        for t in range(2):
            town = orgunit_create(actor=None, code=f"3304211{t:02d}", name=f"第{t + 1}镇", level=Level.TOWN,
                                  parent=county, kind="town")
            for v in range(10):
                village = orgunit_create(actor=None, code=f"{town.code}2{v:02d}", name=f"{town.name}{v + 1}村",
                                         level=Level.VILLAGE, parent=town, kind="village")
                for g in range(3):
                    grid = orgunit_create(actor=None, code=f"{village.code}{g + 1:03d}", name=f"{village.name}{g + 1}网格",
                                          level=Level.GRID, parent=village)
                    for m in range(2):
                        mgs.append(orgunit_create(actor=None, code=f"{grid.code}{m + 1:03d}", name=f"{m + 1}组",
                                                  level=Level.MICROGRID, parent=grid, kind="villager_group"))
        admin = user_create_staff(actor=None, username="admin", password="Bench-2026-elections",
                                  display_name="县管理员", check_strength=False)
        post_appoint(actor=None, unit=county, role=Role.COUNTY_ADMIN, user=admin, start_date=dt.date(2024, 1, 1))
    n_households = max(1, residents // 3)
    households = [Household(number=f"B{i:07d}", micro_grid=mgs[i % len(mgs)], address=f"{i}号",
                            registration=Registration.REGISTERED) for i in range(n_households)]
    people = []
    for i in range(residents):
        h = households[i % n_households]
        born = today - dt.timedelta(days=rng.randint(0, 95 * 365))
        relation = Relation.HEAD if i < n_households else Relation.SPOUSE if i < 2 * n_households else Relation.CHILD
        people.append(Resident(household=h, name=f"居民{i}", sex=rng.choice("MF"), birth_date=born,
                               id_number_enc="-", id_number_hash=f"bench-{i}", id_number_masked="330421**********",
                               relation=relation, residence=Registration.REGISTERED if rng.random() < 0.85
                               else Registration.FLOATING))
    with transaction.atomic():
        Household.objects.bulk_create(households, batch_size=5000)
        for p in people:
            p.household_id = p.household.pk
        Resident.objects.bulk_create(people, batch_size=5000)
    rollups_refresh()


def bench_round(today: dt.date):
    """The bench round with an election in every village (election day today, stage voting), made once."""
    from django.utils import timezone

    from shanzhi.elections.models import Election, Round, Rules, Stage
    from shanzhi.org.models import Level, OrgUnit

    county = OrgUnit.objects.get(parent__isnull=True)
    rnd = Round.objects.filter(unit=county, name=ROUND).first()
    now = timezone.now()
    if rnd is None:
        rnd = Round.objects.create(unit=county, name=ROUND, election_day=today, rules=Rules.objects.create(),
                                   created_at=now)
    Election.objects.filter(round=rnd).update(election_day=today)
    have = set(Election.objects.filter(round=rnd).values_list("unit_id", flat=True))
    Election.objects.bulk_create([
        Election(round=rnd, unit=v, election_day=today, stage=Stage.VOTING, roll_published_at=now,
                 candidates_published_at=now, voting_opened_at=now, created_at=now, updated_at=now)
        for v in OrgUnit.objects.filter(level=Level.VILLAGE).exclude(id__in=have)])
    return rnd


def adults(rnd, today: dt.date):
    """A plain count of the same residents the roll takes: active, hukou in a village, 18 or more today."""
    from shanzhi.people.models import Registration, Resident, ResidentStatus

    born_by = today.replace(year=today.year - rnd.rules.voting_age) if not (today.month == 2 and today.day == 29) \
        else dt.date(today.year - rnd.rules.voting_age, 2, 28)
    return Resident.objects.filter(status=ResidentStatus.ACTIVE, residence=Registration.REGISTERED,
                                   household__micro_grid__isnull=False, birth_date__lte=born_by).count()


def demo_roll(rnd, today: dt.date) -> int:
    """The roll as the demo writes it (elections.demo's rule and rows), every village in one pass."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from shanzhi.elections.demo import _people
    from shanzhi.elections.models import Basis, Voter

    rng = random.Random(1)
    now = timezone.now()
    made = 0
    with transaction.atomic():
        for e in rnd.elections.select_related("unit").order_by("unit__path"):
            rows = [Voter(election=e, round=rnd, resident_id=p[0], number=f"{e.unit.code}-{i:05d}", name=p[1],
                          sex=p[2], micro_grid_id=p[6], basis=Basis.HUKOU, card_token=f"{rng.getrandbits(128):032x}",
                          added_at=now) for i, p in enumerate(_people(e.unit, today, rnd.rules.voting_age), start=1)]
            Voter.objects.bulk_create(rows, batch_size=5000)
            made += len(rows)
    return made


def duplicates(rnd) -> int:
    """Residents on two rolls of the round: `roll.duplicates_report`, what the round's duplicate-check page
    runs (the constraint makes it 0 for rolls the services wrote)."""
    from shanzhi.elections.roll import duplicates_report

    return len(duplicates_report(rnd))


def station_board(election) -> tuple[list, list]:
    """Turnout per station and per grid of one election: two grouped queries."""
    from django.db.models import Count

    from shanzhi.elections.models import Participation, Voter

    stations = list(Participation.objects.filter(election=election, ballot_round=1).values("station_id")
                    .annotate(n=Count("id")).order_by("station_id"))
    grids = list(Voter.objects.filter(election=election, removed_at__isnull=True)
                 .values("micro_grid__parent_id")
                 .annotate(roll=Count("id"), voted=Count("participations", distinct=True))
                 .order_by("micro_grid__parent_id"))
    return stations, grids


# ---- the runs --------------------------------------------------------------------------------------

def time_once(fn) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        value = fn()
        ms = (time.perf_counter() - t0) * 1000
    return ms, len(ctx), value


def run_roll_generate_all(rnd) -> tuple[float, int, int] | str:
    """E1's one-pass roll for the whole round, rolled back; or why it could not run."""
    try:
        from shanzhi.elections.roll import roll_generate_all
    except ImportError as exc:
        return f"elections.roll.roll_generate_all is not in this checkout ({exc}); run again after merging"
    from django.db import transaction

    from shanzhi.elections.models import Voter

    class Rollback(Exception):
        pass

    from shanzhi.elections.models import Stage

    out: tuple = ()
    try:
        with transaction.atomic():
            Voter.objects.filter(round=rnd).delete()
            # the bench round stands at voting day; roll_generate_all only takes unpublished rolls in set-up, so
            # put the round back there for the timing (rolled back with the rest)
            rnd.elections.update(stage=Stage.SETUP, roll_published_at=None, candidates_published_at=None,
                                 voting_opened_at=None)
            ms, queries, _ = time_once(lambda: roll_generate_all(actor=None, round=rnd))
            out = (ms, queries, Voter.objects.filter(round=rnd, removed_at__isnull=True).count())
            raise Rollback
    except Rollback:
        pass
    return out


def run_checkins(election, clerks: int, total: int) -> dict | str:
    """`total` check-ins at one village's stations by `clerks` threads (one clerk each); the rows stay for the
    turnout board and are removed by `main` after it."""
    try:
        from shanzhi.elections.voting import checkin
    except ImportError as exc:
        return f"elections.voting.checkin is not in this checkout ({exc}); run again after merging"
    from django.db import connection, connections
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.elections.models import Participation, StaffRole, Station, StationKind, StationStaff, Voter

    station, _ = Station.objects.get_or_create(election=election, kind=StationKind.CENTRAL,
                                               defaults={"name": "压测中心会场"})
    users = []
    for i in range(clerks):
        u, _ = User.objects.get_or_create(username=f"bench-clerk-{i}", defaults={"display_name": f"发票员{i}"})
        StationStaff.objects.get_or_create(station=station, role=StaffRole.CLERK, user=u,
                                           defaults={"name": u.display_name})
        users.append(u)
    tokens = list(Voter.objects.filter(election=election, removed_at__isnull=True, participations__isnull=True)
                  .values_list("card_token", flat=True)[:total])
    share = [tokens[i::clerks] for i in range(clerks)]
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    now = timezone.now()

    def work(user, mine):
        try:
            for token in mine:
                t0 = time.perf_counter()
                try:
                    checkin(actor=user, station=station, card_token=token, now=now)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    times.append((time.perf_counter() - t0) * 1000)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u, m)) for u, m in zip(users, share, strict=True)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    made = Participation.objects.filter(election=election, station=station).count()
    connection.close()
    times.sort()
    return {"tried": len(tokens), "made": made, "errors": errors[:3], "n_errors": len(errors), "wall_s": wall,
            "median_ms": statistics.median(times) if times else 0.0,
            "p95_ms": times[int(len(times) * 0.95) - 1] if times else 0.0, "village": election.unit.name}


def main() -> None:
    args = parse_args()
    if args.residents:
        open_synthetic(args.data_dir, args.residents)
    else:
        open_demo(args.data_dir, args.scale)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from shanzhi.accounts.models import User
    from shanzhi.elections import selectors_overview as sel
    from shanzhi.elections.models import Voter
    from shanzhi.lib import clock

    today = clock.today()
    rnd = bench_round(today)
    elections = rnd.elections.count()
    anon, admin = Client(), Client()
    admin_user = User.objects.get(username="admin")
    admin.force_login(admin_user)

    def get(client: Client, url: str):
        def call():
            r = client.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: expected 200, got {r.status_code}")
            return r
        return call

    rows: list[tuple[str, int, float, str]] = []
    login_ms, login_q = measure(get(anon, "/accounts/login/"), args.n)
    rows.append(("baseline: login page", login_q, login_ms, ""))
    print(f"  login page {login_q} q {login_ms:.1f} ms", file=sys.stderr)
    count_ms, count_q = measure(lambda: adults(rnd, today), max(3, args.n // 3))
    n_adults = adults(rnd, today)
    rows.append((f"plain count of the residents the roll takes ({n_adults:,})", count_q, count_ms, ""))
    Voter.objects.filter(round=rnd).delete()
    ms, q, made = time_once(lambda: demo_roll(rnd, today))
    rows.append((f"roll, every village, demo bulk writer ({made:,} voters)", q, ms,
                 f"{made / (ms / 1000):,.0f} voters/s"))
    print(f"  demo roll {made:,} in {ms / 1000:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would have them after a roll
        with connection.cursor() as cur:
            cur.execute("ANALYZE elections_voter; ANALYZE elections_participation; ANALYZE elections_election")
    generated = run_roll_generate_all(rnd)
    if isinstance(generated, str):
        print(f"  roll_generate_all: {generated}", file=sys.stderr)
        rows.append(("roll, every village, roll_generate_all (one pass)", 0, 0.0, "not run: " + generated))
    elif generated:
        ms, q, n = generated
        rows.append((f"roll, every village, roll_generate_all (one pass, {n:,} voters)", q, ms,
                     f"{n / (ms / 1000):,.0f} voters/s; rolled back"))
    dup_ms, dup_q = measure(lambda: duplicates(rnd), max(3, args.n // 3))
    rows.append((f"cross-village duplicate check ({duplicates(rnd)} found)", dup_q, dup_ms, ""))
    busiest = sel.with_counts(rnd.elections.all()).order_by("-roll_count").first()
    ms, q = measure(lambda: station_board(busiest), args.n)
    rows.append((f"turnout per station and grid ({busiest.unit.name}, {busiest.roll_count:,} voters)", q, ms, ""))
    ms, q = measure(lambda: sel.overview(user=admin_user, today=today, round_id=rnd.pk), args.n)
    rows.append((f"overview rows: {elections} elections' roll, turnout, risks (selector)", q, ms, ""))
    ms, q = measure(get(admin, reverse("elections:home") + f"?round={rnd.pk}"), args.n)
    rows.append(("overview page (county admin)", q, ms, ""))
    checkins = run_checkins(busiest, args.clerks, args.checkins)  # before the board, so it counts them
    from shanzhi.elections import voting

    voted = voting.turnout(busiest).voted
    ms, q = measure(lambda: voting.turnout(busiest), args.n)
    rows.append((f"turnout board rows: voting.turnout ({busiest.unit.name}, {voted:,} checked in)", q, ms, ""))
    ms, q = measure(get(admin, reverse(BOARD, kwargs={"pk": busiest.pk})), args.n)
    rows.append((f"turnout board refresh: `{BOARD}` page ({busiest.unit.name}, county admin)", q, ms,
                 "the fragment htmx polls every 10 s"))
    from shanzhi.elections.models import Participation

    Participation.objects.filter(election__round=rnd).delete()
    Voter.objects.filter(round=rnd).delete()  # the bench leaves no roll behind
    load = os.getloadavg()
    print(f"\nElections on {connection.vendor} ({n_adults:,} adults with hukou, {elections} village elections in "
          f"the bench round): median of {args.n} runs (one for the roll), queries per run; load average at "
          f"the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")
    print("| what | queries | median ms | × login page | note |")
    print("|---|---:|---:|---:|---|")
    for label, q, ms, note in rows:
        ratio = f"{ms / login_ms:,.1f}" if ms else "—"
        print(f"| {label} | {q} | {ms:,.1f} | {ratio} | {note} |")
    if isinstance(checkins, str):
        print(f"\nCheck-in at {args.clerks} concurrent clerks: not run: {checkins}")
    else:
        print(f"\nCheck-in at {args.clerks} concurrent clerks ({checkins['village']}): {checkins['made']:,} of "
              f"{checkins['tried']:,} voters checked in in {checkins['wall_s']:.1f} s "
              f"({checkins['made'] / max(checkins['wall_s'], 1e-9):,.0f} a second), median "
              f"{checkins['median_ms']:.1f} ms, p95 {checkins['p95_ms']:.1f} ms a check-in; "
              f"{checkins['n_errors']} refused {checkins['errors']}. Rows removed.")


if __name__ == "__main__":
    main()
