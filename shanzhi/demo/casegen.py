"""A realistic year of cases for the demo county (and for benchmarks): bulk-inserted, deterministic.

About 300 a day at full scale, skewed by season and category: more garbage and river complaints in
summer, more road damage in the plum-rain weeks, more elderly-care requests in winter, fewer over
Spring Festival. Outcomes follow what a working county shows: most closed within the limit, some
late and escalated, some reopened after an unsatisfied rating, a few parked or void.
Like the registry loader this writes rows directly (one audit row per batch), because a year of
cases one service call at a time would take hours; the rows are what the services would write.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from shanzhi.audit.services import audit_record
from shanzhi.cases.deadlines import limit_for, warn_point
from shanzhi.cases.models import (
    Case,
    CaseNumber,
    Category,
    Channel,
    Event,
    HandlingLevel,
    Priority,
    Status,
)
from shanzhi.lib import workclock
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.people.models import Household

BATCH = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐沈钱顾陆"
# Relative frequency of each category, and the months where it peaks (x1.8).
WEIGHTS = {
    "garbage": (18, (6, 7, 8)), "river": (6, (6, 7, 8)), "illegal_building": (4, (3, 4, 5)),
    "noise": (6, (6, 7, 8)), "street_light": (6, (11, 12, 1)), "road": (5, (6, 7)),
    "manhole": (2, ()), "water_supply": (3, (7, 8)), "hazard": (8, (1, 2, 12)), "fire": (3, (12, 1, 2)),
    "rental": (5, (3, 9)), "neighbour": (7, ()), "family": (3, (2,)), "land": (2, (3, 4)),
    "wages": (3, (1, 12)), "property_mgmt": (4, ()), "hardship": (3, (1, 12)), "elderly_care": (5, (12, 1, 2)),
    "medical": (3, (12, 1)), "policy": (4, (3, 9)), "other_issue": (4, ()),
}
CHANNELS = [(Channel.RESIDENT, 55), (Channel.PATROL, 30), (Channel.HOTLINE, 10), (Channel.NIGHT_VISIT, 5)]
LEVEL_UP = {HandlingLevel.GRID: HandlingLevel.VILLAGE, HandlingLevel.VILLAGE: HandlingLevel.TOWN,
            HandlingLevel.TOWN: HandlingLevel.COUNTY}
UNIT_LEVEL = {HandlingLevel.GRID: Level.GRID, HandlingLevel.VILLAGE: Level.VILLAGE,
              HandlingLevel.TOWN: Level.TOWN, HandlingLevel.COUNTY: Level.COUNTY}


def _weighted(rng: random.Random, items: list[tuple[object, float]]):
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, w in items:
        x -= w
        if x <= 0:
            return item
    return items[-1][0]


def _day_factor(day: dt.date) -> float:
    """Fewer cases on weekends and holidays, and over Spring Festival."""
    f = 1.0 if workclock.is_workday(day) else 0.6
    if day.month == 2 and day.day <= 20:
        f *= 0.7
    return f


class _Places:
    """Households to place cases at, each with its micro-grid's chain of handling units."""

    def __init__(self, rng: random.Random, sample: int) -> None:
        units = {u["id"]: u for u in OrgUnit.objects.values("id", "code", "path", "level", "parent_id")}
        by_code = {u["code"]: u["id"] for u in units.values()}
        ids = list(Household.objects.filter(is_active=True, lat__isnull=False).values_list("id", flat=True))
        rng.shuffle(ids)
        rows = Household.objects.filter(id__in=ids[:sample]).values_list("id", "micro_grid_id", "lat", "lon",
                                                                          "address")
        self.households = sorted(rows)
        self.chain: dict[int, dict[str, int]] = {}
        for _, mg, *_rest in self.households:
            if mg in self.chain:
                continue
            codes = [c for c in units[mg]["path"].split("/") if c]
            levels = {units[by_code[c]]["level"]: by_code[c] for c in codes}
            self.chain[mg] = levels
        self.county_id = next(u["id"] for u in units.values() if u["level"] == Level.COUNTY)
        workers: dict[int, int] = {}
        for unit_id, user_id in (Post.objects.filter(Post.current_q(), role=Role.GRID_WORKER, user__isnull=False)
                                 .order_by("start_date", "id").values_list("unit_id", "user_id")):
            workers.setdefault(unit_id, user_id)
        self.grid_worker = workers
        self._limits: dict[tuple[int, str], tuple[int, str]] = {}

    def limit(self, cat: Category, priority: str) -> tuple[int, str]:
        """The category's time limit, looked up once per category and priority."""
        key = (cat.pk, priority)
        if key not in self._limits:
            self._limits[key] = limit_for(cat, priority)
        return self._limits[key]


