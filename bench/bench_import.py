"""Benchmark importing 100,000 residents from CSV, against plain CSV parsing and a plain bulk insert.

Builds a small grid tree straight into a fresh database (county -> 3 towns -> 12 villages -> 36 grids
-> 360 micro-grids), writes a valid CSV of N residents (households of 1-5, phones, care tags,
coordinates, UTF-8 with BOM), then measures in the same run:

- parsing alone: read_table() (decode + csv) of the file,
- the baseline: registry_bulk_insert() of the same rows, already validated and encrypted,
- the full import: import_people() (parse, validate every row, batched look-ups, encrypt, write,
  roll counts up), with its validate and write stages timed from the progress callback,

and prints a Markdown table with rows per second and the ratio to the bulk-insert baseline.

    python bench/bench_import.py [--rows 100000] [--seed 7] [--database-url postgres://...]

Without --database-url a SQLite file in a temporary directory is used.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["户号", "微网格编码", "地址", "户籍类型", "姓名", "身份证号", "与户主关系", "人口类型", "联系电话", "关爱标签",
          "纬度", "经度"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅兰玉珍凤"
TAGS = ["独居老人", "残疾人", "低保户", "退役军人", "党员", "留守儿童", "重病"]


def setup_django(tmp: Path, database_url: str | None) -> None:
    os.environ["SHANZHI_DATA_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def build_tree() -> list[str]:
    """County, towns, villages, grids, micro-grids (no boundaries); return the micro-grid codes."""
    from shanzhi.org.models import Level, OrgUnit

    county = OrgUnit.objects.create(code="330421", name="嘉善县", level=Level.COUNTY, path="330421/")
    codes: list[str] = []
    for t in range(1, 4):
        town = OrgUnit.objects.create(code=f"330421{100 + t}", name=f"镇{t}", level=Level.TOWN, parent=county,
                                      path=f"{county.path}330421{100 + t}/")
        for v in range(1, 5):
            vcode = f"{town.code}{200 + v}"
            village = OrgUnit.objects.create(code=vcode, name=f"村{t}-{v}", level=Level.VILLAGE, parent=town,
                                             path=f"{town.path}{vcode}/")
            for g in range(1, 4):
                gcode = f"{vcode}{g:03d}"
                grid = OrgUnit.objects.create(code=gcode, name=f"网格{gcode}", level=Level.GRID, parent=village,
                                              path=f"{village.path}{gcode}/")
                mgs = [OrgUnit(code=f"{gcode}{m:03d}", name=f"{m}组", level=Level.MICROGRID, parent=grid,
                               path=f"{grid.path}{gcode}{m:03d}/") for m in range(1, 11)]
                OrgUnit.objects.bulk_create(mgs)
                codes.extend(u.code for u in mgs)
    return codes


def make_rows(n: int, codes: list[str], rng: random.Random) -> list[list[str]]:
    """N valid resident rows in households of 1-5, heads first; unique ID numbers and household numbers."""
    from shanzhi.lib.codes import make_id_number

    relations = ["配偶", "子女", "父母", "孙子女", "兄弟姐妹", "租户"]
    rows: list[list[str]] = []
    h = 0
    while len(rows) < n:
        h += 1
        code = rng.choice(codes)
        floating = rng.random() < 0.45
        reg = "流动" if floating else "户籍"
        lat, lon = f"{30.74 + rng.random() * 0.2:.6f}", f"{120.80 + rng.random() * 0.25:.6f}"
        address = f"{code[-6:]}号楼{h % 300}室"
        for k in range(min(rng.randint(1, 5), n - len(rows))):
            i = len(rows)
            sex = "M" if i % 2 else "F"
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=i // 1000 * 7 + rng.randint(0, 6))
            id_number = make_id_number("330421", birth, (i % 1000) // 2, sex)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            phone = f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}" if rng.random() < 0.7 else ""
            tags = "、".join(rng.sample(TAGS, rng.choice([0, 0, 0, 0, 1, 1, 2])))
            rows.append([f"B{h:07d}", code, address, reg, name, id_number, "户主" if k == 0 else rng.choice(relations),
                         reg, phone, tags, lat, lon])
    return rows


def wipe() -> None:
    from django.db import transaction

    from shanzhi.org.services import rollups_refresh
    from shanzhi.people.models import Household, Residency, Resident

    with transaction.atomic():
        Resident.tags.through.objects.all().delete()
        Residency.objects.all().delete()
        Resident.objects.all().delete()
        Household.objects.all().delete()
        rollups_refresh()


def prebuilt(rows: list[list[str]]):
    """The same rows as HouseholdRows, validated and encrypted in advance (the baseline's input)."""
    from shanzhi.org.models import OrgUnit
    from shanzhi.people.bulk import HouseholdRows
    from shanzhi.people.importing import RELATIONS
    from shanzhi.people.models import CareTag, Household, Resident
    from shanzhi.people.services import clean_person

    units = {u.code: u for u in OrgUnit.objects.filter(level="microgrid")}
    tag_codes = dict(CareTag.objects.values_list("name", "code"))
    reg = {"户籍": "registered", "流动": "floating"}
    items: dict[str, HouseholdRows] = {}
    for number, code, address, registration, name, id_number, relation, residence, phone, tags, lat, lon in rows:
        item = items.get(number)
        if item is None:
            item = items[number] = HouseholdRows(Household(
                number=number, micro_grid=units[code], address=address, registration=reg[registration],
                lat=float(lat), lon=float(lon)))
        p = clean_person(name=name, id_number=id_number, phone=phone)
        r = Resident(name=p["name"], sex=p["sex"], birth_date=p["birth_date"], relation=RELATIONS[relation],
                     residence=reg[residence])
        r.set_id_number(p["id_number"])
        if p["phone"]:
            r.set_phone(p["phone"])
        item.residents.append((r, [tag_codes[t] for t in tags.split("、") if t]))
    return list(items.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sz-bench-import-"))
    setup_django(tmp, args.database_url)
    from django.db import connection, transaction

    from shanzhi.org.models import OrgUnit
    from shanzhi.people.bulk import registry_bulk_insert
    from shanzhi.people.importing import import_people, read_table
    from shanzhi.people.models import Household, Resident

    codes = build_tree()
    rows = make_rows(args.rows, codes, random.Random(args.seed))
    path = tmp / "people.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    n = len(rows)
    size_mb = path.stat().st_size / 1e6
    print(f"{n} rows, {len({r[0] for r in rows})} households, {len(codes)} micro-grids, "
          f"{size_mb:.1f} MB CSV, database {connection.vendor}", file=sys.stderr)

    results: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    table = read_table(path)
    results.append(("parse only: read_table() (decode + csv)", time.perf_counter() - t0))
    assert len(table.rows) == n + 1

    t0 = time.perf_counter()
    items = prebuilt(rows)
    results.append(("prepare baseline input: clean_person + encrypt (not part of the baseline)",
                    time.perf_counter() - t0))
    t0 = time.perf_counter()
    with transaction.atomic():
        registry_bulk_insert(actor=None, items=items, moved_in=dt.date(2026, 1, 1), action="bench.bulk")
    bulk = time.perf_counter() - t0
    results.append(("**baseline**: registry_bulk_insert() of pre-validated rows", bulk))
    assert Resident.objects.count() == n
    wipe()

    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            marks[stage] = time.perf_counter()

    t0 = time.perf_counter()
    report = import_people(actor=None, path_or_file=path, progress=progress)
    total = time.perf_counter() - t0
    assert report.ok and report.residents == n, report.errors[:5]
    results.append(("import: read + validate (to the end of 校验)", marks["校验"] - t0))
    results.append(("import: cross-row checks + encrypt + write + roll up", marks["写入"] - marks["校验"]))
    results.append(("**import_people() total**", total))
    assert Household.objects.count() == report.households
    assert OrgUnit.objects.get(code="330421").resident_count == n

    print(f"\nImport of {n:,} residents ({report.households:,} households), {connection.vendor}:\n")
    print("| step | seconds | rows/s | time vs baseline |")
    print("|---|---:|---:|---:|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} | {n / seconds:,.0f} | {seconds / bulk:.2f}× |")


if __name__ == "__main__":
    main()
