"""Candidates (候选人): the voters' nominations (海选) counted from the stations' nomination tallies, the
official candidates chosen by the number of nominations with more candidates than seats (差额), withdrawals,
ties at the cut line, and the list's publication.

How it works:

- A station's nomination tally (`Tally` of kind nomination) is entered by the committee: ballots issued,
  returned, valid, invalid and blank, and one `TallyLine` per voter nominated per position with the number
  of nominations (counts only; a nominee is a voter on this election's roll, not removed).
- `nominations_count` sums the lines of every station into `Candidate` rows (one per voter and position; a
  voter removed from the roll since the tally was entered counts no more) and
  selects the official candidates: per position, the most nominated, `official_count(position, seats)` of
  them (the seats plus the margin, `MARGIN`). Positions are filled in the order chair, vice-chair, member:
  a voter already an official candidate for a higher position is not selected for a lower one (one person,
  one candidacy on the official list).
- **Ties at the cut line are reported, never broken here**: those tied at the last official place stay
  "初步候选人" and the list cannot be published until the committee records its decision (`tie_break`, e.g.
  after a further nomination vote among them) with a reason; the positions below are then selected again,
  so one chosen for a higher position frees their place on a lower list.
- **Withdrawal** (`candidate_withdraw`) with a reason. Before publication the next by nominations moves up
  (the selection is recomputed from the stored nominations; a tie the committee broke earlier in that
  position is reported again). After publication the list is final: the withdrawal is recorded and the list
  is not refilled (the statute: the official list is fixed once published; an empty margin is the counting
  rules' business on election day). After voting opened no withdrawal is taken.
- **An election committee member who becomes an official candidate leaves the committee** (`left_on`,
  `left_reason` "被提名为候选人"), and **scrutineers and tellers who are that candidate or a close relative
  are removed from their stations** (audited with the rule): the voters' nominations cannot be refused, so
  the conflicting role gives way; `stations.stations_ready` then shows the shortfall.
- `candidates_publish` checks the statutory date (`rules.require_candidates_publish`), that every position
  has its full official list (no tie pending, more candidates than seats), then sets the date and stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, Sum

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.elections import access, rules
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeMember,
    CommitteeRole,
    Election,
    StaffRole,
    Stage,
    Station,
    StationStaff,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.elections.relatives import close_relatives
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.people.models import Resident

POSITIONS = (CommitteeRole.CHAIR, CommitteeRole.VICE_CHAIR, CommitteeRole.MEMBER)
POSITION_NAMES = dict(CommitteeRole.choices)
# More official candidates than seats (差额): this many more per position. The national law asks for "more";
# Zhejiang's rules ask one more for the chair and each vice-chair list and one to three more for members; the
# least margin everywhere is one. A county wanting more would need a rules field (not in the model yet).
MARGIN = {CommitteeRole.CHAIR: 1, CommitteeRole.VICE_CHAIR: 1, CommitteeRole.MEMBER: 1}
LEAVE_REASON = "被提名为候选人"
STAFF_CONFLICT = "被提名为正式候选人或为正式候选人的近亲属，依法不得担任监票、计票人员"
MAX_REASON = 200
MAX_STATEMENT = 2000
MAX_COUNT = 1_000_000
# Stages in which nominations are taken and counted (before the official list is published).
NOMINATING = (Stage.ROLL_PUBLISHED, Stage.NOMINATION)
# Stages after voting opened: nothing about the candidates changes any more.
VOTED = (Stage.VOTING, Stage.COUNTED, Stage.FURTHER, Stage.CERTIFIED, Stage.VOID)
ACTIVE = (CandidateStatus.NOMINATED, CandidateStatus.OFFICIAL)


def _bad(field_name: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field_name: [message]}, code=code)


# ---- the margin and the selection (pure) -----------------------------------------------------------

def official_count(position: str, seats: int) -> int:
    """How many official candidates a position needs: none for no seat, else the seats plus the margin."""
    if seats <= 0:
        return 0
    return seats + MARGIN[position]


@dataclass(frozen=True)
class Selection:
    official: list  # selected, in rank order
    tied: list  # tied at the cut line: left to the committee
    rest: list  # not selected
    short: int  # official places that could not be filled (too few nominees)


def select(ranked: list[tuple[object, int]], needed: int) -> Selection:
    """Choose `needed` of (key, nominations) by the most nominations. Those tied at the last place are
    neither selected nor dropped: they are returned as `tied` (the places left for them are
    `needed - len(official)`). Too few nominees leave `short` places empty."""
    ordered = sorted((r for r in ranked if r[1] > 0), key=lambda r: -r[1])
    keys = [k for k, _ in ordered]
    if needed <= 0:
        return Selection([], [], keys, 0)
    if len(ordered) <= needed:
        return Selection(keys, [], [], needed - len(ordered))
    cut = ordered[needed - 1][1]
    if ordered[needed][1] != cut:
        return Selection(keys[:needed], [], keys[needed:], 0)
    above = [k for k, n in ordered if n > cut]
    tied = [k for k, n in ordered if n == cut]
    below = [k for k, n in ordered if n < cut]
    return Selection(above, tied, below, 0)


def seats_for(election: Election, position: str) -> int:
    return {CommitteeRole.CHAIR: 1, CommitteeRole.VICE_CHAIR: election.vice_chairs,
            CommitteeRole.MEMBER: election.members}[position]


# ---- state checks ------------------------------------------------------------------------------------

def _nominating(election: Election):
    def check() -> None:
        if election.candidates_published_at is not None:
            raise _bad("candidates", "正式候选人名单已公布，提名已结束", code="published")
        if election.stage not in NOMINATING:
            raise _bad("stage", f"选举处于“{election.get_stage_display()}”阶段，不能提名候选人（应在选民名单公布后）",
                       code="wrong_stage")
    return check


def _not_voted(election: Election):
    def check() -> None:
        if election.stage in VOTED or election.voting_opened_at is not None:
            raise _bad("stage", "投票已开始，候选人名单不能再变动", code="wrong_stage")
    return check


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().select_related("round__rules", "unit").get(pk=election.pk)


# ---- nomination tallies --------------------------------------------------------------------------------

@dataclass
class NominationLine:
    voter: Voter | int | str  # a Voter, its id, or its voter-card number (选民证号)
    position: str
    votes: int


def _count(name: str, label: str, value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(name, f"{label}应为整数") from None
    if not 0 <= number <= MAX_COUNT:
        raise _bad(name, f"{label}应在0到{MAX_COUNT}之间")
    return number


def _voter_of(election: Election, ref, field_name: str) -> Voter:
    qs = Voter.objects.filter(election=election, removed_at__isnull=True)
    if isinstance(ref, Voter):
        voter = qs.filter(pk=ref.pk).first()
    elif isinstance(ref, int):
        voter = qs.filter(pk=ref).first()
    else:
        voter = qs.filter(number=str(ref or "").strip()).first()
    if voter is None:
        raise _bad(field_name, "被提名人不是本村（社区）选民名单上的选民")
    return voter


@transaction.atomic
def nomination_tally_enter(*, actor, station: Station, issued, returned, valid, invalid, blank=0,
                           lines: list[NominationLine], now: dt.datetime | None = None) -> Tally:
    """Enter (or correct, before the list is published) a station's count of nomination ballots: counts only."""
    election = _locked(station.election)
    access.require_run(actor, election, what="该投票站", state=_nominating(election))
    now = now or clock.now()
    if station.election_id != election.pk:
        raise NotFound("未找到该投票站")
    counts = {"issued": _count("issued", "发出选票", issued), "returned": _count("returned", "收回选票", returned),
              "valid": _count("valid", "有效票", valid), "invalid": _count("invalid", "无效票", invalid),
              "blank": _count("blank", "空白票", blank)}
    if counts["returned"] > counts["issued"]:
        raise _bad("returned", "收回选票不能多于发出选票")
    if counts["valid"] + counts["invalid"] != counts["returned"]:
        raise _bad("valid", "有效票与无效票之和应等于收回选票")
    if counts["blank"] > counts["invalid"]:
        raise _bad("blank", "空白票计入无效票，不能多于无效票")
    merged: dict[tuple[int, str], int] = {}
    voters: dict[int, Voter] = {}
    for i, line in enumerate(lines or [], start=1):
        if line.position not in POSITIONS or seats_for(election, line.position) <= 0:
            raise _bad("lines", f"第{i}行：职位无效（应为主任、副主任或委员，且该职位有名额）")
        votes = _count("lines", f"第{i}行提名票数", line.votes)
        try:
            voter = _voter_of(election, line.voter, "lines")
        except DomainError:
            raise _bad("lines", f"第{i}行：被提名人不是本村（社区）选民名单上的选民") from None
        voters[voter.pk] = voter
        merged[(voter.pk, line.position)] = merged.get((voter.pk, line.position), 0) + votes
    for position in POSITIONS:
        total = sum(v for (_vid, p), v in merged.items() if p == position)
        most = counts["valid"] * seats_for(election, position)
        if total > most:
            raise _bad("lines", f"{POSITION_NAMES[position]}的提名票数合计（{total}）超过有效票数乘以应选名额（{most}）")
    tally, created = Tally.objects.select_for_update().get_or_create(
        station=station, kind=Tally.Kind.NOMINATION, ballot_round=1,
        defaults={**counts, "entered_by": actor if getattr(actor, "pk", None) else None, "entered_at": now})
    before = None
    if not created:
        before = {k: getattr(tally, k) for k in counts}
        for k, v in counts.items():
            setattr(tally, k, v)
        tally.entered_by = actor if getattr(actor, "pk", None) else None
        tally.entered_at = now
        tally.save()
        tally.lines.all().delete()
    TallyLine.objects.bulk_create([
        TallyLine(tally=tally, position=position, write_in=voters[vid], write_in_name=voters[vid].name, votes=votes)
        for (vid, position), votes in sorted(merged.items()) if votes > 0])
    if election.stage == Stage.ROLL_PUBLISHED:
        election.stage = Stage.NOMINATION
        election.updated_at = now
        election.save(update_fields=["stage", "updated_at"])
    audit_record(actor=actor, action="elections.nomination_tally", obj=tally, unit_path=election.unit.path,
                 before=before, after={**counts, "station": station.name, "lines": len(merged)})
    return tally


