"""Pages of the mediation centre (矛调中心): the reception window, the dispute page and its actions, the
agreement as DOCX, the mediator's calendar and caseload, and the centre head's overview.

Views are thin: scoped reads through shanzhi.mediation.selectors, every write (and the check of who may
act) through shanzhi.mediation.services. Out of scope is 404; in scope but not allowed is 403.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from shanzhi.accounts import scopes
from shanzhi.cases import workflow
from shanzhi.cases.models import Status
from shanzhi.lib import clock, crypto, parsing
from shanzhi.lib.codes import CodeError, normalise_id_number
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.views import staff_page
from shanzhi.mediation import document, selectors
from shanzhi.mediation import services as svc
from shanzhi.mediation.forms import (
    MAX_PARTIES,
    PARTY_FIELDS,
    AgreementForm,
    ConcludeForm,
    EscalateForm,
    FollowUpForm,
    HandoverForm,
    PartyFormSet,
    PeriodForm,
    ReceptionForm,
    RecordForm,
    ScheduleForm,
    SignForm,
    WeekForm,
    party_set_errors,
)
from shanzhi.mediation.indicators import indicators_for
from shanzhi.mediation.models import Agreement, Centre, Dispute, Role
from shanzhi.org.models import Level, OrgUnit
from shanzhi.org.selectors import orgunit_get_for, orgunit_list_for
from shanzhi.people.models import Resident
from shanzhi.rooms.models import Room

# Labels stored as plain Chinese in models and the catalogue; listed so templates show them in English.
CHOICE_LABELS = (
    gettext_noop("矛盾纠纷"), gettext_noop("信访"), gettext_noop("达成协议"), gettext_noop("部分达成"),
    gettext_noop("调解不成"), gettext_noop("撤回"), gettext_noop("转办"), gettext_noop("申请人"),
    gettext_noop("被申请人"), gettext_noop("已履行"), gettext_noop("部分履行"), gettext_noop("未履行"),
    gettext_noop("邻里纠纷"), gettext_noop("婚姻家庭纠纷"), gettext_noop("土地房屋纠纷"), gettext_noop("劳资纠纷"),
    gettext_noop("物业纠纷"), gettext_noop("消费纠纷"), gettext_noop("交通事故纠纷"), gettext_noop("医疗纠纷"),
    gettext_noop("其他纠纷"), gettext_noop("县"), gettext_noop("镇/街道"), gettext_noop("村/社区"),
)
EVENT_LABELS = {"report": "上报", **{a: t[3] for a, t in workflow.TRANSITIONS.items()}}
ACTIONS = ("schedule", "record", "agreement", "sign", "conclude", "escalate", "handover", "followup")
ACTION_LABELS = {
    "schedule": gettext_lazy("安排调解"), "record": gettext_lazy("记录调解"), "agreement": gettext_lazy("生成协议"),
    "sign": gettext_lazy("确认签署"), "conclude": gettext_lazy("办结"), "escalate": gettext_lazy("上报上级中心"),
    "handover": gettext_lazy("交办"), "followup": gettext_lazy("履行回访"),
}
INDICATORS = (  # key, label, kind
    ("accepted", gettext_lazy("受理数"), "n"), ("resolved", gettext_lazy("化解数"), "n"),
    ("resolution_rate", gettext_lazy("化解率"), "%"), ("first_time_rate", gettext_lazy("一次化解率"), "%"),
    ("on_time_rate", gettext_lazy("按期化解率"), "%"), ("village_share", gettext_lazy("在村化解占比"), "%"),
    ("town_share", gettext_lazy("在镇（含村）化解占比"), "%"), ("repeats", gettext_lazy("重复来访"), "n"),
    ("petitions", gettext_lazy("信访件数"), "n"), ("median_days", gettext_lazy("化解天数中位数"), "d"),
)
MAX_CODES = 600  # where-they-live suggestions; any code may still be typed
LIST_LIMIT = 100


# ---- plumbing ----------------------------------------------------------------------------------

# Logged-in staff who may see disputes somewhere (others: 404).
mediation_page = staff_page(action="mediation.view")


def nav_context(user) -> dict:
    """Links of the centre's sub-navigation: the window, the calendar, the user's centres. One query."""
    return {"may_intake": scopes.may_somewhere(user, "mediation.intake"),
            "my_centres": selectors.centres_viewed_by(user=user)}


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _apply(exc: DomainError, form, *, aliases: dict | None = None) -> None:
    """Put a service's refusal on the form: field errors where a field matches, else the whole message."""
    aliases = aliases or {}
    placed = False
    if exc.code == DomainError.code:
        for field, msgs in exc.fields.items():
            name = aliases.get(field, field)
            if name in form.fields:
                for m in msgs:
                    form.add_error(name, m)
                placed = True
    if not placed:
        form.add_error(None, str(exc))


