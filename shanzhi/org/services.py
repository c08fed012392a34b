"""Writes to the grid: units, boundaries, departments, posts. Each in one transaction with its audit row."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import shapely as _shapely
from django.conf import settings
from django.db import transaction
from django.db.models import F

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.codes import CodeError, check_unit_code
from shanzhi.lib.errors import DomainError, PermissionDenied
from shanzhi.lib.geometry import GeometryError, area_m2, parse_polygon
from shanzhi.org import locate
from shanzhi.org.models import (
    PARENT_LEVELS,
    ROLE_LEVELS,
    Department,
    Level,
    OrgUnit,
    Post,
    Role,
    UnitKind,
)


def _tolerance() -> float:
    return settings.SHANZHI["OVERLAP_TOLERANCE_M2"]


def _bbox(geom) -> dict[str, float]:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    c = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    return {
        "min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat,
        "centre_lat": c.y, "centre_lon": c.x,
    }


# Parsed boundaries of units, keyed by pk, while a `geometry_cache()` block is open (bulk imports).
_GEOM_CACHE: contextvars.ContextVar[dict[int, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "shanzhi_geom_cache", default=None
)


@contextmanager
def geometry_cache() -> Iterator[None]:
    """Reuse parsed parent and sibling boundaries inside the block (an import creating thousands of units)."""
    token = _GEOM_CACHE.set({})
    try:
        yield
    finally:
        _GEOM_CACHE.reset(token)


def unit_geometry(unit: OrgUnit):
    """The unit's boundary as a prepared shapely geometry; cached inside `geometry_cache()`."""
    cache = _GEOM_CACHE.get()
    if cache is not None and unit.pk is not None:
        hit = cache.get(unit.pk)
        # The cached entry is only good for the same boundary (a set_boundary may have replaced it).
        if hit is not None and (hit[0] is unit.boundary or hit[0] == unit.boundary):
            return hit[1]
    geom = parse_polygon(unit.boundary)
    _shapely.prepare(geom)
    if cache is not None and unit.pk is not None:
        cache[unit.pk] = (unit.boundary, geom)
    return geom


def check_boundary(*, label: str, boundary: Any, parent: OrgUnit | None, exclude_id: int | None = None,
                   siblings: list[OrgUnit] | None = None):
    """Parse and check a boundary against its parent and siblings; return the shapely geometry.

    Raises DomainError naming the unit and the reason. Cost: one query for overlapping siblings
    unless `siblings` is given.
    """
    try:
        geom = parse_polygon(boundary)
    except GeometryError as exc:
        raise DomainError(f"{label}：{exc}", fields={"boundary": [str(exc)]}) from exc
    tol = _tolerance()
    if parent is not None and parent.boundary:
        outer = unit_geometry(parent)
        if not outer.covers(geom):  # prepared: the common case costs no overlay
            outside = area_m2(geom.difference(outer))
            if outside > tol:
                msg = f"超出上级“{parent.name}”的边界约{outside:.0f}平方米"
                raise DomainError(f"{label}：{msg}", fields={"boundary": [msg]})
    if parent is not None:
        if siblings is None:
            min_lon, min_lat, max_lon, max_lat = geom.bounds
            siblings = list(
                OrgUnit.objects.filter(parent=parent, boundary__isnull=False, is_active=True)
                .exclude(pk=exclude_id)
                .filter(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)
                .only("id", "code", "name", "boundary")
                .order_by("code")
            )
        for sib in siblings:
            if sib.pk == exclude_id or not sib.boundary:
                continue
            other = unit_geometry(sib)
            if not other.intersects(geom):
                continue
            overlap = area_m2(geom.intersection(other))
            if overlap > tol:
                msg = f"与同级“{sib.name}”（{sib.code}）重叠约{overlap:.0f}平方米"
                raise DomainError(f"{label}：{msg}", fields={"boundary": [msg]})
    return geom


def _snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "level": unit.level, "kind": unit.kind,
            "parent": unit.parent.code if unit.parent_id else None}