# ---- counting and selection -------------------------------------------------------------------------------

@dataclass
class PositionReport:
    position: str
    seats: int
    needed: int
    official: list = field(default_factory=list)
    tied: list = field(default_factory=list)
    short: int = 0

    @property
    def name(self) -> str:
        return POSITION_NAMES[self.position]

    @property
    def places_for_tied(self) -> int:
        return max(0, self.needed - len(self.official)) if self.tied else 0

    @property
    def complete(self) -> bool:
        return len(self.official) == self.needed


def report(election: Election) -> list[PositionReport]:
    """Where each position stands, from the stored statuses (no writes): official, tied (pending), short."""
    out = []
    rows = list(election.candidates.select_related("voter").order_by("-nominations", "id"))
    for position in POSITIONS:
        seats = seats_for(election, position)
        needed = official_count(position, seats)
        mine = [c for c in rows if c.position == position]
        official = [c for c in mine if c.status == CandidateStatus.OFFICIAL]
        tied = [c for c in mine if c.status == CandidateStatus.NOMINATED and c.nominations > 0]
        short = 0 if tied else max(0, needed - len(official))
        out.append(PositionReport(position, seats, needed, official, tied, short))
    return out


def _refresh_selection(election: Election, *, actor, now: dt.datetime,
                       after: str | None = None) -> list[PositionReport]:
    """Recompute the statuses from the stored nominations (withdrawn candidates stay withdrawn): every
    position, or only those below `after` (keeping the higher positions' statuses as they stand)."""
    rows = list(election.candidates.select_related("voter").exclude(status=CandidateStatus.WITHDRAWN)
                .order_by("-nominations", "id"))
    start = POSITIONS.index(after) + 1 if after else 0
    # voters official at a higher position
    taken: set[int] = {c.voter_id for c in rows if c.position in POSITIONS[:start]
                       and c.status == CandidateStatus.OFFICIAL}
    newly_official: list[Candidate] = []
    for position in POSITIONS[start:]:
        mine = [c for c in rows if c.position == position]
        eligible = [c for c in mine if c.voter_id not in taken]
        chosen = select([(c, c.nominations) for c in eligible], official_count(position, seats_for(election, position)))
        status = {c.pk: CandidateStatus.NOT_SELECTED for c in mine}
        status.update({c.pk: CandidateStatus.OFFICIAL for c in chosen.official})
        status.update({c.pk: CandidateStatus.NOMINATED for c in chosen.tied})
        for c in mine:
            if c.status != status[c.pk]:
                if status[c.pk] == CandidateStatus.OFFICIAL:
                    newly_official.append(c)
                c.status = status[c.pk]
                c.save(update_fields=["status"])
        taken |= {c.voter_id for c in chosen.official}
    for c in newly_official:
        _on_official(election, c, actor=actor, now=now)
    return report(election)


