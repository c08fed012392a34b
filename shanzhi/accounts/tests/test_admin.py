"""The Django admin: only is_staff users, rows filtered by scope, no add or delete, audited edits."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.testing import ID_RESIDENT, PASSWORD
from shanzhi.people.models import Household, Resident

HOUSEHOLDS = "/admin/people/household/"


def admin_site_for(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def root(county) -> User:
    return user_create_staff(actor=None, username="root", password=PASSWORD, is_superuser=True,
                             check_strength=False)


def test_staff_without_the_admin_flag_cannot_open_the_admin(client, county):
    client.force_login(county.admin)
    res = client.get("/admin/")
    assert res.status_code == 302
    assert res["Location"].startswith("/admin/login/")


def test_town_staff_see_only_their_towns_households(client, county):
    client.force_login(admin_site_for(county.town_staff))
    html = client.get(HOUSEHOLDS).content.decode()
    assert county.household_a.number in html
    assert county.household_b.number in html
    assert county.household_c.number not in html


def test_a_grid_worker_sees_only_their_grid(client, county):
    client.force_login(admin_site_for(county.worker_a))
    html = client.get("/admin/people/resident/").content.decode()
    assert county.resident.name in html
    assert county.resident_b.name not in html
    assert county.resident_c.name not in html


def test_the_county_admin_sees_every_town(client, county):
    client.force_login(admin_site_for(county.admin))
    html = client.get(HOUSEHOLDS).content.decode()
    assert county.household_a.number in html and county.household_c.number in html


def test_an_out_of_scope_row_answers_like_a_missing_one(client, county):
    client.force_login(admin_site_for(county.town_staff))
    out = client.get(f"{HOUSEHOLDS}{county.household_c.pk}/change/")
    missing = client.get(f"{HOUSEHOLDS}999999/change/")
    assert out.status_code == missing.status_code == 302
    assert out["Location"] == missing["Location"] == "/admin/"
    assert client.get(f"{HOUSEHOLDS}{county.household_a.pk}/change/").status_code == 200


def test_units_are_scoped_too(client, county):
    client.force_login(admin_site_for(county.worker_a))
    html = client.get("/admin/org/orgunit/").content.decode()
    assert county.grid_a.code in html
    assert county.grid_b.code not in html
    assert client.get(f"/admin/org/orgunit/{county.town.pk}/change/").status_code == 302


def test_a_non_superuser_may_look_but_not_change(client, county):
    client.force_login(admin_site_for(county.town_staff))
    url = f"{HOUSEHOLDS}{county.household_a.pk}/change/"
    html = client.get(url).content.decode()
    assert 'name="_save"' not in html
    res = client.post(url, {"address": "改过的地址", "registration": "registered"})
    assert res.status_code == 403
    assert Household.objects.get(pk=county.household_a.pk).address == county.household_a.address


def test_nobody_adds_or_deletes_registry_rows(client, county, root):
    client.force_login(root)
    assert client.get(f"{HOUSEHOLDS}add/").status_code == 403
    assert client.get(f"{HOUSEHOLDS}{county.household_a.pk}/delete/").status_code == 403
    assert client.get(f"/admin/org/post/{county.admin.posts.first().pk}/change/").status_code == 200
    assert client.get("/admin/org/orgunit/add/").status_code == 403


def test_encrypted_and_hashed_values_never_show(client, county, root):
    client.force_login(root)
    r = Resident.objects.get(pk=county.resident.pk)
    for url in ("/admin/people/resident/", f"/admin/people/resident/{r.pk}/change/"):
        html = client.get(url).content.decode()
        assert r.id_number_masked in html
        assert ID_RESIDENT not in html
        for secret in (r.id_number_enc, r.id_number_hash, r.phone_enc, r.phone_hash, "13800000001"):
            assert secret not in html


def test_a_superuser_edit_goes_through_the_service_and_is_audited(client, county, root):
    client.force_login(root)
    h = county.household_a
    url = f"{HOUSEHOLDS}{h.pk}/change/"
    res = client.post(url, {"address": "新联村一组2号", "registration": h.registration,
                            "lat": h.lat, "lon": h.lon, "_save": "1"})
    assert res.status_code == 302
    assert Household.objects.get(pk=h.pk).address == "新联村一组2号"
    entry = AuditEntry.objects.filter(action="people.household.update").get()
    assert entry.actor == root
    assert entry.before["address"] == "新联村一组1号" and entry.after["address"] == "新联村一组2号"


def test_a_refused_superuser_edit_is_explained_and_writes_nothing(client, county, root):
    client.force_login(root)
    h = county.household_a
    before = AuditEntry.objects.count()
    res = client.post(f"{HOUSEHOLDS}{h.pk}/change/", {"address": "新联村一组2号", "registration": h.registration,
                                                      "lat": 95, "lon": h.lon, "_save": "1"}, follow=True)
    assert res.status_code == 200
    assert Household.objects.get(pk=h.pk).address == "新联村一组1号"
    assert AuditEntry.objects.count() == before
    assert "纬度" in res.content.decode()


def test_a_unit_rename_in_the_admin_uses_the_rename_service(client, county, root):
    client.force_login(root)
    res = client.post(f"/admin/org/orgunit/{county.grid_a.pk}/change/", {"name": "新联村第一网格（东）",
                                                                          "_save": "1"})
    assert res.status_code == 302
    entry = AuditEntry.objects.get(action="org.unit.rename")
    assert entry.after["name"] == "新联村第一网格（东）" and entry.before["name"] == "新联村第一网格"


def test_accounts_are_scoped_and_can_be_unlocked_from_the_admin(client, county):
    from shanzhi.accounts.tests.test_commands import lock, locked

    client.force_login(admin_site_for(county.town_staff))
    html = client.get("/admin/accounts/user/").content.decode()
    assert "worker_a" in html and "worker_c" not in html
    lock("worker_a")
    res = client.post("/admin/accounts/user/", {"action": "unlock", "_selected_action": [county.worker_a.pk]})
    assert res.status_code == 302
    assert not locked("worker_a")
    assert AuditEntry.objects.filter(action="accounts.user.unlock", actor=county.town_staff).count() == 1


def test_the_audit_log_is_view_only_even_for_superusers(client, county, root):
    client.force_login(root)
    entry = AuditEntry.objects.first()
    url = f"/admin/audit/auditentry/{entry.pk}/change/"
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"action": "x"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = site._registry[AuditEntry]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_only_county_admins_see_the_audit_log_in_the_admin(client, county):
    client.force_login(admin_site_for(county.town_staff))
    assert client.get("/admin/audit/auditentry/").status_code == 403
    client.force_login(admin_site_for(county.admin))
    assert client.get("/admin/audit/auditentry/").status_code == 200
