"""Set-up and roll pages of the elections (desk): rounds, a round's elections, an election's set-up page
(`elections:election`), its committee, the roll with filters and counts, prints and downloads, voter cards,
objections, the register of residents without political rights; and the resident's own page
(`elections:mine`).

Views are thin: reads through `selectors`, every write and every check of who may do it through the
services (`services_setup`, `roll`). Out of scope answers 404 like a missing object.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.councils.selectors import resident_by_id_number
from shanzhi.elections import cards, roll, roll_exports, rules, selectors, services_setup
from shanzhi.elections.forms_setup import (
    AdmitForm,
    AnswerForm,
    CommitteeForm,
    ElectionEditForm,
    ElectionForm,
    ObjectionForm,
    ReasonForm,
    ResidentObjectionForm,
    RollFilterForm,
    RoundForm,
    SuspensionForm,
    TownForm,
)
from shanzhi.elections.models import Stage, Voter
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import add_to_form
from shanzhi.lib.views import user_page
from shanzhi.org.models import OrgUnit

# Labels stored as plain Chinese in models: listed so the catalog carries them.
LABELS = (
    gettext_noop("筹备"), gettext_noop("选民登记"), gettext_noop("选民名单已公布"), gettext_noop("提名候选人"),
    gettext_noop("正式候选人已公布"), gettext_noop("投票中"), gettext_noop("计票完成"), gettext_noop("另行选举"),
    gettext_noop("结果已公告"), gettext_noop("选举无效"), gettext_noop("主任"), gettext_noop("副主任"),
    gettext_noop("委员"), gettext_noop("户籍在本村（社区）并居住"), gettext_noop("户籍在本村（社区）不在本村居住（本人申请）"),
    gettext_noop("居住一年以上非户籍（本人申请）"), gettext_noop("异议成立，已更正"), gettext_noop("异议不成立"),
)
PAGE = 100
CARDS_PAGE = 40

page = user_page  # residents on the committee use the desk pages too: the services decide


def _refused(form, exc: DomainError) -> None:
    add_to_form(form, exc)


def _resident(form, field: str = "id_number"):
    value = form.cleaned_data.get(field)
    if not value:
        return None
    found = resident_by_id_number(value)
    if found is None:
        form.add_error(field, gettext("未找到该身份证号的居民"))
    return found


# ---- rounds ----------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest) -> HttpResponse:
    """The rounds the user follows, and (county staff) a new round with its rules."""
    user = request.user
    counties = [u for u in scopes.roots_for(user, "elections.run") if u.level == "county"]
    items = list(selectors.rounds_for(user).order_by("-election_day", "-id")[:50])
    if not items and not counties:
        raise Http404()
    form = RoundForm(request.POST or None) if counties else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None:
            raise Http404()
        if form.is_valid():
            cd = dict(form.cleaned_data)
            try:
                rnd = services_setup.round_create(actor=user, unit=counties[0], name=cd.pop("name"),
                                                  election_day=cd.pop("election_day"), **cd)
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, gettext("已创建换届：%(name)s") % {"name": rnd.name})
                return redirect("elections:round", pk=rnd.pk)
    return render(request, "elections/setup_rounds.html", {"rounds": items, "form": form}, status=status)


def _round_page(request, rnd, *, election_form=None, town_form=None, status=200):
    user = request.user
    today = clock.today()
    elections = list(selectors.elections_of(user, rnd))
    for e in elections:
        e.risks = rules.at_risk(e, today)
        e.dates = rules.schedule(e, rnd.rules)
    may_run = scopes.reaches(user, "elections.run", rnd.unit)
    return render(request, "elections/setup_round.html", {
        "round": rnd, "rules": rnd.rules, "elections": elections, "may_run": may_run,
        "may_run_all": scopes.may(user, "elections.run", rnd.unit),
        "election_form": election_form or (ElectionForm() if may_run else None),
        "town_form": town_form or (TownForm() if may_run else None),
    }, status=status)


@page
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_page(request, selectors.round_get_for(request.user, pk))


@page
@require_http_methods(["GET", "POST"])
def election_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rnd = selectors.round_get_for(user, pk)
    if request.method == "GET":
        return redirect("elections:round", pk=rnd.pk)
    form = ElectionForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        unit = OrgUnit.objects.filter(code=cd["unit"].strip()).first()
        try:
            if unit is None:
                raise NotFound()
            e = services_setup.election_create(actor=user, round=rnd, unit=unit, election_day=cd["election_day"],
                                               vice_chairs=cd["vice_chairs"], members=cd["members"],
                                               min_women=cd["min_women"], venue=cd["venue"])
        except (NotFound, PermissionDenied):  # the service's gate: out of scope reads like a missing code
            form.add_error("unit", gettext("未找到该村（社区），或不在您的范围"))
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, gettext("已建立：%(name)s") % {"name": e.unit.name})
            return redirect("elections:election", pk=e.pk)
    return _round_page(request, rnd, election_form=form, status=400)


@page
@require_http_methods(["GET", "POST"])
def elections_for_town(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rnd = selectors.round_get_for(user, pk)
    if request.method == "GET":
        return redirect("elections:round", pk=rnd.pk)
    form = TownForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        town = OrgUnit.objects.filter(code=cd["town"].strip()).first()
        try:
            if town is None:
                raise NotFound()
            made = services_setup.elections_create_for_town(actor=user, round=rnd, town=town,
                                                            vice_chairs=cd["vice_chairs"], members=cd["members"])
        except (NotFound, PermissionDenied):  # the service's gate: out of scope reads like a missing code
            form.add_error("town", gettext("未找到该镇（街道），或不在您的范围"))
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, gettext("已为%(n)s个村（社区）建立选举") % {"n": len(made)})
            return redirect("elections:round", pk=rnd.pk)
    return _round_page(request, rnd, town_form=form, status=400)


@page
@require_POST
def round_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """Every unpublished roll of the round from the registry, in one pass."""
    rnd = selectors.round_get_for(request.user, pk)
    try:
        added = roll.roll_generate_all(actor=request.user, round=rnd)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _round_page(request, rnd, status=exc.status)
    messages.success(request, gettext("已生成%(e)s个村（社区）的选民名单，新增%(n)s人") % {
        "e": len(added), "n": sum(added.values())})
    return redirect("elections:round", pk=rnd.pk)


@page
@require_GET
def round_duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = selectors.round_get_for(request.user, pk)
    scopes.require(request.user, "elections.run", rnd.unit, what="该换届")
    return render(request, "elections/roll_duplicates.html", {"round": rnd,
                                                               "rows": roll.duplicates_report(rnd)})


# ---- one election -------------------------------------------------------------------------------------

def _election_page(request, election, *, form=None, status=200):
    user = request.user
    may_run = selectors.may_run(user, election)
    current, past = selectors.committee_of(election)
    counts = selectors.roll_counts(election)
    return render(request, "elections/setup_election.html", {
        "election": election, "dates": rules.schedule(election), "risks": rules.at_risk(election, clock.today()),
        "current": current, "past": past, "counts": counts, "may_run": may_run,
        "form": form or (ElectionEditForm(initial={
            "election_day": election.election_day, "vice_chairs": election.vice_chairs,
            "members": election.members, "min_women": election.min_women, "venue": election.venue})
            if may_run else None),
    }, status=status)


@page
@require_GET
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _election_page(request, selectors.election_get_for(request.user, pk))


@page
@require_http_methods(["GET", "POST"])
def election_edit(request: HttpRequest, pk: int) -> HttpResponse:
    election = selectors.election_get_for(request.user, pk)
    if request.method == "GET":
        return redirect("elections:election", pk=election.pk)
    form = ElectionEditForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services_setup.election_update(actor=request.user, election=election, election_day=cd["election_day"],
                                           vice_chairs=cd["vice_chairs"], members=cd["members"],
                                           min_women=cd["min_women"], venue=cd["venue"])
        except DomainError as exc:
            if exc.status != 400:
                raise
            _refused(form, exc)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("elections:election", pk=election.pk)
    return _election_page(request, election, form=form, status=400)


@page
@require_http_methods(["GET", "POST"])
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    """The election committee: current and past members; add a resident of the village."""
    user = request.user
    election = selectors.election_get_for(user, pk)
    may_run = selectors.may_run(user, election)
    form = CommitteeForm(request.POST or None) if may_run else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None:
            raise _forbidden()
        if form.is_valid():
            resident = _resident(form)
            if resident is not None:
                try:
                    member = services_setup.committee_add(actor=user, election=election, resident=resident,
                                                          role=form.cleaned_data["role"])
                except DomainError as exc:
                    if exc.status != 400:
                        raise
                    _refused(form, exc)
                else:
                    messages.success(request, gettext("已加入选举委员会：%(name)s") % {"name": member.name})
                    return redirect("elections:committee", pk=election.pk)
    current, past = selectors.committee_of(election)
    return render(request, "elections/setup_committee.html", {
        "election": election, "current": current, "past": past, "form": form, "may_run": may_run,
        "remove_form": ReasonForm(auto_id="rm-%s")}, status=status)


@page
@require_http_methods(["GET", "POST"])
def committee_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    member = selectors.member_get_for(user, pk)
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        reason = request.POST.get("reason", "")
        try:
            services_setup.committee_remove(actor=user, member=member, reason=reason if form.is_valid() else "")
        except DomainError as exc:
            if exc.status != 400:
                raise
            _refused(form, exc)
        else:
            messages.success(request, gettext("%(name)s已离任") % {"name": member.name})
            return redirect("elections:committee", pk=member.election_id)
    return render(request, "elections/setup_committee_remove.html", {"member": member, "form": form,
                                                                      "election": member.election}, status=status)


# ---- the roll ---------------------------------------------------------------------------------------

def _filters(request, election):
    filters = RollFilterForm(request.GET)
    cd = filters.cleaned_data if filters.is_valid() else {}
    area = selectors.area_of(election, cd.get("area", ""))
    return filters, cd, area


def _roll_page(request, election, *, admit_form=None, status=200):
    user = request.user
    filters, cd, area = _filters(request, election)
    voters = selectors.voters_of(election, area=area, basis=cd.get("basis", ""), status=cd.get("status") or "current",
                                 q=cd.get("q", ""))
    pager = Paginator(voters, PAGE).get_page(request.GET.get("page"))
    may_run = selectors.may_run(user, election)
    return render(request, "elections/roll_list.html", {
        "election": election, "page": pager, "filters": filters, "area": area, "counts": selectors.roll_counts(election),
        "grids": selectors.grids_of(election), "may_run": may_run, "dates": rules.schedule(election),
        "admit_form": admit_form or (AdmitForm() if may_run else None), "query": request.GET.urlencode(),
    }, status=status)


@page
@require_GET
def roll_list(request: HttpRequest, pk: int) -> HttpResponse:
    return _roll_page(request, selectors.election_get_for(request.user, pk))


def _roll_act(request, pk, act, done: str):
    election = selectors.election_get_for(request.user, pk)
    try:
        result = act(election)
    except DomainError as exc:
        if exc.status != 400:
            raise
        messages.error(request, str(exc))
        return _roll_page(request, election, status=400)
    messages.success(request, done % {"n": result} if "%(n)s" in done else done)
    return redirect("elections:roll", pk=election.pk)


@page
@require_POST
def roll_generate(request: HttpRequest, pk: int) -> HttpResponse:
    return _roll_act(request, pk, lambda e: roll.roll_generate(actor=request.user, election=e),
                     gettext("已依户籍生成选民名单，新增%(n)s人"))


@page
@require_POST
def roll_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _roll_act(request, pk, lambda e: roll.roll_publish(actor=request.user, election=e),
                     gettext("选民名单已公布，异议期开始"))


@page
@require_http_methods(["GET", "POST"])
def voter_admit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    election = selectors.election_get_for(user, pk)
    if request.method == "GET":
        return redirect("elections:roll", pk=election.pk)
    form = AdmitForm(request.POST)
    if form.is_valid():
        resident = _resident(form)
        if resident is not None:
            try:
                voter = roll.voter_admit(actor=user, election=election, resident=resident,
                                         basis=form.cleaned_data["basis"], reason=form.cleaned_data["reason"])
            except DomainError as exc:
                if exc.status != 400:
                    raise
                _refused(form, exc)
            else:
                messages.success(request, gettext("已登记：%(name)s（%(number)s）") % {"name": voter.name,
                                                                                  "number": voter.number})
                return redirect("elections:roll", pk=election.pk)
    elif not selectors.may_run(user, election):
        raise _forbidden()
    return _roll_page(request, election, admit_form=form, status=400)


def _forbidden() -> DjangoPermissionDenied:
    return DjangoPermissionDenied(gettext("您的岗位无权进行此操作"))


@page
@require_http_methods(["GET", "POST"])
def voter_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    voter = selectors.voter_get_for(user, pk)
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            roll.voter_remove(actor=user, voter=voter, reason=form.cleaned_data["reason"] if form.is_valid() else "")
        except DomainError as exc:
            if exc.status != 400:
                raise
            _refused(form, exc)
        else:
            messages.success(request, gettext("已除名：%(name)s") % {"name": voter.name})
            return redirect("elections:roll", pk=voter.election_id)
    return render(request, "elections/roll_remove.html", {"voter": voter, "election": voter.election, "form": form},
                  status=status)


def _printable(request, pk):
    election = selectors.election_get_for(request.user, pk)
    _filters_form, _cd, area = _filters(request, election)
    voters = selectors.voters_of(election, area=area)
    return election, area, voters


@page
@require_GET
def roll_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The roll as a printable page, for the village or one grid (name, sex, micro-grid, number)."""
    election, area, voters = _printable(request, pk)
    return render(request, "elections/roll_print.html", {"election": election, "area": area, "voters": voters,
                                                         "title": roll_exports.title(election, area.name if area else "")})


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    resp = HttpResponse(body, content_type=content_type)
    resp["Content-Disposition"] = content_disposition_header(True, name)
    return resp