def _on_official(election: Election, candidate: Candidate, *, actor, now: dt.datetime) -> None:
    """An official candidate leaves the election committee; they and their close relatives leave the
    stations' scrutineer and teller places."""
    _committee_leave(election, candidate.voter.resident_id, now=now, actor=actor)
    _staff_conflicts_remove(election, candidate, actor=actor)


def _committee_leave(election: Election, resident_id: int, *, now: dt.datetime, actor) -> CommitteeMember | None:
    """End the resident's seat on the election committee ("被提名为候选人"), through the set-up service."""
    from shanzhi.elections.services_setup import committee_leave_for_candidate

    return committee_leave_for_candidate(election, Resident.objects.get(pk=resident_id), now, actor=actor)


def _staff_conflicts_remove(election: Election, candidate: Candidate, *, actor) -> int:
    resident = candidate.voter.resident
    people = close_relatives(resident) | {resident.pk}
    rows = list(StationStaff.objects.filter(station__election=election, resident_id__in=people,
                                            role__in=(StaffRole.SCRUTINEER, StaffRole.TELLER))
                .select_related("station"))
    for row in rows:
        audit_record(actor=actor, action="elections.staff_remove", obj=row, unit_path=election.unit.path,
                     before={"station": row.station.name, "role": row.role, "name": row.name},
                     reason=f"{STAFF_CONFLICT}（候选人：{candidate.name}）")
        row.delete()
    return len(rows)


