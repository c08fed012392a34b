"""Reads of the legal service team, each scoped: staff by `legal.view`, the adviser by their current
villages, a resident by their own rows and their village's public answers. Out of scope is NotFound,
like a missing row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.legal import access
from shanzhi.legal.models import Appointment, Booking, Consultation, Outcome, Question, Slot, Talk
from shanzhi.lib import clock
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import OrgUnit

QUESTION_RELATED = ("village", "category")


def team_q(user, field: str = "village") -> Q:
    """Rows of villages the user sees the team's work of: staff scope, or their current villages."""
    q = scopes.unit_ids_q(user, "legal.view", field)
    ids = access.adviser_village_ids(user)
    if ids:
        q |= Q(**{f"{field}_id__in": sorted(ids)})
    return q


# ---- questions ------------------------------------------------------------------------------------

def question_list_for(*, user) -> QuerySet[Question]:
    """Questions the user may see: staff in scope and advisers all of their villages' (private too); a
    resident their own and their village's answered public ones."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Question.objects.none()
    q = team_q(user) | Q(asker_id=user.pk) | Q(answered_by_id=user.pk)
    village = access.home_village(user)
    if village is not None:
        q |= Q(village=village, is_public=True, answered_at__isnull=False)
    return Question.objects.filter(q).select_related(*QUESTION_RELATED)


def question_get_for(*, user, pk: int) -> Question:
    q = Question.objects.filter(pk=pk).select_related(*QUESTION_RELATED).first()
    if q is None or not access.question_visible(user, q):
        raise NotFound("未找到该问题")
    return q


def village_public_questions(*, village: OrgUnit) -> QuerySet[Question]:
    """The village's answered public questions, newest answer first (the asker is never shown)."""
    return (Question.objects.filter(village=village, is_public=True, answered_at__isnull=False)
            .select_related(*QUESTION_RELATED).order_by("-answered_at", "-id"))


def adviser_open_questions(*, user, now: dt.datetime | None = None) -> list[tuple[Question, bool]]:
    """Unanswered questions of the adviser's current villages, oldest first, each with "overdue" (unanswered
    longer than the setting's days)."""
    ids = access.adviser_village_ids(user)
    now = now or clock.now()
    limit = now - dt.timedelta(days=access.unanswered_days())
    rows = (Question.objects.filter(village_id__in=sorted(ids), answered_at__isnull=True)
            .select_related(*QUESTION_RELATED).order_by("asked_at", "id"))
    return [(q, q.asked_at <= limit) for q in rows]


# ---- appointments, slots, bookings --------------------------------------------------------------------

def appointment_list_for(*, user, current_only: bool = False) -> QuerySet[Appointment]:
    """Appointments in the user's `legal.view` scope and the user's own (history included unless asked)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Appointment.objects.none()
    q = scopes.unit_ids_q(user, "legal.view", "village") | Q(adviser_id=user.pk)
    rows = Appointment.objects.filter(q)
    if current_only:
        rows = rows.filter(access.current_q())
    return rows.select_related("adviser", "village", "village__parent").prefetch_related("duties")


def adviser_list_for(*, user, current_only: bool = True) -> QuerySet[Appointment]:
    """Appointments the user may read through the API: staff scope and their own, plus a resident's
    village's current advisers."""
    rows = appointment_list_for(user=user, current_only=current_only)
    village = access.home_village(user)
    if village is not None:
        rows = Appointment.objects.filter(Q(pk__in=rows.values("pk")) | (Q(village=village) & access.current_q()))
        rows = rows.select_related("adviser", "village").prefetch_related("duties")
    return rows


def appointment_get_for(*, user, pk: int) -> Appointment:
    a = appointment_list_for(user=user).filter(pk=pk).first()
    if a is None:
        raise NotFound("未找到该聘任")
    return a


def village_advisers(*, village: OrgUnit) -> QuerySet[Appointment]:
    """The village's current adviser(s), with their schedule: what a resident of the village sees."""
    return (Appointment.objects.filter(access.current_q(), village=village).select_related("adviser", "village")
            .prefetch_related("duties"))


def _live_bookings():
    return Booking.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True)


