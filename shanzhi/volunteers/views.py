"""百事服务团's pages for volunteers, teams and service requests, phone first.

Residents: ask for help, my requests, a request with confirm and rate, become a volunteer. Volunteers: my
tasks, accept or decline, check in and out. The desk (cadres, town staff, team leaders): volunteers to
approve, teams with members and leader, requests by status with assignment suggestions and the timeline.
Views are thin: reads through `selectors`, every write and every check of who may through `services`.
Out of scope answers 404 like a missing row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.cases import selectors as case_selectors
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import add_to_form
from shanzhi.lib.views import user_page
from shanzhi.org.models import Level, OrgUnit
from shanzhi.volunteers import access, selectors, services
from shanzhi.volunteers.forms import (
    AssignForm,
    CheckForm,
    ConfirmForm,
    FromCaseForm,
    OptionalReasonForm,
    ReasonForm,
    RequestFilterForm,
    RequestForm,
    TeamForm,
    TeamMemberForm,
    VolunteerFilterForm,
    VolunteerForm,
)
from shanzhi.volunteers.models import RequestStatus, VolunteerStatus

S = RequestStatus
PAGE = 30
# Labels stored as plain Chinese in models: listed so the catalog carries them.
LABELS = (
    gettext_noop("待派单"), gettext_noop("已派单"), gettext_noop("已接单"), gettext_noop("服务中"),
    gettext_noop("待确认"), gettext_noop("已完成"), gettext_noop("已取消"), gettext_noop("待审核"),
    gettext_noop("在岗"), gettext_noop("暂停"), gettext_noop("已退出"), gettext_noop("未通过"),
    gettext_noop("维修"), gettext_noop("理发"), gettext_noop("陪诊"), gettext_noop("助老"), gettext_noop("法律"),
    gettext_noop("心理"), gettext_noop("文体"), gettext_noop("接送"), gettext_noop("代办"), gettext_noop("保洁"),
    gettext_noop("百事服务团"), gettext_noop("主任"), gettext_noop("成员"),
)
EVENT_LABELS = {
    "create": gettext_noop("提出需求"), "from_case": gettext_noop("由求助转来"), "assign": gettext_noop("派单"),
    "accept": gettext_noop("接单"), "decline": gettext_noop("婉拒"), "checkin": gettext_noop("签到"),
    "checkout": gettext_noop("签退"), "confirm": gettext_noop("确认完成"), "cancel": gettext_noop("取消")}
REQUEST_ACTIONS = ("accept", "decline", "checkin", "checkout", "confirm", "cancel")
ME_ACTIONS = ("pause", "resume", "leave")
VOLUNTEER_ACTIONS = ("approve", "refuse")
TEAM_ACTIONS = ("join", "leave", "leader")

page = user_page


def _desk_only(user) -> None:
    if not selectors.may_desk(user):
        raise Http404()


# ---- home ---------------------------------------------------------------------------------------------

@page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """By who is looking: a resident's ask / my requests / become a volunteer (or their status and tasks);
    the desk's volunteers to approve, teams and requests waiting."""
    return _home(request)


