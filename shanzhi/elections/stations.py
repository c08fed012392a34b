"""Where the election is held: the central venue (中心会场), polling stations (投票站, with the grids whose
voters vote there) and mobile ballot boxes (流动票箱) for the elderly and disabled, and who works there:
scrutineers (监票人) and tellers (计票人), who are voters and neither a candidate nor a candidate's close
relative, and clerks (发票登记员), a staff user or a resident's account, who check voters in.

A mobile box's route is a household campaign on the campaigns engine: the households of its area with the
care tags chosen (独居老人, 残疾人 by default), each given a responsible person by the engine's own rule. No
campaign kind is added for it: the box's campaign is of kind "入户排查" (survey) and named "流动票箱：...", and
`Station.campaign` links the two. The election's gate (`access.require_run`) decides who may set a box up;
the campaign is then created by the system on the committee's behalf (a committee member holds no campaigns
post), inside the election's village only, and the election's audit row names the real actor.

`stations_ready` lists each station or box short of `Rules.min_scrutineers` scrutineers (监票人 only:
tellers count separately), and `require_ready` refuses (for the election-day work) while any is short.
A scrutineer or teller who later becomes an official candidate, or whose close relative does, is removed
from the station by the candidates' work (see `candidates`), so the shortfall shows here again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User, UserKind
from shanzhi.audit.services import audit_record
from shanzhi.campaigns import services as campaign_services
from shanzhi.campaigns.models import Kind as CampaignKind
from shanzhi.campaigns.models import Rule as CampaignRule
from shanzhi.campaigns.scope import resolve
from shanzhi.elections import access
from shanzhi.elections.candidates import VOTED, candidate_conflict
from shanzhi.elections.models import (
    Election,
    Participation,
    StaffRole,
    Station,
    StationKind,
    StationStaff,
    Voter,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.parsing import day_after
from shanzhi.org.models import Level, OrgUnit

MAX_NAME = 100
MAX_PLACE = 200
MOBILE_TAGS = ["elderly_alone", "disabled"]
MOBILE_PREFIX = "流动票箱："
STATION_LEVELS = (Level.GRID, Level.MICROGRID)


def _bad(field_name: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field_name: [message]}, code=code)


def _before_voting(election: Election):
    def check() -> None:
        if election.stage in VOTED or election.voting_opened_at is not None:
            raise _bad("stage", "投票已开始，不能再变动投票站及其工作人员", code="wrong_stage")
    return check


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().select_related("round__rules", "unit").get(pk=election.pk)


def _text(field_name: str, value: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _bad(field_name, f"请填写{label}")
    if len(value) > limit:
        raise _bad(field_name, f"{label}不能超过{limit}字")
    return value


def _units(election: Election, codes: list[str] | None, *, required: bool) -> list[OrgUnit]:
    codes = sorted({(c or "").strip() for c in (codes or []) if (c or "").strip()})
    if not codes:
        if required:
            raise _bad("units", "请选择投票站覆盖的网格")
        return []
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=codes, path__startswith=election.unit.path,
                                                       level__in=STATION_LEVELS)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise _bad("units", f"不是本村（社区）的网格或微网格：{'、'.join(missing[:10])}")
    return [found[c] for c in codes]


@transaction.atomic
def station_create(*, actor, election: Election, kind: str, name: str, place: str = "",
                   units: list[str] | None = None, now: dt.datetime | None = None) -> Station:
    """The central venue (at most one) or a polling station with the grids whose voters vote there (a grid
    belongs to one polling station). Mobile boxes: `mobile_box_create`."""
    election = _locked(election)
    access.require_run(actor, election, state=_before_voting(election))
    now = now or clock.now()
    if kind not in (StationKind.CENTRAL, StationKind.STATION):
        raise _bad("kind", "类型应为中心会场或投票站（流动票箱另行设立）")
    name = _text("name", name, "名称", MAX_NAME)
    place = _text("place", place, "地点", MAX_PLACE, required=False)
    chosen = _units(election, units, required=kind == StationKind.STATION)
    if kind == StationKind.CENTRAL and election.stations.filter(kind=StationKind.CENTRAL).exists():
        raise _bad("kind", "本次选举已设中心会场")
    if chosen:
        taken = (Station.units.through.objects.filter(station__election=election, station__kind__in=(
            StationKind.CENTRAL, StationKind.STATION)).select_related("orgunit", "station"))
        clash = [f"{t.orgunit.name}（{t.station.name}）" for t in taken
                 if any(t.orgunit.path.startswith(u.path) or u.path.startswith(t.orgunit.path) for u in chosen)]
        if clash:
            raise _bad("units", f"以下网格已属于其他投票站：{'、'.join(clash[:10])}")
    station = Station.objects.create(election=election, kind=kind, name=name, place=place)
    station.units.set(chosen)
    audit_record(actor=actor, action="elections.station_create", obj=station, unit_path=election.unit.path,
                 after={"kind": kind, "name": name, "units": [u.code for u in chosen]})
    return station


@transaction.atomic
def mobile_box_create(*, actor, election: Election, name: str, units: list[str] | None = None,
                      tags: list[str] | None = None, capacity: int = 20, now: dt.datetime | None = None) -> Station:
    """A mobile ballot box for the households of its area (grids of the village, all of it by default) with
    the care tags chosen; its route is a household campaign ("流动票箱：...")."""
    election = _locked(election)
    access.require_run(actor, election, state=_before_voting(election))
    now = now or clock.now()
    name = _text("name", name, "名称", MAX_NAME - len(MOBILE_PREFIX) - len(election.unit.name))
    chosen = _units(election, units, required=False) or [election.unit]
    tags = sorted({t for t in (tags or MOBILE_TAGS) if t})
    ends_at = day_after(election.election_day)
    if ends_at <= now:
        raise _bad("election_day", "选举日已过，不能再设立流动票箱")
    try:
        scope = resolve(actor=None, units=[u.code for u in chosen], tags=tags)
    except NotFound as exc:
        raise _bad("units", str(exc)) from None
    except DomainError as exc:
        field_name = "tags" if "tags" in exc.fields else "units"
        message = "所选范围内没有带所选关爱标签的在册户" if "scope" in exc.fields else str(exc)
        raise _bad(field_name, message) from None
    campaign = campaign_services.campaign_create(
        actor=None, kind=CampaignKind.SURVEY, name=f"{MOBILE_PREFIX}{election.unit.name}{name}", scope=scope,
        rule=CampaignRule.GRID_WORKER, capacity=capacity, starts_at=now, ends_at=ends_at, now=now)
    station = Station.objects.create(election=election, kind=StationKind.MOBILE, name=name,
                                     place="、".join(u.name for u in chosen), campaign=campaign)
    station.units.set([u for u in chosen if u.pk != election.unit_id])
    audit_record(actor=actor, action="elections.mobile_box_create", obj=station, unit_path=election.unit.path,
                 after={"name": name, "units": [u.code for u in chosen], "tags": tags, "campaign": campaign.pk,
                        "households": len(scope.households)})
    return station


@transaction.atomic
def station_remove(*, actor, station: Station, now: dt.datetime | None = None) -> None:
    """Remove a station before voting (and before any tally): its staff go with it; a box's route campaign
    stays on the campaigns engine (closed there by its own service if wanted), unlinked."""
    election = _locked(station.election)

    def state() -> None:
        _before_voting(election)()
        if station.tallies.exists() or Participation.objects.filter(station=station).exists():
            raise _bad("station", "该投票站已有计票或投票记录，不能删除", code="in_use")

    access.require_run(actor, election, what="该投票站", state=state)
    audit_record(actor=actor, action="elections.station_remove", obj=station, unit_path=election.unit.path,
                 before={"kind": station.kind, "name": station.name, "campaign": station.campaign_id})
    station.delete()


# ---- staff ------------------------------------------------------------------------------------------------

def _voter(election: Election, number: str) -> Voter:
    voter = (Voter.objects.filter(election=election, removed_at__isnull=True, number=(number or "").strip())
             .select_related("resident").first())
    if voter is None:
        raise _bad("voter", "不是本村（社区）选民名单上的选民（请填写选民证号）")
    return voter


@transaction.atomic
def staff_add(*, actor, station: Station, role: str, voter_number: str = "", username: str = "",
              now: dt.datetime | None = None) -> StationStaff:
    """Add a scrutineer or teller (a voter of this election by their card number, neither a candidate nor
    a candidate's close relative) or a clerk (a staff user by user name, or a voter with a resident account
    by card number)."""
    election = _locked(station.election)
    access.require_run(actor, election, what="该投票站", state=_before_voting(election))
    now = now or clock.now()
    if role not in StaffRole.values:
        raise _bad("role", "职责无效")
    voter_number, username = (voter_number or "").strip(), (username or "").strip()
    resident, user, name = None, None, ""
    if role in (StaffRole.SCRUTINEER, StaffRole.TELLER):
        voter = _voter(election, voter_number)
        why = candidate_conflict(election, voter.resident)
        if why:
            raise _bad("voter", why, code="candidate_conflict")
        resident, name = voter.resident, voter.name
    elif username:
        user = User.objects.filter(username=username, is_active=True, kind=UserKind.STAFF).first()
        if user is None or not scopes.reaches(user, "org.view", election.unit):
            raise _bad("username", "未找到该工作人员账号，或其岗位不在本镇（街道）、本村（社区）")
        name = user.display_name or user.username
    elif voter_number:
        voter = _voter(election, voter_number)
        user = User.objects.filter(resident_id=voter.resident_id, is_active=True).first()
        if user is None:
            raise _bad("voter", "该选民尚未开通居民账号，不能担任发票登记员")
        resident, name = voter.resident, voter.name
    else:
        raise _bad("username", "请填写工作人员账号或选民证号")
    who = Q(resident=resident) if resident is not None else Q(user=user)
    if station.staff.filter(who, role=role).exists():
        raise _bad("voter" if resident is not None else "username", f"{name}已是该投票站的{StaffRole(role).label}")
    row = StationStaff.objects.create(station=station, role=role, resident=resident, user=user, name=name)
    audit_record(actor=actor, action="elections.staff_add", obj=row, unit_path=election.unit.path,
                 after={"station": station.name, "role": role, "name": name})
    return row


@transaction.atomic
def staff_remove(*, actor, staff: StationStaff, reason: str = "", now: dt.datetime | None = None) -> None:
    election = _locked(staff.station.election)
    access.require_run(actor, election, what="该工作人员", state=_before_voting(election))
    audit_record(actor=actor, action="elections.staff_remove", obj=staff, unit_path=election.unit.path,
                 before={"station": staff.station.name, "role": staff.role, "name": staff.name},
                 reason=(reason or "").strip()[:200])
    staff.delete()


# ---- readiness ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shortfall:
    station: Station | None
    have: int
    need: int

    def __str__(self) -> str:
        if self.station is None:
            return "尚未设立投票站或中心会场"
        return f"{self.station.name}：监票人{self.have}人，至少应有{self.need}人"


def stations_ready(election: Election) -> list[Shortfall]:
    """What is missing before voting may open: no station at all, or stations and boxes short of
    `Rules.min_scrutineers` scrutineers. Empty when ready."""
    need = election.round.rules.min_scrutineers
    stations = list(election.stations.annotate(n=Count("staff", filter=Q(staff__role=StaffRole.SCRUTINEER)))
                    .order_by("kind", "id"))
    if not stations:
        return [Shortfall(None, 0, need)]
    return [Shortfall(s, s.n, need) for s in stations if s.n < need]


def require_ready(election: Election) -> None:
    """Refuse (400) while the stations are not ready, listing them (the rule: at least N scrutineers each)."""
    short = stations_ready(election)
    if short:
        lines = [str(s) for s in short]
        rule = f"每个投票站（流动票箱）至少应有{election.round.rules.min_scrutineers}名监票人"
        raise DomainError(f"{rule}：" + "；".join(lines), fields={"stations": lines}, code="not_ready")


def station_of(election: Election, station_id: int | None) -> Station:
    station = election.stations.filter(pk=station_id).first() if station_id else None
    if station is None:
        raise _bad("station", "请选择本次选举的投票站")
    return station


def voting_places(voter: Voter) -> list[Station]:
    """Where a voter may vote: the mobile box whose route visits their household (for the elderly and
    disabled), the polling station covering their micro-grid or its grid, and the central venue."""
    election = voter.election
    stations = list(election.stations.prefetch_related("units").select_related("campaign"))
    household_id = voter.resident.household_id
    path = voter.micro_grid.path if voter.micro_grid_id else ""
    boxes = [s for s in stations if s.kind == StationKind.MOBILE and s.campaign_id and household_id
             and s.campaign.targets.filter(household_id=household_id).exists()]
    local = [s for s in stations if s.kind == StationKind.STATION and path
             and any(path.startswith(u.path) for u in s.units.all())]
    central = [s for s in stations if s.kind == StationKind.CENTRAL]
    return boxes + local + central
