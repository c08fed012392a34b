"""Pages of the moral-appraisal panel 道德评判团.

Resident (phone): nominate a good deed, report uncivil conduct, my submissions, the honour roll 红榜 of a
village (readable by its residents, its panel and staff in scope), and its criticism list 黑榜 when the
county turned it on. Desk (staff who see councils, members of a panel): nominations and complaints in
scope with their state, filing for a resident, the hearing and follow-up of a complaint, and the county's
settings. Views are thin: reads through `selectors`, writes (and who may) through `services`; out of
scope is 404, in scope but not allowed 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import UserKind
from shanzhi.appraisal import selectors, services
from shanzhi.appraisal.forms import (
    ComplaintForm,
    DeskComplaintForm,
    DeskNominationForm,
    FollowUpForm,
    HearingForm,
    NominationForm,
    SettingsForm,
)
from shanzhi.appraisal.models import UPHELD, Complaint, Nomination
from shanzhi.councils import access
from shanzhi.councils.lifecycle import topic_link
from shanzhi.lib import parsing
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import Resident

# Labels stored as plain Chinese in models: listed so makemessages puts them in the catalog.
CHOICE_LABELS = (
    gettext_noop("好人好事"), gettext_noop("最美家庭"), gettext_noop("孝老爱亲"), gettext_noop("见义勇为"),
    gettext_noop("其他"), gettext_noop("待评议"), gettext_noop("通过"), gettext_noop("未通过"),
    gettext_noop("转交办理"), gettext_noop("不文明行为"), gettext_noop("不赡养老人"), gettext_noop("乱扔乱倒垃圾"),
    gettext_noop("批评教育"), gettext_noop("责令改正"), gettext_noop("不予认定"), gettext_noop("转交有关部门"),
    gettext_noop("已提出"), gettext_noop("已受理"), gettext_noop("不予受理"), gettext_noop("已列入议程"),
    gettext_noop("已审议"), gettext_noop("已决定"), gettext_noop("办理中"), gettext_noop("已办结"),
)
PER_PAGE = 50


# ---- plumbing ----------------------------------------------------------------------------------

def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in users (visitors go to the resident log-in); NotFound -> 404, PermissionDenied -> 403."""

    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:resident_login"))
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None

    return wrapper


def _desk(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The desk: staff who see councils somewhere and members of a moral panel; others 404."""

    @_signed_in
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.may_use_desk(request.user):
            raise NotFound()
        return view(request, *args, **kwargs)

    return wrapper


def _is_resident(user) -> bool:
    return getattr(user, "kind", "") == UserKind.RESIDENT


# ---- resident pages ----------------------------------------------------------------------------

@_signed_in
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Residents: their village's honour roll; the desk for staff and panel members."""
    village = selectors.home_village(request.user)
    if village is not None and _is_resident(request.user):
        return redirect("appraisal:honour", code=village.code)
    if selectors.may_use_desk(request.user):
        return redirect("appraisal:desk")
    return render(request, "appraisal/no_village.html", status=404)


@_signed_in
@require_GET
def honour(request: HttpRequest, code: str) -> HttpResponse:
    """A village's honour roll 红榜: names, kind, citation and date (phones and ID numbers masked)."""
    village = selectors.village_get_for(user=request.user, code=code)
    rows = [{"entry": e, "citation": selectors.citation(e)} for e in selectors.honour_roll(village=village)]
    home = selectors.home_village(request.user)
    return render(request, "appraisal/honour.html", {
        "village": village, "rows": rows, "blacklist_on": selectors.blacklist_on(village),
        "may_nominate": home is not None and home.pk == village.pk and services.moral_council(village) is not None,
        "desk": selectors.may_use_desk(request.user)})


@_signed_in
@require_GET
def blacklist(request: HttpRequest, code: str) -> HttpResponse:
    """A village's criticism list 黑榜: 404 unless the county turned it on; only what the county allows."""
    village = selectors.village_get_for(user=request.user, code=code)
    rows = selectors.blacklist_rows(village=village)
    return render(request, "appraisal/blacklist.html", {"village": village, "rows": rows,
                                                         "desk": selectors.may_use_desk(request.user)})


def _resident_village(request: HttpRequest) -> OrgUnit | None:
    village = selectors.home_village(request.user)
    return village if village is not None and services.moral_council(village) is not None else None


def _submit(form, call: Callable[[dict], object]):
    """Call a service with the form's cleaned data; a refusal naming fields goes on the form (None)."""
    try:
        return call(form.cleaned_data)
    except DomainError as exc:
        if exc.status != 400:
            raise
        parsing.add_to_form(form, exc)
        return None


def _resident_form(request: HttpRequest, *, form_class, template: str, desk: str, create, done: str) -> HttpResponse:
    """A resident's form about their own village's panel (staff go to the desk form of the same thing)."""
    if not _is_resident(request.user):
        return redirect(desk)
    village = _resident_village(request)
    if village is None:
        return render(request, "appraisal/no_village.html", status=404)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = _submit(form, lambda cd: create(village, cd))
        if made is not None:
            messages.success(request, done % {"number": made.topic.number})
            return redirect("appraisal:mine")
    return render(request, template, {"form": form, "village": village}, status=400 if form.errors else 200)


@_signed_in
@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest) -> HttpResponse:
    """A resident nominates a good deed in their own village."""
    return _resident_form(
        request, form_class=NominationForm, template="appraisal/nominate.html", desk="appraisal:desk_nominate",
        create=lambda village, cd: services.nomination_create(
            actor=request.user, village=village, kind=cd["kind"], nominee_name=cd["nominee_name"], deed=cd["deed"],
            anonymous=cd["anonymous"]),
        done=_("已提交推荐，编号 %(number)s。道德评判团评议通过后将登上红榜。"))


