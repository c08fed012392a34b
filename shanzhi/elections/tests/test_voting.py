"""Election day: opening the vote, check-in (who may, the roll, one ballot per voter, proxies), turnout."""

import datetime as dt
import threading

import pytest
from django.db import connection

from shanzhi.accounts.services import user_create_staff
from shanzhi.elections import voting
from shanzhi.elections.models import Participation, Proxy, StaffRole, Stage, StationStaff
from shanzhi.elections.tests.day_fixtures import NINE, build_day
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

LATER = NINE + dt.timedelta(hours=1)


@pytest.fixture
def day(county):
    return build_day(county)


@pytest.fixture
def open_day(day):
    voting.voting_open(actor=day.committee_user, election=day.election, now=NINE)
    day.election.refresh_from_db()
    return day


# ---- opening -----------------------------------------------------------------------------------------------

def test_committee_and_town_open_the_vote_on_election_day(day):
    e = voting.voting_open(actor=day.committee_user, election=day.election, now=NINE)
    assert e.stage == Stage.VOTING and e.voting_opened_at == NINE and voting.is_open(e)


def test_town_staff_may_open(day):
    assert voting.voting_open(actor=day.c.town_staff, election=day.election, now=NINE).stage == Stage.VOTING


@pytest.mark.parametrize("when", [NINE - dt.timedelta(days=1), NINE + dt.timedelta(days=1)])
def test_open_refused_off_election_day(day, when):
    with pytest.raises(DomainError) as exc:
        voting.voting_open(actor=day.committee_user, election=day.election, now=when)
    assert "投票只能在选举日（2026年12月20日）进行" in str(exc.value) and "election_day" in exc.value.fields


def test_open_refused_before_candidates_are_published(county):
    day = build_day(county, stage=Stage.ROLL_PUBLISHED)
    with pytest.raises(DomainError) as exc:
        voting.voting_open(actor=day.committee_user, election=day.election, now=NINE)
    assert "选民名单已公布" in str(exc.value) and "不能开始投票" in str(exc.value)


def test_open_refused_without_stations(day):
    day.election.stations.all().delete()
    with pytest.raises(DomainError, match="尚未设立投票站"):
        voting.voting_open(actor=day.committee_user, election=day.election, now=NINE)


@pytest.mark.parametrize(("who", "error"), [("worker_b", NotFound), ("worker_c", NotFound),
                                            ("resident_user", NotFound), ("clerk1", PermissionDenied),
                                            ("worker_a", NotFound)])
def test_who_may_not_open(day, who, error):
    actor = getattr(day, who, None) or getattr(day.c, who)
    with pytest.raises(error):
        voting.voting_open(actor=actor, election=day.election, now=NINE)


def test_close_then_check_in_refused(open_day):
    d = open_day
    voting.voting_close(actor=d.committee_user, election=d.election, now=LATER)
    with pytest.raises(DomainError, match="投票尚未开始或已经结束"):
        voting.checkin(actor=d.clerk1, station=d.s1, card_token=d.voters[0].card_token, now=LATER)
    with pytest.raises(DomainError, match="投票尚未开始或已经结束"):
        voting.voting_close(actor=d.committee_user, election=d.election, now=LATER)


# ---- check-in ------------------------------------------------------------------------------------------

def test_check_in_by_card_records_only_that_the_voter_took_part(open_day):
    d = open_day
    p = voting.checkin(actor=d.clerk1, station=d.s1, card_token=d.voters[0].card_token, now=NINE)
    assert (p.voter, p.station, p.ballot_round, p.by_proxy, p.clerk) == (d.voters[0], d.s1, 1, None, d.clerk1)
    assert Participation.objects.count() == 1


def test_second_check_in_refused_naming_where_and_when(open_day):
    d = open_day
    voting.checkin(actor=d.clerk1, station=d.s1, card_token=d.voters[0].card_token, now=NINE)
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=d.clerk2, station=d.s2, voter=d.voters[0], now=LATER)
    assert exc.value.code == "already"
    assert "张三" in str(exc.value) and "已于09:00在第一投票站领取选票" in str(exc.value)
    assert Participation.objects.count() == 1


def test_check_in_before_the_vote_opens_refused(day):
    with pytest.raises(DomainError, match="投票尚未开始"):
        voting.checkin(actor=day.clerk1, station=day.s1, card_token=day.voters[0].card_token, now=NINE)


