"""Activities: created by the team's leader or the cadres, sign-up within the capacity, cancel before the start,
QR or code check-in and check-out, the leader's marks, and closing credits each volunteer once."""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.volunteers import activities, ledger
from shanzhi.volunteers.models import (
    ActivitySignup,
    ActivityStatus,
    Entry,
    EntryKind,
    Volunteer,
    VolunteerStatus,
)
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import MONDAY, build_bank, client_for

START = MONDAY + dt.timedelta(days=2)  # Wednesday 09:30
END = START + dt.timedelta(hours=3)


def _new(s, actor=None, capacity=5, multiplier="1.5", **kw):
    return activities.activity_create(actor=actor or s.li, team=kw.pop("team", s.team), title="河道清洁日",
                                      place="村口河埠头", starts_at=kw.pop("starts_at", START),
                                      ends_at=kw.pop("ends_at", END), capacity=capacity, multiplier=multiplier, **kw)


def test_the_leader_and_the_cadres_create_activities(bank):
    s = bank
    a = _new(s)  # 李梅 chairs the team
    assert a.unit == s.c.village and a.status == ActivityStatus.OPEN and a.multiplier == Decimal("1.50")
    assert re.fullmatch(r"[0-9a-f]{32}", a.checkin_secret) and re.fullmatch(r"\d{6}", a.checkin_code)
    assert AuditEntry.objects.filter(action="volunteers.activity_create", object_id=str(a.pk)).exists()
    assert _new(s, actor=s.cadre).team == s.team and _new(s, actor=s.c.town_staff).team == s.team
    with pytest.raises(NotFound):
        _new(s, actor=s.c.worker_b)
    with pytest.raises(NotFound):
        _new(s, actor=s.c.worker_c)
    with pytest.raises(NotFound):
        _new(s, actor=s.zhang)  # a volunteer, not the leader
    with pytest.raises(NotFound):  # the leader of 新联村's team does not run 洋桥村's
        _new(s, team=s.team2)


def test_bad_input_names_the_field(bank):
    s = bank
    for kw, field in (({"capacity": 0}, "capacity"), ({"capacity": "many"}, "capacity"),
                      ({"multiplier": "0.4"}, "multiplier"), ({"multiplier": "6"}, "multiplier"),
                      ({"multiplier": "x"}, "multiplier"), ({"ends_at": START}, "ends_at"),
                      ({"ends_at": START + dt.timedelta(days=4)}, "ends_at"),
                      ({"starts_at": MONDAY - dt.timedelta(days=2), "ends_at": MONDAY - dt.timedelta(days=1)},
                       "ends_at")):
        with pytest.raises(DomainError) as exc:
            _new(s, **kw)
        assert field in exc.value.fields, kw
    with pytest.raises(DomainError) as exc:
        activities.activity_create(actor=s.li, team=s.team, title=" ", place="", starts_at=START, ends_at=END,
                                   capacity=3)
    assert {"title", "place"} <= set(exc.value.fields)


def test_signup_capacity_and_cancel(bank):
    s = bank
    a = _new(s, capacity=1)
    row = activities.signup(actor=s.zhang, activity=a)
    assert row.volunteer == s.vol_zhang
    with pytest.raises(DomainError) as exc:
        activities.signup(actor=s.zhang, activity=a)
    assert exc.value.code == "already"
    with pytest.raises(DomainError) as exc:
        activities.signup(actor=s.li, activity=a)
    assert "capacity" in exc.value.fields and exc.value.code == "full"
    activities.signup_cancel(actor=s.zhang, activity=a)
    assert activities.signup(actor=s.li, activity=a).volunteer == s.vol_li
    with pytest.raises(DomainError):  # full again
        activities.signup(actor=s.zhang, activity=a)
    with pytest.raises(DomainError) as exc:  # not signed up
        activities.signup_cancel(actor=s.zhang, activity=a)
    with clock.frozen(START + dt.timedelta(minutes=1)):
        with pytest.raises(DomainError) as exc:
            activities.signup_cancel(actor=s.li, activity=a)
        assert exc.value.code == "started"
        with pytest.raises(DomainError):
            activities.signup(actor=s.zhang, activity=a)


