"""Disputes through the services: one door, tiers, sessions without clashes, agreements, indicators, scopes."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from docx import Document

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Status
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.mediation import services as svc
from shanzhi.mediation.document import agreement_docx
from shanzhi.mediation.indicators import indicators_for
from shanzhi.mediation.models import SESSION_KIND, Dispute, Result
from shanzhi.mediation.tests.conftest import PARTIES
from shanzhi.rooms import services as room_services
from shanzhi.rooms.models import Room

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday


def register(c, dtype, **kw):
    kw.setdefault("parties", PARTIES)
    kw.setdefault("unit", c.mg_a1)
    return svc.dispute_register(actor=kw.pop("actor", c.extra["mediator"]), kind=kw.pop("kind", "dispute"),
                                type=dtype, summary=kw.pop("summary", "通道堆放杂物引发邻里矛盾"), **kw)


def session(c, d, start=NINE, hours=1, room=None, mediators=None):
    return svc.session_schedule(actor=c.extra["mediator"], dispute=d, starts_at=start,
                                ends_at=start + dt.timedelta(hours=hours),
                                room=room or d.centre.rooms.first(), mediators=mediators or [c.extra["mediator"]])


def test_a_walk_in_is_registered_in_one_step_with_one_number(centres, neighbour_type):
    d = register(centres, neighbour_type)
    assert d.case.number.startswith("330421-") and d.case.channel == "walk_in"
    assert d.centre == centres.extra["village_centre"]  # a neighbour matter stays in the village
    assert d.case.handling_unit == centres.village and not d.case.is_public
    assert [p.name for p in d.parties.order_by("id")] == ["张三", "王五"]
    assert d.parties.get(name="张三").id_number_masked == "330421********123X"
    assert AuditEntry.objects.filter(action="mediation.register").count() == 1


def test_bad_parties_are_named(centres, neighbour_type):
    with pytest.raises(DomainError) as err:
        register(centres, neighbour_type, parties=[{"role": "applicant", "name": "", "id_number": "123"}])
    assert "parties" in err.value.fields and "parties[1].name" in err.value.fields
    assert Dispute.objects.count() == 0


def test_a_repeat_petition_is_warned_then_linked(centres, neighbour_type):
    first = register(centres, neighbour_type)
    with pytest.raises(DomainError, match=first.case.number) as err:
        register(centres, neighbour_type)
    assert err.value.code == "possible_repeat" and Dispute.objects.count() == 1
    second = register(centres, neighbour_type, confirm_repeat=True)
    assert second.repeat_of == first


def test_escalation_climbs_the_tiers(centres, neighbour_type):
    d = register(centres, neighbour_type)
    with pytest.raises(DomainError, match="上报原因"):
        svc.dispute_escalate(actor=centres.extra["mediator"], dispute=d, note="")
    svc.dispute_escalate(actor=centres.extra["mediator"], dispute=d, note="村里调不了")
    assert d.centre == centres.extra["town_centre"] and d.case.handling_unit == centres.town
    svc.dispute_escalate(actor=centres.admin, dispute=d, note="镇里调不了")
    assert d.centre == centres.extra["county_centre"]
    with pytest.raises(DomainError, match="最高一级"):
        svc.dispute_escalate(actor=centres.admin, dispute=d, note="再上报")


def test_sessions_never_double_book_a_room_or_a_mediator(centres, neighbour_type):
    a, b = register(centres, neighbour_type), register(centres, neighbour_type, confirm_repeat=True)
    session(centres, a)
    with pytest.raises(DomainError, match="已被") as err:
        session(centres, b, start=NINE + dt.timedelta(minutes=30))
    assert err.value.code == "clash"
    svc.dispute_escalate(actor=centres.extra["mediator"], dispute=b, note="转镇里")
    with pytest.raises(DomainError, match="调解员"):  # another room, same mediator, overlapping
        session(centres, b, start=NINE + dt.timedelta(minutes=30))
    session(centres, b, start=NINE + dt.timedelta(hours=1))  # back to back is fine


def test_a_session_is_a_room_booking_that_clashes_with_other_kinds_of_bookings(centres, neighbour_type):
    c = centres
    mediator = c.extra["mediator"]
    d = register(c, neighbour_type)
    s = session(c, d)
    assert (s.booking.kind, s.booking.purpose, s.booking.unit) == (SESSION_KIND, f"纠纷调解 {d.case.number}", c.village)
    assert list(s.mediators.all()) == [mediator] and s.room == c.extra["village_centre"].rooms.first()
    # the mediator is at a council meeting in the town's hall the next hour: no session for them then
    hall = Room.objects.create(unit=c.town, name="镇会议厅")
    room_services.book(actor=c.town_staff, room=hall, starts_at=NINE + dt.timedelta(hours=1),
                       ends_at=NINE + dt.timedelta(hours=3), purpose="镇村民代表会议", kind="councils.meeting",
                       people=[mediator], authority="councils.run")
    with pytest.raises(DomainError) as err:
        session(c, d, start=NINE + dt.timedelta(hours=2))
    assert err.value.code == "clash" and "镇村民代表会议" in str(err.value) and "镇会议厅" in str(err.value)
    # and the centre's own rooms only: not the town's hall, not a room out of use
    for room in (hall, Room.objects.create(unit=c.village, name="旧调解室", is_active=False)):
        with pytest.raises(DomainError) as err:
            session(c, d, start=NINE + dt.timedelta(days=1), room=room)
        assert list(err.value.fields) == ["room"]


def test_centre_create_makes_bookable_rooms_at_its_unit(centres):
    c = centres
    assert sorted(Room.objects.filter(unit=c.town).values_list("name", flat=True)) == ["调解室A", "调解室B"]
    centre = svc.centre_create(actor=None, unit=c.town2, name="大云镇矛调中心", rooms=["调解室"])
    assert [r.name for r in centre.rooms] == ["调解室"] and centre.rooms.get().unit == c.town2


def test_no_agreement_without_a_session(centres, neighbour_type):
    d = register(centres, neighbour_type)
    with pytest.raises(DomainError, match="没有调解记录"):
        svc.agreement_create(actor=centres.extra["mediator"], dispute=d, terms="王五三日内清理杂物")
    with pytest.raises(DomainError, match="尚未进行调解"):
        svc.dispute_conclude(actor=centres.extra["mediator"], dispute=d, result=Result.AGREEMENT)


def test_mediation_to_agreement_to_follow_up(centres, neighbour_type):
    m = centres.extra["mediator"]
    with clock.frozen(NINE):
        d = register(centres, neighbour_type)
        s = session(centres, d)
        parties = list(d.parties.values_list("id", flat=True))
        svc.session_record(actor=m, session=s, attended=parties, minutes="双方陈述，经调解同意清理通道")
        agreement = svc.agreement_create(actor=m, dispute=d, terms="一、王五于三日内清理通道杂物。")
        with pytest.raises(DomainError, match="尚未签署"):
            svc.dispute_conclude(actor=m, dispute=d, result=Result.AGREEMENT)
        svc.agreement_sign(actor=m, agreement=agreement)
        svc.dispute_conclude(actor=m, dispute=d, result=Result.AGREEMENT, note="当场履行")
    d.case.refresh_from_db()
    assert d.case.status == Status.CLOSED and d.first_time and d.resolved_level == "village"
    doc = Document(io.BytesIO(agreement_docx(agreement)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "张三" in text and "王五" in text and "330421********123X" in text and "人民调解协议书" in text
    assert "33042119900101123X" not in text
    svc.followup_record(actor=m, agreement=agreement, result="performed", note="已清理")
    with pytest.raises(DomainError, match="已办结"):
        svc.dispute_conclude(actor=m, dispute=d, result=Result.FAILED)


def test_a_referral_needs_a_destination(centres, neighbour_type):
    d = register(centres, neighbour_type)
    with pytest.raises(DomainError, match="转办去向"):
        svc.dispute_conclude(actor=centres.extra["mediator"], dispute=d, result=Result.REFERRED)
    svc.dispute_conclude(actor=centres.extra["mediator"], dispute=d, result=Result.REFERRED, referred_to="诉讼")
    assert d.first_time is False


def test_out_of_scope_staff_see_nothing(centres, neighbour_type):
    d = register(centres, neighbour_type)
    with pytest.raises(NotFound):
        svc.dispute_escalate(actor=centres.extra["mediator_other_town"], dispute=d, note="x")
    with pytest.raises(NotFound):
        svc.dispute_conclude(actor=centres.worker_c, dispute=d, result=Result.WITHDRAWN)
    # Grid worker A sees the case (it happened in grid A, as the dispute pages show) but may not mediate it.
    with pytest.raises(PermissionDenied):
        svc.dispute_conclude(actor=centres.worker_a, dispute=d, result=Result.WITHDRAWN)
    with pytest.raises(PermissionDenied):  # and a grid worker registers nothing at the window
        register(centres, neighbour_type, actor=centres.worker_a, confirm_repeat=True)


def test_indicators_match_a_hand_count(centres, neighbour_type):
    m = centres.extra["mediator"]
    with clock.frozen(NINE):
        a = register(centres, neighbour_type)  # resolved first time in the village (withdrawn)
        svc.dispute_conclude(actor=m, dispute=a, result=Result.WITHDRAWN)
        b = register(centres, neighbour_type)  # escalated to the town, then resolved there
        c = register(centres, neighbour_type, confirm_repeat=True)  # the same people again: a repeat of b
        svc.dispute_escalate(actor=m, dispute=b, note="转镇")
        svc.dispute_conclude(actor=m, dispute=b, result=Result.WITHDRAWN)
        svc.dispute_conclude(actor=m, dispute=c, result=Result.REFERRED, referred_to="诉讼")
        register(centres, neighbour_type,
                 parties=[{"role": "applicant", "name": "赵六"}, {"role": "respondent", "name": "钱七"}])  # open
    ind = indicators_for(centres.county, NINE - dt.timedelta(days=1), NINE + dt.timedelta(days=1))
    assert ind["accepted"] == 4
    assert ind["resolved"] == 2 and ind["resolution_rate"] == 2 / 4  # a and b
    assert ind["first_time"] == 1 and ind["first_time_rate"] == 1 / 4  # only a: b escalated, c referred
    assert ind["village_share"] == 1 / 2 and ind["town_share"] == 2 / 2  # a in the village, b in the town
    assert ind["repeats"] == 1  # c
    assert ind["median_days"] == 0.0
    town = indicators_for(centres.town2, NINE - dt.timedelta(days=1), NINE + dt.timedelta(days=1))
    assert town["accepted"] == 0 and town["resolution_rate"] is None


def test_a_grid_dispute_case_escalated_to_the_village_arrives_at_its_centre(centres):
    from shanzhi.cases.services import case_escalate
    from shanzhi.lib.testing import report_case

    with clock.frozen(NINE):
        case = report_case(centres, code="neighbour")  # a resident's neighbour dispute, handled in grid A
        assert not Dispute.objects.filter(case=case).exists()  # grid level: no centre in the grid
        case_escalate(actor=centres.worker_a, case=case, note="需要村调解室调解")
    d = Dispute.objects.get(case=case)
    assert d.centre == centres.extra["village_centre"] and d.parties.get().name == "张三"


def test_an_ordinary_case_never_becomes_a_dispute(centres):
    from shanzhi.cases.services import case_escalate
    from shanzhi.lib.testing import report_case

    case = report_case(centres, code="garbage")
    case_escalate(actor=centres.worker_a, case=case, note="村里处理")
    assert not Dispute.objects.exists()


def test_an_online_application_for_a_town_matter_arrives_at_the_town_centre(centres):
    from shanzhi.lib.testing import report_case

    case = report_case(centres, code="land")  # land disputes are handled by the town
    d = Dispute.objects.get(case=case)
    assert d.centre == centres.extra["town_centre"] and d.kind == "dispute"


def test_a_superuser_adds_a_dispute_type_in_the_admin_and_it_is_audited(client, db):
    from shanzhi.accounts.models import User
    from shanzhi.cases.models import Category
    from shanzhi.mediation.models import DisputeType

    root = User.objects.create_superuser("root", password="x-very-long-pass")
    client.force_login(root)
    cat = Category.objects.get(code="other_dispute")
    r = client.post("/admin/mediation/disputetype/add/", {"code": "pets", "name": "宠物纠纷", "category": cat.pk,
                                                         "default_level": "village", "sort": 20})
    assert r.status_code == 302 and DisputeType.objects.filter(code="pets").exists()
    assert AuditEntry.objects.filter(object_type="mediation.disputetype").exists()