def test_check_in_off_election_day_refused(open_day):
    with pytest.raises(DomainError, match="投票只能在选举日"):
        voting.checkin(actor=open_day.clerk1, station=open_day.s1, card_token=open_day.voters[0].card_token,
                       now=NINE + dt.timedelta(days=1))


@pytest.mark.parametrize(("token", "message"), [("", "请扫描选民证"), ("nope", "未找到该选民证"), ("x" * 200, "未找到该选民证")])
def test_bad_card_refused_naming_the_field(open_day, token, message):
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=open_day.clerk1, station=open_day.s1, card_token=token, now=NINE)
    assert message in str(exc.value) and "card_token" in exc.value.fields


def test_voter_of_another_village_is_not_on_this_roll(open_day):
    d = open_day
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=d.clerk1, station=d.s1, card_token=d.other_voter.card_token, now=NINE)
    assert exc.value.code == "not_on_roll"
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=d.clerk1, station=d.s1, voter=d.other_voter, now=NINE)
    assert exc.value.code == "not_on_roll" and "voter" in exc.value.fields


def test_removed_voter_refused(open_day):
    d = open_day
    v = d.voters[3]
    v.removed_at, v.removed_reason = NINE, "户籍迁出"
    v.save()
    with pytest.raises(DomainError, match="已从选民名单除名：户籍迁出"):
        voting.checkin(actor=d.clerk1, station=d.s1, card_token=v.card_token, now=NINE)


def test_clerks_only_at_their_own_station(open_day):
    d = open_day
    # a clerk of 新联村's first station at its second: sees the election, may not check in there
    with pytest.raises(PermissionDenied):
        voting.checkin(actor=d.clerk1, station=d.s2, card_token=d.voters[2].card_token, now=NINE)
    # another village's clerk, grid worker B, the other town's worker, a resident: not found
    for actor in (d.extra["other_clerk"], d.c.worker_b, d.c.worker_c, d.c.resident_user):
        with pytest.raises(NotFound):
            voting.checkin(actor=actor, station=d.s1, card_token=d.voters[0].card_token, now=NINE)
    # the committee and town staff may check in anywhere in their election
    voting.checkin(actor=d.committee_user, station=d.s2, card_token=d.voters[2].card_token, now=NINE)
    voting.checkin(actor=d.c.town_staff, station=d.s1, card_token=d.voters[0].card_token, now=NINE)


def test_proxy_collects_the_grantors_ballot_and_the_grantor_cannot_vote_again(open_day):
    d = open_day
    grantor, proxy, other = d.voters[5], d.voters[6], d.voters[7]
    Proxy.objects.create(election=d.election, grantor=grantor, proxy=proxy, reason="外出务工", recorded_at=NINE,
                         approved_at=NINE)
    with pytest.raises(DomainError) as exc:  # not the approved proxy
        voting.checkin(actor=d.clerk1, station=d.s1, voter=grantor, by_proxy=other, now=NINE)
    assert exc.value.code == "proxy" and "by_proxy" in exc.value.fields
    p = voting.checkin(actor=d.clerk1, station=d.s1, voter=grantor, by_proxy=proxy, now=NINE)
    assert p.by_proxy == proxy
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=d.clerk1, station=d.s1, card_token=grantor.card_token, now=LATER)
    assert f"由受托人{proxy.name}代领" in str(exc.value)
    # the proxy still votes for themself
    voting.checkin(actor=d.clerk1, station=d.s1, card_token=proxy.card_token, now=LATER)


def test_unapproved_or_revoked_proxy_refused_and_grantor_may_vote_in_person_first(open_day):
    d = open_day
    grantor, proxy = d.voters[5], d.voters[6]
    entrust = Proxy.objects.create(election=d.election, grantor=grantor, proxy=proxy, reason="外出",
                                   recorded_at=NINE)
    with pytest.raises(DomainError, match="不是.*经批准的受托人"):
        voting.checkin(actor=d.clerk1, station=d.s1, voter=grantor, by_proxy=proxy, now=NINE)
    entrust.approved_at = NINE
    entrust.save()
    voting.checkin(actor=d.clerk1, station=d.s1, voter=grantor, now=NINE)  # came back: votes in person
    with pytest.raises(DomainError) as exc:
        voting.checkin(actor=d.clerk1, station=d.s1, voter=grantor, by_proxy=proxy, now=LATER)
    assert exc.value.code == "already"