def _dispute(user, number: str) -> Dispute:
    try:
        return selectors.dispute_get_for(user=user, number=number)
    except NotFound:
        raise NotFound(_("未找到该纠纷")) from None


# ---- the reception window ----------------------------------------------------------------------

def _unit_codes(user) -> list[tuple[str, str]]:
    """Codes to suggest for where the parties live: down to micro-grids when few, else coarser levels."""
    units = orgunit_list_for(user=user, action="mediation.intake").order_by("path")
    rows: list[tuple[str, str]] = []
    for levels in ((Level.VILLAGE, Level.GRID, Level.MICROGRID), (Level.VILLAGE, Level.GRID),
                   (Level.TOWN, Level.VILLAGE)):
        rows = list(units.filter(level__in=levels).values_list("code", "name")[:MAX_CODES + 1])
        if len(rows) <= MAX_CODES:
            return rows
    return rows[:MAX_CODES]


def _where(user, data: dict) -> dict:
    """The unit or household the parties live in, within the user's window; a clear error otherwise."""
    household = (data.get("household") or "").strip()
    if household:
        found = selectors.window_household_for(user=user, number=household)
        if found is None:
            raise DomainError(_("未找到户号"), fields={"household": [_("未找到该户号，或不在您的受理范围")]})
        if scopes.may(user, "people.view", found.micro_grid):
            return {"household": found}
        # mediators do not read the registry: the case gets the household's place, not the household
        where = {"unit": found.micro_grid}
        if found.lat is not None and found.lon is not None:
            where.update(lat=found.lat, lon=found.lon)
        return where
    try:
        return {"unit": orgunit_get_for(user=user, code=(data.get("unit") or "").strip(), action="mediation.intake")}
    except NotFound:
        raise DomainError(_("未找到单位"), fields={"unit": [_("未找到该编码，或不在您的受理范围")]}) from None


def _resident(user, id_number: str) -> Resident | None:
    """The registered resident with this ID number, when the window's scope covers them."""
    try:
        number = normalise_id_number(id_number)
    except CodeError:
        return None  # the service names the row
    return selectors.window_resident_for(user=user, id_number_hash=crypto.lookup_hash(number))


def _party_rows(parties) -> tuple[list[dict], list[int]]:
    rows, index = [], []
    for i, f in enumerate(parties.forms):
        if f.is_blank():
            continue
        rows.append({k: f.cleaned_data.get(k) or "" for k in PARTY_FIELDS})
        index.append(i)
    return rows, index


def _place_party_errors(exc: DomainError, parties, index: list[int], form, party_errors: list[str]) -> None:
    """parties[i].field (1-based over the rows sent) -> that row's field; the rest -> the main form."""
    rest = {}
    for field, msgs in exc.fields.items():
        if field.startswith("parties[") and "]." in field:
            n, name = field[len("parties["):].split("].", 1)
            if 0 < (parsing.id_or_none(n) or 0) <= len(index) and name in parties.forms[index[int(n) - 1]].fields:
                for m in msgs:
                    parties.forms[index[int(n) - 1]].add_error(name, m)
                continue
        if field == "parties":
            party_errors.extend(msgs)
            continue
        rest[field] = msgs
    if rest or not (exc.fields or party_errors):
        _apply(DomainError(str(exc), fields=rest, code=exc.code), form,
               aliases={"description": "summary", "lat": "unit"})


