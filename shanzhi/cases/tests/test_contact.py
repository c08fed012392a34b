"""The worker's case page: the call button (the reporter's phone through the audited reveal) and the
link that opens the case's place in the phone's map app."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.cases import contact
from shanzhi.cases.models import Category, Channel, Kind
from shanzhi.cases.services import case_report
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied, RateLimited
from shanzhi.lib.testing import PASSWORD, point_in
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

pytestmark = pytest.mark.django_db


def call_url(case) -> str:
    return reverse("cases:call_reporter", args=[case.number])


def detail_url(case) -> str:
    return reverse("cases:staff_detail", args=[case.number])


def reveals(action: str = "people.reveal.phone"):
    return AuditEntry.objects.filter(action=action, object_type="cases.case")


@pytest.fixture
def hotline_case(county, at_wednesday):
    """An anonymous caller's report, taken on the hotline by grid worker A, with the caller's phone."""
    lat, lon = point_in(2, 5)
    return case_report(actor=county.worker_a, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"),
                       description="桥头垃圾", channel=Channel.HOTLINE, lat=lat, lon=lon, anonymous=True,
                       reporter_name="", reporter_phone="13900000009", address="新联村桥头(东)")


@pytest.fixture
def mediator(county):
    from shanzhi.accounts.services import user_create_staff

    user = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员",
                             check_strength=False)
    post_appoint(actor=None, unit=county.village, role=Role.MEDIATOR, user=user, start_date=dt.date(2024, 1, 1))
    return user


# --- the page ------------------------------------------------------------------------------------

def test_the_handler_sees_a_call_button_and_no_full_number(client, county, report):
    case = report()
    client.force_login(county.worker_a)
    html = client.get(detail_url(case)).content.decode()
    assert 'id="call-reporter"' in html and f'action="{call_url(case)}"' in html
    assert "13800000001" not in html and "tel:" not in html
    assert not reveals().exists()  # opening the page reveals nothing


def test_calling_reveals_the_phone_once_with_a_tel_link_and_an_audit_row(client, county, report):
    case = report()
    client.force_login(county.worker_a)
    response = client.post(call_url(case), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:13800000001"' in html
    row = reveals().get()
    assert row.actor_id == county.worker_a.pk and row.object_id == str(case.pk)
    assert row.reason == contact.CALL_REASON and row.unit_path == case.handling_unit.path
    assert "13800000001" not in client.get(detail_url(case)).content.decode()  # shown once, not kept


def test_without_script_the_call_answers_with_the_case_page_and_the_tel_link(client, county, report):
    case = report()
    client.force_login(county.worker_a)
    response = client.post(call_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:13800000001"' in html and case.description in html


def test_worker_b_cannot_reveal_grid_a_reporters_phone(client, county, report):
    case = report()
    client.force_login(county.worker_b)
    response = client.post(call_url(case))
    assert response.status_code == 404
    assert "13800000001" not in response.content.decode()
    assert not reveals().exists()
    refused = AuditEntry.objects.get(action="people.reveal.refused", object_id=str(case.pk))
    assert refused.actor_id == county.worker_b.pk and refused.after["status"] == 404


def test_one_who_sees_the_case_but_may_not_handle_it_is_refused(county, report, mediator):
    case = report()
    with pytest.raises(PermissionDenied):
        contact.case_reporter_phone_reveal(actor=mediator, case=case)
    assert AuditEntry.objects.get(action="people.reveal.refused", object_id=str(case.pk)).after["status"] == 403


def test_a_viewer_who_may_not_handle_gets_no_call_button(client, county, report, mediator):
    case = report()
    client.force_login(mediator)
    html = client.get(detail_url(case)).content.decode()
    assert 'id="call-reporter"' not in html


def test_a_resident_cannot_call_through_the_staff_page(client, county, report):
    case = report()
    client.force_login(county.resident_user)
    assert client.post(call_url(case)).status_code == 404


def test_an_anonymous_callers_phone_is_revealed_and_audited_the_same(client, county, hotline_case):
    client.force_login(county.worker_a)
    html = client.get(detail_url(hotline_case)).content.decode()
    assert "139****0009" in html and "13900000009" not in html
    response = client.post(call_url(hotline_case), HTTP_HX_REQUEST="true")
    assert 'href="tel:13900000009"' in response.content.decode()
    row = reveals().get()
    assert row.after == {"field": "reporter_phone", "anonymous": True}


def test_the_reveal_needs_a_reason(county, report):
    case = report()
    with pytest.raises(DomainError) as exc:
        contact.case_reporter_phone_reveal(actor=county.worker_a, case=case, reason="  1 ")
    assert "reason" in exc.value.fields
    assert not reveals().exists()


def test_call_reveals_count_against_the_hourly_reveal_limit(settings, county, report):
    settings.SHANZHI = {**settings.SHANZHI, "REVEAL_LIMIT_PER_HOUR": 2}
    case = report()
    for _ in range(2):
        assert contact.case_reporter_phone_reveal(actor=county.worker_a, case=case) == "13800000001"
    with pytest.raises(RateLimited):
        contact.case_reporter_phone_reveal(actor=county.worker_a, case=case)
    assert reveals().count() == 2
    assert AuditEntry.objects.get(action="people.reveal.refused").after["status"] == 429


def test_a_case_with_no_phone_offers_no_call(client, county, at_wednesday):
    case = case_report(actor=county.worker_a, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"),
                       description="巡查发现", channel=Channel.PATROL, lat=point_in(2, 5)[0], lon=point_in(2, 5)[1])
    client.force_login(county.worker_a)
    assert 'id="call-reporter"' not in client.get(detail_url(case)).content.decode()
    with pytest.raises(DomainError):
        contact.case_reporter_phone_reveal(actor=county.worker_a, case=case)
    assert client.post(call_url(case)).status_code == 400


def test_missing_cases_answer_404(client, county):
    client.force_login(county.worker_a)
    assert client.post("/cases/staff/330421-20260101-99999/call/").status_code == 404
    with pytest.raises(NotFound):
        from shanzhi.cases.selectors import case_get_for

        case_get_for(user=county.worker_a, number_or_id="nope")


# --- the map app link ------------------------------------------------------------------------------

def test_the_case_page_opens_the_place_in_the_phones_map_app(client, county, hotline_case):
    client.force_login(county.worker_a)
    html = client.get(detail_url(hotline_case)).content.decode()
    lat, lon = f"{hotline_case.lat:.6f}", f"{hotline_case.lon:.6f}"
    link = re.search(r'id="open-map" href="([^"]+)"', html).group(1)
    assert link.startswith(f"geo:{lat},{lon}?q={lat},{lon}(")
    assert link.endswith(")") and "%E6%96%B0%E8%81%94%E6%9D%91" in link  # 新联村, encoded
    assert "(东)" not in link  # the label's own brackets cannot end the geo label early
    assert 'id="open-map-provider"' not in html  # no provider configured


def test_a_configured_map_provider_gets_its_own_link(client, settings, county, hotline_case):
    settings.SHANZHI = {**settings.SHANZHI,
                        "MAP_LINK": "https://uri.amap.com/marker?position={lon},{lat}&name={label}"}
    client.force_login(county.worker_a)
    html = client.get(detail_url(hotline_case)).content.decode()
    lat, lon = f"{hotline_case.lat:.6f}", f"{hotline_case.lon:.6f}"
    link = re.search(r'id="open-map-provider" href="([^"]+)"', html).group(1)
    assert link.startswith(f"https://uri.amap.com/marker?position={lon},{lat}&amp;name=%E6%96%B0")


def test_a_broken_provider_template_gives_no_provider_link_and_no_error(settings, hotline_case):
    settings.SHANZHI = {**settings.SHANZHI, "MAP_LINK": "https://example.cn/?p={latitude}"}
    links = contact.map_links(hotline_case)
    assert set(links) == {"geo"}


def test_a_case_without_a_place_has_no_map_link(client, county, at_wednesday):
    case = case_report(actor=county.worker_a, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"),
                       description="电话反映", channel=Channel.HOTLINE, address="新联村", reporter_phone="13900000009",
                       handling_unit=county.grid_a)
    client.force_login(county.worker_a)
    assert client.get(detail_url(case)).status_code == 200
    assert contact.map_links(case) == {}
