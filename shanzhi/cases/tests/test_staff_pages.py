"""Staff case pages: the grid worker's queue, one-tap actions, dispatch and bulk assign, supervision,
extensions, escalation, the inbox and hotline / patrol intake — each rule both ways."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.cases.models import Attachment, Case, Channel, HandlingLevel, Notification, Status, Supervision
from shanzhi.cases.tests.conftest import photo
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD, point_in, report_case
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

pytestmark = pytest.mark.usefixtures("at_wednesday")


def url(name: str, *args) -> str:
    return reverse(f"cases:{name}", args=args)


def act(client, case, action: str, **data):
    return client.post(url("staff_act", case.number, action), data)


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', html))


def listed(client, name: str, **params) -> list[str]:
    """Case numbers shown as rows of a list page."""
    return re.findall(r'data-number="([\w-]+)"', client.get(url(name), params).content.decode())


def as_user(client, user):
    client.force_login(user)
    return client


def village_cadre(county):
    user = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部",
                             check_strength=False)
    post_appoint(actor=None, unit=county.village, role=Role.VILLAGE_CADRE, user=user, start_date=dt.date(2024, 1, 1))
    return user


def png(name: str = "after.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo("PNG"), content_type="image/png")


# ---- queue -------------------------------------------------------------------------------------

def test_worker_a_sees_the_grid_a_case_in_their_queue(county, client):
    case = report_case(county)
    page = as_user(client, county.worker_a).get(url("queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html and url("staff_detail", case.number) in html
    assert 'data-light="green"' in html


def test_worker_b_does_not_see_it_and_gets_404_on_its_page(county, client):
    case = report_case(county)
    as_user(client, county.worker_b)
    assert listed(client, "queue") == [] and listed(client, "all") == []
    assert client.get(url("staff_detail", case.number)).status_code == 404
    assert act(client, case, "accept").status_code == 404
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_queue_is_sorted_by_deadline_and_filters_by_status_category_overdue_and_unit(county, client):
    slow = report_case(county, code="noise", where=(7, 5))  # 5 working days, micro-grid A2
    fast = report_case(county, code="garbage", priority="urgent")  # 8 working hours, micro-grid A1
    as_user(client, county.worker_a)
    html = client.get(url("queue")).content.decode()
    assert html.index(fast.number) < html.index(slow.number)
    assert 'data-status="reported">' in html and "<b>2</b>" in html  # count per status

    def numbers(**params):
        return set(listed(client, "queue", **params))

    assert numbers(category="noise") == {slow.number}
    assert numbers(category="environment") == {slow.number, fast.number}  # a group covers its leaves
    assert numbers(unit=county.mg_a2.code) == {slow.number}
    assert numbers(status="accepted") == set()
    assert numbers(overdue="on") == set()
    with clock.frozen(fast.deadline_at + dt.timedelta(hours=1)):
        assert numbers(overdue="on") == {fast.number}
        assert 'data-light="red"' in client.get(url("queue")).content.decode()
    page = client.get(url("queue"), {"unit": "999999"})
    assert "未找到该单位" in page.content.decode()


def test_the_queue_costs_the_same_number_of_queries_with_more_rows(county, client, django_assert_max_num_queries):
    as_user(client, county.worker_a)
    report_case(county)
    client.get(url("queue"))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url("queue")).status_code == 200
    for i in range(30):
        report_case(county, description=f"第{i}处垃圾", where=(1 + (i % 9), 2 + (i % 7)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("queue"))
    assert len(re.findall(r'data-number="', page.content.decode())) == 31


def test_the_queue_is_paginated_by_fifty(county, client):
    for i in range(52):
        report_case(county, description=f"第{i}处")
    as_user(client, county.worker_a)
    assert len(listed(client, "queue")) == 50
    assert len(listed(client, "queue", page=2)) == 2


# ---- one-tap actions ---------------------------------------------------------------------------

def test_worker_buttons_are_exactly_the_allowed_ones_in_each_state(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)

    def shown():
        return buttons(client.get(url("staff_detail", case.number)).content.decode())

    assert shown() == {"accept", "escalate"}  # no dispatch, void, park or supervise for a grid worker
    assert act(client, case, "accept").status_code == 302
    assert shown() == {"start", "escalate", "extension_request"}
    act(client, case, "start")
    assert shown() == {"report_back", "return", "escalate", "extension_request"}
    act(client, case, "report_back", note="已清理")
    assert shown() == set()  # separation of duties: someone else verifies what they reported back
    as_user(client, county.town_staff)
    assert shown() == {"verify", "verify_fail", "supervise"}
    act(client, case, "verify")
    assert shown() == {"close", "supervise"}
    act(client, case, "close")
    assert shown() == {"reopen"}


def test_town_staff_gets_the_dispatching_buttons(county, client):
    case = report_case(county)
    html = as_user(client, county.town_staff).get(url("staff_detail", case.number)).content.decode()
    assert buttons(html) == {"accept", "dispatch", "escalate", "supervise", "park", "void", "duplicate"}
    assert county.worker_a.display_name in html  # dispatch list offers the grid's worker


def test_walking_the_case_through_the_page_posts(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)
    for action, data in [("accept", {}), ("start", {"note": "已到现场"}),
                         ("report_back", {"note": "垃圾已清运", "photos": [png("a.png"), png("b.png")]}),
                         ("verify", {}), ("close", {"note": "办结"})]:
        if action == "verify":  # separation of duties: town staff verify and close the worker's report-back
            as_user(client, county.town_staff)
        response = act(client, case, action, **data)
        assert response.status_code == 302, (action, response.content.decode()[:500])
        assert response.url == url("staff_detail", case.number)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_on_time
    page = client.get(url("staff_detail", case.number)).content.decode()
    assert "垃圾已清运" in page and "已结案" in page
    photos = Attachment.objects.filter(case=case)
    assert photos.count() == 2
    shot = client.get(url("staff_attachment", photos[0].pk))
    assert shot.status_code == 200 and shot["Content-Type"] == "image/jpeg"
    assert url("staff_attachment", photos[0].pk) in page
    assert as_user(client, county.worker_b).get(url("staff_attachment", photos[0].pk)).status_code == 404
    assert Notification.objects.filter(user=county.resident_user, case=case, kind="rate").exists()


def test_a_refused_transition_shows_the_reason_in_chinese_and_changes_nothing(county, client):
    case = report_case(county)
    before = case.events.count()
    response = act(as_user(client, county.worker_a), case, "close")
    assert response.status_code == 400
    html = response.content.decode()
    assert "当前状态“已上报”不能结案" in html and 'role="alert"' in html
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.events.count() == before


def test_report_back_needs_a_note_and_refuses_a_fake_photo(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)
    act(client, case, "accept")
    act(client, case, "start")
    assert "请填写处置情况" in act(client, case, "report_back", note="").content.decode()
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    response = act(client, case, "report_back", note="已处理", photos=[fake])
    assert response.status_code == 400 and "不是有效的图片" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.HANDLING and not Attachment.objects.filter(case=case).exists()


def test_a_grid_worker_may_not_dispatch_or_supervise(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)
    assert act(client, case, "dispatch", target=f"user:{county.worker_a.pk}").status_code == 403
    assert act(client, case, "supervise", level="red", note="快").status_code == 403
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.supervision == ""


def test_an_unknown_action_is_404(county, client):
    case = report_case(county)
    assert act(as_user(client, county.worker_a), case, "rate").status_code == 404
    assert act(client, case, "explode").status_code == 404


# ---- dispatch, bulk assign, supervision --------------------------------------------------------

def test_town_staff_dispatches_a_case_to_a_grid_worker(county, client):
    case = report_case(county)
    as_user(client, county.town_staff)
    response = act(client, case, "dispatch", target=f"user:{county.worker_b.pk}", note="乙网格顺路")
    # a grid A case goes to grid A's people or units below grid A, not to grid B's worker or the village
    assert response.status_code == 400 and "该人员不在本单位" in response.content.decode()
    assert act(client, case, "dispatch", target=f"unit:{county.village.code}").status_code == 400
    response = act(client, case, "dispatch", target=f"user:{county.worker_a.pk}", note="请尽快")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.assignee == county.worker_a
    assert act(client, case, "dispatch", target="user:999999").status_code == 400


def test_bulk_assign_keeps_the_successes_and_lists_the_failure(county, client):
    a1 = report_case(county, description="一号")
    a2 = report_case(county, description="二号", where=(7, 5))
    b1 = report_case(county, description="三号", where=(15, 5))  # grid B: worker A is not its handler
    as_user(client, county.town_staff)
    listing = client.get(url("all")).content.decode()
    assert all(c.number in listing for c in (a1, a2, b1)) and 'name="ids"' in listing
    response = client.post(url("bulk_dispatch"), {"ids": [a1.pk, b1.pk, a2.pk], "target": f"user:{county.worker_a.pk}",
                                                  "note": "统一处理"})
    assert response.status_code == 200
    html = response.content.decode()
    assert a1.number in html and a2.number in html
    failed = html[html.index("bulk-failed"):]
    assert b1.number in failed and "该人员不在本单位" in failed
    for c in (a1, a2, b1):
        c.refresh_from_db()
    assert a1.status == a2.status == Status.DISPATCHED
    assert b1.status == Status.REPORTED and b1.assignee == county.worker_b


def test_bulk_assign_out_of_scope_rows_fail_alone(county, client):
    mine = report_case(county)
    other_town = report_case(county, where=(25, 5))
    as_user(client, county.town_staff)
    response = client.post(url("bulk_dispatch"), {"ids": [mine.pk, other_town.pk],
                                                  "target": f"unit:{county.grid_a.code}"})
    html = response.content.decode()
    assert "未找到该诉求" in html and other_town.number not in html  # reported by id, not by its number
    mine.refresh_from_db()
    assert mine.status == Status.DISPATCHED
    assert client.post(url("bulk_dispatch"), {"ids": [mine.pk], "target": ""}).status_code == 400


def test_grid_workers_get_no_bulk_controls(county, client):
    report_case(county)
    html = as_user(client, county.worker_a).get(url("all")).content.decode()
    assert 'name="ids"' not in html
    response = client.post(url("bulk_dispatch"), {"ids": [1], "target": f"user:{county.worker_a.pk}"})
    assert response.status_code == 400


def test_the_list_page_carries_no_dispatch_pickers_only_the_link_to_them(county, client):
    report_case(county)
    html = as_user(client, county.town_staff).get(url("all")).content.decode()
    assert 'name="ids"' in html and url("bulk_targets") in html  # rows can be chosen; the picker is fetched
    assert 'name="target"' not in html and f"user:{county.worker_a.pk}" not in html
    assert f"unit:{county.grid_a.code}" not in html
    filtered = client.get(url("all"), {"unit": county.grid_b.code}).content.decode()
    assert f'{url("bulk_targets")}?unit={county.grid_b.code}' in filtered  # the fragment keeps the unit filter


def picker(client, **params):
    """The dispatch picker fragment as the list's htmx request fetches it."""
    return client.get(url("bulk_targets"), params, HTTP_HX_REQUEST="true")


