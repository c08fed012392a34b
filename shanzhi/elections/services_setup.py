"""Setting elections up: the county's round (换届) with its rules, one election per village or community with
its seats, the village election committee (村民选举委员会), and the register of residents without political
rights. Each write runs in one transaction, asks the gate (`access`, `accounts/scopes.py`) and is audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.elections import access
from shanzhi.elections.models import (
    CandidateStatus,
    CommitteeMember,
    CommitteeRole,
    Election,
    RightsSuspension,
    Round,
    Rules,
    Stage,
    Voter,
)
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import Resident, ResidentStatus

MIN_SEATS, MAX_SEATS = 3, 7
MAX_REASON = 200
MAX_NAME = 100
MAX_VENUE = 200
LEFT_FOR_CANDIDACY = "被提名为候选人"
# stages in which the set-up (seats, venue, committee) may still change
SETUP_OPEN = (Stage.SETUP, Stage.ROLL, Stage.ROLL_PUBLISHED, Stage.NOMINATION)
# rule overrides a round may carry, with their limits
RULE_LIMITS = {
    "roll_days_before": (1, 90), "objection_days": (1, 30), "answer_days": (1, 30),
    "candidates_days_before": (1, 60), "voting_age": (16, 25), "residence_years": (0, 10),
    "min_women": (0, 7), "proxy_limit": (1, 10), "min_scrutineers": (1, 20),
}
RULE_FLAGS = ("proxy_close_relative_only", "service_record_consent")


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _text(field: str, value, what: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > limit:
        raise _bad(field, f"{what}不能超过{limit}字")
    return value


def _int(field: str, value, label: str, low: int, high: int) -> int:
    """A whole number between low and high, else a 400 naming the field with its Chinese label."""
    if isinstance(value, bool) or value is None or value == "":
        raise _bad(field, f"请填写{label}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise _bad(field, f"{label}应为整数")
        number = int(text)
    if not low <= number <= high:
        raise _bad(field, f"{label}应在{low}至{high}之间")
    return number


def _day(now: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    now = now or clock.now()
    return now, timezone.localdate(now)


def village_of(resident: Resident) -> OrgUnit | None:
    """The village (or community) the resident's household lies in, or None without a household."""
    household = resident.household
    if household is None:
        return None
    parts = household.micro_grid.path.split("/")  # county/town/village/...
    if len(parts) < 4:
        return None
    return OrgUnit.objects.filter(path="/".join(parts[:3]) + "/", level=Level.VILLAGE).first()


def lives_in(resident: Resident, unit: OrgUnit) -> bool:
    household = resident.household
    return (resident.status == ResidentStatus.ACTIVE and household is not None
            and household.micro_grid.path.startswith(unit.path))


# ---- rounds and elections --------------------------------------------------------------------------

def _rules_from(overrides: dict) -> Rules:
    rules = Rules()
    for key, value in overrides.items():
        if key in RULE_LIMITS:
            low, high = RULE_LIMITS[key]
            setattr(rules, key, _int(key, value, str(Rules._meta.get_field(key).verbose_name), low, high))
        elif key in RULE_FLAGS:
            setattr(rules, key, bool(value))
        else:
            raise _bad(key, f"未知的选举规则：{key}")
    return rules


def _check_election_day(field: str, day) -> dt.date:
    if not isinstance(day, dt.date):
        raise _bad(field, "请填写选举日")
    parsing.check_date(field, day)
    return day


@transaction.atomic
def round_create(*, actor, unit: OrgUnit, name: str, election_day: dt.date, now: dt.datetime | None = None,
                 **rule_overrides) -> Round:
    """Open a county's round of elections with its rules (the national law's defaults, or the province's
    numbers given as overrides: roll_days_before, objection_days, answer_days, ...)."""
    now, _today = _day(now)
    scopes.require(actor, "elections.run", unit, what="该单位")
    if unit.level != Level.COUNTY:
        raise _bad("unit", "换届选举以县（市、区）为单位组织")
    name = _text("name", name, "名称", MAX_NAME)
    election_day = _check_election_day("election_day", election_day)
    rules = _rules_from(rule_overrides)
    rules.save()
    rnd = Round.objects.create(unit=unit, name=name, election_day=election_day, rules=rules,
                               created_by=actor if getattr(actor, "pk", None) else None, created_at=now)
    audit_record(actor=actor, action="elections.round_create", obj=rnd, unit_path=unit.path,
                 after={"name": name, "election_day": election_day.isoformat(),
                        "rules": {k: getattr(rules, k) for k in (*RULE_LIMITS, *RULE_FLAGS)}})
    return rnd


