"""Build the deterministic demo county into the database: `build_demo(scale, seed)`.

Phases, each with a progress bar on stderr and one "demo.load" audit row:
  1. units: county, 9 real towns, villages/communities, grids, compounds, micro-grids with boundaries
  2. staff: departments, staff accounts (one shared password hash), their posts
  3. people: per village, households and residents through people.bulk.registry_bulk_insert, central
     households with their linked households, micro-grid heads, party members' registrations
  4. rollups: org.services.rollups_refresh()
Everything is bulk-inserted; no per-row queries. Same scale and seed, same county.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import queue
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from tqdm import tqdm

from shanzhi.accounts.models import User, UserKind
from shanzhi.audit.services import audit_record
from shanzhi.demo import names as N
from shanzhi.demo.people import PeopleFactory, person_name, village_rows
from shanzhi.demo.plan import CountyPlan, make_plan
from shanzhi.demo.reset import DemoError, ensure_care_tags, existing_rows, reset_database
from shanzhi.demo.shapes import Quad, bbox_fields, geojson
from shanzhi.org import locate
from shanzhi.org.models import Department, Level, OrgUnit, Post, Role
from shanzhi.org.services import rollups_refresh
from shanzhi.people.bulk import HouseholdRows, registry_bulk_insert
from shanzhi.people.models import (
    CadreRegistration,
    CentralHousehold,
    Household,
    Resident,
)

DEMO_PASSWORD = "shanzhi-demo"
POSTS_START = dt.date(2024, 1, 1)
MOVED_IN = dt.date(2024, 1, 1)
BATCH = 5000
TOWN_STAFF_PER_TOWN = 3
CADRES_PER_VILLAGE = 5
STAFF_PER_DEPARTMENT = 2

# The log-ins a newcomer (README, browser tests) can rely on; all staff share DEMO_PASSWORD.
# Every other staff account follows the scheme in USERNAME_SCHEME.
DEMO_LOGINS: list[dict[str, str]] = [
    {"username": "admin", "role": Role.COUNTY_ADMIN, "unit": "330421", "who": "县级管理员（嘉善县）"},
    {"username": "town", "role": Role.TOWN_STAFF, "unit": "330421112", "who": "天凝镇工作人员"},
    {"username": "cadre", "role": Role.VILLAGE_CADRE, "unit": "330421112201", "who": "新联村村干部"},
    {"username": "worker_a", "role": Role.GRID_WORKER, "unit": "330421112201001", "who": "新联村第一网格专职网格员"},
    {"username": "worker_b", "role": Role.GRID_WORKER, "unit": "330421112201002", "who": "新联村第二网格专职网格员"},
    {"username": "worker_c", "role": Role.GRID_WORKER, "unit": "330421102201001", "who": "洋桥村第一网格专职网格员（大云镇）"},
    {"username": "dept", "role": Role.DEPARTMENT_STAFF, "unit": "330421", "who": "公安局工作人员"},
    {"username": "mediator", "role": Role.MEDIATOR, "unit": "330421", "who": "县矛调中心调解员"},
]
# The resident whose phone is printed for the one-time-code log-in: head of this household.
DEMO_RESIDENT_HOUSEHOLD = "330421112201001001-001"
USERNAME_SCHEME = (
    "ts<镇3位>-<n> 镇街工作人员（如 ts112-2）；vc<镇3位><村3位>-<n> 村社干部（如 vc112201-2）；"
    "gh/gw<镇3位><村3位><网格3位> 网格长/专职网格员（如 gw111001001）；ds<部门2位>-<n> 部门工作人员；"
    "med-<n> 县矛调中心调解员、med<镇3位>-1 镇街调解员"
)
_ALIASES = {
    (Role.TOWN_STAFF, "330421112", 1): "town",
    (Role.VILLAGE_CADRE, "330421112201", 1): "cadre",
    (Role.GRID_WORKER, "330421112201001", 1): "worker_a",
    (Role.GRID_WORKER, "330421112201002", 1): "worker_b",
    (Role.GRID_WORKER, "330421102201001", 1): "worker_c",
    (Role.DEPARTMENT_STAFF, "03", 1): "dept",
    (Role.MEDIATOR, "330421", 1): "mediator",
}


def _bar(progress: bool, **kw) -> tqdm:
    return tqdm(file=sys.stderr, disable=not progress, leave=True, dynamic_ncols=True, **kw)


def _unit(code: str, name: str, level: str, kind: str, parent: OrgUnit | None, quad: Quad) -> OrgUnit:
    return OrgUnit(code=code, name=name, level=level, kind=kind, parent=parent,
                   path=(parent.path if parent else "") + code + "/", boundary=geojson(quad), **bbox_fields(quad))


def _phase_audit(phase: str, label: str, counts: dict[str, int], unit_path: str = "") -> None:
    audit_record(actor=None, action="demo.load", object_type="demo", object_id=phase, object_repr=label,
                 unit_path=unit_path, after=counts)


class _Builder:
    """Writes a plan to the database, phase by phase; keeps the created units by code."""

    def __init__(self, plan: CountyPlan, progress: bool) -> None:
        self.plan = plan
        self.progress = progress
        self.units: dict[str, OrgUnit] = {}
        self.counts: dict[str, int] = {}

    # -- 1. units -----------------------------------------------------------------------------------
    @transaction.atomic
    def units_phase(self) -> None:
        """Every unit, level by level (parents first, so children get their parent ids), with boundaries."""
        p = self.plan
        county = _unit(p.code, p.name, Level.COUNTY, "county", None, p.quad)
        total = 1 + sum(1 + sum(1 + len(g.compounds) + len(g.micro_grids) for g in v.grids)
                        for v in p.villages()) + len(p.towns)
        with _bar(self.progress, total=total, desc="1/4 网格与边界", unit="个") as bar:
            OrgUnit.objects.bulk_create([county])
            bar.update(1)
            towns = [_unit(t.code, t.name, Level.TOWN, t.kind, county, t.quad) for t in p.towns]
            OrgUnit.objects.bulk_create(towns, batch_size=BATCH)
            bar.update(len(towns))
            villages = []
            for t, tu in zip(p.towns, towns, strict=True):
                villages += [_unit(v.code, v.name, Level.VILLAGE, v.kind, tu, v.quad) for v in t.villages]
            OrgUnit.objects.bulk_create(villages, batch_size=BATCH)
            bar.update(len(villages))
            vmap = {u.code: u for u in villages}
            grids = [_unit(g.code, g.name, Level.GRID, "grid", vmap[v.code], g.quad)
                     for v in p.villages() for g in v.grids]
            OrgUnit.objects.bulk_create(grids, batch_size=BATCH)
            bar.update(len(grids))
            gmap = {u.code: u for u in grids}
            compounds = [_unit(c.code, c.name, Level.COMPOUND, "compound", gmap[g.code], c.quad)
                         for v in p.villages() for g in v.grids for c in g.compounds]
            OrgUnit.objects.bulk_create(compounds, batch_size=BATCH)
            bar.update(len(compounds))
            cmap = {u.code: u for u in compounds}
            mgs = []
            for v in p.villages():
                for g in v.grids:
                    mgs += [_unit(m.code, m.name, Level.MICROGRID, m.kind, gmap[g.code], m.quad) for m in g.direct]
                    for c in g.compounds:
                        mgs += [_unit(m.code, m.name, Level.MICROGRID, m.kind, cmap[c.code], m.quad)
                                for m in c.micro_grids]
            for start in range(0, len(mgs), BATCH):
                OrgUnit.objects.bulk_create(mgs[start:start + BATCH], batch_size=BATCH)
                bar.update(len(mgs[start:start + BATCH]))
        for u in [county, *towns, *villages, *grids, *compounds, *mgs]:
            self.units[u.code] = u
        self.counts.update(towns=len(towns), villages=len(villages), grids=len(grids), compounds=len(compounds),
                           micro_grids=len(mgs))
        _phase_audit("units", "演示数据：网格与边界", {k: self.counts[k] for k in
                                               ("towns", "villages", "grids", "compounds", "micro_grids")},
                     county.path)

    # -- 2. staff -----------------------------------------------------------------------------------
    @transaction.atomic
    def staff_phase(self) -> None:
        """Departments, staff accounts sharing one password hash, and their posts."""
        rng = random.Random(f"shanzhi-demo-staff:{self.plan.seed}")
        county = self.units[self.plan.code]
        depts = [Department(code=f"{county.code}-{suffix}", name=name, unit=county) for suffix, name in N.DEPARTMENTS]
        Department.objects.bulk_create(depts)
        # (username, display name, role, unit, department)
        wanted: list[tuple[str, str, str, OrgUnit, Department | None]] = []

        def name() -> str:
            sex = "M" if rng.random() < 0.55 else "F"
            return person_name(rng, rng.choice(N.LOCAL_SURNAMES), sex)

        def add(default: str, role: str, unit: OrgUnit, key: str, n: int, dept: Department | None = None) -> None:
            wanted.append((_ALIASES.get((role, key, n), default), name(), role, unit, dept))

        add("admin", Role.COUNTY_ADMIN, county, county.code, 1)
        for n in range(1, 4):
            add(f"med-{n}", Role.MEDIATOR, county, county.code, n)
        for d in depts:
            suffix = d.code.rsplit("-", 1)[1]
            for n in range(1, STAFF_PER_DEPARTMENT + 1):
                add(f"ds{suffix}-{n}", Role.DEPARTMENT_STAFF, county, suffix, n, d)
        for t in self.plan.towns:
            tu = self.units[t.code]
            for n in range(1, TOWN_STAFF_PER_TOWN + 1):
                add(f"ts{t.code[6:]}-{n}", Role.TOWN_STAFF, tu, t.code, n)
            add(f"med{t.code[6:]}-1", Role.MEDIATOR, tu, t.code, 1)
            for v in t.villages:
                vu = self.units[v.code]
                for n in range(1, CADRES_PER_VILLAGE + 1):
                    add(f"vc{v.code[6:]}-{n}", Role.VILLAGE_CADRE, vu, v.code, n)
                for g in v.grids:
                    gu = self.units[g.code]
                    add(f"gh{g.code[6:]}", Role.GRID_HEAD, gu, g.code, 1)
                    add(f"gw{g.code[6:]}", Role.GRID_WORKER, gu, g.code, 1)
        with _bar(self.progress, total=len(wanted) * 2, desc="2/4 岗位与账号", unit="条") as bar:
            hashed = make_password(DEMO_PASSWORD)  # one hash for every demo account: hashing is slow on purpose
            users = [User(username=u, display_name=dn, kind=UserKind.STAFF, password=hashed)
                     for u, dn, _, _, _ in wanted]
            User.objects.bulk_create(users, batch_size=BATCH)
            bar.update(len(users))
            posts = [Post(unit=unit, role=role, user=user, holder_name=dn, department=dept, start_date=POSTS_START)
                     for user, (_, dn, role, unit, dept) in zip(users, wanted, strict=True)]
            Post.objects.bulk_create(posts, batch_size=BATCH)
            bar.update(len(posts))
        self.counts.update(departments=len(depts), users=len(users), staff_posts=len(posts))
        _phase_audit("staff", "演示数据：部门、账号与岗位",
                     {"departments": len(depts), "users": len(users), "posts": len(posts)}, county.path)

    # -- 3. people ----------------------------------------------------------------------------------
    def people_phase(self, parallel: bool) -> None:
        villages = self.plan.villages()
        totals = dict.fromkeys(("households", "residents", "floating", "central_households",
                                "cadre_registrations", "microgrid_heads"), 0)
        stream = village_stream(self.plan.scale, self.plan.seed, parallel=parallel)
        with _bar(self.progress, total=sum(v.households for v in villages), desc="3/4 户籍与居民", unit="户") as bar:
            for v, rows in zip(villages, stream, strict=True):
                n = self._load_village(v.code, rows)
                for k in totals:
                    totals[k] += n[k]
                bar.update(n["households"])
        self.counts.update(totals)
        with transaction.atomic():
            _phase_audit("people", "演示数据：户籍与居民", totals, self.units[self.plan.code].path)

    @transaction.atomic
    def _load_village(self, code: str, rows: list) -> dict[str, int]:
        """Insert one village: central households first, then the households they look after."""
        village = self.units[code]
        centrals: list[HouseholdRows] = []
        members: list[tuple[HouseholdRows, tuple[str, int]]] = []
        central_rows: dict[tuple[str, int], HouseholdRows] = {}
        regs: list[CadreRegistration] = []
        floating = n_res = 0
        for mg_code, number, address, lat, lon, registration, is_central, group, people in rows:
            rows_h = HouseholdRows(Household(number=number, micro_grid=self.units[mg_code], address=address,
                                             lat=lat, lon=lon, registration=registration))
            for (name, sex, birth, relation, residence, id_enc, id_hash, id_masked, ph_enc, ph_hash, ph_masked,
                 tags, cadre) in people:
                r = Resident(name=name, sex=sex, birth_date=birth, relation=relation, residence=residence,
                             id_number_enc=id_enc, id_number_hash=id_hash, id_number_masked=id_masked,
                             phone_enc=ph_enc, phone_hash=ph_hash, phone_masked=ph_masked)
                rows_h.residents.append((r, tags))
                if cadre is not None:
                    regs.append(CadreRegistration(resident=r, village=village, kind=cadre[0], work_unit=cadre[1],
                                                  registered_on=cadre[2]))
                floating += residence == "floating"
            n_res += len(people)
            key = (mg_code, group)
            if is_central:
                centrals.append(rows_h)
                central_rows[key] = rows_h
            else:
                members.append((rows_h, key))
        registry_bulk_insert(actor=None, items=centrals, moved_in=MOVED_IN, action="demo.load",
                             unit_path=village.path, reason="演示数据：党员中心户")
        # The central household's head is its leader (a party member, see people._mark_central).
        chs = {key: CentralHousehold(household=rows_h.household, leader=rows_h.residents[0][0])
               for key, rows_h in central_rows.items()}
        CentralHousehold.objects.bulk_create(list(chs.values()), batch_size=BATCH)
        for rows_h, key in members:
            rows_h.household.central_household = chs[key]
        registry_bulk_insert(actor=None, items=[rows_h for rows_h, _ in members], moved_in=MOVED_IN,
                             action="demo.load", unit_path=village.path, reason="演示数据：联系户")
        # Micro-grid heads: the leader of each micro-grid's first central household.
        heads = [Post(unit=self.units[mg_code], role=Role.MICROGRID_HEAD, resident=ch.leader,
                      holder_name=ch.leader.name, start_date=POSTS_START)
                 for (mg_code, group), ch in chs.items() if group == 0]
        Post.objects.bulk_create(heads, batch_size=BATCH)
        for reg in regs:  # the residents got their ids from the insert above
            reg.resident_id = reg.resident.pk
        CadreRegistration.objects.bulk_create(regs, batch_size=BATCH)
        return {"households": len(centrals) + len(members), "residents": n_res, "floating": floating,
                "central_households": len(chs), "cadre_registrations": len(regs), "microgrid_heads": len(heads)}

    # -- 4. rollups ---------------------------------------------------------------------------------
    @transaction.atomic
    def rollups_phase(self) -> None:
        with _bar(self.progress, total=1, desc="4/4 统计汇总", unit="步") as bar:
            changed = rollups_refresh()
            bar.update(1)
        _phase_audit("rollups", "演示数据：统计汇总", {"units_updated": changed}, self.units[self.plan.code].path)
        transaction.on_commit(locate.invalidate)


def _draft_worker(scale: str, seed: int, out) -> None:
    """Child process: draft and encrypt village after village, in order, into the `out` queue."""
    try:
        plan = make_plan(scale, seed)
        factory = PeopleFactory(seed)
        for v in plan.villages():
            out.put(village_rows(factory, v))
        out.put(None)
    except BaseException as exc:  # tell the parent rather than leave it waiting
        out.put(exc)
        raise


def village_stream(scale: str, seed: int, *, parallel: bool) -> Iterator[list]:
    """Each village's household rows in plan order; drafted in a forked process when `parallel`.

    Drafting and encrypting is about a fifth of the work: on two cores it overlaps the inserts.
    The child never touches the database connection.
    """
    if not parallel:
        plan = make_plan(scale, seed)
        factory = PeopleFactory(seed)
        for v in plan.villages():
            yield village_rows(factory, v)
        return
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue(maxsize=4)
    proc = ctx.Process(target=_draft_worker, args=(scale, seed, q), daemon=True)
    proc.start()
    try:
        while True:
            try:
                item = q.get(timeout=5)
            except queue.Empty:
                if not proc.is_alive():
                    raise RuntimeError("演示数据生成子进程意外退出") from None
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise RuntimeError("演示数据生成子进程出错") from item
            yield item
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _tune_database(loading: bool) -> None:
    """Faster bulk loading: SQLite without fsync and with a bigger page cache; PostgreSQL commits without
    waiting for the WAL flush (a crash mid-load loses the last villages, never consistency).
    Only outside a transaction (tests build inside one)."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            if loading:
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA cache_size=-262144")
                cur.execute("PRAGMA temp_store=MEMORY")
            else:
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA optimize")
        elif connection.vendor == "postgresql":
            cur.execute("SET synchronous_commit TO " + ("off" if loading else "DEFAULT"))
            if not loading:
                cur.execute("ANALYZE")


