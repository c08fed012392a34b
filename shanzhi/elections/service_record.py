"""A candidate's public service record from the platform (履职记录): what they did for the village as the
platform saw it, so residents "choose by what they know". Counts only, nothing about anyone else:

- cases handled: cases closed (结案 or rated) with one of the candidate's accounts as the assignee, and the
  average of the residents' ratings of those that were rated;
- night visits made: visits recorded by one of their accounts in night-visit campaigns (网格夜访);
- council meetings attended: attendance of their council memberships (as a resident or by their account);
- volunteer hours: the hours on their 百事服务团 ledger account (corrections included, as the ledger sums).

The candidate is a resident; their accounts are the users whose `resident` is that resident (a resident
account, or a staff account linked to the person). It is shown publicly only with the candidate's consent
when the round's rules ask for it (`Rules.service_record_consent`); the candidate gives or withdraws consent
on their phone (`candidates.candidate_consent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum

from shanzhi.accounts.models import User
from shanzhi.campaigns.models import Kind as CampaignKind
from shanzhi.campaigns.models import Visit
from shanzhi.cases.models import CLOSED_STATUSES, Case
from shanzhi.councils.models import Attendance
from shanzhi.elections.models import Candidate
from shanzhi.volunteers.models import Entry


@dataclass(frozen=True)
class Record:
    cases_closed: int
    cases_rated: int
    average_rating: Decimal | None  # one decimal, of the rated ones
    night_visits: int
    meetings_attended: int
    volunteer_hours: Decimal


def service_record(resident_id: int) -> Record:
    """The record of one resident, in a handful of queries."""
    users = list(User.objects.filter(resident_id=resident_id).values_list("id", flat=True))
    cases = Case.objects.filter(assignee_id__in=users, status__in=CLOSED_STATUSES).aggregate(
        n=Count("id"), rated=Count("id", filter=Q(rating__isnull=False)), avg=Avg("rating"))
    visits = Visit.objects.filter(by_id__in=users, target__campaign__kind=CampaignKind.NIGHT_VISIT).count()
    meetings = (Attendance.objects.filter(Q(member__resident_id=resident_id) | Q(member__user_id__in=users))
                .values("meeting_id").distinct().count())
    hours = Entry.objects.filter(Q(account__resident_id=resident_id) | Q(account__user_id__in=users)).aggregate(
        h=Sum("hours"))["h"]
    avg = cases["avg"]
    return Record(cases_closed=cases["n"], cases_rated=cases["rated"],
                  average_rating=Decimal(str(round(avg, 1))) if avg is not None else None,
                  night_visits=visits, meetings_attended=meetings,
                  volunteer_hours=(hours or Decimal("0")).quantize(Decimal("0.1")))


def record_shown(candidate: Candidate, consent_required: bool) -> bool:
    """Is the candidate's record shown publicly? Always, unless the rules ask for consent and there is none."""
    return candidate.consent_record or not consent_required


def public_record(candidate: Candidate) -> Record | None:
    """The record to show on the public list, or None (no consent where the rules ask for it)."""
    required = candidate.election.round.rules.service_record_consent
    return service_record(candidate.voter.resident_id) if record_shown(candidate, required) else None