def _check_seats(vice_chairs, members, min_women) -> tuple[int, int, int]:
    vice = _int("vice_chairs", vice_chairs, "副主任名额", 0, MAX_SEATS)
    mem = _int("members", members, "委员名额", 0, MAX_SEATS)
    seats = 1 + vice + mem
    if not MIN_SEATS <= seats <= MAX_SEATS:
        raise _bad("members", f"村（居）民委员会由主任、副主任和委员共{MIN_SEATS}至{MAX_SEATS}人组成"
                              f"（现为{seats}人）")
    women = _int("min_women", min_women, "妇女名额", 0, MAX_SEATS)
    if women > seats:
        raise _bad("min_women", f"妇女名额（{women}）不能超过职数（{seats}）")
    return vice, mem, women


@transaction.atomic
def election_create(*, actor, round: Round, unit: OrgUnit, election_day: dt.date | None = None,
                    vice_chairs: int = 1, members: int = 3, min_women: int | None = None, venue: str = "",
                    now: dt.datetime | None = None) -> Election:
    """One village's (or community's) election in the round, with its seats (1 chair + vice-chairs +
    members, 3 to 7 in all) and the women's seats (at most the seats)."""
    now, _today = _day(now)
    scopes.require(actor, "elections.run", unit, what="该村（社区）")
    if unit.level != Level.VILLAGE:
        raise _bad("unit", "选举以村（社区）为单位进行")
    if not unit.path.startswith(round.unit.path):
        raise _bad("unit", f"{unit.name}不属于{round.unit.name}")
    day = _check_election_day("election_day", election_day or round.election_day)
    if min_women is None:
        min_women = round.rules.min_women
    vice, mem, women = _check_seats(vice_chairs, members, min_women)
    venue = _text("venue", venue, "中心会场", MAX_VENUE, required=False)
    if Election.objects.filter(round=round, unit=unit).exists():
        raise _bad("unit", f"{unit.name}在本次换届中已有选举")
    try:
        with transaction.atomic():
            election = Election.objects.create(round=round, unit=unit, election_day=day, vice_chairs=vice,
                                               members=mem, min_women=women, venue=venue, created_at=now,
                                               updated_at=now)
    except IntegrityError:
        raise _bad("unit", f"{unit.name}在本次换届中已有选举") from None
    audit_record(actor=actor, action="elections.election_create", obj=election, unit_path=unit.path,
                 after={"round": round.pk, "election_day": day.isoformat(), "vice_chairs": vice, "members": mem,
                        "min_women": women, "venue": venue})
    return election


@transaction.atomic
def election_update(*, actor, election: Election, election_day: dt.date | None = None, vice_chairs=None,
                    members=None, min_women=None, venue: str | None = None,
                    now: dt.datetime | None = None) -> Election:
    """Change the seats or the venue while nominations have not closed; election day only before the roll
    is published (the statutory dates count from it)."""
    now, _today = _day(now)
    election = Election.objects.select_for_update(of=("self",)).select_related("round__rules", "unit").get(pk=election.pk)

    def state():
        if election.stage not in SETUP_OPEN:
            raise _bad("stage", f"选举已进入“{election.get_stage_display()}”阶段，不能再修改设置")
        if election_day is not None and election_day != election.election_day and election.roll_published_at:
            raise _bad("election_day", "选民名单已公布，不能再更改选举日（法定期限自选举日起算）")

    access.require_run(actor, election, state=state)
    before = {"election_day": election.election_day.isoformat(), "vice_chairs": election.vice_chairs,
              "members": election.members, "min_women": election.min_women, "venue": election.venue}
    if election_day is not None:
        election.election_day = _check_election_day("election_day", election_day)
    vice, mem, women = _check_seats(election.vice_chairs if vice_chairs is None else vice_chairs,
                                    election.members if members is None else members,
                                    election.min_women if min_women is None else min_women)
    election.vice_chairs, election.members, election.min_women = vice, mem, women
    if venue is not None:
        election.venue = _text("venue", venue, "中心会场", MAX_VENUE, required=False)
    election.updated_at = now
    election.save()
    after = {"election_day": election.election_day.isoformat(), "vice_chairs": vice, "members": mem,
             "min_women": women, "venue": election.venue}
    audit_record(actor=actor, action="elections.election_update", obj=election, unit_path=election.unit.path,
                 before=before, after=after)
    return election


