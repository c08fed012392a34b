"""The cases REST API: scoped reads, intake with idempotency, steps through the services, timeline."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import token_issue
from shanzhi.cases.models import Attachment, Case, Status
from shanzhi.cases.tests.conftest import photo
from shanzhi.lib.testing import point_in

BASE = "/api/v1/cases/"


def staff(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(actor=user, user=user).key}")
    return client


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def act(client: APIClient, case: Case, name: str, **data):
    return client.post(f"{BASE}{case.number}/actions/{name}/", data, format="json")


@pytest.fixture
def other_resident(county) -> User:
    return User.objects.create(username="rb", kind=UserKind.RESIDENT, display_name="王五", resident=county.resident_b)


def _new_case_body(**kw) -> dict:
    lat, lon = point_in(2, 5)
    return {"kind": "problem", "category": "garbage", "description": "垃圾桶满了", "lat": lat, "lon": lon, **kw}


# ---- reading ---------------------------------------------------------------------------------------

def test_grid_workers_list_only_their_grids_cases(county, report):
    a = report()
    b = report(where=(15, 5))
    numbers = [r["number"] for r in staff(county.worker_a).get(BASE).json()["results"]]
    assert a.number in numbers and b.number not in numbers
    numbers = [r["number"] for r in staff(county.worker_b).get(BASE).json()["results"]]
    assert numbers == [b.number]


def test_a_case_out_of_scope_answers_not_found(county, report):
    case = report()
    assert staff(county.worker_a).get(f"{BASE}{case.number}/").status_code == 200
    resp = staff(county.worker_b).get(f"{BASE}{case.number}/")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert staff(county.worker_b).get(f"{BASE}330421-20261125-99999/").status_code == 404
    assert staff(county.worker_b).get(f"{BASE}{case.number}/timeline/").status_code == 404


def test_residents_see_their_own_cases_and_no_one_elses(county, report, other_resident):
    mine = report()
    theirs = report(actor=other_resident, where=(15, 5))
    me = session(county.resident_user)
    assert [r["number"] for r in me.get(BASE).json()["results"]] == [mine.number]
    assert me.get(f"{BASE}{mine.number}/").status_code == 200
    assert me.get(f"{BASE}{theirs.number}/").status_code == 404


def test_anonymous_callers_are_refused(county, report):
    case = report()
    assert APIClient().get(BASE).status_code in (401, 403)
    assert APIClient().get(f"{BASE}{case.number}/").status_code in (401, 403)


def test_list_filters(county, report):
    from shanzhi.cases import services as svc

    garbage = report()
    noise = report(code="noise", description="夜里装修太吵")
    svc.case_accept(actor=county.worker_a, case=noise)
    client = staff(county.admin)

    def numbers(**params):
        resp = client.get(BASE, params)
        assert resp.status_code == 200, resp.json()
        return {r["number"] for r in resp.json()["results"]}

    assert numbers(status="accepted") == {noise.number}
    assert numbers(status="open") == {garbage.number, noise.number}
    assert numbers(category="garbage") == {garbage.number}
    assert numbers(category="environment") == {garbage.number, noise.number}  # the group holds both
    assert numbers(unit=county.grid_a.code) == {garbage.number, noise.number}
    assert numbers(unit=county.grid_c.code) == set()
    assert numbers(mine="true") == set()
    assert {r["number"] for r in staff(county.worker_a).get(BASE, {"mine": "true"}).json()["results"]} == {
        garbage.number, noise.number}  # both routed to grid A's worker
    assert numbers(overdue="true") == set()
    resp = client.get(BASE, {"status": "sleeping"})
    assert resp.status_code == 400 and "status" in resp.json()["error"]["fields"]


def test_overdue_filter_finds_late_open_cases(county, report):
    import datetime as dt

    from shanzhi.lib import clock

    case = report()
    with clock.frozen(case.deadline_at + dt.timedelta(hours=1)):
        rows = staff(county.worker_a).get(BASE, {"overdue": "true"}).json()["results"]
    assert [r["number"] for r in rows] == [case.number] and rows[0]["light"] == "red"


def test_town_staff_cannot_filter_by_a_unit_outside_their_town(county, report):
    resp = staff(county.town_staff).get(BASE, {"unit": county.grid_c.code})
    assert resp.status_code == 400 and "unit" in resp.json()["error"]["fields"]


def test_the_list_costs_the_same_queries_for_one_case_or_many(county, report):
    report()
    client = staff(county.admin)
    client.get(BASE)  # warm up (content types, sessions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(BASE).status_code == 200
    for i in range(6):
        report(where=(15 + i % 2, 5), code="noise" if i % 2 else "garbage")
    with CaptureQueriesContext(connection) as seven:
        assert len(client.get(BASE).json()["results"]) == 7
    assert len(one) == len(seven)


# ---- raising ---------------------------------------------------------------------------------------

def test_a_resident_raises_a_case_with_their_session(county, at_wednesday):
    resp = session(county.resident_user).post(BASE, _new_case_body(), format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    case = Case.objects.get(number=body["number"])
    assert case.channel == "resident" and case.reporter == county.resident_user
    assert body["handling_unit"] == county.grid_a.code and body["assignee_name"] == "网格员甲"
    assert body["assignee"] is None  # staff user ids are not shown to residents, as on their pages
    assert body["actions"] == []  # nothing for the reporter to do until it is closed


def test_a_resident_cannot_raise_as_staff(county, at_wednesday):
    resp = session(county.resident_user).post(BASE, _new_case_body(channel="patrol"), format="json")
    assert resp.status_code == 400 and "channel" in resp.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_staff_take_a_hotline_call_for_a_caller(county, at_wednesday):
    body = _new_case_body(channel="hotline", reporter_name="来电人", reporter_phone="13900000009")
    resp = staff(county.admin).post(BASE, body, format="json")
    assert resp.status_code == 201, resp.json()
    case = Case.objects.get(number=resp.json()["number"])
    assert case.channel == "hotline" and case.reporter is None and case.reporter_name == "来电人"
    assert resp.json()["reporter_phone_masked"] == case.reporter_phone_masked != ""


def test_staff_patrol_is_the_default_and_residents_channel_is_refused(county, at_wednesday):
    client = staff(county.worker_a)
    resp = client.post(BASE, _new_case_body(), format="json")
    assert resp.status_code == 201 and resp.json()["channel"] == "patrol"
    assert resp.json()["status"] == "accepted"  # the worker who found it handles it
    resp = client.post(BASE, _new_case_body(channel="resident"), format="json")
    assert resp.status_code == 400 and "channel" in resp.json()["error"]["fields"]


def test_bad_input_names_the_fields_and_writes_nothing(county, at_wednesday):
    client = session(county.resident_user)
    resp = client.post(BASE, {"kind": "problem", "category": "garbage"}, format="json")
    assert resp.status_code == 400 and "description" in resp.json()["error"]["fields"]
    resp = client.post(BASE, _new_case_body(category="no_such_thing"), format="json")
    assert resp.status_code == 400 and "category" in resp.json()["error"]["fields"]
    resp = client.post(BASE, _new_case_body(category="environment"), format="json")  # a group, not a leaf
    assert resp.status_code == 400 and "category" in resp.json()["error"]["fields"]
    resp = client.post(BASE, _new_case_body(lon=None), format="json")
    assert resp.status_code == 400 and "lat" in resp.json()["error"]["fields"]
    resp = client.post(BASE, _new_case_body(kind="complaint"), format="json")
    assert resp.status_code == 400 and "kind" in resp.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_script_in_the_description_is_kept_as_text(county, at_wednesday):
    text = "<script>alert(1)</script>路灯坏了"
    resp = session(county.resident_user).post(BASE, _new_case_body(description=text), format="json")
    assert resp.status_code == 201 and resp.json()["description"] == text


def test_photos_come_as_multipart_and_fakes_are_refused(county, at_wednesday):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = session(county.resident_user)
    good = SimpleUploadedFile("a.png", photo(), content_type="image/png")
    resp = client.post(BASE, {**_new_case_body(), "photos": [good]}, format="multipart")
    assert resp.status_code == 201, resp.json()
    assert Attachment.objects.filter(case__number=resp.json()["number"]).count() == 1
    fake = SimpleUploadedFile("b.png", b"not an image at all", content_type="image/png")
    resp = client.post(BASE, {**_new_case_body(), "photos": [fake]}, format="multipart")
    assert resp.status_code == 400 and "photos" in resp.json()["error"]["fields"]
    assert Case.objects.count() == 1


def test_a_repeated_idempotency_key_returns_the_first_case(county, at_wednesday):
    client = session(county.resident_user)
    first = client.post(BASE, _new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    again = client.post(BASE, _new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    staff_client = staff(county.worker_a)
    one = staff_client.post(BASE, _new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="pad-7")
    two = staff_client.post(BASE, _new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="pad-7")
    assert (one.status_code, two.status_code) == (201, 200) and one.json()["number"] == two.json()["number"]
    stolen = session(county.resident_user).post(BASE, _new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="pad-7")
    assert stolen.status_code == 400
    assert Case.objects.count() == 2


# ---- acting ----------------------------------------------------------------------------------------

def test_the_whole_loop_through_the_api(county, report):
    case = report()
    worker, resident = staff(county.worker_a), session(county.resident_user)
    assert "accept" in worker.get(f"{BASE}{case.number}/").json()["actions"]
    town = staff(county.town_staff)
    for who, name, data in [(worker, "accept", {}), (worker, "start", {}), (worker, "report_back", {"note": "已清运"}),
                            (town, "verify", {}), (town, "close", {})]:
        resp = act(who, case, name, **data)
        assert resp.status_code == 200, (name, resp.json())
    assert resp.json()["status"] == Status.CLOSED
    assert resident.get(f"{BASE}{case.number}/").json()["actions"] == ["rate"]
    resp = act(resident, case, "rate", rating=5, satisfied=True, comment="很快")
    assert resp.status_code == 200 and resp.json()["status"] == Status.RATED
    steps = [e["action"] for e in resident.get(f"{BASE}{case.number}/timeline/").json()]
    assert steps == ["report", "accept", "start", "report_back", "verify", "close", "rate"]


def test_report_back_takes_photos_as_multipart(county, report):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = report()
    worker = staff(county.worker_a)
    act(worker, case, "accept")
    act(worker, case, "start")
    resp = worker.post(f"{BASE}{case.number}/actions/report_back/",
                       {"note": "已清运", "photos": [SimpleUploadedFile("x.png", photo(), content_type="image/png")]},
                       format="multipart")
    assert resp.status_code == 200, resp.json()
    timeline = worker.get(f"{BASE}{case.number}/timeline/").json()
    assert len(timeline[-1]["photos"]) == 1


def test_another_grids_worker_cannot_act(county, report):
    case = report()
    resp = act(staff(county.worker_b), case, "accept")
    assert resp.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_a_resident_cannot_act_as_staff(county, report):
    case = report()
    resp = act(session(county.resident_user), case, "accept")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_a_step_not_allowed_now_is_refused_with_a_reason(county, report):
    case = report()
    resp = act(staff(county.worker_a), case, "close")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_transition" and "结案" in resp.json()["error"]["message"]


def test_steps_check_their_fields(county, report):
    case = report()
    admin = staff(county.admin)
    resp = act(admin, case, "escalate")
    assert resp.status_code == 400 and "note" in resp.json()["error"]["fields"]
    resp = act(admin, case, "supervise", note="抓紧")
    assert resp.status_code == 400 and "level" in resp.json()["error"]["fields"]
    resp = act(admin, case, "supervise", note="抓紧", level="purple")
    assert resp.status_code == 400 and "level" in resp.json()["error"]["fields"]
    resp = act(admin, case, "dispatch", unit="330421999999999")
    assert resp.status_code == 400 and "unit" in resp.json()["error"]["fields"]
    resp = act(admin, case, "extension_request", note="材料未到")
    assert resp.status_code == 400
    resp = act(admin, case, "teleport")
    assert resp.status_code == 404


def test_rating_needs_a_score(county, report):
    from shanzhi.cases import services as svc

    case = report()
    for step in (svc.case_accept, svc.case_start):
        step(actor=county.worker_a, case=case)
    svc.case_report_back(actor=county.worker_a, case=case, note="done")
    svc.case_verify(actor=county.town_staff, case=case)
    svc.case_close(actor=county.town_staff, case=case)
    resident = session(county.resident_user)
    resp = act(resident, case, "rate", satisfied=True)
    assert resp.status_code == 400 and "rating" in resp.json()["error"]["fields"]
    resp = act(resident, case, "rate", rating=9, satisfied=True)
    assert resp.status_code == 400 and "rating" in resp.json()["error"]["fields"]
    resp = act(resident, case, "rate", rating=2, satisfied=False, comment="没弄干净")
    assert resp.status_code == 200 and resp.json()["status"] == Status.DISPATCHED  # back for rework
    assert resp.json()["reopen_count"] == 1


def test_dispatch_to_a_unit_and_supervise(county, report):
    case = report(code="river")  # handled by the village
    admin = staff(county.admin)
    resp = act(admin, case, "dispatch", unit=county.grid_b.code, note="请二网格处理")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["handling_unit"] == county.grid_b.code and resp.json()["assignee"] == county.worker_b.pk
    resp = act(admin, case, "supervise", level="yellow", note="限期办结")
    assert resp.status_code == 200 and resp.json()["supervision"] == "yellow"


def test_duplicates_merge_into_a_visible_original(county, report):
    first, second = report(), report()
    other = report(where=(25, 5))
    town = staff(county.town_staff)
    resp = act(town, second, "duplicate", original=other.number)
    assert resp.status_code == 400 and "original" in resp.json()["error"]["fields"]  # 大云镇: not visible
    resp = act(town, second, "duplicate", original=first.number)
    assert resp.status_code == 200 and resp.json()["status"] == Status.DUPLICATE


def test_residents_see_only_public_steps_and_no_internal_data(county, report):
    case = report()
    act(staff(county.worker_a), case, "accept", note="马上到")
    events = session(county.resident_user).get(f"{BASE}{case.number}/timeline/").json()
    assert [e["action"] for e in events] == ["report", "accept"]
    assert all(e["data"] == {} for e in events)
    assert staff(county.worker_a).get(f"{BASE}{case.number}/timeline/").json()[0]["data"] != {}