def candidate_conflict(election: Election, resident) -> str | None:
    """Why a resident may not be a scrutineer or teller in this election (a current candidate, or a close
    relative of one), or None."""
    active = list(Candidate.objects.filter(election=election, status__in=ACTIVE).select_related("voter__resident"))
    for c in active:
        if c.voter.resident_id == resident.pk:
            return f"{c.name}是本次选举的候选人，依法不得担任监票、计票人员"
    ids = close_relatives(resident)
    for c in active:
        if c.voter.resident_id in ids:
            return f"与候选人{c.name}为近亲属，依法不得担任监票、计票人员"
    return None


@transaction.atomic
def nominations_count(*, actor, election: Election, now: dt.datetime | None = None) -> list[PositionReport]:
    """Sum the stations' nomination tallies into candidates and select the official candidates."""
    election = _locked(election)
    access.require_run(actor, election, state=_nominating(election))
    now = now or clock.now()
    sums = {(r["write_in"], r["position"]): r["n"] for r in
            TallyLine.objects.filter(tally__station__election=election, tally__kind=Tally.Kind.NOMINATION,
                                     write_in__isnull=False, write_in__removed_at__isnull=True)
            .values("write_in", "position").annotate(n=Sum("votes"))}
    if not Tally.objects.filter(station__election=election, kind=Tally.Kind.NOMINATION).exists():
        raise _bad("tally", "尚未录入任何投票站的提名票统计", code="no_tally")
    existing = {(c.voter_id, c.position): c for c in election.candidates.all()}
    voters = {v.pk: v for v in Voter.objects.filter(pk__in={vid for vid, _ in sums})}
    for key, n in sums.items():
        c = existing.get(key)
        if c is None:
            v = voters[key[0]]
            Candidate.objects.create(election=election, voter=v, position=key[1], name=v.name, sex=v.sex,
                                     nominations=n, status=CandidateStatus.NOMINATED)
        elif c.nominations != n:
            c.nominations = n
            c.save(update_fields=["nominations"])
    for key, c in existing.items():
        if key not in sums and c.nominations:
            c.nominations = 0
            c.save(update_fields=["nominations"])
    out = _refresh_selection(election, actor=actor, now=now)
    audit_record(actor=actor, action="elections.nominations_count", obj=election, unit_path=election.unit.path,
                 after={p.position: {"official": len(p.official), "tied": len(p.tied), "short": p.short}
                        for p in out})
    return out