def open_slots_for(*, user, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Future open slots of the resident's village (nothing for anyone else)."""
    village = access.home_village(user)
    if village is None:
        return Slot.objects.none()
    now = now or clock.now()
    return (Slot.objects.filter(village=village, cancelled=False, starts_at__gt=now)
            .filter(~Exists(_live_bookings())).select_related("appointment__adviser").order_by("starts_at"))


def slot_get_for_booking(*, user, pk: int) -> Slot:
    """A slot a resident may book: of their own village (another village's slot is not found)."""
    village = access.home_village(user)
    slot = Slot.objects.filter(pk=pk).select_related("appointment__adviser", "village").first()
    if slot is None or village is None or slot.village_id != village.pk:
        raise NotFound("未找到该时段")
    return slot


def my_bookings(*, user) -> QuerySet[Booking]:
    return (Booking.objects.filter(user_id=user.pk).select_related("slot__appointment__adviser", "slot__village",
                                                                    "consultation")
            .order_by("-slot__starts_at", "-id"))


def booking_get_for(*, user, pk: int) -> Booking:
    b = Booking.objects.filter(pk=pk).select_related("slot__village", "slot__appointment__adviser", "user").first()
    if b is None or not access.booking_visible(user, b):
        raise NotFound("未找到该预约")
    return b


def adviser_schedule(*, user, now: dt.datetime | None = None, days: int = 28) -> QuerySet[Slot]:
    """The adviser's slots from today for `days` days, each with its live booking."""
    now = now or clock.now()
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time()))
    return (Slot.objects.filter(appointment__adviser_id=user.pk, starts_at__gte=start,
                                starts_at__lt=start + dt.timedelta(days=days))
            .select_related("village").prefetch_related("bookings__consultation").order_by("starts_at"))


def adviser_to_record(*, user, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """Bookings of the adviser's slots that have started and have no outcome yet."""
    now = now or clock.now()
    return (Booking.objects.filter(slot__appointment__adviser_id=user.pk, cancelled_at__isnull=True,
                                   slot__starts_at__lte=now, consultation__isnull=True)
            .select_related("slot__village").order_by("slot__starts_at"))


def referrals_for(*, user) -> QuerySet[Consultation]:
    """Mediation referrals of villages where the user may register at the window, newest first."""
    return (Consultation.objects.filter(scopes.unit_ids_q(user, "mediation.intake", "village"),
                                        outcome=Outcome.MEDIATION)
            .select_related("village", "adviser", "dispute_type", "dispute__case").order_by("dispute_id", "-held_at"))


def referral_get_for(*, user, pk: int) -> Consultation:
    c = referrals_for(user=user).filter(pk=pk).first()
    if c is None:
        raise NotFound("未找到该转介")
    return c


# ---- the monthly work log ----------------------------------------------------------------------------

@dataclass(kw_only=True)
class Counts:
    """A month's work: questions answered, consultations held, referrals, talks and their audience."""

    answered: int = 0
    consultations: int = 0
    to_mediation: int = 0
    to_legal_aid: int = 0
    talks: int = 0
    audience: int = 0

    @property
    def referrals(self) -> int:
        return self.to_mediation + self.to_legal_aid


@dataclass
class LogRow(Counts):
    adviser_id: int
    adviser: str
    villages: list[str] = field(default_factory=list)


@dataclass
class TownRow(Counts):
    town: OrgUnit
    advisers: int = 0


def month_bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """Local midnight of the month's first day and of the next month's; the next month's first day."""
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(nxt, dt.time()))
    return start, end, nxt


