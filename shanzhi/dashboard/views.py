"""The command centre (指挥中心) of a unit: indicators of the period against the previous period and last year,
a map of the units one level down coloured by an indicator, the children's table (drill down), the live feed,
overdue and supervised cases, the mediation centres' queues, active campaigns and 人网比 by village.

Scope: the unit is opened through the gate with dashboard.view (org.selectors.orgunit_get_for): out of
scope answers 404 exactly like a code that does not exist. Only indicators registry.visible() returns are
shown, and each live section asks its own app's view action. Indicator values come only from the registry.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shanzhi.accounts import scopes
from shanzhi.dashboard import exports, live, registry
from shanzhi.dashboard.tables import Cell, Table
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError
from shanzhi.lib.periods import KINDS, LABELS, Period, period_for
from shanzhi.lib.replica import replica_reads
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import OrgUnit

MAX_DAYS = 3660  # the longest custom period (ten years)
# Sources first on the screen, in this order; others (registered later) follow in registration order.
SOURCE_ORDER = ("cases", "mediation", "campaigns", "registry")
DEFAULT_MAP_INDICATOR = "cases.reported"
# Colours of the map's classes, worst to best (direction-aware) or light to dark (neutral figures).
WORST_TO_BEST = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
NEUTRAL_RAMP = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
NO_DATA = "#4a5563"


# ---- reading the request --------------------------------------------------------------------------------

def read_period(request: HttpRequest) -> tuple[Period, dict[str, str]]:
    """The period asked for (`period`, and `from`/`to` for custom) and the errors by field, in Chinese.

    Bad input falls back to this month, so the page still shows something beside the message."""
    today = clock.today()
    kind = (request.GET.get("period") or "month").strip()
    if kind not in KINDS:
        choices = _("、").join(str(LABELS[k]) for k in KINDS)
        return period_for("month", today), {"period": _("周期“%(value)s”无效，可选：%(choices)s；已显示本月。") % {
            "value": kind[:20], "choices": choices}}
    if kind != "custom":
        return period_for(kind, today), {}
    try:
        asked = parsing.parse_period(_("开始日期"), _("结束日期"), request.GET.get("from"), request.GET.get("to"),
                                     max_days=MAX_DAYS)
    except DomainError as exc:
        fields = {("from" if k == _("开始日期") else "to" if k == _("结束日期") else k): str(v[0])
                  for k, v in (exc.fields or {}).items()} or {"from": str(exc)}
        return period_for("month", today), {k: _("日期无效：%(error)s；已显示本月。") % {"error": v}
                                            for k, v in fields.items()}
    if asked.first is None or asked.last is None:
        missing = "from" if asked.first is None else "to"
        return period_for("month", today), {missing: _("自定义周期请填写开始日期和结束日期（年-月-日）；已显示本月。")}
    return period_for("custom", today, asked.first, asked.last), {}


def period_query(period: Period) -> str:
    """The query string naming the period, for links that keep it."""
    if period.kind == "custom":
        return urlencode({"period": "custom", "from": period.first.isoformat(), "to": period.last.isoformat()})
    return urlencode({"period": period.kind})


def ordered(indicators: list[registry.Indicator]) -> list[registry.Indicator]:
    rank = {s: i for i, s in enumerate(SOURCE_ORDER)}
    return sorted(indicators, key=lambda ind: rank.get(ind.source, len(rank)))  # stable: registration order


def _unit_for(request: HttpRequest, code: str) -> OrgUnit:
    """The unit through the gate (NotFound, so 404, when missing or out of scope)."""
    return org_selectors.orgunit_get_for(user=request.user, code=code, action="dashboard.view")


def _children(unit: OrgUnit, with_boundary: bool = False) -> list[OrgUnit]:
    qs = OrgUnit.objects.filter(parent=unit, is_active=True).order_by("code")
    return list(qs if with_boundary else qs.defer("boundary"))


# ---- the legend ----------------------------------------------------------------------------------------

def legend(ind: registry.Indicator, values: list) -> list[dict]:
    """Up to five classes of the values (quantiles of the distinct values), each with its colour, lowest
    first; the colours run from worse to better by the indicator's direction (a ramp when neutral)."""
    distinct = sorted({v for v in values if v is not None})
    if not distinct:
        return []
    k = min(5, len(distinct))
    chunks = [distinct[round(i * len(distinct) / k):round((i + 1) * len(distinct) / k)] for i in range(k)]
    ramp = NEUTRAL_RAMP if ind.direction == registry.NEUTRAL else WORST_TO_BEST
    if ind.direction == registry.LOWER_IS_BETTER:
        ramp = list(reversed(ramp))
    picks = [ramp[round(i * (len(ramp) - 1) / (k - 1))] for i in range(k)] if k > 1 else [ramp[len(ramp) // 2]]
    out = []
    for chunk, colour in zip(chunks, picks, strict=True):
        lo, hi = chunk[0], chunk[-1]
        text = registry.format_value(ind, lo) if lo == hi else \
            f"{registry.format_value(ind, lo)} – {registry.format_value(ind, hi)}"
        out.append({"min": lo, "max": hi, "color": colour, "text": text})
    return out


def colour_of(classes: list[dict], value) -> str:
    if value is None:
        return NO_DATA
    for c in classes:
        if c["min"] <= value <= c["max"]:
            return c["color"]
    return NO_DATA


# ---- the pages -----------------------------------------------------------------------------------------

@require_GET
@staff_page(action="dashboard.view")
def home(request: HttpRequest) -> HttpResponse:
    """The navigation's 指挥中心: the command centre of the user's top unit (several: the first)."""
    roots = scopes.roots_for(request.user, "dashboard.view")
    if not roots:
        raise Http404()
    return redirect("dashboard:centre", code=sorted(roots, key=lambda u: u.path)[0].code)


def _arrow(ch: dict | None) -> dict | None:
    if ch is None:
        return None
    sign = "▲" if ch["diff"] > 0 else "▼" if ch["diff"] < 0 else _("＝")
    tone = "same" if ch["better"] is None else "better" if ch["better"] else "worse"
    return {**ch, "sign": sign, "tone": tone}


def _cards(inds, unit, period, today, now_vals, today_vals, prev_vals, yb_vals) -> list[dict]:
    cards = []
    for ind in inds:
        v = now_vals.get(ind.key)
        card = {"ind": ind, "value": registry.format_value(ind, v), "raw": v,
                "href": ind.drill(unit, period) if ind.drill else ""}
        if ind.period_bound:
            card["today"] = registry.format_value(ind, today_vals.get(ind.key))
            card["prev"] = _arrow(registry.change(ind, v, prev_vals.get(ind.key)))
            card["yoy"] = _arrow(registry.change(ind, v, yb_vals.get(ind.key)))
        cards.append(card)
    return cards


def _children_table(inds, children, values, period) -> Table:
    q = period_query(period)
    rows = []
    for c in children:
        row = [Cell(c.name, href=f"{reverse('dashboard:centre', args=[c.code])}?{q}")]
        for ind in inds:
            v = values.get(c.id, {}).get(ind.key)
            row.append(Cell(registry.format_value(ind, v), value=v, href=ind.drill(c, period) if ind.drill else ""))
        rows.append(row)
    return Table(key="children", title=_("下级单位"), headers=[_("单位"), *[i.label for i in inds]], rows=rows,
                 note=_("统计周期：%(label)s；人网比、流动人口占比为当前数。") % {"label": period.label()})


def _cases_url(**query) -> str:
    return f"{reverse('cases:all')}?{urlencode(query)}"


def _pressing_table(total, rows) -> Table:
    body = []
    for p in [*rows, total]:
        name = p.unit.name if p is not total else _("合计")
        body.append([Cell(name), Cell(str(p.overdue), value=p.overdue, href=_cases_url(unit=p.unit.code, overdue=1)),
                     Cell(str(p.supervised), value=p.supervised,
                          href=_cases_url(unit=p.unit.code, supervision="any", open=1))])
    return Table(key="pressing", title=_("超期与督办"), headers=[_("单位"), _("超期未结"), _("督办未结")], rows=body,
                 note=_("未结诉求，按发生地或承办单位在该单位及以下计。"))


def _ratio_target() -> int:
    return int(settings.SHANZHI.get("STAFF_RATIO_TARGET", 1000))


def _ratio_table(villages, total: int) -> Table:
    target = _ratio_target()
    rows = []
    for v in villages:
        ratio = v.resident_count / v.grid_worker_count if v.grid_worker_count else None
        state = _("无专职网格员") if ratio is None else _("超出目标") if ratio > target else _("达标")
        rows.append([Cell(v.name, href=reverse("org:unit", args=[v.code])),
                     Cell(f"{v.resident_count:,}", value=v.resident_count),
                     Cell(str(v.grid_worker_count), value=v.grid_worker_count),
                     Cell("—" if ratio is None else f"{ratio:.0f}", value=ratio), Cell(state)])
    note = _("目标：每名专职网格员不超过 %(target)s 名常住人口（SHANZHI_STAFF_RATIO_TARGET）。") % {"target": target}
    if total > len(villages):
        note += _("仅列出人网比最高的 %(n)s 个（共 %(total)s 个）。") % {"n": len(villages), "total": total}
    return Table(key="staff_ratio", title=_("人网比（按村/社区）"),
                 headers=[_("村/社区"), _("常住人口"), _("专职网格员"), _("人网比"), _("状态")], rows=rows, note=note)


def _campaigns_table(campaigns) -> Table:
    rows = []
    for c in campaigns:
        emergency = c.kind == "emergency"
        share = "—" if c.share is None else f"{c.share * 100:.1f}%"
        kind = _(c.get_kind_display())  # the kinds' labels are marked for the catalogue in campaigns.views_staff
        rows.append([Cell(c.name, href=reverse("campaigns:detail", args=[c.pk])), Cell(kind),
                     Cell(str(c.total), value=c.total), Cell(str(c.reached), value=c.reached),
                     Cell(share, value=c.share),
                     Cell(f"{c.notified} / {c.in_place}" if emergency else "—"),
                     Cell(_("看板"), href=reverse("campaigns:board", args=[c.pk]))])
    return Table(key="campaigns", title=_("进行中的走访与应急"),
                 headers=[_("任务"), _("类型"), _("户数"), _("已完成"), _("覆盖率/进度"), _("已通知 / 已落实"), ""],
                 rows=rows, note=_("户数与进度只计本单位及以下的户。"))


def _centres_table(centres) -> Table:
    rows = [[Cell(c.name, href=reverse("mediation:centre", args=[c.unit.code])),
             Cell(str(c.open_disputes), value=c.open_disputes), Cell(str(c.sessions_today), value=c.sessions_today)]
            for c in centres]
    return Table(key="mediation", title=_("矛调中心"), headers=[_("中心"), _("在办纠纷"), _("今日调解场次")], rows=rows)


@require_GET
@staff_page(action="dashboard.view")
def centre(request: HttpRequest, code: str) -> HttpResponse:
    """The command centre of one unit for a period. Cost: a fixed number of queries whatever the number of
    children or cases (each registry source once per period asked, grouped live reads)."""
    user = request.user
    unit = _unit_for(request, code)
    period, errors = read_period(request)
    today = period_for("today", clock.today())
    children = _children(unit)
    inds = ordered(registry.visible(user, unit))
    keys = [i.key for i in inds]
    bound = [i.key for i in inds if i.period_bound]
    with replica_reads() as status:
        now_vals = registry.values([unit], period, keys)[unit.id] if keys else {}
        if period == today:
            today_vals = now_vals
        else:
            today_vals = registry.values([unit], today, bound)[unit.id] if bound else {}
        previous, year_before = period.compared(today.first)  # day for day while the period runs
        prev_vals = registry.values([unit], previous, bound)[unit.id] if bound else {}
        yb_vals = registry.values([unit], year_before, bound)[unit.id] if bound else {}
        child_vals = registry.values(children, period, keys) if keys and children else {}
    now = clock.now()
    may_cases = scopes.may(user, "cases.view", unit)
    may_mediation = scopes.may(user, "mediation.view", unit)
    may_campaigns = scopes.may(user, "campaigns.view", unit)
    tables = {"children": _children_table(inds, children, child_vals, period) if children else None}
    if may_cases:
        tables["pressing"] = _pressing_table(*live.pressing(unit, children, now))
    if may_mediation:
        tables["mediation"] = _centres_table(live.centre_queues(unit, today.start, today.end))
    if may_campaigns:
        tables["campaigns"] = _campaigns_table(live.active_campaigns(unit))
    if scopes.may(user, "org.view", unit):
        tables["staff_ratio"] = _ratio_table(*live.villages_by_ratio(unit))
    if "format" in request.GET and not errors:
        from shanzhi.dashboard.views_evaluation import bad_request

        try:
            download = exports.export_or_none(request, {k: t for k, t in tables.items() if t is not None},
                                              f"{unit.name}-{_('指挥中心')}-{period.label()}")
        except DomainError as exc:
            return bad_request(request, unit, exc)
        if download is not None:
            return download
    ancestors = org_selectors.orgunit_ancestors(unit)
    map_key = request.GET.get("indicator", "")
    if map_key not in keys:
        map_key = DEFAULT_MAP_INDICATOR if DEFAULT_MAP_INDICATOR in keys else (keys[0] if keys else "")
    q = period_query(period)
    context = {
        "unit": unit,
        "crumbs": [(a, scopes.may(user, "dashboard.view", a)) for a in ancestors],
        "period": period,
        "period_query": q,
        "period_errors": errors,
        "period_choices": [(k, LABELS[k]) for k in KINDS if k != "custom"],
        "today": today,
        "cards": _cards(inds, unit, period, today, now_vals, today_vals, prev_vals, yb_vals),
        "indicators": inds,
        "map_key": map_key,
        "has_children": bool(children),
        "tables": tables,
        "may_cases": may_cases,
        "feed": feed_rows(live.feed(unit), today.first) if may_cases else [],
        "replica_note": status.note,
        "tile_url": settings.SHANZHI.get("TILE_URL", ""),
        "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", ""),
        "exports": exports.FORMATS,
        # the evaluation scores grids: offered from a grid upward (its own page refuses a micro-grid)
        "may_evaluate": unit.level not in ("compound", "microgrid"),
    }
    return render(request, "dashboard/centre.html", context, status=400 if errors else 200)


def feed_rows(events: list, today) -> list[dict]:
    """What the feed shows of each event: local time, the step, the case number, its category and place.
    No free text, reporter, phone or actor: nothing personal leaves through the big screen."""
    from django.utils import timezone

    from shanzhi.cases.views_staff import EVENT_LABELS

    rows = []
    for e in events:
        local = timezone.localtime(e.at)
        rows.append({"iso": local.isoformat(), "when": local.strftime("%H:%M:%S" if local.date() == today
                                                                      else "%m-%d %H:%M"),
                     "label": _(EVENT_LABELS.get(e.action, e.action)), "number": e.case.number,
                     "category": e.case.category.name, "place": e.case.unit.name})
    return rows


@require_GET
@staff_page(action="dashboard.view")
def feed(request: HttpRequest, code: str) -> HttpResponse:
    """The live feed fragment (htmx polls it every 5 s): the newest case events of the subtree, no
    personal data. Cost: one query after the gate."""
    unit = _unit_for(request, code)
    events = live.feed(unit) if scopes.may(request.user, "cases.view", unit) else []
    return render(request, "dashboard/_feed.html", {"feed": feed_rows(events, clock.today())})


def _bad(field: str, message: str) -> JsonResponse:
    return JsonResponse({"detail": message, "errors": {field: [message]}}, status=400,
                        json_dumps_params={"ensure_ascii": False})


@require_GET
@staff_page(action="dashboard.view")
def map_json(request: HttpRequest, code: str) -> JsonResponse:
    """GeoJSON of the unit's outline and its children, each child with the chosen indicator's value over the
    period, its class colour and its command centre's URL; the legend beside. Bad input: a 400 naming the
    field. Cost: two queries plus the indicator's source once."""
    user = request.user
    unit = _unit_for(request, code)
    period, errors = read_period(request)
    if errors:
        field, message = next(iter(errors.items()))
        return _bad(field, message)
    visible = {i.key: i for i in registry.visible(user, unit)}
    key = request.GET.get("indicator", "")
    if key not in visible:
        return _bad("indicator", _("未知的指标（或无权查看）：%(key)s") % {"key": key[:60]})
    ind = visible[key]
    children = _children(unit, with_boundary=True)
    with replica_reads() as status:
        values = registry.values(children, period, [key]) if children else {}
    raw = {c.id: values.get(c.id, {}).get(key) for c in children}
    classes = legend(ind, list(raw.values()))
    q = period_query(period)
    features = []
    if unit.boundary:
        features.append({"type": "Feature", "geometry": unit.boundary,
                         "properties": {"kind": "self", "code": unit.code, "name": unit.name}})
    for c in children:
        if not c.boundary:
            continue
        features.append({"type": "Feature", "geometry": c.boundary, "properties": {
            "kind": "child", "code": c.code, "name": c.name, "value": raw[c.id],
            "text": registry.format_value(ind, raw[c.id]), "color": colour_of(classes, raw[c.id]),
            "url": f"{reverse('dashboard:centre', args=[c.code])}?{q}&{urlencode({'indicator': key})}"}})
    return JsonResponse({
        "type": "FeatureCollection", "features": features,
        "indicator": {"key": key, "name": ind.label, "definition": ind.meaning, "direction": ind.direction},
        "legend": [{"text": c["text"], "color": c["color"]} for c in classes],
        "no_data": {"text": _("无数据"), "color": NO_DATA},
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat()},
        "note": status.note,
    }, json_dumps_params={"ensure_ascii": False})
