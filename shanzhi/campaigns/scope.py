"""Which households a campaign covers: units, a drawn polygon, a radius, or a list; optional care tags."""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from django.db.models import Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.geometry import GeometryError, check_lat_lon, distance_m, parse_polygon
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import CareTag, Household, ResidentStatus

MAX_RADIUS_M = 20_000


@dataclass
class Scope:
    households: list[int]
    unit: OrgUnit  # the lowest unit holding them all
    description: dict


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


def _common_unit(paths: list[str]) -> OrgUnit:
    parts = [[c for c in p.split("/") if c] for p in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if all(c == level[0] for c in level):
            common.append(level[0])
        else:
            break
    return OrgUnit.objects.get(code=common[-1])


def resolve(*, actor, action: str = "campaigns.run", units: list[str] | None = None, polygon: dict | None = None,
            point: tuple[float, float] | None = None, radius_m: float | None = None,
            households: list[str] | None = None, tags: list[str] | None = None) -> Scope:
    """Turn a scope description into household ids, each inside the actor's scope. Raises on bad input."""
    base: QuerySet[Household] = Household.objects.filter(is_active=True)
    if actor is not None:
        base = base.filter(scopes.scope_q(actor, action, "micro_grid"))
    desc: dict = {}
    chosen = [x for x in (units, polygon, point, households) if x]
    if not chosen:
        raise _bad("scope", "请选择范围：单位、绘制区域、半径范围或户清单")
    qs = base
    if units:
        found = {u.code: u for u in OrgUnit.objects.filter(code__in=units)}
        missing = [c for c in units if c not in found or (actor is not None and not scopes.may(actor, action, found[c]))]
        if missing:
            raise NotFound(f"未找到单位或无权限：{'、'.join(missing)}")
        q = Q(pk__in=[])
        for u in found.values():
            q |= u.subtree_q("micro_grid")
        qs = qs.filter(q)
        desc["units"] = sorted(found)
    if polygon:
        try:
            geom = parse_polygon(polygon)
        except GeometryError as exc:
            raise _bad("polygon", f"绘制的区域无效：{exc}") from exc
        minx, miny, maxx, maxy = geom.bounds
        shapely.prepare(geom)
        rows = qs.filter(lat__gte=miny, lat__lte=maxy, lon__gte=minx, lon__lte=maxx).values_list("id", "lat", "lon")
        ids = [i for i, la, lo in rows if geom.contains(shapely.Point(lo, la))]
        qs = qs.filter(pk__in=ids)
        desc["polygon"] = polygon
    if point:
        try:
            lat, lon = check_lat_lon(*point)
        except GeometryError as exc:
            raise _bad("point", str(exc)) from exc
        if not radius_m or radius_m <= 0 or radius_m > MAX_RADIUS_M:
            raise _bad("radius_m", f"半径应在1到{MAX_RADIUS_M}米之间")
        dlat = radius_m / 111_000
        dlon = radius_m / (111_000 * max(0.1, math.cos(math.radians(lat))))
        rows = qs.filter(lat__gte=lat - dlat, lat__lte=lat + dlat, lon__gte=lon - dlon,
                         lon__lte=lon + dlon).values_list("id", "lat", "lon")
        ids = [i for i, la, lo in rows if distance_m(lat, lon, la, lo) <= radius_m]
        qs = qs.filter(pk__in=ids)
        desc.update(point=[lat, lon], radius_m=radius_m)
    if households:
        numbers = [n.strip() for n in households if n and n.strip()]
        found_ids = dict(qs.filter(number__in=numbers).values_list("number", "id"))
        missing = [n for n in numbers if n not in found_ids]
        if missing:
            raise NotFound(f"未找到户或无权限：{'、'.join(missing[:20])}")
        qs = qs.filter(pk__in=found_ids.values())
        desc["households"] = numbers
    if tags:
        known = set(CareTag.objects.filter(code__in=tags).values_list("code", flat=True))
        unknown = sorted(set(tags) - known)
        if unknown:
            raise _bad("tags", f"未知关爱标签：{'、'.join(unknown)}")
        qs = qs.filter(residents__tags__code__in=tags, residents__status=ResidentStatus.ACTIVE).distinct()
        desc["tags"] = sorted(tags)
    rows = list(qs.values_list("id", "micro_grid__path").order_by("id"))
    if not rows:
        raise _bad("scope", "范围内没有在册的户（或不在您的管辖范围内）")
    paths = sorted({p for _, p in rows})
    unit = _common_unit(paths)
    if unit.level == Level.MICROGRID and unit.parent_id:
        unit = unit.parent if unit.parent.level != Level.COMPOUND else unit.parent.parent
    return Scope(households=[i for i, _ in rows], unit=unit, description=desc)
