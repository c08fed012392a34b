"""The pages and the REST API over real HTTP: the whole walk of a request on the phone and at the desk,
who gets 404 / 403, bad input answered on the field (never a 5xx), no phones or ID numbers anywhere, the
requester's name masked to everyone but staff in scope, the volunteer and themself, and the case page's
"交百事服务团" button only where the service would allow it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.authtoken.models import Token

from shanzhi.cases.models import Event, Status
from shanzhi.lib import clock
from shanzhi.lib.testing import report_case
from shanzhi.volunteers import services
from shanzhi.volunteers.models import Entry, RequestStatus, ServiceRequest, Volunteer, VolunteerStatus
from shanzhi.volunteers.tests.test_volunteers import MONDAY, build_setting, client_for, skill, volunteer

S = RequestStatus
PHONES = ("13800000001", "13800000002", "13800000003")
ID_PARTS = ("33042119900101123X", "330421198502022223")


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        s = build_setting(county)
        s.vol = volunteer(s, s.li)
        yield s


def no_personal_data(resp) -> None:
    body = resp.content.decode()
    assert not any(p in body for p in PHONES) and not any(i in body for i in ID_PARTS)


def api(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def ask(s) -> ServiceRequest:
    return services.request_create(actor=s.zhang, skill=skill(), text="水龙头漏水，电话13800000001",
                                   wanted_from=MONDAY + dt.timedelta(hours=1))


# ---- home ------------------------------------------------------------------------------------------

def test_home_answers_by_who_is_looking(setting):
    s = setting
    resp = client_for(s.zhang).get(reverse("volunteers:home"))
    body = resp.content.decode()
    assert resp.status_code == 200 and reverse("volunteers:ask") in body and reverse("volunteers:join") in body
    assert "服务台" not in body
    resp = client_for(s.li).get(reverse("volunteers:home"))
    assert "在岗" in resp.content.decode() and reverse("volunteers:tasks") in resp.content.decode()
    resp = client_for(s.cadre).get(reverse("volunteers:home"))
    assert resp.status_code == 200 and "服务台" in resp.content.decode()
    assert client_for(None).get(reverse("volunteers:home")).status_code == 302


# ---- the whole walk over HTTP -----------------------------------------------------------------------

def test_a_request_walks_from_asking_to_confirmation_over_http(setting):
    s = setting
    zhang, li, cadre = client_for(s.zhang), client_for(s.li), client_for(s.cadre)
    resp = zhang.post(reverse("volunteers:ask"), {"skill": skill().pk, "text": "水龙头漏水"})
    req = ServiceRequest.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("volunteers:request_detail", args=[req.pk])
    assign = cadre.get(reverse("volunteers:request_assign", args=[req.pk]))
    assert assign.status_code == 200 and "李梅" in assign.content.decode() and "具备所需技能" in assign.content.decode()
    resp = cadre.post(reverse("volunteers:request_assign", args=[req.pk]), {"volunteer": s.vol.pk})
    assert resp.status_code == 302
    assert li.get(reverse("volunteers:tasks")).content.decode().count(req.number) == 1
    page = li.get(reverse("volunteers:request_detail", args=[req.pk])).content.decode()
    assert "张三" in page and "新联村一组1号" in page  # the assigned volunteer reads the name and the address
    assert li.post(reverse("volunteers:request_act", args=[req.pk, "accept"])).status_code == 302
    assert li.post(reverse("volunteers:request_act", args=[req.pk, "checkin"]),
                   {"lat": "30.85", "lon": "120.92"}).status_code == 302
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buf, "PNG")
    buf.name = "done.png"
    buf.seek(0)
    with clock.frozen(MONDAY + dt.timedelta(hours=1)):
        resp = li.post(reverse("volunteers:request_act", args=[req.pk, "checkout"]), {"note": "修好了", "photo": buf})
    assert resp.status_code == 302
    assert zhang.get(reverse("volunteers:request_photo", args=[req.pk]))["Content-Type"] == "image/jpeg"
    with clock.frozen(MONDAY + dt.timedelta(hours=2)):
        resp = zhang.post(reverse("volunteers:request_act", args=[req.pk, "confirm"]), {"rating": "5", "comment": "好"})
        assert resp.status_code == 302
        again = zhang.post(reverse("volunteers:request_act", args=[req.pk, "confirm"]), {"rating": "5"})
    assert again.status_code == 400 and "已完成" in again.content.decode()
    req.refresh_from_db()
    assert req.status == S.CONFIRMED and Entry.objects.filter(request=req).count() == 1


def test_state_refusals_are_400_naming_the_state_and_the_wrong_person_403_or_404(setting):
    s = setting
    req = ask(s)
    url = reverse("volunteers:request_act", args=[req.pk, "accept"])
    assert client_for(s.li).post(url).status_code == 404  # not assigned to her: not hers to see
    services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
    assert client_for(s.cadre).post(url).status_code == 403
    assert client_for(s.wang).post(url).status_code == 404
    assert client_for(s.c.worker_b).post(url).status_code == 404
    resp = client_for(s.li).post(reverse("volunteers:request_act", args=[req.pk, "checkin"]))
    assert resp.status_code == 400 and "已派单" in resp.content.decode()
    assert client_for(s.li).post(reverse("volunteers:request_act", args=[req.pk, "fly"])).status_code == 404


@pytest.mark.parametrize("data, field_text", [
    ({"skill": "", "text": "x"}, "请选择服务类别"),
    ({"skill": "999999", "text": "x"}, "请选择服务类别"),
    ({"skill": "SKILL", "text": ""}, "请填写需求说明"),
    ({"skill": "SKILL", "text": "x", "wanted_from": "9999-12-31T23:59"}, "时间超出可用范围"),
    ({"skill": "SKILL", "text": "x", "wanted_from": "2026-12-01T09:00"}, "希望服务时间不能早于现在"),
    ({"skill": "SKILL", "text": "x", "wanted_from": "2026-12-08T09:00", "wanted_to": "2026-12-08T08:00"},
     "最晚服务时间应晚于希望服务时间"),
    ({"skill": "SKILL", "text": "x", "wanted_from": "not a time"}, "希望服务时间"),
])
def test_asking_answers_bad_input_on_the_field(setting, data, field_text):
    data = {k: str(skill().pk) if v == "SKILL" else v for k, v in data.items()}
    resp = client_for(setting.zhang).post(reverse("volunteers:ask"), data)
    assert resp.status_code == 400 and field_text in resp.content.decode()
    assert not ServiceRequest.objects.exists()


def test_bad_input_on_check_in_decline_and_confirm(setting):
    s = setting
    req = ask(s)
    services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
    li = client_for(s.li)
    resp = li.post(reverse("volunteers:request_act", args=[req.pk, "decline"]), {"reason": ""})
    assert resp.status_code == 400 and "请填写原因" in resp.content.decode()
    services.request_accept(actor=s.li, request=req)
    resp = li.post(reverse("volunteers:request_act", args=[req.pk, "checkin"]), {"lat": "99", "lon": "120"})
    assert resp.status_code == 400 and "lat" in resp.content.decode()
    services.request_checkin(actor=s.li, request=req)
    resp = li.post(reverse("volunteers:request_act", args=[req.pk, "checkout"]),
                   {"note": "修好了", "photo": io.BytesIO(b"GIF89a not really")})
    assert resp.status_code == 400 and "不是有效的图片" in resp.content.decode()
    resp = li.post(reverse("volunteers:request_act", args=[req.pk, "checkout"]), {"note": ""})
    assert resp.status_code == 400 and "请填写服务记录" in resp.content.decode()
    services.request_checkout(actor=s.li, request=req, note="修好了")
    resp = client_for(s.zhang).post(reverse("volunteers:request_act", args=[req.pk, "confirm"]), {"rating": "9"})
    assert resp.status_code == 400 and "请选择1至5星的满意度" in resp.content.decode()


def test_sign_up_and_approval_pages(setting):
    s = setting
    wang = client_for(s.wang)
    resp = wang.post(reverse("volunteers:join"), {"skills": [skill().pk], "weekdays": ["0", "2"], "start": "09:00",
                                                  "end": "08:00"})
    assert resp.status_code == 400 and "开始应早于结束" in resp.content.decode()
    resp = wang.post(reverse("volunteers:join"), {"skills": [skill().pk], "weekdays": ["0"]})
    assert resp.status_code == 400 and "请填写可服务的开始和结束时刻" in resp.content.decode()
    resp = wang.post(reverse("volunteers:join"), {"skills": []})
    assert resp.status_code == 400 and "请至少选择一项技能" in resp.content.decode()
    resp = wang.post(reverse("volunteers:join"), {"skills": [skill().pk], "weekdays": ["0", "2"], "start": "09:00",
                                                  "end": "11:00"})
    assert resp.status_code == 302
    v = Volunteer.objects.get(resident=s.c.resident_b)
    assert v.availability == [{"weekday": 0, "start": "09:00", "end": "11:00"},
                              {"weekday": 2, "start": "09:00", "end": "11:00"}]
    url = reverse("volunteers:volunteer_detail", args=[v.pk])
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao, s.zhang):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).post(reverse("volunteers:volunteer_act", args=[v.pk, "approve"])).status_code == 404
    assert client_for(s.wang).post(reverse("volunteers:volunteer_act", args=[v.pk, "approve"])).status_code == 403
    resp = client_for(s.cadre).post(reverse("volunteers:volunteer_act", args=[v.pk, "refuse"]), {"reason": ""})
    assert resp.status_code == 400
    assert client_for(s.cadre).post(reverse("volunteers:volunteer_act", args=[v.pk, "approve"])).status_code == 302
    v.refresh_from_db()
    assert v.status == VolunteerStatus.ACTIVE
    assert wang.post(reverse("volunteers:me_act"), {"action": "pause"}).status_code == 302
    v.refresh_from_db()
    assert v.status == VolunteerStatus.PAUSED


def test_team_pages(setting):
    s = setting
    cadre = client_for(s.cadre)
    url = reverse("volunteers:team_detail", args=[s.team.pk])
    assert "李梅" in cadre.get(url).content.decode()
    resp = cadre.post(reverse("volunteers:team_act", args=[s.team.pk, "leader"]), {"volunteer": s.vol.pk})
    assert resp.status_code == 302
    assert "队长" in cadre.get(url).content.decode()
    resp = cadre.post(reverse("volunteers:team_act", args=[s.team.pk, "join"]), {"volunteer": "abc"})
    assert resp.status_code == 400 and "未找到该志愿者" in resp.content.decode()
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao):
        assert client_for(outsider).get(url).status_code == 404
    resp = client_for(s.c.town_staff).post(reverse("volunteers:team_create"), {"unit": s.c.village2.code})
    assert resp.status_code == 400 and "未找到该单位" in resp.content.decode()
    resp = client_for(s.c.town_staff).post(reverse("volunteers:team_create"), {"unit": s.c.town.code})
    assert resp.status_code == 302


# ---- masking and who sees what ------------------------------------------------------------------------

def test_pages_never_show_phones_and_mask_the_requester(setting):
    s = setting
    req = ask(s)
    page = client_for(s.cadre).get(reverse("volunteers:request_detail", args=[req.pk]))
    no_personal_data(page)  # the phone written inside the text is masked on every page
    mine = client_for(s.zhang).get(reverse("volunteers:mine"))
    assert req.number in mine.content.decode()
    desk = client_for(s.cadre).get(reverse("volunteers:desk_requests"))
    assert "张三" in desk.content.decode()
    assert client_for(s.wang).get(reverse("volunteers:request_detail", args=[req.pk])).status_code == 404
    assert client_for(s.li).get(reverse("volunteers:mine")).content.decode().count(req.number) == 0


def test_grid_worker_b_and_the_other_towns_resident_get_404(setting):
    s = setting
    req = ask(s)
    urls = [reverse("volunteers:request_detail", args=[req.pk]), reverse("volunteers:request_assign", args=[req.pk]),
            reverse("volunteers:volunteer_detail", args=[s.vol.pk]), reverse("volunteers:team_detail", args=[s.team.pk])]
    for user in (s.c.worker_b, s.zhao):
        for url in urls:
            assert client_for(user).get(url).status_code == 404, (user, url)
        assert client_for(user).post(reverse("volunteers:request_act", args=[req.pk, "cancel"]),
                                     {"reason": "x"}).status_code == 404
    assert client_for(s.c.worker_b).get(reverse("volunteers:desk_requests")).status_code == 200
    assert req.number not in client_for(s.c.worker_b).get(reverse("volunteers:desk_requests")).content.decode()
    assert client_for(s.zhao).get(reverse("volunteers:desk_requests")).status_code == 404


# ---- the case page ------------------------------------------------------------------------------------

def test_the_case_page_offers_the_hand_over_only_where_allowed_and_keeps_one_timeline(setting):
    s = setting
    case = report_case(s.c, code="elderly_care", kind="help", description="独居老人需要帮忙买药")
    detail = reverse("cases:staff_detail", args=[case.number])
    hand_over = reverse("volunteers:from_case", args=[case.number])
    assert hand_over in client_for(s.c.worker_a).get(detail).content.decode()
    problem = report_case(s.c)
    assert reverse("volunteers:from_case", args=[problem.number]) not in client_for(s.c.worker_a).get(
        reverse("cases:staff_detail", args=[problem.number])).content.decode()
    assert client_for(s.c.worker_b).get(hand_over).status_code == 404
    resp = client_for(s.c.worker_a).post(hand_over, {"skill": ""})
    assert resp.status_code == 400 and "请选择服务类别" in resp.content.decode()
    resp = client_for(s.c.worker_a).post(hand_over, {"skill": skill("errands").pk, "note": "买降压药"})
    req = ServiceRequest.objects.get(case=case)
    assert resp.status_code == 302 and resp["Location"] == reverse("volunteers:request_detail", args=[req.pk])
    page = client_for(s.c.worker_a).get(detail).content.decode()
    assert req.number in page and hand_over not in page
    assert client_for(s.c.worker_a).get(reverse("volunteers:request_detail", args=[req.pk])).status_code == 200
    assert Event.objects.filter(case=case, action="annotate").count() == 1
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


# ---- the API ----------------------------------------------------------------------------------------

def test_the_api_is_scoped_and_has_no_personal_data(setting):
    s = setting
    req = ask(s)
    resp = api(s.cadre).get("/api/v1/service-requests/")
    assert resp.status_code == 200, resp.content
    rows = resp.json()["results"]
    assert [r["number"] for r in rows] == [req.number] and rows[0]["requester"] == "张某"
    no_personal_data(resp)
    assert api(s.cadre).get(f"/api/v1/service-requests/{req.pk}/").json()["skill"] == "repair"
    assert api(s.cadre).get("/api/v1/volunteers/").json()["results"][0]["name"] == "李梅"
    for outsider in (s.c.worker_b, s.c.worker_c):
        assert api(outsider).get(f"/api/v1/service-requests/{req.pk}/").status_code == 404
        assert api(outsider).get(f"/api/v1/volunteers/{s.vol.pk}/").status_code == 404
        assert api(outsider).get("/api/v1/service-requests/").json()["results"] == []
    assert api(s.zhang).get("/api/v1/service-requests/").status_code == 403  # the API is for staff


@pytest.mark.parametrize("query", ["status=nope", "page=abc", "status=%00"])
def test_the_api_answers_bad_queries_with_400(setting, query):
    assert api(setting.cadre).get(f"/api/v1/service-requests/?{query}").status_code == 400
    assert api(setting.cadre).get(f"/api/v1/volunteers/?{query}").status_code == 400


def test_the_api_finds_nothing_for_ids_out_of_range(setting):
    for pk in ("0", "99999999999999999999", "-1"):
        assert api(setting.cadre).get(f"/api/v1/service-requests/{pk}/").status_code == 404
