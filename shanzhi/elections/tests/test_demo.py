"""The demo's round of elections: every stage present, each village's rows what its stage says, the sums of
the tallies agree with the participations and the results, nothing in the future, a second run adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, F, Max, Sum
from django.test import override_settings
from django.utils import timezone

from shanzhi.demo.generator import build_demo
from shanzhi.demo.reset import reset_database
from shanzhi.elections import rules
from shanzhi.elections.demo import generate_elections
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeMember,
    Election,
    Objection,
    Participation,
    Proxy,
    Result,
    Round,
    StaffRole,
    Stage,
    Station,
    StationKind,
    StationStaff,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.elections.relatives import are_close_relatives
from shanzhi.lib import clock
from shanzhi.org.models import Post
from shanzhi.people.models import Registration, Resident, ResidentStatus

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
NOW = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 30))  # a Monday morning, polls open since 07:00


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small county (no cases) with its round of elections, built once for the module (committed)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER), clock.frozen(NOW):
        build_demo(scale="small", seed=4, progress=False, reset=True, cases=False)
        made = generate_elections(seed=4)
    yield made
    with django_db_blocker.unblock():
        reset_database()


pytestmark = pytest.mark.django_db


def test_one_round_with_villages_at_every_stage(demo):
    assert Round.objects.count() == 1 and demo["elections"] == Election.objects.count() >= 9
    stages = set(Election.objects.values_list("stage", flat=True))
    assert {Stage.SETUP, Stage.ROLL, Stage.ROLL_PUBLISHED, Stage.NOMINATION, Stage.CANDIDATES_PUBLISHED,
            Stage.VOTING, Stage.COUNTED, Stage.CERTIFIED} <= stages


def test_the_roll_is_the_adults_with_hukou_on_election_day_and_nobody_twice(demo):
    for e in Election.objects.exclude(stage=Stage.SETUP).select_related("unit", "round__rules"):
        expected = {r.id for r in Resident.objects.filter(
            household__micro_grid__path__startswith=e.unit.path, status=ResidentStatus.ACTIVE,
            residence=Registration.REGISTERED) if rules.age_on(r.birth_date, e.election_day) >= 18}
        assert set(e.voters.values_list("resident_id", flat=True)) == expected, e.unit.name
    assert not Voter.objects.values("resident_id").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_each_stage_has_the_rows_and_dates_it_says(demo):
    today = NOW.date()
    for e in Election.objects.select_related("round__rules"):
        s = rules.schedule(e)
        has = {"voters": e.voters.exists(), "candidates": e.candidates.exists(),
               "voted": e.participations.exists(), "tallies": Tally.objects.filter(
                   station__election=e, kind=Tally.Kind.ELECTION).exists(), "results": e.results.exists()}
        order = list(Stage.values)
        at = order.index(e.stage)
        assert has["voters"] == (at >= order.index(Stage.ROLL)), e
        assert (e.roll_published_at is not None) == (at >= order.index(Stage.ROLL_PUBLISHED)), e
        assert has["candidates"] == (at >= order.index(Stage.NOMINATION)), e
        assert (e.candidates_published_at is not None) == (at >= order.index(Stage.CANDIDATES_PUBLISHED)), e
        assert has["voted"] == (at >= order.index(Stage.VOTING)), e
        assert has["tallies"] == has["results"] == (at >= order.index(Stage.COUNTED)), e
        assert (e.certified_on is not None) == (e.stage == Stage.CERTIFIED), e
        if e.roll_published_at:
            assert timezone.localdate(e.roll_published_at) <= s.roll_by
        if e.candidates_published_at:
            assert timezone.localdate(e.candidates_published_at) <= s.candidates_by
            official = e.candidates.filter(status=CandidateStatus.OFFICIAL)
            for position, seats in (("chair", 1), ("vice_chair", e.vice_chairs), ("member", e.members)):
                assert official.filter(position=position).count() > seats  # 差额
        if e.stage == Stage.VOTING:
            assert e.election_day == today
        if e.stage == Stage.SETUP:
            assert s.roll_by > today  # nothing overdue in the demo
    for o in Objection.objects.select_related("election__round__rules"):
        rules.require_objection_in_time(o.election, o.raised_at)
        if o.answered_at:
            rules.require_answer_in_time(o.election, o.raised_at, o.answered_at)


def test_an_election_is_at_risk_on_the_overview(demo):
    today = NOW.date()
    risky = [e for e in Election.objects.select_related("round__rules") if rules.at_risk(e, today)]
    assert risky and all(e.stage in (Stage.SETUP, Stage.ROLL) for e in risky)


def test_tallies_participations_and_results_agree(demo):
    for e in Election.objects.filter(stage__in=[Stage.COUNTED, Stage.CERTIFIED]):
        took_part = e.participations.filter(ballot_round=1).count()
        assert took_part * 2 > e.voters.count()  # valid: more than half of the voters took part
        for t in Tally.objects.filter(station__election=e, kind=Tally.Kind.ELECTION):
            assert t.issued == Participation.objects.filter(station=t.station, ballot_round=1).count()
            assert t.returned == t.valid + t.invalid and t.blank <= t.valid
        returned = Tally.objects.filter(station__election=e, kind=Tally.Kind.ELECTION).aggregate(
            n=Sum("returned"))["n"]
        assert returned <= took_part
        for r in e.results.all():
            lines = TallyLine.objects.filter(tally__station__election=e, tally__kind=Tally.Kind.ELECTION,
                                             candidate=r.candidate).aggregate(n=Sum("votes"))["n"]
            assert r.votes == lines
            assert r.elected == (r.votes * 2 > took_part and r.elected)
        elected = e.results.filter(elected=True)
        assert elected.count() == e.seats and elected.filter(sex="F").exists()
    for c in Candidate.objects.all():
        lines = TallyLine.objects.filter(candidate=c, tally__kind=Tally.Kind.NOMINATION).aggregate(
            n=Sum("votes"))["n"]
        assert c.nominations == lines


def test_certified_winners_hold_their_posts_from_the_certified_day(demo):
    certified = Election.objects.filter(stage=Stage.CERTIFIED)
    assert certified.exists()
    for e in certified:
        for r in e.results.filter(elected=True).select_related("post", "voter"):
            assert r.post is not None and r.post.resident_id == r.voter.resident_id
            assert r.post.start_date == e.certified_on and r.post.unit_id == e.unit_id


def test_stations_staff_and_proxies_keep_the_rules(demo):
    for e in Election.objects.filter(stage__in=[Stage.NOMINATION, Stage.CANDIDATES_PUBLISHED, Stage.VOTING,
                                                Stage.COUNTED, Stage.CERTIFIED]):
        assert e.stations.filter(kind=StationKind.MOBILE).exists()
        standing = [c.voter.resident for c in e.candidates.select_related("voter__resident")]
        for s in e.stations.all():
            staff = list(StationStaff.objects.filter(station=s).select_related("resident"))
            assert sum(1 for x in staff if x.role == StaffRole.SCRUTINEER) >= 3
            for x in staff:
                assert all(x.resident_id != c.pk and not are_close_relatives(x.resident, c) for c in standing)
        # nobody on the committee stands as a candidate
        seated = set(CommitteeMember.objects.filter(election=e, left_on__isnull=True).values_list("resident_id",
                                                                                                   flat=True))
        assert not seated & {c.pk for c in standing}
    held = Proxy.objects.values("proxy_id").annotate(n=Count("id")).aggregate(m=Max("n"))["m"] or 0
    assert held <= 3
    assert not Participation.objects.filter(by_proxy__isnull=False).exclude(
        voter__entrustment__proxy=F("by_proxy")).exists()


def test_voters_of_eighty_vote_by_the_mobile_box(demo):
    box = Participation.objects.filter(station__kind=StationKind.MOBILE).select_related("voter__resident",
                                                                                      "election")
    assert box.exists()
    for p in box[:200]:
        assert rules.age_on(p.voter.resident.birth_date, p.election.election_day) >= 80


def test_nothing_is_dated_in_the_future(demo):
    assert Participation.objects.aggregate(m=Max("at"))["m"] <= NOW
    assert Voter.objects.aggregate(m=Max("added_at"))["m"] <= NOW
    assert Objection.objects.aggregate(m=Max("raised_at"))["m"] <= NOW
    assert (Objection.objects.aggregate(m=Max("answered_at"))["m"] or NOW) <= NOW
    assert Election.objects.aggregate(m=Max("roll_published_at"))["m"] <= NOW
    assert Election.objects.aggregate(m=Max("candidates_published_at"))["m"] <= NOW
    assert Tally.objects.aggregate(m=Max("entered_at"))["m"] <= NOW
    assert Election.objects.aggregate(m=Max("certified_on"))["m"] <= NOW.date()
    assert CommitteeMember.objects.aggregate(m=Max("joined_on"))["m"] <= NOW.date()
    assert Post.objects.filter(role__startswith="committee").aggregate(m=Max("start_date"))["m"] <= NOW.date()
    assert Station.objects.exists()


def test_a_second_run_adds_nothing(demo):
    before = (Election.objects.count(), Voter.objects.count(), Result.objects.count())
    with clock.frozen(NOW):
        assert generate_elections(seed=4) == {}
    assert (Election.objects.count(), Voter.objects.count(), Result.objects.count()) == before
