"""Org units as GeoJSON (WGS84): export a subtree, import a FeatureCollection all-or-nothing.

Import checks the whole file before writing anything and reports every problem it can find, each with
the feature's index, its code and name, and the reason in Chinese. Only a clean file is written, in
one transaction, through the services (orgunit_create / orgunit_rename / orgunit_set_boundary), so
each change is audited and checked once more by the same rules as any other write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.lib.codes import CODE_SUFFIX, CodeError, check_unit_code
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.geometry import GeometryError, area_m2, parse_polygon
from shanzhi.org import selectors, services
from shanzhi.org.models import LEVEL_DEPTH, PARENT_LEVELS, Level, OrgUnit, UnitKind

COUNT_FIELDS = ("household_count", "resident_count", "floating_count", "staff_count", "grid_worker_count")
_CHUNK = 500  # codes per IN (...) query


# --- export -------------------------------------------------------------------------------------------


def _parent_code(path: str) -> str | None:
    codes = [c for c in path.split("/") if c]
    return codes[-2] if len(codes) > 1 else None


def unit_feature(unit: OrgUnit) -> dict[str, Any]:
    """One unit as a GeoJSON Feature with its code, names, level, parent and rolled-up counts."""
    props: dict[str, Any] = {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "kind": unit.kind,
        "parent_code": _parent_code(unit.path),
    }
    for f in COUNT_FIELDS:
        props[f] = getattr(unit, f)
    props["residents_per_grid_worker"] = unit.residents_per_grid_worker
    return {"type": "Feature", "id": unit.code, "geometry": unit.boundary, "properties": props}


def export_feature_collection(*, user=None, unit_code: str | None = None,
                              level: str | None = None) -> dict[str, Any]:
    """Export units (a subtree, or the whole tree) as a FeatureCollection, parents first.

    With `user`, only units in their scope; a unit out of scope raises NotFound. `level` keeps one
    level only (e.g. every micro-grid of a town). Cost: one query, streamed.
    """
    if level is not None and level not in Level.values:
        raise DomainError(f"未知层级“{level}”（可选：{'、'.join(Level.values)}）")
    qs = selectors.orgunit_list_for(user=user) if user is not None else OrgUnit.objects.filter(is_active=True)
    if unit_code:
        if user is not None:
            root = selectors.orgunit_get_for(user=user, code=unit_code)
        else:
            root = OrgUnit.objects.filter(code=unit_code).first()
            if root is None:
                raise NotFound(f"未找到单位“{unit_code}”")
        qs = qs.filter(path__startswith=root.path)
    if level:
        qs = qs.filter(level=level)
    features = [unit_feature(u) for u in qs.order_by("path").iterator(chunk_size=1000)]
    return {"type": "FeatureCollection", "features": features}


# --- import -------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One reason a feature (or the file) is refused."""

    index: int | None
    code: str
    name: str
    reason: str

    def __str__(self) -> str:
        if self.index is None:
            return self.reason
        who = "，".join(x for x in (self.code, self.name) if x) or "无编码"
        return f"要素 features[{self.index}]（{who}）：{self.reason}"


@dataclass
class ImportReport:
    created: int = 0
    renamed: int = 0
    reshaped: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            return f"导入被拒绝：发现{len(self.problems)}个问题，未写入任何数据"
        return (f"导入完成：新建{self.created}个，改名{self.renamed}个，更新边界{self.reshaped}个，"
                f"未变{self.unchanged}个")


@dataclass
class _Item:
    index: int
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    boundary: dict | None
    geom: Any = None
    existing: OrgUnit | None = None
    bad: bool = False


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, item: _Item | None, reason: str, *, index: int | None = None, code: str = "",
            name: str = "") -> None:
        if item is not None:
            item.bad = True
            index, code, name = item.index, item.code, item.name or (item.existing.name if item.existing else "")
        self.problems.append(Problem(index=index, code=code, name=name, reason=reason))


_LEVEL_ALIASES = {**{v: v for v in Level.values}, **{str(label): v for v, label in Level.choices},
                  "镇": Level.TOWN, "街道": Level.TOWN, "村": Level.VILLAGE, "社区": Level.VILLAGE}
_KIND_ALIASES = {**{v: v for v in UnitKind.values}, **{str(label): v for v, label in UnitKind.choices}}