def test_who_may_sign_up(bank):
    s = bank
    a = _new(s)
    with pytest.raises(NotFound):  # the other town's volunteer does not see it
        activities.signup(actor=s.zhao, activity=a)
    with pytest.raises(NotFound):
        activities.signup(actor=s.c.worker_b, activity=a)
    with pytest.raises(DomainError) as exc:  # 王五 lives in the village but is no volunteer
        activities.signup(actor=s.wang, activity=a)
    assert "volunteer" in exc.value.fields
    Volunteer.objects.filter(pk=s.vol_zhang.pk).update(status=VolunteerStatus.PAUSED)
    with pytest.raises(DomainError) as exc:  # a paused volunteer sees it but may not sign up
        activities.signup(actor=s.zhang, activity=a)
    assert "volunteer" in exc.value.fields
    assert not ActivitySignup.objects.exists()


def test_check_in_and_out_and_closing_credits_once(bank):
    s = bank
    a = _new(s, multiplier="1.5")
    activities.signup(actor=s.zhang, activity=a)
    activities.signup(actor=s.li, activity=a)
    with pytest.raises(DomainError) as exc:  # too early
        activities.scan(actor=s.zhang, activity=a, secret=a.checkin_secret)
    assert exc.value.code == "too_early"
    with clock.frozen(START - dt.timedelta(minutes=10)):
        with pytest.raises(DomainError) as exc:
            activities.scan(actor=s.zhang, activity=a, code="000000" if a.checkin_code != "000000" else "111111")
        assert "code" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            activities.scan(actor=s.zhang, activity=a, secret="f" * 32)
        assert "code" in exc.value.fields
        assert activities.scan(actor=s.zhang, activity=a, secret=a.checkin_secret) == "in"
        with pytest.raises(NotFound):
            activities.by_secret(actor=s.zhao, secret=a.checkin_secret)  # another town's phone: not found
    with clock.frozen(START + dt.timedelta(minutes=30)):
        assert activities.mark(actor=s.li, activity=a, signup_id=activities.signup_of(s.li, a).pk) == "in"
        with pytest.raises(DomainError) as exc:
            activities.close(actor=s.li, activity=a, now=START - dt.timedelta(minutes=1))
        assert exc.value.code == "not_started"
    with clock.frozen(END + dt.timedelta(hours=1)):  # hours capped at the activity's 3 hours
        assert activities.scan(actor=s.zhang, activity=a, code=a.checkin_code) == "out"
        with pytest.raises(DomainError):
            activities.scan(actor=s.zhang, activity=a, code=a.checkin_code)
        with pytest.raises(PermissionDenied):  # a volunteer sees it but does not run it
            activities.close(actor=s.zhang, activity=a)
        with pytest.raises(NotFound):
            activities.close(actor=s.c.worker_b, activity=a)
        entries = activities.close(actor=s.li, activity=a)
    # 李梅 checked in but never out: nothing; 张三 3 hours x 10 x 1.5
    assert len(entries) == 1
    e = entries[0]
    assert (e.kind, e.hours, e.points, e.source, e.village) == (EntryKind.ACTIVITY, Decimal("3.00"), 45,
                                                                 f"signup:{e.signup_id}", s.c.village)
    assert ledger.balance(ledger.account_of_volunteer(s.vol_zhang)) == 45
    a.refresh_from_db()
    assert a.status == ActivityStatus.DONE
    with pytest.raises(DomainError) as exc:  # closing twice: refused, and nothing credited twice
        activities.close(actor=s.li, activity=a, now=END + dt.timedelta(hours=2))
    assert exc.value.code == "finished" and Entry.objects.count() == 1