@transaction.atomic
def elections_create_for_town(*, actor, round: Round, town: OrgUnit, vice_chairs: int = 1, members: int = 3,
                              min_women: int | None = None, now: dt.datetime | None = None) -> list[Election]:
    """An election for every village and community under `town` that has none in the round yet."""
    scopes.require(actor, "elections.run", town, what="该单位")
    if town.level not in (Level.TOWN, Level.COUNTY):
        raise _bad("town", "请选择镇（街道）")
    if not town.path.startswith(round.unit.path):
        raise _bad("town", f"{town.name}不属于{round.unit.name}")
    _check_seats(vice_chairs, members, round.rules.min_women if min_women is None else min_women)
    have = Election.objects.filter(round=round).values("unit_id")
    villages = (OrgUnit.objects.filter(path__startswith=town.path, level=Level.VILLAGE, is_active=True)
                .exclude(id__in=have).order_by("path"))
    return [election_create(actor=actor, round=round, unit=v, vice_chairs=vice_chairs, members=members,
                            min_women=min_women, now=now) for v in villages]


# ---- the election committee ------------------------------------------------------------------------

def _is_candidate(election: Election, resident: Resident) -> bool:
    return election.candidates.filter(voter__resident=resident, status__in=(
        CandidateStatus.NOMINATED, CandidateStatus.OFFICIAL)).exists()


@transaction.atomic
def committee_add(*, actor, election: Election, resident: Resident, role: str = CommitteeRole.MEMBER,
                  now: dt.datetime | None = None) -> CommitteeMember:
    """Add a member to the village election committee: a resident living in the village, not a candidate;
    one chair at a time."""
    now, today = _day(now)
    election = Election.objects.select_for_update(of=("self",)).select_related("round__rules", "unit").get(pk=election.pk)

    def state():
        if election.stage not in SETUP_OPEN and election.stage not in (Stage.CANDIDATES_PUBLISHED, Stage.VOTING):
            raise _bad("stage", f"选举已进入“{election.get_stage_display()}”阶段，不能再调整选举委员会")

    access.require_run(actor, election, state=state)
    if role not in CommitteeRole.values:
        raise _bad("role", "请选择职务")
    if not lives_in(resident, election.unit):
        raise _bad("resident", f"选举委员会成员应为居住在{election.unit.name}的居民，未找到该居民")
    if _is_candidate(election, resident):
        raise _bad("resident", "本届选举的候选人不得担任选举委员会成员")
    current = election.committee.filter(left_on__isnull=True)
    if current.filter(resident=resident).exists():
        raise _bad("resident", f"{resident.name}已是选举委员会成员")
    if role == CommitteeRole.CHAIR and current.filter(role=CommitteeRole.CHAIR).exists():
        raise _bad("role", "选举委员会已有主任，请先让现任主任离任")
    try:
        with transaction.atomic():
            member = CommitteeMember.objects.create(election=election, resident=resident, name=resident.name,
                                                    role=role, joined_on=today)
    except IntegrityError:
        raise _bad("resident", f"{resident.name}已是选举委员会成员") from None
    audit_record(actor=actor, action="elections.committee_add", obj=member, unit_path=election.unit.path,
                 after={"election": election.pk, "resident": resident.pk, "role": role})
    return member


def _leave(actor, member: CommitteeMember, reason: str, today: dt.date, unit_path: str) -> CommitteeMember:
    member.left_on = today
    member.left_reason = reason
    member.save(update_fields=["left_on", "left_reason"])
    audit_record(actor=actor, action="elections.committee_leave", obj=member, unit_path=unit_path,
                 after={"left_on": today.isoformat()}, reason=reason)
    return member


@transaction.atomic
def committee_remove(*, actor, member: CommitteeMember, reason: str,
                     now: dt.datetime | None = None) -> CommitteeMember:
    """A member leaves the committee, with the reason (kept in the history)."""
    now, today = _day(now)
    member = CommitteeMember.objects.select_for_update(of=("self",)).select_related("election__unit").get(pk=member.pk)
    election = member.election

    def state():
        if member.left_on is not None:
            raise _bad("member", "该成员已离任")

    access.require_run(actor, election, state=state)
    reason = _text("reason", reason, "离任原因", MAX_REASON)
    return _leave(actor, member, reason, today, election.unit.path)


@transaction.atomic
def committee_leave_for_candidate(election: Election, resident: Resident, now: dt.datetime | None = None, *,
                                  actor=None) -> CommitteeMember | None:
    """A committee member nominated as a candidate leaves the committee (the rule: 选举委员会成员被提名为
    候选人的，应当退出选举委员会). Called by the nomination service inside its own checks and transaction;
    returns the seat left, or None when the resident held none."""
    _now, today = _day(now)
    member = (CommitteeMember.objects.select_for_update()
              .filter(election=election, resident=resident, left_on__isnull=True).first())
    if member is None:
        return None
    return _leave(actor, member, LEFT_FOR_CANDIDACY, today, election.unit.path)