def daily_counts(rng: random.Random, days: list[dt.date], *, per_day: float | None = None,
                 count: int | None = None) -> list[int]:
    """How many cases each day gets: Poisson around `per_day` × the day's factor (weekends, Spring
    Festival); or, with `count`, exactly `count` in all: Poisson around the same shape scaled to `count`,
    then the difference added to or taken from days drawn by the same weights (a weekday more often)."""
    factors = [_day_factor(d) for d in days]
    if count is None:
        return [_poisson(rng, (per_day or 0.0) * f) for f in factors]
    if count <= 0 or not days:
        return [0] * len(days)
    scale = count / sum(factors)
    counts = [_poisson(rng, scale * f) for f in factors]
    picks = list(range(len(days)))
    diff = count - sum(counts)
    while diff > 0:  # too few: one more on days drawn by weight
        for i in rng.choices(picks, weights=factors, k=diff):
            counts[i] += 1
        diff = count - sum(counts)
    while diff < 0:  # too many: one fewer on days drawn by weight that have one to give
        for i in rng.choices(picks, weights=factors, k=-diff):
            if counts[i] > 0 and sum(counts) > count:
                counts[i] -= 1
        diff = count - sum(counts)
    return counts


def split_count(count: int, days: int, end: dt.date, parts: int) -> list[tuple[int, int, dt.date]]:
    """(count, days, end) of `parts` consecutive stretches of the `days` days ending `end`, the `count` shared
    by their days' weights (largest remainder), so that generating each stretch gives exactly `count` in
    all and the same shape as one run. Stretches never share a day, so their case numbers cannot collide."""
    parts = max(1, min(parts, days))
    first = end - dt.timedelta(days=days - 1)
    bounds = [round(i * days / parts) for i in range(parts + 1)]
    weights = [sum(_day_factor(first + dt.timedelta(days=d)) for d in range(a, b))
               for a, b in zip(bounds, bounds[1:], strict=False)]
    exact = [count * w / sum(weights) for w in weights]
    shares = [int(x) for x in exact]
    for i in sorted(range(parts), key=lambda i: exact[i] - shares[i], reverse=True)[:count - sum(shares)]:
        shares[i] += 1
    return [(shares[i], b - a, first + dt.timedelta(days=b - 1))
            for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]