@transaction.atomic
def orgunit_create(*, actor, code: str, name: str, level: str, parent: OrgUnit | None, kind: str = "",
                   boundary: dict | None = None) -> OrgUnit:
    """Create a unit under a parent, checking code, level and boundary. Audited."""
    if parent is None:
        # A new county stands beside every existing one: only a scope over the whole tree adds one.
        if not scopes.covers_all(actor, "org.change"):
            raise PermissionDenied("只有管辖全部县级单位的管理员可以创建县级单位")
    else:
        scopes.require(actor, "org.change", parent, what="该单位")
    name = (name or "").strip()
    if not name:
        raise DomainError("名称不能为空", fields={"name": ["名称不能为空"]})
    if level not in Level.values:
        raise DomainError(f"未知层级“{level}”", fields={"level": ["未知层级"]})
    if kind and kind not in UnitKind.values:
        raise DomainError(f"未知单位类型“{kind}”", fields={"kind": ["未知单位类型"]})
    if parent is None and level != Level.COUNTY:
        raise DomainError("只有县级单位可以没有上级", fields={"parent": ["必须指定上级"]})
    if parent is not None and parent.level not in PARENT_LEVELS[level]:
        raise DomainError(
            f"{Level(level).label}不能直接隶属于{Level(parent.level).label}", fields={"parent": ["上级层级不符"]}
        )
    if parent is not None and level in (Level.COMPOUND, Level.MICROGRID) and parent.level == Level.GRID:
        # A grid holds either compounds or micro-grids, never both: codes would collide.
        other = Level.MICROGRID if level == Level.COMPOUND else Level.COMPOUND
        if parent.children.filter(level=other).exists():
            msg = f"网格“{parent.name}”已下设{Level(other).label}，不能再直接下设{Level(level).label}"
            raise DomainError(msg, fields={"parent": [msg]})
    try:
        code = check_unit_code(code, level, parent.code if parent else None)
    except CodeError as exc:
        raise DomainError(str(exc), fields={"code": [str(exc)]}) from exc
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(f"编码“{code}”已被使用", fields={"code": ["编码已存在"]})
    extra: dict[str, Any] = {}
    if boundary is not None:
        geom = check_boundary(label=f"{name}（{code}）", boundary=boundary, parent=parent)
        extra = _bbox(geom)
    unit = OrgUnit.objects.create(
        code=code, name=name, level=level, kind=kind, parent=parent,
        path=(parent.path if parent else "") + code + "/", boundary=boundary, **extra,
    )
    audit_record(actor=actor, action="org.unit.create", obj=unit, unit_path=unit.path, after=_snapshot(unit))
    transaction.on_commit(locate.invalidate)
    return unit


@transaction.atomic
def orgunit_rename(*, actor, unit: OrgUnit, name: str) -> OrgUnit:
    """Rename a unit (its code stays). Audited with before and after."""
    scopes.require(actor, "org.change", unit, what="该单位")
    name = (name or "").strip()
    if not name:
        raise DomainError("名称不能为空", fields={"name": ["名称不能为空"]})
    before = _snapshot(unit)
    unit.name = name
    unit.save(update_fields=["name", "updated_at"])
    audit_record(actor=actor, action="org.unit.rename", obj=unit, unit_path=unit.path, before=before,
                 after=_snapshot(unit))
    return unit