def demo_logins() -> list[dict[str, str]]:
    """The named demo log-ins with the demo resident's phone (read from the database)."""
    out = [dict(x, password=DEMO_PASSWORD) for x in DEMO_LOGINS]
    head = (Resident.objects.filter(household__number=DEMO_RESIDENT_HOUSEHOLD, relation="head")
            .exclude(phone_enc="").first())
    if head is not None:
        out.append({"username": head.phone_plain(), "role": "resident", "unit": DEMO_RESIDENT_HOUSEHOLD[:18],
                    "who": f"居民{head.name}（新联村，手机号+验证码登录）", "password": "（短信验证码）"})
    return out


CASES_PER_DAY = {"full": 300.0, "small": 6.0}
DISPUTES_PER_DAY = {"full": 60.0, "small": 1.2}


def build_demo(scale: str = "small", seed: int = 1, progress: bool = True, reset: bool = False,
               parallel: bool | None = None, cases: bool = True) -> dict[str, Any]:
    """Build the demo county; return a summary (counts, seconds, log-ins).

    Refuses (DemoError) when the database already holds units, people or users, unless reset=True,
    which first deletes them (see demo.reset). Cost: a few hundred bulk INSERTs per 10,000 residents.
    `parallel` (default: when the machine has 2+ cores and can fork) drafts people in a child process.
    `cases` adds a realistic year of cases (about 300 a day at full scale; see demo.casegen), and the
    mediation centres with a year of disputes (about 60 a day at full scale; see mediation.demo), and every
    village's four councils with a year of topics, meetings and decisions (see councils.demo), the
    moral panels' nominations and honour rolls (appraisal.demo) and the legal advisers' year (legal.demo),
    百事服务团: about 2% of adults as volunteers, village and town service teams, a year of service
    requests, activities, time-bank credits and store redemptions (volunteers.demo), and one round of
    village committee elections with villages at every stage (elections.demo).
    """
    started = time.monotonic()
    if parallel is None:
        # A forked drafter inside a test's transaction could disturb the shared connection: only at top level.
        parallel = _can_fork() and not connection.in_atomic_block
    if reset:
        reset_database()
    else:
        rows = existing_rows()
        if rows:
            found = "、".join(f"{n}{label}" for label, n in rows.items())
            raise DemoError(f"数据库中已有数据（{found}），为避免覆盖，未生成演示数据。"
                            "如需清空后重建，请加 --reset（将删除全部网格、人员、账号与审计记录）。")
    ensure_care_tags()
    plan = make_plan(scale, seed)
    builder = _Builder(plan, progress)
    _tune_database(True)
    # Millions of short-lived model instances: freeze what exists and collect rarely (saves ~15% CPU).
    old_threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    timings: dict[str, float] = {}
    phases = [("units", builder.units_phase), ("staff", builder.staff_phase),
              ("people", lambda: builder.people_phase(parallel=parallel)),
              ("rollups", builder.rollups_phase)]

    def incidents_phase() -> None:
        from shanzhi.demo.incidents import generate_incidents

        builder.counts["incidents"] = len(generate_incidents())

    phases.append(("incidents", incidents_phase))
    if cases:
        def cases_phase() -> None:
            from shanzhi.demo.casegen import generate_cases

            builder.counts["cases"] = generate_cases(per_day=CASES_PER_DAY[scale], days=365, seed=seed,
                                                     progress=progress)

        phases.append(("cases", cases_phase))

        def mediation_phase() -> None:
            from shanzhi.mediation.demo import generate_disputes, install_centres

            builder.counts["centres"] = install_centres()["centres"]
            disputes = generate_disputes(per_day=DISPUTES_PER_DAY[scale], days=365, seed=seed, progress=progress)
            builder.counts["disputes"] = disputes
            builder.counts["cases"] = builder.counts.get("cases", 0) + disputes  # a dispute is a case too

        phases.append(("mediation", mediation_phase))

        def councils_phase() -> None:
            from shanzhi.councils.demo import generate_councils

            made = generate_councils(days=365, seed=seed, scale=scale, progress=progress)
            builder.counts["councils"] = made.get("councils", 0)
            builder.counts["council_topics"] = made.get("topics", 0)
            builder.counts["council_meetings"] = made.get("meetings", 0)
            from shanzhi.appraisal.demo import generate_appraisals
            from shanzhi.legal.demo import generate_legal

            builder.counts["honour_roll"] = generate_appraisals(seed=seed)["honours"]
            builder.counts["legal_questions"] = generate_legal(days=365, seed=seed)["questions"]

        phases.append(("councils", councils_phase))

        def volunteers_phase() -> None:
            from shanzhi.volunteers.demo import generate_volunteers

            made = generate_volunteers(days=365, seed=seed, scale=scale, progress=progress)
            builder.counts["volunteers"] = made.get("volunteers", 0)
            builder.counts["service_requests"] = made.get("requests", 0)
            builder.counts["volunteer_activities"] = made.get("activities", 0)
            builder.counts["ledger_entries"] = made.get("credits", 0) + made.get("redemptions", 0)

        phases.append(("volunteers", volunteers_phase))
        def elections_phase() -> None:
            from shanzhi.elections.demo import generate_elections

            made = generate_elections(seed=seed, progress=progress)
            builder.counts["elections"] = made.get("elections", 0)
            builder.counts["voters"] = made.get("voters", 0)

        phases.append(("elections", elections_phase))
    try:
        for name, run in phases:
            t0 = time.monotonic()
            run()
            timings[name] = round(time.monotonic() - t0, 2)
    finally:
        gc.set_threshold(*old_threshold)
        gc.unfreeze()
        _tune_database(False)
    summary: dict[str, Any] = {"scale": scale, "seed": seed, **builder.counts,
                               "seconds": round(time.monotonic() - started, 1), "timings": timings,
                               "password": DEMO_PASSWORD, "logins": demo_logins()}
    return summary


__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DemoError", "build_demo", "demo_logins"]
