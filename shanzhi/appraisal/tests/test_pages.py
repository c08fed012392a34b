"""The panel's pages over real HTTP: the resident's phone pages, the honour roll and criticism list per
village, the desk, the hearing form and the county's settings; who may and who may not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shanzhi.appraisal import services
from shanzhi.appraisal.models import Complaint, Nomination, Remedy
from shanzhi.appraisal.tests.conftest import decide
from shanzhi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def nominate(c, **kw):
    kw.setdefault("village", c.village)
    kw.setdefault("actor", c.resident_user)
    return services.nomination_create(kind=kw.pop("kind", "brave"), nominee_name=kw.pop("nominee_name", "周勇"),
                                      deed=kw.pop("deed", "跳河救起落水儿童，联系电话13912345678"), **kw)


def decided_complaint(c, subject="钱七"):
    comp = services.complaint_create(actor=c.resident_user, village=c.village, kind="dumping",
                                     act="河边倒垃圾", subject_name=subject)
    services.hearing_record(actor=c.extra["chair"], complaint=comp, heard=subject, findings="属实",
                            proposed=Remedy.CORRECT, public_text=f"{subject}在河边倾倒垃圾")
    decide(comp.topic, "adopted")
    return comp


def test_a_resident_nominates_on_the_phone_and_sees_it_in_mine(panels):
    c = panels
    client = client_for(c.resident_user)
    page = client.get(reverse("appraisal:nominate"))
    assert page.status_code == 200 and "新联村" in page.content.decode()
    resp = client.post(reverse("appraisal:nominate"), {"kind": "filial", "nominee_name": "王大妈",
                                                      "deed": "照顾婆婆十年"})
    assert resp.status_code == 302 and resp["Location"] == reverse("appraisal:mine")
    n = Nomination.objects.get()
    assert n.village == c.village and n.topic.author_user == c.resident_user
    mine = client.get(reverse("appraisal:mine")).content.decode()
    assert "王大妈" in mine and n.topic.number in mine and "已提出" in mine


def test_bad_nominations_on_the_page_name_the_field_in_chinese(panels):
    client = client_for(panels.resident_user)
    resp = client.post(reverse("appraisal:nominate"), {"kind": "nope", "nominee_name": "王13812345678",
                                                      "deed": ""})
    body = resp.content.decode()
    assert resp.status_code == 400 and "error-summary" in body
    assert "推荐类别" in body and "主要事迹" in body and Nomination.objects.count() == 0
    resp = client.post(reverse("appraisal:nominate"), {"kind": "filial", "nominee_name": "王13812345678",
                                                      "deed": "好事"})
    assert resp.status_code == 400 and "不要填写电话" in resp.content.decode()


def test_a_resident_without_a_panel_in_their_village_cannot_nominate(panels):
    c = panels
    c.extra["panel2"].delete()
    resp = client_for(c.extra["other_resident"]).post(reverse("appraisal:nominate"),
                                                      {"kind": "filial", "nominee_name": "赵", "deed": "x"})
    assert resp.status_code == 404 and Nomination.objects.count() == 0


def test_the_honour_roll_shows_adopted_only_and_masks_numbers(panels):
    c = panels
    adopted, rejected = nominate(c), nominate(c, nominee_name="吴落选")
    decide(adopted.topic, "adopted", text="")
    decide(rejected.topic, "rejected")
    url = reverse("appraisal:honour", args=[c.village.code])
    for who in (c.resident_user, c.extra["member"], c.town_staff, c.admin):
        body = client_for(who).get(url).content.decode()
        assert "周勇" in body and "吴落选" not in body and "见义勇为" in body
        assert "13912345678" not in body and "139****5678" in body
    # the resident's own page leads to it
    assert client_for(c.resident_user).get(reverse("appraisal:index"))["Location"] == url


def test_the_honour_roll_is_not_for_other_villages_or_grid_workers(panels):
    c = panels
    decide(nominate(c).topic, "adopted")
    url = reverse("appraisal:honour", args=[c.village.code])
    for who in (c.extra["other_resident"], c.worker_a, c.worker_c):
        assert client_for(who).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    missing = reverse("appraisal:honour", args=["330421999999"])
    assert client_for(c.admin).get(missing).status_code == 404
    # a grid's code names its village
    assert "周勇" in client_for(c.admin).get(reverse("appraisal:honour", args=[c.grid_a.code])).content.decode()


def test_the_blacklist_page_is_not_found_until_the_county_turns_it_on(panels):
    c = panels
    decided_complaint(c)
    url = reverse("appraisal:blacklist", args=[c.village.code])
    assert client_for(c.resident_user).get(url).status_code == 404
    assert client_for(c.admin).get(url).status_code == 404
    assert "曝光台" not in client_for(c.resident_user).get(reverse("appraisal:honour", args=[c.village.code])
                                                         ).content.decode()
    services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=False,
                             show_text=True, show_decision=True)
    body = client_for(c.resident_user).get(url).content.decode()
    assert "乱扔乱倒垃圾" in body and "新联村" in body and "责令改正" in body and "某某在河边倾倒垃圾" in body
    assert "钱七" not in body
    for number in ("13800000001", "33042119900101123X", "138****0001"):  # the complainant's phone and ID
        assert number not in body
    assert client_for(c.extra["other_resident"]).get(url).status_code == 404
    services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=True,
                             show_text=False, show_decision=False)
    body = client_for(c.resident_user).get(url).content.decode()
    assert "钱七" in body and "责令改正" not in body


def test_the_settings_page_is_the_county_admins(panels):
    c = panels
    url = reverse("appraisal:settings")
    admin = client_for(c.admin)
    page = admin.get(url)
    assert page.status_code == 200 and "默认关闭" in page.content.decode()
    resp = admin.post(url, {"blacklist_enabled": "on", "show_names": ""})
    assert resp.status_code == 302
    conf = services.settings_for(c.county)
    assert conf.blacklist_enabled and not conf.show_names and not conf.show_text
    assert AuditEntry.objects.filter(action="appraisal.settings", actor=c.admin).exists()
    for who in (c.town_staff, c.extra["cadre"], c.worker_a, c.resident_user):
        assert client_for(who).get(url).status_code == 404
        assert client_for(who).post(url, {"blacklist_enabled": ""}).status_code == 404
    assert services.settings_for(c.county).blacklist_enabled


def test_the_desk_lists_what_is_in_scope(panels):
    c = panels
    here = nominate(c)
    there = nominate(c, actor=c.extra["other_resident"], village=c.village2, nominee_name="洋桥好人")
    url = reverse("appraisal:desk")
    body = client_for(c.town_staff).get(url).content.decode()
    assert here.topic.number in body and there.topic.number not in body
    body = client_for(c.extra["secretary"]).get(url).content.decode()  # a resident officer of the panel
    assert here.topic.number in body
    body = client_for(c.worker_c).get(url).content.decode()  # a grid worker: the desk, but no village's work
    assert here.topic.number not in body and there.topic.number not in body
    assert client_for(c.resident_user).get(url).status_code == 404
    detail = reverse("appraisal:nomination_detail", args=[there.pk])
    assert client_for(c.town_staff).get(detail).status_code == 404
    assert client_for(c.admin).get(detail).status_code == 200
    assert client_for(c.admin).get(url + "?tab=complaints&state=open&page=abc").status_code == 200


def test_the_hearing_form(panels):
    c = panels
    comp = services.complaint_create(actor=c.resident_user, village=c.village, kind="elders",
                                     act="不给老母亲生活费", subject_name="钱七")
    url = reverse("appraisal:complaint_detail", args=[comp.pk])
    hearing = reverse("appraisal:complaint_hearing", args=[comp.pk])
    chair = client_for(c.extra["chair"])
    assert "保存评议记录" in chair.get(url).content.decode()
    bad = chair.post(hearing, {"heard": "钱七 13812345678", "findings": "", "proposed": "jail"})
    body = bad.content.decode()
    assert bad.status_code == 400 and "评议意见" in body and "建议处理" in body
    ok = chair.post(hearing, {"heard": "钱七、钱母", "findings": "情况属实", "proposed": "educate",
                              "heard_on": "2026-01-05", "public_text": "不赡养老人"})
    assert ok.status_code == 302
    comp.refresh_from_db()
    assert comp.findings == "情况属实" and str(comp.heard_on) == "2026-01-05"
    # an ordinary member sees it, may not record; the other town's worker sees nothing
    member = client_for(c.extra["member"])
    assert "保存评议记录" not in member.get(url).content.decode()
    assert member.post(hearing, {"heard": "x", "findings": "y", "proposed": "educate"}).status_code == 403
    assert client_for(c.worker_c).post(hearing, {"heard": "x", "findings": "y", "proposed": "educate"}
                                       ).status_code == 404
    # bad dates name the field, never a 5xx
    resp = chair.post(hearing, {"heard": "x", "findings": "y", "proposed": "educate", "heard_on": "0001-01-01"})
    assert resp.status_code == 400
    decide(comp.topic, "adopted")
    follow = reverse("appraisal:complaint_follow_up", args=[comp.pk])
    assert chair.post(follow, {"note": "", "corrected": "on"}).status_code == 400
    assert chair.post(follow, {"note": "已按月给生活费", "corrected": "on"}).status_code == 302
    comp.refresh_from_db()
    assert comp.corrected and comp.decision == Remedy.EDUCATE


def test_a_grid_worker_files_a_complaint_for_a_resident_at_the_desk(panels):
    c = panels
    worker = client_for(c.worker_a)
    url = reverse("appraisal:desk_complain")
    page = worker.get(url)
    assert page.status_code == 200 and "新联村" in page.content.decode()
    resp = worker.post(url, {"village": c.village.code, "resident": str(c.resident.pk), "kind": "uncivil",
                             "act": "在公共场所大声喧哗"})
    assert resp.status_code == 302
    comp = Complaint.objects.get()
    assert comp.topic.proxy == c.worker_a and comp.topic.author_resident == c.resident
    # a resident of grid B, an unknown id and garbage: the resident field named, nothing filed
    for value in (str(c.resident_b.pk), "987654321", "abc"):
        resp = worker.post(url, {"village": c.village.code, "resident": value, "kind": "uncivil", "act": "x"})
        assert resp.status_code == 400 and "居民" in resp.content.decode()
    assert Complaint.objects.count() == 1
    # the other town's village is not offered, and a forged choice is refused by the form
    resp = worker.post(url, {"village": c.village2.code, "resident": str(c.resident.pk), "kind": "uncivil",
                             "act": "x"})
    assert resp.status_code == 400 and Complaint.objects.count() == 1


def test_staff_are_sent_to_the_desk_forms_and_anonymous_to_log_in(panels):
    c = panels
    assert client_for(c.admin).get(reverse("appraisal:nominate"))["Location"] == reverse("appraisal:desk_nominate")
    assert "/accounts/" in client_for(None).get(reverse("appraisal:nominate"))["Location"]
    resp = client_for(c.admin).post(reverse("appraisal:desk_nominate"), {
        "village": c.village.code, "kind": "family", "nominee_name": "李家", "deed": "家风好"})
    assert resp.status_code == 302 and Nomination.objects.get().topic.author_user == c.admin


def test_the_pages_speak_english_when_asked(panels):
    from django.conf import settings as django_settings

    c = panels
    decide(nominate(c).topic, "adopted")
    client = client_for(c.resident_user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("appraisal:honour", args=[c.village.code])).content.decode()
    assert "Honour roll" in body and "Bravery" in body and "红榜" not in body
    body = client.get(reverse("appraisal:complain")).content.decode()
    assert "Report uncivil conduct" in body and "Dumping rubbish" in body
    admin = client_for(c.admin)
    admin.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Criticism list settings" in admin.get(reverse("appraisal:settings")).content.decode()


def test_the_village_feed_shows_the_honour_roll(panels):
    c = panels
    decide(nominate(c).topic, "adopted")
    body = client_for(c.resident_user).get(reverse("cases:feed")).content.decode()
    assert "周勇" in body and reverse("appraisal:honour", args=[c.village.code]) in body
    assert "13912345678" not in body
    # the other village's feed does not
    assert "周勇" not in client_for(c.extra["other_resident"]).get(reverse("cases:feed")).content.decode()


def test_lists_read_in_a_fixed_number_of_queries(panels):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = panels
    admin, resident = client_for(c.admin), client_for(c.resident_user)
    urls = [(admin, reverse("appraisal:desk")), (admin, reverse("appraisal:desk") + "?tab=complaints"),
            (resident, reverse("appraisal:honour", args=[c.village.code])), (resident, reverse("appraisal:mine"))]

    def counts() -> list[int]:
        out = []
        for client, url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    def add() -> None:
        decide(nominate(c).topic, "adopted")
        services.complaint_create(actor=c.resident_user, village=c.village, kind="uncivil", act="喧哗")

    add()
    first = counts()
    for _ in range(3):
        add()
    assert counts() == first