@_signed_in
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    """A resident reports uncivil conduct in their own village (heard by the panel; their name not public)."""
    return _resident_form(
        request, form_class=ComplaintForm, template="appraisal/complain.html", desk="appraisal:desk_complain",
        create=lambda village, cd: services.complaint_create(
            actor=request.user, village=village, kind=cd["kind"], act=cd["act"], subject_name=cd["subject_name"],
            occurred_on=cd["occurred_on"]),
        done=_("已提交，编号 %(number)s。道德评判团将进行评议。"))


@_signed_in
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """What I nominated and reported, with their state."""
    nominations, complaints = selectors.mine(user=request.user)
    return render(request, "appraisal/mine.html", {"nominations": nominations, "complaints": complaints,
                                                   "village": selectors.home_village(request.user),
                                                   "desk": selectors.may_use_desk(request.user)})


# ---- the desk ----------------------------------------------------------------------------------

STATES = {"open": "待评议", "decided": "已决定"}


@_desk
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """Nominations or complaints in scope, newest first, by state."""
    user = request.user
    tab = "complaints" if request.GET.get("tab") == "complaints" else "nominations"
    state = request.GET.get("state") if request.GET.get("state") in STATES else ""
    if tab == "complaints":
        rows = selectors.complaint_list_for(user=user)
        if state == "open":
            rows = rows.filter(decision="")
        elif state == "decided":
            rows = rows.exclude(decision="")
    else:
        rows = selectors.nomination_list_for(user=user)
        if state == "open":
            rows = rows.filter(outcome="")
        elif state == "decided":
            rows = rows.exclude(outcome="")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = f"tab={tab}" + (f"&state={state}" if state else "")
    return render(request, "appraisal/desk.html", {
        "tab": tab, "state": state, "page": page, "query": query,
        "may_configure": scopes.may_somewhere(user, "appraisal.configure"), "meetings_url": _url("councils:meeting_list")})


def _url(name: str) -> str:
    """A page of the council engine when it is installed (the panel meets through it), else nothing."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _village_choice(user, code: str, villages: list[OrgUnit]) -> OrgUnit | None:
    return next((v for v in villages if v.code == code), None)


@_desk
@require_http_methods(["GET", "POST"])
def desk_nominate(request: HttpRequest) -> HttpResponse:
    """A member or cadre nominates a good deed in a village whose panel they sit on or run."""
    user = request.user
    villages = selectors.desk_villages(user=user)
    form = DeskNominationForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            n = services.nomination_create(actor=user, village=_village_choice(user, cd["village"], villages),
                                           kind=cd["kind"], nominee_name=cd["nominee_name"], deed=cd["deed"],
                                           anonymous=cd["anonymous"])
        except DomainError as exc:
            if exc.status == 404:
                exc = DomainError(_("请选择村（社区）"), fields={"village": [_("请选择村（社区）")]})
            elif exc.status != 400:
                raise
            parsing.add_to_form(form, exc)
        else:
            messages.success(request, _("已提交推荐，编号 %(number)s。") % {"number": n.topic.number})
            return redirect("appraisal:nomination_detail", pk=n.pk)
    return render(request, "appraisal/desk_nominate.html", {"form": form}, status=400 if form.errors else 200)


@_desk
@require_http_methods(["GET", "POST"])
def desk_complain(request: HttpRequest) -> HttpResponse:
    """File a conduct complaint at the desk, in one's own name or for a resident without a phone."""
    user = request.user
    villages = selectors.desk_villages(user=user, proxy=True)
    form = DeskComplaintForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        resident = Resident.objects.filter(pk=cd["resident"]).select_related("household__micro_grid").first() \
            if cd["resident"] else None
        try:
            if cd["resident"] and resident is None:
                raise DomainError(_("只能为本人网格内、居住在本村的居民代为反映"),
                                  fields={"resident": [_("只能为本人网格内、居住在本村的居民代为反映")]})
            c = services.complaint_create(actor=user, village=_village_choice(user, cd["village"], villages),
                                          kind=cd["kind"], act=cd["act"], subject_name=cd["subject_name"],
                                          occurred_on=cd["occurred_on"], for_resident=resident)
        except DomainError as exc:
            if exc.status == 404:
                exc = DomainError(_("请选择村（社区）"), fields={"village": [_("请选择村（社区）")]})
            elif exc.status == 403 and resident is not None:
                exc = DomainError(_("只能为本人网格内、居住在本村的居民代为反映"),
                                  fields={"resident": [_("只能为本人网格内、居住在本村的居民代为反映")]})
            elif exc.status != 400:
                raise
            parsing.add_to_form(form, exc)
        else:
            messages.success(request, _("已登记，编号 %(number)s。") % {"number": c.topic.number})
            if selectors.complaint_list_for(user=user).filter(pk=c.pk).exists():
                return redirect("appraisal:complaint_detail", pk=c.pk)
            return redirect("appraisal:desk_complain")
    return render(request, "appraisal/desk_complain.html", {"form": form}, status=400 if form.errors else 200)


