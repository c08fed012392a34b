"""The legal team through its services: appointments and their grant, questions, bookings, outcomes,
referrals into a real dispute, talks, each rule both ways."""

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Notification
from shanzhi.legal import selectors as sel
from shanzhi.legal import services as svc
from shanzhi.legal.models import Appointment, Booking, Consultation, Outcome, Slot
from shanzhi.legal.tests.conftest import NINE, TUESDAY
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import PASSWORD
from shanzhi.mediation.models import Dispute, DisputeType
from shanzhi.mediation.services import centre_create
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

LATER = TUESDAY + dt.timedelta(hours=1)


def ask(c, user=None, public=False, text="承包地被邻居占了一半，怎么办？"):
    with clock.frozen(NINE):
        return svc.question_ask(actor=user or c.resident_user, category=c.extra["category"], text=text,
                                is_public=public)


def first_slot(c, village=None):
    return Slot.objects.filter(village=village or c.village).order_by("starts_at").first()


# ---- appointments and the grant ---------------------------------------------------------------------

def test_an_appointment_makes_slots_from_the_schedule(legal):
    slots = Slot.objects.filter(appointment=legal.extra["appointment"]).order_by("starts_at")
    # four Tuesdays from 2026-11-25 within four weeks (12-01, 12-08, 12-15, 12-22), four half hours each
    assert slots.count() == 16
    assert [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots[:4]] == ["09:00", "09:30", "10:00", "10:30"]
    with clock.frozen(NINE):
        assert svc.slots_generate(actor=legal.extra["lawyer"], appointment=legal.extra["appointment"]) == 0
    assert Notification.objects.filter(user=legal.extra["lawyer"], kind="legal").count() == 1


def test_one_adviser_per_village_at_a_time_and_history_is_kept(legal):
    c = legal
    other = user_create_staff(actor=None, username="lawyer_x", password=PASSWORD, display_name="许律师",
                              check_strength=False)
    with clock.frozen(NINE):
        booked = svc.booking_create(actor=c.resident_user, slot=first_slot(c))
    with clock.frozen(NINE), pytest.raises(DomainError) as err:
        svc.appointment_create(actor=c.town_staff, adviser=other, village=c.village,
                               started_on=dt.date(2026, 12, 1), term_ends_on=dt.date(2027, 6, 30))
    assert "village" in err.value.fields and err.value.code == "overlap"
    with clock.frozen(NINE):
        svc.appointment_end(actor=c.town_staff, appointment=c.extra["appointment"], ended_on=dt.date(2026, 12, 1),
                            reason="工作调动")
        svc.appointment_create(actor=c.town_staff, adviser=other, village=c.village,
                               started_on=dt.date(2026, 12, 1), term_ends_on=dt.date(2027, 6, 30))
    assert Appointment.objects.filter(village=c.village).count() == 2
    # the ended adviser's slots from the end day on are cancelled, bookings too, and the booker is told
    assert not Slot.objects.filter(appointment=c.extra["appointment"], cancelled=False,
                                   starts_at__gte=TUESDAY).exists()
    booked.refresh_from_db()
    assert booked.cancelled_at == NINE
    assert Notification.objects.get(user=c.resident_user, dedupe_key=f"legal-booking-void:{booked.pk}").link == \
        "/legal/slots/"


def test_only_managers_in_scope_appoint(legal):
    c = legal
    with clock.frozen(NINE), pytest.raises(DomainError) as err:  # 大云镇's village is not the town staff's
        svc.appointment_create(actor=c.town_staff, adviser=c.extra["lawyer"], village=c.village2,
                               started_on=dt.date(2028, 1, 1), term_ends_on=dt.date(2028, 12, 31))
    assert err.value.fields == {"village": ["未找到该村（社区），或不在您的管理范围"]}
    with clock.frozen(NINE), pytest.raises(DomainError):  # a grid worker holds no legal.manage
        svc.appointment_create(actor=c.worker_a, adviser=c.extra["lawyer"], village=c.village,
                               started_on=dt.date(2028, 1, 1), term_ends_on=dt.date(2028, 12, 31))
    with clock.frozen(NINE), pytest.raises(NotFound):
        svc.appointment_end(actor=c.worker_c, appointment=c.extra["appointment"], ended_on=dt.date(2026, 12, 1),
                            reason="x")
    with clock.frozen(NINE), pytest.raises(PermissionDenied):  # the adviser sees their appointment, may not end it
        svc.appointment_end(actor=c.extra["lawyer"], appointment=c.extra["appointment"],
                            ended_on=dt.date(2026, 12, 1), reason="x")