def generate_cases(*, per_day: float | None = None, count: int | None = None, days: int = 365, seed: int = 1,
                   end: dt.date | None = None, progress: bool = True, household_sample: int = 20000,
                   rollups: bool = True) -> int:
    """Insert `days` days of cases ending yesterday (or `end`); return how many. Give `per_day` (about that
    many a day, fewer on weekends and holidays) or `count` (exactly that many in all, spread the same way;
    how the benchmarks top a county up to a million). Deterministic per seed. `rollups=False` leaves the
    roll-ups to the caller (`rollups_rebuild`), for several runs side by side (see split_count)."""
    if (per_day is None) == (count is None):
        raise ValueError("give per_day or count")
    rng = random.Random(seed * 7919 + 11)
    cats = {c.code: c for c in Category.objects.filter(is_active=True, parent__isnull=False)}
    if not cats:
        return 0
    places = _Places(rng, household_sample)
    if not places.households:
        return 0
    end = end or (timezone.localdate() - dt.timedelta(days=1))
    start = end - dt.timedelta(days=days - 1)
    per_day_counts = daily_counts(rng, [start + dt.timedelta(days=i) for i in range(days)], per_day=per_day,
                                  count=count)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    county_code = OrgUnit.objects.get(pk=places.county_id).code
    total = 0
    bar = tqdm(total=days, desc="诉求 cases", unit="天", disable=not progress, leave=False)
    pending_cases: list[Case] = []
    pending_events: list[tuple[int, list[Event]]] = []
    # Continue each day's numbering where earlier cases of that day stopped.
    counters: dict[str, int] = defaultdict(int, CaseNumber.objects.values_list("prefix", "last"))

    def flush() -> None:
        nonlocal pending_cases, pending_events
        if not pending_cases:
            return
        with transaction.atomic():
            Case.objects.bulk_create(pending_cases, batch_size=BATCH)
            events = []
            for idx, evs in pending_events:
                for ev in evs:
                    ev.case_id = pending_cases[idx].pk
                    events.append(ev)
            Event.objects.bulk_create(events, batch_size=BATCH)
            audit_record(actor=None, action="demo.cases", object_type="cases.case", object_id="*",
                         object_repr=f"{len(pending_cases)}件诉求", after={"cases": len(pending_cases)})
        pending_cases, pending_events = [], []

    day = start
    while day <= end:
        month_weights = [(code, w * (1.8 if day.month in months else 1.0))
                         for code, (w, months) in WEIGHTS.items() if code in cats]
        n = per_day_counts[(day - start).days]
        for _ in range(n):
            case, events = _one_case(rng, day, tz, now, cats[_weighted(rng, month_weights)], places, counters,
                                     county_code)
            pending_events.append((len(pending_cases), events))
            pending_cases.append(case)
            total += 1
        if len(pending_cases) >= BATCH:
            flush()
        day += dt.timedelta(days=1)
        bar.update(1)
    flush()
    bar.close()
    with transaction.atomic():
        for prefix, last in counters.items():
            updated = CaseNumber.objects.filter(prefix=prefix, last__lt=last).update(last=last)
            if not updated and not CaseNumber.objects.filter(prefix=prefix).exists():
                CaseNumber.objects.create(prefix=prefix, last=last)
    if rollups:
        from shanzhi.dashboard.rollups import rollups_rebuild

        rollups_rebuild(since=start, parts=("cases",))  # bulk_create sends no signal: the roll-ups from scratch
    return total


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _at(day: dt.date, tz, rng: random.Random) -> dt.datetime:
    hour = _weighted(rng, [(h, 1 if h < 7 or h > 21 else (6 if 8 <= h <= 17 else 3)) for h in range(24)])
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60))), tz)


