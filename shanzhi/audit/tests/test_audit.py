"""The audit log: who may read it, how it is searched, and that every service write leaves one row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.audit.models import AuditEntry
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.services import orgunit_rename
from shanzhi.people.services import household_update, resident_reveal

PAGE = "/audit/"


@pytest.fixture
def english(client):
    """Ask for English pages; afterwards drop the thread's active language so later tests see Chinese."""
    from django.conf import settings as django_settings
    from django.utils import translation

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    yield
    translation.deactivate()


def shanghai(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args), timezone.get_default_timezone())


# who may read it ---------------------------------------------------------------------------

def test_the_county_admin_reads_the_log(client, county):
    client.force_login(county.admin)
    res = client.get(PAGE)
    assert res.status_code == 200
    assert "org.unit.create" in res.content.decode()


@pytest.mark.parametrize("persona", ["town_staff", "worker_a", "worker_b", "resident_user"])
def test_everyone_else_gets_not_found(client, county, persona):
    client.force_login(getattr(county, persona))
    assert client.get(PAGE).status_code == 404


def test_anonymous_is_sent_to_the_login_page(client, county):
    res = client.get(PAGE)
    assert res.status_code == 302
    assert res["Location"] == "/accounts/login/?next=/audit/"


def test_a_superuser_reads_the_log(client, county):
    from shanzhi.accounts.services import user_create_staff

    root = user_create_staff(actor=None, username="root", password="x", is_superuser=True, check_strength=False)
    client.force_login(root)
    assert client.get(PAGE).status_code == 200


# search ------------------------------------------------------------------------------------

def rows(client, **params) -> str:
    client.force_login(params.pop("user"))
    res = client.get(PAGE, params)
    assert res.status_code == 200
    return res.content.decode()


def test_it_searches_by_actor(client, county):
    household_update(actor=county.worker_a, household=county.household_a, address="新联村一组9号")
    household_update(actor=county.worker_b, household=county.household_b, address="新联村三组9号")
    html = rows(client, user=county.admin, actor="网格员甲")
    assert "新联村一组9号" in html and "新联村三组9号" not in html
    html = rows(client, user=county.admin, actor="worker_b")
    assert "新联村三组9号" in html and "新联村一组9号" not in html


def test_it_searches_by_action_prefix(client, county):
    html = rows(client, user=county.admin, action="people.")
    assert "people.household.create" in html and "people.resident.create" in html
    assert "org.unit.create" not in html
    html = rows(client, user=county.admin, action="people.household")
    assert "people.resident.create" not in html


def test_it_searches_by_object(client, county):
    household_update(actor=county.worker_a, household=county.household_a, address="新联村一组9号")
    html = rows(client, user=county.admin, object_type="people.household", object_id=str(county.household_a.pk))
    assert "people.household.update" in html and "people.household.create" in html
    assert county.household_b.address not in html


def test_it_searches_free_text_in_object_and_reason(client, county):
    resident_reveal(actor=county.worker_a, resident=county.resident, field="phone", reason="核实低保申请")
    html = rows(client, user=county.admin, q="低保")
    assert "people.reveal.phone" in html and "核实低保申请" in html
    assert "org.unit.create" not in html
    html = rows(client, user=county.admin, q="洋桥")
    assert "洋桥村" in html and "天凝镇" not in html


def test_dates_are_whole_days_in_shanghai(client, county):
    # 00:30 on 2 March in Shanghai is still 1 March in UTC.
    with clock.frozen(shanghai(2026, 3, 2, 0, 30)):
        household_update(actor=county.worker_a, household=county.household_a, address="三月二日地址")
    with clock.frozen(shanghai(2026, 3, 3, 23, 59)):
        household_update(actor=county.worker_a, household=county.household_a, address="三月三日地址")
    after2, after3 = 'class="after">三月二日地址', 'class="after">三月三日地址'
    html = rows(client, user=county.admin, date_from="2026-03-02", date_to="2026-03-02")
    assert after2 in html and after3 not in html
    html = rows(client, user=county.admin, date_from="2026-03-01", date_to="2026-03-01")
    assert after2 not in html
    html = rows(client, user=county.admin, date_from="2026-03-03")
    assert after3 in html and after2 not in html


