"""Pages of the candidates, stations and proxies (desk: the election committee and the town), the public
candidate and proxy lists for the village's residents, and the candidate's own page on the phone (consent to
show their service record, their statement).

Thin: every write and every check of who may do it goes through the services (`candidates`, `stations`,
`proxies`); reads ask `access.require_view` / `candidates.require_public` first. Out of scope answers 404 like
a missing election. Objects named in a form (a candidate, a station, an entrustment) must be the election's:
anything else is the field's 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_http_methods

from shanzhi.accounts import scopes
from shanzhi.cases.views_resident import resident_object
from shanzhi.elections import access, proxies, stations
from shanzhi.elections import candidates as cand
from shanzhi.elections.forms_candidates import (
    ConsentForm,
    MobileForm,
    ProxyForm,
    StaffForm,
    StationForm,
    TallyForm,
    TieForm,
    WithdrawForm,
)
from shanzhi.elections.models import Candidate, CandidateStatus, Election, Tally
from shanzhi.elections.service_record import public_record
from shanzhi.lib import clock
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.parsing import add_to_form, id_or_none
from shanzhi.lib.views import user_page
from shanzhi.org.models import Level, OrgUnit

page = user_page  # committee members are residents: the services decide
# Labels stored as plain Chinese in models, shown with {% trans %}: listed so the catalogue carries them.
LABELS = (
    gettext_noop("初步候选人"), gettext_noop("正式候选人"), gettext_noop("未列为正式候选人"), gettext_noop("已退出"),
    gettext_noop("监票人"), gettext_noop("计票人"), gettext_noop("发票登记员"), gettext_noop("中心会场"),
    gettext_noop("投票站"), gettext_noop("流动票箱"), gettext_noop("主任"), gettext_noop("副主任"), gettext_noop("委员"),
)


def _election(pk) -> Election:
    election = (Election.objects.select_related("unit", "round__rules").filter(pk=id_or_none(pk) or 0).first())
    if election is None:
        raise NotFound("未找到该选举")
    return election


def _desk(user, pk) -> Election:
    election = _election(pk)
    access.require_view(user, election)
    return election


def _may_run(user, election: Election) -> bool:
    return scopes.may(user, "elections.run", election.unit) or access.is_committee(user, election)


def _grids(election: Election) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(path__startswith=election.unit.path, level__in=(Level.GRID, Level.MICROGRID))
                .order_by("path"))


# ---- candidates (desk) ---------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """Nominations counted, the official list by position (ties and shortfalls shown), withdrawal, the
    committee's decision on a tie, publication."""
    user = request.user
    election = _desk(user, pk)
    rows = list(election.candidates.select_related("voter").order_by("position", "-nominations", "id"))
    active = [c for c in rows if c.status in cand.ACTIVE]
    tied = [c for c in rows if c.status == CandidateStatus.NOMINATED and c.nominations > 0]
    do = request.POST.get("do", "") if request.method == "POST" else ""
    withdraw_form = WithdrawForm(request.POST if do == "withdraw" else None, candidates=active, prefix="w")
    tie_form = TieForm(request.POST if do == "tie" else None, tied=tied, prefix="t")
    status, error = 200, None
    if request.method == "POST":
        status = 400
        now = clock.now()
        access.require_run(user, election)
        try:
            if do == "count":
                cand.nominations_count(actor=user, election=election, now=now)
                messages.success(request, gettext("已汇总提名票，确定正式候选人"))
                return redirect("elections:candidates", pk=election.pk)
            if do == "publish":
                cand.candidates_publish(actor=user, election=election, now=now)
                messages.success(request, gettext("正式候选人名单已公布"))
                return redirect("elections:candidates", pk=election.pk)
            if do == "withdraw":
                if withdraw_form.is_valid():
                    c = next(x for x in active if x.pk == withdraw_form.cleaned_data["candidate"])
                    cand.candidate_withdraw(actor=user, candidate=c, reason=withdraw_form.cleaned_data["reason"],
                                            now=now)
                    messages.success(request, gettext("已登记退出：%(name)s") % {"name": c.name})
                    return redirect("elections:candidates", pk=election.pk)
            elif do == "tie":
                if tie_form.is_valid():
                    chosen = [c for c in tied if c.pk in set(tie_form.cleaned_data["chosen"])]
                    cand.tie_break(actor=user, election=election, position=tie_form.cleaned_data["position"],
                                   chosen=chosen, reason=tie_form.cleaned_data["reason"], now=now)
                    messages.success(request, gettext("已确定票数相等的候选人"))
                    return redirect("elections:candidates", pk=election.pk)
            else:
                error = gettext("未知操作")
        except DomainError as exc:
            if exc.status != 400:
                raise
            form = withdraw_form if do == "withdraw" else tie_form if do == "tie" else None
            if form is not None:
                add_to_form(form, exc)
            else:
                error = str(exc)
    tallies = list(Tally.objects.filter(station__election=election, kind=Tally.Kind.NOMINATION)
                   .select_related("station").order_by("station__kind", "station_id"))
    return render(request, "elections/candidate_desk.html", {
        "election": election, "reports": cand.report(election), "rows": rows, "tallies": tallies,
        "withdraw_form": withdraw_form, "tie_form": tie_form if tied else None, "error": error,
        "may_run": _may_run(user, election), "published": election.candidates_published_at is not None,
    }, status=status)