@transaction.atomic
def tie_break(*, actor, election: Election, position: str, chosen: list[Candidate], reason: str,
              now: dt.datetime | None = None) -> list[PositionReport]:
    """Record the committee's decision on a tie at the cut line (after a further nomination vote among the
    tied, as the rules say): `chosen` become official, the other tied ones are not selected."""
    election = _locked(election)
    access.require_run(actor, election, state=_nominating(election))
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "请填写确定方式（如再次投票的结果）")
    if len(reason) > MAX_REASON:
        raise _bad("reason", f"说明不能超过{MAX_REASON}字")
    if position not in POSITIONS:
        raise _bad("position", "职位无效")
    pos = next(p for p in report(election) if p.position == position)
    if not pos.tied:
        raise _bad("position", f"{POSITION_NAMES[position]}没有待确定的票数相等的候选人")
    tied = {c.pk: c for c in pos.tied}
    picked = {c.pk for c in chosen}
    if not picked <= set(tied):
        raise _bad("chosen", "所选的人不在票数相等的初步候选人之中")
    if len(picked) != pos.places_for_tied:
        raise _bad("chosen", f"应从票数相等的候选人中确定{pos.places_for_tied}人，实际选了{len(picked)}人")
    for pk, c in tied.items():
        c.status = CandidateStatus.OFFICIAL if pk in picked else CandidateStatus.NOT_SELECTED
        c.save(update_fields=["status"])
        if pk in picked:
            _on_official(election, c, actor=actor, now=now)
    _refresh_selection(election, actor=actor, now=now, after=position)  # one candidacy each on the list
    audit_record(actor=actor, action="elections.tie_break", obj=election, unit_path=election.unit.path,
                 after={"position": position, "chosen": sorted(tied[pk].name for pk in picked)}, reason=reason)
    return report(election)


@transaction.atomic
def candidate_withdraw(*, actor, candidate: Candidate, reason: str, now: dt.datetime | None = None) -> Candidate:
    """A candidate withdraws (the committee records it, with the reason). Before publication the next by
    nominations moves up; after it the list stays as published."""
    election = _locked(candidate.election)
    candidate = Candidate.objects.select_for_update().select_related("voter").get(pk=candidate.pk)

    def state() -> None:
        _not_voted(election)()
        if candidate.status not in ACTIVE:
            raise _bad("candidate", f"{candidate.name}当前为“{candidate.get_status_display()}”，不能退出",
                       code="wrong_status")

    access.require_run(actor, election, what="该候选人", state=state)
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "请填写退出原因")
    if len(reason) > MAX_REASON:
        raise _bad("reason", f"退出原因不能超过{MAX_REASON}字")
    before = candidate.status
    candidate.status = CandidateStatus.WITHDRAWN
    candidate.withdraw_reason = reason
    candidate.save(update_fields=["status", "withdraw_reason"])
    refilled = election.candidates_published_at is None
    if refilled:
        _refresh_selection(election, actor=actor, now=now)
    audit_record(actor=actor, action="elections.candidate_withdraw", obj=candidate, unit_path=election.unit.path,
                 before={"status": before}, after={"status": candidate.status, "refilled": refilled}, reason=reason)
    return candidate


