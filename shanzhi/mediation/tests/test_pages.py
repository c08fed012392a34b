"""The mediation centre's pages: the reception window, the dispute page and its actions, the agreement
DOCX, the mediator's calendar and the centre head's overview — each permission rule both ways."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from shanzhi.accounts.services import user_create_staff
from shanzhi.cases.models import Status
from shanzhi.lib import clock
from shanzhi.lib.testing import ID_RESIDENT, PASSWORD
from shanzhi.mediation import services as svc
from shanzhi.mediation.forms import PARTY_FIELDS
from shanzhi.mediation.models import Agreement, Dispute, Result, Session
from shanzhi.mediation.tests.conftest import PARTIES
from shanzhi.org.models import Role
from shanzhi.org.services import department_create, post_appoint

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday


@pytest.fixture
def frozen():
    with clock.frozen(NINE):
        yield NINE


pytestmark = pytest.mark.usefixtures("frozen")


def url(name: str, *args) -> str:
    return reverse(f"mediation:{name}", args=args)


def as_user(client, user):
    client.force_login(user)
    return client


def window_data(c, dtype, parties=PARTIES, **kw) -> dict:
    """What the reception window posts: the matter, where the parties live and one row per party."""
    data = {"kind": "dispute", "type": str(dtype.pk), "summary": "通道堆放杂物引发邻里矛盾", "unit": c.mg_a1.code,
            "household": "", "parties-TOTAL_FORMS": str(len(parties)), "parties-INITIAL_FORMS": "0",
            "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "20"}
    for i, p in enumerate(parties):
        for k in PARTY_FIELDS:
            data[f"parties-{i}-{k}"] = p.get(k, "")
    data.update(kw)
    return data


def register(c, dtype, **kw):
    kw.setdefault("parties", PARTIES)
    kw.setdefault("unit", c.mg_a1)
    return svc.dispute_register(actor=kw.pop("actor", c.extra["mediator"]), kind="dispute", type=dtype,
                                summary=kw.pop("summary", "通道堆放杂物引发邻里矛盾"), **kw)


def local(d: dt.datetime) -> str:
    return timezone.localtime(d).strftime("%Y-%m-%dT%H:%M")


def schedule(client, d, start=NINE, hours=1, room=None, mediators=None):
    room = room or d.centre.rooms.order_by("name", "id").first()
    return client.post(url("act", d.case.number, "schedule"), {
        "room": room.pk, "mediators": [m.pk for m in mediators] if mediators else [],
        "starts_at": local(start), "ends_at": local(start + dt.timedelta(hours=hours))})


def html(response) -> str:
    return response.content.decode()


# ---- the reception window ----------------------------------------------------------------------

def test_a_mediator_registers_a_walk_in_at_the_window(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    page = html(c.get(url("reception")))
    assert 'name="parties-0-name"' in page and 'name="parties-1-name"' in page and neighbour_type.name in page
    response = c.post(url("reception"), window_data(centres, neighbour_type))
    d = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", d.case.number)
    assert d.case.channel == "walk_in" and d.centre == centres.extra["village_centre"]
    assert [p.name for p in d.parties.order_by("id")] == ["张三", "王五"]
    assert d.parties.get(name="张三").resident == centres.resident  # the ID number links the registered resident
    detail = html(c.get(url("detail", d.case.number)))
    assert "张三" in detail and "王五" in detail and "330421********123X" in detail and "要求对方拆除" in detail


def test_the_window_is_closed_to_grid_workers_and_anonymous(centres, neighbour_type, client):
    response = client.get(url("reception"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url("reception"), window_data(centres, neighbour_type)).status_code == 302
    c = as_user(client, centres.worker_a)
    assert c.get(url("reception")).status_code == 404
    assert c.post(url("reception"), window_data(centres, neighbour_type)).status_code == 404
    assert Dispute.objects.count() == 0


def test_a_household_number_places_the_parties(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    response = c.post(url("reception"), window_data(centres, neighbour_type, unit="", household="NO-SUCH"))
    assert response.status_code == 400 and "未找到该户号" in html(response) and Dispute.objects.count() == 0
    response = c.post(url("reception"), window_data(centres, neighbour_type, unit="",
                                                    household=centres.household_a.number))
    assert response.status_code == 302, re.findall(r"<li[^>]*>.*?</li>", html(response))
    assert Dispute.objects.get().case.unit == centres.mg_a1
    other = as_user(client, centres.extra["mediator_other_town"])  # 天凝镇's household is not 大云镇's window
    response = other.post(url("reception"), window_data(centres, neighbour_type, unit="",
                                                        household=centres.household_a.number, confirm_repeat="on"))
    assert response.status_code == 400 and Dispute.objects.count() == 1


def test_bad_party_rows_are_named_and_nothing_is_written(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    rows = [{**PARTIES[0], "id_number": "330421199001011234"}, {"role": "respondent", "claim": "暂放"}]
    response = c.post(url("reception"), window_data(centres, neighbour_type, parties=rows))
    page = html(response)
    assert response.status_code == 400 and Dispute.objects.count() == 0
    assert "第2位当事人 · 姓名/名称：请填写姓名" in page and "第1位当事人 · 身份证号" in page and "校验" in page
    response = c.post(url("reception"), window_data(centres, neighbour_type, summary=""))
    assert response.status_code == 400 and Dispute.objects.count() == 0


def test_add_party_without_javascript_keeps_what_was_typed(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    response = c.post(url("reception"), window_data(centres, neighbour_type, add_party="1"))
    page = html(response)
    assert response.status_code == 200 and Dispute.objects.count() == 0
    assert 'name="parties-2-name"' in page and 'value="张三"' in page and "通道堆放杂物" in page
    assert 'name="parties-3-name"' in html(c.get(url("reception"), {"parties": 4}))


def test_a_repeat_is_warned_with_the_earlier_number_then_linked(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    c.post(url("reception"), window_data(centres, neighbour_type))
    first = Dispute.objects.get()
    response = c.post(url("reception"), window_data(centres, neighbour_type))
    page = html(response)
    assert response.status_code == 400 and Dispute.objects.count() == 1
    assert first.case.number in page and 'name="confirm_repeat"' in page
    response = c.post(url("reception"), window_data(centres, neighbour_type, confirm_repeat="on"))
    assert response.status_code == 302
    assert Dispute.objects.exclude(pk=first.pk).get().repeat_of == first


# ---- the dispute page --------------------------------------------------------------------------

def test_a_clash_shows_the_reason_and_books_nothing(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    a, b = register(centres, neighbour_type), register(centres, neighbour_type, confirm_repeat=True)
    c = as_user(client, m)
    assert schedule(c, a, mediators=[m]).status_code == 302 and Session.objects.count() == 1
    response = schedule(c, b, start=NINE + dt.timedelta(minutes=30), mediators=[m])
    page = html(response)
    assert response.status_code == 400 and "时间冲突" in page and a.case.number in page and "已被" in page
    assert Session.objects.count() == 1
    response = schedule(c, b, mediators=[])
    assert response.status_code == 400 and Session.objects.count() == 1
    assert schedule(c, b, start=NINE + dt.timedelta(hours=1), mediators=[m]).status_code == 302  # back to back


def test_only_staff_at_or_above_the_centre_are_offered_as_mediators(centres, neighbour_type, client):
    d = register(centres, neighbour_type)
    page = html(as_user(client, centres.extra["mediator"]).get(url("detail", d.case.number)))
    assert "调解员老王" in page and "天凝镇干部" in page and "调解员小李" not in page and "网格员甲" not in page
    assert "村调解室" in page and "调解室A" not in page  # the village centre's own room


def test_a_session_is_held_and_ends_in_a_signed_agreement(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    d = register(centres, neighbour_type)
    c = as_user(client, m)
    response = c.post(url("act", d.case.number, "agreement"), {"terms": "王五三日内清理杂物"})
    assert response.status_code == 400 and "没有调解记录" in html(response) and not Agreement.objects.exists()
    schedule(c, d, mediators=[m])
    s = Session.objects.get()
    ids = [str(p) for p in d.parties.values_list("id", flat=True)]
    assert c.post(url("act", d.case.number, "record"), {"session": s.pk, "attended": ids, "minutes": ""}).status_code == 400
    response = c.post(url("act", d.case.number, "record"),
                      {"session": s.pk, "attended": ids, "minutes": "双方陈述，同意清理通道"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.held and len(s.attended) == 2
    assert c.post(url("act", d.case.number, "agreement"), {"terms": "一、王五于三日内清理通道杂物。"}).status_code == 302
    agreement = Agreement.objects.get()
    response = c.post(url("act", d.case.number, "conclude"), {"result": Result.AGREEMENT})
    assert response.status_code == 400 and "尚未签署" in html(response)
    docx = c.get(url("agreement_docx", agreement.pk))
    assert docx.status_code == 200 and ".docx" in docx["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "张三" in text and "王五" in text and "一、王五于三日内清理通道杂物。" in text
    assert c.post(url("act", d.case.number, "sign"), {"agreement": agreement.pk}).status_code == 302
    assert c.post(url("act", d.case.number, "conclude"), {"result": Result.AGREEMENT, "note": "当场履行"}).status_code == 302
    d.refresh_from_db()
    assert d.result == Result.AGREEMENT and d.case.status == Status.CLOSED and d.first_time
    assert c.post(url("act", d.case.number, "followup"), {"agreement": agreement.pk, "result": "performed",
                                                           "note": "已清理"}).status_code == 302
    page = html(c.get(url("detail", d.case.number)))
    assert "达成协议" in page and "已签署" in page and "已清理" in page and "双方陈述" in page
    assert 'data-action="schedule"' not in page  # nothing more to do on a concluded dispute


def test_escalation_and_hand_over_from_the_page(centres, neighbour_type, client):
    d = register(centres, neighbour_type)
    c = as_user(client, centres.extra["mediator"])
    response = c.post(url("act", d.case.number, "escalate"), {"note": ""})
    assert response.status_code == 400
    assert c.post(url("act", d.case.number, "escalate"), {"note": "村里调不了"}).status_code == 302
    d.refresh_from_db()
    assert d.centre == centres.extra["town_centre"]
    team = d.centre.teams.get()
    assert c.post(url("act", d.case.number, "handover"), {"team": team.pk, "note": "交镇调解团"}).status_code == 302
    assert "镇调解团" in html(c.get(url("detail", d.case.number)))


def test_referral_needs_a_destination(centres, neighbour_type, client):
    d = register(centres, neighbour_type)
    c = as_user(client, centres.extra["mediator"])
    response = c.post(url("act", d.case.number, "conclude"), {"result": Result.REFERRED})
    assert response.status_code == 400 and "转办去向" in html(response)
    d.refresh_from_db()
    assert d.result == ""


def test_staff_of_another_town_get_404_on_the_dispute_and_its_agreement(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    with clock.frozen(NINE - dt.timedelta(days=1)):
        d = register(centres, neighbour_type)
        s = svc.session_schedule(actor=m, dispute=d, starts_at=NINE - dt.timedelta(hours=20),
                                 ends_at=NINE - dt.timedelta(hours=19), room=d.centre.rooms.first(), mediators=[m])
        svc.session_record(actor=m, session=s, attended=[], minutes="调解")
        agreement = svc.agreement_create(actor=m, dispute=d, terms="清理")
    for user in (centres.extra["mediator_other_town"], centres.worker_c):
        c = as_user(client, user)
        assert c.get(url("detail", d.case.number)).status_code == 404
        assert c.get(url("agreement_docx", agreement.pk)).status_code == 404
        assert c.post(url("act", d.case.number, "escalate"), {"note": "x"}).status_code == 404
    for user in (centres.town_staff, centres.admin, m):
        c = as_user(client, user)
        assert c.get(url("detail", d.case.number)).status_code == 200
        assert c.get(url("agreement_docx", agreement.pk)).status_code == 200
    client.logout()
    assert client.get(url("agreement_docx", agreement.pk)).status_code == 302  # to the log-in page


def test_staff_who_may_only_look_are_refused_the_actions(centres, neighbour_type, client):
    d = register(centres, neighbour_type)
    dept = department_create(actor=None, unit=centres.town, code="TN-SF", name="司法所")
    clerk = user_create_staff(actor=None, username="clerk", password=PASSWORD, display_name="司法所干事",
                              check_strength=False)
    post_appoint(actor=None, unit=centres.town, role=Role.DEPARTMENT_STAFF, user=clerk, department=dept,
                 start_date=dt.date(2024, 1, 1))
    c = as_user(client, clerk)
    page = html(c.get(url("detail", d.case.number)))
    assert "张三" in page and 'data-action="schedule"' not in page
    assert c.post(url("act", d.case.number, "escalate"), {"note": "上报"}).status_code == 403
    d.refresh_from_db()
    assert d.escalations == 0


def test_full_id_numbers_never_reach_the_page(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    d = register(centres, neighbour_type)
    s = svc.session_schedule(actor=m, dispute=d, starts_at=NINE, ends_at=NINE + dt.timedelta(hours=1),
                             room=d.centre.rooms.first(), mediators=[m])
    svc.session_record(actor=m, session=s, attended=[], minutes="调解")
    svc.agreement_create(actor=m, dispute=d, terms="清理")
    c = as_user(client, m)
    for page in (url("detail", d.case.number), url("calendar"), url("centre", centres.village.code)):
        body = html(c.get(page))
        assert ID_RESIDENT not in body and "13800000001" not in body and "13800000003" not in body
    assert "330421********123X" in html(c.get(url("detail", d.case.number)))


# ---- the calendar and the centre overview ------------------------------------------------------

def test_the_calendar_shows_my_week_the_rooms_and_my_caseload(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    village = register(centres, neighbour_type)
    town = register(centres, neighbour_type, confirm_repeat=True)
    svc.dispute_escalate(actor=m, dispute=town, note="转镇")
    svc.session_schedule(actor=m, dispute=town, starts_at=NINE, ends_at=NINE + dt.timedelta(hours=1),
                         room=town.centre.rooms.get(name="调解室A"), mediators=[m])
    svc.session_schedule(actor=centres.town_staff, dispute=village, starts_at=NINE + dt.timedelta(days=7),
                         ends_at=NINE + dt.timedelta(days=7, hours=1), room=village.centre.rooms.first(),
                         mediators=[centres.town_staff])
    page = html(as_user(client, m).get(url("calendar")))
    wednesday = re.search(r'data-date="2026-11-25">(.*?)</div>', page, re.S).group(1)
    assert town.case.number in wednesday and "调解室A" in wednesday
    assert re.search(r'data-count="mine">1<', page)
    assert re.search(r'data-count="caseload">2<', page)  # both are within the town mediator's reach
    assert "天凝镇矛调中心调解室占用" in page
    page = html(client.get(url("calendar"), {"week": "2026-12-02"}))
    assert re.search(r'data-count="mine">0<', page)
    other = html(as_user(client, centres.extra["mediator_other_town"]).get(url("calendar")))
    assert re.search(r'data-count="caseload">0<', other) and town.case.number not in other


def test_the_centre_overview_counts_open_disputes_sessions_and_indicators(centres, neighbour_type, client):
    m = centres.extra["mediator"]
    old = register(centres, neighbour_type, now=NINE - dt.timedelta(days=10))
    fresh = register(centres, neighbour_type, confirm_repeat=True)
    done = register(centres, neighbour_type, parties=[{"role": "applicant", "name": "赵六"},
                                                      {"role": "respondent", "name": "钱七"}])
    svc.dispute_conclude(actor=m, dispute=done, result=Result.WITHDRAWN)
    svc.session_schedule(actor=m, dispute=fresh, starts_at=NINE + dt.timedelta(hours=2),
                         ends_at=NINE + dt.timedelta(hours=3), room=fresh.centre.rooms.first(), mediators=[m])
    c = as_user(client, m)
    page = html(c.get(url("centre", centres.village.code), {"start": "2026-11-01", "end": "2026-11-30"}))
    row = re.search(r'<tr data-type="neighbour">(.*?)</tr>', page, re.S).group(1)
    assert 'data-age="fresh">1<' in row and 'data-age="month">1<' in row and 'data-age="total">2<' in row
    assert re.search(r'data-stat="today"><b>1<', page) and fresh.case.number in page and old.case.number in page
    own = re.search(r'<tr class="own"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert 'data-ind="accepted">3<' in own and 'data-ind="resolution_rate">33.3%<' in own
    assert 'data-ind="repeats">1<' in own and 'data-ind="median_days">0.0<' in own
    county = html(as_user(client, centres.admin).get(url("centre", centres.county.code),
                                                     {"start": "2026-11-01", "end": "2026-11-30"}))
    child = re.search(r'<tr class="child" data-unit="330421112">(.*?)</tr>', county, re.S).group(1)
    assert 'data-ind="accepted">3<' in child and "天凝镇矛调中心" in child
    december = html(c.get(url("centre", centres.village.code), {"start": "2026-12-01", "end": "2026-12-31"}))
    assert 'data-ind="accepted">0<' in december and 'data-ind="resolution_rate">—<' in december


def test_the_centre_overview_is_only_for_its_own_area(centres, client):
    assert as_user(client, centres.extra["mediator_other_town"]).get(url("centre", centres.town.code)).status_code == 404
    assert client.get(url("centre", centres.town2.code)).status_code == 404  # no centre there
    assert as_user(client, centres.worker_a).get(url("centre", centres.village.code)).status_code == 404
    assert as_user(client, centres.town_staff).get(url("centre", centres.village.code)).status_code == 200
    assert client.get(url("centre", centres.county.code)).status_code == 404


def test_the_pages_speak_english(centres, neighbour_type, client):
    d = register(centres, neighbour_type)
    c = as_user(client, centres.extra["mediator"])
    c.cookies["django_language"] = "en"
    page = html(c.get(url("reception")))
    assert "Reception" in page and "Add party" in page and "Neighbour dispute" in page
    page = html(c.get(url("detail", d.case.number)))
    assert "Parties" in page and "Applicant" in page and "Schedule a session" in page
    page = html(c.get(url("calendar")))
    assert "My sessions" in page
    page = html(c.get(url("centre", centres.village.code)))
    assert "Resolution rate" in page and "First-time resolution rate" in page