def test_a_backwards_date_range_is_explained(client, county):
    html = rows(client, user=county.admin, date_from="2026-03-03", date_to="2026-03-01")
    assert "结束日期早于开始日期" in html
    assert "org.unit.create" not in html


def test_newest_first_with_before_and_after(client, county):
    with clock.frozen(shanghai(2030, 1, 1, 8, 0)):
        household_update(actor=county.worker_a, household=county.household_a, address="新联村一组9号")
    html = rows(client, user=county.admin)
    first = html.index("people.household.update")
    assert first < html.index("people.household.create")
    assert "新联村一组1号" in html[first:] and "新联村一组9号" in html[first:]
    assert "2030-01-01 08:00:00" in html


def test_it_pages_with_constant_queries(client, county):
    client.force_login(county.admin)
    with CaptureQueriesContext(connection) as small:
        client.get(PAGE)
    for i in range(60):
        orgunit_rename(actor=county.admin, unit=county.grid_a, name=f"第一网格{i}")
    with CaptureQueriesContext(connection) as big:
        first = client.get(PAGE).content.decode()
    assert len(big) == len(small)
    assert "第一网格59" in first and "第一网格0<" not in first
    total = AuditEntry.objects.count()
    second = client.get(PAGE, {"page": 2}).content.decode()
    assert f"共 {total} 条记录" in second
    assert "第 2 / 2 页" in second


def test_the_page_in_english(client, county, english):
    html = rows(client, user=county.admin)
    assert "Audit log" in html


# the log itself ----------------------------------------------------------------------------

def test_entries_refuse_update_and_delete(county):
    entry = AuditEntry.objects.first()
    entry.reason = "tampered"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_a_successful_write_leaves_exactly_one_row(county):
    before = AuditEntry.objects.count()
    household_update(actor=county.worker_a, household=county.household_a, address="新联村一组9号")
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.actor == county.worker_a
    assert entry.actor_label == "网格员甲"
    assert entry.action == "people.household.update"
    assert entry.object_type == "people.household" and entry.object_id == str(county.household_a.pk)
    assert entry.before == {**entry.before, "address": "新联村一组1号"}
    assert entry.after["address"] == "新联村一组9号"
    assert entry.unit_path == county.mg_a1.path


def test_a_refused_write_leaves_no_row(county):
    before = AuditEntry.objects.count()
    with pytest.raises(NotFound):  # grid B's worker, household of grid A
        household_update(actor=county.worker_b, household=county.household_a, address="新联村一组9号")
    with pytest.raises(DomainError):  # bad input
        household_update(actor=county.worker_a, household=county.household_a, address="  ")
    assert AuditEntry.objects.count() == before


def test_the_row_is_rolled_back_with_the_change(county):
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError), transaction.atomic():
        household_update(actor=county.worker_a, household=county.household_a, address="新联村一组9号")
        raise DomainError("后续步骤失败")
    assert AuditEntry.objects.count() == before
    county.household_a.refresh_from_db()
    assert county.household_a.address == "新联村一组1号"


def test_a_record_names_the_system_when_there_is_no_actor(county):
    with transaction.atomic():
        entry = audit_record(actor=None, action="test.system", object_type="x", object_id="1")
    assert entry.actor_label == "系统" and entry.actor is None


def test_the_admin_of_another_county_reads_only_that_countys_entries(county):
    from shanzhi.accounts.services import user_create_staff
    from shanzhi.audit.selectors import audit_list_for
    from shanzhi.lib.testing import box
    from shanzhi.org.models import Level, Role
    from shanzhi.org.services import orgunit_create, post_appoint

    nanhu = orgunit_create(actor=None, code="330402", name="南湖区", level=Level.COUNTY, parent=None,
                           boundary=box(50, 0, 60, 10))
    other = user_create_staff(actor=None, username="nanhu", password="x-Shanzhi-2026", check_strength=False)
    post_appoint(actor=None, unit=nanhu, role=Role.COUNTY_ADMIN, user=other, start_date=dt.date(2024, 1, 1))
    theirs = set(audit_list_for(user=other).values_list("unit_path", flat=True))
    assert theirs and all(p == "" or p.startswith(nanhu.path) for p in theirs)
    ours = set(audit_list_for(user=county.admin).values_list("unit_path", flat=True))
    assert any(p.startswith(county.county.path) for p in ours) and not any(p.startswith(nanhu.path) for p in ours)
