"""A station's tally: entered by the committee once the vote is closed, checked, counts only."""

import pytest

from shanzhi.audit.models import AuditEntry
from shanzhi.elections.models import Tally, TallyLine
from shanzhi.elections.tally import tally_enter
from shanzhi.elections.tests.day_fixtures import build_day, counts, line, vote
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


@pytest.fixture
def closed(county):
    d = build_day(county)
    vote(d, [0, 1, 3, 4, 5, 6], [2, 7])
    return d


def test_enter_and_correct_a_tally(closed):
    d = closed
    t = tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 5, 1, 1),
                    lines=[line(d, "chair", "张三", 3), line(d, "chair", "钱一", 1), line(d, "member", "冯六", 2)])
    assert (t.issued, t.returned, t.valid, t.invalid, t.blank, t.ballot_round) == (6, 6, 5, 1, 1, 1)
    assert not t.warning
    write_in = TallyLine.objects.get(tally=t, write_in__isnull=False)
    assert (write_in.write_in.name, write_in.write_in_name, write_in.candidate) == ("冯六", "冯六", None)
    t = tally_enter(actor=d.c.town_staff, station=d.s1, counts=counts(6, 6, 6, 0),
                    lines=[line(d, "chair", "张三", 4)])
    assert Tally.objects.count() == 1 and t.lines.count() == 1 and t.valid == 6
    entries = AuditEntry.objects.filter(action="elections.tally.enter").order_by("id")
    assert entries.count() == 2 and entries.last().before["valid"] == 5


def test_more_ballots_than_voters_at_the_station_is_recorded_with_the_warning(closed):
    d = closed
    t = tally_enter(actor=d.committee_user, station=d.s2, counts=counts(3, 3, 3, 0), lines=[])
    assert "第二投票站：收回选票3张，多于投票人数2人" in t.warning and "选举无效" in t.warning


@pytest.mark.parametrize(("values", "lines", "field", "message"), [
    (counts(6, 7, 7, 0), [], "returned", "收回选票7张，多于发出选票6张"),
    (counts(6, 6, 4, 1), [], "valid", "有效票4张加无效票1张应等于收回选票6张"),
    (counts(6, 6, 3, 3, 4), [], "blank", "空白票4张计入有效票，不能多于有效票3张"),
    (counts(6, 6, 6, 0), [("chair", "张三", 5), ("chair", "钱一", 2)], "lines", "主任共得票7张，多于有效票6张×应选1名"),
    (counts(6, 6, 6, 0, 2), [("chair", "张三", 5)], "lines", "得票多于有效非空白票数"),
    (counts(6, 6, 6, 0), [("chair", "赵六", 1)], "lines[0].write_in", "不是本村（社区）选民名单上的选民"),
    (counts(6, 6, 6, 0), [("chair", "张三", 1), ("chair", "张三", 1)], "lines[1]", "同一职位同一人重复填写"),
    (counts(6, 6, 6, 0), [("secretary", "张三", 1)], "lines[0].position", "职位无效"),
    ({"issued": "六", "returned": 6, "valid": 6, "invalid": 0}, [], "issued", "应为整数"),
    ({"issued": -1, "returned": 0, "valid": 0, "invalid": 0}, [], "issued", "不能小于 0"),
    ({"returned": 0, "valid": 0, "invalid": 0}, [], "issued", "请填写"),
])
def test_bad_tallies_refused_naming_the_field(closed, values, lines, field, message):
    d = closed
    with pytest.raises(DomainError) as exc:
        tally_enter(actor=d.committee_user, station=d.s1, counts=values,
                    lines=[line(d, p, n, v) for p, n, v in lines])
    assert field in exc.value.fields and message in str(exc.value), (exc.value.fields, str(exc.value))
    assert not Tally.objects.exists()


def test_candidate_lines_checked(closed):
    d = closed
    member = d.cands["member"][0]
    for bad, message in (({"position": "chair", "candidate": member.pk, "votes": 1}, "不是主任候选人"),
                         ({"position": "chair", "candidate": 999999, "votes": 1}, "不是本次选举的正式候选人"),
                         ({"position": "chair", "candidate": "x", "votes": 1}, "不是本次选举的正式候选人"),
                         ({"position": "chair", "votes": 1}, "请选择候选人或填写另选他人"),
                         ({"position": "chair", "candidate": d.cands["chair"][0].pk, "votes": "1.5"}, "应为整数")):
        with pytest.raises(DomainError) as exc:
            tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0), lines=[bad])
        assert message in str(exc.value), bad