def _home(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    me = access.volunteer_for(user)
    desk = selectors.may_desk(user)
    ctx = {
        "village": access.home_village(user), "me": me, "desk": desk,
        "requests": list(selectors.my_requests(user=user)[:5]),
        "tasks": list(selectors.my_tasks(user=user, open_only=True)[:10]) if me else [], "error": error,
    }
    if desk:
        ctx.update({
            "to_approve": selectors.volunteer_list_for(user=user, status=VolunteerStatus.APPLIED).count(),
            "waiting": selectors.request_list_for(user=user, status=S.REQUESTED).count(),
            "served": selectors.request_list_for(user=user, status=S.SERVED).count(),
            "teams": list(selectors.team_list_for(user=user)[:20]),
            "may_create_team": scopes.may_somewhere(user, "volunteers.run"),
        })
    return render(request, "volunteers/home.html", ctx, status=status)


# ---- volunteers -------------------------------------------------------------------------------------

def _villages_of_town(village: OrgUnit | None):
    if village is None or village.parent_id is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(parent_id=village.parent_id, level=Level.VILLAGE, is_active=True).exclude(
        pk=village.pk).order_by("code")


def _staff_villages(user):
    return OrgUnit.objects.filter(level=Level.VILLAGE, is_active=True).filter(
        pk__in=[u.pk for u in OrgUnit.objects.filter(level=Level.VILLAGE, is_active=True)
                if scopes.reaches(user, "org.view", u)][:500]).order_by("code")


@page
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Become a volunteer: a resident for their own village, a staff member for a village of their scope."""
    user = request.user
    home_village = access.home_village(user)
    staff = home_village is None and scopes.is_staff_user(user)
    if home_village is None and not staff:
        raise Http404()
    village = home_village
    if staff:
        chosen = request.POST.get("village") if request.method == "POST" else None
        village = OrgUnit.objects.filter(pk=chosen if (chosen or "").isdigit() else 0).first()
    form = VolunteerForm(request.POST if request.method == "POST" else None, villages=_villages_of_town(village or home_village),
                         staff_villages=_staff_villages(user) if staff else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                cd = form.cleaned_data
                services.volunteer_apply(actor=user, skills=[s.pk for s in cd["skills"]],
                                         availability=form.availability(), villages=[v.pk for v in cd["villages"]],
                                         intro=cd["intro"], village=cd.get("village"))
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except DomainError as exc:
                add_to_form(form, exc if "availability" not in exc.fields else DomainError(
                    str(exc), fields={"weekdays": exc.fields["availability"]}))
            else:
                messages.success(request, gettext("报名已提交，等待村社审核"))
                return redirect("volunteers:home")
    return render(request, "volunteers/join.html", {"form": form, "me": access.volunteer_for(user),
                                                    "village": home_village}, status=status)


@page
@require_http_methods(["GET", "POST"])
def me_profile(request: HttpRequest) -> HttpResponse:
    """The volunteer edits their own profile (skills, hours, villages served, intro) after sign-up."""
    user = request.user
    me = access.volunteer_for(user)
    if me is None or me.status in (VolunteerStatus.LEFT, VolunteerStatus.REFUSED):
        raise Http404()
    slots = me.availability or []
    initial = {"skills": list(me.skills.all()), "villages": list(me.villages.exclude(pk=me.village_id)),
               "weekdays": sorted({s["weekday"] for s in slots}), "intro": me.intro,
               "start": slots[0]["start"] if slots else None, "end": slots[0]["end"] if slots else None}
    form = VolunteerForm(request.POST if request.method == "POST" else None, initial=initial,
                         villages=_villages_of_town(me.village))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                cd = form.cleaned_data
                services.volunteer_update(actor=user, volunteer=me, skills=[s.pk for s in cd["skills"]],
                                          availability=form.availability(), villages=[v.pk for v in cd["villages"]],
                                          intro=cd["intro"])
            except DomainError as exc:
                add_to_form(form, exc if "availability" not in exc.fields else DomainError(
                    str(exc), fields={"weekdays": exc.fields["availability"]}))
            else:
                messages.success(request, gettext("资料已保存"))
                return redirect("volunteers:home")
    return render(request, "volunteers/profile.html", {"form": form, "me": me}, status=status)


@page
@require_POST
def me_act(request: HttpRequest) -> HttpResponse:
    """My own record: pause, resume or leave (the step in the form's `action`)."""
    user = request.user
    action = request.POST.get("action", "")
    me = access.volunteer_for(user)
    if me is None or action not in ME_ACTIONS:
        raise Http404()
    form = OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if action == "pause":
            services.volunteer_pause(actor=user, volunteer=me, reason=reason)
            messages.success(request, gettext("已暂停服务"))
        elif action == "resume":
            services.volunteer_resume(actor=user, volunteer=me)
            messages.success(request, gettext("已恢复服务"))
        else:
            services.volunteer_leave(actor=user, volunteer=me, reason=reason)
            messages.success(request, gettext("已退出志愿者队伍"))
    except NotFound:
        raise
    except DomainError as exc:
        return _home(request, error=str(exc), status=exc.status)
    return redirect("volunteers:home")


@page
@require_GET
def desk_volunteers(request: HttpRequest) -> HttpResponse:
    user = request.user
    _desk_only(user)
    filters = VolunteerFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    rows = Paginator(selectors.volunteer_list_for(user=user, status=status), PAGE).get_page(request.GET.get("page"))
    return render(request, "volunteers/desk_volunteers.html", {"page": rows, "filters": filters, "status": status})


def _volunteer_page(request: HttpRequest, volunteer, *, form=None, error: str = "", status: int = 200):
    user = request.user
    lead = access.leads_at(user, volunteer.village)
    return render(request, "volunteers/volunteer_detail.html", {
        "v": volunteer, "skills": list(volunteer.skills.all()), "villages": list(volunteer.villages.all()),
        "teams": selectors.teams_of(volunteer), "error": error,
        "may_review": volunteer.status == VolunteerStatus.APPLIED and (
            scopes.may(user, "volunteers.run", volunteer.village) or lead),
        "refuse_form": form or ReasonForm(auto_id="refuse-%s"),
        "tasks": list(volunteer.requests.select_related("skill").order_by("-created_at")[:20]),
    }, status=status)


@page
@require_GET
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _volunteer_page(request, selectors.volunteer_get_for(user=request.user, pk=pk))


@page
@require_POST
def volunteer_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    volunteer = selectors.volunteer_get_for(user=user, pk=pk)
    if action not in VOLUNTEER_ACTIONS:
        raise Http404()
    form = ReasonForm(request.POST, auto_id="refuse-%s") if action == "refuse" else None
    try:
        if action == "approve":
            services.volunteer_approve(actor=user, volunteer=volunteer)
            messages.success(request, gettext("已审核通过：%(name)s") % {"name": volunteer.name})
        else:
            if not form.is_valid():
                return _volunteer_page(request, volunteer, form=form, status=400)
            services.volunteer_refuse(actor=user, volunteer=volunteer, reason=form.cleaned_data["reason"])
            messages.success(request, gettext("已不予通过：%(name)s") % {"name": volunteer.name})
    except PermissionDenied as exc:
        return _volunteer_page(request, volunteer, error=str(exc), status=403)
    except NotFound:
        raise
    except DomainError as exc:
        if form is not None:
            add_to_form(form, exc)
        return _volunteer_page(request, volunteer, form=form, error=str(exc), status=400)
    return redirect("volunteers:volunteer_detail", pk=volunteer.pk)


# ---- teams ------------------------------------------------------------------------------------------

@page
@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "volunteers/teams.html", {
        "teams": list(selectors.team_list_for(user=user)[:300]),
        "may_create": scopes.may_somewhere(user, "volunteers.run")})


@page
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scopes.may_somewhere(user, "volunteers.run"):
        raise Http404()
    form = TeamForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            unit = OrgUnit.objects.filter(code=form.cleaned_data["unit"].strip()).first()
            try:
                if unit is None:
                    raise NotFound()
                team = services.team_create(actor=user, unit=unit, name=form.cleaned_data["name"])
            except (NotFound, PermissionDenied):  # the service's gate: out of scope reads like a missing code
                form.add_error("unit", gettext("未找到该单位，或不在您的范围"))
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已设立：%(name)s") % {"name": team.name})
                return redirect("volunteers:team_detail", pk=team.pk)
    return render(request, "volunteers/team_form.html", {"form": form}, status=status)


def _team_page(request: HttpRequest, team, *, form=None, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    current, past = selectors.team_members(team)
    may_run = (scopes.may(user, "volunteers.run", team.unit) or access.leads_at(user, team.unit))
    member_keys = {(m.resident_id, m.user_id) for m in current}
    joinable = [v for v in selectors.volunteers_for_team(team)[:300]
                if (v.resident_id, None) not in member_keys and (None, v.user_id) not in member_keys] if may_run else []
    holders = selectors.volunteer_ids_of_members(current) if may_run else {}
    rows = [{"m": m, "volunteer": holders.get(m.pk)} for m in current]
    return render(request, "volunteers/team_detail.html", {
        "team": team, "rows": rows, "past": past, "may_run": may_run, "joinable": joinable,
        "form": form or TeamMemberForm(), "error": error,
        "requests": list(selectors.request_list_for(user=user).filter(team=team)[:20]) if may_run else [],
    }, status=status)


@page
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, selectors.team_get_for(user=request.user, pk=pk))


@page
@require_POST
def team_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    team = selectors.team_get_for(user=user, pk=pk)
    if action not in TEAM_ACTIONS:
        raise Http404()
    form = TeamMemberForm(request.POST)
    if not form.is_valid():
        return _team_page(request, team, form=form, status=400)
    volunteer = services.get_volunteer_target(form.cleaned_data["volunteer"])
    try:
        if volunteer is None:
            raise DomainError(gettext("未找到该志愿者"), fields={"volunteer": [gettext("未找到该志愿者")]})
        if action == "join":
            services.team_join(actor=user, team=team, volunteer=volunteer)
            done = gettext("已加入服务团：%(name)s")
        elif action == "leave":
            services.team_leave(actor=user, team=team, volunteer=volunteer, reason=form.cleaned_data["reason"])
            done = gettext("已退出服务团：%(name)s")
        else:
            services.team_set_leader(actor=user, team=team, volunteer=volunteer)
            done = gettext("已设为队长：%(name)s")
    except NotFound:
        raise
    except PermissionDenied as exc:
        return _team_page(request, team, error=str(exc), status=403)
    except DomainError as exc:
        add_to_form(form, exc)
        return _team_page(request, team, form=form, error=str(exc), status=400)
    messages.success(request, done % {"name": volunteer.name})
    return redirect("volunteers:team_detail", pk=team.pk)


# ---- requests: the resident ----------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """Ask for help (a resident logged in by phone, for their own village)."""
    user = request.user
    village = access.home_village(user)
    if village is None:
        raise Http404()
    form = RequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                req = services.request_create(actor=user, skill=cd["skill"], text=cd["text"],
                                              wanted_from=cd["wanted_from"], wanted_to=cd["wanted_to"])
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已提交，编号 %(number)s") % {"number": req.number})
                return redirect("volunteers:request_detail", pk=req.pk)
    return render(request, "volunteers/ask.html", {"form": form, "village": village}, status=status)


@page
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    rows = Paginator(selectors.my_requests(user=request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "volunteers/mine.html", {"page": rows})


@page
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    me = access.volunteer_for(request.user)
    if me is None:
        raise Http404()
    rows = Paginator(selectors.my_tasks(user=request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "volunteers/tasks.html", {"page": rows, "me": me})


# ---- a request ----------------------------------------------------------------------------------------

def _request_page(request: HttpRequest, req, *, forms: dict | None = None, error: str = "", status: int = 200):
    user = request.user
    forms = forms or {}
    own_task = services._is_volunteer(user, req)
    requester = services.is_requester(user, req)
    desk = selectors.sees_as_desk(user, req.village)
    may_run = desk and (scopes.may(user, "volunteers.run", req.village) or access.leads_at(user, req.village))
    events = list(req.events.select_related("actor", "volunteer"))
    timeline = [{"e": e, "label": gettext(EVENT_LABELS.get(e.action, e.action)),
                 "status": gettext(S(e.to_status).label) if e.to_status in S.values else "",
                 "note": mask_text(e.note) if (desk or own_task or requester or e.action != "decline") else ""}
                for e in events]
    full = selectors.sees_requester(user, req)
    return render(request, "volunteers/request_detail.html", {
        "r": req, "requester": selectors.requester_label(user, req), "full": full,
        "text": mask_text(req.text), "service_note": mask_text(req.service_note),
        "rating_comment": mask_text(req.rating_comment), "cancel_reason": mask_text(req.cancel_reason),
        "address": req.household.address if full and req.household_id and (desk or own_task or requester) else "",
        "timeline": timeline, "error": error, "desk": desk, "own_task": own_task, "requester_view": requester,
        "may_assign": may_run and req.status in (S.REQUESTED, S.ASSIGNED),
        "may_accept": own_task and req.status == S.ASSIGNED,
        "may_checkin": own_task and req.status == S.ACCEPTED,
        "may_checkout": own_task and req.status == S.SERVING,
        "may_confirm": req.status == S.SERVED and (requester or services.may_confirm_for(user, req)),
        "may_cancel": req.status in services.CANCELLABLE and (requester or may_run),
        "case_visible": req.case_id is not None and scopes.is_staff_user(user) and _case_visible(user, req.case),
        "decline_form": forms.get("decline") or ReasonForm(auto_id="decline-%s"),
        "cancel_form": forms.get("cancel") or ReasonForm(auto_id="cancel-%s"),
        "checkin_form": forms.get("checkin") or CheckForm(auto_id="checkin-%s"),
        "checkout_form": forms.get("checkout") or CheckForm(auto_id="checkout-%s", checkout=True),
        "confirm_form": forms.get("confirm") or ConfirmForm(auto_id="confirm-%s"),
    }, status=status)


def _case_visible(user, case) -> bool:
    try:
        case_selectors.case_get_for(user=user, number_or_id=case.number)
    except NotFound:
        return False
    return True


@page
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, selectors.request_get_for(user=request.user, pk=pk))


@page
@require_POST
def request_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step: accept, decline (reason), check in, check out (note, photo), confirm (rating), cancel."""
    user = request.user
    req = selectors.request_get_for(user=user, pk=pk)
    if action not in REQUEST_ACTIONS:
        raise Http404()
    forms: dict = {}
    try:
        done = _do(request, req, action, forms)
    except NotFound:
        raise
    except PermissionDenied as exc:
        return _request_page(request, req, error=str(exc), status=403)
    except DomainError as exc:
        form = forms.get(action)
        if form is not None and exc.fields:
            add_to_form(form, exc)
        return _request_page(request, req, forms=forms, error=str(exc), status=400)
    if done is None:
        return _request_page(request, req, forms=forms, status=400)
    messages.success(request, done)
    return redirect("volunteers:request_detail", pk=req.pk)


def _do(request: HttpRequest, req, action: str, forms: dict) -> str | None:
    user, post = request.user, request.POST
    if action == "accept":
        services.request_accept(actor=user, request=req)
        return gettext("已接单")
    if action in ("decline", "cancel"):
        form = forms[action] = ReasonForm(post, auto_id=f"{action}-%s")
        if not form.is_valid():
            return None
        if action == "decline":
            services.request_decline(actor=user, request=req, reason=form.cleaned_data["reason"])
            return gettext("已婉拒")
        services.request_cancel(actor=user, request=req, reason=form.cleaned_data["reason"])
        return gettext("已取消")
    if action in ("checkin", "checkout"):
        form = forms[action] = CheckForm(post, request.FILES, auto_id=f"{action}-%s", checkout=action == "checkout")
        if not form.is_valid():
            return None
        cd = form.cleaned_data
        if action == "checkin":
            services.request_checkin(actor=user, request=req, lat=cd["lat"], lon=cd["lon"], note=cd["note"])
            return gettext("已签到")
        services.request_checkout(actor=user, request=req, lat=cd["lat"], lon=cd["lon"], note=cd["note"],
                                  photo=cd.get("photo"))
        return gettext("已签退，等待求助人确认")
    form = forms["confirm"] = ConfirmForm(post, auto_id="confirm-%s")
    if not form.is_valid():
        return None
    services.request_confirm(actor=user, request=req, rating=form.cleaned_data["rating"],
                             comment=form.cleaned_data["comment"])
    return gettext("已确认，感谢您的评价")


@page
@require_http_methods(["GET", "POST"])
def request_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a volunteer, with the suggestions (skill, availability, distance, load) and why others are out."""
    user = request.user
    req = selectors.request_get_for(user=user, pk=pk)
    if not selectors.sees_as_desk(user, req.village):
        raise PermissionDenied(gettext("您无权为该需求派单"))
    form = AssignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.request_assign(actor=user, request=req, note=form.cleaned_data["note"],
                                        volunteer=services.get_volunteer_target(form.cleaned_data["volunteer"]))
            except NotFound:
                raise
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已派单"))
                return redirect("volunteers:request_detail", pk=req.pk)
    result = selectors.suggestions_for(req, limit=20)
    return render(request, "volunteers/assign.html", {"r": req, "form": form, "result": result}, status=status)


@page
@require_GET
def request_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-out photo, to those who see the request."""
    req = selectors.request_get_for(user=request.user, pk=pk)
    if not req.photo:
        raise Http404()
    try:
        fh = req.photo.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    response = FileResponse(fh, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---- the desk's request list ----------------------------------------------------------------------------

@page
@require_GET
def desk_requests(request: HttpRequest) -> HttpResponse:
    user = request.user
    _desk_only(user)
    filters = RequestFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    rows = Paginator(selectors.request_list_for(user=user, status=status), PAGE).get_page(request.GET.get("page"))
    return render(request, "volunteers/desk_requests.html", {
        "page": rows, "filters": filters, "status": status,
        "rows": [{"r": r, "requester": selectors.requester_label(user, r)} for r in rows.object_list]})


# ---- a case handed to the service team --------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def from_case(request: HttpRequest, number: str) -> HttpResponse:
    """交百事服务团: a 求助 case I may handle becomes a service request (the case stays the one timeline)."""
    user = request.user
    if not scopes.is_staff_user(user):
        raise Http404()
    case = case_selectors.case_get_for(user=user, number_or_id=number)
    form = FromCaseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                req = services.request_from_case(actor=user, case=case, skill=cd["skill"], note=cd["note"],
                                                 wanted_from=cd["wanted_from"], wanted_to=cd["wanted_to"])
            except NotFound:
                raise
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已交百事服务团，服务编号 %(number)s") % {"number": req.number})
                return redirect("volunteers:request_detail", pk=req.pk)
    return render(request, "volunteers/from_case.html", {
        "form": form, "case": case, "refusal": services.hand_over_refusal(case)}, status=status)
