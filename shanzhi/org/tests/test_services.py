"""Writes to the grid: units, boundaries, moves, posts, departments; audited and scoped."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.geometry import area_m2, parse_polygon
from shanzhi.lib.testing import LAT0, LON0, box
from shanzhi.org.models import Department, Level, OrgUnit, Post, Role
from shanzhi.org.services import (
    department_create,
    orgunit_create,
    orgunit_move,
    orgunit_rename,
    orgunit_set_boundary,
    post_appoint,
    post_end,
    rollups_refresh,
)
from shanzhi.people.models import Household


def fresh(unit: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def new_village(c, *, actor=None, code="330421112202", name="新村", boundary=None, parent=None):
    return orgunit_create(actor=actor, code=code, name=name, level=Level.VILLAGE, parent=parent or c.town,
                          kind="village", boundary=boundary if boundary is not None else box(0, 10, 10, 20))


# --- create, rename, audit -----------------------------------------------------------------------------


def test_creating_a_unit_is_audited_with_the_actor(county):
    village = new_village(county, actor=county.town_staff)
    entry = last_audit("org.unit.create")
    assert entry.actor == county.town_staff
    assert entry.object_id == str(village.pk)
    assert entry.after["code"] == "330421112202" and entry.after["parent"] == county.town.code
    assert village.path == county.town.path + "330421112202/"


def test_the_audit_row_commits_or_rolls_back_with_the_change(county):
    audits = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        new_village(county, actor=county.town_staff)
        assert AuditEntry.objects.count() == audits + 1
        raise RuntimeError("caller fails after the service")
    assert not OrgUnit.objects.filter(code="330421112202").exists()
    assert AuditEntry.objects.count() == audits


def test_renaming_records_before_and_after(county):
    orgunit_rename(actor=county.town_staff, unit=county.grid_a, name="新联村东网格")
    assert fresh(county.grid_a).name == "新联村东网格"
    entry = last_audit("org.unit.rename")
    assert entry.actor == county.town_staff
    assert entry.before["name"] == "新联村第一网格" and entry.after["name"] == "新联村东网格"


def test_a_blank_name_is_refused(county):
    with pytest.raises(DomainError, match="名称不能为空"):
        orgunit_rename(actor=None, unit=county.grid_a, name="  ")


# --- code and level rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("33042111220", "应为12位"),  # one digit short
        ("330421102202", "应以上级编码“330421112”开头"),  # prefix of the other town
        ("33042111220A", "只能包含数字"),
        ("330421112201", "已被使用"),  # 新联村
    ],
)
def test_bad_codes_are_refused(county, code, reason):
    with pytest.raises(DomainError, match=reason) as exc:
        new_village(county, code=code)
    assert "code" in exc.value.fields
    assert not OrgUnit.objects.filter(name="新村").exists()


def test_a_village_cannot_hang_under_the_county(county):
    with pytest.raises(DomainError, match="村/社区不能直接隶属于县"):
        orgunit_create(actor=None, code="330421201", name="错村", level=Level.VILLAGE, parent=county.county)


def test_a_grid_holds_compounds_or_micro_grids_not_both(county):
    with pytest.raises(DomainError, match="已下设微网格"):
        orgunit_create(actor=None, code="33042111220100101", name="小区", level=Level.COMPOUND,
                       parent=county.grid_a)


# --- boundaries ----------------------------------------------------------------------------------------


def test_a_child_outside_its_parent_is_refused_naming_both(county):
    with pytest.raises(DomainError) as exc:
        orgunit_create(actor=None, code="330421102201002", name="洋桥村第二网格", level=Level.GRID,
                       parent=county.village2, boundary=box(35, 0, 45, 10))
    message = str(exc.value)
    assert "洋桥村第二网格" in message and "超出上级“洋桥村”的边界" in message
    assert exc.value.fields["boundary"]


def test_overlapping_siblings_are_refused(county):
    with pytest.raises(DomainError, match="与同级“洋桥村第一网格”（330421102201001）重叠"):
        orgunit_create(actor=None, code="330421102201002", name="洋桥村第二网格", level=Level.GRID,
                       parent=county.village2, boundary=box(25, 0, 35, 10))


def test_a_sliver_of_overlap_below_the_tolerance_is_accepted(county):
    tolerance = settings.SHANZHI["OVERLAP_TOLERANCE_M2"]
    # grid C ends at x=30; the new grid starts a hair to the left of it.
    sliver = box(30 - 4e-8, 0, 40, 10)
    overlap = area_m2(parse_polygon(sliver).intersection(parse_polygon(county.grid_c.boundary)))
    assert 0 < overlap < tolerance
    grid = orgunit_create(actor=None, code="330421102201002", name="洋桥村第二网格", level=Level.GRID,
                          parent=county.village2, boundary=sliver)
    assert grid.pk

    wider = box(30 - 4e-5, 0, 40, 10)  # about a thousand times the area: refused
    with pytest.raises(DomainError, match="重叠约"):
        orgunit_set_boundary(actor=None, unit=grid, boundary=wider)


def test_a_bow_tie_polygon_is_refused_as_self_intersecting(county):
    a, b, c, d = LON0 + 0.30, LAT0, LON0 + 0.40, LAT0 + 0.10
    bow_tie = {"type": "Polygon", "coordinates": [[[a, b], [c, d], [c, b], [a, d], [a, b]]]}
    with pytest.raises(DomainError, match="洋桥村第二网格（330421102201002）：边界自相交"):
        orgunit_create(actor=None, code="330421102201002", name="洋桥村第二网格", level=Level.GRID,
                       parent=county.village2, boundary=bow_tie)


@pytest.mark.parametrize(
    ("ring", "reason"),
    [
        ([[120.1, 30.1], [120.2, 30.1], [120.2, 30.2], [120.1, 30.2]], "没有闭合"),
        ([[120.1, 30.1], [120.2, 30.1], [120.1, 30.1]], "至少需要4个点"),
    ],
)
def test_malformed_rings_are_refused(county, ring, reason):
    with pytest.raises(DomainError, match=reason):
        orgunit_set_boundary(actor=None, unit=county.grid_c, boundary={"type": "Polygon", "coordinates": [ring]})
    assert fresh(county.grid_c).boundary == county.grid_c.boundary


def test_a_boundary_that_would_leave_a_child_outside_is_refused(county):
    with pytest.raises(DomainError, match="下级“一组”将有约.*平方米落在新边界之外"):
        orgunit_set_boundary(actor=None, unit=county.grid_a, boundary=box(2, 0, 10, 10))


def test_a_new_boundary_keeps_the_rolled_up_counts(county):
    stale = fresh(county.mg_c1)  # loaded before a household arrives
    from shanzhi.people.services import household_create

    household_create(actor=None, number="H-C1-002", micro_grid=county.mg_c1, address="洋桥村一组5号",
                     registration="registered")
    orgunit_set_boundary(actor=None, unit=stale, boundary=box(20, 0, 30, 10))
    assert fresh(county.mg_c1).household_count == 2


# --- moves ---------------------------------------------------------------------------------------------


def test_moving_a_grid_recodes_its_subtree_and_keeps_households(county):
    c = county
    target = new_village(c, boundary=box(0, 10, 20, 20))
    before_b = {f: getattr(fresh(c.grid_b), f) for f in ("household_count", "resident_count")}
    assert before_b == {"household_count": 1, "resident_count": 1}

    orgunit_move(actor=c.town_staff, unit=c.grid_b, new_parent=target)

    grid = fresh(c.grid_b)
    assert grid.code == "330421112202001" and grid.parent == target
    assert grid.path == target.path + "330421112202001/"
    mg = fresh(c.mg_b1)
    assert mg.code == "330421112202001001" and mg.path == grid.path + "330421112202001001/"
    assert Household.objects.get(pk=c.household_b.pk).micro_grid_id == mg.pk
    # Counts leave the old village and join the new one; the town keeps them.
    assert fresh(c.village).household_count == 1 and fresh(c.village).resident_count == 2
    assert fresh(target).household_count == 1 and fresh(target).resident_count == 1
    assert fresh(c.town).household_count == 2
    entry = last_audit("org.unit.move")
    assert entry.actor == c.town_staff
    assert entry.before["code"] == "330421112201002" and entry.after["code"] == "330421112202001"
    assert entry.before["parent"] == c.village.code and entry.after["parent"] == target.code


def test_a_moving_grid_takes_its_land_along(county):
    c = county
    target = new_village(c, boundary=box(0, 10, 20, 20))
    orgunit_move(actor=c.town_staff, unit=c.grid_b, new_parent=target)
    old, new = parse_polygon(fresh(c.village).boundary), parse_polygon(fresh(target).boundary)
    grid = parse_polygon(fresh(c.grid_b).boundary)
    assert new.covers(grid) and area_m2(old.intersection(grid)) < 1
    assert area_m2(old.intersection(new)) < 1
    reasons = set(AuditEntry.objects.filter(action="org.unit.boundary").values_list("reason", flat=True))
    assert "“新联村第二网格”（330421112201002）迁出" in reasons


def test_without_carrying_land_a_move_outside_the_new_parent_is_refused(county):
    target = new_village(county, boundary=box(0, 10, 20, 20))
    with pytest.raises(DomainError, match="超出上级“新村”"):
        orgunit_move(actor=None, unit=county.grid_b, new_parent=target, carry_land=False)
    assert fresh(county.grid_b).code == "330421112201002"


def test_moving_a_unit_under_its_own_descendant_is_refused(county):
    with pytest.raises(DomainError, match="不能移到自己或自己的下级之下"):
        orgunit_move(actor=None, unit=county.village, new_parent=county.grid_a)


def test_town_staff_cannot_move_a_grid_into_the_other_town(county):
    with pytest.raises(NotFound):
        orgunit_move(actor=county.town_staff, unit=county.grid_b, new_parent=county.village2)
    assert fresh(county.grid_b).parent == county.village


# --- permissions ---------------------------------------------------------------------------------------


def test_town_staff_may_create_a_grid_in_their_town(county):
    grid = orgunit_create(actor=county.town_staff, code="330421112201003", name="新联村第三网格",
                          level=Level.GRID, parent=county.village)
    assert scopes.may(county.town_staff, "org.change", grid)


def test_town_staff_gets_not_found_for_the_other_town(county):
    with pytest.raises(NotFound):
        orgunit_create(actor=county.town_staff, code="330421102201002", name="洋桥村第二网格",
                       level=Level.GRID, parent=county.village2)
    with pytest.raises(NotFound):
        orgunit_rename(actor=county.town_staff, unit=county.grid_c, name="改名")
    assert not scopes.may(county.town_staff, "org.view", county.grid_c)


def test_a_grid_worker_may_not_rename_their_own_grid(county):
    assert scopes.may(county.worker_a, "org.view", county.grid_a)
    assert not scopes.may(county.worker_a, "org.change", county.grid_a)
    with pytest.raises(PermissionDenied):
        orgunit_rename(actor=county.worker_a, unit=county.grid_a, name="我的网格")
    with pytest.raises(NotFound):
        orgunit_rename(actor=county.worker_a, unit=county.grid_b, name="别人的网格")
    assert fresh(county.grid_a).name == "新联村第一网格"


def test_only_a_scope_over_every_county_creates_a_county(county):
    with pytest.raises(PermissionDenied):
        orgunit_create(actor=county.town_staff, code="330402", name="南湖区", level=Level.COUNTY, parent=None)
    # 嘉善's admin covers the whole tree while it holds one county, so may add a second one
    orgunit_create(actor=county.admin, code="330402", name="南湖区", level=Level.COUNTY, parent=None)
    with pytest.raises(PermissionDenied):  # ... but no longer covers every county
        orgunit_create(actor=county.admin, code="330411", name="秀洲区", level=Level.COUNTY, parent=None)
    root = user_create_staff(actor=None, username="root", password="Shanzhi-test-2026", is_superuser=True,
                             check_strength=False)
    assert orgunit_create(actor=root, code="330411", name="秀洲区", level=Level.COUNTY, parent=None).parent is None


# --- posts and departments -----------------------------------------------------------------------------


def staff(username: str):
    return user_create_staff(actor=None, username=username, password="Shanzhi-test-2026", display_name=username,
                             check_strength=False)


def test_appointing_a_grid_worker_gives_scope_and_counts(county):
    worker = staff("worker_a2")
    post = post_appoint(actor=county.town_staff, unit=county.grid_a, role=Role.GRID_WORKER, user=worker,
                        start_date=dt.date(2025, 3, 1))
    assert post.start_date == dt.date(2025, 3, 1) and post.end_date is None
    assert scopes.may(worker, "people.view", county.mg_a1)
    assert fresh(county.grid_a).grid_worker_count == 2
    assert fresh(county.village).grid_worker_count == 3 and fresh(county.county).staff_count == 6
    entry = last_audit("org.post.appoint")
    assert entry.actor == county.town_staff and entry.after["role"] == Role.GRID_WORKER


def test_a_role_on_the_wrong_level_is_refused(county):
    with pytest.raises(DomainError, match="专职网格员只能设在网格"):
        post_appoint(actor=None, unit=county.town, role=Role.GRID_WORKER, user=staff("w"))
    with pytest.raises(DomainError, match="微网格长只能设在微网格"):
        post_appoint(actor=None, unit=county.grid_a, role=Role.MICROGRID_HEAD, user=staff("m"))


def test_ending_a_post_keeps_history_and_removes_scope(county):
    c = county
    post = Post.objects.get(user=c.worker_a, role=Role.GRID_WORKER)
    today = clock.today()
    post_end(actor=c.town_staff, post=post, end_date=today - dt.timedelta(days=1))
    assert Post.objects.filter(pk=post.pk, end_date=today - dt.timedelta(days=1)).exists()
    assert not scopes.may(c.worker_a, "people.view", c.mg_a1)
    assert fresh(c.grid_a).grid_worker_count == 0 and fresh(c.village).grid_worker_count == 1
    assert last_audit("org.post.end").before == {"end": ""}
    # The rolled-up figures agree with a full recount.
    rollups_refresh()
    assert fresh(c.village).grid_worker_count == 1 and fresh(c.county).staff_count == 4


def test_a_post_ending_later_keeps_scope_until_then(county):
    c = county
    post = Post.objects.get(user=c.worker_b, role=Role.GRID_WORKER)
    post_end(actor=None, post=post, end_date=clock.today() + dt.timedelta(days=30))
    assert scopes.may(c.worker_b, "people.view", c.mg_b1)
    with clock.frozen(clock.now() + dt.timedelta(days=31)):
        scopes.forget(c.worker_b)
        assert not scopes.may(c.worker_b, "people.view", c.mg_b1)


def test_a_grid_worker_may_not_appoint(county):
    with pytest.raises(PermissionDenied):
        post_appoint(actor=county.worker_a, unit=county.grid_a, role=Role.GRID_HEAD, user=staff("h"))
    with pytest.raises(NotFound):
        post_appoint(actor=county.worker_a, unit=county.grid_b, role=Role.GRID_HEAD, user=staff("h2"))


def test_a_county_holds_twenty_and_more_departments(county):
    for n in range(1, 24):
        department_create(actor=county.admin, unit=county.county, code=f"D{n:02d}", name=f"部门{n}")
    assert Department.objects.filter(unit=county.county).count() == 23
    assert last_audit("org.department.create").actor == county.admin
    with pytest.raises(DomainError, match="已被使用"):
        department_create(actor=county.admin, unit=county.county, code="D01", name="重复")


def test_department_staff_need_a_department(county):
    user = staff("dept")
    with pytest.raises(DomainError, match="必须指定部门"):
        post_appoint(actor=county.admin, unit=county.county, role=Role.DEPARTMENT_STAFF, user=user)
    dept = department_create(actor=county.admin, unit=county.county, code="SFJ", name="司法局")
    post = post_appoint(actor=county.admin, unit=county.county, role=Role.DEPARTMENT_STAFF, user=user,
                        department=dept)
    assert post.department == dept


def test_a_town_department_cannot_staff_the_county(county):
    dept = department_create(actor=None, unit=county.town, code="TN-ZZB", name="天凝镇综治办")
    with pytest.raises(DomainError, match="不属于"):
        post_appoint(actor=None, unit=county.county, role=Role.DEPARTMENT_STAFF, user=staff("d2"),
                     department=dept)


def test_town_staff_may_not_create_departments_in_the_other_town(county):
    with pytest.raises(NotFound):
        department_create(actor=county.town_staff, unit=county.town2, code="DY-1", name="大云镇综治办")


def test_moving_a_village_to_the_other_town_recodes_every_level_below(county):
    c = county
    orgunit_move(actor=c.admin, unit=c.village, new_parent=c.town2, new_code="330421102202")
    mg = fresh(c.mg_a1)
    assert mg.code == "330421102202001001"
    assert mg.path == "330421/330421102/330421102202/330421102202001/330421102202001001/"
    # Posts hang on the unit, so the grid worker follows the grid; the old town loses sight of it.
    scopes.forget(c.worker_a)
    scopes.forget(c.town_staff)
    assert scopes.may(c.worker_a, "people.view", mg)
    assert not scopes.may(c.town_staff, "org.view", mg)
    assert fresh(c.town).household_count == 0 and fresh(c.town2).household_count == 3
    assert parse_polygon(fresh(c.town2).boundary).covers(parse_polygon(mg.boundary))
