"""Candidates: nomination tallies, the count, the margin (差额), ties, withdrawal, the committee rule and
publication, through the services; and who may do it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.audit.models import AuditEntry
from shanzhi.elections import candidates as cand
from shanzhi.elections.candidates import NominationLine as L
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeMember,
    CommitteeRole,
    Stage,
    StationKind,
    Tally,
)
from shanzhi.elections.stations import station_create
from shanzhi.elections.tests.candidates_setup import NOW, build
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

CHAIR, VICE, MEMBER = CommitteeRole.CHAIR, CommitteeRole.VICE_CHAIR, CommitteeRole.MEMBER


@pytest.mark.parametrize(("position", "seats", "needed"), [
    (CHAIR, 1, 2), (VICE, 1, 2), (VICE, 2, 3), (VICE, 0, 0), (MEMBER, 3, 4), (MEMBER, 5, 6), (MEMBER, 0, 0)])
def test_the_margin_is_one_more_candidate_than_seats_per_position(position, seats, needed):
    assert cand.official_count(position, seats) == needed


@pytest.mark.parametrize(("ranked", "needed", "official", "tied", "rest", "short"), [
    ([("a", 9), ("b", 7), ("c", 5)], 2, ["a", "b"], [], ["c"], 0),
    ([("a", 9), ("b", 7), ("c", 7), ("d", 1)], 2, ["a"], ["b", "c"], ["d"], 0),  # tie at the cut line
    ([("a", 4), ("b", 4), ("c", 4)], 2, [], ["a", "b", "c"], [], 0),
    ([("a", 9), ("b", 7), ("c", 7)], 3, ["a", "b", "c"], [], [], 0),  # a tie above the line is no tie
    ([("a", 9)], 2, ["a"], [], [], 1),  # too few nominees
    ([("a", 9), ("b", 0)], 2, ["a"], [], [], 1),  # no nomination is no nominee
    ([("a", 3)], 0, [], [], ["a"], 0),
])
def test_selection_takes_the_most_nominated_and_reports_ties(ranked, needed, official, tied, rest, short):
    s = cand.select(ranked, needed)
    assert (s.official, s.tied, s.rest, s.short) == (official, tied, rest, short)


@pytest.fixture
def setup(county):
    with clock.frozen(NOW):
        s = build(county)
        s.extra["central"] = station_create(actor=county.town_staff, election=s.election, kind=StationKind.CENTRAL,
                                            name="中心会场")
        s.extra["station_b"] = station_create(actor=county.town_staff, election=s.election,
                                              kind=StationKind.STATION, name="第二投票站",
                                              units=[county.grid_b.code])
    return s


def _v(s, i):
    return s.voters[i]


def enter(s, lines, *, station=None, actor=None, valid=80):
    with clock.frozen(NOW):
        return cand.nomination_tally_enter(actor=actor or s.committee_user, station=station or s.extra["central"],
                                           issued=100, returned=valid + 10, valid=valid, invalid=10, blank=1,
                                           lines=lines)


def count(s, actor=None):
    with clock.frozen(NOW):
        return cand.nominations_count(actor=actor or s.committee_user, election=s.election)


def statuses(s):
    return {(c.name, c.position): c.status for c in Candidate.objects.filter(election=s.election)}


def full_lines(s):
    """Clear winners: chair 3 nominees, vice 2, members 6."""
    v = s.voters
    return [L(v[0], CHAIR, 30), L(v[3], CHAIR, 20), L(v[4], CHAIR, 5),
            L(v[5], VICE, 25), L(v[6], VICE, 15),
            L(v[7], MEMBER, 40), L(v[8], MEMBER, 35), L(v[9], MEMBER, 30), L(v[10], MEMBER, 20),
            L(v[11], MEMBER, 10), L(v[2], MEMBER, 2)]


def test_nominations_are_summed_over_stations_and_the_most_nominated_are_official(setup, county):
    s = setup
    v = s.voters
    enter(s, full_lines(s))
    enter(s, [L(v[4].number, CHAIR, 30), L(v[2].pk, MEMBER, 30)], station=s.extra["station_b"])
    reports = count(s)
    st = statuses(s)
    # chair: 张三 30, 村民01 35 (5+30), 村民00 20 -> two official
    assert st[(v[4].name, CHAIR)] == st[(v[0].name, CHAIR)] == CandidateStatus.OFFICIAL
    assert st[(v[3].name, CHAIR)] == CandidateStatus.NOT_SELECTED
    assert Candidate.objects.get(voter=v[4], position=CHAIR).nominations == 35
    # members: 4 needed of 3 seats; 王五 2+30=32 moves in, 村民06 (20) and 村民07 (10) not
    members = {c.name for c in Candidate.objects.filter(election=s.election, position=MEMBER,
                                                         status=CandidateStatus.OFFICIAL)}
    assert members == {v[7].name, v[8].name, v[9].name, v[2].name}
    assert [p.complete for p in reports] == [True, True, True]
    s.election.refresh_from_db()
    assert s.election.stage == Stage.NOMINATION
    assert AuditEntry.objects.filter(action="elections.nominations_count").count() == 1
    tally_audit = AuditEntry.objects.filter(action="elections.nomination_tally").first()
    assert set(tally_audit.after) == {"issued", "returned", "valid", "invalid", "blank", "station", "lines"}


def test_a_nominee_must_be_a_voter_on_this_roll(setup, county):
    s = setup
    with pytest.raises(DomainError) as exc:
        enter(s, [L(s.voters2[0], CHAIR, 3)])
    assert "lines" in exc.value.fields and "选民名单" in str(exc.value)
    gone = s.voters[5]
    gone.removed_at, gone.removed_reason = NOW, "迁出"
    gone.save()
    with pytest.raises(DomainError, match="第1行"):
        enter(s, [L(gone.number, MEMBER, 3)])
    with pytest.raises(DomainError, match="职位无效"):
        enter(s, [L(s.voters[1], "mayor", 3)])
    assert not Tally.objects.exists()


def test_a_nominee_removed_from_the_roll_after_the_tally_counts_no_more(setup):
    s = setup
    v = s.voters
    enter(s, full_lines(s))
    v[0].removed_at, v[0].removed_reason = NOW, "死亡"
    v[0].save()
    count(s)
    st = statuses(s)
    assert (v[0].name, CHAIR) not in st
    assert st[(v[3].name, CHAIR)] == st[(v[4].name, CHAIR)] == CandidateStatus.OFFICIAL


@pytest.mark.parametrize(("kw", "field"), [
    ({"issued": 10, "returned": 11, "valid": 11, "invalid": 0}, "returned"),
    ({"issued": 10, "returned": 10, "valid": 5, "invalid": 4}, "valid"),
    ({"issued": 10, "returned": 10, "valid": 8, "invalid": 2, "blank": 3}, "blank"),
    ({"issued": "十", "returned": 10, "valid": 8, "invalid": 2}, "issued"),
    ({"issued": -1, "returned": 10, "valid": 8, "invalid": 2}, "issued"),
])
def test_a_tally_that_does_not_add_up_is_refused_naming_the_field(setup, kw, field):
    s = setup
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.nomination_tally_enter(actor=s.committee_user, station=s.extra["central"], lines=[], **kw)
    assert field in exc.value.fields


def test_more_nominations_than_ballots_allow_are_refused(setup):
    s = setup
    with pytest.raises(DomainError, match="主任的提名票数合计"):
        enter(s, [L(s.voters[0], CHAIR, 30), L(s.voters[1], CHAIR, 30)], valid=50)


def test_reentering_a_tally_replaces_it(setup):
    s = setup
    enter(s, full_lines(s))
    enter(s, [L(s.voters[0], CHAIR, 1)])
    assert Tally.objects.get().lines.count() == 1
    count(s)
    assert statuses(s) == {(s.voters[0].name, CHAIR): CandidateStatus.OFFICIAL}


def test_a_tie_at_the_cut_line_is_reported_and_publication_waits_for_the_committee(setup):
    s = setup
    v = s.voters
    lines = [x for x in full_lines(s) if x.position != CHAIR]
    lines += [L(v[0], CHAIR, 30), L(v[3], CHAIR, 12), L(v[4], CHAIR, 12)]
    enter(s, lines)
    chair = count(s)[0]
    assert [c.name for c in chair.official] == [v[0].name]
    assert {c.name for c in chair.tied} == {v[3].name, v[4].name} and chair.places_for_tied == 1
    assert statuses(s)[(v[3].name, CHAIR)] == CandidateStatus.NOMINATED
    with pytest.raises(DomainError, match="票数相等"), clock.frozen(NOW):
        cand.candidates_publish(actor=s.committee_user, election=s.election)
    tied = list(Candidate.objects.filter(voter__in=[v[3], v[4]], position=CHAIR))
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.tie_break(actor=s.committee_user, election=s.election, position=CHAIR, chosen=tied, reason="再次投票")
    assert "chosen" in exc.value.fields
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.tie_break(actor=s.committee_user, election=s.election, position=CHAIR, chosen=tied[:1], reason=" ")
    assert "reason" in exc.value.fields
    with clock.frozen(NOW):
        cand.tie_break(actor=s.committee_user, election=s.election, position=CHAIR, chosen=tied[:1],
                       reason="票数相等的两人再次投票，前者得票多")
        cand.candidates_publish(actor=s.committee_user, election=s.election)
    assert statuses(s)[(tied[1].name, CHAIR)] == CandidateStatus.NOT_SELECTED
    assert AuditEntry.objects.get(action="elections.tie_break").reason.startswith("票数相等")


def test_a_voter_is_official_for_one_position_only_the_highest(setup):
    s = setup
    v = s.voters
    lines = [x for x in full_lines(s) if x.position != MEMBER]
    lines += [L(v[0], MEMBER, 45)] + [L(v[i], MEMBER, 40 - i) for i in range(7, 12)]
    enter(s, lines)
    count(s)
    st = statuses(s)
    assert st[(v[0].name, CHAIR)] == CandidateStatus.OFFICIAL
    assert st[(v[0].name, MEMBER)] == CandidateStatus.NOT_SELECTED
    assert Candidate.objects.filter(position=MEMBER, status=CandidateStatus.OFFICIAL).count() == 4


def test_a_tie_decided_for_a_higher_position_frees_the_place_below(setup):
    s = setup
    v = s.voters
    lines = [x for x in full_lines(s) if x.position == VICE]
    lines += [L(v[0], CHAIR, 30), L(v[3], CHAIR, 12), L(v[4], CHAIR, 12)]
    lines += [L(v[3], MEMBER, 50)] + [L(v[i], MEMBER, 40 - i) for i in range(7, 12)]
    enter(s, lines)
    count(s)
    assert statuses(s)[(v[3].name, MEMBER)] == CandidateStatus.OFFICIAL  # tied for chair, top member
    with clock.frozen(NOW):
        cand.tie_break(actor=s.committee_user, election=s.election, position=CHAIR,
                       chosen=[Candidate.objects.get(voter=v[3], position=CHAIR)], reason="再次投票")
    st = statuses(s)
    assert st[(v[3].name, CHAIR)] == CandidateStatus.OFFICIAL
    assert st[(v[3].name, MEMBER)] == CandidateStatus.NOT_SELECTED
    assert st[(v[10].name, MEMBER)] == CandidateStatus.OFFICIAL  # the next member moved up
    assert Candidate.objects.filter(position=MEMBER, status=CandidateStatus.OFFICIAL).count() == 4


def test_a_committee_member_who_becomes_a_candidate_leaves_the_committee(setup):
    s = setup
    chair_voter = s.voters[-1]  # 村民09 chairs the committee
    lines = [x for x in full_lines(s) if x.position != VICE] + [L(chair_voter, VICE, 25), L(s.voters[6], VICE, 3)]
    enter(s, lines)
    count(s)
    seat = CommitteeMember.objects.get(election=s.election, resident=chair_voter.resident)
    assert seat.left_on == NOW.date() and seat.left_reason == "被提名为候选人"
    assert AuditEntry.objects.filter(action="elections.committee_leave", reason="被提名为候选人").exists()
    # having left, they no longer run the election
    with pytest.raises(NotFound), clock.frozen(NOW):
        cand.nominations_count(actor=s.committee_user, election=s.election)


def test_withdrawal_before_publication_moves_the_next_up(setup, county):
    s = setup
    v = s.voters
    enter(s, full_lines(s))
    count(s)
    first = Candidate.objects.get(voter=v[0], position=CHAIR)
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.candidate_withdraw(actor=s.committee_user, candidate=first, reason="")
    assert "reason" in exc.value.fields
    with clock.frozen(NOW):
        cand.candidate_withdraw(actor=s.committee_user, candidate=first, reason="本人因身体原因书面申请退出")
    st = statuses(s)
    assert st[(v[0].name, CHAIR)] == CandidateStatus.WITHDRAWN
    assert st[(v[4].name, CHAIR)] == CandidateStatus.OFFICIAL  # the next by nominations moved up
    first.refresh_from_db()
    assert first.withdraw_reason == "本人因身体原因书面申请退出"
    with pytest.raises(DomainError, match="不能退出"), clock.frozen(NOW):
        cand.candidate_withdraw(actor=s.committee_user, candidate=first, reason="再次")


def test_after_publication_a_withdrawal_is_recorded_but_the_list_is_not_refilled(setup):
    s = setup
    v = s.voters
    enter(s, full_lines(s))
    count(s)
    with clock.frozen(NOW):
        cand.candidates_publish(actor=s.committee_user, election=s.election)
        cand.candidate_withdraw(actor=s.committee_user, candidate=Candidate.objects.get(voter=v[0], position=CHAIR),
                                reason="外出务工")
    st = statuses(s)
    assert st[(v[0].name, CHAIR)] == CandidateStatus.WITHDRAWN
    assert st[(v[4].name, CHAIR)] == CandidateStatus.NOT_SELECTED
    assert AuditEntry.objects.get(action="elections.candidate_withdraw").after["refilled"] is False
    with pytest.raises(DomainError, match="提名已结束"), clock.frozen(NOW):
        cand.nominations_count(actor=s.committee_user, election=s.election)
    s.election.stage = Stage.VOTING
    s.election.save()
    with pytest.raises(DomainError, match="投票已开始"), clock.frozen(NOW):
        cand.candidate_withdraw(actor=s.committee_user, candidate=Candidate.objects.get(voter=v[3], position=CHAIR),
                                reason="外出")


def test_publication_needs_more_candidates_than_seats(setup):
    s = setup
    v = s.voters
    enter(s, [x for x in full_lines(s) if x.position != MEMBER] + [L(v[7], MEMBER, 9), L(v[8], MEMBER, 9),
                                                                  L(v[9], MEMBER, 9)])
    count(s)
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.candidates_publish(actor=s.committee_user, election=s.election)
    assert "委员正式候选人3人，应为4人" in str(exc.value) and exc.value.code == "incomplete"


def test_publication_out_of_time_is_refused_quoting_the_rule(setup):
    s = setup
    enter(s, full_lines(s))
    count(s)
    late = timezone.make_aware(dt.datetime(2027, 1, 12, 9, 0))  # 4 days before election day
    with pytest.raises(DomainError) as exc, clock.frozen(late):
        cand.candidates_publish(actor=s.committee_user, election=s.election)
    assert "选举日的5日以前公布" in str(exc.value) and exc.value.code == "out_of_time"
    on_time = timezone.make_aware(dt.datetime(2027, 1, 11, 20, 0))
    with clock.frozen(on_time):
        e = cand.candidates_publish(actor=s.committee_user, election=s.election)
    assert e.stage == Stage.CANDIDATES_PUBLISHED and e.candidates_published_at == on_time
    with pytest.raises(DomainError, match="已公布"), clock.frozen(on_time):
        cand.candidates_publish(actor=s.committee_user, election=s.election)


def test_nominations_before_the_roll_is_published_are_refused(county):
    with clock.frozen(NOW):
        s = build(county, stage=Stage.SETUP)
        central = station_create(actor=county.town_staff, election=s.election, kind=StationKind.CENTRAL, name="会场")
    with pytest.raises(DomainError, match="选民名单公布后"), clock.frozen(NOW):
        cand.nomination_tally_enter(actor=county.town_staff, station=central, issued=1, returned=1, valid=1,
                                    invalid=0, lines=[])


def test_who_may_count_nominations(setup, county):
    s = setup
    enter(s, full_lines(s))
    count(s, actor=county.town_staff)  # the town runs its villages' elections
    count(s, actor=county.admin)
    for outsider in (s.committee2_user, county.worker_b, county.worker_a, county.worker_c, county.resident_user):
        with pytest.raises(NotFound), clock.frozen(NOW):
            cand.nominations_count(actor=outsider, election=s.election)
        with pytest.raises(NotFound), clock.frozen(NOW):
            enter(s, [], actor=outsider)


def test_a_clerk_sees_the_election_but_may_not_count(setup, county):
    from shanzhi.elections.stations import staff_add

    s = setup
    with clock.frozen(NOW):
        staff_add(actor=county.town_staff, station=s.extra["central"], role="clerk", username="worker_a")
    enter(s, full_lines(s))
    with pytest.raises(PermissionDenied), clock.frozen(NOW):
        cand.nominations_count(actor=county.worker_a, election=s.election)


def test_the_candidate_gives_and_withdraws_consent_on_the_phone(setup, county):
    from shanzhi.elections.tests.candidates_setup import resident_user

    s = setup
    enter(s, full_lines(s))
    count(s)
    me = resident_user(s.voters[0].resident)
    with clock.frozen(NOW):
        rows = cand.candidate_consent(actor=me, election=s.election, consent=True, statement="修好村道")
    assert [r.consent_record for r in rows] == [True] and rows[0].statement == "修好村道"
    with clock.frozen(NOW):
        cand.candidate_consent(actor=me, election=s.election, consent=False)
    assert not Candidate.objects.get(voter=s.voters[0], position=CHAIR).consent_record
    with pytest.raises(NotFound), clock.frozen(NOW):
        cand.candidate_consent(actor=county.resident_c and resident_user(county.resident_c), election=s.election,
                               consent=True)
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        cand.candidate_consent(actor=me, election=s.election, consent=True, statement="长" * 2001)
    assert "statement" in exc.value.fields


# ---- pages -------------------------------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _urls(e):
    from django.urls import reverse

    return [reverse(f"elections:{n}", kwargs={"pk": e.pk}) for n in (
        "candidates", "candidate_tally", "stations", "proxies")]


def test_the_committee_enters_counts_and_publishes_on_the_desk_page(setup):
    from django.urls import reverse

    s = setup
    v = s.voters
    client = _client(s.committee_user)
    tally_url = reverse("elections:candidate_tally", kwargs={"pk": s.election.pk})
    desk = reverse("elections:candidates", kwargs={"pk": s.election.pk})
    lines = "\n".join(f"{x.voter.number} {dict(chair='主任', vice_chair='副主任', member='委员')[x.position]} {x.votes}"
                      for x in full_lines(s))
    with clock.frozen(NOW):
        assert client.get(tally_url).status_code == 200
        resp = client.post(tally_url, {"station": s.extra["central"].pk, "issued": 100, "returned": 90,
                                       "valid": 80, "invalid": 10, "blank": 0, "lines": lines})
        assert resp.status_code == 302, resp.content.decode()[:2000]
        assert client.post(desk, {"do": "count"}).status_code == 302
        page = client.get(desk).content.decode()
        assert v[0].name in page and "正式候选人" in page
        resp = client.post(desk, {"do": "withdraw", "w-candidate": Candidate.objects.get(voter=v[0]).pk,
                                  "w-reason": ""})
        assert resp.status_code == 400 and "请填写退出原因" in resp.content.decode()
        assert client.post(desk, {"do": "publish"}).status_code == 302
    s.election.refresh_from_db()
    assert s.election.stage == Stage.CANDIDATES_PUBLISHED


@pytest.mark.parametrize(("lines", "message"), [
    ("330421112201-0001 主任", "第1行应为：选民证号 职位 票数"),
    ("330421112201-0001 书记 3", "第1行：职位应为主任、副主任或委员"),
    ("330421112201-0001 主任 三", "第1行：票数应为整数"),
    ("330421102201-0001 主任 3", "第1行：被提名人不是本村（社区）选民名单上的选民"),
])
def test_bad_tally_input_is_a_400_naming_the_line(setup, lines, message):
    from django.urls import reverse

    s = setup
    with clock.frozen(NOW):
        resp = _client(s.committee_user).post(reverse("elections:candidate_tally", kwargs={"pk": s.election.pk}), {
            "station": s.extra["central"].pk, "issued": 10, "returned": 10, "valid": 10, "invalid": 0,
            "lines": lines})
    assert resp.status_code == 400 and message in resp.content.decode()


def test_bad_counts_and_an_unknown_station_are_400s_naming_the_field(setup):
    from django.urls import reverse

    s = setup
    with clock.frozen(NOW):
        resp = _client(s.committee_user).post(reverse("elections:candidate_tally", kwargs={"pk": s.election.pk}), {
            "station": 987654, "issued": "x", "returned": 10, "valid": 10, "invalid": 0})
    page = resp.content.decode()
    assert resp.status_code == 400 and "请选择本次选举的投票站" in page and "发出选票应为整数" in page


def test_desk_pages_are_not_found_for_another_villages_committee_and_grid_worker_b(setup, county):
    s = setup
    for user in (s.committee2_user, county.worker_b, county.worker_c, county.resident_user):
        client = _client(user)
        for url in _urls(s.election):
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url, {"do": "count"}).status_code == 404, (user, url)
    for user in (s.committee_user, county.town_staff, county.admin):
        for url in _urls(s.election):
            assert _client(user).get(url).status_code == 200


def test_a_clerk_sees_the_desk_but_is_refused_a_write(setup, county):
    from django.urls import reverse

    from shanzhi.elections.stations import staff_add

    s = setup
    with clock.frozen(NOW):
        staff_add(actor=county.town_staff, station=s.extra["central"], role="clerk", username="worker_a")
    client = _client(county.worker_a)
    desk = reverse("elections:candidates", kwargs={"pk": s.election.pk})
    assert client.get(desk).status_code == 200
    assert client.post(desk, {"do": "count"}).status_code == 403


def _published(s):
    enter(s, full_lines(s))
    count(s)
    with clock.frozen(NOW):
        cand.candidates_publish(actor=s.committee_user, election=s.election)


def test_the_public_list_is_for_the_villages_residents(setup, county):
    from django.urls import reverse

    from shanzhi.elections.tests.candidates_setup import resident_user

    s = setup
    url = reverse("elections:candidates_public", kwargs={"pk": s.election.pk})
    me = _client(county.resident_user)  # 张三, a villager (and a nominee)
    assert "尚未公布" in me.get(url).content.decode()
    _published(s)
    with clock.frozen(NOW):
        cand.candidate_consent(actor=county.resident_user, election=s.election, consent=True,
                               statement="修村道，电话13800000001")
    page = me.get(url).content.decode()
    assert s.voters[0].name in page and s.voters[7].name in page and s.voters[4].name not in page
    assert "办结事项：0件" in page and "13800000001" not in page and "138****0001" in page
    assert "本人未同意公开平台履职记录" in page  # the others have not consented
    for outsider in (resident_user(county.resident_c), county.worker_b, s.committee2_user):
        assert _client(outsider).get(url).status_code == 404
    assert _client(county.town_staff).get(url).status_code == 200
    proxies_url = reverse("elections:proxies_public", kwargs={"pk": s.election.pk})
    assert me.get(proxies_url).status_code == 200
    assert _client(resident_user(county.resident_c)).get(proxies_url).status_code == 404


def test_the_candidate_gives_consent_on_their_page(setup, county):
    from django.urls import reverse

    from shanzhi.elections.tests.candidates_setup import resident_user

    s = setup
    _published(s)
    url = reverse("elections:candidate_mine", kwargs={"pk": s.election.pk})
    client = _client(county.resident_user)
    assert client.get(url).status_code == 200
    with clock.frozen(NOW):
        assert client.post(url, {"consent": "on", "statement": "多办实事"}).status_code == 302
    c = Candidate.objects.get(voter=s.voters[0], position=CHAIR)
    assert c.consent_record and c.statement == "多办实事"
    assert _client(resident_user(s.voters[1].resident)).get(url).status_code == 404  # not nominated
    assert _client(resident_user(county.resident_c)).get(url).status_code == 404
    assert _client(county.admin).get(url).status_code == 403  # residents' page