def test_the_dispatch_picker_fragment_is_scoped(county, client):
    as_user(client, county.town_staff)
    html = picker(client).content.decode()
    assert '<select name="target"' in html and "<html" not in html
    assert f"user:{county.worker_a.pk}" in html and f"user:{county.worker_b.pk}" in html
    assert f"unit:{county.grid_a.code}" in html
    assert f"user:{county.worker_c.pk}" not in html and county.grid_c.code not in html  # the other town's
    narrowed = picker(client, unit=county.grid_b.code).content.decode()
    assert f"user:{county.worker_b.pk}" in narrowed and f"user:{county.worker_a.pk}" not in narrowed
    assert picker(client, unit=county.grid_c.code).status_code == 404  # out of scope, like a missing unit
    assert picker(client, unit="999999").status_code == 404
    # worker B, made head of grid B, may dispatch there: grid B's people only, nothing of grid A
    post_appoint(actor=None, unit=county.grid_b, role=Role.GRID_HEAD, user=county.worker_b,
                 start_date=dt.date(2024, 1, 1))
    as_user(client, county.worker_b)
    html = picker(client).content.decode()
    assert f"user:{county.worker_b.pk}" in html
    assert f"user:{county.worker_a.pk}" not in html and county.grid_a.code not in html
    assert "新联村第一网格" not in html
    assert picker(client, unit=county.grid_a.code).status_code == 404
    # a plain grid worker may dispatch nowhere: 404, as for a page that does not exist
    as_user(client, county.worker_a)
    assert picker(client).status_code == 404
    assert client.post(url("bulk_targets"), {"ids": [1]}).status_code == 404


