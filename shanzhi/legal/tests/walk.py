"""The legal team's objects for the URL walk (tests_security/test_url_walk.py): grid A's village 新联村 has an
adviser, a duty, a private question of grid A's resident, a booking and a consultation referred to mediation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.legal import services as svc
from shanzhi.legal.models import Category, Slot
from shanzhi.lib import clock
from shanzhi.mediation.models import DisputeType


def make(c, now: dt.datetime) -> dict:
    """Make them through the services, starting at `now` (the walk's frozen morning)."""
    lawyer = user_create_staff(actor=None, username="walk_lawyer", password="x-Shanzhi-2026", display_name="顾问",
                               check_strength=False)
    day = timezone.localdate(now) + dt.timedelta(days=1)
    with clock.frozen(now):
        a = svc.appointment_create(actor=c.town_staff, adviser=lawyer, village=c.village,
                                   started_on=timezone.localdate(now), term_ends_on=day + dt.timedelta(days=365))
        svc.duty_add(actor=c.town_staff, appointment=a, on_date=day, starts=dt.time(9), ends=dt.time(10),
                     place="村委会")
        question = svc.question_ask(actor=c.resident_user, category=Category.objects.get(code="land"),
                                    text="承包地被占怎么办？私密问题", is_public=False)
        slot = Slot.objects.filter(appointment=a).order_by("starts_at").first()
        booking = svc.booking_create(actor=c.resident_user, slot=slot)
    with clock.frozen(slot.ends_at):
        consultation = svc.consultation_record(
            actor=lawyer, booking=booking, outcome="mediation", advice="建议调解",
            dispute_type=DisputeType.objects.get(code="neighbour"), dispute_summary="占地",
            parties=[{"role": "applicant", "name": "张三"}, {"role": "respondent", "name": "李四"}])
    return {"appointment": a, "question": question, "slot": slot, "booking": booking, "consultation": consultation}


def ids(x: dict) -> dict[str, dict[str, list]]:
    """Integer ids by URL name for the walk's OBJECT_IDS."""
    return {
        "legal:my_question": {"pk": [x["question"].pk]},
        "legal:answer": {"pk": [x["question"].pk]},
        "api:legal-question-detail": {"pk": [x["question"].pk]},
        "legal:book": {"pk": [x["slot"].pk]},
        "legal:cancel": {"pk": [x["booking"].pk]},
        "legal:outcome": {"pk": [x["booking"].pk]},
        "legal:appointment": {"pk": [x["appointment"].pk]},
        "legal:referral_register": {"pk": [x["consultation"].pk]},
    }
