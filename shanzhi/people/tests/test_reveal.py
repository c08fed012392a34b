"""Revealing a full ID number or phone: refusals are audited too, a reason must say something, and a
burst past the hourly limit is refused and flagged to the county admins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Notification
from shanzhi.lib import clock
from shanzhi.lib.errors import RateLimited
from shanzhi.lib.testing import ID_B, ID_RESIDENT
from shanzhi.people import services as svc

AT = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def at_ten():
    with clock.frozen(AT) as now:
        yield now


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def reveal(user, resident_id, field: str = "id_number", reason: str = "核实低保材料"):
    return api(user).post(f"/api/v1/residents/{resident_id}/reveal/", {"field": field, "reason": reason},
                          format="json")


def refusals():
    return list(AuditEntry.objects.filter(action="people.reveal.refused").order_by("id"))


def test_a_refused_reveal_out_of_scope_is_audited_and_answers_like_a_missing_one(county, at_ten):
    missing = reveal(county.worker_b, 999999)
    response = reveal(county.worker_b, county.resident.pk)
    assert response.status_code == 404 and response.json() == missing.json()
    assert ID_RESIDENT not in response.content.decode()
    _missing, refused = refusals()
    assert refused.actor == county.worker_b and refused.object_id == str(county.resident.pk)
    assert refused.reason == "核实低保材料" and refused.after == {"field": "id_number", "refused": "not_found",
                                                              "status": 404}
    assert not AuditEntry.objects.filter(action__in=["people.reveal.id_number", "people.reveal.phone"]).exists()


def test_a_huge_or_odd_id_is_a_404_not_a_server_error(county, at_ten):
    for pk in ["9" * 40, "abc"]:
        assert reveal(county.worker_a, pk).status_code == 404
    assert len(refusals()) == 2


def test_the_residents_own_grid_worker_may_reveal(county, at_ten):
    response = reveal(county.worker_a, county.resident.pk)
    assert response.status_code == 200 and response.json() == {"value": ID_RESIDENT}
    assert refusals() == []


@pytest.mark.parametrize("reason", ["", "   ", "。。。", "，,..!！", "12345", "a", "核"])
def test_a_reason_without_content_is_refused_naming_the_field(county, at_ten, reason):
    response = reveal(county.worker_a, county.resident.pk, reason=reason)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "reason" in error["fields"] and "事由" in error["message"]
    assert ID_RESIDENT not in response.content.decode()


@pytest.mark.parametrize("reason", ["核实", "ok", "1号楼 低保复核"])
def test_a_short_reason_with_words_is_enough(county, at_ten, reason):
    assert reveal(county.worker_a, county.resident.pk, reason=reason).status_code == 200


def test_twenty_reveals_an_hour_are_allowed_and_the_21st_is_refused_and_flagged_once(county, at_ten):
    for i in range(20):
        field = "phone" if i % 2 else "id_number"
        assert reveal(county.worker_a, county.resident.pk, field=field).status_code == 200, i
    burst = reveal(county.worker_a, county.neighbour.pk)
    assert burst.status_code == 429
    error = burst.json()["error"]
    assert error["code"] == "rate_limited" and "一小时内" in error["message"] and "20" in error["message"]
    assert "330421198502022223" not in burst.content.decode()
    assert reveal(county.worker_a, county.neighbour.pk).status_code == 429  # still refused, not flagged again
    flags = list(Notification.objects.filter(kind="reveal_burst"))
    assert [(n.user, n.case) for n in flags] == [(county.admin, None)]
    assert "网格员甲" in flags[0].text
    inbox = Client()
    inbox.force_login(county.admin)
    assert flags[0].text in inbox.get(reverse("cases:inbox")).content.decode()
    assert [r.after["refused"] for r in refusals()] == ["rate_limited", "rate_limited"]
    # Town staff are not county admins: they are not told.
    assert not Notification.objects.filter(user=county.town_staff).exists()
    # Another worker is unaffected, and is not flagged.
    assert reveal(county.worker_b, county.resident_b.pk).json() == {"value": ID_B}
    assert Notification.objects.filter(kind="reveal_burst").count() == 1


def test_the_limit_frees_up_an_hour_later_and_a_new_burst_is_flagged_again(county, at_ten):
    for _ in range(20):
        svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="phone", reason="电话回访")
    with pytest.raises(RateLimited):
        svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="phone", reason="电话回访")
    later = AT + dt.timedelta(hours=1, minutes=1)
    with clock.frozen(later):
        assert svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="phone",
                                   reason="电话回访") == "13800000001"
        for _ in range(19):
            svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="phone", reason="电话回访")
        with pytest.raises(RateLimited):
            svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="phone", reason="电话回访")
    assert Notification.objects.filter(user=county.admin, kind="reveal_burst").count() == 2


def test_the_county_sets_the_limit(county, at_ten, settings):
    settings.SHANZHI = {**settings.SHANZHI, "REVEAL_LIMIT_PER_HOUR": 3}
    for _ in range(3):
        assert reveal(county.worker_a, county.resident.pk).status_code == 200
    response = reveal(county.worker_a, county.resident.pk)
    assert response.status_code == 429 and "3次" in response.json()["error"]["message"]


def test_the_page_says_why_a_reveal_past_the_limit_is_refused(client, county, at_ten, settings):
    settings.SHANZHI = {**settings.SHANZHI, "REVEAL_LIMIT_PER_HOUR": 1}
    client.force_login(county.worker_a)
    url = f"/people/residents/{county.resident.pk}/reveal/"
    assert ID_RESIDENT in client.post(url, {"field": "id_number", "reason": "核实身份"}).content.decode()
    html = client.post(url, {"field": "id_number", "reason": "核实身份"}).content.decode()
    assert "一小时内查看完整信息已达1次上限" in html and ID_RESIDENT not in html
