"""A small county and its personas, built through the real services, for tests in every app.

    county 330421 嘉善县 (box)
      town 330421112 天凝镇          town 330421102 大云镇
        village 330421112201 新联村    village 330421102201 洋桥村
          grid A 330421112201001         grid C 330421102201001
            mg A1 ...001001, mg A2 ...001002
          grid B 330421112201002
            mg B1 ...002001

Personas: admin (county admin), town_staff (天凝镇), worker_a (grid A), worker_b (grid B),
worker_c (grid C, other town), resident (household in A1, with a phone), anonymous (no user).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_create_staff
from shanzhi.org.models import Level, OrgUnit, Role
from shanzhi.org.services import orgunit_create, post_appoint
from shanzhi.people.models import Household, Registration, Relation, Resident
from shanzhi.people.services import household_create, resident_create

PASSWORD = "Shanzhi-test-2026"
LON0, LAT0 = 120.90, 30.80


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    """A GeoJSON rectangle from lon/lat offsets (in 0.01°) relative to the county's corner."""
    a, b = LON0 + x0 * 0.01, LAT0 + y0 * 0.01
    c, d = LON0 + x1 * 0.01, LAT0 + y1 * 0.01
    return {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]}


def point_in(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) for an offset in 0.01° units."""
    return LAT0 + y * 0.01, LON0 + x * 0.01


# Valid GB 11643 numbers (checksums computed with python-stdnum).
ID_RESIDENT = "33042119900101123X"
ID_NEIGHBOUR = "330421198502022223"
ID_B = "330421197003033329"
ID_C = "330421200004044446"


@dataclass
class County:
    county: OrgUnit
    town: OrgUnit
    town2: OrgUnit
    village: OrgUnit
    village2: OrgUnit
    grid_a: OrgUnit
    grid_b: OrgUnit
    grid_c: OrgUnit
    mg_a1: OrgUnit
    mg_a2: OrgUnit
    mg_b1: OrgUnit
    mg_c1: OrgUnit
    admin: User
    town_staff: User
    worker_a: User
    worker_b: User
    worker_c: User
    resident_user: User | None
    household_a: Household
    household_b: Household
    household_c: Household
    resident: Resident
    neighbour: Resident
    resident_b: Resident
    resident_c: Resident
    extra: dict = field(default_factory=dict)


def _staff(username: str, name: str) -> User:
    return user_create_staff(actor=None, username=username, password=PASSWORD, display_name=name,
                             check_strength=False)


def build_county() -> County:
    """Build the small county through the services (audited like any other write)."""
    mk = orgunit_create
    county = mk(actor=None, code="330421", name="嘉善县", level=Level.COUNTY, parent=None, kind="county",
                boundary=box(0, 0, 40, 20))
    town = mk(actor=None, code="330421112", name="天凝镇", level=Level.TOWN, parent=county, kind="town",
              boundary=box(0, 0, 20, 20))
    town2 = mk(actor=None, code="330421102", name="大云镇", level=Level.TOWN, parent=county, kind="town",
               boundary=box(20, 0, 40, 20))
    village = mk(actor=None, code="330421112201", name="新联村", level=Level.VILLAGE, parent=town,
                 kind="village", boundary=box(0, 0, 20, 10))
    village2 = mk(actor=None, code="330421102201", name="洋桥村", level=Level.VILLAGE, parent=town2,
                  kind="village", boundary=box(20, 0, 40, 10))
    grid_a = mk(actor=None, code="330421112201001", name="新联村第一网格", level=Level.GRID, parent=village,
                boundary=box(0, 0, 10, 10))
    grid_b = mk(actor=None, code="330421112201002", name="新联村第二网格", level=Level.GRID, parent=village,
                boundary=box(10, 0, 20, 10))
    grid_c = mk(actor=None, code="330421102201001", name="洋桥村第一网格", level=Level.GRID, parent=village2,
                boundary=box(20, 0, 30, 10))
    mg_a1 = mk(actor=None, code="330421112201001001", name="一组", level=Level.MICROGRID, parent=grid_a,
               kind="villager_group", boundary=box(0, 0, 5, 10))
    mg_a2 = mk(actor=None, code="330421112201001002", name="二组", level=Level.MICROGRID, parent=grid_a,
               kind="villager_group", boundary=box(5, 0, 10, 10))
    mg_b1 = mk(actor=None, code="330421112201002001", name="三组", level=Level.MICROGRID, parent=grid_b,
               kind="villager_group", boundary=box(10, 0, 20, 10))
    mg_c1 = mk(actor=None, code="330421102201001001", name="洋桥一组", level=Level.MICROGRID, parent=grid_c,
               kind="villager_group", boundary=box(20, 0, 30, 10))

    admin = _staff("admin", "县管理员")
    town_staff = _staff("town", "天凝镇干部")
    worker_a = _staff("worker_a", "网格员甲")
    worker_b = _staff("worker_b", "网格员乙")
    worker_c = _staff("worker_c", "网格员丙")
    start = dt.date(2024, 1, 1)
    post_appoint(actor=None, unit=county, role=Role.COUNTY_ADMIN, user=admin, start_date=start)
    post_appoint(actor=None, unit=town, role=Role.TOWN_STAFF, user=town_staff, start_date=start)
    post_appoint(actor=None, unit=grid_a, role=Role.GRID_WORKER, user=worker_a, start_date=start)
    post_appoint(actor=None, unit=grid_b, role=Role.GRID_WORKER, user=worker_b, start_date=start)
    post_appoint(actor=None, unit=grid_c, role=Role.GRID_WORKER, user=worker_c, start_date=start)

    lat, lon = point_in(2, 5)
    household_a = household_create(actor=None, number="H-A1-001", micro_grid=mg_a1, address="新联村一组1号",
                                   registration=Registration.REGISTERED, lat=lat, lon=lon)
    lat, lon = point_in(15, 5)
    household_b = household_create(actor=None, number="H-B1-001", micro_grid=mg_b1, address="新联村三组8号",
                                   registration=Registration.FLOATING, lat=lat, lon=lon)
    lat, lon = point_in(25, 5)
    household_c = household_create(actor=None, number="H-C1-001", micro_grid=mg_c1, address="洋桥村一组3号",
                                   registration=Registration.REGISTERED, lat=lat, lon=lon)
    resident = resident_create(actor=None, household=household_a, name="张三", id_number=ID_RESIDENT,
                               phone="13800000001", relation=Relation.HEAD, tags=["party_member"])
    neighbour = resident_create(actor=None, household=household_a, name="李梅", id_number=ID_NEIGHBOUR,
                                phone="13800000002", relation=Relation.SPOUSE)
    resident_b = resident_create(actor=None, household=household_b, name="王五", id_number=ID_B,
                                 phone="13800000003", relation=Relation.HEAD, residence=Registration.FLOATING,
                                 tags=["elderly_alone"])
    resident_c = resident_create(actor=None, household=household_c, name="赵六", id_number=ID_C,
                                 relation=Relation.HEAD)
    from shanzhi.accounts.models import UserKind

    resident_user = User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT,
                                        display_name=resident.name, resident=resident)
    return County(county, town, town2, village, village2, grid_a, grid_b, grid_c, mg_a1, mg_a2, mg_b1, mg_c1,
                  admin, town_staff, worker_a, worker_b, worker_c, resident_user, household_a, household_b,
                  household_c, resident, neighbour, resident_b, resident_c)


def report_case(county: County, *, code: str = "garbage", where: tuple[float, float] | None = (2, 5),
                actor=None, **kw):
    """Raise a case through the real intake service (default: a resident's garbage report in micro-grid A1)."""
    from shanzhi.cases.models import Category, Channel, Kind
    from shanzhi.cases.services import case_report

    lat, lon = point_in(*where) if where else (None, None)
    kw.setdefault("kind", Kind.PROBLEM)
    kw.setdefault("channel", Channel.RESIDENT)
    return case_report(actor=actor or county.resident_user, category=Category.objects.get(code=code),
                       description=kw.pop("description", "路边垃圾三天没人清理"), lat=lat, lon=lon, **kw)
