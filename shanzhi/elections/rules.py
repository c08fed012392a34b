"""The statutory dates of an election, computed from election day and the round's rules, and the check
that refuses a step out of time quoting the rule (the national law's defaults; provinces differ, so the
numbers are the round's `Rules` row).

All days are local calendar days (Asia/Shanghai). "At least N days before election day" means on or before
election day − N; "within N days of publication" means on or before publication day + N.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from shanzhi.elections.models import Election, Rules
from shanzhi.lib.errors import DomainError


@dataclass(frozen=True)
class Schedule:
    election_day: dt.date
    roll_by: dt.date  # the roll published on or before
    candidates_by: dt.date  # official candidates published on or before
    objections_until: dt.date | None  # objections recorded on or before (known once the roll is published)
    answers_until: dt.date | None  # the last objection answered on or before (from its own day)


def _day(value: dt.datetime | dt.date) -> dt.date:
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def schedule(election: Election, rules: Rules | None = None) -> Schedule:
    rules = rules or election.round.rules
    day = election.election_day
    published = _day(election.roll_published_at) if election.roll_published_at else None
    objections_until = published + dt.timedelta(days=rules.objection_days) if published else None
    answers_until = objections_until + dt.timedelta(days=rules.answer_days) if objections_until else None
    return Schedule(election_day=day, roll_by=day - dt.timedelta(days=rules.roll_days_before),
                    candidates_by=day - dt.timedelta(days=rules.candidates_days_before),
                    objections_until=objections_until, answers_until=answers_until)


def _refuse(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]}, code="out_of_time")


def require_roll_publish(election: Election, on: dt.date | dt.datetime) -> None:
    """The roll is published at least `roll_days_before` days before election day."""
    rules = election.round.rules
    s = schedule(election, rules)
    if _day(on) > s.roll_by:
        raise _refuse("roll", f"选民名单应当在选举日的{rules.roll_days_before}日以前公布（最晚{s.roll_by:%Y年%m月%d日}），"
                              f"已超过期限")


def require_objection_in_time(election: Election, on: dt.date | dt.datetime) -> None:
    """An objection is raised within `objection_days` days of the roll's publication."""
    rules = election.round.rules
    s = schedule(election, rules)
    if s.objections_until is None:
        raise _refuse("roll", "选民名单尚未公布，不能提出异议")
    if _day(on) > s.objections_until:
        raise _refuse("raised_at", f"对选民名单有异议的，应当自名单公布之日起{rules.objection_days}日内提出"
                                   f"（最晚{s.objections_until:%Y年%m月%d日}），已超过期限")


def answer_due(election: Election, raised_on: dt.date | dt.datetime) -> dt.date:
    """An objection is answered within `answer_days` days of being raised."""
    return _day(raised_on) + dt.timedelta(days=election.round.rules.answer_days)


def require_answer_in_time(election: Election, raised_on: dt.date | dt.datetime, on: dt.date | dt.datetime) -> None:
    rules = election.round.rules
    due = answer_due(election, raised_on)
    if _day(on) > due:
        raise _refuse("answer", f"选举委员会应当自收到异议之日起{rules.answer_days}日内作出处理决定"
                                f"（最晚{due:%Y年%m月%d日}），已超过期限")


def require_candidates_publish(election: Election, on: dt.date | dt.datetime) -> None:
    """Official candidates are published at least `candidates_days_before` days before election day."""
    rules = election.round.rules
    s = schedule(election, rules)
    if _day(on) > s.candidates_by:
        raise _refuse("candidates", f"正式候选人名单应当在选举日的{rules.candidates_days_before}日以前公布"
                                    f"（最晚{s.candidates_by:%Y年%m月%d日}），已超过期限")


def require_election_day(election: Election, on: dt.date | dt.datetime) -> None:
    """Voting (check-in) happens on election day only."""
    if _day(on) != election.election_day:
        raise _refuse("election_day", f"投票只能在选举日（{election.election_day:%Y年%m月%d日}）进行")


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on `day` (a 29 February birthday counts from 1 March in other years)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def at_risk(election: Election, today: dt.date, *, warn_days: int = 3) -> list[str]:
    """What is late or due within `warn_days` days, in Chinese, for the county's overview."""
    s = schedule(election)
    out: list[str] = []
    if election.roll_published_at is None:
        left = (s.roll_by - today).days
        if left < 0:
            out.append(f"选民名单逾期未公布（应于{s.roll_by:%m月%d日}前）")
        elif left <= warn_days:
            out.append(f"选民名单须在{left}日内公布")
    if election.candidates_published_at is None:
        left = (s.candidates_by - today).days
        if left < 0:
            out.append(f"正式候选人逾期未公布（应于{s.candidates_by:%m月%d日}前）")
        elif left <= warn_days:
            out.append(f"正式候选人名单须在{left}日内公布")
    return out