def _one_case(rng, day, tz, now, cat: Category, places: _Places, counters, county_code):
    hid, mg, lat, lon, address = places.households[rng.randrange(len(places.households))]
    chain = places.chain[mg]
    reported = _at(day, tz, rng)
    channel = _weighted(rng, CHANNELS)
    priority = _weighted(rng, [(Priority.NORMAL, 88), (Priority.URGENT, 10), (Priority.CRITICAL, 2)])
    level = cat.default_level
    first_level = level
    amount, unit = places.limit(cat, priority)
    if unit == "days":
        deadline = workclock.add_working_days(reported, amount)
    else:
        deadline = workclock.add_working_hours(reported, amount)
    warn = warn_point(reported, deadline)
    limit = max(workclock.working_seconds_between(reported, deadline), 3600.0)
    prefix = f"{county_code}-{day:%Y%m%d}"
    counters[prefix] += 1
    anonymous = channel == Channel.RESIDENT and rng.random() < 0.2
    surname = SURNAMES[rng.randrange(len(SURNAMES))]
    case = Case(
        number=f"{prefix}-{counters[prefix]:05d}", kind=cat.kind, category=cat, priority=priority, channel=channel,
        description=f"{address}附近：{cat.name}，请尽快处理。", address=address[:200],
        lat=lat + rng.uniform(-0.0002, 0.0002), lon=lon + rng.uniform(-0.0002, 0.0002), unit_id=mg,
        household_id=hid if channel == Channel.RESIDENT else None, reporter_name=f"{surname}先生" if rng.random() < 0.5
        else f"{surname}女士", anonymous=anonymous, is_public=rng.random() < 0.85, reported_at=reported,
        deadline_at=deadline, warn_at=warn, first_level=first_level, status=Status.REPORTED,
    )
    events = [Event(at=reported, actor_label=case.reporter_name if channel == Channel.RESIDENT else "网格员",
                    action="report", to_status=Status.REPORTED, data={"channel": channel})]
    t = reported
    age_days = (now - reported).total_seconds() / 86400
    # How far along the loop this case has come.
    if channel in (Channel.PATROL, Channel.NIGHT_VISIT) or rng.random() < 0.97 or age_days > 1:
        t = workclock.add_working_hours(t, rng.expovariate(1 / 0.4))
        case.first_response_at = t
        case.status = Status.ACCEPTED
        events.append(Event(at=t, actor_label="网格员", action="accept", from_status=Status.REPORTED,
                            to_status=Status.ACCEPTED))
    escalate = rng.random() < 0.07 and level in LEVEL_UP
    late = rng.random() < 0.12
    if escalate:
        level = LEVEL_UP[level]
        t = workclock.add_working_hours(t, rng.uniform(1, 8))
        events.append(Event(at=t, actor_label="网格员", action="escalate", from_status=case.status,
                            to_status=Status.ACCEPTED, note="需要上级协调"))
        case.escalations = 1
    case.handling_level = level
    case.handling_unit_id = chain.get(UNIT_LEVEL[level], places.county_id)
    if level == HandlingLevel.GRID:
        case.assignee_id = places.grid_worker.get(case.handling_unit_id)
    share = rng.uniform(1.02, 1.8) if late else rng.betavariate(2, 4)
    close_at = workclock.add_working_hours(reported, share * limit / 3600)
    outcome = rng.random()
    if close_at > now or age_days < 1:
        if case.status == Status.ACCEPTED and age_days > 0.3:
            case.status = Status.HANDLING
        return case, events
    if outcome < 0.02:
        case.status = Status.PARKED
        events.append(Event(at=t, actor_label="镇街", action="park", from_status=Status.ACCEPTED,
                            to_status=Status.PARKED, note="需列入下年度计划"))
        return case, events
    if outcome < 0.035:
        case.status = Status.VOID
        events.append(Event(at=t, actor_label="镇街", action="void", from_status=Status.ACCEPTED,
                            to_status=Status.VOID, note="信息不实"))
        return case, events
    if late and level != HandlingLevel.COUNTY and not escalate:
        case.overdue_escalated_level = LEVEL_UP[level]
        case.handling_level = LEVEL_UP[level]
        case.handling_unit_id = chain.get(UNIT_LEVEL[case.handling_level], places.county_id)
        case.assignee_id = None
        case.escalations += 1
        events.append(Event(at=deadline, actor_label="系统", action="escalate", from_status=case.status,
                            to_status=Status.ACCEPTED, note="超期自动上报", data={"automatic": True}))
    handled = close_at - dt.timedelta(minutes=rng.randrange(30, 240))
    case.handled_at = handled
    events.append(Event(at=handled, actor_label="网格员", action="report_back", from_status=Status.HANDLING,
                        to_status=Status.HANDLED, note="已现场处置完毕"))
    events.append(Event(at=close_at, actor_label="网格员", action="close", from_status=Status.VERIFIED,
                        to_status=Status.CLOSED))
    case.status = Status.CLOSED
    case.closed_at = close_at
    case.closed_level = case.handling_level
    case.closed_on_time = close_at <= deadline and not case.overdue_escalated_level
    if channel == Channel.RESIDENT and rng.random() < 0.75:
        satisfied = rng.random() < (0.8 if late else 0.95)
        case.rating = _weighted(rng, [(5, 6), (4, 3), (3, 1)]) if satisfied else _weighted(rng, [(1, 1), (2, 2)])
        case.satisfied = satisfied
        rated = close_at + dt.timedelta(hours=rng.uniform(1, 48))
        events.append(Event(at=rated, actor_label="居民", action="rate", from_status=Status.CLOSED,
                            to_status=Status.RATED, data={"rating": case.rating, "satisfied": satisfied}))
        case.status = Status.RATED
        if not satisfied and rated < now:
            case.reopen_count = 1
            if rng.random() < 0.7:  # reworked and closed again
                case.status = Status.CLOSED
                case.closed_at = rated + dt.timedelta(days=rng.uniform(1, 3))
                events.append(Event(at=case.closed_at, actor_label="网格员", action="close",
                                    from_status=Status.VERIFIED, to_status=Status.CLOSED, note="返工后办结"))
            else:
                case.status = Status.DISPATCHED
                case.closed_at = None
                case.closed_on_time = None
                case.closed_level = ""
    return case, events