def test_bad_appointment_and_duty_input_is_named(legal):
    c = legal
    with clock.frozen(NINE), pytest.raises(DomainError) as err:
        svc.appointment_create(actor=c.town_staff, adviser=c.resident_user, village=c.grid_a,
                               started_on=dt.date(2027, 1, 1), term_ends_on=dt.date(2026, 1, 1))
    assert {"adviser", "village", "term_ends_on"} <= set(err.value.fields)
    with clock.frozen(NINE), pytest.raises(DomainError) as err:
        svc.duty_add(actor=c.town_staff, appointment=c.extra["appointment"], weekday=None, on_date=None,
                     starts=dt.time(11), ends=dt.time(9), place="", slot_minutes=5)
    assert {"weekday", "ends", "place", "slot_minutes"} <= set(err.value.fields)


# ---- questions ----------------------------------------------------------------------------------

def test_a_question_goes_to_the_villages_adviser_who_answers_and_the_asker_is_told(legal):
    c = legal
    q = ask(c)
    assert q.village == c.village
    note = Notification.objects.get(user=c.extra["lawyer"], dedupe_key=f"legal-question:{q.pk}")
    assert note.link == f"/legal/adviser/questions/{q.pk}/"
    with clock.frozen(NINE + dt.timedelta(hours=2)):
        svc.question_answer(actor=c.extra["lawyer"], question=q, answer="可先协商，协商不成可申请村调解。")
    q.refresh_from_db()
    assert q.answered_by == c.extra["lawyer"] and q.answered_at == NINE + dt.timedelta(hours=2)
    told = Notification.objects.get(user=c.resident_user, kind="legal")
    assert told.link == f"/legal/questions/{q.pk}/"
    with clock.frozen(NINE), pytest.raises(DomainError, match="已答复"):
        svc.question_answer(actor=c.extra["lawyer"], question=q, answer="再答一次")


def test_an_adviser_of_another_village_cannot_see_or_answer(legal):
    c = legal
    q = ask(c)
    with clock.frozen(NINE), pytest.raises(NotFound):
        svc.question_answer(actor=c.extra["lawyer2"], question=q, answer="越权答复")
    with pytest.raises(NotFound):
        sel.question_get_for(user=c.extra["lawyer2"], pk=q.pk)
    assert not sel.question_list_for(user=c.extra["lawyer2"]).filter(pk=q.pk).exists()
    # staff in scope see it but only the adviser answers
    with clock.frozen(NINE), pytest.raises(PermissionDenied):
        svc.question_answer(actor=c.town_staff, question=q, answer="镇里答复")
    with clock.frozen(NINE), pytest.raises(NotFound):
        svc.question_answer(actor=c.worker_b, question=q, answer="网格员答复")  # grid B: not the village


def test_private_questions_stay_private_and_public_ones_show_to_the_village_once_answered(legal):
    c = legal
    private, public = ask(c, public=False, text="离婚后孩子抚养权怎么判？"), ask(c, public=True)
    neighbour = c.extra["resident_b_user"]  # lives in 新联村 too
    assert not sel.question_list_for(user=neighbour).exists()  # nothing answered yet
    with clock.frozen(NINE):
        for q in (private, public):
            svc.question_answer(actor=c.extra["lawyer"], question=q, answer="答复内容如下")
    assert list(sel.question_list_for(user=neighbour)) == [public]
    assert list(sel.village_public_questions(village=c.village)) == [public]
    with pytest.raises(NotFound):
        sel.question_get_for(user=neighbour, pk=private.pk)
    with pytest.raises(NotFound):  # another village's resident
        sel.question_get_for(user=c.extra["resident_c_user"], pk=public.pk)
    assert set(sel.question_list_for(user=c.resident_user)) == {private, public}