def _row_filled(f) -> bool:
    """A party row with something typed in it (whatever its errors)."""
    return any((f.data.get(f.add_prefix(k)) or "").strip() for k in PARTY_FIELDS if k != "role")


def _blank_parties(n: int):
    n = max(2, min(n, MAX_PARTIES))
    initial = [{"role": Role.APPLICANT}] + [{"role": Role.RESPONDENT}] * (n - 1)
    return PartyFormSet(prefix="parties", initial=initial)


@mediation_page
def reception(request: HttpRequest) -> HttpResponse:
    """Register a walk-in dispute or petition in one step; a possible repeat asks to confirm and link."""
    user = request.user
    if not scopes.may_somewhere(user, "mediation.intake"):
        raise Http404()
    status, repeats, elsewhere, party_errors = 200, [], 0, []
    if request.method == "POST" and "add_party" in request.POST:  # without JS: one more row, nothing checked
        post = request.POST
        n = min(parsing.id_or_none(post.get("parties-TOTAL_FORMS")) or 0, MAX_PARTIES - 1)
        initial = [{k: post.get(f"parties-{i}-{k}", "") for k in PARTY_FIELDS} for i in range(n)]
        parties = PartyFormSet(prefix="parties", initial=[*initial, {"role": Role.RESPONDENT}])
        form = ReceptionForm(initial={k: post.get(k, "") for k in ("kind", "type", "summary", "unit", "household")})
    elif request.method == "POST":
        status = 400
        form = ReceptionForm(request.POST)
        parties = PartyFormSet(request.POST, prefix="parties")
        form_ok, parties_ok = form.is_valid(), parties.is_valid()
        # Everything checked before the service is called, so one round names every error.
        rows, index = _party_rows(parties) if parties_ok else ([], [])
        if not parties.non_form_errors():  # what the rows lack as a whole, wrong rows or not
            roles = [f.data.get(f.add_prefix("role")) for f in parties.forms if _row_filled(f)]
            party_errors.extend(party_set_errors([{"role": r} for r in roles], form.cleaned_data.get("kind") or ""))
        where = {}
        if "unit" not in form.errors and "household" not in form.errors:
            try:
                where = _where(user, form.cleaned_data)
            except DomainError as exc:
                _apply(exc, form)
        if form_ok and parties_ok and not form.errors and not party_errors:
            for row in rows:
                row["resident"] = _resident(user, row["id_number"]) if row["id_number"] else None
            try:
                dispute = svc.dispute_register(
                    actor=user, kind=form.cleaned_data["kind"], type=form.cleaned_data["type"],
                    summary=form.cleaned_data["summary"], parties=rows,
                    confirm_repeat=form.cleaned_data["confirm_repeat"], **where)
            except (NotFound, PermissionDenied):
                form.add_error(None, _("该事项不在您所在矛调中心的受理范围，请引导当事人到相应的矛调中心"))
            except DomainError as exc:
                if exc.code == "possible_repeat":
                    repeats = list(exc.fields.get("repeat_of", []))
                    elsewhere = int((exc.fields.get("elsewhere") or ["0"])[0])
                    form.add_error("confirm_repeat", str(exc))
                else:
                    _place_party_errors(exc, parties, index, form, party_errors)
            else:
                messages.success(request, _("已登记：%(number)s") % {"number": dispute.case.number})
                return redirect("mediation:detail", number=dispute.case.number)
    else:
        n = request.GET.get("parties", "")
        parties = _blank_parties(min(parsing.id_or_none(n) or 2, MAX_PARTIES))
        form = ReceptionForm()
    return render(request, "mediation/reception.html", {
        "form": form, "parties": parties, "party_errors": party_errors, "status": status,
        "repeats": repeats, "repeats_elsewhere": elsewhere, "unit_codes": _unit_codes(user),
        "max_parties": MAX_PARTIES, "row_label": _("第%(n)s位当事人"), **nav_context(user),
    }, status=status)


