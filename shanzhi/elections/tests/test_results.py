"""The result: computed over all stations' tallies, further rounds, void elections, certification and posts."""

import datetime as dt

import pytest

from shanzhi.accounts import scopes
from shanzhi.elections import results, voting
from shanzhi.elections.models import Participation, Result, Stage
from shanzhi.elections.tally import round_seats, tally_enter
from shanzhi.elections.tests.day_fixtures import DAY, NINE, build_day, counts, line, standard_tallies, vote
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.models import Post, Role


@pytest.fixture
def closed(county):
    d = build_day(county)
    vote(d, [0, 1, 3, 4, 5, 6], [2, 7])
    return d


def _elected(election):
    return sorted((r.position, r.name, r.votes) for r in Result.objects.filter(election=election, elected=True))


def test_all_seats_filled(closed):
    d = closed
    standard_tallies(d)
    outcome = results.compute(actor=d.committee_user, election=d.election)
    d.election.refresh_from_db()
    assert outcome.valid and not outcome.further and d.election.stage == Stage.COUNTED
    assert _elected(d.election) == [("chair", "张三", 5), ("member", "吴四", 5), ("vice_chair", "郑五", 5)]
    loser = Result.objects.get(election=d.election, name="钱一")
    assert (loser.elected, loser.votes, loser.note, loser.candidate) == (False, 2, "未获得参加投票的选民过半数选票",
                                                                         d.cands["chair"][1])


def test_compute_refused_until_every_station_is_tallied(closed):
    d = closed
    tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0), lines=[])
    with pytest.raises(DomainError, match="尚未录入计票结果：第二投票站"):
        results.compute(actor=d.committee_user, election=d.election)


def test_compute_refused_while_voting(county):
    d = build_day(county)
    voting.voting_open(actor=d.committee_user, election=d.election, now=NINE)
    with pytest.raises(DomainError, match="投票结束"):
        results.compute(actor=d.committee_user, election=d.election)


def test_more_ballots_than_voters_at_a_station_voids_the_election(closed):
    d = closed
    standard_tallies(d)
    tally_enter(actor=d.committee_user, station=d.s2, counts=counts(3, 3, 3, 0), lines=[])
    outcome = results.compute(actor=d.committee_user, election=d.election)
    d.election.refresh_from_db()
    assert not outcome.valid and d.election.stage == Stage.VOID
    assert d.election.void_reason == "第二投票站收回选票3张，多于投票人数2人，选举无效"
    assert not Result.objects.filter(election=d.election).exists()


def test_half_or_fewer_taking_part_voids_the_election(county):
    d = build_day(county)
    vote(d, [0, 1, 3], [2, 7])  # 5 of 10
    tally_enter(actor=d.committee_user, station=d.s1, counts=counts(3, 3, 3, 0), lines=[line(d, "chair", "张三", 3)])
    tally_enter(actor=d.committee_user, station=d.s2, counts=counts(2, 2, 2, 0), lines=[])
    results.compute(actor=d.committee_user, election=d.election)
    d.election.refresh_from_db()
    assert d.election.stage == Stage.VOID and "参加投票5人，未超过登记选民10人的半数" in d.election.void_reason


def test_further_round_for_the_empty_seat(closed):
    d = closed
    standard_tallies(d, chair=(("张三", 3), ("钱一", 3)), chair2=(("钱一", 1),))  # 3 and 4 of 8: no majority
    outcome = results.compute(actor=d.committee_user, election=d.election)
    d.election.refresh_from_db()
    assert outcome.further and d.election.stage == Stage.FURTHER and voting.current_round(d.election) == 2
    assert round_seats(d.election, 2) == {"chair": 1, "vice_chair": 0, "member": 0}
    assert [r.name for r in results.further_candidates(d.election, 2)] == ["钱一", "张三"]
    # the further round: voted later the same day, ballot round 2, one third of the ballots cast wins
    later = NINE + dt.timedelta(hours=6)
    vote(d, [0, 1, 3, 4, 5, 6], [], now=later)
    assert Participation.objects.filter(election=d.election, ballot_round=2).count() == 6
    tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0),
                lines=[line(d, "chair", "张三", 2), line(d, "chair", "钱一", 4)])
    tally_enter(actor=d.committee_user, station=d.s2, counts=counts(0, 0, 0, 0), lines=[])
    outcome = results.compute(actor=d.committee_user, election=d.election)
    d.election.refresh_from_db()
    assert d.election.stage == Stage.COUNTED and not outcome.further
    assert _elected(d.election) == [("chair", "钱一", 4), ("member", "吴四", 5), ("vice_chair", "郑五", 5)]


@pytest.mark.parametrize(("who", "error"), [("clerk1", PermissionDenied), ("worker_b", NotFound),
                                            ("worker_c", NotFound), ("resident_user", NotFound)])
def test_who_may_not_compute(closed, who, error):
    standard_tallies(closed)
    actor = getattr(closed, who, None) or getattr(closed.c, who)
    with pytest.raises(error):
        results.compute(actor=actor, election=closed.election)


# ---- certification --------------------------------------------------------------------------------------

@pytest.fixture
def counted(closed):
    standard_tallies(closed)
    results.compute(actor=closed.committee_user, election=closed.election)
    closed.election.refresh_from_db()
    return closed


def _previous_chair(d):
    from shanzhi.org.services import post_appoint

    return post_appoint(actor=None, unit=d.c.village, role=Role.COMMITTEE_CHAIR, resident=d.voters[3].resident,
                        start_date=dt.date(2021, 12, 1))


