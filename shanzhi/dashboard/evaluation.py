"""Grid evaluation (网格考核): each grid's indicators for a month turned into points, a weighted total,
a grade A–E and its rank within its village and its town.

The indicators come from the one registry (shanzhi.dashboard.registry), however they are computed. An
indicator of the scheme that is not registered, or has no value for a grid (nothing to divide by), is left
out and the remaining weights are renormalised; a grid with no value at all gets no score ("—"), not 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop

from shanzhi.dashboard import registry
from shanzhi.dashboard.evaluation_models import EvaluationScheme, Mapping
from shanzhi.lib.errors import DomainError
from shanzhi.lib.periods import Period, month_period
from shanzhi.org.models import Level, OrgUnit

GRADES = ("A", "B", "C", "D", "E")
DASH = "—"
# Keys agreed between the apps (DESIGN-NOTES / issue 10) that may be chosen before their app registers them.
AGREED_KEYS = {
    "cases.closure_rate": _lazy("结案率"), "cases.on_time_rate": _lazy("按期结案率"), "cases.rework_rate": _lazy("返工率"),
    "cases.satisfaction_rate": _lazy("满意率"), "cases.median_first_response_hours": _lazy("首次响应（中位数）"),
    "cases.median_close_hours": _lazy("办结用时（中位数）"), "cases.village_share": _lazy("小事不出村"),
    "cases.town_share": _lazy("大事不出乡"), "mediation.resolution_rate": _lazy("调解成功率"),
    "mediation.first_time_rate": _lazy("一次化解率"), "mediation.on_time_rate": _lazy("调解按期率"),
    "mediation.village_share": _lazy("矛盾不出村"), "mediation.town_share": _lazy("矛盾不出镇"),
    "mediation.median_days": _lazy("调解用时（中位数）"), "campaigns.visit_coverage": _lazy("走访覆盖率"),
    "campaigns.met_cadre_share": _lazy("户户见干部"), "campaigns.signoff_progress": _lazy("签收进度"),
    "registry.residents_per_grid_worker": _lazy("人网比"), "registry.floating_share": _lazy("流动人口占比"),
}
SCORABLE_FORMATS = ("pct", "hours", "days", "ratio", "score")
# Mapping's labels, marked for the catalogue: the pages show them through mapping_label.
MAPPING_LABELS = (gettext_noop("比例×100（越高越好）"), gettext_noop("100−比例×100（越低越好）"),
                  gettext_noop("目标值得满分，限值得 0 分，之间线性"))


# ---- the scheme ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeightSpec:
    """One row of a scheme as the form and the service see it."""

    key: str
    weight: Decimal
    mapping: str = Mapping.SHARE
    target: float | None = None
    limit: float | None = None


def indicator_label(key: str) -> str:
    """The indicator's name, registered or agreed; the key itself when neither."""
    try:
        return registry.get(key).label
    except KeyError:
        return str(AGREED_KEYS.get(key, key))