def test_the_picker_costs_the_same_queries_with_more_people(county, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    as_user(client, county.town_staff)
    picker(client)
    with CaptureQueriesContext(connection) as few:
        assert picker(client).status_code == 200
    for i in range(8):
        helper = user_create_staff(actor=None, username=f"helper{i}", password=PASSWORD, display_name=f"网格员{i}",
                                   check_strength=False)
        post_appoint(actor=None, unit=county.grid_a, role=Role.GRID_WORKER, user=helper, start_date=dt.date(2024, 1, 1))
    with CaptureQueriesContext(connection) as more:
        html = picker(client).content.decode()
    assert len(more) == len(few) and html.count('value="user:') >= 11


def test_without_js_the_list_form_opens_a_full_dispatch_page(county, client):
    mine = report_case(county, description="一号")
    other_town = report_case(county, where=(25, 5))
    as_user(client, county.town_staff)
    back = url("all") + "?status=reported"
    page = client.post(url("bulk_targets"), {"ids": [mine.pk, other_town.pk], "pick": "1", "unit": "",
                                             "next": back})
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html and other_town.number not in html  # only the cases the user may see
    assert f'name="ids" value="{mine.pk}"' in html and f'value="{other_town.pk}"' not in html
    assert f"user:{county.worker_a.pk}" in html and f'name="next" value="{back}"' in html
    done = client.post(url("bulk_dispatch"), {"ids": [mine.pk], "target": f"user:{county.worker_a.pk}",
                                              "note": "", "next": back})
    assert done.status_code == 200 and mine.number in done.content.decode()
    mine.refresh_from_db()
    assert mine.status == Status.DISPATCHED and mine.assignee == county.worker_a
    nothing = client.post(url("bulk_targets"), {"pick": "1"})
    assert nothing.status_code == 400 and "请至少选择一条诉求" in nothing.content.decode()


def test_town_staff_supervises_with_a_red_card(county, client):
    case = report_case(county)
    as_user(client, county.town_staff)
    assert act(client, case, "supervise", level="red", note="").status_code == 400
    assert act(client, case, "supervise", level="red", note="群众反映强烈").status_code == 302
    case.refresh_from_db()
    assert case.supervision == Supervision.RED
    assert Notification.objects.filter(user=county.worker_a, case=case, kind="supervised").exists()
    listing = client.get(url("all"), {"supervision": "red"}).content.decode()
    assert case.number in listing and "红牌督办" in listing
    assert listed(client, "all", supervision="yellow") == []


def test_list_filters_by_reported_date_range(county, client):
    case = report_case(county)
    as_user(client, county.town_staff)
    assert listed(client, "all", since="2026-11-25", until="2026-11-25") == [case.number]
    assert listed(client, "all", since="2026-11-26") == []
    assert "结束日期不能早于开始日期" in client.get(
        url("all"), {"since": "2026-11-26", "until": "2026-11-20"}).content.decode()


# ---- extension, escalation, duplicate ----------------------------------------------------------

def test_worker_asks_for_an_extension_and_town_staff_approves_it(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)
    act(client, case, "accept")
    assert "请填写延期后的时限" in act(client, case, "extension_request", note="等材料").content.decode()
    response = act(client, case, "extension_request", until="2026-12-04T17:00", note="等待环卫车辆")
    assert response.status_code == 302
    assert listed(client, "extensions") == []  # a worker approves nothing
    assert act(client, case, "extension_approve").status_code == 403

    as_user(client, county.town_staff)
    page = client.get(url("extensions")).content.decode()
    assert case.number in page and "等待环卫车辆" in page
    assert case.number in client.get(url("all"), {"extension": "on"}).content.decode()
    response = act(client, case, "extension_approve", next=url("extensions"))
    assert response.status_code == 302 and response.url == url("extensions")
    case.refresh_from_db()
    assert case.extension_requested_until is None
    assert timezone.localtime(case.deadline_at) == timezone.make_aware(dt.datetime(2026, 12, 4, 17, 0))
    assert listed(client, "extensions") == []


def test_town_staff_refuses_an_extension(county, client):
    case = report_case(county)
    as_user(client, county.worker_a)
    act(client, case, "accept")
    act(client, case, "extension_request", until="2026-12-04T17:00", note="等待")
    deadline = Case.objects.get(pk=case.pk).deadline_at
    act(as_user(client, county.town_staff), case, "extension_refuse", note="时间足够")
    case.refresh_from_db()
    assert case.extension_requested_until is None and case.deadline_at == deadline


def test_escalation_moves_the_case_from_the_worker_queue_to_the_village_queue(county, client):
    cadre = village_cadre(county)
    case = report_case(county)
    as_user(client, county.worker_a)
    assert act(client, case, "escalate", note="").status_code == 400
    assert act(client, case, "escalate", note="涉及多个网格").status_code == 302
    case.refresh_from_db()
    assert case.handling_level == HandlingLevel.VILLAGE and case.handling_unit == county.village
    assert listed(client, "queue") == []
    assert listed(as_user(client, cadre), "queue") == [case.number]
    assert Notification.objects.filter(user=cadre, case=case, kind="escalated").exists()


def test_town_staff_marks_a_duplicate(county, client):
    original = report_case(county)
    copy = report_case(county, description="同一处垃圾")
    as_user(client, county.town_staff)
    assert "未找到原诉求" in act(client, copy, "duplicate", original="330421-20990101-00001").content.decode()
    assert act(client, copy, "duplicate", original=original.number, note="同一地点").status_code == 302
    copy.refresh_from_db()
    assert copy.status == Status.DUPLICATE and copy.duplicate_of == original
    assert copy.number in client.get(url("staff_detail", original.number)).content.decode()


# ---- detail facts ------------------------------------------------------------------------------

def test_staff_see_the_reporter_of_an_anonymous_case_with_the_phone_masked(county, client):
    case = report_case(county, anonymous=True, description="<script>alert(1)</script>楼道堆物")
    html = as_user(client, county.worker_a).get(url("staff_detail", case.number)).content.decode()
    assert county.resident.name in html and "匿名" in html
    assert "138****0001" in html and "13800000001" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'id="case-map"' in html and 'data-tile-url=""' in html


# ---- inbox -------------------------------------------------------------------------------------

def test_inbox_shows_assignment_notifications_and_marks_them_read(county, client):
    first = report_case(county)
    second = report_case(county, description="又一处")
    as_user(client, county.worker_a)
    html = client.get(url("inbox")).content.decode()
    assert first.number in html and second.number in html and html.count('class="notification unread"') == 2
    assert html.index(second.number) < html.index(first.number)  # newest first
    assert 'data-unread="2"' in client.get(url("inbox_count")).content.decode()

    note = Notification.objects.get(user=county.worker_a, case=first)
    assert client.post(url("inbox_read", note.pk)).status_code == 302
    assert 'data-unread="1"' in client.get(url("inbox_count")).content.decode()
    opened = client.get(url("inbox_open", Notification.objects.get(user=county.worker_a, case=second).pk))
    assert opened.url == url("staff_detail", second.number)
    assert "data-unread" not in client.get(url("inbox_count")).content.decode()

    report_case(county, description="第三处")
    client.post(url("inbox_read_all"))
    assert not Notification.objects.filter(user=county.worker_a, read_at__isnull=True).exists()


def test_nobody_reads_or_marks_another_users_notifications(county, client):
    report_case(county)
    note = Notification.objects.get(user=county.worker_a)
    as_user(client, county.worker_b)
    assert note.text not in client.get(url("inbox")).content.decode()
    assert client.post(url("inbox_read", note.pk)).status_code == 404
    assert client.get(url("inbox_open", note.pk)).status_code == 404
    client.post(url("inbox_read_all"))
    note.refresh_from_db()
    assert note.read_at is None


def test_residents_have_an_inbox_too(county, client):
    case = report_case(county)
    Notification.objects.create(user=county.resident_user, case=case, kind="rate", text="请评价",
                                created_at=case.reported_at, dedupe_key="t")
    assert "请评价" in as_user(client, county.resident_user).get(url("inbox")).content.decode()


def test_a_notification_of_no_case_opens_its_page_and_only_one_of_this_site(county, client):
    """A council's notice links to its topic; a link that leaves the site is never followed."""
    from shanzhi.cases.notify import inbox_notify
    from shanzhi.lib import clock

    now = clock.now()
    inbox_notify([county.worker_a.pk], kind="council", text="议题已受理", key="t1", now=now, link="/councils/t/YS1/")
    inbox_notify([county.worker_a.pk], kind="council", text="外链", key="t2", now=now, link="//evil.example/x")
    as_user(client, county.worker_a)
    html = client.get(url("inbox")).content.decode()
    good = Notification.objects.get(dedupe_key="t1")
    bad = Notification.objects.get(dedupe_key="t2")
    assert f'href="{url("inbox_open", good.pk)}"' in html
    assert client.get(url("inbox_open", good.pk)).url == "/councils/t/YS1/"
    assert client.get(url("inbox_open", bad.pk)).url == url("inbox")


# ---- intake ------------------------------------------------------------------------------------

def hotline_data(**kw):
    lat, lon = point_in(2, 5)
    data = {"kind": "problem", "category": "garbage", "priority": "normal", "description": "村口垃圾满了",
            "address": "新联村村口", "lat": lat, "lon": lon, "reporter_name": "来电人", "reporter_phone": "13912345678"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("bad, field_message", [
    ({"description": ""}, "请描述问题"),
    ({"reporter_phone": "12345"}, "手机号"),
    ({"lat": "95", "lon": "120.9"}, "纬度"),
    ({"category": "environment"}, "请选择具体的类别"),
    ({"lat": "30.8", "lon": None}, "经纬度须同时提供"),
])
def test_hotline_intake_with_bad_input_shows_errors_and_saves_nothing(county, client, bad, field_message):
    response = as_user(client, county.town_staff).post(url("hotline"), hotline_data(**bad))
    assert response.status_code == 400
    html = response.content.decode()
    assert field_message in html and 'role="alert"' in html
    assert not Case.objects.exists()


def test_hotline_intake_records_the_caller_and_routes_by_pin(county, client):
    response = as_user(client, county.town_staff).post(url("hotline"), {
        **hotline_data(), "photos": [png()]})
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == url("staff_detail", case.number)
    assert case.channel == Channel.HOTLINE and case.assignee == county.worker_a
    assert case.reporter_name == "来电人" and case.reporter_phone_masked == "139****5678"
    assert case.attachments.count() == 1
    assert "139****5678" in client.get(response.url).content.decode()


def test_hotline_intake_with_an_address_only_goes_to_county_triage(county, client):
    response = as_user(client, county.admin).post(url("hotline"), hotline_data(lat=None, lon=None))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.handling_level == HandlingLevel.COUNTY and case.unit == county.county


def test_patrol_needs_a_pin_and_the_worker_handles_what_they_found(county, client):
    as_user(client, county.worker_a)
    data = hotline_data(lat=None, lon=None, reporter_name=None, reporter_phone=None)
    response = client.post(url("patrol"), data)
    assert response.status_code == 400 and "巡查上报须在地图上标出位置" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post(url("patrol"), hotline_data(reporter_name=None, reporter_phone=None))
    case = Case.objects.get()
    assert case.channel == Channel.PATROL and case.status == Status.ACCEPTED and case.assignee == county.worker_a
    assert listed(client, "queue") == [case.number]


# ---- who may open the pages --------------------------------------------------------------------

STAFF_PAGES = ["queue", "all", "extensions", "hotline", "patrol"]


@pytest.mark.parametrize("name", [*STAFF_PAGES, "inbox", "inbox_count"])
def test_anonymous_visitors_are_sent_to_log_in(client, county, name):
    response = client.get(url(name))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_anonymous_visitors_are_sent_to_log_in_from_a_case(client, county):
    case = report_case(county)
    response = client.get(url("staff_detail", case.number))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_residents_get_404_on_staff_pages(client, county, name):
    assert as_user(client, county.resident_user).get(url(name)).status_code == 404


def test_a_resident_gets_404_on_the_staff_page_of_their_own_case(client, county):
    case = report_case(county)
    as_user(client, county.resident_user)
    assert client.get(url("staff_detail", case.number)).status_code == 404
    assert act(client, case, "accept").status_code == 404
    assert client.post(url("hotline"), hotline_data()).status_code == 404
    assert Case.objects.count() == 1