def test_an_unanswered_question_is_flagged_after_the_set_days(legal, settings):
    c = legal
    q = ask(c)
    with clock.frozen(NINE + dt.timedelta(days=2, hours=23)):
        assert sel.adviser_open_questions(user=c.extra["lawyer"]) == [(q, False)]
    with clock.frozen(NINE + dt.timedelta(days=3)):
        assert sel.adviser_open_questions(user=c.extra["lawyer"]) == [(q, True)]
    settings.SHANZHI = {**settings.SHANZHI, "LEGAL_UNANSWERED_DAYS": 5}
    with clock.frozen(NINE + dt.timedelta(days=4)):
        assert sel.adviser_open_questions(user=c.extra["lawyer"]) == [(q, False)]
    assert sel.adviser_open_questions(user=c.extra["lawyer2"]) == []


def test_bad_questions_are_named(legal):
    c = legal
    with clock.frozen(NINE), pytest.raises(DomainError) as err:
        svc.question_ask(actor=c.resident_user, category=None, text="  短 ", is_public=True)
    assert set(err.value.fields) == {"category", "text"}
    with clock.frozen(NINE), pytest.raises(DomainError, match="居民"):
        svc.question_ask(actor=c.worker_a, category=c.extra["category"], text="工作人员来提问题", is_public=True)


# ---- bookings -------------------------------------------------------------------------------------

def test_a_resident_books_their_villages_slot_once_and_cancels(legal):
    c = legal
    slot = first_slot(c)
    with clock.frozen(NINE):
        b = svc.booking_create(actor=c.resident_user, slot=slot, topic="土地承包")
        assert slot not in sel.open_slots_for(user=c.extra["resident_b_user"])
        with pytest.raises(DomainError) as err:
            svc.booking_create(actor=c.extra["resident_b_user"], slot=slot)
        assert err.value.code == "taken" and "slot" in err.value.fields
        svc.booking_cancel(actor=c.resident_user, booking=b)
        again = svc.booking_create(actor=c.extra["resident_b_user"], slot=slot)
    assert Booking.objects.filter(slot=slot, cancelled_at__isnull=True).get() == again
    assert AuditEntry.objects.filter(action="legal.booking.create").count() == 2


def test_a_resident_of_another_village_cannot_book(legal):
    c = legal
    with clock.frozen(NINE), pytest.raises(NotFound):
        svc.booking_create(actor=c.extra["resident_c_user"], slot=first_slot(c))
    with pytest.raises(NotFound):
        sel.slot_get_for_booking(user=c.extra["resident_c_user"], pk=first_slot(c).pk)
    assert not sel.open_slots_for(user=c.extra["resident_c_user"]).filter(village=c.village).exists()
    with clock.frozen(NINE), pytest.raises(NotFound):  # staff book nothing either
        svc.booking_create(actor=c.town_staff, slot=first_slot(c))


def test_at_most_two_future_bookings(legal):
    c = legal
    slots = list(Slot.objects.filter(village=c.village).order_by("starts_at")[:3])
    with clock.frozen(NINE):
        b1 = svc.booking_create(actor=c.resident_user, slot=slots[0])
        svc.booking_create(actor=c.resident_user, slot=slots[1])
        with pytest.raises(DomainError) as err:
            svc.booking_create(actor=c.resident_user, slot=slots[2])
        assert err.value.code == "too_many"
    # once the first has started it no longer counts
    with clock.frozen(slots[0].starts_at + dt.timedelta(minutes=1)):
        svc.booking_create(actor=c.resident_user, slot=slots[2])
        with pytest.raises(DomainError, match="不能取消"):
            svc.booking_cancel(actor=c.resident_user, booking=b1)
    with clock.frozen(NINE), pytest.raises(NotFound):  # someone else's booking
        svc.booking_cancel(actor=c.extra["resident_b_user"], booking=b1)