def monthly_log(*, user, month: dt.date, adviser_id: int | None = None, mine: bool = False) -> list[LogRow]:
    """Per adviser, the month's work in the villages the user sees (staff) or the user's own work
    (`mine`): questions answered, consultations held, referrals, talks and their audience. Five queries."""
    start, end, nxt = month_bounds(month.replace(day=1))
    scope = Q(adviser_id=user.pk) if mine else scopes.unit_ids_q(user, "legal.view", "village")
    if adviser_id is not None:
        scope &= Q(adviser_id=adviser_id)
    rows: dict[int, LogRow] = {}
    on_last = nxt - dt.timedelta(days=1)
    appointments = (Appointment.objects.filter(scope, started_on__lte=on_last, term_ends_on__gte=month)
                    .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=month))
                    .select_related("adviser", "village").order_by("village__path"))
    for a in appointments:
        row = rows.setdefault(a.adviser_id, LogRow(a.adviser_id, str(a.adviser)))
        row.villages.append(a.village.name)

    def row_for(aid: int, name: str) -> LogRow:
        return rows.setdefault(aid, LogRow(aid, name))

    if mine:
        answered_scope = Q(answered_by_id=user.pk)
    else:
        answered_scope = scopes.unit_ids_q(user, "legal.view", "village")
        if adviser_id is not None:
            answered_scope &= Q(answered_by_id=adviser_id)
    for r in (Question.objects.filter(answered_scope, answered_at__gte=start, answered_at__lt=end,
                                      answered_by__isnull=False)
              .values("answered_by_id", "answered_by__display_name", "answered_by__username")
              .annotate(n=Count("id"))):
        row_for(r["answered_by_id"], r["answered_by__display_name"] or r["answered_by__username"]).answered = r["n"]
    for r in (Consultation.objects.filter(scope, held_at__gte=start, held_at__lt=end)
              .values("adviser_id", "adviser__display_name", "adviser__username")
              .annotate(n=Count("id"), med=Count("id", filter=Q(outcome=Outcome.MEDIATION)),
                        aid=Count("id", filter=Q(outcome=Outcome.LEGAL_AID)))):
        row = row_for(r["adviser_id"], r["adviser__display_name"] or r["adviser__username"])
        row.consultations, row.to_mediation, row.to_legal_aid = r["n"], r["med"], r["aid"]
    for r in (Talk.objects.filter(scope, held_on__gte=month.replace(day=1), held_on__lt=nxt)
              .values("adviser_id", "adviser__display_name", "adviser__username")
              .annotate(n=Count("id"), people=Sum("audience"))):
        row = row_for(r["adviser_id"], r["adviser__display_name"] or r["adviser__username"])
        row.talks, row.audience = r["n"], r["people"] or 0
    return sorted(rows.values(), key=lambda r: (r.adviser, r.adviser_id))


def monthly_log_by_town(*, user, month: dt.date) -> list[TownRow]:
    """The month's work summed per town over the villages the user sees (by where the work was done)."""
    start, end, nxt = month_bounds(month.replace(day=1))
    scope = scopes.unit_ids_q(user, "legal.view", "village")
    towns: dict[int, TownRow] = {}
    town_units = {u.pk: u for u in OrgUnit.objects.filter(
        pk__in=OrgUnit.objects.filter(scopes.scope_q(user, "legal.view"), level="village").values("parent_id"))}

    def town(tid: int | None) -> TownRow | None:
        if tid not in town_units:
            return None
        return towns.setdefault(tid, TownRow(town_units[tid]))

    on_last = nxt - dt.timedelta(days=1)
    for r in (Appointment.objects.filter(scope, started_on__lte=on_last, term_ends_on__gte=month)
              .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=month))
              .values("village__parent_id").annotate(n=Count("adviser_id", distinct=True))):
        if (t := town(r["village__parent_id"])) is not None:
            t.advisers = r["n"]
    for r in (Question.objects.filter(scope, answered_at__gte=start, answered_at__lt=end)
              .values("village__parent_id").annotate(n=Count("id"))):
        if (t := town(r["village__parent_id"])) is not None:
            t.answered = r["n"]
    for r in (Consultation.objects.filter(scope, held_at__gte=start, held_at__lt=end)
              .values("village__parent_id")
              .annotate(n=Count("id"), med=Count("id", filter=Q(outcome=Outcome.MEDIATION)),
                        aid=Count("id", filter=Q(outcome=Outcome.LEGAL_AID)))):
        if (t := town(r["village__parent_id"])) is not None:
            t.consultations, t.to_mediation, t.to_legal_aid = r["n"], r["med"], r["aid"]
    for r in (Talk.objects.filter(scope, held_on__gte=month.replace(day=1), held_on__lt=nxt)
              .values("village__parent_id").annotate(n=Count("id"), people=Sum("audience"))):
        if (t := town(r["village__parent_id"])) is not None:
            t.talks, t.audience = r["n"], r["people"] or 0
    return sorted(towns.values(), key=lambda t: t.town.path)
