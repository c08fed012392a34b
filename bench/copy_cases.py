"""Copy the cases (with their timeline events and the day counters) above a given id from the database of
DATABASE_URL into a SQLite data dir that holds the same demo county, so that two databases get the same
million cases from one run of the generator (which costs far more CPU than the copy).

    DATABASE_URL=postgres://... python bench/copy_cases.py --to-sqlite-dir DIR --above ID

Both databases must hold the same demo county (`shanzhi demo --scale full` with the same seed builds the
same ids in SQLite and PostgreSQL; the script checks the units, categories, users and the cases up to
--above). Rows go through Django's bulk_create (its value conversions), in batches, without signals;
rebuild the roll-ups afterwards (`shanzhi rollups --rebuild`, or bench_dashboard.py, which does).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH = 5000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--to-sqlite-dir", required=True)
    p.add_argument("--above", type=int, required=True, help="copy the cases with a larger id")
    args = p.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections, transaction

    from shanzhi.accounts.models import User
    from shanzhi.cases.models import Case, CaseNumber, Category, Event
    from shanzhi.org.models import OrgUnit

    target = dict(settings.DATABASES["default"])
    target.update(ENGINE="shanzhi.lib.sqlite", NAME=str(Path(args.to_sqlite_dir) / "shanzhi.sqlite3"),
                  CONN_MAX_AGE=0, OPTIONS={"transaction_mode": "IMMEDIATE", "timeout": 20,
                                           "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                                           "PRAGMA case_sensitive_like=ON;"})
    for key in ("HOST", "PORT", "USER", "PASSWORD"):
        target[key] = ""
    connections.databases["copy"] = target

    def digest(qs, *fields) -> str:
        return hashlib.md5(repr(list(qs.order_by("pk").values_list(*fields))).encode()).hexdigest()

    for what, qs, fields in [("units", OrgUnit.objects, ("id", "code")), ("categories", Category.objects, ("id", "code")),
                             ("users", User.objects, ("id", "username")),
                             ("cases", Case.objects.filter(id__lte=args.above), ("id", "number", "unit_id"))]:
        if digest(qs.using("default"), *fields) != digest(qs.using("copy"), *fields):
            raise SystemExit(f"the two databases differ in their {what}: build both from the same demo seed")
    t0 = time.monotonic()
    copied = events = 0
    with transaction.atomic(using="copy"):
        Event.objects.using("copy").filter(case_id__gt=args.above).delete()
        Case.objects.using("copy").filter(id__gt=args.above).delete()
        source = Case.objects.using("default").filter(id__gt=args.above).order_by("id")
        last = args.above
        while True:
            rows = list(source.filter(id__gt=last)[:BATCH])
            if not rows:
                break
            Case.objects.using("copy").bulk_create(rows, batch_size=BATCH)
            evs = list(Event.objects.using("default").filter(case_id__gt=last, case_id__lte=rows[-1].pk))
            Event.objects.using("copy").bulk_create(evs, batch_size=BATCH)
            copied, events, last = copied + len(rows), events + len(evs), rows[-1].pk
            print(f"  {copied:,} cases, {events:,} events", file=sys.stderr, end="\r")
        for number in CaseNumber.objects.using("default").all():
            CaseNumber.objects.using("copy").update_or_create(prefix=number.prefix, defaults={"last": number.last})
    print(f"\ncopied {copied:,} cases and {events:,} events in {time.monotonic() - t0:.0f} s; "
          f"the copy holds {Case.objects.using('copy').count():,} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
