"""Pages of the legal service team: the resident's (ask, my questions, the village's public answers, book a
slot, my bookings), the adviser's (villages and open questions, schedule and bookings, outcome, talks, monthly
log) and the desk's (appoint advisers and schedules, the monthly work log with its XLSX, the referrals waiting
at the mediation window).

Thin: reads through shanzhi.legal.selectors, writes (and who may) through shanzhi.legal.services. Out of scope
is 404, like a missing object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User, UserKind
from shanzhi.cases.views_resident import resident_object, resident_required
from shanzhi.dashboard.exports import export_or_none
from shanzhi.dashboard.tables import Cell, Table
from shanzhi.legal import access, selectors
from shanzhi.legal import services as svc
from shanzhi.legal.forms import (
    AnswerForm,
    AppointForm,
    AskForm,
    BookForm,
    DutyForm,
    EndForm,
    MonthForm,
    OutcomeForm,
    TalkForm,
    apply_error,
)
from shanzhi.legal.models import Appointment, Duty
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import id_or_none
from shanzhi.lib.views import user_page
from shanzhi.org.models import Level, OrgUnit

LABELS = (gettext_noop("当场解答"), gettext_noop("转矛调中心调解"), gettext_noop("转法律援助"),
          gettext_noop("婚姻家庭"), gettext_noop("土地承包"), gettext_noop("劳动争议"), gettext_noop("借贷"),
          gettext_noop("邻里"), gettext_noop("其他"))
WEEKDAY_NAMES = (gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"), gettext_lazy("周四"),
                 gettext_lazy("周五"), gettext_lazy("周六"), gettext_lazy("周日"))


def legal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in users (advisers often hold no post), as `lib.views.user_page`; a refusal of a bad query
    parameter (an export's format) is a 400 page naming it."""

    @functools.wraps(view)
    def refusing(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            return render(request, "legal/refused.html", {"exc": exc}, status=400)

    return user_page(refusing)


def _adviser_only(user) -> None:
    if not access.adviser_village_ids(user):
        raise NotFound()


def _desk_only(user, action: str = "legal.view") -> None:
    if not scopes.may_somewhere(user, action):
        raise NotFound()


def duty_text(duty: Duty) -> str:
    when = str(WEEKDAY_NAMES[duty.weekday]) if duty.weekday is not None else duty.on_date.isoformat()
    return f"{when} {duty.starts:%H:%M}–{duty.ends:%H:%M} {duty.place}"


# ---- where to start ------------------------------------------------------------------------------

@legal_page
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their part: the adviser's desk, the staff desk, or the resident's page."""
    user = request.user
    if access.adviser_village_ids(user):
        return redirect("legal:adviser")
    if scopes.may_somewhere(user, "legal.view"):
        return redirect("legal:desk")
    if getattr(user, "kind", "") == UserKind.RESIDENT:
        return redirect("legal:resident")
    raise NotFound()


# ---- the resident's pages (phone) ------------------------------------------------------------------

def _village_or_notice(request):
    village = access.home_village(request.user)
    if village is None:
        raise NotFound()
    return village


@resident_required
def resident(request: HttpRequest) -> HttpResponse:
    village = _village_or_notice(request)
    advisers = [(a, [duty_text(d) for d in a.duties.all() if d.removed_at is None])
                for a in selectors.village_advisers(village=village)]
    return render(request, "legal/resident/home.html", {"village": village, "advisers": advisers})


@resident_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    village = _village_or_notice(request)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            q = svc.question_ask(actor=request.user, category=d["category"], text=d["text"], is_public=d["is_public"])
        except DomainError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("问题已提交，法律顾问答复后会通知您。"))
            return redirect("legal:my_question", q.pk)
    return render(request, "legal/resident/ask.html", {"form": form, "village": village},
                  status=400 if form.errors else 200)


@resident_required
def my_questions(request: HttpRequest) -> HttpResponse:
    rows = selectors.question_list_for(user=request.user).filter(asker=request.user).order_by("-asked_at")[:100]
    return render(request, "legal/resident/my_questions.html", {"rows": rows})


@resident_object
def my_question(request: HttpRequest, pk: int) -> HttpResponse:
    q = selectors.question_get_for(user=request.user, pk=pk)
    text, answer_text = access.shown(request.user, q)
    return render(request, "legal/resident/question.html", {"q": q, "mine": q.asker_id == request.user.pk,
                                                            "text": text, "answer": answer_text})


@resident_required
def public(request: HttpRequest) -> HttpResponse:
    village = _village_or_notice(request)
    rows = [(q, *access.shown(request.user, q)) for q in selectors.village_public_questions(village=village)[:100]]
    return render(request, "legal/resident/public.html", {"village": village, "rows": rows})


@resident_required
def slots(request: HttpRequest) -> HttpResponse:
    village = _village_or_notice(request)
    rows = selectors.open_slots_for(user=request.user)[:200]
    return render(request, "legal/resident/slots.html", {"village": village, "rows": rows, "form": BookForm()})


@resident_object
@require_POST
def book(request: HttpRequest, pk: int) -> HttpResponse:
    slot = selectors.slot_get_for_booking(user=request.user, pk=pk)
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            svc.booking_create(actor=request.user, slot=slot, topic=form.cleaned_data["topic"])
        except DomainError as exc:
            apply_error(form, exc, {"slot": "topic"})
        else:
            messages.success(request, _("预约成功。"))
            return redirect("legal:my_bookings")
    village = _village_or_notice(request)
    return render(request, "legal/resident/slots.html", {
        "village": village, "rows": selectors.open_slots_for(user=request.user)[:200], "form": form,
        "failed_slot": slot}, status=400)


@resident_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = [(b, b.cancelled_at is None and b.slot.starts_at > now) for b in selectors.my_bookings(user=request.user)[:100]]
    return render(request, "legal/resident/my_bookings.html", {"rows": rows})


@resident_object
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    try:
        svc.booking_cancel(actor=request.user, booking=booking)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("预约已取消。"))
    return redirect("legal:my_bookings")


# ---- the adviser's pages ------------------------------------------------------------------------

@legal_page
def adviser(request: HttpRequest) -> HttpResponse:
    _adviser_only(request.user)
    appointments = selectors.appointment_list_for(user=request.user, current_only=True).filter(
        adviser=request.user)
    villages = [(a, [duty_text(d) for d in a.duties.all() if d.removed_at is None]) for a in appointments]
    return render(request, "legal/adviser/home.html", {
        "villages": villages, "open": selectors.adviser_open_questions(user=request.user),
        "days": access.unanswered_days()})


@legal_page
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    q = selectors.question_get_for(user=request.user, pk=pk)
    may_answer = q.answered_at is None and access.is_adviser(request.user, q.village)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.question_answer(actor=request.user, question=q, answer=form.cleaned_data["answer"])
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("已答复，提问人会收到通知。"))
                return redirect("legal:adviser")
        else:  # the gate's answer first (403 for staff who may only look), then the form's errors
            access.require_advise(request.user, q.village, what="该问题", visible=True)
    return render(request, "legal/adviser/answer.html", {"q": q, "form": form, "may_answer": may_answer},
                  status=400 if form.errors else 200)


@legal_page
@require_http_methods(["GET", "POST"])
def adviser_schedule(request: HttpRequest) -> HttpResponse:
    _adviser_only(request.user)
    if request.method == "POST":
        appointment = selectors.appointment_get_for(user=request.user, pk=_post_id(request, "appointment"))
        try:
            n = svc.slots_generate(actor=request.user, appointment=appointment)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已生成%(n)s个新时段。") % {"n": n})
        return redirect("legal:adviser_schedule")
    slots = selectors.adviser_schedule(user=request.user)
    rows = []
    for s in slots:
        live = [b for b in s.bookings.all() if b.cancelled_at is None]
        rows.append((s, live[0] if live else None))
    appointments = selectors.appointment_list_for(user=request.user, current_only=True).filter(adviser=request.user)
    return render(request, "legal/adviser/schedule.html", {
        "rows": rows, "to_record": selectors.adviser_to_record(user=request.user), "appointments": appointments})


def _post_id(request: HttpRequest, name: str) -> int:
    found = id_or_none(request.POST.get(name, ""))
    if found is None:
        raise NotFound()
    return found


@legal_page
@require_http_methods(["GET", "POST"])
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if booking.user_id == request.user.pk and not access.sees_village(request.user, booking.slot.village):
        raise NotFound()  # the booker's own page is "my bookings"
    form = OutcomeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            parties = form.parties()
            try:
                svc.consultation_record(
                    actor=request.user, booking=booking, outcome=d["outcome"], advice=d["advice"],
                    dispute_type=d["dispute_type"], dispute_summary=d["dispute_summary"], parties=parties,
                    aid_office=d["aid_office"], aid_note=d["aid_note"], confirm_repeat=d["confirm_repeat"])
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                apply_error(form, exc, form.aliases())
            else:
                messages.success(request, _("咨询结果已记录。"))
                return redirect("legal:adviser_schedule")
        else:
            access.require_advise(request.user, booking.slot.village, what="该预约", visible=True)
    return render(request, "legal/adviser/outcome.html", {"booking": booking, "form": form},
                  status=400 if form.errors else 200)


def _adviser_villages(user) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(pk__in=sorted(access.adviser_village_ids(user))).order_by("path"))


@legal_page
@require_http_methods(["GET", "POST"])
def talk(request: HttpRequest) -> HttpResponse:
    _adviser_only(request.user)
    villages = _adviser_villages(request.user)
    form = TalkForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        village = next(v for v in villages if v.code == d["village"])
        try:
            svc.talk_record(actor=request.user, village=village, held_on=d["held_on"], topic=d["topic"],
                            audience=d["audience"])
        except DomainError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("讲座已记录。"))
            return redirect("legal:adviser_log")
    return render(request, "legal/adviser/talk.html", {"form": form}, status=400 if form.errors else 200)


def _month(request: HttpRequest) -> tuple[MonthForm, object]:
    form = MonthForm(request.GET or None)
    month = None
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    if month is None:
        month = clock.today().replace(day=1)
    return form, month


def _count_cells(r: selectors.Counts) -> list[Cell]:
    return [Cell(str(n), n) for n in (r.answered, r.consultations, r.to_mediation, r.to_legal_aid, r.referrals,
                                      r.talks, r.audience)]


def _adviser_table(rows, month, *, title: str) -> Table:
    headers = [_("法律顾问"), _("受聘村（社区）"), _("答复咨询"), _("接待咨询"), _("转调解"), _("转法律援助"),
               _("转介合计"), _("法治讲座"), _("听众人次")]
    t = Table(key="advisers", title=title, headers=headers)
    for r in rows:
        t.rows.append([Cell(r.adviser), Cell("、".join(r.villages)), *_count_cells(r)])
    t.note = _("统计月份：%(month)s") % {"month": f"{month:%Y-%m}"}
    return t


def _town_table(rows, month) -> Table:
    headers = [_("镇（街道）"), _("法律顾问"), _("答复咨询"), _("接待咨询"), _("转调解"), _("转法律援助"),
               _("转介合计"), _("法治讲座"), _("听众人次")]
    t = Table(key="towns", title=_("各镇法律顾问工作月报"), headers=headers)
    for r in rows:
        t.rows.append([Cell(r.town.name), Cell(str(r.advisers), r.advisers), *_count_cells(r)])
    t.note = _("统计月份：%(month)s") % {"month": f"{month:%Y-%m}"}
    return t


@legal_page
def adviser_log(request: HttpRequest) -> HttpResponse:
    _adviser_only(request.user)
    form, month = _month(request)
    rows = selectors.monthly_log(user=request.user, month=month, mine=True)
    table = _adviser_table(rows, month, title=_("我的工作月报"))
    download = export_or_none(request, {"advisers": table}, _("法律顾问工作月报"))
    if download is not None:
        return download
    return render(request, "legal/adviser/log.html", {"form": form, "month": month, "table": table},
                  status=400 if form.errors else 200)


# ---- the desk -----------------------------------------------------------------------------------

@legal_page
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    user = request.user
    _desk_only(user)
    form = AppointForm(request.POST or None)
    if request.method == "POST":
        _desk_only(user, "legal.manage")
        if form.is_valid():
            d = form.cleaned_data
            adviser = User.objects.filter(username=d["adviser"], is_active=True, kind=UserKind.STAFF).first()
            village = OrgUnit.objects.filter(code=d["village"], level=Level.VILLAGE).first()
            try:
                if adviser is None:
                    raise DomainError(_("未找到该工作人员账号"), fields={"adviser": [_("未找到该工作人员账号")]})
                a = svc.appointment_create(actor=user, adviser=adviser, village=village, started_on=d["started_on"],
                                           term_ends_on=d["term_ends_on"])
            except DomainError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("已聘任。"))
                return redirect("legal:appointment", a.pk)
    rows = selectors.appointment_list_for(user=user).filter(scopes.unit_ids_q(user, "legal.view", "village"))
    today = clock.today()
    rows = [(a, a.started_on <= today <= a.last_day) for a in rows.order_by("village__path", "-started_on")[:300]]
    return render(request, "legal/desk/home.html", {
        "form": form, "rows": rows, "may_manage": scopes.may_somewhere(user, "legal.manage")},
        status=400 if form.errors else 200)


@legal_page
@require_http_methods(["GET", "POST"])
def appointment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    a = selectors.appointment_get_for(user=user, pk=pk)
    if not scopes.may(user, "legal.view", a.village):
        raise NotFound()  # the adviser's own page is theirs, not this one
    duty_form, end_form = DutyForm(prefix="duty"), EndForm(prefix="end")
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "duty":
                duty_form = DutyForm(request.POST, prefix="duty")
                if duty_form.is_valid():
                    svc.duty_add(actor=user, appointment=a, **duty_form.cleaned_data)
                    messages.success(request, _("值班安排已添加，已生成今后四周的咨询时段。"))
                    return redirect("legal:appointment", a.pk)
                scopes.require(user, "legal.manage", a.village, what="该聘任")
            elif what == "end":
                end_form = EndForm(request.POST, prefix="end")
                if end_form.is_valid():
                    svc.appointment_end(actor=user, appointment=a, ended_on=end_form.cleaned_data["ended_on"],
                                        reason=end_form.cleaned_data["reason"])
                    messages.success(request, _("已解聘。"))
                    return redirect("legal:appointment", a.pk)
                scopes.require(user, "legal.manage", a.village, what="该聘任")
            elif what == "remove":
                duty = a.duties.filter(pk=_post_id(request, "duty")).first()
                if duty is None:
                    raise NotFound()
                svc.duty_remove(actor=user, duty=duty)
                messages.success(request, _("值班安排已取消。"))
                return redirect("legal:appointment", a.pk)
            elif what == "generate":
                n = svc.slots_generate(actor=user, appointment=a)
                messages.success(request, _("已生成%(n)s个新时段。") % {"n": n})
                return redirect("legal:appointment", a.pk)
            else:
                scopes.require(user, "legal.manage", a.village, what="该聘任")
                raise DomainError(_("未知操作"))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_error(duty_form if what == "duty" else end_form, exc)
    duties = [(d, duty_text(d)) for d in a.duties.filter(removed_at__isnull=True)]
    history = Appointment.objects.filter(village=a.village).select_related("adviser").order_by("-started_on")
    bad = duty_form.errors or end_form.errors
    return render(request, "legal/desk/appointment.html", {
        "a": a, "duties": duties, "history": history, "duty_form": duty_form, "end_form": end_form,
        "may_manage": scopes.may(user, "legal.manage", a.village)}, status=400 if bad else 200)


@legal_page
def log(request: HttpRequest) -> HttpResponse:
    user = request.user
    _desk_only(user)
    form, month = _month(request)
    advisers = _adviser_table(selectors.monthly_log(user=user, month=month), month, title=_("法律顾问工作月报"))
    towns = _town_table(selectors.monthly_log_by_town(user=user, month=month), month)
    download = export_or_none(request, {"advisers": advisers, "towns": towns}, _("法律服务团月报"))
    if download is not None:
        return download
    return render(request, "legal/desk/log.html", {"form": form, "month": month, "advisers": advisers,
                                                   "towns": towns}, status=400 if form.errors else 200)


@legal_page
def referrals(request: HttpRequest) -> HttpResponse:
    _desk_only(request.user, "mediation.intake")
    rows = selectors.referrals_for(user=request.user)[:200]
    return render(request, "legal/desk/referrals.html", {"rows": rows})


@legal_page
@require_POST
def referral_register(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.referral_get_for(user=request.user, pk=pk)
    try:
        dispute = svc.referral_register(actor=request.user, consultation=c,
                                        confirm_repeat=request.POST.get("confirm_repeat") == "1")
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("legal:referrals")
    messages.success(request, _("已登记为纠纷 %(number)s。") % {"number": dispute.case.number})
    return redirect(reverse("mediation:detail", args=[dispute.case.number]))

