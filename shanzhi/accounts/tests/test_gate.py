"""The one gate (accounts.scopes.require): 404 before 400 before 403, for every kind of holder."""

import datetime as dt

import pytest

from shanzhi.accounts import scopes
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.models import Department, Role
from shanzhi.org.services import post_appoint


def _closed():
    raise DomainError("已结束", code="closed")


def test_out_of_scope_is_not_found_before_the_state_is_looked_at(county):
    with pytest.raises(NotFound):
        scopes.require(county.worker_b, "people.change", county.mg_a1, what="该户", state=_closed)


def test_in_scope_in_a_wrong_state_is_a_state_error_before_a_role_error(county):
    # worker_a sees grid A's units but may not change them: the state is still reported first
    with pytest.raises(DomainError) as exc:
        scopes.require(county.worker_a, "org.change", county.grid_a, state=_closed)
    assert exc.value.code == "closed"


def test_visible_but_not_allowed_is_forbidden(county):
    with pytest.raises(PermissionDenied):
        scopes.require(county.worker_a, "org.change", county.grid_a)
    scopes.require(county.town_staff, "org.change", county.grid_a)  # allowed: no exception


def test_an_object_grant_opens_what_the_scope_does_not(county):
    scopes.require(county.worker_b, "cases.handle", county.mg_a1, granted=True)
    with pytest.raises(NotFound):
        scopes.require(county.worker_b, "cases.handle", county.mg_a1)


def test_the_system_passes_the_scope_but_not_the_state(county):
    scopes.require(None, "org.change", county.grid_a)
    with pytest.raises(DomainError):
        scopes.require(None, "org.change", county.grid_a, state=_closed)


def test_a_target_outside_the_scope_is_refused_naming_the_field(county):
    with pytest.raises(DomainError) as exc:
        scopes.require_target(county.town_staff, "cases.dispatch", county.grid_c, field="unit", message="不可派往")
    assert exc.value.fields == {"unit": ["不可派往"]} and exc.value.status == 400
    scopes.require_target(county.town_staff, "cases.dispatch", county.grid_a, field="unit", message="不可派往")


def test_a_resident_held_post_gives_the_same_scope_as_a_user_held_one(county):
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, resident=county.resident,
                 start_date=dt.date(2024, 1, 1))
    scopes.forget(county.resident_user)
    assert scopes.may(county.resident_user, "people.view", county.mg_a1)
    assert not scopes.may(county.resident_user, "people.view", county.mg_a2)


def test_a_department_post_grants_its_department_under_its_unit_only(county):
    dept = Department.objects.create(code="zjj", name="住建局", unit=county.county)
    from shanzhi.accounts.services import user_create_staff

    clerk = user_create_staff(actor=None, username="clerk", password="x-Shanzhi-2026", display_name="镇住建",
                              check_strength=False)
    post_appoint(actor=None, unit=county.town, role=Role.DEPARTMENT_STAFF, user=clerk, department=dept,
                 start_date=dt.date(2024, 1, 1))
    assert scopes.may_department(clerk, dept.pk, county.mg_a1)
    assert not scopes.may_department(clerk, dept.pk, county.mg_c1)  # the other town
    assert not scopes.may_department(clerk, dept.pk + 1, county.mg_a1)


def test_covers_all_only_for_the_whole_tree(county):
    assert scopes.covers_all(county.admin, "org.change")
    assert not scopes.covers_all(county.town_staff, "org.change")


def test_unlocking_follows_the_appointing_scope_for_superusers_and_county_admins_alike(county):
    from shanzhi.accounts.services import user_create_staff, user_unlock

    loose = user_create_staff(actor=None, username="nopost", password="x-Shanzhi-2026", check_strength=False)
    root = user_create_staff(actor=None, username="root", password="x-Shanzhi-2026", is_superuser=True,
                             check_strength=False)
    for actor in (root, county.admin):  # both cover the whole tree
        user_unlock(actor=actor, user=loose)
    user_unlock(actor=county.town_staff, user=county.worker_a)
    with pytest.raises(NotFound):
        user_unlock(actor=county.town_staff, user=county.worker_c)
    with pytest.raises(NotFound):
        user_unlock(actor=county.town_staff, user=loose)


def test_path_q_limits_rows_that_carry_a_unit_path(county):
    from shanzhi.audit.models import AuditEntry

    town = AuditEntry.objects.filter(scopes.path_q(county.town_staff, "people.view", "unit_path"))
    paths = set(town.values_list("unit_path", flat=True))
    assert paths and all(p.startswith(county.town.path) for p in paths)
    assert not AuditEntry.objects.filter(scopes.path_q(county.resident_user, "people.view", "unit_path")).exists()