def test_past_or_cancelled_slots_cannot_be_booked(legal):
    c = legal
    slot = first_slot(c)
    with clock.frozen(slot.starts_at), pytest.raises(DomainError, match="已过"):
        svc.booking_create(actor=c.resident_user, slot=slot)


# ---- consultations and referrals ---------------------------------------------------------------------

@pytest.fixture
def booked(legal):
    c = legal
    with clock.frozen(NINE):
        c.extra["booking"] = svc.booking_create(actor=c.resident_user, slot=first_slot(c), topic="邻居占地")
    return c


PARTIES = [{"role": "applicant", "name": "张三", "phone": "13800000001", "claim": "要求退还占用的承包地"},
           {"role": "respondent", "name": "王五", "id_number": "330421197003033329"}]


def test_the_adviser_records_advice_only_after_the_slot_starts(booked):
    c = booked
    b = c.extra["booking"]
    with clock.frozen(NINE), pytest.raises(DomainError, match="尚未开始"):
        svc.consultation_record(actor=c.extra["lawyer"], booking=b, outcome="advice", advice="建议协商")
    with clock.frozen(LATER), pytest.raises(NotFound):
        svc.consultation_record(actor=c.extra["lawyer2"], booking=b, outcome="advice", advice="越权")
    with clock.frozen(LATER), pytest.raises(PermissionDenied):
        svc.consultation_record(actor=c.town_staff, booking=b, outcome="advice", advice="镇里代记")
    with clock.frozen(LATER):
        cons = svc.consultation_record(actor=c.extra["lawyer"], booking=b, outcome="advice", advice="建议协商")
    assert cons.held_at == b.slot.starts_at and cons.dispute is None
    with clock.frozen(LATER), pytest.raises(DomainError, match="已记录"):
        svc.consultation_record(actor=c.extra["lawyer"], booking=b, outcome="advice", advice="again")


def test_bad_outcomes_are_named(booked):
    c = booked
    with clock.frozen(LATER), pytest.raises(DomainError) as err:
        svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="mediation",
                                advice="", parties=[{"role": "applicant", "name": ""}])
    assert {"advice", "dispute_type", "dispute_summary", "parties", "parties[1].name"} <= set(err.value.fields)
    with clock.frozen(LATER), pytest.raises(DomainError) as err:
        svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="legal_aid",
                                advice="符合援助条件")
    assert set(err.value.fields) == {"aid_office"}
    with clock.frozen(LATER), pytest.raises(DomainError) as err:
        svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="court", advice="x")
    assert set(err.value.fields) == {"outcome"}
    assert not Consultation.objects.exists()


