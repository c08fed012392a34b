"""What a case shows to whom: the REST API gives a resident exactly what the resident pages show, and
staff what the staff pages show. Phone and ID numbers written into text are masked for everyone but
staff and the reporter; an anonymous reporter stays anonymous, on the timeline too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from shanzhi.accounts.models import User, UserKind
from shanzhi.cases import services as svc
from shanzhi.lib.testing import ID_NEIGHBOUR, report_case
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

BASE = "/api/v1/cases/"
WORDS = f"路灯坏了，请打13800000002，身份证{ID_NEIGHBOUR}"
MASKED = "路灯坏了，请打138****0002，身份证330421********2223"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def page(user, name: str, *args) -> str:
    client = Client()
    client.force_login(user)
    resp = client.get(reverse(name, args=args))
    assert resp.status_code == 200
    return resp.content.decode()


@pytest.fixture
def neighbour_user(county):
    return User.objects.create(username="neighbour", kind=UserKind.RESIDENT, display_name="李梅",
                               resident=county.neighbour)


@pytest.fixture
def followed(county, neighbour_user, at_wednesday):
    """李梅's public case in 新联村 with her phone and ID in it, followed by 张三 (the resident persona)."""
    case = report_case(county, actor=neighbour_user, description=WORDS, address="一组5号旁")
    svc.case_follow(actor=county.resident_user, case=case)
    return case


def test_a_follower_gets_from_the_api_what_the_resident_page_shows(county, followed):
    body = api(county.resident_user).get(f"{BASE}{followed.number}/").json()
    html = page(county.resident_user, "cases:detail_resident", followed.number)
    assert body["description"] == MASKED and MASKED in html
    assert "13800000002" not in html and ID_NEIGHBOUR not in html
    assert body["reporter_name"] == "李某" and "李某" in html and "李梅" not in html
    # The page shows the unit, not the reporter's address or point; no staff ids or triage fields.
    assert body["unit_name"] == county.mg_a1.name and "一组5号旁" not in html
    assert body["address"] == "" and body["lat"] is None and body["lon"] is None
    assert body["assignee"] is None and body["assignee_name"] == "网格员甲"
    assert body["priority"] == body["channel"] == body["supervision"] == body["first_level"] == ""
    assert body["first_response_at"] is None and body["escalations"] is None
    assert body["reporter_phone_masked"] == ""


def test_the_list_masks_a_followed_case_the_same_way(county, followed):
    rows = api(county.resident_user).get(BASE).json()["results"]
    assert [(r["number"], r["description"], r["reporter_name"]) for r in rows] == [
        (followed.number, MASKED, "李某")]


def test_the_reporter_sees_their_own_words_and_input(county, followed, neighbour_user):
    body = api(neighbour_user).get(f"{BASE}{followed.number}/").json()
    assert body["description"] == WORDS
    assert body["reporter_name"] == "李梅" and body["address"] == "一组5号旁" and body["lat"] is not None
    assert body["channel"] == "resident"
    assert WORDS in page(neighbour_user, "cases:detail_resident", followed.number)


def test_staff_see_the_full_text_as_their_page_does(county, followed):
    worker = APIClient()
    worker.force_login(county.worker_a)
    body = worker.get(f"{BASE}{followed.number}/").json()
    assert body["description"] == WORDS and body["reporter_name"] == "李梅"
    assert body["assignee"] == county.worker_a.pk and body["address"] == "一组5号旁"
    assert body["priority"] == "normal" and body["first_level"] == "grid"
    html = page(county.worker_a, "cases:staff_detail", followed.number)
    assert "13800000002" in html and ID_NEIGHBOUR in html and "李梅" in html


def test_another_grids_worker_and_a_resident_who_does_not_follow_get_404(county, followed):
    other = User.objects.create(username="rb", kind=UserKind.RESIDENT, display_name="王五", resident=county.resident_b)
    assert api(other).get(f"{BASE}{followed.number}/").status_code == 404
    assert api(other).get(f"{BASE}{followed.number}/timeline/").status_code == 404
    assert api(county.worker_c).get(f"{BASE}{followed.number}/").status_code == 404


def test_an_anonymous_reporter_stays_anonymous_to_followers_on_the_timeline(county, neighbour_user, at_wednesday):
    case = report_case(county, actor=neighbour_user, anonymous=True, code="noise", description="夜里施工很吵")
    svc.case_follow(actor=county.resident_user, case=case)
    follower = api(county.resident_user)
    assert follower.get(f"{BASE}{case.number}/").json()["reporter_name"] == ""
    steps = follower.get(f"{BASE}{case.number}/timeline/").json()
    assert [(s["action"], s["actor"]) for s in steps] == [("report", "居民")]
    html = page(county.resident_user, "cases:detail_resident", case.number)
    assert "匿名" in html and "居民" in html and "李梅" not in html and "李某" not in html
    # The reporter sees herself as 我; staff see her name, as on the staff page.
    mine = api(neighbour_user).get(f"{BASE}{case.number}/timeline/").json()
    assert [s["actor"] for s in mine] == ["我"]
    staff_steps = api(county.worker_a).get(f"{BASE}{case.number}/timeline/").json()
    assert staff_steps[0]["actor"] == "李梅"
    assert api(county.worker_a).get(f"{BASE}{case.number}/").json()["reporter_name"] == "李梅"


def test_notes_on_the_timeline_are_masked_for_followers_and_the_rating_comment_is_the_reporters(
        county, followed, neighbour_user):
    w = county.worker_a
    svc.case_accept(actor=w, case=followed, note="已电话联系13800000002")
    svc.case_start(actor=w, case=followed)
    svc.case_report_back(actor=w, case=followed, note="已修好")
    svc.case_verify(actor=county.town_staff, case=followed)
    svc.case_close(actor=county.town_staff, case=followed)
    svc.case_rate(actor=neighbour_user, case=followed, rating=5, satisfied=True, comment="谢谢网格员，很及时")
    notes = {s["action"]: s["note"] for s in api(county.resident_user).get(f"{BASE}{followed.number}/timeline/").json()}
    assert notes["accept"] == "已电话联系138****0002" and notes["rate"] == ""
    html = page(county.resident_user, "cases:detail_resident", followed.number)
    assert "已电话联系138****0002" in html and "13800000002" not in html and "谢谢网格员" not in html
    assert api(county.resident_user).get(f"{BASE}{followed.number}/").json()["rating_comment"] == ""
    own = {s["action"]: s["note"] for s in api(neighbour_user).get(f"{BASE}{followed.number}/timeline/").json()}
    assert own["accept"] == "已电话联系13800000002" and own["rate"] == "谢谢网格员，很及时"
    assert api(neighbour_user).get(f"{BASE}{followed.number}/").json()["rating_comment"] == "谢谢网格员，很及时"


def test_a_resident_holding_a_micro_grid_post_still_sees_a_followed_case_as_a_resident(county, followed):
    """A micro-grid head has no case scope: a case they follow shows as to any resident."""
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, resident=county.resident,
                 start_date=dt.date(2024, 1, 1))
    body = api(county.resident_user).get(f"{BASE}{followed.number}/").json()
    assert body["description"] == MASKED and body["reporter_name"] == "李某" and body["address"] == ""
    steps = api(county.resident_user).get(f"{BASE}{followed.number}/timeline/").json()
    assert all(s["data"] == {} for s in steps)