def test_find_voters_by_name_or_number(open_day):
    d = open_day
    voting.checkin(actor=d.clerk1, station=d.s1, card_token=d.voters[0].card_token, now=NINE)
    found = voting.find_voters(actor=d.clerk1, station=d.s1, query="张三")
    assert [(f["voter"].name, f["done"]) for f in found] == [("张三", True)]
    found = voting.find_voters(actor=d.clerk1, station=d.s1, query=d.voters[1].number)
    assert [(f["voter"].name, f["done"]) for f in found] == [("李梅", False)]
    assert voting.find_voters(actor=d.clerk1, station=d.s1, query="赵六") == []  # another village's voter
    with pytest.raises(DomainError) as exc:
        voting.find_voters(actor=d.clerk1, station=d.s1, query="  ")
    assert "q" in exc.value.fields
    with pytest.raises(NotFound):
        voting.find_voters(actor=d.c.worker_b, station=d.s1, query="张三")


# ---- turnout -------------------------------------------------------------------------------------------

def test_turnout_per_station_and_grid_in_constant_queries(open_day, django_assert_num_queries):
    d = open_day
    for v in d.voters[:2]:
        voting.checkin(actor=d.clerk1, station=d.s1, voter=v, now=NINE)
    voting.checkin(actor=d.clerk2, station=d.s2, voter=d.voters[2], now=NINE)
    with django_assert_num_queries(5):
        t = voting.turnout(d.election)
    assert (t.roll, t.voted, t.rate) == (10, 3, 30.0)
    assert [(r.name, r.roll, r.voted) for r in t.stations] == [("第一投票站", 6, 2), ("第二投票站", 4, 1)]
    assert [(r.name, r.roll, r.voted) for r in t.grids] == [("新联村第一网格", 6, 2), ("新联村第二网格", 4, 1)]
    for v in d.voters[3:]:
        voting.checkin(actor=d.committee_user, station=d.s1, voter=v, now=NINE)
    with django_assert_num_queries(5):
        t = voting.turnout(d.election, 1)
    assert t.voted == 10 and t.grids[1].voted == 4


# ---- races (PostgreSQL) -----------------------------------------------------------------------------------

