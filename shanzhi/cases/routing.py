"""Where a new case goes: location -> micro-grid -> grid -> on-duty worker; category -> level and department."""

from __future__ import annotations

from dataclasses import dataclass

from shanzhi.cases.models import Category, HandlingLevel
from shanzhi.org.locate import locate
from shanzhi.org.models import Level, OrgUnit, Post, Role

LEVEL_TO_UNIT_LEVEL = {
    HandlingLevel.GRID: Level.GRID,
    HandlingLevel.VILLAGE: Level.VILLAGE,
    HandlingLevel.TOWN: Level.TOWN,
    HandlingLevel.COUNTY: Level.COUNTY,
}
UNIT_LEVEL_TO_LEVEL = {v: k for k, v in LEVEL_TO_UNIT_LEVEL.items()}


@dataclass
class Route:
    unit: OrgUnit  # where it happened (a micro-grid, or the county when unknown)
    handling_unit: OrgUnit
    level: str
    assignee_id: int | None
    department_id: int | None
    triage: bool


def county_root() -> OrgUnit:
    return OrgUnit.objects.filter(parent__isnull=True, level=Level.COUNTY).order_by("id").first()


def on_duty_worker_id(grid: OrgUnit) -> int | None:
    """The grid's full-time grid worker with a login (the first appointed), else the grid head."""
    for role in (Role.GRID_WORKER, Role.GRID_HEAD):
        uid = (Post.objects.filter(Post.current_q(), unit=grid, role=role, user__isnull=False, user__is_active=True)
               .order_by("start_date", "id").values_list("user_id", flat=True).first())
        if uid:
            return uid
    return None


def ancestor_at(chain: list[OrgUnit], level: str) -> OrgUnit | None:
    return next((u for u in chain if u.level == level), None)


def route(*, category: Category, lat: float | None, lon: float | None,
          household_unit: OrgUnit | None = None) -> Route:
    """Decide the place, handling unit, level, assignee and department of a new case."""
    chain: list[OrgUnit] | None = None
    if household_unit is not None:
        from shanzhi.org.selectors import orgunit_ancestors

        chain = [*orgunit_ancestors(household_unit), household_unit]
    elif lat is not None and lon is not None:
        found = locate(lat, lon)
        chain = found.chain if found else None
    if not chain:
        root = county_root()
        return Route(unit=root, handling_unit=root, level=HandlingLevel.COUNTY, assignee_id=None,
                     department_id=category.department_id, triage=True)
    level = category.default_level
    handling = ancestor_at(chain, LEVEL_TO_UNIT_LEVEL[level]) or chain[0]
    assignee = on_duty_worker_id(handling) if handling.level == Level.GRID else None
    department = category.department_id if level == HandlingLevel.COUNTY else None
    return Route(unit=chain[-1], handling_unit=handling, level=UNIT_LEVEL_TO_LEVEL[handling.level],
                 assignee_id=assignee, department_id=department, triage=False)