@pytest.mark.parametrize("who", ["town_staff", "committee_user"])
def test_certify_gives_the_winners_their_posts_and_ends_the_old_ones(counted, who):
    d = counted
    old = _previous_chair(d)
    actor = getattr(d, who, None) or getattr(d.c, who)
    on = DAY + dt.timedelta(days=1)
    with clock.frozen(NINE + dt.timedelta(days=1)):
        posts = results.certify(actor=actor, election=d.election, on=on)
    d.election.refresh_from_db()
    assert d.election.stage == Stage.CERTIFIED and d.election.certified_on == on
    assert sorted((p.role, p.holder_name, p.start_date) for p in posts) == [
        (Role.COMMITTEE_CHAIR, "张三", on), (Role.COMMITTEE_MEMBER, "吴四", on), (Role.COMMITTEE_VICE, "郑五", on)]
    assert all(p.unit == d.c.village and p.resident is not None for p in posts)
    old.refresh_from_db()
    assert old.end_date == DAY
    assert {r.post_id for r in Result.objects.filter(election=d.election, elected=True)} == {p.pk for p in posts}
    # the new chair logs in by phone and works as a village cadre
    with clock.frozen(NINE + dt.timedelta(days=1)):
        u = d.c.resident_user
        scopes.forget(u)
        assert scopes.may(u, "cases.dispatch", d.c.village) and scopes.may(u, "councils.run", d.c.village)
        assert not scopes.may(u, "cases.dispatch", d.c.village2)


def test_certify_refused_before_election_day_or_twice_or_uncounted(counted, county):
    d = counted
    with pytest.raises(DomainError) as exc:
        results.certify(actor=d.c.town_staff, election=d.election, on=DAY - dt.timedelta(days=1))
    assert "on" in exc.value.fields and "不能早于选举日" in str(exc.value)
    results.certify(actor=d.c.town_staff, election=d.election, on=DAY)
    with pytest.raises(DomainError, match="只有计票完成的选举可以公告当选"):
        results.certify(actor=d.c.town_staff, election=d.election, on=DAY)
    assert Post.objects.filter(unit=d.c.village, role=Role.COMMITTEE_CHAIR).count() == 1


@pytest.mark.parametrize(("who", "error"), [("clerk1", PermissionDenied), ("worker_b", NotFound),
                                            ("worker_c", NotFound), ("resident_user", NotFound)])
def test_who_may_not_certify(counted, who, error):
    actor = getattr(counted, who, None) or getattr(counted.c, who)
    with pytest.raises(error):
        results.certify(actor=actor, election=counted.election, on=DAY)
    assert not Post.objects.filter(role=Role.COMMITTEE_CHAIR).exists()


def test_published_result_with_scrutineers(counted):
    d = counted
    pub = results.published(actor=d.c.resident_user, election=d.election)  # a resident of the village
    assert pub.shown and [r.name for r in pub.elected] == ["张三", "郑五", "吴四"]
    assert pub.staff == [("第一投票站", ["周三", "吴四", "李梅"], []), ("第二投票站", ["冯六", "陈七", "孙二"], [])]
    from shanzhi.accounts.models import User, UserKind

    outsider = User.objects.create(username="rc", kind=UserKind.RESIDENT, resident=d.c.resident_c)
    for actor in (outsider, d.c.worker_b, d.c.worker_c):
        with pytest.raises(NotFound):
            results.published(actor=actor, election=d.election)


def test_result_not_shown_before_the_count(county):
    d = build_day(county)
    pub = results.published(actor=d.c.resident_user, election=d.election)
    assert not pub.shown and not pub.rounds and not pub.staff


# ---- pages -------------------------------------------------------------------------------------------------

def test_compute_certify_and_the_public_page(closed, client):
    from django.urls import reverse

    d = closed
    standard_tallies(d)
    pk = {"pk": d.election.pk}
    client.force_login(d.c.town_staff)
    assert client.post(reverse("elections:results_compute", kwargs=pk)).status_code == 302
    r = client.get(reverse("elections:results", kwargs=pk))
    assert r.status_code == 200 and 'data-elected="张三"' in r.content.decode() and "certify" in r.content.decode()
    r = client.post(reverse("elections:results_certify", kwargs=pk), {"on": "2026-12-19"})
    assert r.status_code == 400 and "不能早于选举日" in r.content.decode()
    r = client.post(reverse("elections:results_certify", kwargs=pk), {"on": "yesterday"})
    assert r.status_code == 400 and "公告日期" in r.content.decode()
    assert client.post(reverse("elections:results_certify", kwargs=pk), {"on": "2026-12-21"}).status_code == 302
    assert Post.objects.filter(unit=d.c.village, role=Role.COMMITTEE_CHAIR, holder_name="张三").exists()
    client.force_login(d.c.resident_user)  # a villager sees the announcement with the scrutineers
    r = client.get(reverse("elections:result", kwargs=pk))
    body = r.content.decode()
    assert r.status_code == 200 and 'data-elected="郑五"' in body and "周三、吴四、李梅" in body
    assert d.voters[0].card_token not in body


@pytest.mark.parametrize("name", ["results", "result", "results_compute", "results_certify"])
def test_result_pages_refused_to_outsiders(counted, client, name):
    from django.urls import reverse

    from shanzhi.accounts.models import User, UserKind

    outsider = User.objects.create(username="rc", kind=UserKind.RESIDENT, resident=counted.c.resident_c)
    url = reverse(f"elections:{name}", kwargs={"pk": counted.election.pk})
    for actor in (counted.c.worker_b, counted.c.worker_c, outsider):
        client.force_login(actor)
        r = client.post(url, {"on": "2026-12-21"}) if name.startswith("results_") else client.get(url)
        assert r.status_code == 404, actor
    assert not Post.objects.filter(role=Role.COMMITTEE_CHAIR).exists()