@transaction.atomic
def orgunit_set_boundary(*, actor, unit: OrgUnit, boundary: dict) -> OrgUnit:
    """Replace a boundary; it must lie in the parent, not overlap siblings, and still hold the children."""
    scopes.require(actor, "org.change", unit, what="该单位")
    label = f"{unit.name}（{unit.code}）"
    geom = check_boundary(label=label, boundary=boundary, parent=unit.parent, exclude_id=unit.pk)
    tol = _tolerance()
    _shapely.prepare(geom)
    for child in unit.children.filter(boundary__isnull=False, is_active=True).order_by("code"):
        child_geom = unit_geometry(child)
        if geom.covers(child_geom):
            continue
        outside = area_m2(child_geom.difference(geom))
        if outside > tol:
            msg = f"下级“{child.name}”将有约{outside:.0f}平方米落在新边界之外"
            raise DomainError(f"{label}：{msg}", fields={"boundary": [msg]})
    before = {"bounds": [unit.min_lon, unit.min_lat, unit.max_lon, unit.max_lat]} if unit.boundary else None
    unit.boundary = boundary
    bbox = _bbox(geom)
    for k, v in bbox.items():
        setattr(unit, k, v)
    # Only these fields: a full save would write back stale rolled-up counts held by the caller's object.
    unit.save(update_fields=["boundary", *bbox, "updated_at"])
    audit_record(actor=actor, action="org.unit.boundary", obj=unit, unit_path=unit.path, before=before,
                 after={"bounds": list(geom.bounds)})
    transaction.on_commit(locate.invalidate)
    return unit


@transaction.atomic
def orgunit_move(*, actor, unit: OrgUnit, new_parent: OrgUnit, new_code: str | None = None,
                 carry_land: bool = True) -> OrgUnit:
    """Move a unit (and its subtree) under another parent; codes are re-issued under the new parent.

    Households, posts and everything else hang on the units' ids, so they move along. When the unit
    lies outside its new parent, its land goes with it (`carry_land`, the default): the old parent
    and its ancestors below the common ancestor give the area up, the new ones take it in, each
    change audited. Without `carry_land` such a move is refused.
    Cost: one query to load the subtree, two bulk updates, one update per ancestor for the counts.
    """
    scopes.require(actor, "org.change", unit, what="该单位")
    scopes.require(actor, "org.change", new_parent, what="该单位")
    if new_parent.path.startswith(unit.path):
        raise DomainError("不能移到自己或自己的下级之下", fields={"parent": ["不能移到自己的下级之下"]})
    if new_parent.level not in PARENT_LEVELS[unit.level]:
        raise DomainError(f"{Level(unit.level).label}不能移到{Level(new_parent.level).label}之下",
                          fields={"parent": ["上级层级不符"]})
    if unit.parent_id == new_parent.pk and new_code is None:
        raise DomainError("新上级与原上级相同", fields={"parent": ["新上级与原上级相同"]})
    if unit.level in (Level.COMPOUND, Level.MICROGRID) and new_parent.level == Level.GRID:
        other = Level.MICROGRID if unit.level == Level.COMPOUND else Level.COMPOUND
        if new_parent.children.filter(level=other).exists():
            msg = f"网格“{new_parent.name}”已下设{Level(other).label}，不能再直接下设{Level(unit.level).label}"
            raise DomainError(msg, fields={"parent": [msg]})
    suffix = len(unit.code) - len(unit.parent.code)
    if new_code is None:
        taken = set(new_parent.children.values_list("code", flat=True))
        for n in range(1, 10**suffix):
            candidate = f"{new_parent.code}{n:0{suffix}d}"
            if candidate not in taken:
                new_code = candidate
                break
        else:
            raise DomainError("新上级下已无可用编码")
    try:
        new_code = check_unit_code(new_code, unit.level, new_parent.code)
    except CodeError as exc:
        raise DomainError(str(exc), fields={"code": [str(exc)]}) from exc
    if new_code != unit.code and OrgUnit.objects.filter(code=new_code).exists():
        raise DomainError(f"编码“{new_code}”已被使用", fields={"code": ["编码已存在"]})
    if unit.boundary:
        if carry_land and new_parent.boundary:
            _carry_land(actor, unit, new_parent)
        check_boundary(label=f"{unit.name}（{unit.code}）", boundary=unit.boundary, parent=new_parent,
                       exclude_id=unit.pk)
    before = _snapshot(unit)
    old_path, old_code = unit.path, unit.code
    new_path = new_parent.path + new_code + "/"
    subtree = list(OrgUnit.objects.filter(path__startswith=old_path).order_by("path"))

    def recode(code: str) -> str:
        return new_code + code[len(old_code):]

    # Every code below the unit starts with its code, so each segment of a descendant's path is re-issued.
    targets = {
        u.pk: (recode(u.code), new_path + "".join(recode(c) + "/" for c in u.path[len(old_path):].split("/")[:-1]))
        for u in subtree
    }
    # Park codes and paths first so the unique constraints never see a transient clash.
    for u in subtree:
        u.code, u.path = f"~{u.pk}", f"~{u.pk}"
    OrgUnit.objects.bulk_update(subtree, ["code", "path"])
    moved_at = clock.now()
    for u in subtree:
        u.code, u.path = targets[u.pk]
        u.updated_at = moved_at  # bulk_update skips auto_now; other processes' locate index watches it
    unit_obj = next(u for u in subtree if u.pk == unit.pk)
    unit_obj.parent = new_parent
    OrgUnit.objects.bulk_update(subtree, ["code", "path", "parent", "updated_at"])
    # Counts move with the subtree: subtract from old ancestors, add to new ones. Read them from the
    # freshly loaded row, not the caller's object, which may be stale.
    counts = {f: getattr(unit_obj, f) for f in ROLLUP_FIELDS}
    _add_to_ancestors(old_path, counts, sign=-1, exclude_self=True)
    _add_to_ancestors(new_path, counts, sign=+1, exclude_self=True)
    from shanzhi.dashboard.rollups import rollups_move_subtree  # the indicators' roll-ups move likewise

    rollups_move_subtree(unit_id=unit.pk, old_path=old_path, new_path=new_path)
    unit.refresh_from_db()
    audit_record(actor=actor, action="org.unit.move", obj=unit, unit_path=unit.path, before=before,
                 after=_snapshot(unit))
    transaction.on_commit(locate.invalidate)
    return unit