# ---- the dispute page --------------------------------------------------------------------------

def mediator_choices(centre: Centre):
    """Users who may mediate at the centre (the ones session_schedule accepts)."""
    return selectors.mediators_for(centre=centre)


def _action_forms(dispute: Dispute, data=None, only: str = "") -> dict:
    """The action forms of a dispute page (bound to `data` for the one action posted)."""
    def bound(name):
        return data if name == only else None
    centre = dispute.centre
    parties = list(dispute.parties.order_by("role", "id"))
    sessions = (dispute.sessions.filter(booking__cancelled=False).select_related("booking__room")
                .order_by("held", "booking__starts_at"))
    made = {
        "schedule": lambda: ScheduleForm(bound("schedule"), rooms=centre.rooms.order_by("name", "id"),
                                         mediators=mediator_choices(centre), auto_id="schedule-%s"),
        "record": lambda: RecordForm(bound("record"), sessions=sessions, parties=parties, auto_id="record-%s"),
        "agreement": lambda: AgreementForm(bound("agreement"), auto_id="agreement-%s"),
        "sign": lambda: SignForm(bound("sign"), auto_id=False),
        "conclude": lambda: ConcludeForm(bound("conclude"), auto_id="conclude-%s"),
        "escalate": lambda: EscalateForm(bound("escalate"), auto_id="escalate-%s"),
        "handover": lambda: HandoverForm(bound("handover"), teams=centre.teams.filter(is_active=True).order_by("id"),
                                         auto_id="handover-%s"),
        "followup": lambda: FollowUpForm(bound("followup"), auto_id=False),
    }
    return {name: make() for name, make in made.items() if not only or name == only}