def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001 - named in the assertion
            out[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    return out


def _eight_clerks(d):
    clerks = []
    for i in range(8):
        u = user_create_staff(actor=None, username=f"race_clerk{i}", password="x-Shanzhi-2026",
                              display_name=f"发票员{i}", check_strength=False)
        StationStaff.objects.create(station=d.s1, role=StaffRole.CLERK, user=u, name=u.display_name)
        clerks.append(u)
    return clerks


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_clerks_checking_in_one_voter_give_one_ballot(county):
    d = build_day(county)
    voting.voting_open(actor=d.committee_user, election=d.election, now=NINE)
    clerks = _eight_clerks(d)
    token = d.voters[0].card_token
    out = _race([lambda u=u: voting.checkin(actor=u, station=d.s1, card_token=token, now=NINE) for u in clerks])
    done = [a for a in out if isinstance(a, Participation)]
    refused = [a for a in out if isinstance(a, DomainError)]
    assert len(done) == 1 and len(refused) == 7, out
    assert all(r.code == "already" and "已于09:00在第一投票站领取选票" in str(r) for r in refused)
    assert Participation.objects.filter(voter=d.voters[0]).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_clerks_checking_in_eight_voters_all_succeed(county):
    d = build_day(county)
    voting.voting_open(actor=d.committee_user, election=d.election, now=NINE)
    clerks = _eight_clerks(d)
    out = _race([lambda u=u, v=v: voting.checkin(actor=u, station=d.s1, voter=v, now=NINE)
                 for u, v in zip(clerks, d.voters[:8], strict=True)])
    assert all(isinstance(a, Participation) for a in out), out
    assert Participation.objects.filter(election=d.election).count() == 8


# ---- pages -------------------------------------------------------------------------------------------------

def _client(client, user):
    client.force_login(user)
    return client


def test_clerk_phone_page_scans_and_answers_big_and_clear(open_day, client):
    from django.urls import reverse

    from shanzhi.lib import clock

    d = open_day
    url = reverse("elections:checkin", kwargs={"station": d.s1.pk})
    c = _client(client, d.clerk1)
    with clock.frozen(NINE):
        r = c.get(url)
        assert r.status_code == 200 and "第一投票站" in r.content.decode() and "elections/scan" in r.content.decode()
        r = c.post(url, {"card_token": d.voters[0].card_token})
        body = r.content.decode()
        assert r.status_code == 200 and 'data-outcome="ok"' in body and "张三" in body
        r = c.post(url, {"card_token": d.voters[0].card_token})
        assert r.status_code == 400 and "已于09:00在第一投票站领取选票" in r.content.decode()
        r = c.post(url, {"card_token": "not-a-card"})
        assert r.status_code == 400 and "未找到该选民证" in r.content.decode()
        r = c.post(url, {"card_token": "x" * 300})
        assert r.status_code == 400 and "选民证二维码" in r.content.decode()
        r = c.get(url, {"q": "李梅"})
        assert r.status_code == 200 and f'data-checkin="{d.voters[1].number}"' in r.content.decode()
        r = c.post(url, {"voter": d.voters[1].pk})
        assert r.status_code == 200 and "李梅" in r.content.decode()
        r = c.post(url, {"voter": d.other_voter.pk})
        assert r.status_code == 400 and "未找到该选民" in r.content.decode()
        r = c.post(url, {"voter": "99999999999999999999999"})
        assert r.status_code == 400
    assert Participation.objects.count() == 2


@pytest.mark.parametrize(("who", "status"), [("worker_b", 404), ("worker_c", 404), ("other_clerk", 404),
                                             ("resident_user", 404), ("clerk2", 403)])
def test_clerk_page_refused(open_day, client, who, status):
    from django.urls import reverse

    d = open_day
    actor = getattr(d, who, None) or getattr(d.c, who, None) or d.extra[who]
    c = _client(client, actor)
    url = reverse("elections:checkin", kwargs={"station": d.s1.pk})
    assert c.get(url).status_code == status
    assert c.post(url, {"card_token": d.voters[0].card_token}).status_code == status
    assert not Participation.objects.exists()


def test_day_desk_and_turnout_board(day, client, django_assert_num_queries):
    from django.urls import reverse

    from shanzhi.lib import clock

    d = day
    c = _client(client, d.committee_user)
    with clock.frozen(NINE):
        r = c.post(reverse("elections:day_open", kwargs={"pk": d.election.pk}))
        assert r.status_code == 302
        r = c.get(reverse("elections:day", kwargs={"pk": d.election.pk}))
        assert r.status_code == 200 and 'hx-get="' in r.content.decode()
        board = reverse("elections:day_turnout", kwargs={"pk": d.election.pk})
        voting.checkin(actor=d.clerk1, station=d.s1, voter=d.voters[0])
        c.get(board)
        with django_assert_num_queries(10) as few:  # session, user, posts, the gate, the election, five
            r = c.get(board)
        assert 'data-station-voted="第一投票站">1<' in r.content.decode()
        for v in d.voters[1:]:
            voting.checkin(actor=d.committee_user, station=d.s2, voter=v)
        with django_assert_num_queries(len(few)):  # the same number of queries with ten times the voters
            r = c.get(board)
        assert 'data-station-voted="第二投票站">9<' in r.content.decode()
        r = c.post(reverse("elections:day_open", kwargs={"pk": d.election.pk}))
        assert r.status_code == 400 and "不能开始投票" in r.content.decode()


@pytest.mark.parametrize("name", ["day", "day_turnout", "day_open", "day_close"])
def test_day_pages_refused_to_outsiders(day, client, name):
    from django.urls import reverse

    url = reverse(f"elections:{name}", kwargs={"pk": day.election.pk})
    for actor in (day.c.worker_b, day.c.worker_c, day.c.resident_user):
        c = _client(client, actor)
        assert (c.post(url) if name.endswith(("open", "close")) else c.get(url)).status_code == 404
    from shanzhi.lib import clock

    with clock.frozen(NINE):  # on election day the state allows it: the clerk is refused for their role
        r = _client(client, day.clerk1).post(reverse("elections:day_open", kwargs={"pk": day.election.pk}))
    assert r.status_code == 403