def _nomination(user, pk: int) -> Nomination:
    return selectors.nomination_get_for(user=user, pk=pk)


@_desk
@require_GET
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    n = _nomination(request.user, pk)
    return render(request, "appraisal/nomination.html", {"n": n, "topic": n.topic, "topic_link": topic_link(n.topic),
                                                         "honour": getattr(n, "honour", None)})


def _complaint_page(request: HttpRequest, c: Complaint, *, hearing: HearingForm | None = None,
                    follow: FollowUpForm | None = None, status: int = 200) -> HttpResponse:
    may_run = access.may_run(request.user, c.topic.council)
    if hearing is None:
        hearing = HearingForm(initial={"heard_on": c.heard_on, "heard": c.heard, "findings": c.findings,
                                       "proposed": c.proposed, "public_text": c.public_text})
    follow = follow or FollowUpForm(initial={"note": c.follow_up, "corrected": c.corrected})
    return render(request, "appraisal/complaint.html", {
        "c": c, "topic": c.topic, "topic_link": topic_link(c.topic), "act": mask_text(c.act), "may_run": may_run, "hearing": hearing, "follow": follow,
        "hearing_open": not c.decision and c.topic.status in services.OPEN_TOPIC,
        "follow_open": c.decision in UPHELD}, status=status)


@_desk
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_page(request, selectors.complaint_get_for(user=request.user, pk=pk))


@_desk
@require_POST
def complaint_hearing(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the hearing (officers of the panel, cadres who run it)."""
    c = selectors.complaint_get_for(user=request.user, pk=pk)
    form = HearingForm(request.POST)
    if form.is_valid() and _submit(form, lambda cd: services.hearing_record(
            actor=request.user, complaint=c, heard=cd["heard"], findings=cd["findings"], proposed=cd["proposed"],
            heard_on=cd["heard_on"], public_text=cd["public_text"])):
        messages.success(request, _("评议记录已保存。"))
        return redirect("appraisal:complaint_detail", pk=c.pk)
    return _complaint_page(request, c, hearing=form, status=400)


@_desk
@require_POST
def complaint_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the follow-up of a decision to educate or to correct."""
    c = selectors.complaint_get_for(user=request.user, pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid() and _submit(form, lambda cd: services.complaint_follow_up(
            actor=request.user, complaint=c, note=cd["note"], corrected=cd["corrected"])):
        messages.success(request, _("回访情况已保存。"))
        return redirect("appraisal:complaint_detail", pk=c.pk)
    return _complaint_page(request, c, follow=form, status=400)


@_signed_in
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """The county's criticism-list settings (county admins; others 404)."""
    counties = selectors.counties_for(user=request.user)
    county = next((c for c in counties if c.code == request.GET.get("county")), counties[0] if counties else None)
    if county is None:
        raise NotFound()
    conf = services.settings_for(county)
    form = SettingsForm(request.POST or None, initial={
        "blacklist_enabled": conf.blacklist_enabled, "show_names": conf.show_names, "show_text": conf.show_text,
        "show_decision": conf.show_decision})
    if request.method == "POST" and form.is_valid():
        services.settings_update(actor=request.user, county=county, **form.cleaned_data)
        messages.success(request, _("设置已保存。"))
        return redirect(reverse("appraisal:settings") + f"?county={county.code}")
    return render(request, "appraisal/settings.html", {"form": form, "county": county, "counties": counties,
                                                       "conf": conf})