def _load(data: bytes | str | dict, out: _Collector) -> list | None:
    """The features list of a FeatureCollection, or None after recording why not."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            out.add(None, f"文件不是 UTF-8 编码的文本（第{exc.start}字节）")
            return None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            out.add(None, f"文件不是有效的 JSON：第{exc.lineno}行第{exc.colno}列，{exc.msg}")
            return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        out.add(None, "文件不是 GeoJSON FeatureCollection（顶层应为 {\"type\": \"FeatureCollection\", ...}）")
        return None
    features = data.get("features")
    if not isinstance(features, list):
        out.add(None, "FeatureCollection 缺少 features 数组")
        return None
    if not features:
        out.add(None, "FeatureCollection 中没有任何要素")
        return None
    return features


def _text(props: dict, key: str) -> str:
    value = props.get(key)
    return "" if value is None else str(value).strip()


def _parse_features(features: list, out: _Collector) -> list[_Item]:
    """Check each feature on its own: properties, code rules, geometry. Return the usable ones."""
    items: list[_Item] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            out.add(None, "不是 GeoJSON Feature", index=i)
            continue
        props = feat.get("properties")
        if not isinstance(props, dict):
            out.add(None, "缺少 properties", index=i)
            continue
        code, name = _text(props, "code"), _text(props, "name")
        raw_level, raw_kind = _text(props, "level"), _text(props, "kind")
        item = _Item(index=i, code=code, name=name, level="", kind="", parent_code=None, boundary=None)
        if not code:
            out.add(item, "缺少编码（properties.code）")
        if not raw_level:
            out.add(item, "缺少层级（properties.level）")
        elif raw_level not in _LEVEL_ALIASES:
            out.add(item, f"未知层级“{raw_level}”（可选：{'、'.join(Level.values)}）")
        else:
            item.level = _LEVEL_ALIASES[raw_level]
        if raw_kind:
            if raw_kind in _KIND_ALIASES:
                item.kind = _KIND_ALIASES[raw_kind]
            else:
                out.add(item, f"未知单位类型“{raw_kind}”")
        if code and item.level:
            derived = None if item.level == Level.COUNTY else code[: len(code) - CODE_SUFFIX[item.level]]
            try:
                check_unit_code(code, item.level, derived)
                item.parent_code = derived
            except CodeError as exc:
                out.add(item, str(exc))
            given = _text(props, "parent_code")
            if given and derived and given != derived:
                out.add(item, f"上级编码“{given}”与本单位编码不符（编码表明上级应为“{derived}”）")
        if code:
            if code in seen:
                out.add(item, f"编码在文件中重复（另见 features[{seen[code]}]）")
            else:
                seen[code] = i
        geometry = feat.get("geometry")
        if geometry is not None:
            try:
                item.geom = parse_polygon(geometry)
                item.boundary = geometry
            except GeometryError as exc:
                out.add(item, str(exc))
        items.append(item)
    return items


def _fetch(codes: Iterable[str], **filters: Any) -> list[OrgUnit]:
    codes = sorted(set(codes))
    rows: list[OrgUnit] = []
    for k in range(0, len(codes), _CHUNK):
        rows.extend(OrgUnit.objects.filter(code__in=codes[k:k + _CHUNK], **filters))
    return rows


def _fetch_children(parent_codes: Iterable[str]) -> list[OrgUnit]:
    """Active children with a boundary of the given parents. Cost: one query per 500 parents."""
    codes = sorted(set(parent_codes))
    rows: list[OrgUnit] = []
    for k in range(0, len(codes), _CHUNK):
        rows.extend(OrgUnit.objects.filter(parent__code__in=codes[k:k + _CHUNK], is_active=True,
                                           boundary__isnull=False).select_related("parent"))
    return rows


def _unit_label(unit: OrgUnit) -> str:
    return f"“{unit.name}”（{unit.code}）"


def _refusal(actor, unit: OrgUnit, missing: str, forbidden: str) -> str:
    """The gate's answer for changing `unit`, as a reason for the report ("" when allowed)."""
    try:
        scopes.require(actor, "org.change", unit)
    except NotFound:
        return missing
    except PermissionDenied:
        return forbidden
    return ""


def _check_tree(items: list[_Item], actor, out: _Collector) -> tuple[dict[str, _Item], dict[str, OrgUnit]]:
    """Check each feature against the tree: existing units, parents, level rules, scope."""
    in_file: dict[str, _Item] = {}
    for it in items:
        if it.code:
            in_file.setdefault(it.code, it)
    good = {it.code: it for it in items if not it.bad}
    wanted = set(good) | {it.parent_code for it in good.values() if it.parent_code}
    db = {u.code: u for u in _fetch(wanted)}
    for it in good.values():
        it.existing = db.get(it.code)
    for it in list(good.values()):
        if it.existing is not None:
            if it.existing.level != it.level:
                out.add(it, f"系统中已有该编码，层级为{Level(it.existing.level).label}，文件中为{Level(it.level).label}")
            else:
                reason = _refusal(actor, it.existing, "未找到该单位", "您的岗位无权修改该单位")
                if reason:
                    out.add(it, reason)
            continue
        if not it.name:
            out.add(it, "新建单位缺少名称（properties.name）")
        if it.parent_code is None:
            if not scopes.covers_all(actor, "org.change"):
                out.add(it, "只有管辖全部县级单位的管理员可以创建县级单位")
            continue
        parent_item, parent_unit = in_file.get(it.parent_code), db.get(it.parent_code)
        if parent_item is not None and parent_item.bad:
            continue  # the parent's own problem is reported; nothing more to say here
        parent_level = parent_item.level if parent_item else (parent_unit.level if parent_unit else None)
        if parent_level is None:
            out.add(it, f"上级单位“{it.parent_code}”不存在（文件中和系统中都没有）")
            continue
        if parent_level not in PARENT_LEVELS[it.level]:
            out.add(it, f"{Level(it.level).label}不能直接隶属于{Level(parent_level).label}")
        if parent_item is None:
            reason = _refusal(actor, parent_unit, f"上级单位“{it.parent_code}”不存在（文件中和系统中都没有）",
                              f"您的岗位无权在{_unit_label(parent_unit)}下新建单位")
            if reason:
                out.add(it, reason)
    _check_grid_mix(good, out)
    return good, db