@page
@require_GET
def roll_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    election, area, voters = _printable(request, pk)
    name = area.name if area else ""
    return _download(roll_exports.roll_xlsx(election, voters, name), roll_exports.XLSX_TYPE,
                     f"{roll_exports.title(election, name)}.xlsx")


@page
@require_GET
def roll_docx(request: HttpRequest, pk: int) -> HttpResponse:
    election, area, voters = _printable(request, pk)
    name = area.name if area else ""
    return _download(roll_exports.roll_docx(election, voters, name), roll_exports.DOCX_TYPE,
                     f"{roll_exports.title(election, name)}.docx")


@page
@require_GET
def voter_cards(request: HttpRequest, pk: int) -> HttpResponse:
    """Voter cards to print, several per A4 page: number, name, village, election day, QR code."""
    election, area, voters = _printable(request, pk)
    pager = Paginator(voters, CARDS_PAGE).get_page(request.GET.get("page"))
    rows = [(v, cards.card_qr(v)) for v in pager.object_list]
    return render(request, "elections/card_print.html", {"election": election, "area": area, "page": pager,
                                                         "cards": rows, "query": request.GET.urlencode()})


# ---- objections -------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def objections(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    election = selectors.election_get_for(user, pk)
    may_run = selectors.may_run(user, election)
    form = ObjectionForm(request.POST or None) if may_run else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None:
            raise _forbidden()
        if form.is_valid():
            cd = form.cleaned_data
            about = _resident(form)
            if not form.errors:
                try:
                    roll.objection_record(actor=user, election=election, raised_by_name=cd["raised_by_name"],
                                          text=cd["text"], about=about)
                except DomainError as exc:
                    if exc.status != 400:
                        raise
                    _refused(form, exc)
                else:
                    messages.success(request, gettext("异议已记录"))
                    return redirect("elections:objections", pk=election.pk)
    rows = list(election.objections.select_related("about"))
    for o in rows:
        o.due = rules.answer_due(election, o.raised_at)
    return render(request, "elections/objection_list.html", {
        "election": election, "rows": rows, "form": form, "may_run": may_run, "dates": rules.schedule(election)},
        status=status)