@pytest.fixture
def centres(booked):
    c = booked
    centre_create(actor=None, unit=c.town, name="天凝镇矛调中心", rooms=["调解室A"])
    mediator = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员老王",
                                 check_strength=False)
    post_appoint(actor=None, unit=c.town, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    c.extra["mediator"] = mediator
    return c


def test_a_mediation_referral_becomes_a_real_dispute_registered_at_the_window(centres):
    c = centres
    dtype = DisputeType.objects.get(code="neighbour")
    with clock.frozen(LATER):
        cons = svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="mediation",
                                       advice="建议调解", dispute_type=dtype, dispute_summary="邻居占用承包地",
                                       parties=PARTIES)
    assert cons.dispute is None  # the lawyer holds no window post: it waits at the centre
    assert cons.parties[0]["phone_masked"] == "138****0001" and "13800000001" not in str(cons.parties)
    assert Notification.objects.filter(user=c.extra["mediator"], dedupe_key=f"legal-referral:{cons.pk}").exists()
    assert list(sel.referrals_for(user=c.extra["mediator"])) == [cons]
    assert not sel.referrals_for(user=c.worker_c).exists()
    with clock.frozen(LATER), pytest.raises(NotFound):  # the other town's mediator
        svc.referral_register(actor=c.worker_c, consultation=cons)
    with clock.frozen(LATER):
        dispute = svc.referral_register(actor=c.extra["mediator"], consultation=cons)
    assert Dispute.objects.get() == dispute
    cons.refresh_from_db()
    assert cons.dispute == dispute and cons.registered_by == c.extra["mediator"]
    assert dispute.centre.unit == c.town and dispute.case.channel == "walk_in"
    assert sorted((p.role, p.name, p.phone_masked, p.id_number_masked) for p in dispute.parties.all()) == [
        ("applicant", "张三", "138****0001", ""), ("respondent", "王五", "", "330421********3329")]
    assert AuditEntry.objects.filter(action="legal.referral.register").count() == 1
    with clock.frozen(LATER), pytest.raises(DomainError, match="已登记"):
        svc.referral_register(actor=c.extra["mediator"], consultation=cons)


def test_an_adviser_who_may_register_does_it_at_once(centres):
    c = centres
    post_appoint(actor=None, unit=c.town, role=Role.MEDIATOR, user=c.extra["lawyer"], start_date=dt.date(2024, 1, 1))
    with clock.frozen(LATER):
        cons = svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="mediation",
                                       advice="建议调解", dispute_type=DisputeType.objects.get(code="neighbour"),
                                       dispute_summary="邻居占用承包地", parties=PARTIES)
    assert cons.dispute is not None and cons.dispute.summary == "邻居占用承包地"


def test_a_legal_aid_referral_keeps_the_office_and_note(booked):
    c = booked
    with clock.frozen(LATER):
        cons = svc.consultation_record(actor=c.extra["lawyer"], booking=c.extra["booking"], outcome="legal_aid",
                                       advice="符合法律援助条件", aid_office="嘉善县法律援助中心", aid_note="低保户")
    assert (cons.outcome, cons.aid_office, cons.aid_note) == (Outcome.LEGAL_AID, "嘉善县法律援助中心", "低保户")


# ---- talks --------------------------------------------------------------------------------------

def test_talks_in_own_villages_only(legal):
    c = legal
    with clock.frozen(NINE):
        t = svc.talk_record(actor=c.extra["lawyer"], village=c.village, held_on=dt.date(2026, 11, 20),
                            topic="土地承包法讲座", audience=45)
        assert t.audience == 45
        with pytest.raises(NotFound):
            svc.talk_record(actor=c.extra["lawyer"], village=c.village2, held_on=dt.date(2026, 11, 20),
                            topic="越界讲座", audience=10)
        with pytest.raises(DomainError) as err:
            svc.talk_record(actor=c.extra["lawyer"], village=c.village, held_on=dt.date(2026, 12, 20),
                            topic="", audience=0)
        assert set(err.value.fields) == {"held_on", "topic", "audience"}


def test_the_sweep_keeps_four_weeks_of_slots_ahead_and_a_rerun_adds_nothing(legal):
    from shanzhi.legal.sweep import sweep

    c = legal
    with clock.frozen(NINE):
        assert sweep() == {"legal_slots": 0}  # four weeks were cut when the duties were added
    later = NINE + dt.timedelta(days=14)  # 12-09: the last slot (12-22) is under three weeks ahead
    with clock.frozen(later):
        assert sweep() == {"legal_slots": 4 * 2 + 2 * 2}  # 12-29 and 01-05: four slots, and two in 洋桥村
        assert sweep() == {"legal_slots": 0}
    last = Slot.objects.filter(appointment=c.extra["appointment"]).order_by("-starts_at").first()
    assert timezone.localtime(last.starts_at).date() == dt.date(2027, 1, 5)
    assert AuditEntry.objects.filter(action="legal.slots.generate", actor=None).count() == 2
