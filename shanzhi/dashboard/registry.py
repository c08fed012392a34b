"""The one indicator mechanism: every app registers its indicators here; pages, exports, the big screen
and the grid evaluation read them only through this module.

An app registers a *source* (one function computing all of its indicators for a list of units over a
period, in a constant number of queries whatever the number of units) and the indicators it yields,
each with a key, names in Chinese and English, a definition in words, a display unit, a direction and
the scope action a user needs on the unit to see it. Apps register from their AppConfig.ready(), so the
dashboard imports no domain app and every app may register (councils, volunteers, elections later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import get_language, gettext, gettext_noop

from shanzhi.lib.periods import Period

Value = float | int | None
# compute(units, period) -> {unit.id: {full indicator key ("cases.reported"): value}}; a unit covers its subtree.
Compute = Callable[[list, Period], dict[int, dict[str, Value]]]

HIGHER_IS_BETTER = 1
LOWER_IS_BETTER = -1
NEUTRAL = 0

# The units apps put after a number (Indicator.unit_label), marked so the catalogue translates them.
UNIT_LABELS = (gettext_noop("件"), gettext_noop("人"), gettext_noop("小时"), gettext_noop("天"))
FORMATS = ("count", "pct", "hours", "days", "ratio", "score")


@dataclass(frozen=True)
class Indicator:
    key: str  # "<source>.<name>", e.g. "cases.on_time_rate"
    name: str  # Chinese, as officials say it (按期结案率)
    name_en: str
    definition: str  # numerator and denominator in words, shown on the page
    definition_en: str
    fmt: str  # one of FORMATS: how the value is shown (pct: 0..1 shown as %)
    direction: int  # HIGHER_IS_BETTER, LOWER_IS_BETTER or NEUTRAL
    source: str
    action: str  # the scope action (accounts.scopes.ACTIONS) a user needs on the unit to see it
    unit_label: str = ""  # 件, 户, 人, 小时 (pct and ratio need none)
    approx: str = ""  # the stated error bound when the value is an estimate (a median from histograms)
    approx_en: str = ""
    period_bound: bool = True  # False for a stock figure that does not depend on the period (人网比)
    # The list behind the number, with the list page's own filters: drill(unit, period) -> URL or "".
    drill: Callable[[object, Period], str] | None = None

    @property
    def label(self) -> str:
        return self.name_en if _english() else self.name

    @property
    def meaning(self) -> str:
        return self.definition_en if _english() else self.definition

    @property
    def unit_text(self) -> str:
        """The unit after the number in the active language (UNIT_LABELS are in the catalogue)."""
        return gettext(self.unit_label) if self.unit_label else ""

    @property
    def approx_text(self) -> str:
        """The error bound in the active language."""
        return (self.approx_en or self.approx) if _english() else self.approx


@dataclass
class Source:
    key: str
    compute: Compute
    indicators: list[Indicator] = field(default_factory=list)


_sources: dict[str, Source] = {}
_indicators: dict[str, Indicator] = {}


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def register(source: str, compute: Compute, indicators: Iterable[Indicator]) -> None:
    """Register (or replace) a source and its indicators; called from an app's ready()."""
    items = list(indicators)
    for ind in items:
        if ind.source != source:
            raise ValueError(f"{ind.key}: source {ind.source!r} is not {source!r}")
        if ind.fmt not in FORMATS:
            raise ValueError(f"{ind.key}: unknown format {ind.fmt!r}")
    old = _sources.get(source)
    if old is not None:
        for ind in old.indicators:
            _indicators.pop(ind.key, None)
    _sources[source] = Source(source, compute, items)
    for ind in items:
        _indicators[ind.key] = ind


def all_indicators() -> list[Indicator]:
    """Every registered indicator, in registration order."""
    return list(_indicators.values())


def get(key: str) -> Indicator:
    """The indicator registered under `key` (KeyError when there is none)."""
    return _indicators[key]


def visible(user, unit) -> list[Indicator]:
    """The indicators `user` may see on `unit` (the gate decides; a page only shows what this returns)."""
    from shanzhi.accounts import scopes

    return [ind for ind in _indicators.values() if user is None or scopes.may(user, ind.action, unit)]


def values(units: list, period: Period, keys: Iterable[str] | None = None) -> dict[int, dict[str, Value]]:
    """Values of the given indicators (all when None) for each unit's subtree over `period`.

    Each source needed is computed once for all units, so the cost is the sum of the sources' constant
    query counts, whatever the number of units."""
    wanted = list(keys) if keys is not None else list(_indicators)
    by_source: dict[str, list[str]] = {}
    for key in wanted:
        by_source.setdefault(_indicators[key].source, []).append(key)
    out: dict[int, dict[str, Value]] = {u.id: {} for u in units}
    if not units:
        return out
    for source, source_keys in by_source.items():
        computed = _sources[source].compute(list(units), period)
        for u in units:
            row = computed.get(u.id, {})
            for key in source_keys:
                out[u.id][key] = row.get(key)
    return out


def format_value(ind: Indicator, value: Value) -> str:
    """The value as a page shows it: "—" when there is nothing to divide by."""
    if value is None:
        return "—"
    if ind.fmt == "pct":
        return f"{value * 100:.1f}%"
    if ind.fmt in ("hours", "days", "score"):
        return f"{value:.1f}"
    if ind.fmt == "ratio":
        return f"{value:.0f}"
    return f"{int(value):,}"


def change(ind: Indicator, now: Value, before: Value) -> dict | None:
    """The change from `before` to `now`: the difference (percentage points for shares), its sign and
    whether it is an improvement by the indicator's direction. None when either side is missing."""
    if now is None or before is None:
        return None
    diff = now - before
    better = None if ind.direction == NEUTRAL or diff == 0 else (diff > 0) == (ind.direction == HIGHER_IS_BETTER)
    shown = f"{diff * 100:+.1f} pp" if ind.fmt == "pct" else (
        f"{diff:+,.0f}" if ind.fmt in ("count", "ratio") else f"{diff:+.1f}")
    return {"diff": diff, "shown": shown, "better": better}


def clear_for_tests() -> dict:
    """Snapshot of the registry (tests that register their own source restore it afterwards)."""
    return {"sources": dict(_sources), "indicators": dict(_indicators)}


def restore(snapshot: dict) -> None:
    _sources.clear()
    _sources.update(snapshot["sources"])
    _indicators.clear()
    _indicators.update(snapshot["indicators"])


def today() -> dt.date:
    from shanzhi.lib import clock

    return clock.today()
