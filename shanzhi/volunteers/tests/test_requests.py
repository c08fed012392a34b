"""Service requests: asking, the steps (assign, accept or decline, check in and out, confirm and rate,
cancel) with their state refusals and who may take them, the credit made once, and a 求助 case handed to the
service team staying one case with one timeline until the confirmation concludes it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from PIL import Image

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Case, Event, Notification, Status
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import report_case
from shanzhi.volunteers import ledger, selectors, services
from shanzhi.volunteers.models import Entry, EntryKind, RequestEvent, RequestStatus, ServiceRequest
from shanzhi.volunteers.tests.test_volunteers import MONDAY, build_setting, skill, volunteer

S = RequestStatus
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        s = build_setting(county)
        s.vol = volunteer(s, s.li)
        yield s


def ask(s, user=None, **kw) -> ServiceRequest:
    kw.setdefault("wanted_from", MONDAY + HOUR)
    kw.setdefault("wanted_to", MONDAY + 3 * HOUR)
    return services.request_create(actor=user or s.zhang, skill=skill(), text=kw.pop("text", "水龙头漏水"), **kw)


def served(s, req=None) -> ServiceRequest:
    """Assigned, accepted, checked in at MONDAY - 2.5 h and out at MONDAY (the clock stays at MONDAY)."""
    req = req or ask(s)
    with clock.frozen(MONDAY - dt.timedelta(hours=2, minutes=30)):
        services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
        services.request_accept(actor=s.li, request=req)
        services.request_checkin(actor=s.li, request=req, lat="30.85", lon="120.92")
    return services.request_checkout(actor=s.li, request=req, note="换了水龙头阀芯")


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    return buf.getvalue()


# ---- asking ------------------------------------------------------------------------------------------

def test_a_resident_asks_and_gets_a_number(setting):
    req = ask(setting)
    assert req.number == "BS20261207-0001" and req.village == setting.c.village and req.team == setting.team
    assert req.requester_name == "张三" and req.household == setting.c.household_a
    assert ask(setting).number == "BS20261207-0002"
    assert AuditEntry.objects.filter(action="volunteers.request_create").count() == 2
    assert req.events.get().action == "create"


def test_asking_refuses_bad_input_naming_the_field(setting):
    s = setting
    for kw, field in [({"text": " "}, "text"), ({"text": "长" * 1001}, "text"),
                      ({"wanted_from": MONDAY - dt.timedelta(days=1)}, "wanted_from"),
                      ({"wanted_from": MONDAY + dt.timedelta(days=90)}, "wanted_from"),
                      ({"wanted_to": MONDAY}, "wanted_to"),
                      ({"wanted_from": None, "wanted_to": MONDAY + HOUR}, "wanted_from")]:
        with pytest.raises(DomainError) as exc:
            ask(s, **kw)
        assert field in exc.value.fields, kw
    with pytest.raises(DomainError) as exc:
        services.request_create(actor=s.zhang, skill=None, text="x")
    assert "skill" in exc.value.fields
    assert not ServiceRequest.objects.exists()


def test_staff_without_a_home_cannot_ask(setting):
    with pytest.raises(PermissionDenied):
        ask(setting, user=setting.cadre)


# ---- who sees a request ------------------------------------------------------------------------------

def test_who_sees_a_request(setting):
    s = setting
    req = ask(s)
    for user in (s.zhang, s.cadre, s.c.town_staff, s.c.admin):
        assert selectors.request_get_for(user=user, pk=req.pk) == req
    for outsider in (s.c.worker_a, s.c.worker_b, s.c.worker_c, s.zhao, s.wang, s.li, s.cadre2):
        with pytest.raises(NotFound):
            selectors.request_get_for(user=outsider, pk=req.pk)
        assert req not in selectors.request_list_for(user=outsider)
    services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
    assert selectors.request_get_for(user=s.li, pk=req.pk) == req  # now the assigned volunteer's task
    assert list(selectors.my_tasks(user=s.li)) == [req] and not selectors.my_tasks(user=s.zhang).exists()
    assert list(selectors.my_requests(user=s.zhang)) == [req] and not selectors.my_requests(user=s.li).exists()


def test_the_requesters_name_is_masked_except_for_staff_the_volunteer_and_themself(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    assert selectors.requester_label(s.cadre, req) == "张三"
    assert selectors.requester_label(s.li, req) == "张三"
    assert selectors.requester_label(s.zhang, req) == "张三"
    assert selectors.requester_label(s.wang, req) == "张某"


# ---- assigning ---------------------------------------------------------------------------------------

def test_assigning_notifies_the_volunteer(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    assert req.status == S.ASSIGNED and req.assigned_by == s.cadre
    note = Notification.objects.get(user=s.li, kind="volunteer", text__contains=req.number)
    assert req.number in note.text and note.link.endswith(f"/requests/{req.pk}/")


def test_who_may_assign(setting):
    s = setting
    req = ask(s)
    for outsider in (s.c.worker_a, s.c.worker_b, s.c.worker_c, s.zhao, s.cadre2):
        with pytest.raises(NotFound):
            services.request_assign(actor=outsider, request=req, volunteer=s.vol)
    with pytest.raises(PermissionDenied):  # the requester sees it, but does not assign
        services.request_assign(actor=s.zhang, request=req, volunteer=s.vol)
    services.team_set_leader(actor=s.cadre, team=s.team, volunteer=s.vol)
    assert services.request_assign(actor=s.li, request=req, volunteer=s.vol).status == S.ASSIGNED  # the leader


def test_the_chosen_volunteer_is_checked_as_a_target(setting):
    s = setting
    req = ask(s)
    haircut = volunteer(s, s.wang, skills=("haircut",))
    pending = volunteer(s, s.c.worker_b, approve=False)
    for v in (haircut, pending):
        with pytest.raises(DomainError) as exc:
            services.request_assign(actor=s.cadre, request=req, volunteer=v)
        assert "volunteer" in exc.value.fields
    services.volunteer_pause(actor=s.li, volunteer=s.vol)
    with pytest.raises(DomainError) as exc:
        services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
    assert "volunteer" in exc.value.fields
    services.volunteer_resume(actor=s.li, volunteer=s.vol)
    me = volunteer(s, s.zhang)
    with pytest.raises(DomainError) as exc:  # not to the requester themself
        services.request_assign(actor=s.cadre, request=req, volunteer=me)
    assert "volunteer" in exc.value.fields
    assert ServiceRequest.objects.get(pk=req.pk).status == S.REQUESTED


# ---- accepting, declining ------------------------------------------------------------------------------

def test_only_the_assigned_volunteer_accepts_and_the_resident_hears_it(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    with pytest.raises(PermissionDenied):  # staff see it, but it is the volunteer's to accept
        services.request_accept(actor=s.cadre, request=req)
    with pytest.raises(PermissionDenied):
        services.request_accept(actor=s.zhang, request=req)
    with pytest.raises(NotFound):
        services.request_accept(actor=s.wang, request=req)
    req = services.request_accept(actor=s.li, request=req)
    assert req.status == S.ACCEPTED
    assert Notification.objects.filter(user=s.zhang, kind="volunteer", text__contains="已有志愿者接单").exists()
    with pytest.raises(DomainError) as exc:
        services.request_accept(actor=s.li, request=req)
    assert exc.value.code == "invalid_state" and "已接单" in str(exc.value)


def test_declining_needs_a_reason_and_excludes_the_volunteer(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    with pytest.raises(DomainError) as exc:
        services.request_decline(actor=s.li, request=req, reason="")
    assert "reason" in exc.value.fields
    req = services.request_decline(actor=s.li, request=req, reason="这周不在家")
    assert req.status == S.REQUESTED and req.volunteer is None
    assert s.vol.pk not in [x.volunteer_id for x in selectors.suggestions_for(req).suggestions]
    assert any(e.volunteer_id == s.vol.pk for e in selectors.suggestions_for(req).excluded)
    with pytest.raises(DomainError) as exc:
        services.request_assign(actor=s.cadre, request=req, volunteer=s.vol)
    assert "volunteer" in exc.value.fields
    with pytest.raises(NotFound):  # no longer theirs
        selectors.request_get_for(user=s.li, pk=req.pk)


# ---- checking in and out -------------------------------------------------------------------------------

def test_check_in_and_out_with_position_note_and_photo(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    with pytest.raises(DomainError) as exc:  # not before accepting
        services.request_checkin(actor=s.li, request=req)
    assert exc.value.code == "invalid_state"
    services.request_accept(actor=s.li, request=req)
    for lat, lon, field in [("91", "120", "lat"), ("30", "abc", "lon"), ("30", "", "lon")]:
        with pytest.raises(DomainError) as exc:
            services.request_checkin(actor=s.li, request=req, lat=lat, lon=lon)
        assert field in exc.value.fields
    req = services.request_checkin(actor=s.li, request=req, lat="30.85", lon="120.92", note="到了")
    assert req.status == S.SERVING and req.checkin_at == MONDAY and req.checkin_lat == 30.85
    with clock.frozen(MONDAY + 2 * HOUR):
        with pytest.raises(DomainError) as exc:
            services.request_checkout(actor=s.li, request=req, note="")
        assert "note" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            services.request_checkout(actor=s.li, request=req, note="修好了", photo=io.BytesIO(b"not an image"))
        assert "photo" in exc.value.fields
        req = services.request_checkout(actor=s.li, request=req, note="修好了", photo=io.BytesIO(png()))
    req.refresh_from_db()
    assert req.status == S.SERVED and req.photo.name.endswith(".jpg")
    with req.photo.open("rb") as fh:
        assert fh.read(3) == b"\xff\xd8\xff"  # re-encoded as JPEG
    assert Notification.objects.filter(user=s.zhang, text__contains="请确认并评价").exists()


def test_others_cannot_check_in(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    services.request_accept(actor=s.li, request=req)
    with pytest.raises(PermissionDenied):
        services.request_checkin(actor=s.cadre, request=req)
    with pytest.raises(NotFound):
        services.request_checkin(actor=s.zhao, request=req)


# ---- confirming --------------------------------------------------------------------------------------

def test_the_resident_confirms_and_the_volunteer_is_credited_once(setting):
    s = setting
    req = served(s)
    for bad in (0, 6, "x", None, True):
        with pytest.raises(DomainError) as exc:
            services.request_confirm(actor=s.zhang, request=req, rating=bad)
        assert "rating" in exc.value.fields
    with pytest.raises(PermissionDenied):  # the requester has a phone: staff do not confirm for them
        services.request_confirm(actor=s.cadre, request=req, rating=5)
    with pytest.raises(PermissionDenied):
        services.request_confirm(actor=s.li, request=req, rating=5)
    req = services.request_confirm(actor=s.zhang, request=req, rating="5", comment="很及时")
    assert req.status == S.CONFIRMED and req.hours == Decimal("2.50") and req.rating == 5
    entry = Entry.objects.get(source=f"request:{req.pk}")
    assert entry.kind == EntryKind.SERVICE and entry.points == 25 and entry.village == s.c.village
    assert entry.account.resident == s.c.neighbour and ledger.balance(entry.account) == 25
    with pytest.raises(DomainError) as exc:  # a repeat: the state refuses, nothing more is credited
        services.request_confirm(actor=s.zhang, request=req, rating=5)
    assert exc.value.code == "invalid_state"
    assert Entry.objects.count() == 1
    assert Notification.objects.filter(user=s.li, text__contains="25积分").exists()


def test_hours_are_capped_by_the_rule(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    services.request_accept(actor=s.li, request=req)
    services.request_checkin(actor=s.li, request=req)
    with clock.frozen(MONDAY + dt.timedelta(hours=30)):
        services.request_checkout(actor=s.li, request=req, note="陪护一整天")
        req = services.request_confirm(actor=s.zhang, request=req, rating=4)
    assert req.hours == Decimal("8.00") and Entry.objects.get().points == 80


def test_staff_confirm_for_a_resident_without_a_phone_audited(setting):
    s = setting
    req = served(s)
    ServiceRequest.objects.filter(pk=req.pk).update(requester_user=None)
    s.zhang.delete()  # 张三 has no phone account any more
    req.refresh_from_db()
    with pytest.raises(NotFound):
        services.request_confirm(actor=s.c.worker_b, request=req, rating=5)
    req = services.request_confirm(actor=s.cadre, request=req, rating=4)
    assert req.status == S.CONFIRMED
    audit = AuditEntry.objects.get(action="volunteers.request_confirm")
    assert audit.actor == s.cadre and audit.reason == "代居民确认"
    assert "代居民确认" in req.events.get(action="confirm").note


# ---- cancelling --------------------------------------------------------------------------------------

def test_the_resident_cancels_before_check_in_only(setting):
    s = setting
    req = services.request_assign(actor=s.cadre, request=ask(s), volunteer=s.vol)
    with pytest.raises(NotFound):
        services.request_cancel(actor=s.wang, request=req, reason="不需要了")
    with pytest.raises(PermissionDenied):  # the volunteer declines instead
        services.request_cancel(actor=s.li, request=req, reason="不需要了")
    with pytest.raises(DomainError) as exc:
        services.request_cancel(actor=s.zhang, request=req, reason="")
    assert "reason" in exc.value.fields
    req = services.request_cancel(actor=s.zhang, request=req, reason="自己修好了")
    assert req.status == S.CANCELLED
    assert Notification.objects.filter(user=s.li, text__contains="已取消").exists()
    late = served(s)
    with pytest.raises(DomainError) as exc:
        services.request_cancel(actor=s.zhang, request=late, reason="算了")
    assert exc.value.code == "invalid_state" and "待确认" in str(exc.value)


def test_every_step_is_on_the_requests_timeline(setting):
    s = setting
    req = served(s)
    services.request_confirm(actor=s.zhang, request=req, rating=5)
    assert list(RequestEvent.objects.filter(request=req).order_by("id").values_list("action", flat=True)) == [
        "create", "assign", "accept", "checkin", "checkout", "confirm"]


# ---- a 求助 case handed to the service team ----------------------------------------------------------

def help_case(s) -> Case:
    return report_case(s.c, code="elderly_care", kind="help", description="独居老人家里灯坏了")


def test_a_help_case_is_handed_over_and_stays_one_case_with_one_timeline(setting):
    s = setting
    case = help_case(s)
    assert services.may_hand_over(s.c.worker_a, case)
    req = services.request_from_case(actor=s.c.worker_a, case=case, skill=skill(), note="请帮忙换灯泡")
    assert req.case == case and req.village == s.c.village and req.resident == s.c.resident
    assert req.requester_user == s.zhang
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.first_response_at is not None
    assert not services.may_hand_over(s.c.worker_a, case)
    with pytest.raises(DomainError) as exc:  # once
        services.request_from_case(actor=s.c.worker_a, case=case, skill=skill())
    assert exc.value.code == "invalid_state"
    served(s, req)
    services.request_confirm(actor=s.zhang, request=req, rating=5)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and Case.objects.count() == 1
    notes = list(Event.objects.filter(case=case).order_by("id").values_list("action", "note"))
    assert [a for a, _n in notes] == ["report", "annotate", "annotate", "annotate", "annotate", "annotate",
                                      "conclude"]
    assert all(req.number in n for a, n in notes[1:])
    conclude = Event.objects.get(case=case, action="conclude")
    assert conclude.actor is None  # concluded on the resident's confirmation, by the system (see services)
    assert Event.objects.filter(case=case, action="annotate", actor=s.cadre).exists()  # the cadre's assignment, as the cadre


def test_who_may_hand_over_a_case(setting):
    s = setting
    case = help_case(s)
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao):
        assert not services.may_hand_over(outsider, case)
        with pytest.raises(NotFound):
            services.request_from_case(actor=outsider, case=case, skill=skill())
    problem = report_case(s.c)
    assert not services.may_hand_over(s.c.worker_a, problem)
    with pytest.raises(DomainError) as exc:
        services.request_from_case(actor=s.c.worker_a, case=problem, skill=skill())
    assert exc.value.code == "invalid_state" and "求助" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        services.request_from_case(actor=s.c.worker_a, case=case, skill=None)
    assert "skill" in exc.value.fields
    assert not ServiceRequest.objects.exists()


def test_a_case_closed_meanwhile_only_gets_the_entry(setting):
    s = setting
    case = help_case(s)
    req = services.request_from_case(actor=s.c.worker_a, case=case, skill=skill())
    served(s, req)
    from shanzhi.cases.services import case_conclude

    case_conclude(actor=s.c.worker_a, case=case, outcome="已上门解决")
    services.request_confirm(actor=s.zhang, request=req, rating=5)
    assert Event.objects.filter(case=case, action="conclude").count() == 1
    assert Event.objects.filter(case=case, action="annotate").last().note.startswith(f"百事服务团 {req.number}")


# ---- raced on PostgreSQL -----------------------------------------------------------------------------

def race(calls) -> list:
    """Run the calls in threads released together; each answer is the result or the DomainError raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertion, named in its message
            out[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with clock.frozen(MONDAY + HOUR):  # frozen once, around the threads (see legal's race tests)
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not any(t.is_alive() for t in threads), "a confirming thread is still waiting"
    return out


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_confirmations_at_once_credit_once(county):
    with clock.frozen(MONDAY):
        s = build_setting(county)
        s.vol = volunteer(s, s.li)
        req = served(s)
    answers = race([lambda: services.request_confirm(actor=s.zhang, request=req, rating=5),
                    lambda: services.request_confirm(actor=s.zhang, request=req, rating=4)])
    done = [a for a in answers if isinstance(a, ServiceRequest)]
    refused = [a for a in answers if isinstance(a, DomainError)]
    assert len(done) == 1 and len(refused) == 1 and refused[0].code == "invalid_state", answers
    assert Entry.objects.filter(source=f"request:{req.pk}").count() == 1