@transaction.atomic
def candidates_publish(*, actor, election: Election, now: dt.datetime | None = None) -> Election:
    """Publish the official candidates: in time, every position's list full (no tie pending, more
    candidates than seats). The list is final afterwards."""
    election = _locked(election)
    now = now or clock.now()

    def state() -> None:
        _nominating(election)()
        rules.require_candidates_publish(election, now)
        problems = []
        for p in report(election):
            if p.needed == 0:
                continue
            if p.tied:
                problems.append(f"{p.name}有{len(p.tied)}人提名票数相等，需确定{p.places_for_tied}人")
            elif p.short:
                problems.append(f"{p.name}正式候选人{len(p.official)}人，应为{p.needed}人（候选人数应多于应选名额{p.seats}人）")
        if problems:
            raise _bad("candidates", "正式候选人名单不完整：" + "；".join(problems), code="incomplete")

    access.require_run(actor, election, state=state)
    election.candidates_published_at = now
    election.stage = Stage.CANDIDATES_PUBLISHED
    election.updated_at = now
    election.save(update_fields=["candidates_published_at", "stage", "updated_at"])
    audit_record(actor=actor, action="elections.candidates_publish", obj=election, unit_path=election.unit.path,
                 after={"official": election.candidates.filter(status=CandidateStatus.OFFICIAL).count()})
    return election


# ---- the candidate's own settings (on the phone) -----------------------------------------------------------

def own_candidacies(actor, election: Election) -> list[Candidate]:
    """The actor's own candidacies in the election (through their resident record); none: NotFound."""
    rid = getattr(actor, "resident_id", None) if getattr(actor, "is_authenticated", False) else None
    rows = list(election.candidates.filter(voter__resident_id=rid).order_by("id")) if rid else []
    if not rows:
        raise NotFound("未找到您的候选人信息")
    return rows


@transaction.atomic
def candidate_consent(*, actor, election: Election, consent: bool, statement: str | None = None,
                      now: dt.datetime | None = None) -> list[Candidate]:
    """The candidate gives or withdraws consent to show their service record, and may write their statement
    (治村设想). Only the candidate themself (their resident account)."""
    election = _locked(election)
    rows = own_candidacies(actor, election)
    if election.stage in (Stage.CERTIFIED, Stage.VOID):
        raise _bad("stage", "选举已结束，不能再修改", code="wrong_stage")
    if statement is not None:
        statement = statement.strip()
        if len(statement) > MAX_STATEMENT:
            raise _bad("statement", f"治村设想不能超过{MAX_STATEMENT}字")
    for c in rows:
        c.consent_record = bool(consent)
        fields = ["consent_record"]
        if statement is not None:
            c.statement = statement
            fields.append("statement")
        c.save(update_fields=fields)
    audit_record(actor=actor, action="elections.candidate_consent", obj=rows[0], unit_path=election.unit.path,
                 after={"consent_record": bool(consent), "statement": statement is not None})
    return rows


# ---- the public list ------------------------------------------------------------------------------------------

def lives_in(actor, election: Election) -> bool:
    """Is the actor (through their resident record) a voter of the election or a resident of its village?"""
    rid = getattr(actor, "resident_id", None) if getattr(actor, "is_authenticated", False) else None
    if not rid:
        return False
    if Voter.objects.filter(election=election, resident_id=rid, removed_at__isnull=True).exists():
        return True
    return Resident.objects.filter(pk=rid, household__micro_grid__path__startswith=election.unit.path).exists()


def require_public(actor, election: Election, *, what: str = "该选举") -> None:
    """The public pages of an election (candidates, proxies): its village's residents, and whoever sees the
    election's desk pages. Anyone else: 404, like a missing election."""
    scopes.require(actor, "elections.view", election.unit, what=what,
                   granted=actor is None or lives_in(actor, election) or access.may_see(actor, election))


def published_list(election: Election) -> list[Candidate]:
    """The official list as published (withdrawals after publication stay on it, marked), or [] before."""
    if election.candidates_published_at is None:
        return []
    from shanzhi.audit.models import AuditEntry

    late = AuditEntry.objects.filter(action="elections.candidate_withdraw", object_type="elections.candidate",
                                     at__gte=election.candidates_published_at,
                                     object_id__in=[str(pk) for pk in election.candidates.filter(
                                         status=CandidateStatus.WITHDRAWN).values_list("pk", flat=True)])
    late_ids = [int(x) for x in late.values_list("object_id", flat=True)]
    rows = election.candidates.filter(Q(status=CandidateStatus.OFFICIAL) | Q(pk__in=late_ids))
    order = {p: i for i, p in enumerate(POSITIONS)}
    return sorted(rows.select_related("voter", "election__round__rules"),
                  key=lambda c: (order[c.position], -c.nominations, c.pk))
