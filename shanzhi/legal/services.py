"""Writes of the legal service team. Each runs in one transaction, asks the gate (legal.access and
accounts/scopes.py) and writes its audit row in that transaction.

Appointments and schedules are staff work (`legal.manage`); answering, holding consultations and recording
talks are the adviser's, granted by a current appointment to the village; residents ask and book for
themselves in their own village (another village's questions and slots answer 404).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.audit.services import audit_record
from shanzhi.cases.notify import inbox_notify
from shanzhi.legal import access
from shanzhi.legal.models import (
    Appointment,
    Booking,
    Category,
    Consultation,
    Duty,
    Outcome,
    Question,
    Slot,
    Talk,
)
from shanzhi.lib import clock, crypto
from shanzhi.lib.codes import mask_id_number, mask_phone
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level, OrgUnit, Post

MAX_FUTURE_BOOKINGS = 2
SLOT_WEEKS = 4
MAX_QUESTION = 2000
MAX_ANSWER = 5000
MAX_TERM_YEARS = 10


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _lock(model, pk: int):
    """Lock one row for the rest of the transaction (serialises writes that count or check it)."""
    return model.objects.select_for_update().get(pk=pk)


# ---- appointments and schedules (legal.manage) --------------------------------------------------

@transaction.atomic
def appointment_create(*, actor, adviser: User | None, village: OrgUnit | None, started_on: dt.date | None,
                       term_ends_on: dt.date | None, now: dt.datetime | None = None) -> Appointment:
    """Appoint an adviser to a village for a term. One adviser per village at a time: a term overlapping the
    village's current or next adviser is refused. The adviser is told in their inbox."""
    if village is None:
        raise _bad("village", "请选择村（社区）")
    scopes.require_target(actor, "legal.manage", village, field="village", message="未找到该村（社区），或不在您的管理范围")
    errors: dict[str, list[str]] = {}
    if village.level != Level.VILLAGE:
        errors["village"] = ["法律顾问只能聘任到村（社区）"]
    if adviser is None or not adviser.is_active or access.is_resident(adviser):
        errors["adviser"] = ["请选择法律顾问的工作人员账号"]
    if started_on is None:
        errors["started_on"] = ["请填写聘任开始日期"]
    if term_ends_on is None:
        errors["term_ends_on"] = ["请填写聘期届满日期"]
    elif started_on is not None and term_ends_on < started_on:
        errors["term_ends_on"] = ["聘期届满日期不能早于开始日期"]
    elif started_on is not None and (term_ends_on - started_on).days > 366 * MAX_TERM_YEARS:
        errors["term_ends_on"] = [f"聘期不能超过{MAX_TERM_YEARS}年"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    _lock(OrgUnit, village.pk)  # serialise appointments to one village
    for other in Appointment.objects.filter(village=village, started_on__lte=term_ends_on,
                                            term_ends_on__gte=started_on).select_related("adviser"):
        if other.ended_on is None or other.ended_on > started_on:
            message = f"该村在此期间已聘任法律顾问{other.adviser}（{other.started_on}至{other.last_day}），请先解聘"
            raise _bad("village", message, code="overlap")
    now = now or clock.now()
    appointment = Appointment.objects.create(adviser=adviser, village=village, started_on=started_on,
                                             term_ends_on=term_ends_on, appointed_by=_user(actor), created_at=now)
    audit_record(actor=actor, action="legal.appoint", obj=appointment, unit_path=village.path,
                 after={"adviser": str(adviser), "from": started_on.isoformat(), "to": term_ends_on.isoformat()})
    inbox_notify([adviser.pk], kind="legal", text=f"您已受聘为{village.name}法律顾问（{started_on}至{term_ends_on}）",
                 key=f"legal-appoint:{appointment.pk}", now=now, link=reverse("legal:adviser"))
    return appointment


def _live_booked():
    return Booking.objects.filter(cancelled_at__isnull=True).values("slot_id")


def _user(actor) -> User | None:
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def appointment_end(*, actor, appointment: Appointment, ended_on: dt.date | None, reason: str,
                    now: dt.datetime | None = None) -> Appointment:
    """End an appointment early (the row stays: the village's history). Its slots from that day on are
    cancelled, and so are their bookings, each booker told in their inbox to book the next adviser."""
    appointment = _lock(Appointment, appointment.pk)

    def state() -> None:
        if appointment.ended_on is not None:
            raise DomainError("该聘任已解聘", code="invalid_transition")
    scopes.require(actor, "legal.manage", appointment.village, what="该聘任", state=state,
                   visible=actor is None or access.sees_village(actor, appointment.village)
                   or appointment.adviser_id == actor.pk)
    if ended_on is None:
        raise _bad("ended_on", "请填写解聘日期")
    if not (appointment.started_on <= ended_on <= appointment.term_ends_on):
        raise _bad("ended_on", "解聘日期应在聘期之内")
    reason = _text(reason)
    if not reason:
        raise _bad("reason", "请填写解聘原因")
    appointment.ended_on, appointment.end_reason = ended_on, reason[:200]
    appointment.save(update_fields=["ended_on", "end_reason"])
    now = now or clock.now()
    from_ = max(timezone.make_aware(dt.datetime.combine(ended_on, dt.time())), now)
    slot_ids = list(appointment.slots.filter(starts_at__gte=from_, cancelled=False).values_list("pk", flat=True))
    Slot.objects.filter(pk__in=slot_ids).update(cancelled=True)
    bookings = list(Booking.objects.filter(slot_id__in=slot_ids, cancelled_at__isnull=True).select_related("slot"))
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(cancelled_at=now)
    for b in bookings:
        inbox_notify([b.user_id], kind="legal", key=f"legal-booking-void:{b.pk}", now=now,
                     link=reverse("legal:slots"),
                     text=f"{appointment.village.name}法律顾问已更换，您{timezone.localtime(b.slot.starts_at):%m-%d %H:%M}"
                          f"的咨询预约已取消，请重新预约")
    audit_record(actor=actor, action="legal.appointment.end", obj=appointment, unit_path=appointment.village.path,
                 after={"ended_on": ended_on.isoformat(), "slots_cancelled": len(slot_ids),
                        "bookings_cancelled": len(bookings)}, reason=reason)
    return appointment


def _clean_duty(weekday, on_date, starts, ends, place, slot_minutes) -> dict:
    errors: dict[str, list[str]] = {}
    if (weekday is None) == (on_date is None):
        errors["weekday"] = ["请选择每周的星期几，或一个具体日期（二选一）"]
    elif weekday is not None and not (0 <= int(weekday) <= 6):
        errors["weekday"] = ["星期应为周一至周日"]
    if starts is None:
        errors["starts"] = ["请填写开始时间"]
    if ends is None:
        errors["ends"] = ["请填写结束时间"]
    elif starts is not None and ends <= starts:
        errors["ends"] = ["结束时间应晚于开始时间"]
    if not _text(place):
        errors["place"] = ["请填写地点"]
    if slot_minutes is None or not (10 <= int(slot_minutes) <= 240):
        errors["slot_minutes"] = ["每段时长应在10至240分钟之间"]
    elif starts is not None and ends is not None and ends > starts:
        span = (dt.datetime.combine(dt.date(2000, 1, 1), ends) - dt.datetime.combine(dt.date(2000, 1, 1), starts))
        if span < dt.timedelta(minutes=int(slot_minutes)):
            errors["slot_minutes"] = ["值班时段短于一段咨询时长"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    return {"weekday": weekday, "on_date": on_date, "starts": starts, "ends": ends, "place": _text(place)[:100],
            "slot_minutes": int(slot_minutes)}


@transaction.atomic
def duty_add(*, actor, appointment: Appointment, weekday: int | None = None, on_date: dt.date | None = None,
             starts: dt.time | None, ends: dt.time | None, place: str, slot_minutes: int = 30,
             now: dt.datetime | None = None) -> Duty:
    """Add a duty to an adviser's schedule (every week on a weekday, or on one date) and cut its slots for
    the next four weeks."""
    appointment = _lock(Appointment, appointment.pk)
    now = now or clock.now()

    def state() -> None:
        if appointment.last_day < timezone.localdate(now):
            raise DomainError("该聘任已结束", code="invalid_transition")
    scopes.require(actor, "legal.manage", appointment.village, what="该聘任", state=state)
    clean = _clean_duty(weekday, on_date, starts, ends, place, slot_minutes)
    if on_date is not None and not (appointment.started_on <= on_date <= appointment.last_day):
        raise _bad("on_date", "日期应在聘期之内")
    duty = Duty.objects.create(appointment=appointment, **clean)
    made = _cut_slots(appointment, [duty], timezone.localdate(now), SLOT_WEEKS * 7, now)
    audit_record(actor=actor, action="legal.duty.add", obj=appointment, unit_path=appointment.village.path,
                 after={**{k: str(v) for k, v in clean.items() if v is not None}, "slots": made})
    return duty


@transaction.atomic
def duty_remove(*, actor, duty: Duty, now: dt.datetime | None = None) -> Duty:
    """Take a duty off the schedule; its future slots nobody booked are cancelled."""
    now = now or clock.now()
    duty = Duty.objects.select_for_update(of=("self",)).select_related("appointment__village").get(pk=duty.pk)

    def state() -> None:
        if duty.removed_at is not None:
            raise DomainError("该值班安排已取消", code="invalid_transition")
    scopes.require(actor, "legal.manage", duty.appointment.village, what="该值班安排", state=state)
    duty.removed_at = now
    duty.save(update_fields=["removed_at"])
    ids = list(duty.slots.filter(starts_at__gt=now, cancelled=False).exclude(pk__in=_live_booked())
               .values_list("pk", flat=True))
    Slot.objects.filter(pk__in=ids).update(cancelled=True)
    audit_record(actor=actor, action="legal.duty.remove", obj=duty.appointment,
                 unit_path=duty.appointment.village.path, after={"duty": duty.pk, "slots_cancelled": len(ids)})
    return duty


def _cut_slots(appointment: Appointment, duties, first: dt.date, days: int, now: dt.datetime) -> int:
    """Slots of `duties` on the days from `first` for `days` days within the term, from now on; existing
    ones are kept (one slot per appointment and start)."""
    rows = []
    last = min(appointment.last_day, first + dt.timedelta(days=days - 1))
    for duty in duties:
        if duty.removed_at is not None:
            continue
        step = dt.timedelta(minutes=duty.slot_minutes)
        day = max(first, appointment.started_on)
        while day <= last:
            if (duty.on_date == day) or (duty.weekday is not None and day.weekday() == duty.weekday):
                at = timezone.make_aware(dt.datetime.combine(day, duty.starts))
                end = timezone.make_aware(dt.datetime.combine(day, duty.ends))
                while at + step <= end:
                    if at > now:
                        rows.append(Slot(appointment=appointment, village_id=appointment.village_id, duty=duty,
                                         starts_at=at, ends_at=at + step, place=duty.place))
                    at += step
            day += dt.timedelta(days=1)
    before = appointment.slots.count()
    Slot.objects.bulk_create(rows, ignore_conflicts=True)
    return appointment.slots.count() - before


@transaction.atomic
def slots_generate(*, actor, appointment: Appointment, weeks: int = SLOT_WEEKS,
                   now: dt.datetime | None = None) -> int:
    """Cut the schedule's slots for the next `weeks` weeks (staff or the adviser themself); running it
    again adds only what is missing. Returns how many slots were added."""
    now = now or clock.now()
    appointment = _lock(Appointment, appointment.pk)
    scopes.require(actor, "legal.manage", appointment.village, what="该聘任",
                   granted=actor is not None and appointment.adviser_id == actor.pk
                   and access.is_adviser(actor, appointment.village),
                   visible=actor is None or access.sees_village(actor, appointment.village))
    if not (1 <= weeks <= 12):
        raise _bad("weeks", "一次可生成1至12周")
    made = _cut_slots(appointment, list(appointment.duties.filter(removed_at__isnull=True)),
                      timezone.localdate(now), weeks * 7, now)
    if made:
        audit_record(actor=actor, action="legal.slots.generate", obj=appointment,
                     unit_path=appointment.village.path, after={"slots": made, "weeks": weeks})
    return made


# ---- questions ------------------------------------------------------------------------------------

def _advisers_of(village: OrgUnit) -> list[int]:
    return list(Appointment.objects.filter(access.current_q(), village=village).values_list("adviser_id", flat=True))


@transaction.atomic
def question_ask(*, actor, category: Category | None, text: str, is_public: bool,
                 now: dt.datetime | None = None) -> Question:
    """A resident asks their village's adviser a legal question (public or private). The adviser is told in
    their inbox."""
    village = access.home_village(actor) if actor is not None else None
    if village is None:
        raise DomainError("只有登记在本县村（社区）的居民可以提问", code="not_resident")
    errors: dict[str, list[str]] = {}
    if category is None or not category.is_active:
        errors["category"] = ["请选择问题类别"]
    text = _text(text)
    if len(text) < 5:
        errors["text"] = ["请把问题写清楚（至少5个字）"]
    elif len(text) > MAX_QUESTION:
        errors["text"] = [f"问题不能超过{MAX_QUESTION}字"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    now = now or clock.now()
    q = Question.objects.create(village=village, asker=actor, category=category, text=text,
                                is_public=bool(is_public), asked_at=now)
    audit_record(actor=actor, action="legal.question.ask", obj=q, unit_path=village.path,
                 after={"category": category.code, "public": q.is_public})
    inbox_notify(_advisers_of(village), kind="legal", text=f"{village.name}居民提出了一个法律问题（{category.name}）",
                 key=f"legal-question:{q.pk}", now=now, link=reverse("legal:answer", args=[q.pk]))
    return q


@transaction.atomic
def question_answer(*, actor, question: Question, answer: str, now: dt.datetime | None = None) -> Question:
    """The village's current adviser answers in writing; the asker is told in their inbox with a link."""
    question = Question.objects.select_for_update(of=("self",)).select_related("village", "category").get(pk=question.pk)

    def state() -> None:
        if question.answered_at is not None:
            raise DomainError("该问题已答复", code="invalid_transition")
    access.require_advise(actor, question.village, what="该问题",
                          visible=actor is None or access.question_visible(actor, question), state=state)
    answer = _text(answer)
    if len(answer) < 2:
        raise _bad("answer", "请填写答复")
    if len(answer) > MAX_ANSWER:
        raise _bad("answer", f"答复不能超过{MAX_ANSWER}字")
    now = now or clock.now()
    question.answer, question.answered_at, question.answered_by = answer, now, _user(actor)
    question.save(update_fields=["answer", "answered_at", "answered_by"])
    audit_record(actor=actor, action="legal.question.answer", obj=question, unit_path=question.village.path)
    inbox_notify([question.asker_id], kind="legal", text=f"您的法律咨询（{question.category.name}）已有答复",
                 key=f"legal-answer:{question.pk}", now=now, link=reverse("legal:my_question", args=[question.pk]))
    return question


# ---- bookings -------------------------------------------------------------------------------------

@transaction.atomic
def booking_create(*, actor, slot: Slot, topic: str = "", now: dt.datetime | None = None) -> Booking:
    """A resident books a slot of their own village's adviser: one booking per slot (the unique index
    decides a race), at most two future bookings per resident. Another village's slot is not found."""
    village = access.home_village(actor) if actor is not None else None
    if village is None or village.pk != slot.village_id:
        raise NotFound("未找到该时段")
    now = now or clock.now()
    _lock(User, actor.pk)  # one resident's bookings one at a time (the two-booking limit)
    slot = Slot.objects.select_related("appointment").get(pk=slot.pk)
    if slot.cancelled or slot.starts_at <= now:
        raise _bad("slot", "该时段已过或已取消", code="unavailable")
    if Booking.objects.filter(user=actor, cancelled_at__isnull=True, slot__starts_at__gt=now).count() \
            >= MAX_FUTURE_BOOKINGS:
        raise _bad("slot", f"每位居民最多同时预约{MAX_FUTURE_BOOKINGS}个未到的时段，请先取消或等咨询结束",
                   code="too_many")
    topic = _text(topic)
    if len(topic) > 200:
        raise _bad("topic", "咨询事项不能超过200字")
    try:
        with transaction.atomic():
            booking = Booking.objects.create(slot=slot, user=actor, topic=topic, booked_at=now)
    except IntegrityError:
        raise _bad("slot", "该时段已被预约，请选择其他时段", code="taken") from None
    audit_record(actor=actor, action="legal.booking.create", obj=booking, unit_path=village.path,
                 after={"slot": slot.starts_at.isoformat()})
    inbox_notify([slot.appointment.adviser_id], kind="legal",
                 text=f"{village.name}居民预约了{timezone.localtime(slot.starts_at):%m-%d %H:%M}的法律咨询",
                 key=f"legal-booking:{booking.pk}", now=now, link=reverse("legal:adviser_schedule"))
    return booking


@transaction.atomic
def booking_cancel(*, actor, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """The resident cancels their own booking before the slot starts; the slot opens again."""
    now = now or clock.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot__village", "slot__appointment").get(
        pk=booking.pk)
    if actor is not None and booking.user_id != actor.pk:
        raise NotFound("未找到该预约")
    if booking.cancelled_at is not None:
        raise DomainError("该预约已取消", code="invalid_transition")
    if booking.slot.starts_at <= now:
        raise DomainError("咨询时间已到，不能取消", code="invalid_transition")
    booking.cancelled_at = now
    booking.save(update_fields=["cancelled_at"])
    audit_record(actor=actor, action="legal.booking.cancel", obj=booking, unit_path=booking.slot.village.path)
    inbox_notify([booking.slot.appointment.adviser_id], kind="legal",
                 text=f"{timezone.localtime(booking.slot.starts_at):%m-%d %H:%M}的法律咨询预约已被取消",
                 key=f"legal-booking-cancel:{booking.pk}", now=now, link=reverse("legal:adviser_schedule"))
    return booking


# ---- consultations and referrals --------------------------------------------------------------------

def _stored_parties(parties: list[dict]) -> list[dict]:
    """Parties as the referral keeps them until the centre registers them: phone and ID number encrypted,
    with masked copies for lists."""
    out = []
    for p in parties:
        row = {"role": p["role"], "name": p["name"], "claim": _text(p.get("claim"))[:2000]}
        if p.get("phone"):
            row.update(phone_enc=crypto.encrypt(p["phone"]), phone_masked=mask_phone(p["phone"]))
        if p.get("id_number"):
            row.update(id_enc=crypto.encrypt(p["id_number"]), id_masked=mask_id_number(p["id_number"]))
        out.append(row)
    return out


def _plain_parties(stored: list[dict]) -> list[dict]:
    return [{"role": p["role"], "name": p["name"], "claim": p.get("claim", ""),
             "phone": crypto.decrypt(p["phone_enc"]) if p.get("phone_enc") else "",
             "id_number": crypto.decrypt(p["id_enc"]) if p.get("id_enc") else ""} for p in stored]


def _intake_user_ids(village: OrgUnit) -> list[int]:
    """Who registers at the window for this village: current intake posts at the village or above it."""
    return sorted(set(Post.objects.filter(Post.current_q(), scopes.holders_q("mediation.intake"),
                                          unit__code__in=village.ancestor_codes, user__isnull=False)
                      .values_list("user_id", flat=True)))


@transaction.atomic
def consultation_record(*, actor, booking: Booking, outcome: str, advice: str, dispute_type=None,
                        dispute_summary: str = "", parties: list[dict] | None = None, aid_office: str = "",
                        aid_note: str = "", confirm_repeat: bool = False,
                        now: dt.datetime | None = None) -> Consultation:
    """The adviser records what came of a consultation: advice given, a referral to the mediation centre as
    a dispute (with the parties the adviser enters), or a referral to legal aid (the aid office and a note).

    A mediation referral is registered through the one door (`mediation.services.dispute_register`) by
    someone who may register at that window: the adviser at once when they may, otherwise the centre's
    staff from their list of referrals (`referral_register`); the dispute is linked to the consultation.
    """
    from shanzhi.mediation.services import _clean_parties

    now = now or clock.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot__village", "slot__appointment").get(
        pk=booking.pk)
    village = booking.slot.village

    def state() -> None:
        if booking.cancelled_at is not None:
            raise DomainError("该预约已取消", code="invalid_transition")
        if Consultation.objects.filter(booking=booking).exists():
            raise DomainError("该咨询已记录结果", code="invalid_transition")
        if booking.slot.starts_at > now:
            raise DomainError("咨询尚未开始，不能记录结果", code="invalid_transition")
    access.require_advise(actor, village, what="该预约",
                          visible=actor is None or access.booking_visible(actor, booking), state=state)
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = ["请选择咨询结果"]
    advice = _text(advice)
    if not advice:
        errors["advice"] = ["请填写咨询意见"]
    elif len(advice) > MAX_ANSWER:
        errors["advice"] = [f"咨询意见不能超过{MAX_ANSWER}字"]
    stored: list[dict] = []
    if outcome == Outcome.MEDIATION:
        if dispute_type is None:
            errors["dispute_type"] = ["请选择纠纷类型"]
        if not _text(dispute_summary):
            errors["dispute_summary"] = ["请填写纠纷事由"]
        try:
            stored = _stored_parties(_clean_parties(parties or [], "dispute"))
        except DomainError as exc:
            for k, v in exc.fields.items():
                errors.setdefault(k, []).extend(v)
    if outcome == Outcome.LEGAL_AID and not _text(aid_office):
        errors["aid_office"] = ["请填写法律援助机构"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    c = Consultation.objects.create(
        booking=booking, adviser=_user(actor) or booking.slot.appointment.adviser, village=village,
        held_at=booking.slot.starts_at, outcome=outcome, advice=advice,
        dispute_type=dispute_type if outcome == Outcome.MEDIATION else None,
        dispute_summary=_text(dispute_summary)[:200] if outcome == Outcome.MEDIATION else "", parties=stored,
        aid_office=_text(aid_office)[:100] if outcome == Outcome.LEGAL_AID else "",
        aid_note=_text(aid_note)[:2000] if outcome == Outcome.LEGAL_AID else "", recorded_at=now)
    audit_record(actor=actor, action="legal.consultation.record", obj=booking, unit_path=village.path,
                 after={"outcome": outcome, "parties": len(stored), "aid_office": c.aid_office})
    if outcome == Outcome.MEDIATION:
        if actor is not None and scopes.may(actor, "mediation.intake", village):
            _register(actor, c, confirm_repeat=confirm_repeat, now=now)
        else:
            inbox_notify(_intake_user_ids(village), kind="legal",
                         text=f"{village.name}法律顾问转来一件纠纷待登记：{c.dispute_summary}",
                         key=f"legal-referral:{c.pk}", now=now, link=reverse("legal:referrals"))
    return c


def _register(actor, c: Consultation, *, confirm_repeat: bool, now: dt.datetime):
    from shanzhi.mediation.services import dispute_register

    household = getattr(getattr(c.booking.user, "resident", None), "household", None)
    dispute = dispute_register(actor=actor, kind="dispute", type=c.dispute_type, summary=c.dispute_summary,
                               parties=_plain_parties(c.parties), unit=None if household else c.village,
                               household=household, confirm_repeat=confirm_repeat, now=now)
    c.dispute, c.registered_by = dispute, _user(actor)
    c.save(update_fields=["dispute", "registered_by"])
    audit_record(actor=actor, action="legal.referral.register", obj=c.booking, unit_path=c.village.path,
                 after={"dispute": dispute.case.number})
    inbox_notify([c.adviser_id], kind="legal", text=f"您转介的纠纷已由矛调中心登记：{dispute.case.number}",
                 key=f"legal-registered:{c.pk}", now=now, link=reverse("legal:adviser_schedule"))
    return dispute


@transaction.atomic
def referral_register(*, actor, consultation: Consultation, confirm_repeat: bool = False,
                      now: dt.datetime | None = None):
    """The centre's window registers an adviser's referral as a dispute through the one door, with the
    parties the adviser entered; the dispute is linked to the consultation."""
    c = Consultation.objects.select_for_update(of=("self",)).select_related(
        "village", "dispute_type", "booking__user").get(
        pk=consultation.pk)

    def state() -> None:
        if c.outcome != Outcome.MEDIATION:
            raise DomainError("该咨询没有转交调解", code="invalid_transition")
        if c.dispute_id is not None:
            raise DomainError("该转介已登记为纠纷", code="invalid_transition")
    scopes.require(actor, "mediation.intake", c.village, what="该转介", state=state)
    return _register(actor, c, confirm_repeat=confirm_repeat, now=now or clock.now())


# ---- talks ----------------------------------------------------------------------------------------

@transaction.atomic
def talk_record(*, actor, village: OrgUnit, held_on: dt.date | None, topic: str, audience: int | None,
                now: dt.datetime | None = None) -> Talk:
    """The adviser records a legal talk (法治讲座) given in one of their villages."""
    access.require_advise(actor, village, what="该村（社区）")
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    if held_on is None:
        errors["held_on"] = ["请填写讲座日期"]
    elif held_on > timezone.localdate(now):
        errors["held_on"] = ["讲座日期不能晚于今天"]
    topic = _text(topic)
    if not topic:
        errors["topic"] = ["请填写讲座主题"]
    elif len(topic) > 200:
        errors["topic"] = ["讲座主题不能超过200字"]
    if audience is None or not (0 < int(audience) <= 100000):
        errors["audience"] = ["听众人数应为1至100000"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    talk = Talk.objects.create(adviser=actor, village=village, held_on=held_on, topic=topic,
                               audience=int(audience), recorded_at=now)
    audit_record(actor=actor, action="legal.talk.record", obj=None, object_type="legal.talk",
                 object_id=str(talk.pk), object_repr=topic[:200], unit_path=village.path,
                 after={"held_on": held_on.isoformat(), "audience": int(audience)})
    return talk
