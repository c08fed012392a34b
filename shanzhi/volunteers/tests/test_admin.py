"""百事服务团 in the admin: configuration editable by superusers, the ledger read-only for everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_create_staff
from shanzhi.lib.testing import PASSWORD
from shanzhi.volunteers.models import Account, Entry, EntryKind, StoreItem, Volunteer, VolunteerStatus

pytestmark = pytest.mark.django_db
WHEN = timezone.make_aware(dt.datetime(2026, 11, 2, 10))


def staff(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def rows(county):
    a = Account.objects.create(resident=county.resident, name="张三", village=county.village, code="acc-a",
                               created_at=WHEN)
    c = Account.objects.create(resident=county.resident_c, name="赵六", village=county.village2, code="acc-c",
                               created_at=WHEN)
    ea = Entry.objects.create(account=a, kind=EntryKind.SERVICE, hours=2, points=20, village=county.village,
                              at=WHEN, source="request:990001", created_at=WHEN)
    Entry.objects.create(account=c, kind=EntryKind.SERVICE, hours=3, points=30, village=county.village2, at=WHEN,
                         source="request:990002", created_at=WHEN)
    Volunteer.objects.create(resident=county.resident, name="张三", village=county.village,
                             status=VolunteerStatus.ACTIVE, applied_at=WHEN, updated_at=WHEN)
    Volunteer.objects.create(resident=county.resident_c, name="赵六", village=county.village2,
                             status=VolunteerStatus.ACTIVE, applied_at=WHEN, updated_at=WHEN)
    StoreItem.objects.create(village=county.village, name="洗衣液", price=50, stock=3, created_at=WHEN)
    return ea


@pytest.fixture
def root(county) -> User:
    return user_create_staff(actor=None, username="root", password=PASSWORD, is_superuser=True,
                             check_strength=False)


def test_every_list_opens_for_a_superuser(client, rows, root):
    client.force_login(root)
    for name in ("skill", "civicact", "pointsrule", "storeitem", "volunteer", "entry"):
        assert client.get(f"/admin/volunteers/{name}/").status_code == 200, name
    assert client.get("/admin/volunteers/skill/add/").status_code == 200


def test_the_ledger_cannot_be_changed_or_deleted_even_by_a_superuser(client, rows, root):
    client.force_login(root)
    url = f"/admin/volunteers/entry/{rows.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="points"' not in page.content  # shown, not a form field
    client.post(url, {"points": "9999", "hours": "99"})
    stored = Entry.objects.get(pk=rows.pk)
    assert (stored.points, stored.hours) == (20, 2)
    assert client.get(f"/admin/volunteers/entry/{rows.pk}/delete/").status_code == 403
    assert client.get("/admin/volunteers/entry/add/").status_code == 403
    assert Entry.objects.count() == 2


def test_town_staff_see_only_their_towns_entries_and_volunteers(client, county, rows):
    client.force_login(staff(county.town_staff))
    html = client.get("/admin/volunteers/entry/").content.decode()
    assert "request:990001" in html and "request:990002" not in html
    html = client.get("/admin/volunteers/volunteer/").content.decode()
    assert "张三" in html and "赵六" not in html
    other = Entry.objects.get(source="request:990002")
    assert client.get(f"/admin/volunteers/entry/{other.pk}/change/").status_code == 302  # as a missing row


def test_the_points_rule_is_edited_by_a_superuser_and_audited(client, county, root):
    from shanzhi.audit.models import AuditEntry
    from shanzhi.volunteers.models import PointsRule

    rule = PointsRule.objects.get()
    client.force_login(root)
    res = client.post(f"/admin/volunteers/pointsrule/{rule.pk}/change/",
                      {"points_per_hour": "12", "max_hours_per_service": "6.0"})
    assert res.status_code == 302
    rule.refresh_from_db()
    assert rule.points_per_hour == 12
    assert AuditEntry.objects.filter(action="admin.volunteers.pointsrule.change").exists()
