"""The demo's service teams: volunteers, a year of requests, activities and a time bank that adds up."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from shanzhi.cases.models import CaseNumber
from shanzhi.councils.models import Council, Member, Position
from shanzhi.dashboard import registry
from shanzhi.lib import clock
from shanzhi.lib.periods import Period
from shanzhi.volunteers import ledger
from shanzhi.volunteers.demo import generate_volunteers
from shanzhi.volunteers.models import (
    Account,
    Activity,
    ActivitySignup,
    Entry,
    EntryKind,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    StoreItem,
    Volunteer,
    VolunteerStatus,
)

pytestmark = pytest.mark.django_db
TABLES = (Volunteer, Council, Member, ServiceRequest, RequestEvent, Activity, ActivitySignup, Account, Entry,
          StoreItem, CaseNumber)


@pytest.fixture
def made(county):
    return generate_volunteers(days=365, seed=5, scale="small", share=1.0)


def test_teams_have_volunteers_as_members_and_a_leader(county, made):
    team = Council.objects.get(unit=county.village, type__code="service")
    assert made["volunteers"] == Volunteer.objects.count() == 3  # every adult of 新联村 (share 1.0)
    assert not Council.objects.filter(unit=county.village2).exists()  # one adult: no team
    chair = Member.objects.get(council=team, position=Position.CHAIR)
    assert Volunteer.objects.get(resident_id=chair.resident_id).status == VolunteerStatus.ACTIVE
    members = set(Member.objects.filter(council=team).values_list("resident_id", flat=True))
    approved = set(Volunteer.objects.filter(approved_at__isnull=False).values_list("resident_id", flat=True))
    assert members == approved
    gone = Volunteer.objects.filter(status=VolunteerStatus.LEFT).values_list("resident_id", flat=True)
    assert not Member.objects.filter(council=team, resident_id__in=gone, ended_on__isnull=True).exists()
    town_team = Council.objects.get(unit=county.town, type__code="service")
    assert Member.objects.filter(council=town_team, position=Position.CHAIR).count() == 1
    assert not Council.objects.filter(unit=county.town2).exists()
    for v in Volunteer.objects.all():
        assert v.skills.exists() and list(v.villages.all()) == [county.village]
        assert (v.approved_at is None) == (v.status == VolunteerStatus.APPLIED)


def test_a_request_s_status_is_where_its_timeline_ends(county, made):
    now = clock.now()
    assert ServiceRequest.objects.count() == made["requests"] > 10
    statuses = set()
    for r in ServiceRequest.objects.all():
        events = list(RequestEvent.objects.filter(request=r).order_by("at", "id"))
        assert events[0].action == "create" and events[-1].to_status == r.status, r.number
        assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
        assert all(e.to_status == f.from_status for e, f in zip(events, events[1:], strict=False))
        statuses.add(r.status)
        if r.status in (RequestStatus.SERVED, RequestStatus.CONFIRMED):
            assert r.created_at < r.assigned_at < r.accepted_at < r.checkin_at < r.checkout_at < now
            assert r.hours == ledger.hours_between(r.checkin_at, r.checkout_at, ledger.points_rule().max_hours_per_service)
            assert r.volunteer.resident_id != r.resident_id
        if r.status == RequestStatus.CONFIRMED:
            assert r.checkout_at < r.confirmed_at < now
            entry = Entry.objects.get(source=f"request:{r.pk}")
            assert (entry.kind, entry.request_id, entry.hours) == (EntryKind.SERVICE, r.pk, r.hours)
            assert entry.points == ledger.points_for(r.hours) and entry.at == r.confirmed_at
            assert entry.account.resident_id == r.volunteer.resident_id
        else:
            assert r.confirmed_at is None and r.rating is None
            assert not Entry.objects.filter(source=f"request:{r.pk}").exists()
        if r.status == RequestStatus.CANCELLED:
            assert r.cancel_reason
    assert RequestStatus.CONFIRMED in statuses
    assert ServiceRequest.objects.filter(rating__isnull=False).exists()


def test_activities_credit_the_hours_of_those_who_checked_in(county, made):
    assert Activity.objects.count() == made["activities"] > 5
    for s in ActivitySignup.objects.select_related("activity"):
        a = s.activity
        assert s.signed_at < a.starts_at and a.ends_at < clock.now()
        found = Entry.objects.filter(source=f"signup:{s.pk}").first()
        if s.checkout_at is None:
            assert s.hours is None and found is None
        else:
            assert s.hours == ledger.hours_between(s.checkin_at, s.checkout_at)
            assert found.kind == EntryKind.ACTIVITY and found.hours == s.hours
            assert found.points == ledger.points_for(s.hours, a.multiplier)
    assert Entry.objects.filter(kind=EntryKind.ACTIVITY).exists()
    assert Entry.objects.filter(kind=EntryKind.CIVIC).exists()


def test_no_balance_is_ever_negative_and_the_sums_agree(county, made):
    running: dict[int, int] = defaultdict(int)
    for account_id, points in Entry.objects.order_by("at", "id").values_list("account_id", "points"):
        running[account_id] += points
        assert running[account_id] >= 0
    for account in Account.objects.all():
        assert ledger.balance(account) == running[account.pk]
        first = Entry.objects.filter(account=account).aggregate(m=Min("at"))["m"]
        assert first is None or account.created_at <= first
    redeems = Entry.objects.filter(kind=EntryKind.REDEEM).select_related("item")
    assert redeems.exists() and made["redemptions"] == redeems.count()
    for e in redeems:
        assert e.points == -e.item.price and e.item.village_id == e.village_id
    assert StoreItem.objects.filter(village=county.village).count() >= 5
    credited = Entry.objects.exclude(kind=EntryKind.REDEEM).aggregate(s=Sum("points"))["s"]
    spent = -Entry.objects.filter(kind=EntryKind.REDEEM).aggregate(s=Sum("points"))["s"]
    assert sum(running.values()) == credited - spent


def test_nothing_is_dated_in_the_future_and_numbers_continue_the_day_s_counter(county, made):
    now = clock.now()
    assert ServiceRequest.objects.aggregate(m=Max("updated_at"))["m"] < now
    assert RequestEvent.objects.aggregate(m=Max("at"))["m"] < now
    assert Entry.objects.aggregate(m=Max("at"))["m"] < now
    assert Activity.objects.aggregate(m=Max("ends_at"))["m"] < now
    assert Volunteer.objects.aggregate(m=Max("updated_at"))["m"] < now
    assert not ServiceRequest.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).exists()
    last = ServiceRequest.objects.order_by("-created_at").first()
    day = timezone.localtime(last.created_at).strftime("%Y%m%d")
    used = max(int(n.rsplit("-", 1)[1]) for n in
               ServiceRequest.objects.filter(number__startswith=f"BS{day}-").values_list("number", flat=True))
    assert CaseNumber.objects.get(prefix=f"BS-{day}").last == used
    assert last.number.startswith(f"BS{day}-")


def test_the_indicators_read_what_the_demo_wrote(county, made):
    county.county.refresh_from_db()
    end = clock.today()
    year = Period("custom", end - dt.timedelta(days=400), end)
    got = registry.values([county.county], year)[county.county.id]
    assert got["volunteers.served"] == ServiceRequest.objects.filter(status=RequestStatus.CONFIRMED).count()
    assert got["volunteers.points_redeemed"] == -Entry.objects.filter(kind=EntryKind.REDEEM).aggregate(
        s=Sum("points"))["s"]
    assert got["volunteers.hours"] == pytest.approx(float(Entry.objects.filter(
        kind__in=[EntryKind.SERVICE, EntryKind.ACTIVITY]).aggregate(s=Sum("hours"))["s"]))
    assert got["volunteers.median_hours"] is not None and 0 < got["volunteers.satisfaction"] <= 1


def test_a_second_run_adds_nothing(county, made):
    before = {m.__name__: m.objects.count() for m in TABLES}
    again = generate_volunteers(days=365, seed=5, scale="small", share=1.0)
    assert again.get("villages", 0) == 0 and again.get("teams", 0) == 0
    assert {m.__name__: m.objects.count() for m in TABLES} == before
