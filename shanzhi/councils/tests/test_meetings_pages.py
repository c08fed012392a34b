"""The meeting, vote and decision pages over real HTTP: who sees what, forms that name bad input, 404 out of
scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.cases.models import Category, Channel
from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import Ballot, Decision, Meeting, MeetingStatus, Motion, TopicStatus
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures
from shanzhi.councils.tests.test_meetings_fixtures import NINE


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_the_secretary_schedules_a_meeting_on_the_desk(council, frozen):
    x = council.extra
    c = client_for(x["secretary"])
    url = reverse("councils:meeting_new") + f"?council={x['council'].pk}"
    page = c.get(url)
    assert page.status_code == 200 and x["topic"].title in page.content.decode()
    bad = c.post(url, {"title": "", "starts_at": "2026-11-26T09:00", "ends_at": "2026-11-26T08:00", "place": ""})
    body = bad.content.decode()
    assert bad.status_code == 400
    assert "会议名称" in body and "请选择会议室或填写会议地点" in body
    nonsense = c.post(url, {"title": "会", "starts_at": "9999-99-99", "ends_at": "x", "place": "村委会"})
    assert nonsense.status_code == 400 and "开始时间" in nonsense.content.decode()
    ok = c.post(url, {"title": "十二月议事会", "starts_at": "2026-11-26T09:00", "ends_at": "2026-11-26T11:00",
                      "place": "村委会二楼", "is_public": "on", "topics": [x["topic"].pk]})
    meeting = Meeting.objects.get(title="十二月议事会")
    assert ok.status_code == 302 and ok["Location"] == reverse("councils:meeting_detail", args=[meeting.pk])
    x["topic"].refresh_from_db()
    assert x["topic"].status == TopicStatus.SCHEDULED


def test_an_ordinary_member_cannot_open_the_schedule_page(council, frozen):
    x = council.extra
    url = reverse("councils:meeting_new") + f"?council={x['council'].pk}"
    assert client_for(x["u_zhang"]).get(url).status_code == 403
    assert client_for(x["cadre2"]).get(url).status_code == 404
    assert client_for(x["cadre2"]).get(reverse("councils:meeting_new") + "?council=abc").status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_meeting_pages_are_404_for_another_villages_cadre(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修路灯",
                                   meeting=open_meeting)
    urls = [reverse("councils:meeting_detail", args=[open_meeting.pk]),
            reverse("councils:meeting_screen", args=[open_meeting.pk]),
            reverse("councils:meeting_member", args=[open_meeting.pk]),
            reverse("councils:decision_detail", args=[decision.pk])]
    posts = [reverse("councils:meeting_act", args=[open_meeting.pk, "close"]),
             reverse("councils:meeting_vote", args=[open_meeting.pk]),
             reverse("councils:decision_act", args=[decision.pk, "progress"])]
    outsider, insider = client_for(x["cadre2"]), client_for(x["cadre"])
    for url in urls:
        assert outsider.get(url).status_code == 404, url
        assert insider.get(url).status_code == 200, url
    for url in posts:
        assert outsider.post(url, {}).status_code == 404, url
    assert "十一月议事会" not in outsider.get(reverse("councils:meeting_list")).content.decode()
    assert "十一月议事会" in insider.get(reverse("councils:meeting_list")).content.decode()


def test_check_in_by_link_and_by_code_then_vote_on_the_phone(council, meeting):
    x = council.extra
    desk = client_for(x["secretary"])
    assert desk.post(reverse("councils:meeting_act", args=[meeting.pk, "open"])).status_code == 302
    screen = desk.get(reverse("councils:meeting_screen", args=[meeting.pk])).content.decode()
    meeting.refresh_from_db()
    code = svc.checkin_code(meeting)
    assert code in screen and meeting.checkin_token in screen
    # the QR code on the screen is the check-in link (as segno draws it for exactly that link)
    import segno

    qr = segno.make(f"http://testserver{reverse('councils:meeting_checkin')}?t={meeting.checkin_token}", error="m")
    assert '<figure class="checkin-qr"><svg' in screen
    assert qr.svg_inline(scale=8, border=2, dark="#000", light="#fff") in screen
    link = reverse("councils:meeting_checkin") + f"?t={meeting.checkin_token}"
    zhang, li, cadre = client_for(x["u_zhang"]), client_for(x["u_li"]), client_for(x["cadre"])
    assert zhang.get(link).status_code == 200
    assert zhang.post(reverse("councils:meeting_checkin"), {"t": meeting.checkin_token}).status_code == 302
    assert cadre.post(reverse("councils:meeting_checkin"), {"t": meeting.checkin_token}).status_code == 403
    assert client_for(x["cadre2"]).get(link).status_code == 404
    assert zhang.get(reverse("councils:meeting_checkin") + "?t=nonsense-nonsense-x").status_code == 404
    wrong = li.post(reverse("councils:meeting_checkin_code", args=[meeting.pk]), {"code": "000000" if code != "000000"
                                                                                  else "111111"})
    assert wrong.status_code == 400 and "签到码不正确" in wrong.content.decode()
    assert li.post(reverse("councils:meeting_checkin_code", args=[meeting.pk]), {"code": code}).status_code == 302
    desk.post(reverse("councils:meeting_act", args=[meeting.pk, "attend"]), {"member": x["m_sec"].pk, "present": "1"})
    assert svc.present_count(meeting) == 3
    r = desk.post(reverse("councils:meeting_act", args=[meeting.pk, "motion"]),
                  {"text": "同意修复村口路灯", "topic": x["topic"].pk})
    assert r.status_code == 302
    motion = Motion.objects.get()
    page = zhang.get(reverse("councils:meeting_member", args=[meeting.pk])).content.decode()
    assert "同意修复村口路灯" in page and 'name="choice"' in page
    bad = zhang.post(reverse("councils:meeting_vote", args=[meeting.pk]), {"motion": motion.pk, "choice": "maybe"})
    assert bad.status_code == 400
    assert zhang.post(reverse("councils:meeting_vote", args=[meeting.pk]),
                      {"motion": motion.pk, "choice": "yes"}).status_code == 302
    again = zhang.post(reverse("councils:meeting_vote", args=[meeting.pk]), {"motion": motion.pk, "choice": "no"})
    assert again.status_code == 400 and "已经投过票" in again.content.decode()
    absent = client_for(x["u_wang"]).post(reverse("councils:meeting_vote", args=[meeting.pk]),
                                          {"motion": motion.pk, "choice": "yes"})
    assert absent.status_code == 403
    assert Ballot.objects.count() == 1


def test_the_desk_runs_the_meeting_to_its_close(council, open_meeting):
    x = council.extra
    desk = client_for(x["secretary"])
    act = lambda name, data: desk.post(reverse("councils:meeting_act", args=[open_meeting.pk, name]), data)  # noqa: E731
    page = desk.get(reverse("councils:meeting_detail", args=[open_meeting.pk])).content.decode()
    assert "已达法定人数" in page and "quorum-met" in page
    assert act("motion", {"text": "同意修复", "topic": x["topic"].pk}).status_code == 302
    motion = Motion.objects.get()
    too_many = act("hands", {"motion": motion.pk, "yes": 5, "no": 0, "abstain": 0})
    assert too_many.status_code == 400 and "超过到会成员人数" in too_many.content.decode()
    assert act("hands", {"motion": motion.pk, "yes": "x", "no": 0, "abstain": 0}).status_code == 400
    assert act("hands", {"motion": motion.pk, "yes": 2, "no": 1, "abstain": 0}).status_code == 302
    motion.refresh_from_db()
    assert motion.result == "passed"
    r = act("decide", {"topic": x["topic"].pk, "outcome": "adopted", "text": "修复路灯，电话13812345678联系",
                       "motion": motion.pk})
    assert r.status_code == 302
    decision = Decision.objects.get()
    assert act("close", {"minutes": ""}).status_code == 400
    assert act("close", {"minutes": "会议议定修复路灯"}).status_code == 302
    open_meeting.refresh_from_db()
    assert open_meeting.status == MeetingStatus.CLOSED
    assert act("nonsense", {}).status_code == 404
    # the member page and the public page show the result; a resident of the village sees the masked text
    public = client_for(x["u_zhao"])
    assert public.get(reverse("councils:decision_detail", args=[decision.pk])).status_code == 404  # other village
    from shanzhi.councils.models import Member

    Member.objects.filter(pk=x["m_zhang"].pk).update(ended_on=dt.date(2026, 1, 1))  # 张三 is now only a resident
    body = client_for(x["u_zhang"]).get(reverse("councils:decision_detail", args=[decision.pk])).content.decode()
    assert "修复路灯" in body and "13812345678" not in body and "138****5678" in body


def test_a_decision_opens_a_case_from_its_page(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修路灯",
                                   meeting=open_meeting)
    cadre = client_for(x["cadre"])
    url = reverse("councils:decision_act", args=[decision.pk, "case"])
    assert cadre.post(url, {"category": Category.objects.get(code="garbage").pk, "description": ""}).status_code == 400
    r = cadre.post(url, {"category": Category.objects.get(code="garbage").pk, "description": "修复村口路灯"})
    assert r.status_code == 302
    case = decision.case_links.get().case
    assert case.channel == Channel.COUNCIL
    page = cadre.get(reverse("councils:decision_detail", args=[decision.pk])).content.decode()
    assert case.number in page
    bad_task = cadre.post(reverse("councils:decision_act", args=[decision.pk, "task"]),
                          {"title": "验收", "owner": x["u_li"].pk, "due_on": "2026-13-45"})
    assert bad_task.status_code == 400 and "完成期限" in bad_task.content.decode()
    progress = cadre.post(reverse("councils:decision_act", args=[decision.pk, "progress"]),
                          {"percent": "150", "note": "x"})
    assert progress.status_code == 400
    member = client_for(x["u_zhang"])  # an ordinary member may not act on the decision
    assert member.post(reverse("councils:decision_act", args=[decision.pk, "progress"]),
                       {"percent": "50", "note": "x"}).status_code == 403


def test_the_village_feed_shows_council_meetings_and_decisions(council, open_meeting):
    x = council.extra
    svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修复村口路灯",
                        meeting=open_meeting)
    feed = client_for(council.resident_user).get(reverse("cases:feed")).content.decode()
    assert "十一月议事会" in feed and "修复村口路灯" in feed
    other = client_for(x["u_zhao"]).get(reverse("cases:feed")).content.decode()
    assert "十一月议事会" not in other and "修复村口路灯" not in other


def test_my_meetings_lists_only_my_councils(council, meeting):
    x = council.extra
    assert "十一月议事会" in client_for(x["u_wang"]).get(reverse("councils:my_meetings")).content.decode()
    assert "十一月议事会" not in client_for(x["cadre2"]).get(reverse("councils:my_meetings")).content.decode()


@pytest.mark.parametrize("lang", ["en"])
def test_pages_render_in_english(council, open_meeting, lang):
    x = council.extra
    c = client_for(x["secretary"])
    page = c.get(reverse("councils:meeting_detail", args=[open_meeting.pk]), HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200




def test_list_pages_cost_the_same_for_more_rows(council, frozen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    x = council.extra
    desk = client_for(x["cadre"])

    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int):
        for i in range(n):
            m = svc.meeting_schedule(actor=x["secretary"], council=x["council"], title=f"会{i}",
                                     starts_at=NINE + dt.timedelta(days=i + 1),
                                     ends_at=NINE + dt.timedelta(days=i + 1, hours=1), place="村委会")
            svc.meeting_open(actor=x["secretary"], meeting=m)
            for member in (x["m_sec"], x["m_zhang"], x["m_li"]):
                svc.attendance_mark(actor=x["secretary"], meeting=m, member=member)
            from shanzhi.councils.tests.test_meetings_fixtures import make_topic

            t = make_topic(x["council"], f"议题{i}")
            svc.agenda_add(actor=x["secretary"], meeting=m, topic=t)
            svc.decision_record(actor=x["secretary"], topic=t, outcome="adopted", text="同意", meeting=m)

    add(1)
    urls = [reverse("councils:meeting_list"), reverse("councils:decision_list"), reverse("councils:my_meetings")]
    before = [cost(u) for u in urls]
    add(4)
    assert [cost(u) for u in urls] == before


def test_moving_and_cancelling_on_the_desk(council, meeting):
    x = council.extra
    desk = client_for(x["secretary"])
    act = lambda name, data: desk.post(reverse("councils:meeting_act", args=[meeting.pk, name]), data)  # noqa: E731
    bad = act("move", {"starts_at": "2026-11-27T10:00", "ends_at": "2026-11-27T09:00"})
    assert bad.status_code == 400 and "结束时间应晚于开始时间" in bad.content.decode()
    assert act("move", {"starts_at": "2026-11-27T10:00", "ends_at": "2026-11-27T11:00"}).status_code == 302
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).hour == 10
    assert act("cancel", {"reason": ""}).status_code == 400
    assert act("cancel", {"reason": "台风"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert act("open", {}).status_code == 400  # a cancelled meeting does not open
