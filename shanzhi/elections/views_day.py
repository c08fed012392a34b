"""Election day's pages: the committee's desk for the day (open and close the vote, the live turnout board),
the clerk's phone page (scan a voter card or find the voter, the answer big and clear), the tally entry per
station, the results with 'compute' and 'certify', and the public result of the village.

Thin: reads through the services' selectors, writes (and who may) through voting, tally and results. Out of
scope is 404, like a missing object; a refusal of the state or of bad input is a 400 naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.elections import access, counting, results, voting
from shanzhi.elections.forms_day import CertifyForm, FindForm, ScanForm, TallyForm
from shanzhi.elections.models import CandidateStatus, Election, Stage, Station, Tally, Voter
from shanzhi.elections.tally import round_seats, tally_enter
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import add_to_form, id_or_none, parse_int
from shanzhi.lib.views import user_page


def day_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in users (clerks and committee members often hold no post; the services decide); a refusal of
    the state or of the input that no form shows is a 400 page naming it."""

    @functools.wraps(view)
    def refusing(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            return render(request, "elections/day_refused.html", {"exc": exc}, status=400)

    return user_page(refusing)


def _election(pk) -> Election:
    election = Election.objects.select_related("unit", "round").filter(pk=id_or_none(pk) or 0).first()
    if election is None:
        raise NotFound()
    return election


def _desk(request: HttpRequest, pk) -> Election:
    election = _election(pk)
    access.require_view(request.user, election)
    return election


def _station(pk) -> Station:
    station = Station.objects.select_related("election__unit").filter(pk=id_or_none(pk) or 0).first()
    if station is None:
        raise NotFound()
    return station


# ---- the committee's desk for the day ---------------------------------------------------------------------

@require_GET
@day_page
def day(request: HttpRequest, pk: int) -> HttpResponse:
    election = _desk(request, pk)
    stations = list(election.stations.order_by("kind", "id"))
    return render(request, "elections/day_desk.html", {
        "election": election, "stations": stations, "board": voting.turnout(election),
        "is_open": voting.is_open(election), "round": voting.current_round(election),
        "may_run": _may_run(request.user, election)})


def _may_run(user, election: Election) -> bool:
    try:
        access.require_run(user, election)
    except DomainError:
        return False
    return True


@require_GET
@day_page
def turnout_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The turnout board's fragment (htmx polls it every 10 s). Cost: the gate, then five queries."""
    election = _desk(request, pk)
    return render(request, "elections/day_turnout.html", {"election": election, "board": voting.turnout(election)})


@require_POST
@day_page
def day_open(request: HttpRequest, pk: int) -> HttpResponse:
    election = voting.voting_open(actor=request.user, election=_election(pk))
    messages.success(request, _("投票已开始"))
    return redirect("elections:day", pk=election.pk)


@require_POST
@day_page
def day_close(request: HttpRequest, pk: int) -> HttpResponse:
    election = voting.voting_close(actor=request.user, election=_election(pk))
    messages.success(request, _("投票已结束，请录入各投票站计票结果"))
    return redirect("elections:tally", pk=election.pk)


# ---- the clerk's phone page ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@day_page
def checkin(request: HttpRequest, station: int) -> HttpResponse:
    """Scan a card (a phone's QR scanner or a keyboard-wedge scanner types the token into the field; the
    browser's BarcodeDetector fills it where there is one) or find the voter; each answer big and clear."""
    st = _station(station)
    access.require_clerk(request.user, st)
    scan, find = ScanForm(), FindForm(request.GET if "q" in request.GET else None)
    outcome: dict | None = None
    found: list[dict] | None = None
    if request.method == "POST":
        scan = ScanForm(request.POST)
        voter = by_proxy = None
        token = ""
        if scan.is_valid():
            token = scan.cleaned_data["card_token"]
        pick = request.POST.get("voter")
        if pick:
            voter = Voter.objects.filter(pk=id_or_none(pick) or 0, election_id=st.election_id).first()
            if voter is None:
                scan.add_error(None, _("未找到该选民"))
            proxy_pick = request.POST.get("by_proxy")
            if voter is not None and proxy_pick:
                by_proxy = Voter.objects.filter(pk=id_or_none(proxy_pick) or 0,
                                                election_id=st.election_id).first()
                if by_proxy is None:
                    scan.add_error(None, _("未找到该受托人"))
        if scan.is_valid() and not scan.errors:
            try:
                p = voting.checkin(actor=request.user, station=st, card_token=None if voter else token, voter=voter,
                                   by_proxy=by_proxy)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                outcome = {"ok": False, "message": str(exc)}
                status = 400
            else:
                outcome = {"ok": True, "name": p.voter.name, "number": p.voter.number,
                           "proxy": by_proxy.name if by_proxy else ""}
                status = 200
            scan = ScanForm()
            return _checkin_page(request, st, scan, find, outcome, None, status)
        return _checkin_page(request, st, scan, find, None, None, 400)
    if find.is_bound and find.is_valid() and find.cleaned_data["q"].strip():
        found = voting.find_voters(actor=request.user, station=st, query=find.cleaned_data["q"])
    return _checkin_page(request, st, scan, find, outcome, found, 200)


def _checkin_page(request, st, scan, find, outcome, found, status) -> HttpResponse:
    election = st.election
    count = st.participations.filter(ballot_round=voting.current_round(election)).count()
    return render(request, "elections/checkin_phone.html", {
        "station": st, "election": election, "scan": scan, "find": find, "outcome": outcome, "found": found,
        "is_open": voting.is_open(election), "count": count}, status=status)


# ---- tallies -------------------------------------------------------------------------------------------

@require_GET
@day_page
def tally(request: HttpRequest, pk: int) -> HttpResponse:
    election = _desk(request, pk)
    n = voting.current_round(election)
    tallies = {t.station_id: t for t in Tally.objects.filter(station__election=election, kind=Tally.Kind.ELECTION,
                                                             ballot_round=n)}
    rows = [(s, tallies.get(s.pk), s.participations.filter(ballot_round=n).count())
            for s in election.stations.order_by("kind", "id")]
    return render(request, "elections/tally_list.html", {
        "election": election, "rows": rows, "round": n, "may_run": _may_run(request.user, election),
        "closed": election.stage in (Stage.VOTING, Stage.FURTHER) and election.voting_closed_at is not None,
        "all_in": rows and all(t is not None for _s, t, _n in rows)})


@require_http_methods(["GET", "POST"])
@day_page
def tally_station(request: HttpRequest, pk: int, station: int) -> HttpResponse:
    election = _desk(request, pk)
    st = _station(station)
    if st.election_id != election.pk:
        raise NotFound()
    access.require_run(request.user, election, what="该投票站")
    n = voting.current_round(election)
    seats = round_seats(election, n)
    check = _ballot_help(request, seats)
    if n == 1:
        candidates = list(election.candidates.filter(status=CandidateStatus.OFFICIAL).order_by("position", "id"))
    else:
        further = {(r.voter_id, r.position) for r in results.further_candidates(election, n)}
        candidates = [c for c in election.candidates.filter(status=CandidateStatus.OFFICIAL)
                      if (c.voter_id, c.position) in further]
    form = TallyForm(request.POST or None, candidates=candidates, seats=seats)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                t = tally_enter(actor=request.user, station=st, counts=form.counts(), lines=form.lines())
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                form.refuse(exc)
            else:
                if t.warning:
                    messages.warning(request, t.warning)
                messages.success(request, _("%(station)s计票结果已录入") % {"station": st.name})
                return redirect("elections:tally", pk=election.pk)
        status = 400
    elif (existing := Tally.objects.filter(station=st, kind=Tally.Kind.ELECTION, ballot_round=n).first()):
        form = TallyForm(initial={k: getattr(existing, k) for k in ("issued", "returned", "valid", "invalid",
                                                                    "blank")},
                         candidates=candidates, seats=seats)
    return render(request, "elections/tally_entry.html", {
        "election": election, "station": st, "form": form, "round": n, "seats": seats, "check": check,
        "participated": st.participations.filter(ballot_round=n).count()}, status=status)


def _ballot_help(request: HttpRequest, seats: dict[str, int]) -> dict | None:
    """The tellers' help for a doubtful ballot: how many people it marks per position -> valid, blank or
    invalid with the rule (counting.ballot_check)."""
    if "check" not in request.GET:
        return None
    marks: dict[str, range] = {}
    for position in seats:
        try:
            n = parse_int(position, request.GET.get(f"marked_{position}"), min_value=0, max_value=100) or 0
        except DomainError as exc:
            return {"valid": False, "reasons": [str(exc)], "blank": False}
        marks[position] = range(n)
    got = counting.ballot_check(marks, seats)
    return {"valid": got.valid, "blank": got.blank, "reasons": list(got.reasons)}


# ---- results -------------------------------------------------------------------------------------------

@require_GET
@day_page
def results_desk(request: HttpRequest, pk: int) -> HttpResponse:
    election = _desk(request, pk)
    pub = results.published(actor=request.user, election=election)
    form = CertifyForm(initial={"on": clock.today()})
    return _results_page(request, election, pub, form, 200)


def _results_page(request, election, pub, form, status):
    return render(request, "elections/result_desk.html", {
        "election": election, "pub": pub, "form": form, "may_run": _may_run(request.user, election),
        "round": voting.current_round(election)}, status=status)


@require_POST
@day_page
def results_compute(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(pk)
    outcome = results.compute(actor=request.user, election=election)
    if not outcome.valid:
        messages.error(request, outcome.reason)
    for note in outcome.notes:
        messages.info(request, note)
    return redirect("elections:results", pk=election.pk)


@require_POST
@day_page
def results_certify(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(pk)
    access.require_view(request.user, election)
    form = CertifyForm(request.POST)
    if form.is_valid():
        try:
            posts = results.certify(actor=request.user, election=election, on=form.cleaned_data["on"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("当选结果已公告，%(n)s名当选人自%(on)s起任职") % {
                "n": len(posts), "on": form.cleaned_data["on"].isoformat()})
            return redirect("elections:results", pk=election.pk)
    election.refresh_from_db()
    return _results_page(request, election, results.published(actor=request.user, election=election), form, 400)


@require_GET
@day_page
def result_public(request: HttpRequest, pk: int) -> HttpResponse:
    """The announced result for the village's residents and staff: winners, votes, the scrutineers' names."""
    election = _election(pk)
    pub = results.published(actor=request.user, election=election)
    return render(request, "elections/result_public.html", {"election": election, "pub": pub})