def test_the_activity_pages(bank):
    s = bank
    li, zhang = client_for(s.li), client_for(s.zhang)
    resp = li.post(reverse("volunteers:activity_new"), {
        "team": s.team.pk, "title": "义诊", "place": "村卫生室", "starts_at": "2026-12-09T09:00",
        "ends_at": "2026-12-09T08:00", "capacity": "10", "multiplier": "2"})
    assert resp.status_code == 400 and "结束时间应晚于开始时间" in resp.content.decode()
    resp = li.post(reverse("volunteers:activity_new"), {
        "team": s.team.pk, "title": "义诊", "place": "村卫生室", "starts_at": "2026-12-09T09:00",
        "ends_at": "2026-12-09T11:00", "capacity": "ten", "multiplier": "2"})
    assert resp.status_code == 400 and "名额" in resp.content.decode()
    resp = li.post(reverse("volunteers:activity_new"), {
        "team": s.team.pk, "title": "义诊", "place": "村卫生室", "starts_at": "2026-12-09T09:00",
        "ends_at": "2026-12-09T11:00", "capacity": "1", "multiplier": "2"})
    assert resp.status_code == 302
    a = activities.activities_for(s.li).get(title="义诊")
    assert client_for(s.zhang).get(reverse("volunteers:activity_new")).status_code == 404
    assert client_for(s.c.worker_b).get(reverse("volunteers:activity_new")).status_code == 404
    # the list and the page: the village's volunteers and residents; not grid B's worker nor the other town
    assert f'data-activity="{a.pk}"' in zhang.get(reverse("volunteers:activities")).content.decode()
    assert f'data-activity="{a.pk}"' in client_for(s.wang).get(reverse("volunteers:activities")).content.decode()
    for outsider in (s.zhao, s.c.worker_b, s.c.worker_c):
        c = client_for(outsider)
        assert f'data-activity="{a.pk}"' not in c.get(reverse("volunteers:activities")).content.decode()
        assert c.get(reverse("volunteers:activity", args=[a.pk])).status_code == 404
        assert c.get(reverse("volunteers:activity_screen", args=[a.pk])).status_code == 404
        assert c.post(reverse("volunteers:activity_act", args=[a.pk, "signup"])).status_code == 404
    assert zhang.get(reverse("volunteers:activity_screen", args=[a.pk])).status_code == 403
    body = li.get(reverse("volunteers:activity_screen", args=[a.pk])).content.decode()
    assert "<svg" in body and a.checkin_code in body
    assert zhang.post(reverse("volunteers:activity_act", args=[a.pk, "signup"])).status_code == 302
    resp = li.post(reverse("volunteers:activity_act", args=[a.pk, "signup"]))
    assert resp.status_code == 400 and "名额已满" in resp.content.decode()
    assert zhang.post(reverse("volunteers:activity_act", args=[a.pk, "nope"])).status_code == 404
    with clock.frozen(a.starts_at):
        url = reverse("volunteers:activity_checkin")
        assert zhang.get(url, {"t": "0" * 32}).status_code == 404
        assert client_for(s.zhao).get(url, {"t": a.checkin_secret}).status_code == 404
        assert zhang.get(url, {"t": a.checkin_secret}).status_code == 200
        assert zhang.post(url, {"t": a.checkin_secret}).status_code == 302
        resp = zhang.post(reverse("volunteers:activity_act", args=[a.pk, "code"]), {"code": "12"})
        assert resp.status_code == 400 and "签到码为6位数字" in resp.content.decode()
    with clock.frozen(a.ends_at):
        assert zhang.post(reverse("volunteers:activity_act", args=[a.pk, "code"]),
                          {"code": a.checkin_code}).status_code == 302
        assert zhang.post(reverse("volunteers:activity_act", args=[a.pk, "close"])).status_code == 403
        assert li.post(reverse("volunteers:activity_act", args=[a.pk, "close"])).status_code == 302
    assert ledger.balance(ledger.account_of_volunteer(s.vol_zhang)) == 40  # 2 h x 10 x 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_volunteers_race_for_the_last_place(county):
    with clock.frozen(MONDAY):
        s = build_bank(county)
        a = _new(s, capacity=1)
        from shanzhi.accounts.services import user_create_staff
        from shanzhi.lib.testing import PASSWORD

        users = []
        for i in range(8):
            u = user_create_staff(actor=None, username=f"v{i}", password=PASSWORD, display_name=f"v{i}",
                                  check_strength=False)
            v = Volunteer.objects.create(user=u, name=f"v{i}", village=s.c.village, status=VolunteerStatus.ACTIVE,
                                         applied_at=MONDAY, updated_at=MONDAY)
            v.villages.add(s.c.village)
            users.append(u)
    barrier = threading.Barrier(8)
    out: list = [None] * 8

    def run(i):
        try:
            barrier.wait()
            out[i] = activities.signup(actor=users[i], activity=a, now=MONDAY)
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001
            out[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(isinstance(x, ActivitySignup) for x in out) == 1, out
    assert all(x.code == "full" for x in out if isinstance(x, DomainError)), out
    assert ActivitySignup.objects.filter(activity=a, cancelled_at__isnull=True).count() == 1


def test_the_leader_cancels_an_activity_with_a_reason(bank):
    from shanzhi.cases.models import Notification

    s = bank
    a = _new(s)
    activities.signup(actor=s.zhang, activity=a)
    with pytest.raises(NotFound):  # out of scope: not found
        activities.cancel(actor=s.c.worker_b, activity=a, reason="下雨")
    with pytest.raises(NotFound):
        activities.cancel(actor=s.zhao, activity=a, reason="下雨")
    with pytest.raises(PermissionDenied):  # a volunteer sees it but does not run it
        activities.cancel(actor=s.zhang, activity=a, reason="下雨")
    for reason in ("", "  ", "雨" * 201):
        with pytest.raises(DomainError) as exc:
            activities.cancel(actor=s.li, activity=a, reason=reason)
        assert "reason" in exc.value.fields
    a.refresh_from_db()
    assert a.status == ActivityStatus.OPEN
    activities.cancel(actor=s.cadre, activity=a, reason="暴雨预警")
    a.refresh_from_db()
    assert a.status == ActivityStatus.CANCELLED
    assert AuditEntry.objects.filter(action="volunteers.activity_cancel", object_id=str(a.pk)).exists()
    notes = Notification.objects.filter(user=s.zhang, dedupe_key=f"activity-cancel:{a.pk}")
    assert notes.count() == 1 and "暴雨预警" in notes.get().text
    with pytest.raises(DomainError) as exc:  # twice: the state forbids
        activities.cancel(actor=s.li, activity=a, reason="再取消")
    assert exc.value.code == "cancelled"
    with pytest.raises(DomainError) as exc:
        activities.signup(actor=s.li, activity=a)
    assert exc.value.code == "cancelled" and "已取消" in str(exc.value)
    with clock.frozen(START):
        with pytest.raises(DomainError) as exc:
            activities.scan(actor=s.zhang, activity=a, code=a.checkin_code)
        assert exc.value.code == "cancelled"
        with pytest.raises(DomainError) as exc:
            activities.mark(actor=s.li, activity=a, signup_id=activities.signup_of(s.zhang, a).pk)
        assert exc.value.code == "cancelled"
    with clock.frozen(END):
        with pytest.raises(DomainError):  # no credits for a cancelled activity
            activities.close(actor=s.li, activity=a)
    assert not Entry.objects.exists()


def test_an_ended_activity_cannot_be_cancelled(bank):
    s = bank
    a = _new(s)
    with pytest.raises(DomainError) as exc:
        activities.cancel(actor=s.li, activity=a, reason="晚了", now=END)
    assert exc.value.code == "ended"
    with clock.frozen(END):
        activities.close(actor=s.li, activity=a)
    with pytest.raises(DomainError) as exc:
        activities.cancel(actor=s.li, activity=a, reason="晚了", now=START)
    assert exc.value.code == "finished"


def test_the_cancel_form_on_the_leaders_page(bank):
    s = bank
    a = _new(s)
    li, zhang = client_for(s.li), client_for(s.zhang)
    url = reverse("volunteers:activity_act", args=[a.pk, "call_off"])
    assert "data-call-off" in li.get(reverse("volunteers:activity", args=[a.pk])).content.decode()
    assert "data-call-off" not in zhang.get(reverse("volunteers:activity", args=[a.pk])).content.decode()
    assert client_for(s.c.worker_b).post(url, {"reason": "x"}).status_code == 404
    assert zhang.post(url, {"reason": "x"}).status_code == 403
    resp = li.post(url, {"reason": " "})
    assert resp.status_code == 400 and "请填写取消原因" in resp.content.decode()
    assert li.post(url, {"reason": "场地被占用"}).status_code == 302
    resp = zhang.post(reverse("volunteers:activity_act", args=[a.pk, "signup"]))
    assert resp.status_code == 400 and "该活动已取消" in resp.content.decode()
    body = li.get(reverse("volunteers:activity", args=[a.pk])).content.decode()
    assert "data-call-off" not in body and "已取消" in body