@page
@require_http_methods(["GET", "POST"])
def objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    objection = selectors.objection_get_for(user, pk)
    election = objection.election
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            about = _resident(form)
            if not form.errors:
                try:
                    roll.objection_answer(actor=user, objection=objection, outcome=cd["outcome"], answer=cd["answer"],
                                          about=about)
                except DomainError as exc:
                    if exc.status != 400:
                        raise
                    _refused(form, exc)
                else:
                    messages.success(request, gettext("异议已答复"))
                    return redirect("elections:objections", pk=election.pk)
        elif not selectors.may_run(user, election):
            raise _forbidden()
    return render(request, "elections/objection_answer.html", {
        "objection": objection, "election": election, "form": form,
        "due": rules.answer_due(election, objection.raised_at)}, status=status)


# ---- rights suspensions ----------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def suspensions(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scopes.may_somewhere(user, "elections.run"):
        raise Http404()
    form = SuspensionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            resident = _resident(form)
            if resident is not None:
                try:
                    services_setup.suspension_record(actor=user, resident=resident, reason=cd["reason"],
                                                     starts_on=cd["starts_on"], ends_on=cd["ends_on"])
                except DomainError as exc:
                    if exc.status == 404:
                        form.add_error("id_number", gettext("未找到该身份证号的居民"))
                    elif exc.status != 400:
                        raise
                    else:
                        _refused(form, exc)
                else:
                    messages.success(request, gettext("已记录"))
                    return redirect("elections:suspensions")
    rows = Paginator(selectors.suspensions_for(user), PAGE).get_page(request.GET.get("page"))
    return render(request, "elections/setup_suspensions.html", {"page": rows, "form": form, "today": clock.today()},
                  status=status)