def known_keys(extra: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(key, label) of every indicator a scheme may weigh: registered shares, durations and ratios, the
    agreed keys of apps that may not have registered yet, and `extra` (a scheme's own keys)."""
    keys = [i.key for i in registry.all_indicators() if i.fmt in SCORABLE_FORMATS]
    keys += [k for k in AGREED_KEYS if k not in keys]
    keys += [k for k in extra if k not in keys]
    return [(k, _("%(name)s（%(key)s）") % {"name": indicator_label(k), "key": k}) for k in keys]


def mapping_label(mapping: str) -> str:
    """How a mapping scores, in the active language."""
    return _(Mapping(mapping).label)


def default_mapping(key: str) -> str:
    """Shares higher-is-better ×100, lower-is-better 100 − ×100; durations and ratios target/limit."""
    try:
        ind = registry.get(key)
    except KeyError:
        return Mapping.SHARE
    if ind.fmt == "pct":
        return Mapping.SHARE_INVERSE if ind.direction == registry.LOWER_IS_BETTER else Mapping.SHARE
    return Mapping.TARGET_LIMIT


def scheme_errors(weights: list[tuple[int, WeightSpec]], thresholds: dict[str, Decimal | None],
                  keys: set[str]) -> dict[str, list[str]]:
    """Every problem of a scheme at once, by field name (`key_<row>`, `weight_<row>`, `target_<row>`,
    `limit_<row>`, `grade_a`..`grade_d`, `weights` for the sum). `weights` are (row number, spec)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    seen: set[str] = set()
    for row, spec in weights:
        if spec.key not in keys:
            add(f"key_{row}", _("未知的指标：%(key)s") % {"key": spec.key})
        elif spec.key in seen:
            add(f"key_{row}", _("指标重复：%(name)s") % {"name": indicator_label(spec.key)})
        seen.add(spec.key)
        if spec.weight is None or spec.weight <= 0:
            add(f"weight_{row}", _("权重须大于 0"))
        if spec.mapping not in Mapping.values:
            add(f"key_{row}", _("未知的计分方式"))
        elif spec.mapping == Mapping.TARGET_LIMIT:
            if spec.target is None:
                add(f"target_{row}", _("按目标值计分须填写目标值"))
            if spec.limit is None:
                add(f"limit_{row}", _("按目标值计分须填写限值"))
            if spec.target is not None and spec.limit is not None and spec.target == spec.limit:
                add(f"limit_{row}", _("限值不能等于目标值"))
    if not weights:
        add("weights", _("请至少填写一项考核指标"))
    elif all(s.weight is not None for _r, s in weights):
        total = sum((s.weight for _r, s in weights), Decimal(0))
        if total != 100:
            add("weights", _("各项权重之和须为 100，目前为 %(total)s") % {"total": _plain(total)})
    previous: tuple[str, Decimal] | None = None
    for grade in ("a", "b", "c", "d"):
        value = thresholds.get(f"grade_{grade}")
        if value is None:
            continue
        if not 0 <= value <= 100:
            add(f"grade_{grade}", _("分数线须在 0 到 100 之间"))
        if previous is not None and value >= previous[1]:
            add(f"grade_{grade}", _("%(grade)s 级分数线须低于 %(upper)s 级（%(value)s）") % {
                "grade": grade.upper(), "upper": previous[0].upper(), "value": _plain(previous[1])})
        previous = (grade, value)
    return errors


def _plain(value: Decimal | float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def current_scheme() -> EvaluationScheme | None:
    """The active scheme that starts last (the one the configuration page edits). Cost: one query."""
    return EvaluationScheme.objects.filter(active=True).order_by("-effective_from", "-id").first()


def scheme_for(period: Period) -> EvaluationScheme | None:
    """The active scheme in force in the period's first month, with its weights. Cost: two queries."""
    first = period.first.replace(day=1)
    return (EvaluationScheme.objects.filter(active=True, effective_from__lte=first)
            .order_by("-effective_from", "-id").prefetch_related("weights").first())


# ---- points, totals, grades ----------------------------------------------------------------------------

def points(mapping: str, value: float | None, target: float | None = None, limit: float | None = None) -> float | None:
    """Points 0..100 for an indicator's value; None when the value is missing."""
    if value is None:
        return None
    if mapping == Mapping.SHARE:
        got = value * 100
    elif mapping == Mapping.SHARE_INVERSE:
        got = 100 - value * 100
    else:
        if target is None or limit is None or target == limit:
            return None
        # 100 at the target, 0 at the limit, linear between: lower is better when target < limit, else higher
        got = 100 * (limit - value) / (limit - target)
    return max(0.0, min(100.0, got))


def grade_for(total: float | None, scheme: EvaluationScheme) -> str:
    if total is None:
        return DASH
    for grade, lowest in scheme.thresholds:
        if total >= lowest:
            return grade
    return "E"


@dataclass
class Part:
    key: str
    label: str
    weight: float  # as configured (of 100)
    value: float | None
    points: float | None  # None: left out, the other weights renormalised
    fmt: str = "pct"

    @property
    def shown(self) -> str:
        try:
            return registry.format_value(registry.get(self.key), self.value)
        except KeyError:
            return DASH


@dataclass
class GridScore:
    grid: OrgUnit
    village: OrgUnit | None
    town: OrgUnit | None
    parts: list[Part]
    total: float | None  # 0..100 rounded to 0.01, None when no indicator had a value
    grade: str
    rank_village: int | None = None
    rank_town: int | None = None

    @property
    def shown_total(self) -> str:
        return DASH if self.total is None else f"{self.total:.1f}"


@dataclass
class Evaluation:
    period: Period
    scheme: EvaluationScheme | None
    scores: list[GridScore] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # scheme keys not registered (left out, renormalised)

    @property
    def note(self) -> str:
        """What the page and the exports say under the ranking: the scheme and what was left out."""
        if self.scheme is None:
            return _("尚未配置网格考核方案，无法评分。")
        parts = [_("考核方案：%(name)s；%(month)s。") % {"name": self.scheme.name,
                                                     "month": self.period.first.strftime("%Y-%m")}]
        if self.skipped:
            parts.append(_("以下指标尚未接入，本月未计分，其余指标权重按比例折算：%(names)s。") % {
                "names": _("、").join(indicator_label(k) for k in self.skipped)})
        parts.append(_("某网格某项指标无数据（无分母）时不计该项，其余权重按比例折算；全部无数据的网格不评分（—）。"))
        return "".join(parts)


def score_parts(parts: list[Part]) -> float | None:
    """The weighted mean of the parts that have points (weights renormalised over them), to 0.01."""
    scored = [p for p in parts if p.points is not None]
    weight = sum(p.weight for p in scored)
    if not scored or weight <= 0:
        return None
    return round(sum(p.weight * p.points for p in scored) / weight, 2)


def grids_under(unit: OrgUnit) -> list[OrgUnit]:
    """The active grids of a unit's subtree (the unit itself when it is a grid), by code. Cost: one query."""
    return list(OrgUnit.objects.filter(path__startswith=unit.path, level=Level.GRID, is_active=True)
                .defer("boundary").order_by("path"))


def _ancestors(grids: list[OrgUnit]) -> dict[str, OrgUnit]:
    codes = {c for g in grids for c in g.ancestor_codes[:-1]}
    if not codes:
        return {}
    return {u.code: u for u in OrgUnit.objects.filter(code__in=codes, level__in=[Level.TOWN, Level.VILLAGE])
            .defer("boundary")}


def _rank(scores: list[GridScore], group, attr: str) -> None:
    """Competition ranking (1, 2, 2, 4) of the scored grids within each group; unscored grids: None."""
    groups: dict[object, list[GridScore]] = {}
    for s in scores:
        if s.total is not None:
            groups.setdefault(group(s), []).append(s)
    for members in groups.values():
        members.sort(key=lambda s: -s.total)
        for i, s in enumerate(members):
            prev = members[i - 1] if i else None
            setattr(s, attr, getattr(prev, attr) if prev is not None and prev.total == s.total else i + 1)


def _evaluate(grids: list[OrgUnit], period: Period, scheme: EvaluationScheme | None,
              ancestors: dict[str, OrgUnit]) -> Evaluation:
    if scheme is None:
        return Evaluation(period, None, [GridScore(g, None, None, [], None, DASH) for g in grids])
    rows = list(scheme.weights.all())
    registered = {i.key for i in registry.all_indicators()}
    skipped = [w.indicator_key for w in rows if w.indicator_key not in registered]
    used = [w for w in rows if w.indicator_key in registered]
    values = registry.values(grids, period, [w.indicator_key for w in used]) if used and grids else {}
    scores = []
    for g in grids:
        got = values.get(g.id, {})
        parts = [Part(w.indicator_key, indicator_label(w.indicator_key), float(w.weight), got.get(w.indicator_key),
                      points(w.mapping, got.get(w.indicator_key), w.target, w.limit),
                      registry.get(w.indicator_key).fmt) for w in used]
        total = score_parts(parts)
        codes = g.ancestor_codes
        village = next((ancestors[c] for c in codes if c in ancestors and ancestors[c].level == Level.VILLAGE), None)
        town = next((ancestors[c] for c in codes if c in ancestors and ancestors[c].level == Level.TOWN), None)
        scores.append(GridScore(g, village, town, parts, total, grade_for(total, scheme)))
    _rank(scores, lambda s: s.village.id if s.village else None, "rank_village")
    _rank(scores, lambda s: s.town.id if s.town else None, "rank_town")
    return Evaluation(period, scheme, scores, skipped)


def ranking_scope(unit: OrgUnit) -> OrgUnit:
    """The unit whose grids a unit's grids are ranked among: its town for a village or a grid (a rank in
    the town means among all the town's grids), else the unit itself. Cost: at most one query."""
    if unit.level not in (Level.VILLAGE, Level.GRID):
        return unit
    town = (OrgUnit.objects.filter(code__in=unit.ancestor_codes[:-1], level=Level.TOWN).defer("boundary")
            .first())
    return town or unit


def evaluate(unit: OrgUnit, period: Period) -> Evaluation:
    """Every grid under `unit` scored for the month, with the scheme used and what it left out; ranks are
    among all the grids of the village and of the town (a village's page ranks within the whole town).

    Cost: the town, the grids, their towns and villages, the scheme (four or five queries) and one
    registry.values call for the grids of the ranking scope."""
    scope = ranking_scope(unit)
    grids = grids_under(scope)
    ev = _evaluate(grids, period, scheme_for(period), _ancestors(grids))
    if scope.id != unit.id:
        ev.scores = [s for s in ev.scores if s.grid.path.startswith(unit.path)]
    return ev


def scores_for(unit: OrgUnit, period: Period) -> list[GridScore]:
    """Every grid under `unit`: per-indicator values and points, total, grade, ranks in village and town."""
    return evaluate(unit, period).scores


def trend(unit: OrgUnit, period: Period, months: int = 12) -> tuple[list[Period], dict[int, list[float | None]]]:
    """Each grid's total for the `months` months ending with `period`'s month, oldest first.

    Cost: one registry.values call and one scheme lookup per month (both on every grid at once)."""
    grids = grids_under(unit)
    ancestors = _ancestors(grids)
    periods = [month_of(period.first, -k) for k in range(months - 1, -1, -1)]
    out: dict[int, list[float | None]] = {g.id: [] for g in grids}
    for p in periods:
        ev = _evaluate(grids, p, scheme_for(p), ancestors)
        for s in ev.scores:
            out[s.grid.id].append(s.total)
    return periods, out


def month_of(day: dt.date, offset: int = 0) -> Period:
    """The calendar month `offset` months from the one holding `day`."""
    m0 = day.year * 12 + day.month - 1 + offset
    return month_period(m0 // 12, m0 % 12 + 1)


def parse_month(name: str, value: str | None, *, default: dt.date) -> Period:
    """`YYYY-MM` from a request as that month; the month of `default` when empty. Bad input: DomainError
    naming the field."""
    text = (value or "").strip()
    if not text:
        return month_of(default)
    parts = text.split("-")
    if (len(parts) == 2 and len(parts[0]) == 4 and parts[0].isascii() and parts[0].isdigit()
            and parts[1].isascii() and parts[1].isdigit() and len(parts[1]) in (1, 2)):
        year, month = int(parts[0]), int(parts[1])
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return month_period(year, month)
    message = _("月份应写作 年-月，如 2026-11（1900 至 2999 年）")
    raise DomainError(message, fields={name: [message]})