# ---- rights suspensions ------------------------------------------------------------------------------

def _require_suspensions(actor, resident: Resident) -> OrgUnit | None:
    village = village_of(resident)
    scopes.require(actor, "elections.run", village, what="该居民")
    return village


def suspended_q(day: dt.date, field: str = "resident"):
    """Residents (through `field`) without political rights on `day`: a subquery of resident ids."""
    return RightsSuspension.objects.filter(starts_on__lte=day).exclude(ends_on__lt=day).values(field)


def is_suspended(resident: Resident, day: dt.date) -> bool:
    return RightsSuspension.objects.filter(resident=resident, starts_on__lte=day).exclude(ends_on__lt=day).exists()


@transaction.atomic
def suspension_record(*, actor, resident: Resident, reason: str, starts_on: dt.date,
                      ends_on: dt.date | None = None, now: dt.datetime | None = None) -> RightsSuspension:
    """Record that a resident is without political rights (by a court's judgment), with the reason and the
    period. Their entries on rolls still open are removed with the reason, in the same transaction."""
    now, _today = _day(now)
    village = _require_suspensions(actor, resident)
    reason = _text("reason", reason, "原因", MAX_REASON)
    if not isinstance(starts_on, dt.date):
        raise _bad("starts_on", "请填写起始日期")
    parsing.check_date("starts_on", starts_on)
    if ends_on is not None:
        parsing.check_date("ends_on", ends_on)
        if ends_on < starts_on:
            raise _bad("ends_on", "截止日期不能早于起始日期")
    s = RightsSuspension.objects.create(resident=resident, reason=reason, starts_on=starts_on, ends_on=ends_on,
                                        recorded_by=actor if getattr(actor, "pk", None) else None, recorded_at=now)
    path = village.path if village else ""
    audit_record(actor=actor, action="elections.suspension_record", obj=s, object_repr=resident.name,
                 unit_path=path, after={"resident": resident.pk, "starts_on": starts_on.isoformat(),
                                        "ends_on": ends_on.isoformat() if ends_on else None}, reason=reason)
    open_stages = (Stage.SETUP, Stage.ROLL, Stage.ROLL_PUBLISHED, Stage.NOMINATION, Stage.CANDIDATES_PUBLISHED)
    entries = (Voter.objects.select_for_update(of=("self",)).select_related("election__unit")
               .filter(resident=resident, removed_at__isnull=True, election__stage__in=open_stages))
    for v in entries:
        e = v.election
        if not (starts_on <= e.election_day and (ends_on is None or ends_on >= e.election_day)):
            continue
        v.removed_at, v.removed_reason = now, f"无政治权利：{reason}"[:MAX_REASON]
        v.save(update_fields=["removed_at", "removed_reason"])
        audit_record(actor=actor, action="elections.voter_remove", obj=v, unit_path=e.unit.path,
                     reason=v.removed_reason)
    return s


@transaction.atomic
def suspension_end(*, actor, suspension: RightsSuspension, reason: str, ends_on: dt.date | None = None,
                   now: dt.datetime | None = None) -> RightsSuspension:
    """End a suspension (rights restored, or recorded in error), with the reason. The resident goes back
    on a roll by the next generation or an admission."""
    now, today = _day(now)
    suspension = RightsSuspension.objects.select_for_update(of=("self",)) \
        .select_related("resident__household__micro_grid").get(pk=suspension.pk)
    village = village_of(suspension.resident)

    def state():
        if suspension.ends_on is not None and suspension.ends_on < today:
            raise _bad("suspension", "该记录已结束")

    scopes.require(actor, "elections.run", village, what="该记录", state=state)
    reason = _text("reason", reason, "结束原因", MAX_REASON)
    day = ends_on or today
    parsing.check_date("ends_on", day)
    if day < suspension.starts_on:
        day = suspension.starts_on
    before = {"ends_on": suspension.ends_on.isoformat() if suspension.ends_on else None}
    suspension.ends_on = day
    suspension.save(update_fields=["ends_on"])
    audit_record(actor=actor, action="elections.suspension_end", obj=suspension,
                 object_repr=suspension.resident.name, unit_path=village.path if village else "",
                 before=before, after={"ends_on": day.isoformat()}, reason=reason)
    return suspension
