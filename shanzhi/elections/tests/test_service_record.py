"""A candidate's public service record: cases closed as assignee with their ratings, night visits made,
council meetings attended, volunteer hours; counts of the candidate's own work only; shown with consent
where the rules ask."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shanzhi.campaigns.models import Campaign, Outcome, Rule, Target, Visit
from shanzhi.campaigns.models import Kind as CampaignKind
from shanzhi.cases.models import Case, Status
from shanzhi.elections import candidates as cand
from shanzhi.elections.candidates import NominationLine as L
from shanzhi.elections.models import Candidate, CommitteeRole, StationKind
from shanzhi.elections.service_record import public_record, record_shown, service_record
from shanzhi.elections.stations import station_create
from shanzhi.elections.tests.candidates_setup import NOW, build
from shanzhi.lib import clock
from shanzhi.lib.testing import report_case
from shanzhi.volunteers import ledger
from shanzhi.volunteers.models import EntryKind

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))


def _closed(c, assignee, rating=None):
    with clock.frozen(NINE):
        case = report_case(c)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED if rating is None else Status.RATED,
                                           assignee=assignee, closed_at=NINE, rating=rating)
    return case


def _visit(c, user, kind):
    campaign = Campaign.objects.create(kind=kind, name=f"{kind}", unit=c.village, rule=Rule.GRID_WORKER,
                                       starts_at=NINE, created_at=NINE)
    target = Target.objects.create(campaign=campaign, household=c.household_a, unit=c.mg_a1)
    return Visit.objects.create(target=target, outcome=Outcome.VISITED, at=NINE, by=user)


def _meeting_attended(c, resident):
    from shanzhi.councils import services_meetings as council_services
    from shanzhi.councils.models import Council, CouncilType, Member, Position

    ctype = CouncilType.objects.create(code="e2_residents", name="百姓议事会", levels=["village"])
    council = Council.objects.create(type=ctype, unit=c.village, name="新联村百姓议事会")
    member = Member.objects.create(council=council, resident=resident, name=resident.name,
                                   position=Position.MEMBER, started_on=dt.date(2024, 1, 1))
    other = Member.objects.create(council=council, resident=c.neighbour, name=c.neighbour.name,
                                  position=Position.MEMBER, started_on=dt.date(2024, 1, 1))
    for hours in (1, 3):
        with clock.frozen(NINE):
            meeting = council_services.meeting_schedule(
                actor=None, council=council, title="议事会", starts_at=NINE + dt.timedelta(hours=hours),
                ends_at=NINE + dt.timedelta(hours=hours + 1), place="村委会", topics=[])
            council_services.meeting_open(actor=None, meeting=meeting)
            council_services.attendance_mark(actor=None, meeting=meeting, member=other)
            if hours == 1:
                council_services.attendance_mark(actor=None, meeting=meeting, member=member)


@pytest.fixture
def record_county(county):
    c = county
    me = c.resident_user  # 张三's account
    _closed(c, me, rating=5)
    _closed(c, me, rating=4)
    _closed(c, me)  # closed, not rated
    _closed(c, c.worker_a, rating=1)  # someone else's
    with clock.frozen(NINE):
        still_open = report_case(c)
    Case.objects.filter(pk=still_open.pk).update(assignee=me)  # assigned, not closed: not counted
    _visit(c, me, CampaignKind.NIGHT_VISIT)
    _visit(c, me, CampaignKind.NIGHT_VISIT)
    _visit(c, me, CampaignKind.SURVEY)  # not a night visit
    _visit(c, c.worker_a, CampaignKind.NIGHT_VISIT)
    _meeting_attended(c, c.resident)
    with clock.frozen(NINE):
        mine = ledger.account_for(village=c.village, name=c.resident.name, resident=c.resident)
        theirs = ledger.account_for(village=c.village, name=c.neighbour.name, resident=c.neighbour)
        ledger.credit(account=mine, kind=EntryKind.SERVICE, hours=Decimal("2.5"), points=25, village=c.village,
                      source="e2-1")
        ledger.credit(account=mine, kind=EntryKind.ACTIVITY, hours=Decimal("1.25"), points=12, village=c.village,
                      source="e2-2")
        ledger.credit(account=theirs, kind=EntryKind.SERVICE, hours=Decimal("9"), points=90, village=c.village,
                      source="e2-3")
    return c


def test_the_record_counts_the_candidates_own_work(record_county):
    c = record_county
    r = service_record(c.resident.pk)
    assert r.cases_closed == 3 and r.cases_rated == 2 and r.average_rating == Decimal("4.5")
    assert r.night_visits == 2
    assert r.meetings_attended == 1
    assert r.volunteer_hours == Decimal("3.8")  # 3.75 shown to one decimal


def test_a_resident_with_no_work_has_an_empty_record(county):
    r = service_record(county.resident_c.pk)
    assert (r.cases_closed, r.average_rating, r.night_visits, r.meetings_attended, r.volunteer_hours) == (
        0, None, 0, 0, Decimal("0.0"))


@pytest.mark.parametrize(("consent_required", "consent", "shown"), [
    (True, False, False), (True, True, True), (False, False, True), (False, True, True)])
def test_the_record_is_shown_with_consent_where_the_rules_ask(consent_required, consent, shown):
    assert record_shown(Candidate(consent_record=consent), consent_required) is shown


def test_public_record_follows_the_rounds_rule_and_the_candidates_consent(record_county):
    c = record_county
    with clock.frozen(NOW):
        s = build(c)
        central = station_create(actor=c.town_staff, election=s.election, kind=StationKind.CENTRAL, name="会场")
        cand.nomination_tally_enter(actor=c.town_staff, station=central, issued=9, returned=9, valid=9, invalid=0,
                                    lines=[L(s.voters[0], CommitteeRole.CHAIR, 5)])
        cand.nominations_count(actor=c.town_staff, election=s.election)
    candidate = Candidate.objects.get(voter=s.voters[0])
    assert public_record(candidate) is None
    with clock.frozen(NOW):
        cand.candidate_consent(actor=c.resident_user, election=s.election, consent=True)
    candidate.refresh_from_db()
    assert public_record(candidate).cases_closed == 3
    s.rules.service_record_consent = False
    s.rules.save()
    with clock.frozen(NOW):
        cand.candidate_consent(actor=c.resident_user, election=s.election, consent=False)
    candidate = Candidate.objects.select_related("election__round__rules").get(pk=candidate.pk)
    assert public_record(candidate).night_visits == 2