def _detail(request: HttpRequest, dispute: Dispute, *, bound: dict | None = None, failed: str = "",
            failed_agreement: int | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    case = dispute.case
    may_handle = scopes.may(user, "mediation.handle", dispute.centre.unit)
    parties = list(dispute.parties.order_by("role", "id"))
    names = {p.pk: p.name for p in parties}
    sessions = list(dispute.sessions.select_related("booking__room").prefetch_related("booking__people")
                    .order_by("booking__starts_at"))
    for s in sessions:
        s.attended_names = [names[i] for i in s.attended if i in names]
    agreements = list(dispute.agreements.prefetch_related("followups__by").order_by("created_at", "id"))
    events = list(case.events.all())
    for ev in events:
        ev.label = EVENT_LABELS.get(ev.action, ev.action)
        ev.to_label = Status(ev.to_status).label if ev.to_status in Status.values else ""
    forms = {}
    if may_handle:
        forms = _action_forms(dispute)
        forms.update(bound or {})
    is_open = not dispute.result
    return render(request, "mediation/detail.html", {
        "dispute": dispute, "case": case, "parties": parties, "sessions": sessions, "agreements": agreements,
        "events": events, "may_handle": may_handle, "is_open": is_open, "forms": forms, "failed": failed,
        "failed_label": ACTION_LABELS.get(failed, ""), "failed_agreement": failed_agreement,
        "unheld": [s for s in sessions if not s.held and not s.cancelled],
        "has_parent_centre": dispute.centre.unit.parent_id is not None,
        "repeat_visible": bool(dispute.repeat_of_id and selectors.visible_dispute_ids(
            user=user, ids=[dispute.repeat_of_id])),
        "labels": ACTION_LABELS, **nav_context(user),
    }, status=status)


@mediation_page
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """A dispute: parties (masked), centre and team, the case timeline, sessions, agreements, follow-ups."""
    return _detail(request, _dispute(request.user, number))


def _agreement_of(dispute: Dispute, pk: int | None) -> Agreement:
    found = dispute.agreements.filter(pk=pk).first() if pk else None
    if found is None:
        raise DomainError(_("未找到该协议"), fields={"agreement": [_("未找到该协议")]})
    return found


def run_action(user, dispute: Dispute, action: str, data: dict) -> None:
    """Call the service behind one action of the dispute page."""
    if action == "schedule":
        svc.session_schedule(actor=user, dispute=dispute, starts_at=data["starts_at"], ends_at=data["ends_at"],
                             room=data["room"], mediators=list(data["mediators"]))
    elif action == "record":
        svc.session_record(actor=user, session=data["session"], attended=[int(i) for i in data["attended"]],
                           minutes=data["minutes"])
    elif action == "agreement":
        svc.agreement_create(actor=user, dispute=dispute, terms=data["terms"])
    elif action == "sign":
        svc.agreement_sign(actor=user, agreement=_agreement_of(dispute, data["agreement"]))
    elif action == "conclude":
        svc.dispute_conclude(actor=user, dispute=dispute, result=data["result"], note=data["note"],
                             referred_to=data["referred_to"])
    elif action == "escalate":
        svc.dispute_escalate(actor=user, dispute=dispute, note=data["note"])
    elif action == "handover":
        svc.dispute_handover(actor=user, dispute=dispute, team=data["team"], note=data["note"])
    elif action == "followup":
        svc.followup_record(actor=user, agreement=_agreement_of(dispute, data["agreement"]), result=data["result"],
                            note=data["note"])


@require_POST
@mediation_page
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Run one action on a dispute; a refusal is shown on the page and nothing is written."""
    user = request.user
    dispute = _dispute(user, number)
    if action not in ACTIONS:
        raise Http404()
    svc.require_handle(actor=user, dispute=dispute)
    form = _action_forms(dispute, request.POST, only=action)[action]
    if form.is_valid():
        try:
            run_action(user, dispute, action, form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            _apply(exc, form)
        else:
            messages.success(request, _("%(action)s：已完成") % {"action": ACTION_LABELS[action]})
            return redirect("mediation:detail", number=dispute.case.number)
    agreement = request.POST.get("agreement") or ""
    return _detail(request, _dispute(user, number), bound={action: form}, failed=action, status=400,
                   failed_agreement=parsing.id_or_none(agreement))


@mediation_page
def agreement_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreement as a DOCX, to staff who may see its dispute (others: 404)."""
    try:
        agreement = selectors.agreement_get_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404() from None
    response = HttpResponse(document.agreement_docx(agreement),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{agreement.dispute.case.number}-{_('调解协议')}.docx")
    return response


# ---- the mediator's calendar and caseload ------------------------------------------------------

@mediation_page
def calendar(request: HttpRequest) -> HttpResponse:
    """My sessions this week by day, the rooms' bookings of my centre, and my open disputes."""
    user, now = request.user, clock.now()
    form = WeekForm(request.GET or None)
    day = (form.cleaned_data.get("week") if form.is_valid() else None) or clock.today()
    if form.errors:
        messages.error(request, _("week（周）：%(error)s；已显示本周。") % {"error": "；".join(form.errors["week"])})
    monday = day - dt.timedelta(days=day.weekday())
    start = _aware(monday)
    end = _aware(monday + dt.timedelta(days=7))
    centres = selectors.centres_handled_by(user=user)
    week = list(selectors.week_sessions_for(user=user, start=start, end=end, centres=centres))
    mine = [s for s in week if any(m.pk == user.pk for m in s.mediators.all())]
    days = [{"date": monday + dt.timedelta(days=i), "sessions": []} for i in range(7)]
    for s in mine:
        days[(timezone.localtime(s.starts_at).date() - monday).days]["sessions"].append(s)
    units = {c.unit_id for c in centres}
    booked = [s for s in week if s.room.unit_id in units]
    centre_rooms = defaultdict(list)
    for room in Room.objects.filter(unit_id__in=units, is_active=True).order_by("name", "id"):
        centre_rooms[room.unit_id].append(room)
    boards = []
    for c in centres:
        rows = []
        for room in centre_rooms[c.unit_id]:
            cells = [[s for s in booked if s.room_id == room.pk and timezone.localtime(s.starts_at).date() == d["date"]]
                     for d in days]
            rows.append({"room": room, "cells": cells})
        boards.append({"centre": c, "rows": rows})
    caseload = selectors.caseload_for(user=user, now=now)
    total = caseload.count()
    rows = list(caseload[:LIST_LIMIT])
    for d in rows:
        d.age_days = (now - d.registered_at).days
        d.overdue = bool(d.case.deadline_at and d.case.deadline_at < now)
    return render(request, "mediation/calendar.html", {
        "days": days, "monday": monday, "today": clock.today(), "boards": boards, "caseload": rows,
        "caseload_total": total, "mine_count": len(mine),
        "prev_week": monday - dt.timedelta(days=7), "next_week": monday + dt.timedelta(days=7), **nav_context(user),
    })


# ---- the centre head's overview ----------------------------------------------------------------

def _fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "%":
        return f"{value * 100:.1f}%"
    if kind == "d":
        return f"{value:.1f}"
    return str(value)


def indicator_row(unit: OrgUnit, start: dt.datetime, end: dt.datetime) -> dict:
    raw = indicators_for(unit, start, end)
    return {"raw": raw, "cells": [{"key": k, "value": _fmt(raw.get(k), kind)} for k, _label, kind in INDICATORS]}


@mediation_page
def centre(request: HttpRequest, code: str) -> HttpResponse:
    """A centre's open disputes by type and age, today's sessions, and its indicators for a period."""
    user, now, today = request.user, clock.now(), clock.today()
    try:
        found = selectors.centre_get_for(user=user, code=code)
    except NotFound:
        raise Http404() from None
    form = PeriodForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    first, last = f.get("start") or today.replace(month=1, day=1), f.get("end") or today
    if first > last:
        first = last
    start, end = _aware(first), _aware(last + dt.timedelta(days=1))
    open_qs = selectors.centre_open_disputes_for(user=user, centre=found)
    week_ago, month_ago = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
    by_type = list(open_qs.values("type__sort", "type__code", "type__name").annotate(
        total=Count("id"), fresh=Count("id", filter=Q(registered_at__gte=week_ago)),
        month=Count("id", filter=Q(registered_at__lt=week_ago, registered_at__gte=month_ago)),
        old=Count("id", filter=Q(registered_at__lt=month_ago))).order_by("type__sort", "type__code"))
    totals = {k: sum(r[k] for r in by_type) for k in ("total", "fresh", "month", "old")}
    sessions_today = list(selectors.centre_sessions_for(user=user, centre=found, start=_aware(today),
                                                        end=_aware(today + dt.timedelta(days=1))))
    children = [{"centre": c, **indicator_row(c.unit, start, end)}
                for c in selectors.child_centres_for(user=user, centre=found)]
    recent = list(open_qs.select_related("case", "type").order_by("registered_at", "id")[:LIST_LIMIT])
    for d in recent:
        d.age_days = (now - d.registered_at).days
    return render(request, "mediation/centre.html", {
        "centre": found, "form": form, "first": first, "last": last, "by_type": by_type, "totals": totals,
        "sessions_today": sessions_today, "own": indicator_row(found.unit, start, end), "children": children,
        "indicators": INDICATORS, "recent": recent, "today": today, **nav_context(user),
    })


@mediation_page
def index(request: HttpRequest) -> HttpResponse:
    """The centre's front page: the window for reception staff, else the calendar."""
    if scopes.may_somewhere(request.user, "mediation.intake"):
        return redirect(reverse("mediation:calendar"))
    centres = nav_context(request.user)["my_centres"]
    if centres:
        return redirect("mediation:centre", code=centres[0].unit.code)
    raise Http404()
