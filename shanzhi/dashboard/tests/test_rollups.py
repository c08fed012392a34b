"""Daily roll-ups: equal to the raw computation (counts and rates exactly, medians within the stated
bound), kept current by every save and delete, rebuilt and checked by the command, read in a constant
number of queries."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shanzhi.cases import indicators as case_raw
from shanzhi.cases.models import Case, Category, Status
from shanzhi.dashboard import registry, rollups
from shanzhi.dashboard.models import CaseRollup, DisputeRollup, DurationRollup
from shanzhi.lib import clock
from shanzhi.lib.periods import Period
from shanzhi.lib.testing import report_case
from shanzhi.mediation import indicators as mediation_raw
from shanzhi.mediation.models import Dispute, DisputeType, Result
from shanzhi.mediation.services import centre_create
from shanzhi.org.models import Level, OrgUnit
from shanzhi.org.services import orgunit_create

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
FIRST_DAY = dt.date(2026, 8, 25)  # the random cases fall on ~3 months from here, across three month edges
CASE_KEYS = ["cases.reported", "cases.closure_rate", "cases.on_time_rate", "cases.rework_rate",
             "cases.satisfaction_rate", "cases.village_share", "cases.town_share"]
CASE_MEDIANS = {"cases.median_first_response_hours": "median_first_response_hours",
                "cases.median_close_hours": "median_close_hours"}
MEDIATION_KEYS = {"mediation.accepted": "accepted", "mediation.resolution_rate": "resolution_rate",
                  "mediation.first_time_rate": "first_time_rate", "mediation.on_time_rate": "on_time_rate",
                  "mediation.village_share": "village_share", "mediation.town_share": "town_share",
                  "mediation.repeats": "repeats"}
PERIODS = [  # a day each side of a month edge, a week across one, a whole month, a custom span of three
    Period("today", dt.date(2026, 9, 1), dt.date(2026, 9, 1)),
    Period("today", dt.date(2026, 8, 31), dt.date(2026, 8, 31)),
    Period("week", dt.date(2026, 9, 28), dt.date(2026, 10, 4)),
    Period("month", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    Period("custom", dt.date(2026, 8, 28), dt.date(2026, 11, 3)),
]
_numbers = itertools.count(1)


def _at(day_offset: int, second: int) -> dt.datetime:
    day = FIRST_DAY + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ) + dt.timedelta(seconds=second)


def _case(*, unit: OrgUnit, category: Category, reported_at: dt.datetime, **fields) -> Case:
    """A case saved directly (the receivers fire as for any service's save)."""
    return Case.objects.create(number=f"T-{next(_numbers)}", kind="problem", category=category, channel="patrol",
                               description="测试", unit=unit, handling_unit=unit, handling_level="grid",
                               first_level="grid", reported_at=reported_at, **fields)


def _within_bound(got: float | None, exact: float | None, middle: list[float] | None = None) -> bool:
    """The stated bound: each middle duration is read within MEDIAN_ERROR of itself (plus half a second
    for bucket 0), so the median — one middle value or the mean of two — is within MEDIAN_ERROR of the
    mean of their magnitudes. Only with durations of one sign is that MEDIAN_ERROR of the median itself."""
    if exact is None or got is None:
        return got is None and exact is None
    scale = sum(abs(v) for v in middle) / len(middle) if middle else abs(exact)
    return abs(got - exact) <= rollups.MEDIAN_ERROR * scale + 1 / 3600 + 1e-6


def _middle(values: list[float]) -> list[float]:
    values = sorted(values)
    n = len(values)
    if not n:
        return []
    return [values[(n - 1) // 2]] if n % 2 else [values[n // 2 - 1], values[n // 2]]


def _case_middles(unit: OrgUnit, period: Period) -> dict[str, list[float]]:
    """The middle durations (hours) behind each raw case median of a unit's subtree over a period."""
    qs = case_raw.cases_in(unit, period.start, period.end)
    response = [(b - a).total_seconds() / 3600 for a, b in
                qs.filter(first_response_at__isnull=False).values_list("reported_at", "first_response_at")]
    close = [(b - a).total_seconds() / 3600 for a, b in
             qs.filter(status__in=case_raw.CLOSED, closed_at__isnull=False).values_list("reported_at", "closed_at")]
    return {"median_first_response_hours": _middle(response), "median_close_hours": _middle(close)}


def _dispute_middle(unit: OrgUnit, period: Period) -> list[float]:
    from shanzhi.accounts import scopes
    from shanzhi.mediation.models import RESOLVED

    rows = Dispute.objects.filter(scopes.subtree_q(unit, "first_centre__unit"), registered_at__gte=period.start,
                                  registered_at__lt=period.end, result__in=RESOLVED,
                                  case__closed_at__isnull=False).values_list("registered_at", "case__closed_at")
    return _middle([(b - a).total_seconds() / 86400 for a, b in rows])


def _assert_equal_to_raw(units: list[OrgUnit], periods: list[Period]) -> None:
    keys = [*CASE_KEYS, *CASE_MEDIANS, *MEDIATION_KEYS, "mediation.median_days"]
    for period in periods:
        got = registry.values(units, period, keys)
        for unit in units:
            exact = case_raw.indicators_by_unit([unit], period.start, period.end)[unit.id]
            where = f"{unit.name} {period.label()}"
            for key in CASE_KEYS:
                assert got[unit.id][key] == getattr(exact, key.split(".")[1]), f"{key} {where}"
            middles = _case_middles(unit, period)
            for key, attr in CASE_MEDIANS.items():
                assert _within_bound(got[unit.id][key], getattr(exact, attr), middles[attr]), f"{key} {where}"
            disputes = mediation_raw.indicators_for(unit, period.start, period.end)
            for key, name in MEDIATION_KEYS.items():
                assert got[unit.id][key] == disputes[name], f"{key} {where}"
            assert _within_bound(got[unit.id]["mediation.median_days"], disputes["median_days"],
                                 _dispute_middle(unit, period)), where


@pytest.fixture
def world(county):
    """The small county with three centres and three categories."""
    c = county
    c.extra["centres"] = [centre_create(actor=None, unit=u, name=f"{u.name}矛调中心", rooms=["调解室"])
                          for u in (c.county, c.town, c.village)]
    c.extra["categories"] = list(Category.objects.filter(parent__isnull=False).order_by("code")[:3])
    c.extra["dtype"] = DisputeType.objects.get(code="neighbour")
    c.extra["leaves"] = [c.county, c.mg_a1, c.mg_a2, c.mg_b1, c.mg_c1]
    return c


SECONDS = st.one_of(st.sampled_from([0, 1, 86399, 43200]), st.integers(0, 86399))
CASE_SPEC = st.fixed_dictionaries({
    "leaf": st.integers(0, 4),
    "category": st.integers(0, 2),
    "day": st.integers(0, 95),
    "second": SECONDS,
    "status": st.sampled_from([Status.REPORTED, Status.HANDLING, Status.CLOSED, Status.RATED, Status.CLOSED,
                               Status.VOID, Status.DUPLICATE, Status.PARKED]),
    "response": st.one_of(st.none(), st.integers(60, 10 * 86400)),
    "close": st.integers(60, 40 * 86400),
    "level": st.sampled_from(["grid", "village", "town", "county"]),
    "on_time": st.booleans(),
    "reopens": st.integers(0, 2),
    "satisfied": st.sampled_from([None, True, False]),
    "dispute": st.one_of(st.none(), st.fixed_dictionaries({
        "centre": st.integers(0, 2),
        "delay": st.integers(0, 3 * 86400),
        "result": st.sampled_from(["", *Result.values]),
        "first_time": st.sampled_from([None, True, False]),
        "kind": st.sampled_from(["dispute", "petition"]),
        "repeat": st.booleans(),
    })),
    # A later change through a plain save: move, recategorise, close, reopen... or delete.
    "change": st.one_of(st.none(), st.sampled_from(["move", "category", "close", "reopen", "void", "delete",
                                                    "later", "register_later"])),
})


def _make(world, spec: dict, disputes: list[Dispute]) -> Case:
    c = world
    reported = _at(spec["day"], spec["second"])
    closed = spec["status"] in (Status.CLOSED, Status.RATED)
    case = _case(unit=c.extra["leaves"][spec["leaf"]], category=c.extra["categories"][spec["category"]],
                 reported_at=reported, status=spec["status"],
                 first_response_at=reported + dt.timedelta(seconds=spec["response"]) if spec["response"] else None,
                 closed_at=reported + dt.timedelta(seconds=spec["close"]) if closed else None,
                 closed_level=spec["level"] if closed else "", closed_on_time=spec["on_time"] if closed else None,
                 reopen_count=spec["reopens"], satisfied=spec["satisfied"])
    d = spec["dispute"]
    if d is not None:
        disputes.append(Dispute.objects.create(
            case=case, kind=d["kind"], type=c.extra["dtype"], centre=c.extra["centres"][d["centre"]],
            first_centre=c.extra["centres"][d["centre"]], summary="纠纷", result=d["result"],
            first_time=d["first_time"], registered_at=reported + dt.timedelta(seconds=d["delay"]),
            repeat_of=disputes[-1] if d["repeat"] and disputes else None))
    return case


def _change(world, case: Case, change: str | None) -> None:
    c = world
    case = Case.objects.get(pk=case.pk)  # a fresh instance, as a later request would load it
    if change == "move":
        case.unit = c.mg_c1 if case.unit_id != c.mg_c1.id else c.mg_a1
    elif change == "category":
        case.category = c.extra["categories"][(c.extra["categories"].index(case.category) + 1) % 3]
    elif change == "close":
        case.status, case.closed_at = Status.CLOSED, case.reported_at + dt.timedelta(hours=30)
        case.closed_level, case.closed_on_time = "village", True
    elif change == "reopen":
        case.status, case.reopen_count, case.closed_at = Status.HANDLING, case.reopen_count + 1, None
    elif change == "void":
        case.status = Status.VOID
    elif change == "later":  # the report time corrected to the next day
        case.reported_at += dt.timedelta(days=1)
    elif change == "register_later":
        dispute = Dispute.objects.filter(case=case).first()
        if dispute is not None:
            dispute.registered_at += dt.timedelta(days=2)
            dispute.first_centre = c.extra["centres"][0]
            dispute.save()
        return
    elif change == "delete":
        case.delete()
        return
    else:
        return
    case.save()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(specs=st.lists(CASE_SPEC, max_size=20))
def test_rollups_equal_the_raw_computation_on_random_cases(world, specs):
    c = world
    with transaction.atomic():
        disputes: list[Dispute] = []
        made = [_make(c, spec, disputes) for spec in specs]
        for case, spec in zip(made, specs, strict=True):
            _change(c, case, spec["change"])
        _assert_equal_to_raw([c.county, c.town, c.town2, c.village, c.grid_a, c.mg_a1], PERIODS)
        transaction.set_rollback(True)


def _rows() -> dict[str, set]:
    return {
        "cases": set(CaseRollup.objects.exclude(reported=0).values_list(
            "grain", "day", "unit_id", "category_id", *rollups.CASE_COUNT_FIELDS)),
        "disputes": set(DisputeRollup.objects.exclude(accepted=0).values_list(
            "grain", "day", "unit_id", *rollups.DISPUTE_COUNT_FIELDS)),
        "durations": set(DurationRollup.objects.exclude(n=0).values_list(
            "grain", "day", "unit_id", "measure", "bucket", "n")),
    }


def _some_cases(world, n: int = 12) -> list[Case]:
    c = world
    cats = c.extra["categories"]
    out = []
    for i in range(n):
        reported = _at(i * 7 % 90, (i * 3607) % 86400)
        closed = i % 3 != 0
        case = _case(unit=c.extra["leaves"][i % 5], category=cats[i % 3], reported_at=reported,
                     status=Status.CLOSED if closed else Status.HANDLING,
                     first_response_at=reported + dt.timedelta(minutes=5 + i * 11),
                     closed_at=reported + dt.timedelta(hours=2 + i * 5) if closed else None,
                     closed_level="grid" if closed else "", closed_on_time=closed and i % 2 == 0)
        if i % 4 == 0:
            Dispute.objects.create(case=case, type=c.extra["dtype"], centre=c.extra["centres"][i % 3],
                                   first_centre=c.extra["centres"][i % 3], summary="纠纷",
                                   result="agreement" if closed else "", first_time=True,
                                   registered_at=reported + dt.timedelta(hours=1))
        out.append(case)
    return out


def test_a_rebuild_gives_the_rows_incremental_upkeep_made(world):
    _some_cases(world)
    kept = _rows()
    assert kept["cases"] and kept["disputes"] and kept["durations"]
    done = rollups.rollups_rebuild()
    assert _rows() == kept
    assert done["case_rows"] == CaseRollup.objects.count()


def test_a_rebuild_since_a_day_keeps_earlier_months_and_redoes_later_ones(world):
    _some_cases(world)
    kept = _rows()
    CaseRollup.objects.filter(day__gte=dt.date(2026, 10, 1)).update(reported=99)
    CaseRollup.objects.filter(day__lt=dt.date(2026, 9, 1)).delete()
    rollups.rollups_rebuild(since=dt.date(2026, 9, 17))  # from 1 September on
    rows = _rows()
    assert {r for r in rows["cases"] if r[1] >= dt.date(2026, 9, 1)} == \
        {r for r in kept["cases"] if r[1] >= dt.date(2026, 9, 1)}
    assert not {r for r in rows["cases"] if r[1] < dt.date(2026, 9, 1)}


def _reported(unit: OrgUnit, period: Period, category: Category | None = None) -> int:
    if category is None:
        return registry.values([unit], period, ["cases.reported"])[unit.id]["cases.reported"]
    q = rollups.period_q(period)
    return sum(CaseRollup.objects.filter(q, unit=unit, category=category).values_list("reported", flat=True))


SEPTEMBER = Period("month", dt.date(2026, 9, 1), dt.date(2026, 9, 30))


def test_changing_a_case_category_or_unit_moves_its_counts(world):
    c = world
    cat_a, cat_b = c.extra["categories"][:2]
    case = _case(unit=c.mg_a1, category=cat_a, reported_at=_at(10, 3600))
    assert (_reported(c.town, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (1, 0)
    case.category = cat_b
    case.save()
    assert (_reported(c.county, SEPTEMBER, cat_a), _reported(c.county, SEPTEMBER, cat_b)) == (0, 1)
    stale = Case.objects.get(pk=case.pk)
    case.unit = c.mg_c1  # moved to the other town
    case.save(update_fields=["unit"])
    assert (_reported(c.town, SEPTEMBER), _reported(c.town2, SEPTEMBER), _reported(c.county, SEPTEMBER)) == (0, 1, 1)
    stale.description = "改了描述"  # an instance loaded before the move, saved after it: moves back
    stale.save()
    assert (_reported(c.town, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (1, 0)


def test_a_unit_holding_cases_itself_keeps_its_childrens_counts(world):
    """The county holds triage cases itself and sums its towns': moving its own case into a micro-grid
    on a day that micro-grid has a case too leaves the county's figure alone."""
    c = world
    cat_a, cat_b = c.extra["categories"][:2]
    _case(unit=c.mg_c1, category=cat_a, reported_at=_at(10, 60))
    triage = _case(unit=c.county, category=cat_b, reported_at=_at(10, 120))
    assert (_reported(c.county, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (2, 1)
    triage.unit = c.mg_c1
    triage.save()
    assert (_reported(c.county, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (2, 2)
    triage.unit = c.county
    triage.save()
    assert (_reported(c.county, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (2, 1)
    assert rollups.rollups_check() is None


def test_moving_a_grid_to_another_village_moves_its_figures(world):
    from shanzhi.org.services import orgunit_move

    c = world
    _case(unit=c.mg_b1, category=c.extra["categories"][0], reported_at=_at(10, 60))
    _case(unit=c.mg_a1, category=c.extra["categories"][0], reported_at=_at(11, 60))
    assert (_reported(c.town, SEPTEMBER), _reported(c.town2, SEPTEMBER)) == (2, 0)
    orgunit_move(actor=c.admin, unit=c.grid_b, new_parent=c.village2)
    assert (_reported(c.town, SEPTEMBER), _reported(c.town2, SEPTEMBER), _reported(c.county, SEPTEMBER)) == (1, 1, 2)
    assert _reported(c.village2, SEPTEMBER) == 1
    assert rollups.rollups_check() is None


def test_a_case_reported_just_before_local_midnight_counts_on_that_local_day(world):
    c = world
    _case(unit=c.mg_a1, category=c.extra["categories"][0],
          reported_at=dt.datetime(2026, 9, 30, 15, 59, 59, tzinfo=dt.UTC))  # 23:59:59 in Shanghai
    _case(unit=c.mg_a1, category=c.extra["categories"][0],
          reported_at=dt.datetime(2026, 9, 30, 16, 0, 0, tzinfo=dt.UTC))  # 1 October 00:00 in Shanghai
    assert _reported(c.county, SEPTEMBER) == 1
    assert _reported(c.county, Period("today", dt.date(2026, 10, 1), dt.date(2026, 10, 1))) == 1
    rollups.rollups_rebuild()
    assert _reported(c.county, SEPTEMBER) == 1


def test_deleting_a_case_removes_its_counts_and_its_dispute(world):
    c = world
    case = _case(unit=c.mg_b1, category=c.extra["categories"][0], reported_at=_at(10, 100), status=Status.CLOSED,
                 closed_at=_at(11, 100), closed_level="grid", closed_on_time=True)
    Dispute.objects.create(case=case, type=c.extra["dtype"], centre=c.extra["centres"][1],
                           first_centre=c.extra["centres"][1], summary="纠纷", result="agreement",
                           registered_at=_at(10, 200))
    got = registry.values([c.town], SEPTEMBER, ["cases.reported", "mediation.accepted", "mediation.median_days"])
    assert got[c.town.id]["cases.reported"] == 1 and got[c.town.id]["mediation.accepted"] == 1
    assert got[c.town.id]["mediation.median_days"] == pytest.approx(1.0, rel=rollups.MEDIAN_ERROR)
    case.delete()
    got = registry.values([c.town], SEPTEMBER, ["cases.reported", "mediation.accepted", "mediation.median_days"])
    assert got[c.town.id] == {"cases.reported": 0, "mediation.accepted": 0, "mediation.median_days": None}
    assert not CaseRollup.objects.exists() and not DisputeRollup.objects.exists()
    assert not DurationRollup.objects.exists()


def test_closing_through_the_services_updates_the_figures(county):
    from shanzhi.cases import services

    with clock.frozen(dt.datetime(2026, 11, 18, 2, tzinfo=dt.UTC)):
        case = report_case(county)
        month = Period("month", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        before = registry.values([county.grid_a], month, ["cases.reported", "cases.closure_rate"])
        assert before[county.grid_a.id] == {"cases.reported": 1, "cases.closure_rate": 0.0}
    with clock.frozen(dt.datetime(2026, 11, 18, 6, tzinfo=dt.UTC)):
        case.refresh_from_db()
        services.case_accept(actor=county.worker_a, case=case)
        services.case_start(actor=county.worker_a, case=case)
        services.case_report_back(actor=county.worker_a, case=case, note="已处理")
        services.case_verify(actor=county.admin, case=case)
        services.case_close(actor=county.admin, case=case)
        after = registry.values([county.grid_a, county.county], month,
                                ["cases.closure_rate", "cases.median_close_hours"])
    for unit in (county.grid_a, county.county):
        assert after[unit.id]["cases.closure_rate"] == 1.0
        assert after[unit.id]["cases.median_close_hours"] == pytest.approx(4.0, rel=rollups.MEDIAN_ERROR)


def _count_value_queries(units: list[OrgUnit], period: Period) -> int:
    keys = [i.key for i in registry.all_indicators() if i.source in ("cases", "mediation")]
    with CaptureQueriesContext(connection) as ctx:
        registry.values(units, period, keys)
    return len(ctx.captured_queries)


def test_value_queries_do_not_grow_with_cases_or_children(world):
    c = world
    year = Period("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    custom = Period("custom", dt.date(2026, 8, 30), dt.date(2026, 10, 2))
    few = _count_value_queries([c.county, c.town], custom)
    _some_cases(world, 30)
    for i in range(6):
        orgunit_create(actor=None, code=f"33042111220100{i + 3}", name=f"网格{i}", level=Level.GRID,
                       parent=c.village)
    children = list(OrgUnit.objects.filter(parent=c.village))
    assert len(children) == 8
    assert _count_value_queries([c.county, c.town], custom) == few
    assert _count_value_queries(children, custom) == few
    assert _count_value_queries([c.county, *children, c.mg_a1], year) == few
    assert few == 4  # two per source: the counts, and the duration histograms


def test_a_period_is_whole_months_plus_edge_days():
    d = dt.date
    assert rollups.period_parts(Period("custom", d(2026, 8, 30), d(2026, 11, 2))) == (
        [d(2026, 9, 1), d(2026, 10, 1)], [(d(2026, 8, 30), d(2026, 8, 31)), (d(2026, 11, 1), d(2026, 11, 2))])
    assert rollups.period_parts(Period("year", d(2026, 1, 1), d(2026, 12, 31))) == (
        [d(2026, m, 1) for m in range(1, 13)], [])
    assert rollups.period_parts(Period("today", d(2026, 9, 1), d(2026, 9, 1))) == ([], [(d(2026, 9, 1),) * 2])
    assert rollups.period_parts(Period("custom", d(2026, 9, 2), d(2026, 10, 30))) == (
        [], [(d(2026, 9, 2), d(2026, 10, 30))])


def test_a_median_from_buckets_is_within_the_stated_bound():
    values = [61.0, 3600.0, 7200.5, 86400.0 * 3, 86400.0 * 3 + 1, 999999.0]
    for n in range(1, len(values) + 1):
        part = sorted(values[:n])
        exact = part[n // 2] if n % 2 else (part[n // 2 - 1] + part[n // 2]) / 2
        hist: dict[int, int] = {}
        for v in part:
            hist[rollups.bucket_of(v)] = hist.get(rollups.bucket_of(v), 0) + 1
        assert abs(rollups.median_seconds(hist) - exact) <= rollups.MEDIAN_ERROR * exact
    assert rollups.median_seconds({}) is None
    assert rollups.MEDIAN_ERROR < 0.049
    median = registry.get("cases.median_close_hours")
    assert "4.9%" in median.approx and "中位数" in median.approx
    assert registry.get("mediation.median_days").approx == median.approx


def test_the_mediation_indicators_are_registered_with_their_names(world):
    names = {i.key: i.name for i in registry.all_indicators() if i.source == "mediation"}
    assert names == {"mediation.accepted": "受理数", "mediation.resolution_rate": "化解率",
                     "mediation.first_time_rate": "一次化解率", "mediation.on_time_rate": "按期化解率",
                     "mediation.village_share": "小事不出村", "mediation.town_share": "大事不出乡",
                     "mediation.repeats": "重复纠纷", "mediation.median_days": "化解用时中位数"}
    c = world
    assert {i.key for i in registry.visible(c.worker_b, c.grid_a)} & set(names) == set()
    assert "mediation.accepted" in {i.key for i in registry.visible(c.town_staff, c.town)}


def test_the_rebuild_command_prints_what_it_did(world):
    _some_cases(world)
    out = io.StringIO()
    call_command("rollups", "--rebuild", stdout=out)
    assert "rebuilt roll-ups (all days)" in out.getvalue()
    assert f"{CaseRollup.objects.count()} case rows" in out.getvalue()


def test_the_check_command_passes_on_kept_rollups_and_names_a_tampered_row(world):
    _some_cases(world)
    out = io.StringIO()
    call_command("rollups", "--check", stdout=out)
    assert "match" in out.getvalue()
    row = CaseRollup.objects.filter(grain="m", unit=world.town).order_by("day", "category_id").first()
    row.closed += 1
    row.save()
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("rollups", "--check", stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert f"grain=m day={row.day} unit={world.town.code}" in err.getvalue()
    assert f"closed={row.closed}" in err.getvalue()
    row.refresh_from_db()
    assert row.closed == row.closed  # the check rolled its fresh computation back: the tampered row is still there
    assert CaseRollup.objects.get(pk=row.pk).closed == row.closed


def test_the_command_refuses_bad_arguments(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--rebuild"):
        call_command("rollups", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--since"):
        call_command("rollups", "--rebuild", "--since", "yesterday", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rebuild_leaves_fresh_planner_statistics_on_the_tables_it_rewrote():
    """After a rebuild the planner knows the roll-up tables' new size (ANALYZE), so the indicators read them
    by their indexes at once, not after autovacuum (PostgreSQL) or never (SQLite)."""
    from shanzhi.lib.testing import build_county

    county = build_county()
    report_case(county)
    rollups.rollups_rebuild()
    table = CaseRollup._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
            assert cur.fetchone()[0] is not None
        else:
            cur.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
            assert cur.fetchone()[0] > 0
