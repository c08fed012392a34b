"""The demo's year of cases: plausible, routed inside the county, and what the indicators can read."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from shanzhi.cases.indicators import indicators_for
from shanzhi.cases.models import Case, Event, Status
from shanzhi.demo.generator import build_demo
from shanzhi.org.models import Level, OrgUnit


@pytest.fixture
def demo(db):
    return build_demo(scale="small", seed=3, progress=False)


def test_the_demo_has_a_year_of_cases_shaped_like_a_working_county(demo):
    n = Case.objects.count()
    assert demo["cases"] == n and 1500 < n < 2600  # ~6 a day for a year at small scale
    by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")))
    closed = by_status.get(Status.CLOSED, 0) + by_status.get(Status.RATED, 0)
    assert closed / n > 0.85
    assert Case.objects.values("number").distinct().count() == n
    first = Case.objects.order_by("reported_at").first().reported_at
    assert (timezone.now() - first) > dt.timedelta(days=300)
    # Every case sits in a micro-grid and is handled at that micro-grid's grid or above.
    for case in Case.objects.select_related("unit", "handling_unit")[:200]:
        assert case.unit.level == Level.MICROGRID
        assert case.unit.path.startswith(case.handling_unit.path)
    assert Event.objects.filter(action="report").count() == n


def test_indicators_have_something_true_to_show(demo):
    county = OrgUnit.objects.get(level=Level.COUNTY)
    end = timezone.now()
    ind = indicators_for(county, end - dt.timedelta(days=366), end)
    assert ind.reported > 1000
    assert 0.5 < ind.closed / ind.reported <= 1
    assert ind.median_close_hours and ind.median_close_hours > 0


def test_same_seed_same_cases(db):
    from shanzhi.cases.models import CaseNumber
    from shanzhi.demo.casegen import generate_cases

    build_demo(scale="small", seed=3, progress=False, cases=False)

    def draw():
        Case.objects.all().delete()
        CaseNumber.objects.all().delete()
        generate_cases(per_day=6, days=60, seed=5, progress=False)
        return list(Case.objects.order_by("number").values_list("number", "category__code", "status", "unit_id"))

    assert draw() == draw()


def test_daily_counts_reach_the_asked_total_exactly_with_fewer_on_weekends():
    import random

    from shanzhi.demo.casegen import daily_counts

    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    for count in (0, 1, 7, 364, 878_000, 1_000_000):
        counts = daily_counts(random.Random(count), days, count=count)
        assert sum(counts) == count and min(counts) >= 0
    counts = daily_counts(random.Random(1), days, count=1_000_000)
    saturdays = [n for d, n in zip(days, counts, strict=True) if d.weekday() == 5 and d.month in (5, 6)]
    tuesdays = [n for d, n in zip(days, counts, strict=True) if d.weekday() == 1 and d.month in (5, 6)]
    assert sum(saturdays) / len(saturdays) < 0.7 * sum(tuesdays) / len(tuesdays)
    assert daily_counts(random.Random(2), days[:10], per_day=0) == [0] * 10


def test_a_count_tops_the_county_up_to_exactly_that_many(db):
    from shanzhi.demo.casegen import generate_cases

    build_demo(scale="small", seed=3, progress=False, cases=False)
    before = Case.objects.count()
    assert generate_cases(count=137, days=30, seed=9, progress=False) == 137
    assert Case.objects.count() == before + 137
    with pytest.raises(ValueError):
        generate_cases(per_day=3, count=3, progress=False)


def test_split_count_cuts_the_year_into_stretches_that_add_up_exactly():
    from shanzhi.demo.casegen import split_count

    end = dt.date(2026, 12, 6)
    parts = split_count(884_855, 365, end, 4)
    assert sum(n for n, _, _ in parts) == 884_855 and sum(d for _, d, _ in parts) == 365
    assert parts[-1][2] == end
    for (_, _, last), (_, days, next_last) in zip(parts, parts[1:], strict=False):
        assert next_last - dt.timedelta(days=days) == last  # consecutive, no day shared
    tiny = split_count(5, 3, end, 10)  # more parts than days: one day each
    assert [d for _, d, _ in tiny] == [1, 1, 1] and sum(n for n, _, _ in tiny) == 5
