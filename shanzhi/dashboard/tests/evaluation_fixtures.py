"""A small indicator source with known values per unit and month, registered for a test and removed after,
and a scheme over it: the grid evaluation's hand-computed examples use them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shanzhi.dashboard import registry
from shanzhi.dashboard.evaluation_models import EvaluationScheme, EvaluationWeight, Mapping
from shanzhi.dashboard.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL, Indicator

SOURCE = "evaltest"
NOVEMBER = (2026, 11)


def _ind(name: str, zh: str, fmt: str, direction: int, action: str = "cases.view") -> Indicator:
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=name, definition=f"{zh}（测试）",
                     definition_en=f"{name} (test)", fmt=fmt, direction=direction, source=SOURCE, action=action,
                     unit_label="件" if fmt == "count" else "")


INDICATORS = [
    _ind("on_time", "测试按期率", "pct", HIGHER_IS_BETTER),
    _ind("rework", "测试返工率", "pct", LOWER_IS_BETTER),
    _ind("hours", "测试办结用时", "hours", LOWER_IS_BETTER),
    _ind("reported", "测试受理数", "count", NEUTRAL),
    _ind("visits", "测试走访覆盖率", "pct", HIGHER_IS_BETTER, action="campaigns.view"),  # not for mediators
]


class Values:
    """{(year, month): {unit code: {name: value}}}; a unit or month not listed has no value."""

    def __init__(self):
        self.by_month: dict[tuple[int, int], dict[str, dict[str, float | None]]] = {}
        self.calls = 0

    def set(self, month: tuple[int, int], code: str, **values) -> None:
        self.by_month.setdefault(month, {}).setdefault(code, {}).update(values)

    def compute(self, units: list, period) -> dict[int, dict]:
        self.calls += 1
        month = self.by_month.get((period.first.year, period.first.month), {})
        return {u.id: {f"{SOURCE}.{k}": v for k, v in month.get(u.code, {}).items()} for u in units}


@pytest.fixture
def default_scheme(db):
    """The default scheme the data migration installs (again, if a transactional test flushed it)."""
    from shanzhi.dashboard import evaluation, evaluation_defaults

    evaluation_defaults.install()
    return evaluation.current_scheme()


@pytest.fixture
def source():
    """Register the test source for one test; the registry is restored afterwards."""
    snapshot = registry.clear_for_tests()
    values = Values()
    registry.register(SOURCE, values.compute, INDICATORS)
    yield values
    registry.restore(snapshot)


def make_scheme(rows: list[tuple[str, float, str, float | None, float | None]], *, name: str = "测试方案",
                start: dt.date = dt.date(2026, 1, 1), grades=(90, 80, 70, 60)) -> EvaluationScheme:
    """A scheme starting after the seeded default (so it is the one in force for 2026)."""
    scheme = EvaluationScheme.objects.create(name=name, effective_from=start, grade_a=grades[0], grade_b=grades[1],
                                             grade_c=grades[2], grade_d=grades[3])
    for i, (key, weight, mapping, target, limit) in enumerate(rows):
        EvaluationWeight.objects.create(scheme=scheme, indicator_key=key, weight=Decimal(str(weight)),
                                        mapping=mapping, target=target, limit=limit, position=i)
    return scheme


def hand_scheme() -> EvaluationScheme:
    """on-time 40 (share), rework 30 (lower is better), hours 30 (100 at ≤ 24 h, 0 at ≥ 72 h)."""
    return make_scheme([(f"{SOURCE}.on_time", 40, Mapping.SHARE, None, None),
                        (f"{SOURCE}.rework", 30, Mapping.SHARE_INVERSE, None, None),
                        (f"{SOURCE}.hours", 30, Mapping.TARGET_LIMIT, 24, 72)])


def hand_values(values: Values, county) -> None:
    """Grid A: 0.9 / 0.1 / 48 h -> 90, 90, 50 -> 78.0 (C). Grid B: 0.95 / — / 12 h -> 95, 100 over weights
    70 -> 97.14 (A). Grid C: nothing -> no score."""
    values.set(NOVEMBER, county.grid_a.code, on_time=0.9, rework=0.1, hours=48.0, reported=10)
    values.set(NOVEMBER, county.grid_b.code, on_time=0.95, rework=None, hours=12.0, reported=4)
    values.set(NOVEMBER, county.grid_c.code, on_time=None, rework=None, hours=None, reported=0)