def _carry_land(actor, unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Hand a moving unit's area from its old ancestors to its new ones, below their common ancestor.

    Siblings stay apart and children inside parents: the area leaves units that held it (only the
    old chain did) and joins units whose siblings never held it.
    """
    land = unit_geometry(unit)
    target = unit_geometry(new_parent)
    if target.covers(land) or area_m2(land.difference(target)) <= _tolerance():
        return
    old_paths = ancestor_paths(unit.path)[:-1]
    new_paths = ancestor_paths(new_parent.path)
    common = set(old_paths) & set(new_paths)
    chain = list(OrgUnit.objects.filter(path__in=[p for p in old_paths + new_paths if p not in common])
                 .order_by("path"))
    for anc in chain:
        scopes.require(actor, "org.change", anc, what="该单位")
    for anc in chain:
        if not anc.boundary:
            continue
        giving = anc.path in old_paths
        geom = unit_geometry(anc)
        geom = geom.difference(land) if giving else geom.union(land)
        before = {"bounds": [anc.min_lon, anc.min_lat, anc.max_lon, anc.max_lat]}
        if geom.is_empty:
            anc.boundary = None
            for k in ("min_lon", "min_lat", "max_lon", "max_lat", "centre_lat", "centre_lon"):
                setattr(anc, k, None)
        else:
            anc.boundary = json.loads(_shapely.to_geojson(geom))
            for k, v in _bbox(geom).items():
                setattr(anc, k, v)
        anc.save(update_fields=["boundary", "min_lon", "min_lat", "max_lon", "max_lat", "centre_lat",
                                "centre_lon", "updated_at"])
        if anc.pk == new_parent.pk:
            new_parent.boundary = anc.boundary
        verb = "迁出" if giving else "迁入"
        audit_record(actor=actor, action="org.unit.boundary", obj=anc, unit_path=anc.path, before=before,
                     after={"bounds": list(geom.bounds) if not geom.is_empty else None},
                     reason=f"“{unit.name}”（{unit.code}）{verb}")


ROLLUP_FIELDS = ("household_count", "resident_count", "floating_count", "staff_count", "grid_worker_count")


def ancestor_paths(path: str) -> list[str]:
    """Paths of a unit and all its ancestors, from the path alone."""
    parts = [c for c in path.split("/") if c]
    return ["".join(p + "/" for p in parts[: i + 1]) for i in range(len(parts))]


def _add_to_ancestors(path: str, counts: dict[str, int], *, sign: int = 1, exclude_self: bool = False) -> None:
    """Add counts to a unit and its ancestors in one UPDATE."""
    paths = ancestor_paths(path)
    if exclude_self:
        paths = paths[:-1]
    changes = {f: F(f) + sign * n for f, n in counts.items() if n}
    if paths and changes:
        OrgUnit.objects.filter(path__in=paths).update(**changes)


def rollup_add(*, unit_path: str, **counts: int) -> None:
    """Adjust rolled-up counts of a unit and its ancestors (inside the caller's transaction)."""
    _add_to_ancestors(unit_path, counts)


def rollups_refresh() -> int:
    """Recompute every unit's rolled-up counts from the registry and posts; return units updated.

    Cost: four grouped queries and one bulk update, whatever the size of the county.
    """
    from django.db.models import Count

    from shanzhi.people.models import Household, Registration, Resident, ResidentStatus

    units = list(OrgUnit.objects.only("id", "path", *ROLLUP_FIELDS))
    by_path = {u.path: u for u in units}
    by_id = {u.id: u for u in units}
    totals: dict[int, dict[str, int]] = {u.id: dict.fromkeys(ROLLUP_FIELDS, 0) for u in units}

    def spread(unit_id: int, field: str, n: int) -> None:
        unit = by_id.get(unit_id)
        if unit is None:
            return
        for p in ancestor_paths(unit.path):
            anc = by_path.get(p)
            if anc is not None:
                totals[anc.id][field] += n

    for mg, n in Household.objects.filter(is_active=True).values_list("micro_grid").annotate(n=Count("id")):
        spread(mg, "household_count", n)
    active = Resident.objects.filter(status=ResidentStatus.ACTIVE, household__isnull=False)
    for mg, residence, n in active.values_list("household__micro_grid", "residence").annotate(n=Count("id")):
        spread(mg, "resident_count", n)
        if residence == Registration.FLOATING:
            spread(mg, "floating_count", n)
    posts = Post.objects.filter(Post.current_q())
    for unit_id, role, n in posts.values_list("unit", "role").annotate(n=Count("id")):
        if role != Role.MICROGRID_HEAD:
            spread(unit_id, "staff_count", n)
        if role == Role.GRID_WORKER:
            spread(unit_id, "grid_worker_count", n)
    changed = []
    for u in units:
        t = totals[u.id]
        if any(getattr(u, f) != t[f] for f in ROLLUP_FIELDS):
            for f in ROLLUP_FIELDS:
                setattr(u, f, t[f])
            changed.append(u)
    OrgUnit.objects.bulk_update(changed, list(ROLLUP_FIELDS), batch_size=2000)
    return len(changed)


@transaction.atomic
def department_create(*, actor, unit: OrgUnit, code: str, name: str) -> Department:
    """Create a department of a county or town (the mediation centre joins 20+ of them). Audited."""
    scopes.require(actor, "org.change", unit, what="该单位")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise DomainError("部门编码和名称不能为空", fields={"code": ["必填"], "name": ["必填"]})
    if Department.objects.filter(code=code).exists():
        raise DomainError(f"部门编码“{code}”已被使用", fields={"code": ["编码已存在"]})
    dept = Department.objects.create(unit=unit, code=code, name=name)
    audit_record(actor=actor, action="org.department.create", obj=dept, unit_path=unit.path,
                 after={"code": code, "name": name})
    return dept


@transaction.atomic
def post_appoint(*, actor, unit: OrgUnit, role: str, user=None, resident=None, holder_name: str = "",
                 department: Department | None = None, start_date: dt.date | None = None,
                 end_date: dt.date | None = None) -> Post:
    """Appoint someone to a role on a unit. The holder is a staff user, a resident, or both."""
    scopes.require(actor, "org.posts", unit, what="该单位")
    if role not in Role.values:
        raise DomainError(f"未知岗位“{role}”", fields={"role": ["未知岗位"]})
    if unit.level not in ROLE_LEVELS[role]:
        levels = "、".join(Level(lv).label for lv in ROLE_LEVELS[role])
        raise DomainError(f"{Role(role).label}只能设在{levels}", fields={"role": ["岗位与单位层级不符"]})
    if role == Role.COUNTY_ADMIN and actor is not None and not scopes.may(actor, "org.change", unit):
        raise PermissionDenied("只有县级管理员可以任命县级管理员")
    if user is None and resident is None:
        raise DomainError("必须指定任职人", fields={"user": ["必须指定任职人"]})
    if resident is not None:  # a resident holder is a target too: one the actor may see in the registry
        home = resident.household.micro_grid if resident.household_id else None
        scopes.require_target(actor, "people.view", home, field="resident", message="未找到该居民")
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise DomainError("部门工作人员必须指定部门", fields={"department": ["必填"]})
    if department is not None:
        # The department is a target: one the actor may appoint for (its unit on the way down to their
        # scope) and on the post's unit or above. A department post grants its department's work under
        # the post's unit only (scopes.department_grants), so town staff staff a county department for
        # their town; only an actor who may appoint at the county appoints county-wide staff.
        if not department.is_active or not (actor is None or scopes.reaches(actor, "org.posts", department.unit)):
            msg = "未找到该部门"
            raise DomainError(msg, fields={"department": [msg]}, code="invalid_target")
        if not unit.path.startswith(department.unit.path):
            msg = f"部门“{department.name}”不属于“{unit.name}”或其上级"
            raise DomainError(msg, fields={"department": [msg]})
    start = start_date or clock.today()
    if end_date is not None and end_date < start:
        raise DomainError("任职结束日期早于开始日期", fields={"end_date": ["早于开始日期"]})
    name = holder_name or (resident.name if resident is not None else (user.display_name or user.username))
    post = Post.objects.create(unit=unit, role=role, user=user, resident=resident, holder_name=name,
                               department=department, start_date=start, end_date=end_date)
    if Post.objects.filter(pk=post.pk).filter(Post.current_q()).exists():
        rollup_add(unit_path=unit.path, staff_count=0 if role == Role.MICROGRID_HEAD else 1,
                   grid_worker_count=1 if role == Role.GRID_WORKER else 0)
    audit_record(actor=actor, action="org.post.appoint", obj=post, unit_path=unit.path,
                 after={"role": role, "holder": name, "start": str(start), "end": str(end_date or "")})
    if user is not None:
        scopes.forget(user)
    return post


@transaction.atomic
def post_end(*, actor, post: Post, end_date: dt.date | None = None) -> Post:
    """End a post on a date (today by default); history is kept."""
    scopes.require(actor, "org.posts", post.unit, what="该单位")
    end = end_date or clock.today()
    if end < post.start_date:
        raise DomainError("结束日期早于任职开始日期", fields={"end_date": ["早于开始日期"]})
    if post.end_date is not None and post.end_date <= end:
        raise DomainError("该岗位已经结束", fields={"end_date": ["已结束"]})
    today = clock.today()
    was_current = post.start_date <= today and (post.end_date is None or post.end_date >= today)
    before = {"end": str(post.end_date or "")}
    post.end_date = end
    post.save(update_fields=["end_date"])
    if was_current and end < today:
        rollup_add(unit_path=post.unit.path, staff_count=0 if post.role == Role.MICROGRID_HEAD else -1,
                   grid_worker_count=-1 if post.role == Role.GRID_WORKER else 0)
    audit_record(actor=actor, action="org.post.end", obj=post, unit_path=post.unit.path, before=before,
                 after={"end": str(end)})
    if post.user is not None:
        scopes.forget(post.user)
    return post