def _check_grid_mix(good: dict[str, _Item], out: _Collector) -> None:
    """A grid holds compounds or micro-grids, never both (their codes would collide)."""
    new_under: dict[str, dict[str, list[_Item]]] = defaultdict(lambda: defaultdict(list))
    for it in good.values():
        if it.existing is None and it.level in (Level.COMPOUND, Level.MICROGRID) and it.parent_code:
            if len(it.parent_code) == 15:  # directly under a grid
                new_under[it.parent_code][it.level].append(it)
    if not new_under:
        return
    in_db: dict[str, set[str]] = defaultdict(set)
    codes = sorted(new_under)
    for k in range(0, len(codes), _CHUNK):
        pairs = OrgUnit.objects.filter(parent__code__in=codes[k:k + _CHUNK]).values_list("parent__code", "level")
        for parent_code, level in pairs.distinct():
            in_db[parent_code].add(level)
    for parent_code, by_level in new_under.items():
        levels = set(by_level) | in_db[parent_code]
        if Level.COMPOUND in levels and Level.MICROGRID in levels:
            for level, its in by_level.items():
                other = Level(Level.MICROGRID if level == Level.COMPOUND else Level.COMPOUND).label
                for it in its:
                    out.add(it, f"网格“{parent_code}”不能同时下设{other}和{Level(level).label}")


class _Geoms:
    """Final boundaries after the import: the file's where it gives one, else the database's (parsed once)."""

    def __init__(self, good: dict[str, _Item], db: dict[str, OrgUnit]) -> None:
        self.good, self.db = good, db
        self.parsed: dict[str, Any] = {}

    def of(self, code: str):
        it = self.good.get(code)
        if it is not None and it.geom is not None:
            return it.geom
        if code in self.parsed:
            return self.parsed[code]
        unit = self.db.get(code)
        geom = None
        if unit is not None and unit.boundary:
            try:
                geom = parse_polygon(unit.boundary)
            except GeometryError:
                geom = None  # a bad stored boundary is not this file's fault
        self.parsed[code] = geom
        return geom

    def name(self, code: str) -> str:
        it = self.good.get(code)
        if it is not None and it.name:
            return it.name
        unit = self.db.get(code)
        return unit.name if unit is not None else code