@page
@require_http_methods(["GET", "POST"])
def candidate_tally(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter (or correct) a station's count of nomination ballots."""
    user = request.user
    election = _desk(user, pk)
    station_rows = list(election.stations.order_by("kind", "id"))
    form = TallyForm(request.POST or None, stations=station_rows)
    status = 200
    if request.method == "POST":
        status = 400
        access.require_run(user, election)
        if form.is_valid():
            d = form.cleaned_data
            station = next(s for s in station_rows if s.pk == d["station"])
            try:
                cand.nomination_tally_enter(actor=user, station=station, issued=d["issued"], returned=d["returned"],
                                            valid=d["valid"], invalid=d["invalid"], blank=d["blank"] or 0,
                                            lines=d["lines"], now=clock.now())
            except DomainError as exc:
                if exc.status != 400:
                    raise
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已录入%(name)s的提名票统计") % {"name": station.name})
                return redirect("elections:candidates", pk=election.pk)
    return render(request, "elections/candidate_tally.html", {"election": election, "form": form},
                  status=status)


# ---- the public list and the candidate's own page -----------------------------------------------------------

@page
def candidates_public(request: HttpRequest, pk: int) -> HttpResponse:
    """The official candidates for the village's residents: name, sex, position, statement and, with consent
    where the rules ask, the service record (counts only)."""
    election = _election(pk)
    cand.require_public(request.user, election)
    rows = [(c, public_record(c), mask_text(c.statement)) for c in cand.published_list(election)]
    return render(request, "elections/candidate_public.html", {
        "election": election, "rows": rows, "published": election.candidates_published_at is not None,
        "consent_required": election.round.rules.service_record_consent})


@resident_object
@require_http_methods(["GET", "POST"])
def candidate_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate's own page: consent to show their service record, and their statement."""
    election = _election(pk)
    rows = cand.own_candidacies(request.user, election)
    form = ConsentForm(request.POST or None,
                       initial={"consent": rows[0].consent_record, "statement": rows[0].statement})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                cand.candidate_consent(actor=request.user, election=election, consent=form.cleaned_data["consent"],
                                       statement=form.cleaned_data["statement"], now=clock.now())
            except DomainError as exc:
                if exc.status != 400:
                    raise
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已保存"))
                return redirect("elections:candidate_mine", pk=election.pk)
    return render(request, "elections/candidate_mine.html", {
        "election": election, "rows": rows, "form": form, "record": public_record_own(rows[0]),
        "consent_required": election.round.rules.service_record_consent}, status=status)


def public_record_own(candidate: Candidate):
    """What the candidate's record holds (they see it whatever the consent, to decide)."""
    from shanzhi.elections.service_record import service_record

    return service_record(candidate.voter.resident_id)


# ---- stations -----------------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def stations_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The central venue, polling stations and mobile boxes with their staff; what is missing for election
    day."""
    user = request.user
    election = _desk(user, pk)
    units = _grids(election)
    station_rows = list(election.stations.prefetch_related("units", "staff").select_related("campaign")
                        .order_by("kind", "id"))
    do = request.POST.get("do", "") if request.method == "POST" else ""
    station_form = StationForm(request.POST if do == "station" else None, units=units, prefix="s")
    mobile_form = MobileForm(request.POST if do == "mobile" else None, units=units, prefix="m")
    staff_form = StaffForm(request.POST if do == "staff" else None, stations=station_rows, prefix="p")
    status, error = 200, None
    if request.method == "POST":
        status = 400
        now = clock.now()
        access.require_run(user, election)
        try:
            done = _stations_post(request, user, election, do, station_rows, station_form, mobile_form, staff_form,
                                  now)
        except DomainError as exc:
            if exc.status != 400:
                raise
            form = {"station": station_form, "mobile": mobile_form, "staff": staff_form}.get(do)
            if form is not None:
                add_to_form(form, exc)
            else:
                error = str(exc)
        else:
            if done:
                return redirect("elections:stations", pk=election.pk)
    return render(request, "elections/station_list.html", {
        "election": election, "stations": station_rows, "short": stations.stations_ready(election),
        "station_form": station_form, "mobile_form": mobile_form, "staff_form": staff_form, "error": error,
        "may_run": _may_run(user, election), "min_scrutineers": election.round.rules.min_scrutineers,
    }, status=status)


def _named(rows, request: HttpRequest, key: str, field_name: str, message: str):
    found = next((r for r in rows if r.pk == id_or_none(request.POST.get(key))), None)
    if found is None:
        raise DomainError(message, fields={field_name: [message]})
    return found


def _stations_post(request, user, election, do, station_rows, station_form, mobile_form, staff_form, now) -> bool:
    if do == "station":
        if not station_form.is_valid():
            return False
        d = station_form.cleaned_data
        s = stations.station_create(actor=user, election=election, kind=d["kind"], name=d["name"], place=d["place"],
                                    units=d["units"], now=now)
        messages.success(request, gettext("已设立：%(name)s") % {"name": s.name})
        return True
    if do == "mobile":
        if not mobile_form.is_valid():
            return False
        d = mobile_form.cleaned_data
        s = stations.mobile_box_create(actor=user, election=election, name=d["name"], units=d["units"],
                                       tags=d["tags"], now=now)
        messages.success(request, gettext("已设立流动票箱：%(name)s") % {"name": s.name})
        return True
    if do == "staff":
        if not staff_form.is_valid():
            return False
        d = staff_form.cleaned_data
        station = next(s for s in station_rows if s.pk == d["station"])
        row = stations.staff_add(actor=user, station=station, role=d["role"], voter_number=d["voter_number"],
                                 username=d["username"], now=now)
        messages.success(request, gettext("已增加：%(name)s") % {"name": row.name})
        return True
    if do == "staff_remove":
        staff = _named([s for st in station_rows for s in st.staff.all()], request, "staff", "staff",
                       gettext("未找到该工作人员"))
        stations.staff_remove(actor=user, staff=staff, reason=request.POST.get("reason", ""), now=now)
        messages.success(request, gettext("已移除：%(name)s") % {"name": staff.name})
        return True
    if do == "station_remove":
        station = _named(station_rows, request, "station", "station", gettext("未找到该投票站"))
        stations.station_remove(actor=user, station=station, now=now)
        messages.success(request, gettext("已删除：%(name)s") % {"name": station.name})
        return True
    raise DomainError(gettext("未知操作"))


# ---- proxies ------------------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def proxies_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Record, approve and revoke entrustments; the list."""
    user = request.user
    election = _desk(user, pk)
    rows = list(election.proxies.select_related("grantor", "proxy").order_by("-recorded_at", "-id"))
    do = request.POST.get("do", "") if request.method == "POST" else ""
    form = ProxyForm(request.POST if do == "record" else None)
    status, error = 200, None
    if request.method == "POST":
        status = 400
        now = clock.now()
        access.require_run(user, election)
        try:
            if do == "record":
                if form.is_valid():
                    d = form.cleaned_data
                    proxies.proxy_record(actor=user, election=election, grantor=d["grantor"], proxy=d["proxy"],
                                         reason=d["reason"], now=now)
                    messages.success(request, gettext("已登记委托，待审核"))
                    return redirect("elections:proxies", pk=election.pk)
            elif do in ("approve", "revoke"):
                row = _named(rows, request, "proxy", "proxy", gettext("未找到本次选举的该委托"))
                if do == "approve":
                    proxies.proxy_approve(actor=user, proxy=row, now=now)
                    messages.success(request, gettext("已审核通过并公示"))
                else:
                    proxies.proxy_revoke(actor=user, proxy=row, reason=request.POST.get("reason", ""), now=now)
                    messages.success(request, gettext("已撤销委托"))
                return redirect("elections:proxies", pk=election.pk)
            else:
                error = gettext("未知操作")
        except DomainError as exc:
            if exc.status != 400:
                raise
            if do == "record":
                add_to_form(form, exc)
            else:
                error = str(exc)
    return render(request, "elections/proxy_list.html", {
        "election": election, "rows": rows, "form": form, "error": error, "may_run": _may_run(user, election),
        "limit": election.round.rules.proxy_limit, "relatives_only": election.round.rules.proxy_close_relative_only,
    }, status=status)


@page
def proxies_public(request: HttpRequest, pk: int) -> HttpResponse:
    """The approved entrustments, published to the village: who votes for whom (names only)."""
    election = _election(pk)
    cand.require_public(request.user, election)
    return render(request, "elections/proxy_public.html", {
        "election": election, "rows": proxies.proxies_published(election)})