@page
@require_http_methods(["GET", "POST"])
def suspension_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    s = selectors.suspension_get_for(user, pk)
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            services_setup.suspension_end(actor=user, suspension=s,
                                          reason=form.cleaned_data["reason"] if form.is_valid() else "")
        except DomainError as exc:
            if exc.status != 400:
                raise
            _refused(form, exc)
        else:
            messages.success(request, gettext("已结束"))
            return redirect("elections:suspensions")
    return render(request, "elections/setup_suspension_end.html", {"suspension": s, "form": form}, status=status)


# ---- the resident's own page --------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """My entry on the roll (once published): which village, my number, where to vote; or that I am not on
    it and how to object, with the dates."""
    user = request.user
    found = roll.resident_election(user)
    if found is None:
        return render(request, "elections/resident_mine.html", {"election": None})
    resident, election = found
    published = election.roll_published_at is not None
    entry = (Voter.objects.select_related("election__unit", "micro_grid")
             .filter(resident=resident, round=election.round, removed_at__isnull=True).first()) if published else None
    dates = rules.schedule(election)
    from shanzhi.elections.stations import voting_places

    places = voting_places(entry) if entry is not None else []
    today = clock.today()
    window_open = bool(published and dates.objections_until and today <= dates.objections_until
                       and election.stage in roll.ROLL_STAGES)
    form = ResidentObjectionForm(request.POST or None) if window_open else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None:
            form = ResidentObjectionForm(request.POST)
            form.is_valid()
            try:
                roll.objection_raise(actor=user, election=election, text="-")
            except DomainError as exc:
                if exc.status != 400:
                    raise
                _refused(form, exc)
        elif form.is_valid():
            try:
                roll.objection_raise(actor=user, election=election, text=form.cleaned_data["text"],
                                     about_me=form.cleaned_data["about_me"])
            except DomainError as exc:
                if exc.status != 400:
                    raise
                _refused(form, exc)
            else:
                messages.success(request, gettext("您的异议已提交，选举委员会将在%(n)s日内答复") % {
                    "n": election.round.rules.answer_days})
                return redirect("elections:mine")
    where = entry.election if entry else None
    return render(request, "elections/resident_mine.html", {
        "resident": resident, "election": election, "entry": entry, "published": published, "dates": dates,
        "window_open": window_open, "form": form, "vote_at": where, "stage_voting": election.stage == Stage.VOTING,
        "places": places, "is_candidate": entry is not None and entry.candidacies.exists(),
        "counted": election.stage in (Stage.COUNTED, Stage.FURTHER, Stage.CERTIFIED, Stage.VOID),
        "my_objections": election.objections.filter(raised_by=resident).order_by("-raised_at")[:10],
    }, status=status)
