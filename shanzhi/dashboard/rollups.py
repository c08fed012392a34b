"""Daily roll-ups behind the case and mediation indicators: kept current, rebuilt, checked and read.

A case counts on the local day (settings.TIME_ZONE) it was reported and its own unit (the leaf: a
micro-grid, or the county for triage); a dispute on the local day it was registered and its first
centre's unit. Each leaf's day rows are recomputed from the raw rows and the difference is added to the
leaf's and every ancestor's day and month rows, so any unit's figure over any period is a sum of its own
rows: month rows for whole months inside the period, day rows for the edge days.

Counts and rates are exact. Durations go to log-scale buckets: bucket 0 holds durations under one
second, bucket b >= 1 holds [R**(b-1), R**b) seconds with R = 1.1 (and -b the same durations negative). A median is the geometric middle of
the bucket holding the middle duration (the mean of two such middles for an even count), so for
durations of a second or more it is within sqrt(R) - 1 (4.9%) of the exact median.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
import zlib
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, DateField, F, FloatField, Func, IntegerField, Q, Sum, When
from django.db.models.functions import TruncDate

from shanzhi.dashboard.models import (
    CASE_COUNT_FIELDS,
    DISPUTE_COUNT_FIELDS,
    CaseRollup,
    DisputeRollup,
    DurationRollup,
    Grain,
    Measure,
)
from shanzhi.lib.periods import Period, local_midnight

R = 1.1
LN_R = math.log(R)
MEDIAN_ERROR = math.sqrt(R) - 1  # 0.0488: the largest relative error of a median read from the buckets

CASE_MEASURES = {Measure.CASE_FIRST_RESPONSE.value: "first_response", Measure.CASE_CLOSE.value: "close"}
DISPUTE_MEASURE = Measure.DISPUTE_RESOLVE.value
Key = tuple[dt.date, int]  # (local day, leaf unit id)
_LOCK_CLASS = 0x5A1D  # first int of the two-int advisory lock: roll-up keys (the sweep uses the bigint form)


# ---- buckets -------------------------------------------------------------------------------------

def bucket_of(seconds: float) -> int:
    """The bucket of a duration (the same rule as the SQL of `_Bucket`); a negative duration (a dispute
    registered after its case closed) goes to the mirrored bucket -b, so buckets sort as durations do."""
    if abs(seconds) < 1:
        return 0
    b = math.floor(math.log(abs(seconds)) / LN_R) + 1
    return b if seconds > 0 else -b


def bucket_middle(bucket: int) -> float:
    """The geometric middle of a bucket, in seconds (0 for bucket 0, under a second either way)."""
    if bucket == 0:
        return 0.0
    return math.copysign(R ** (abs(bucket) - 0.5), bucket)


def median_seconds(hist: dict[int, int]) -> float | None:
    """The median read from a histogram {bucket: count}: the middle duration's bucket middle (the mean
    of the two middle ones for an even count); None when empty."""
    total = sum(hist.values())
    if total <= 0:
        return None
    wanted = [(total + 1) // 2] if total % 2 else [total // 2, total // 2 + 1]
    found: list[float] = []
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        while wanted and wanted[0] <= seen:
            wanted.pop(0)
            found.append(bucket_middle(bucket))
    return sum(found) / len(found)


class _Seconds(Func):
    """Seconds from the second expression to the first, in the database."""

    output_field = FloatField()

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS float8)",
                           arg_joiner=" - ", **extra)


class _Bucket(Func):
    """The log-scale bucket of a duration in seconds (see bucket_of)."""

    output_field = IntegerField()
    template = (f"(CASE WHEN %(expressions)s >= 1 THEN CAST(FLOOR(LN(%(expressions)s) / {LN_R!r}) AS INTEGER) + 1 "
                f"WHEN %(expressions)s <= -1 THEN -1 - CAST(FLOOR(LN(-(%(expressions)s)) / {LN_R!r}) AS INTEGER) "
                f"ELSE 0 END)")


def _bucket(end: str, start: str, cond: Q) -> CaseWhen:
    """The bucket of end - start for rows meeting `cond`, else NULL."""
    return CaseWhen(When(cond, then=_Bucket(_Seconds(F(end), F(start)))), default=None, output_field=IntegerField())


# ---- local days ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _fixed_offset(zone: str) -> int | None:
    """The zone's UTC offset in seconds when it has been the same since 1992 (Asia/Shanghai), else None."""
    tz = zoneinfo.ZoneInfo(zone)
    offsets = {tz.utcoffset(dt.datetime(y, m, 1)) for y in range(1992, 2060) for m in (1, 7)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def _local_date(field: str):
    """The local date of a timestamp column, computed by the database."""
    offset = _fixed_offset(settings.TIME_ZONE)
    if connection.vendor == "sqlite" and offset is not None:
        # SQLite's own date arithmetic (C), not Django's per-row Python function.
        return Func(F(field), template=f"date(%(expressions)s, '{offset:+d} seconds')", output_field=DateField())
    return TruncDate(field, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# ---- the raw definitions ----------------------------------------------------------------------------

def _case_counts() -> dict:
    from shanzhi.cases.indicators import COUNTS

    return COUNTS


def _case_durations() -> dict[str, tuple[str, Q]]:
    from shanzhi.cases.indicators import DURATIONS

    return {measure: DURATIONS[name] for measure, name in CASE_MEASURES.items()}


def _counted_cases():
    from shanzhi.cases.indicators import NOT_COUNTED
    from shanzhi.cases.models import Case

    return Case.objects.exclude(status__in=NOT_COUNTED)


def _dispute_counts() -> dict:
    """The counts of mediation.indicators.indicators_for, per dispute row."""
    from shanzhi.cases.indicators import TOWN_OR_BELOW, VILLAGE_OR_BELOW, closed_on_time_q
    from shanzhi.mediation.models import RESOLVED

    resolved = Q(result__in=RESOLVED)
    return {
        "accepted": Count("id"),
        "resolved": Count("id", filter=resolved),
        "first_time": Count("id", filter=Q(first_time=True)),
        "on_time": Count("id", filter=resolved & closed_on_time_q("case__")),
        "in_village": Count("id", filter=resolved & Q(case__closed_level__in=VILLAGE_OR_BELOW)),
        "in_town": Count("id", filter=resolved & Q(case__closed_level__in=TOWN_OR_BELOW)),
        "repeats": Count("id", filter=Q(repeat_of__isnull=False)),
        "petitions": Count("id", filter=Q(kind="petition")),
    }


def _resolved_q() -> Q:
    from shanzhi.mediation.models import RESOLVED

    return Q(result__in=RESOLVED, case__closed_at__isnull=False)


# ---- SQL helpers -------------------------------------------------------------------------------------

def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _qn(model._meta.db_table)


_SHAPES = {
    # model: (key columns after grain/day/unit, value columns)
    CaseRollup: (("category_id",), CASE_COUNT_FIELDS),
    DisputeRollup: ((), DISPUTE_COUNT_FIELDS),
    DurationRollup: (("measure", "bucket"), ("n",)),
}
_FIRST = {CaseRollup: "reported", DisputeRollup: "accepted", DurationRollup: "n"}


def _upsert_sql(model, nrows: int) -> str:
    keys, vals = _SHAPES[model]
    cols = ["grain", "day", "unit_id", *keys, *vals]
    row = "(" + ", ".join(["%s"] * len(cols)) + ")"
    table = _table(model)
    conflict = ", ".join(_qn(c) for c in ["grain", "day", "unit_id", *keys])
    sets = ", ".join(f"{_qn(v)} = {table}.{_qn(v)} + excluded.{_qn(v)}" for v in vals)
    return (f"INSERT INTO {table} ({', '.join(_qn(c) for c in cols)}) VALUES {', '.join([row] * nrows)} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}")


def _apply(model, increments: dict[tuple, tuple[int, ...]]) -> None:
    """Add `increments` {(grain, day, unit_id, *keys): values} to the rows with ONE upsert statement
    (chunked only past a few hundred rows), in key order so concurrent writers lock rows alike; then
    delete the rows left all zero."""
    rows = sorted((k, v) for k, v in increments.items() if any(v))
    if not rows:
        return
    width = 3 + len(_SHAPES[model][0]) + len(_SHAPES[model][1])
    chunk = max(1, 900 // width)
    with connection.cursor() as cur:
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            cur.execute(_upsert_sql(model, len(part)), [x for k, v in part for x in (*k, *v)])
    touched = Q()
    for grain, day in {(k[0], k[1]) for k, _ in rows}:
        touched |= Q(grain=grain, day=day)
    model.objects.filter(touched, unit_id__in={k[2] for k, _ in rows}, **{f"{_FIRST[model]}__lte": 0}).delete()


def _chain(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each unit's id with its ancestors' ids. Two queries."""
    from shanzhi.org.models import OrgUnit

    paths = dict(OrgUnit.objects.filter(pk__in=set(unit_ids)).values_list("id", "path"))
    prefixes = {uid: _prefixes(path) for uid, path in paths.items()}
    ids = dict(OrgUnit.objects.filter(path__in={p for ps in prefixes.values() for p in ps})
               .values_list("path", "id"))
    return {uid: [ids[p] for p in ps if p in ids] for uid, ps in prefixes.items()}


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[:i]) for i in range(len(parts), 0, -1)]


def _lock(kind: str, keys: list[Key]) -> None:
    """Serialise writers of the same keys (PostgreSQL; SQLite's IMMEDIATE transactions do already)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for day, unit_id in keys:
            h = zlib.crc32(f"{kind}:{day.isoformat()}:{unit_id}".encode())
            signed = h - (1 << 32) if h >= 1 << 31 else h
            cur.execute("SELECT pg_advisory_xact_lock(CAST(%s AS integer), CAST(%s AS integer))",
                        [_LOCK_CLASS, signed])


def _spread(model, diffs: dict[tuple, tuple[int, ...]], chains: dict[int, list[int]]) -> dict:
    """Leaf-day differences {(day, leaf, *keys): values} as increments of the leaf's and its
    ancestors' day and month rows."""
    out: dict[tuple, list[int]] = {}
    for (day, leaf, *rest), vals in diffs.items():
        for uid in chains.get(leaf, [leaf]):
            for grain, d in ((Grain.DAY.value, day), (Grain.MONTH.value, _month(day))):
                key = (grain, d, uid, *rest)
                acc = out.setdefault(key, [0] * len(vals))
                for i, v in enumerate(vals):
                    acc[i] += v
    return {k: tuple(v) for k, v in out.items()}


def _diff(new: dict, old: dict) -> dict:
    out = {}
    for key in new.keys() | old.keys():
        n, o = new.get(key), old.get(key)
        width = len(n if n is not None else o)
        d = tuple((n[i] if n else 0) - (o[i] if o else 0) for i in range(width))
        if any(d):
            out[key] = d
    return out


def _old_rows(model, keys: list[Key], measures: Iterable[str] | None = None) -> dict[tuple, tuple[int, ...]]:
    """The stored day figures of the keys' leaves for their own rows only: a unit's row covers its
    subtree, so the leaf's own part is its row less its children's rows (a county or village may hold
    cases itself). One query."""
    extra, vals = _SHAPES[model]
    wanted = set(keys)
    q = Q()
    for day, unit_id in keys:
        q |= Q(day=day) & (Q(unit_id=unit_id) | Q(unit__parent_id=unit_id))
    qs = model.objects.filter(q, grain=Grain.DAY)
    if measures is not None:
        qs = qs.filter(measure__in=list(measures))
    out: dict[tuple, list[int]] = {}
    n = len(extra)
    for day, unit_id, parent_id, *rest in qs.values_list("day", "unit_id", "unit__parent_id", *extra, *vals):
        for leaf, sign in ((unit_id, 1), (parent_id, -1)):
            if (day, leaf) in wanted:
                acc = out.setdefault((day, leaf, *rest[:n]), [0] * len(vals))
                for i, v in enumerate(rest[n:]):
                    acc[i] += sign * v
    return {k: tuple(v) for k, v in out.items() if any(v)}


# ---- kept current ------------------------------------------------------------------------------------

def refresh_case_keys(keys: Iterable[Key]) -> None:
    """Recompute the case roll-ups of these (day, leaf unit) keys from the raw cases and add the
    differences to the leaves' and ancestors' day and month rows, inside the caller's transaction.

    Cost per call: two queries per key plus about six, whatever the number of cases."""
    wanted = sorted({(d, u) for d, u in keys if d is not None and u is not None})
    if not wanted:
        return
    with transaction.atomic():
        _lock("case", wanted)
        new_counts: dict[tuple, tuple[int, ...]] = {}
        new_hist: Counter = Counter()
        durations = _case_durations()
        names = {m: f"b_{i}" for i, m in enumerate(durations)}
        for day, leaf in wanted:
            qs = _counted_cases().filter(unit_id=leaf, reported_at__gte=local_midnight(day),
                                         reported_at__lt=local_midnight(day + dt.timedelta(days=1)))
            for row in qs.values("category_id").annotate(**_case_counts()).order_by():
                new_counts[(day, leaf, row["category_id"])] = tuple(row[c] for c in CASE_COUNT_FIELDS)
            buckets = {names[m]: _bucket(end, "reported_at", cond) for m, (end, cond) in durations.items()}
            for row in qs.annotate(**buckets).values(*buckets).annotate(n=Count("id")).order_by():
                for m, name in names.items():
                    if row[name] is not None:
                        new_hist[(day, leaf, m, row[name])] += row["n"]
        hist = {k: (v,) for k, v in new_hist.items()}
        count_diff = _diff(new_counts, _old_rows(CaseRollup, wanted))
        hist_diff = _diff(hist, _old_rows(DurationRollup, wanted, durations))
        if not count_diff and not hist_diff:
            return
        chains = _chain({u for _, u in wanted})
        _apply(CaseRollup, _spread(CaseRollup, count_diff, chains))
        _apply(DurationRollup, _spread(DurationRollup, hist_diff, chains))


def refresh_dispute_keys(keys: Iterable[Key]) -> None:
    """Recompute the dispute roll-ups of these (registered day, first centre's unit) keys; as
    refresh_case_keys."""
    from shanzhi.mediation.models import Dispute

    wanted = sorted({(d, u) for d, u in keys if d is not None and u is not None})
    if not wanted:
        return
    with transaction.atomic():
        _lock("dispute", wanted)
        new_counts: dict[tuple, tuple[int, ...]] = {}
        hist: dict[tuple, tuple[int]] = {}
        measure = DISPUTE_MEASURE
        for day, leaf in wanted:
            qs = Dispute.objects.filter(first_centre__unit_id=leaf, registered_at__gte=local_midnight(day),
                                        registered_at__lt=local_midnight(day + dt.timedelta(days=1)))
            row = qs.aggregate(**_dispute_counts())
            if row["accepted"]:
                new_counts[(day, leaf)] = tuple(row[c] for c in DISPUTE_COUNT_FIELDS)
            for b, n in (qs.filter(_resolved_q()).annotate(b=_Bucket(_Seconds(F("case__closed_at"),
                                                                             F("registered_at"))))
                         .values_list("b").annotate(n=Count("id")).order_by()):
                hist[(day, leaf, measure, b)] = (n,)
        count_diff = _diff(new_counts, _old_rows(DisputeRollup, wanted))
        hist_diff = _diff(hist, _old_rows(DurationRollup, wanted, [measure]))
        if not count_diff and not hist_diff:
            return
        chains = _chain({u for _, u in wanted})
        _apply(DisputeRollup, _spread(DisputeRollup, count_diff, chains))
        _apply(DurationRollup, _spread(DurationRollup, hist_diff, chains))


# ---- rebuilt -----------------------------------------------------------------------------------------

def _insert_select(cur, model, qs, consts: dict[str, object], cols: dict[str, str]) -> None:
    """INSERT INTO model's table the rows of queryset `qs`: constant columns and columns read from
    the queryset's aliases (cols: table column -> queryset alias)."""
    sql, params = qs.query.sql_with_params()
    names = [*consts, *cols]
    select = [*(["%s"] * len(consts)), *(f"q.{_qn(a)}" for a in cols.values())]
    cur.execute(f"INSERT INTO {_table(model)} ({', '.join(_qn(n) for n in names)}) "
                f"SELECT {', '.join(select)} FROM ({sql}) q", [*consts.values(), *params])


def _month_sql(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {col}) AS date)"
    return f"date({col}, 'start of month')"


def _roll_up(cur, model, since: dt.date | None) -> None:
    """From the leaf day rows: add each level's day rows to its parents' (deepest level first), then
    the month rows from the day rows."""
    from shanzhi.org.models import LEVEL_DEPTH, OrgUnit

    extra, vals = _SHAPES[model]
    table = _table(model)
    units = _table(OrgUnit)
    keys = ["grain", "day", "unit_id", *extra]
    conflict = ", ".join(_qn(c) for c in keys)
    sets = ", ".join(f"{_qn(v)} = {table}.{_qn(v)} + excluded.{_qn(v)}" for v in vals)
    cols = ", ".join(_qn(c) for c in [*keys, *vals])
    extra_r = "".join(f", r.{_qn(c)}" for c in extra)
    sums = ", ".join(f"SUM(r.{_qn(v)})" for v in vals)
    since_sql, since_params = ("AND r.day >= %s", [since]) if since else ("", [])
    for level, _depth in sorted(LEVEL_DEPTH.items(), key=lambda kv: -kv[1]):
        if _depth == 0:
            continue
        cur.execute(
            f"INSERT INTO {table} ({cols}) SELECT 'd', r.day, u.parent_id{extra_r}, {sums} "
            f"FROM {table} r JOIN {units} u ON u.id = r.unit_id "
            f"WHERE r.grain = 'd' AND u.level = %s AND u.parent_id IS NOT NULL {since_sql} "
            f"GROUP BY r.day, u.parent_id{extra_r} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}", [str(level), *since_params])
    month = _month_sql("r.day")
    cur.execute(
        f"INSERT INTO {table} ({cols}) SELECT 'm', {month}, r.unit_id{extra_r}, {sums} "
        f"FROM {table} r WHERE r.grain = 'd' {since_sql} GROUP BY {month}, r.unit_id{extra_r}", since_params)


def rollups_rebuild(*, since: dt.date | None = None, parts: Iterable[str] = ("cases", "disputes")) -> dict:
    """Recompute the roll-ups from scratch in one transaction (from the first day of `since`'s month
    when given) with grouped INSERT ... SELECT statements; return the rows written per table and the
    seconds taken. Bulk writers (the demo generators, importers) call this after writing."""
    from shanzhi.mediation.models import Dispute

    parts = set(parts)
    began = time.monotonic()
    since = _month(since) if since else None
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"LOCK TABLE {_table(CaseRollup)}, {_table(DisputeRollup)}, {_table(DurationRollup)} "
                        "IN SHARE ROW EXCLUSIVE MODE")
        day_q = Q(day__gte=since) if since else Q()
        if "cases" in parts:
            CaseRollup.objects.filter(day_q).delete()
            DurationRollup.objects.filter(day_q, measure__in=list(CASE_MEASURES)).delete()
            cases = _counted_cases()
            if since:
                cases = cases.filter(reported_at__gte=local_midnight(since))
            cases = cases.annotate(rday=_local_date("reported_at"))
            qs = cases.values("rday", "unit_id", "category_id").annotate(**_case_counts()).order_by()
            _insert_select(cur, CaseRollup, qs, {"grain": "d"},
                           {"day": "rday", "unit_id": "unit_id", "category_id": "category_id",
                            **{c: c for c in CASE_COUNT_FIELDS}})
            for measure, (end, cond) in _case_durations().items():
                qs = (cases.filter(cond).annotate(b=_Bucket(_Seconds(F(end), F("reported_at"))))
                      .values("rday", "unit_id", "b").annotate(n=Count("id")).order_by())
                _insert_select(cur, DurationRollup, qs, {"grain": "d", "measure": measure},
                               {"day": "rday", "unit_id": "unit_id", "bucket": "b", "n": "n"})
            _roll_up(cur, CaseRollup, since)
        if "disputes" in parts:
            DisputeRollup.objects.filter(day_q).delete()
            DurationRollup.objects.filter(day_q, measure=DISPUTE_MEASURE).delete()
            disputes = Dispute.objects.all()
            if since:
                disputes = disputes.filter(registered_at__gte=local_midnight(since))
            disputes = disputes.annotate(rday=_local_date("registered_at"), leaf=F("first_centre__unit_id"))
            qs = disputes.values("rday", "leaf").annotate(**_dispute_counts()).order_by()
            _insert_select(cur, DisputeRollup, qs, {"grain": "d"},
                           {"day": "rday", "unit_id": "leaf", **{c: c for c in DISPUTE_COUNT_FIELDS}})
            qs = (disputes.filter(_resolved_q())
                  .annotate(b=_Bucket(_Seconds(F("case__closed_at"), F("registered_at"))))
                  .values("rday", "leaf", "b").annotate(n=Count("id")).order_by())
            _insert_select(cur, DurationRollup, qs, {"grain": "d", "measure": DISPUTE_MEASURE},
                           {"day": "rday", "unit_id": "leaf", "bucket": "b", "n": "n"})
            _roll_up(cur, DisputeRollup, since)
        if "cases" in parts or "disputes" in parts:
            # Durations of both sources share one table: roll up only the measures just rebuilt.
            _roll_up_durations(cur, parts, since)
    # Fresh statistics for the tables just rewritten: without them the planner reads a million-row rebuild as
    # the handful of rows it saw before (2-3x slower indicators until autovacuum comes by, and SQLite never
    # gathers them on its own). Outside the transaction, where PostgreSQL sees the committed rows.
    if not connection.in_atomic_block:
        with connection.cursor() as cur:
            for model in (CaseRollup, DisputeRollup, DurationRollup):
                cur.execute(f"ANALYZE {_table(model)}")
    return {"case_rows": CaseRollup.objects.count(), "dispute_rows": DisputeRollup.objects.count(),
            "duration_rows": DurationRollup.objects.count(), "seconds": round(time.monotonic() - began, 2)}


def _roll_up_durations(cur, parts: set[str], since: dt.date | None) -> None:
    measures = ([*CASE_MEASURES] if "cases" in parts else []) + \
        ([DISPUTE_MEASURE] if "disputes" in parts else [])
    # _roll_up over DurationRollup restricted to these measures: the leaf rows of other measures are
    # complete already, so they are moved aside by the measure filter below.
    from shanzhi.org.models import LEVEL_DEPTH, OrgUnit

    table = _table(DurationRollup)
    units = _table(OrgUnit)
    marks = ", ".join(["%s"] * len(measures))
    since_sql, since_params = ("AND r.day >= %s", [since]) if since else ("", [])
    cols = "grain, day, unit_id, measure, bucket, n"
    upsert = "ON CONFLICT (grain, day, unit_id, measure, bucket) DO UPDATE SET n = " + table + ".n + excluded.n"
    for level, depth in sorted(LEVEL_DEPTH.items(), key=lambda kv: -kv[1]):
        if depth == 0:
            continue
        cur.execute(
            f"INSERT INTO {table} ({cols}) SELECT 'd', r.day, u.parent_id, r.measure, r.bucket, SUM(r.n) "
            f"FROM {table} r JOIN {units} u ON u.id = r.unit_id "
            f"WHERE r.grain = 'd' AND u.level = %s AND u.parent_id IS NOT NULL AND r.measure IN ({marks}) "
            f"{since_sql} GROUP BY r.day, u.parent_id, r.measure, r.bucket {upsert}",
            [str(level), *measures, *since_params])
    month = _month_sql("r.day")
    cur.execute(
        f"INSERT INTO {table} ({cols}) SELECT 'm', {month}, r.unit_id, r.measure, r.bucket, SUM(r.n) "
        f"FROM {table} r WHERE r.grain = 'd' AND r.measure IN ({marks}) {since_sql} "
        f"GROUP BY {month}, r.unit_id, r.measure, r.bucket", [*measures, *since_params])


def rollups_move_subtree(*, unit_id: int, old_path: str, new_path: str) -> None:
    """Move a unit's figures (its rows cover its subtree) from its old ancestors to its new ones, inside
    the caller's transaction (org.services.orgunit_move, after the paths changed). One upsert and one
    delete per table, whatever the number of rows."""
    from shanzhi.org.models import OrgUnit

    old, new = _prefixes(old_path)[1:], _prefixes(new_path)[1:]
    ids = dict(OrgUnit.objects.filter(path__in={*old, *new}).values_list("path", "id"))
    signs: dict[int, int] = defaultdict(int)
    for path in old:
        signs[ids[path]] -= 1
    for path in new:
        signs[ids[path]] += 1
    pairs = [(uid, sign) for uid, sign in signs.items() if sign]
    if not pairs:
        return
    values = ", ".join(["(%s, %s)"] * len(pairs))
    flat = [x for pair in pairs for x in pair]
    with connection.cursor() as cur:
        for model, (extra, vals) in _SHAPES.items():
            table = _table(model)
            keys = ["grain", "day", "unit_id", *extra]
            cols = ", ".join(_qn(c) for c in [*keys, *vals])
            picked = ", ".join([*(f"r.{_qn(c)}" for c in ["grain", "day"]), "a.column1",
                                *(f"r.{_qn(c)}" for c in extra), *(f"a.column2 * r.{_qn(v)}" for v in vals)])
            sets = ", ".join(f"{_qn(v)} = {table}.{_qn(v)} + excluded.{_qn(v)}" for v in vals)
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {picked} FROM {table} r CROSS JOIN (VALUES {values}) a "
                        f"WHERE r.unit_id = %s ON CONFLICT ({', '.join(_qn(c) for c in keys)}) DO UPDATE SET {sets}",
                        [*flat, unit_id])
            model.objects.filter(unit_id__in=[uid for uid, _ in pairs], **{f"{_FIRST[model]}__lte": 0}).delete()


# ---- checked -----------------------------------------------------------------------------------------

class _Rollback(Exception):
    pass


def rollups_check() -> str | None:
    """Compare the stored roll-ups with a fresh rebuild (rolled back afterwards): None when equal, else
    the first differing key with both values, in words."""
    from shanzhi.org.models import OrgUnit

    found: str | None = None
    try:
        with transaction.atomic(), connection.cursor() as cur:
            saved = {}
            for model in _SHAPES:
                extra, vals = _SHAPES[model]
                cols = ", ".join(_qn(c) for c in ["grain", "day", "unit_id", *extra, *vals])
                name = f"rollup_saved_{model._meta.model_name}"
                saved[model] = (name, cols)
                cur.execute(f"CREATE TEMPORARY TABLE {name} AS SELECT {cols} FROM {_table(model)} "
                            f"WHERE {_qn(_FIRST[model])} <> 0")
            rollups_rebuild()
            for model, (name, cols) in saved.items():
                extra, vals = _SHAPES[model]
                nkey = 3 + len(extra)
                fresh = f"SELECT {cols} FROM {_table(model)} WHERE {_qn(_FIRST[model])} <> 0"
                order = ", ".join(str(i + 1) for i in [1, 0, 2, *range(3, nkey)])
                diffs = []
                for a, b in ((f"SELECT {cols} FROM {name}", fresh), (fresh, f"SELECT {cols} FROM {name}")):
                    cur.execute(f"SELECT * FROM ({a} EXCEPT {b}) x ORDER BY {order} LIMIT 1")
                    row = cur.fetchone()
                    if row:
                        diffs.append(row)
                if diffs:
                    first = min(diffs, key=lambda r: (str(r[1]), r[0], r[2:nkey]))
                    key = first[:nkey]
                    where = " AND ".join(f"{_qn(c)} = %s" for c in ["grain", "day", "unit_id", *extra])
                    cur.execute(f"SELECT {cols} FROM {name} WHERE {where}", list(key))
                    stored = cur.fetchone()
                    cur.execute(f"SELECT {cols} FROM {_table(model)} WHERE {where}", list(key))
                    now = cur.fetchone()
                    code = OrgUnit.objects.filter(pk=key[2]).values_list("code", flat=True).first()
                    found = (f"{model._meta.db_table} grain={key[0]} day={key[1]} unit={code or key[2]}"
                             + "".join(f" {c}={v}" for c, v in zip(extra, key[3:], strict=True))
                             + f": stored {_describe(vals, stored, nkey)}, fresh {_describe(vals, now, nkey)}")
                    break
            for name, _cols in saved.values():
                cur.execute(f"DROP TABLE {name}")
            raise _Rollback
    except _Rollback:
        pass
    return found


def _describe(vals: tuple[str, ...], row, nkey: int) -> str:
    if row is None:
        return "(no row)"
    return " ".join(f"{v}={x}" for v, x in zip(vals, row[nkey:], strict=True))


# ---- read --------------------------------------------------------------------------------------------

def period_parts(period: Period) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """The whole months inside the period (their first days) and the day ranges left at its edges."""
    first, last = period.first, period.last
    month = _month(first) if first.day == 1 else _next_month(first)
    months = []
    while _next_month(month) - dt.timedelta(days=1) <= last:
        months.append(month)
        month = _next_month(month)
    if not months:
        return [], [(first, last)]
    ranges = []
    if first < months[0]:
        ranges.append((first, months[0] - dt.timedelta(days=1)))
    after = _next_month(months[-1])
    if after <= last:
        ranges.append((after, last))
    return months, ranges


def period_q(period: Period) -> Q:
    """The rows summing to `period`: month rows of whole months inside it, day rows of the edge days."""
    months, ranges = period_parts(period)
    q = Q(grain=Grain.MONTH, day__in=months) if months else Q(pk__in=[])
    for a, b in ranges:
        q |= Q(grain=Grain.DAY, day__gte=a, day__lte=b)
    return q


def _histograms(ids: list[int], q: Q, measures: list[str]) -> dict[tuple[int, str], dict[int, int]]:
    hists: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for uid, measure, bucket, n in (DurationRollup.objects.filter(q, unit_id__in=ids, measure__in=measures)
                                    .values_list("unit_id", "measure", "bucket").annotate(n=Sum("n")).order_by()):
        hists[(uid, measure)][bucket] = n
    return hists


def case_indicators(units: list, period: Period) -> dict:
    """cases.indicators.Indicators of each unit's subtree over the period, from the roll-ups.

    Cost: two queries whatever the number of units, cases or days."""
    from shanzhi.cases.indicators import Indicators

    ids = [u.id for u in units]
    q = period_q(period)
    out = {u.id: Indicators(unit=u) for u in units}
    for row in (CaseRollup.objects.filter(q, unit_id__in=ids).values("unit_id")
                .annotate(**{f"s_{c}": Sum(c) for c in CASE_COUNT_FIELDS}).order_by()):
        for c in CASE_COUNT_FIELDS:
            setattr(out[row["unit_id"]], c, row[f"s_{c}"] or 0)
    hists = _histograms(ids, q, list(CASE_MEASURES))
    for uid, ind in out.items():
        for measure, name in CASE_MEASURES.items():
            seconds = median_seconds(hists.get((uid, measure), {}))
            setattr(ind, f"median_{name}_hours", None if seconds is None else seconds / 3600)
    return out


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def dispute_indicators(units: list, period: Period) -> dict[int, dict]:
    """The figures of mediation.indicators.indicators_for for each unit, from the roll-ups. Two queries."""
    ids = [u.id for u in units]
    q = period_q(period)
    sums = {uid: dict.fromkeys(DISPUTE_COUNT_FIELDS, 0) for uid in ids}
    for row in (DisputeRollup.objects.filter(q, unit_id__in=ids).values("unit_id")
                .annotate(**{f"s_{c}": Sum(c) for c in DISPUTE_COUNT_FIELDS}).order_by()):
        sums[row["unit_id"]] = {c: row[f"s_{c}"] or 0 for c in DISPUTE_COUNT_FIELDS}
    hists = _histograms(ids, q, [DISPUTE_MEASURE])
    out = {}
    for uid, agg in sums.items():
        a, r = agg["accepted"], agg["resolved"]
        seconds = median_seconds(hists.get((uid, DISPUTE_MEASURE), {}))
        out[uid] = {
            **agg,
            "resolution_rate": _share(r, a),
            "first_time_rate": _share(agg["first_time"], a),
            "on_time_rate": _share(agg["on_time"], r),
            "village_share": _share(agg["in_village"], r),
            "town_share": _share(agg["in_town"], r),
            "median_days": None if seconds is None else seconds / 86400,
        }
    return out


# ---- wiring: every Case and Dispute write refreshes its old and new keys ------------------------------

# Case fields the roll-ups read (attnames); those the dispute's figures read from its case.
CASE_TRACKED = ("unit_id", "reported_at", "category_id", "status", "first_response_at", "closed_at",
                "closed_level", "closed_on_time", "reopen_count", "satisfied")
CASE_FOR_DISPUTE = ("status", "closed_at", "closed_level", "closed_on_time")
DISPUTE_TRACKED = ("first_centre_id", "registered_at", "result", "first_time", "repeat_of_id", "kind")


def _saved_values(instance, tracked: tuple[str, ...], old: dict | None, update_fields) -> dict:
    """The tracked values now in the database: the instance's, except fields a save(update_fields=...)
    left alone, which keep their stored value."""
    if old is not None and update_fields is not None:
        names = {instance._meta.get_field(f).attname for f in update_fields}
        return {f: getattr(instance, f) if f in names else old[f] for f in tracked}
    return {f: getattr(instance, f) for f in tracked}


def _case_key(values: dict | None) -> Key | None:
    if not values or values.get("reported_at") is None:
        return None
    return local_day(values["reported_at"]), values["unit_id"]


def _dispute_keys_of_cases(case_ids: list[int]) -> list[Key]:
    from shanzhi.mediation.models import Dispute

    return [(local_day(at), unit_id) for at, unit_id in
            Dispute.objects.filter(case_id__in=case_ids).values_list("registered_at", "first_centre__unit_id")]


def case_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """Read what the database holds before the save (one query; none for a new case), so a change of
    unit, category or day moves the counts even when the instance was stale."""
    if raw:
        return
    instance._rollup_old = (None if instance.pk is None else
                            sender.objects.filter(pk=instance.pk).values(*CASE_TRACKED).first())


def case_post_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs) -> None:
    """Refresh the case's old and new keys, and its dispute's key when the dispute's figures changed."""
    if raw:
        return
    old = instance.__dict__.pop("_rollup_old", None)
    new = _saved_values(instance, CASE_TRACKED, old, update_fields)
    if old == new:
        return
    refresh_case_keys([k for k in (_case_key(old), _case_key(new)) if k])
    if old is not None and any(old[f] != new[f] for f in CASE_FOR_DISPUTE):
        refresh_dispute_keys(_dispute_keys_of_cases([instance.pk]))


def case_post_delete(sender, instance, **kwargs) -> None:
    refresh_case_keys([k for k in [_case_key({f: getattr(instance, f) for f in ("unit_id", "reported_at")})]
                       if k])


def dispute_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    instance._rollup_old = (None if instance.pk is None else sender.objects.filter(pk=instance.pk).values(
        *DISPUTE_TRACKED, "first_centre__unit_id").first())


def _dispute_key(values: dict | None, unit_id: int | None) -> Key | None:
    if not values or values.get("registered_at") is None or unit_id is None:
        return None
    return local_day(values["registered_at"]), unit_id


def _centre_unit(centre_id: int | None) -> int | None:
    from shanzhi.mediation.models import Centre

    if centre_id is None:
        return None
    return Centre.objects.filter(pk=centre_id).values_list("unit_id", flat=True).first()


def dispute_post_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    old = instance.__dict__.pop("_rollup_old", None)
    old_unit = old.pop("first_centre__unit_id") if old else None
    new = _saved_values(instance, DISPUTE_TRACKED, old, update_fields)
    if old == new:
        return
    new_unit = old_unit if old and old["first_centre_id"] == new["first_centre_id"] else \
        _centre_unit(new["first_centre_id"])
    refresh_dispute_keys([k for k in (_dispute_key(old, old_unit), _dispute_key(new, new_unit)) if k])


def dispute_pre_delete(sender, instance, **kwargs) -> None:
    """Note the keys of the disputes repeating this one: deleting it clears their repeat_of by an
    UPDATE that sends no signal (on_delete=SET_NULL)."""
    instance._rollup_repeat_keys = [
        (local_day(at), unit_id) for at, unit_id in
        sender.objects.filter(repeat_of_id=instance.pk).values_list("registered_at", "first_centre__unit_id")]


def dispute_post_delete(sender, instance, **kwargs) -> None:
    key = _dispute_key({"registered_at": instance.registered_at}, _centre_unit(instance.first_centre_id))
    refresh_dispute_keys([*([key] if key else []), *instance.__dict__.pop("_rollup_repeat_keys", [])])


def connect() -> None:
    """Connect the receivers (from DashboardConfig.ready())."""
    from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

    from shanzhi.cases.models import Case
    from shanzhi.mediation.models import Dispute

    for signal, receiver, model in ((pre_save, case_pre_save, Case), (post_save, case_post_save, Case),
                                    (post_delete, case_post_delete, Case),
                                    (pre_save, dispute_pre_save, Dispute),
                                    (post_save, dispute_post_save, Dispute),
                                    (pre_delete, dispute_pre_delete, Dispute),
                                    (post_delete, dispute_post_delete, Dispute)):
        signal.connect(receiver, sender=model, dispatch_uid=f"dashboard.rollups.{receiver.__name__}")