def test_write_in_by_number_and_ambiguous_name(closed):
    d = closed
    twin = d.voters[9]
    twin.name = "冯六"
    twin.save()
    with pytest.raises(DomainError, match="有多人名为“冯六”，请填写选民证号"):
        tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0),
                    lines=[{"position": "member", "write_in": "冯六", "votes": 1}])
    t = tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0),
                    lines=[{"position": "member", "write_in": twin.number, "votes": 1}])
    assert t.lines.get().write_in == twin


def test_tally_before_the_vote_closes_refused(county):
    d = build_day(county)
    with pytest.raises(DomainError, match="投票结束后才能录入计票结果"):
        tally_enter(actor=d.committee_user, station=d.s1, counts=counts(0, 0, 0, 0), lines=[])


@pytest.mark.parametrize(("who", "error"), [("clerk1", PermissionDenied), ("worker_b", NotFound),
                                            ("worker_c", NotFound), ("resident_user", NotFound)])
def test_who_may_not_enter_a_tally(closed, who, error):
    actor = getattr(closed, who, None) or getattr(closed.c, who)
    with pytest.raises(error):
        tally_enter(actor=actor, station=closed.s1, counts=counts(6, 6, 6, 0), lines=[])


def test_tally_audit_holds_counts_only(closed):
    d = closed
    tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0),
                lines=[line(d, "chair", "张三", 4), line(d, "member", "冯六", 2)])
    entry = AuditEntry.objects.get(action="elections.tally.enter")
    assert set(entry.after) == {"issued", "returned", "valid", "invalid", "blank", "round", "participated", "lines",
                                "votes"}
    assert entry.after["votes"] == {"chair": 4, "vice_chair": 0, "member": 2}
    assert "张三" not in str(entry.after) and "冯六" not in str(entry.after)


# ---- pages -------------------------------------------------------------------------------------------------

def test_tally_pages(closed, client):
    from django.urls import reverse

    d = closed
    client.force_login(d.committee_user)
    r = client.get(reverse("elections:tally", kwargs={"pk": d.election.pk}))
    assert r.status_code == 200 and 'data-station="第一投票站"' in r.content.decode()
    url = reverse("elections:tally_station", kwargs={"pk": d.election.pk, "station": d.s1.pk})
    r = client.get(url)
    assert r.status_code == 200 and "张三" in r.content.decode()
    cand = d.cands["chair"][0]
    r = client.post(url, {"issued": "6", "returned": "7", "valid": "7", "invalid": "0"})
    assert r.status_code == 400 and "收回选票7张，多于发出选票6张" in r.content.decode()
    r = client.post(url, {"issued": "六", "returned": "6", "valid": "6", "invalid": "0"})
    assert r.status_code == 400 and "应为整数" in r.content.decode()
    r = client.post(url, {"issued": "6", "returned": "6", "valid": "6", "invalid": "0", "w0_position": "member",
                          "w0_who": "赵六", "w0_votes": "1"})
    assert r.status_code == 400 and "不是本村（社区）选民名单上的选民" in r.content.decode()
    assert not Tally.objects.exists()
    r = client.post(url, {"issued": "6", "returned": "6", "valid": "6", "invalid": "0", f"cand_{cand.pk}": "4",
                          "w0_position": "member", "w0_who": "冯六", "w0_votes": "2"})
    assert r.status_code == 302
    t = Tally.objects.get()
    assert sorted((line.position, line.votes) for line in t.lines.all()) == [("chair", 4), ("member", 2)]
    r = client.get(url, {"check": "1", "marked_chair": "2", "marked_vice_chair": "1", "marked_member": "0"})
    assert 'data-ballot="invalid"' in r.content.decode() and "主任应选1名，选票选了2名" in r.content.decode()
    r = client.get(url, {"check": "1", "marked_chair": "1"})
    assert 'data-ballot="valid"' in r.content.decode()
    r = client.get(url, {"check": "1"})
    assert 'data-ballot="blank"' in r.content.decode()
    r = client.get(url, {"check": "1", "marked_chair": "x"})
    assert 'data-ballot="invalid"' in r.content.decode() and "应为整数" in r.content.decode()
    other = reverse("elections:tally_station", kwargs={"pk": d.election.pk, "station": d.other_station.pk})
    assert client.get(other).status_code == 404  # another election's station under this election


@pytest.mark.parametrize(("who", "status"), [("worker_b", 404), ("worker_c", 404), ("resident_user", 404),
                                             ("clerk1", 403)])
def test_tally_entry_refused(closed, client, who, status):
    from django.urls import reverse

    actor = getattr(closed, who, None) or getattr(closed.c, who)
    client.force_login(actor)
    url = reverse("elections:tally_station", kwargs={"pk": closed.election.pk, "station": closed.s1.pk})
    assert client.get(url).status_code == status
    assert client.post(url, {"issued": "6", "returned": "6", "valid": "6", "invalid": "0"}).status_code == status
    assert not Tally.objects.exists()