def _check_geometry(good: dict[str, _Item], db: dict[str, OrgUnit], out: _Collector) -> None:
    """Children inside parents and siblings apart, in the tree as it would be after the import.

    Cost: one query per 500 touched parents for their existing children; overlaps found through an
    STRtree per sibling group, so thousands of micro-grids are not compared pairwise.
    """
    tol = settings.SHANZHI["OVERLAP_TOLERANCE_M2"]
    geoms = _Geoms(good, db)
    shaped = [it for it in good.values() if it.geom is not None and not it.bad]
    for g in {id(it.geom): it.geom for it in shaped}.values():
        shapely.prepare(g)
    # Existing children of touched parents, and of units whose boundary changes.
    touched_parents = {it.parent_code for it in shaped if it.parent_code}
    reshaped = {it.code for it in shaped if it.existing is not None}
    db_children = [u for u in _fetch_children(touched_parents | reshaped) if u.code not in good]
    for u in db_children:
        db.setdefault(u.code, u)

    # 1. Inside the parent.
    parent_geoms: dict[str, Any] = {}
    for it in shaped:
        if not it.parent_code:
            continue
        if it.parent_code not in parent_geoms:
            pg = geoms.of(it.parent_code)
            if pg is not None:
                shapely.prepare(pg)
            parent_geoms[it.parent_code] = pg
        outer = parent_geoms[it.parent_code]
        if outer is None or outer.covers(it.geom):
            continue
        outside = area_m2(it.geom.difference(outer))
        if outside > tol:
            out.add(it, f"超出上级“{geoms.name(it.parent_code)}”的边界约{outside:.0f}平方米")
    by_code = {it.code: it for it in shaped}
    for u in db_children:  # an existing child left outside a reshaped parent
        new_parent = by_code.get(u.parent.code)
        if new_parent is None or new_parent.bad:
            continue
        child = geoms.of(u.code)
        if child is None or new_parent.geom.covers(child):
            continue
        outside = area_m2(child.difference(new_parent.geom))
        if outside > tol:
            out.add(new_parent, f"下级{_unit_label(u)}将有约{outside:.0f}平方米落在新边界之外")

    # 2. Siblings apart: file features against each other and against existing siblings.
    groups: dict[str, list[tuple[str, Any, _Item | None]]] = defaultdict(list)
    for it in shaped:
        if it.parent_code:
            groups[it.parent_code].append((it.code, it.geom, it))
    for u in db_children:
        if u.parent.code in groups:
            g = geoms.of(u.code)
            if g is not None:
                groups[u.parent.code].append((u.code, g, None))
    for members in groups.values():
        if len(members) < 2:
            continue
        tree = shapely.STRtree([m[1] for m in members])
        left, right = tree.query([m[1] for m in members], predicate="intersects")
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            if a >= b:
                continue
            (code_a, geom_a, item_a), (code_b, geom_b, item_b) = members[a], members[b]
            if item_a is None and item_b is None:
                continue  # both already in the database: not this file's doing
            overlap = area_m2(geom_a.intersection(geom_b))
            if overlap <= tol:
                continue
            # Report on the later feature, naming the other one (and its index when it is in the file).
            first, second = sorted([(item_a, code_a), (item_b, code_b)],
                                   key=lambda m: m[0].index if m[0] is not None else -1)
            other = f"同级“{geoms.name(first[1])}”（{first[1]}"
            other += f"，features[{first[0].index}]）" if first[0] is not None else "）"
            out.add(second[0], f"与{other}重叠约{overlap:.0f}平方米")


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("import refused")
        self.problems = problems


def _apply(good: dict[str, _Item], db: dict[str, OrgUnit], actor, report: ImportReport) -> None:
    """Write the checked features through the services, parents first, in the caller's transaction.

    Boundary changes can depend on each other (a parent shrinking after its child, two siblings
    trading land), so a change the services refuse is retried after the others; what still fails
    after a pass with no progress is reported and the whole import rolls back.
    """
    units: dict[str, OrgUnit] = dict(db)
    pending = sorted(good.values(), key=lambda it: (LEVEL_DEPTH[it.level], it.code))
    last_error: dict[int, str] = {}
    while pending:
        waiting: list[_Item] = []
        for it in pending:
            try:
                if it.existing is None:
                    parent = units.get(it.parent_code) if it.parent_code else None
                    if it.parent_code and parent is None:
                        last_error[it.index] = f"上级单位“{it.parent_code}”未能创建"
                        waiting.append(it)
                        continue
                    units[it.code] = services.orgunit_create(
                        actor=actor, code=it.code, name=it.name, level=it.level, parent=parent, kind=it.kind,
                        boundary=it.boundary)
                    report.created += 1
                    continue
                unit = it.existing
                changed = False
                if it.boundary is not None and it.boundary != unit.boundary:
                    services.orgunit_set_boundary(actor=actor, unit=unit, boundary=it.boundary)
                    report.reshaped += 1
                    changed = True
                if it.name and it.name != unit.name:
                    services.orgunit_rename(actor=actor, unit=unit, name=it.name)
                    report.renamed += 1
                    changed = True
                report.unchanged += not changed
            except DomainError as exc:
                last_error[it.index] = str(exc)
                waiting.append(it)
        if len(waiting) == len(pending):
            raise _Refused([Problem(it.index, it.code, it.name, last_error[it.index]) for it in waiting])
        pending = waiting


def import_feature_collection(data: bytes | str | dict, *, actor) -> ImportReport:
    """Import units from a GeoJSON FeatureCollection: create new codes, rename and reshape existing ones.

    Properties per feature: code and level (required), name (required for a new unit), kind,
    parent_code (optional; must agree with the code). Nothing is written unless every feature passes;
    the report lists every problem found. `actor` None is the operator (no scope check).
    """
    out = _Collector()
    report = ImportReport(problems=out.problems)
    features = _load(data, out)
    if features is None:
        return report
    items = _parse_features(features, out)
    good, db = _check_tree(items, actor, out)
    _check_geometry(good, db, out)
    if out.problems:
        out.problems.sort(key=lambda p: (-1 if p.index is None else p.index))
        return report
    try:
        with transaction.atomic(), services.geometry_cache():
            _apply(good, db, actor, report)
    except _Refused as exc:
        return ImportReport(problems=exc.problems)
    return report
