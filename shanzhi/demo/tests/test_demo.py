"""The demo county: deterministic, real towns, named places, valid people, tidy geometry, working log-ins.

One small county is built per module (about 1/50 of Jiashan) and shared by the tests, which only read it;
tests that rebuild or refuse do it inside their own rolled-back transaction.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.test import override_settings
from shapely.ops import unary_union

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.accounts.services import LoginError, otp_login, otp_request, staff_authenticate
from shanzhi.accounts.sms import MemoryBackend
from shanzhi.audit.models import AuditEntry
from shanzhi.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, build_demo, demo_logins
from shanzhi.demo.plan import REFERENCE
from shanzhi.demo.reset import DemoError, reset_database
from shanzhi.lib.codes import id_number_birth_date, id_number_sex, normalise_id_number
from shanzhi.lib.geometry import area_m2, parse_polygon
from shanzhi.org.locate import locate_ids
from shanzhi.org.models import Department, Level, OrgUnit, Post, Role
from shanzhi.org.services import check_boundary
from shanzhi.people.models import (
    DEFAULT_CARE_TAGS,
    CadreRegistration,
    CareTag,
    CentralHousehold,
    Household,
    Registration,
    Resident,
    ResidentStatus,
)

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the small county once for the module (committed), and empty the database afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        summary = build_demo(scale="small", seed=1, progress=False, reset=True)
    yield summary
    with django_db_blocker.unblock():
        reset_database()


def county_digest() -> str:
    """A digest of what a user sees of the county: units, boundaries, households, people, posts."""
    h = hashlib.sha256()
    rows = [
        OrgUnit.objects.values_list("code", "name", "level", "kind", "parent__code", "boundary"),
        Household.objects.values_list("number", "address", "registration", "lat", "lon", "micro_grid__code",
                                      "central_household__household__number"),
        Resident.objects.values_list("household__number", "name", "sex", "birth_date", "relation", "residence",
                                     "id_number_masked", "phone_masked"),
        Post.objects.values_list("unit__code", "role", "holder_name", "user__username",
                                 "resident__id_number_masked"),
        CadreRegistration.objects.values_list("resident__id_number_masked", "village__code", "kind",
                                              "registered_on"),
    ]
    for qs in rows:
        for row in sorted(repr(r) for r in qs):  # sorted in Python: ties in SQL order follow the physical layout
            h.update(row.encode())
    return h.hexdigest()


def test_same_seed_builds_the_same_county(demo, db):
    before = county_digest()
    out = io.StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        call_command("demo", "--scale", "small", "--seed", "1", "--reset", "--no-progress", stdout=out)
    assert county_digest() == before
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed and "worker_a" in printed and "天凝镇" in printed


def test_running_twice_without_reset_refuses_and_writes_nothing(demo, db):
    units, audits = OrgUnit.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DemoError, match="--reset"):
        build_demo(scale="small", seed=2, progress=False)
    with pytest.raises(CommandError, match="已有数据"):
        call_command("demo", "--no-progress", stdout=io.StringIO())
    assert (OrgUnit.objects.count(), AuditEntry.objects.count()) == (units, audits)


def test_it_has_the_nine_real_towns(demo, db):
    towns = set(OrgUnit.objects.filter(level=Level.TOWN).values_list("code", "name", "kind", "parent__code"))
    assert towns == {(t["code"], t["name"], t["kind"], "330421") for t in REFERENCE["towns"]}
    assert OrgUnit.objects.get(level=Level.COUNTY).name == "嘉善县"


def test_named_places_are_in_their_towns(demo, db):
    xinlian = OrgUnit.objects.get(name="新联村")
    assert (xinlian.parent.name, xinlian.kind, xinlian.level) == ("天凝镇", "village", Level.VILLAGE)
    assert OrgUnit.objects.get(name="洋桥村").parent.name == "大云镇"
    taoyuan = OrgUnit.objects.get(name="桃源新邨")
    assert (taoyuan.parent.name, taoyuan.kind) == ("姚庄镇", "community")
    assert xinlian.household_count >= 80 and xinlian.resident_count >= 295


def test_codes_follow_the_division_rules(demo, db):
    lengths = {"county": 6, "town": 9, "village": 12, "grid": 15, "compound": 17}
    rows = OrgUnit.objects.values_list("code", "kind", "level", "parent__code", "parent__level")
    for code, kind, level, parent, parent_level in rows:
        assert code.isdigit() and code.startswith(parent or "330421")
        if level == Level.MICROGRID:
            assert len(code) == (18 if parent_level == Level.GRID else 20)
            assert kind == ("villager_group" if parent_level == Level.GRID else "stairwell")
        else:
            assert len(code) == lengths[level]
        if level == Level.VILLAGE:
            suffix = int(code[9:])
            assert 1 <= suffix <= 199 if kind == "community" else 201 <= suffix <= 299
    names = Counter(OrgUnit.objects.filter(level=Level.VILLAGE).values_list("parent", "name"))
    assert max(names.values()) == 1
    assert not OrgUnit.objects.filter(level=Level.GRID).annotate(c=Count("children")).filter(c=0).exists()
    assert OrgUnit.objects.filter(level=Level.COMPOUND, parent__parent__kind="community").count() == \
        OrgUnit.objects.filter(level=Level.COMPOUND).count() > 0


def test_every_id_number_is_valid_unique_and_matches_the_person(demo, db):
    seen = set()
    for r in Resident.objects.all():
        number = r.id_number_plain()
        assert normalise_id_number(number) == number
        assert id_number_birth_date(number) == r.birth_date
        assert id_number_sex(number) == r.sex
        assert (number[:6] == "330421") or r.residence == Registration.FLOATING or number[:4] == "3304"
        if r.residence == Registration.FLOATING:
            assert number[:2] != "33"
        seen.add(number)
    assert len(seen) == Resident.objects.count()


def test_people_look_like_a_county(demo, db):
    residents = Resident.objects.count()
    floating = Resident.objects.filter(residence=Registration.FLOATING).count()
    assert 14_000 <= residents <= 18_000
    assert 0.4 <= floating / residents <= 0.6
    kinds = set(Household.objects.values_list("registration", flat=True))
    assert kinds == {Registration.REGISTERED, Registration.FLOATING, Registration.MIXED}
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in Resident.objects.values_list("name", flat=True))
    tags = dict(Resident.objects.values_list("tags__code").annotate(n=Count("id")))
    assert {"elderly_alone", "disabled", "low_income", "veteran", "party_member"} <= set(tags)
    assert tags["party_member"] < residents * 0.15
    heads = Resident.objects.filter(relation="head")
    assert heads.count() == Household.objects.count()
    assert not heads.filter(phone_enc="").exists()
    assert not Resident.objects.exclude(phone_enc="").filter(birth_date__year__gt=2007).exists()
    assert CadreRegistration.objects.count() > 0


def test_households_locate_to_their_own_micro_grid(demo, db):
    rows = list(Household.objects.values_list("lat", "lon", "micro_grid_id"))
    assert locate_ids([(lat, lon) for lat, lon, _ in rows]) == [mg for _, _, mg in rows]


def test_children_lie_inside_parents_and_siblings_do_not_overlap(demo, db):
    rng = random.Random(7)
    parents = [p for lv in (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.GRID, Level.COMPOUND)
               for p in rng.sample(list(OrgUnit.objects.filter(level=lv)), k=min(4, OrgUnit.objects.filter(
                   level=lv).count()))]
    for parent in parents:
        children = list(parent.children.all())
        assert children
        for child in children:
            check_boundary(label=child.name, boundary=child.boundary, parent=parent,
                           siblings=[c for c in children if c.pk != child.pk])
        union = unary_union([parse_polygon(c.boundary) for c in children])
        outer = parse_polygon(parent.boundary)
        assert area_m2(outer.symmetric_difference(union)) < 1.0  # the children tile the parent


def test_the_county_is_where_jiashan_is(demo, db):
    county = OrgUnit.objects.get(level=Level.COUNTY)
    assert 480e6 < area_m2(parse_polygon(county.boundary)) < 530e6
    assert abs(county.centre_lat - 30.841) < 0.02 and abs(county.centre_lon - 120.925) < 0.02


def test_central_households_look_after_up_to_ten_in_their_micro_grid(demo, db):
    centrals = list(CentralHousehold.objects.select_related("household", "leader")
                    .annotate(n=Count("members")))
    assert centrals
    for ch in centrals:
        assert ch.n <= 10
        assert ch.leader.household_id == ch.household_id
        assert ch.leader.tags.filter(code="party_member").exists()
    stray = Household.objects.exclude(central_household=None).exclude(
        micro_grid=F("central_household__household__micro_grid"))
    assert not stray.exists()
    linked = Household.objects.exclude(central_household=None).count()
    assert linked + len(centrals) == Household.objects.count()  # 1:10, everyone covered


def test_rollups_equal_real_counts(demo, db):
    units = list(OrgUnit.objects.filter(level__in=[Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.GRID]))
    for u in units:
        hh = Household.objects.filter(micro_grid__path__startswith=u.path)
        res = Resident.objects.filter(household__micro_grid__path__startswith=u.path, status=ResidentStatus.ACTIVE)
        workers = Post.objects.filter(unit__path__startswith=u.path, role=Role.GRID_WORKER)
        assert (u.household_count, u.resident_count, u.floating_count, u.grid_worker_count) == (
            hh.count(), res.count(), res.filter(residence=Registration.FLOATING).count(), workers.count()), u.code


def test_every_unit_is_staffed(demo, db):
    for grid in OrgUnit.objects.filter(level=Level.GRID):
        roles = set(grid.posts.values_list("role", flat=True))
        assert {Role.GRID_HEAD, Role.GRID_WORKER} <= roles, grid.code
    heads = Post.objects.filter(role=Role.MICROGRID_HEAD).select_related("resident__household", "unit")
    assert heads.count() == OrgUnit.objects.filter(level=Level.MICROGRID).count()
    for post in heads:
        assert post.resident.household.micro_grid_id == post.unit_id
    for village in OrgUnit.objects.filter(level=Level.VILLAGE):
        assert village.posts.filter(role=Role.VILLAGE_CADRE).count() == 5
    assert Department.objects.count() >= 20
    assert Post.objects.filter(role=Role.DEPARTMENT_STAFF, department__name="公安局").exists()
    assert Post.objects.filter(role=Role.MEDIATOR).count() >= 3
    assert not User.objects.filter(is_superuser=True).exists()


def test_the_printed_staff_logins_work(demo, db):
    for login in DEMO_LOGINS:
        user = staff_authenticate(username=login["username"], password=DEMO_PASSWORD)
        assert Post.objects.filter(user=user, role=login["role"], unit__code=login["unit"]).exists(), login
    with pytest.raises(LoginError):
        staff_authenticate(username="worker_a", password="wrong-password")
    # Everyone else follows the documented scheme: ts<town>-<n>, gw<town><village><grid>, ...
    for username, role in [("ts112-2", Role.TOWN_STAFF), ("gw111001001", Role.GRID_WORKER),
                           ("vc112201-2", Role.VILLAGE_CADRE), ("gh112201001", Role.GRID_HEAD)]:
        user = staff_authenticate(username=username, password=DEMO_PASSWORD)
        assert user.posts.get().role == role


def test_grid_worker_a_sees_grid_a_but_not_grid_b(demo, db):
    a = User.objects.get(username="worker_a")
    b = User.objects.get(username="worker_b")
    grid_a, grid_b = OrgUnit.objects.get(code="330421112201001"), OrgUnit.objects.get(code="330421112201002")
    assert scopes.may(a, "people.view", grid_a) and not scopes.may(a, "people.view", grid_b)
    assert scopes.may(b, "people.view", grid_b) and not scopes.may(b, "people.view", grid_a)
    town = User.objects.get(username="town")
    assert scopes.may(town, "people.view", grid_a)
    assert not scopes.may(town, "people.view", OrgUnit.objects.get(name="洋桥村"))


def test_the_printed_resident_phone_logs_in_with_a_code(demo, db):
    phone = demo_logins()[-1]["username"]
    assert phone == demo["logins"][-1]["username"] and re.fullmatch(r"1[3-9]\d{9}", phone)
    otp_request(phone=phone)
    code = re.search(r"\d{6}", MemoryBackend.outbox[-1][1]).group()
    user = otp_login(phone=phone, code=code)
    assert user.resident.household.number == "330421112201001001-001"


def test_each_phase_is_audited(demo, db):
    phases = set(AuditEntry.objects.filter(action="demo.load", object_type="demo").values_list("object_id",
                                                                                                flat=True))
    assert phases == {"units", "staff", "people", "rollups"}


def test_reset_empties_the_county_but_keeps_reference_data(demo, db):
    from django.apps import apps

    from shanzhi.demo.reset import existing_rows, tables_to_empty

    emptied = set(tables_to_empty())
    kept = [m for m in apps.get_models() if m._meta.db_table not in emptied and m._meta.managed]
    before = {m: m.objects.count() for m in kept}
    assert before[CareTag] == len(DEFAULT_CARE_TAGS)
    reset_database()
    assert existing_rows() == {}
    assert not AuditEntry.objects.exists() and not Post.objects.exists()
    assert {m: m.objects.count() for m in kept} == before  # care tags, content types, seeded catalogues
