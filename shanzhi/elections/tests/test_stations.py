"""Stations, mobile ballot boxes (a household campaign on the campaigns engine), scrutineers, tellers and
clerks, and readiness for election day."""

from __future__ import annotations

import pytest

from shanzhi.audit.models import AuditEntry
from shanzhi.campaigns.models import Campaign, Target
from shanzhi.campaigns.models import Kind as CampaignKind
from shanzhi.elections import access
from shanzhi.elections import candidates as cand
from shanzhi.elections import stations as st
from shanzhi.elections.candidates import NominationLine as L
from shanzhi.elections.models import CommitteeRole, StaffRole, Stage, StationKind, StationStaff
from shanzhi.elections.tests.candidates_setup import NOW, build, resident_user
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


@pytest.fixture
def setup(county):
    with clock.frozen(NOW):
        s = build(county)
        s.extra["central"] = st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.CENTRAL,
                                               name="中心会场", place="村委会大礼堂")
    return s


def add(s, role, number="", username="", station=None, actor=None):
    with clock.frozen(NOW):
        return st.staff_add(actor=actor or s.committee_user, station=station or s.extra["central"], role=role,
                            voter_number=number, username=username)


def test_a_polling_station_covers_grids_of_the_village_each_in_one_station(setup, county):
    s = setup
    with clock.frozen(NOW):
        a = st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.STATION,
                              name="第一投票站", units=[county.grid_a.code])
        assert list(a.units.all()) == [county.grid_a]
        with pytest.raises(DomainError) as exc:
            st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.STATION, name="重复",
                              units=[county.mg_a1.code])
        assert "units" in exc.value.fields and "第一投票站" in str(exc.value)
        with pytest.raises(DomainError) as exc:
            st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.STATION, name="外村",
                              units=[county.grid_c.code])
        assert "units" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.STATION, name="无网格")
        assert "units" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.CENTRAL, name="二会场")
        assert "kind" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            st.station_create(actor=s.committee_user, election=s.election, kind=StationKind.STATION, name=" ",
                              units=[county.grid_b.code])
        assert "name" in exc.value.fields


def test_a_mobile_box_route_is_a_household_campaign_of_the_care_tagged_homes(setup, county):
    s = setup
    with clock.frozen(NOW):
        box = st.mobile_box_create(actor=s.committee_user, election=s.election, name="一号流动票箱",
                                   units=[county.grid_b.code])
    assert box.kind == StationKind.MOBILE
    campaign = box.campaign
    assert campaign.kind == CampaignKind.SURVEY and campaign.name == "流动票箱：新联村一号流动票箱"
    assert campaign.scope["tags"] == ["disabled", "elderly_alone"]
    # 王五 lives alone in B1, elderly: the only such household of grid B
    assert list(Target.objects.filter(campaign=campaign).values_list("household_id", flat=True)) == [
        county.household_b.pk]
    entry = AuditEntry.objects.get(action="elections.mobile_box_create")
    assert entry.actor_id == s.committee_user.pk and entry.after["households"] == 1
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        st.mobile_box_create(actor=s.committee_user, election=s.election, name="二号", units=[county.grid_a.code])
    assert "units" in exc.value.fields  # no tagged household there
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        st.mobile_box_create(actor=s.committee_user, election=s.election, name="三号", tags=["no_such_tag"])
    assert "tags" in exc.value.fields
    with pytest.raises(DomainError) as exc, clock.frozen(NOW):
        st.mobile_box_create(actor=s.committee_user, election=s.election, name="四号", units=[county.grid_c.code])
    assert "units" in exc.value.fields
    assert Campaign.objects.count() == 1


def test_scrutineers_are_voters_neither_candidates_nor_their_close_relatives(setup, county):
    s = setup
    v = s.voters
    row = add(s, StaffRole.SCRUTINEER, v[5].number)
    assert row.resident_id == v[5].resident_id and row.name == v[5].name
    with pytest.raises(DomainError, match="已是该投票站的监票人"):
        add(s, StaffRole.SCRUTINEER, v[5].number)
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.SCRUTINEER, s.voters2[0].number)
    assert "voter" in exc.value.fields
    # 张三 is nominated; his wife 李梅 (same household) is a close relative
    with clock.frozen(NOW):
        cand.nomination_tally_enter(actor=s.committee_user, station=s.extra["central"], issued=10, returned=10,
                                    valid=10, invalid=0, lines=[L(v[0], CommitteeRole.CHAIR, 5)])
        cand.nominations_count(actor=s.committee_user, election=s.election)
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.SCRUTINEER, v[0].number)
    assert exc.value.code == "candidate_conflict" and "是本次选举的候选人" in exc.value.fields["voter"][0]
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.TELLER, v[1].number)
    assert "与候选人张三为近亲属" in exc.value.fields["voter"][0]


def test_a_scrutineer_who_becomes_a_candidate_or_whose_relative_does_is_removed(setup, county):
    s = setup
    v = s.voters
    add(s, StaffRole.SCRUTINEER, v[1].number)  # 李梅
    add(s, StaffRole.TELLER, v[0].number)  # 张三
    add(s, StaffRole.SCRUTINEER, v[5].number)
    with clock.frozen(NOW):
        cand.nomination_tally_enter(actor=s.committee_user, station=s.extra["central"], issued=10, returned=10,
                                    valid=10, invalid=0, lines=[L(v[0], CommitteeRole.CHAIR, 5)])
        cand.nominations_count(actor=s.committee_user, election=s.election)
    assert list(StationStaff.objects.values_list("name", flat=True)) == [v[5].name]
    removed = AuditEntry.objects.filter(action="elections.staff_remove")
    assert removed.count() == 2 and all("近亲属" in e.reason for e in removed)


def test_clerks_are_staff_users_of_the_place_or_voters_with_an_account(setup, county):
    s = setup
    row = add(s, StaffRole.CLERK, username="worker_a")
    assert row.user == county.worker_a
    assert access.is_clerk(county.worker_a, s.extra["central"])
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.CLERK, username="worker_c")  # another town's grid worker
    assert "username" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.CLERK, number=s.voters[3].number)  # no resident account
    assert "voter" in exc.value.fields
    u = resident_user(s.voters[3].resident)
    row = add(s, StaffRole.CLERK, number=s.voters[3].number)
    assert row.resident_id == s.voters[3].resident_id and access.is_clerk(u, s.extra["central"])
    with pytest.raises(DomainError) as exc:
        add(s, StaffRole.CLERK)
    assert "username" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        add(s, "boss", s.voters[4].number)
    assert "role" in exc.value.fields


def test_ready_needs_the_minimum_of_scrutineers_at_every_station_and_box(setup, county):
    s = setup
    assert s.rules.min_scrutineers == 3
    short = st.stations_ready(s.election)
    assert [(x.station.name, x.have, x.need) for x in short] == [("中心会场", 0, 3)]
    with pytest.raises(DomainError) as exc:
        st.require_ready(s.election)
    assert exc.value.code == "not_ready" and "至少应有3名监票人" in str(exc.value)
    assert exc.value.fields["stations"] == ["中心会场：监票人0人，至少应有3人"]
    for i in (3, 4, 5):
        add(s, StaffRole.SCRUTINEER, s.voters[i].number)
    add(s, StaffRole.TELLER, s.voters[6].number)
    with clock.frozen(NOW):
        box = st.mobile_box_create(actor=s.committee_user, election=s.election, name="一号", units=[county.grid_b.code])
    assert [x.station.name for x in st.stations_ready(s.election)] == ["一号"]
    for i in (7, 8):
        add(s, StaffRole.SCRUTINEER, s.voters[i].number, station=box)
    add(s, StaffRole.TELLER, s.voters[9].number, station=box)  # tellers do not count as scrutineers
    assert "一号：监票人2人" in str(st.stations_ready(s.election)[0])
    add(s, StaffRole.SCRUTINEER, s.voters[10].number, station=box)
    assert st.stations_ready(s.election) == []
    st.require_ready(s.election)


def test_no_station_at_all_is_not_ready(county):
    with clock.frozen(NOW):
        s = build(county)
    assert [str(x) for x in st.stations_ready(s.election)] == ["尚未设立投票站或中心会场"]


def test_after_voting_opened_stations_and_staff_do_not_change(setup, county):
    s = setup
    row = add(s, StaffRole.SCRUTINEER, s.voters[5].number)
    s.election.stage = Stage.VOTING
    s.election.save()
    with pytest.raises(DomainError, match="投票已开始"):
        add(s, StaffRole.SCRUTINEER, s.voters[6].number)
    with pytest.raises(DomainError, match="投票已开始"), clock.frozen(NOW):
        st.staff_remove(actor=s.committee_user, staff=row)
    with pytest.raises(DomainError, match="投票已开始"), clock.frozen(NOW):
        st.station_remove(actor=s.committee_user, station=s.extra["central"])


def test_removing_a_station_and_a_staff_member_is_audited(setup):
    s = setup
    row = add(s, StaffRole.SCRUTINEER, s.voters[5].number)
    with clock.frozen(NOW):
        st.staff_remove(actor=s.committee_user, staff=row, reason="本人外出")
        st.station_remove(actor=s.committee_user, station=s.extra["central"])
    assert not s.election.stations.exists()
    assert AuditEntry.objects.get(action="elections.staff_remove").reason == "本人外出"
    assert AuditEntry.objects.filter(action="elections.station_remove").exists()


def test_who_may_set_up_stations(setup, county):
    s = setup
    for outsider in (s.committee2_user, county.worker_b, county.worker_c, county.resident_user):
        with pytest.raises(NotFound), clock.frozen(NOW):
            st.station_create(actor=outsider, election=s.election, kind=StationKind.STATION, name="x",
                              units=[county.grid_b.code])
        with pytest.raises(NotFound):
            add(s, StaffRole.SCRUTINEER, s.voters[5].number, actor=outsider)
    add(s, StaffRole.CLERK, username="worker_a")
    with pytest.raises(PermissionDenied), clock.frozen(NOW):  # a clerk sees the election, runs nothing
        st.station_create(actor=county.worker_a, election=s.election, kind=StationKind.STATION, name="x",
                          units=[county.grid_b.code])
    with clock.frozen(NOW):
        st.station_create(actor=county.town_staff, election=s.election, kind=StationKind.STATION, name="第二站",
                          units=[county.grid_b.code])


# ---- the page ------------------------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_stations_page_sets_up_stations_boxes_and_staff(setup, county):
    from django.urls import reverse

    s = setup
    url = reverse("elections:stations", kwargs={"pk": s.election.pk})
    client = _client(s.committee_user)
    with clock.frozen(NOW):
        page = client.get(url).content.decode()
        assert "中心会场：监票人0人，至少应有3人" in page
        resp = client.post(url, {"do": "station", "s-kind": "station", "s-name": "第二投票站",
                                 "s-units": [county.grid_b.code]})
        assert resp.status_code == 302
        resp = client.post(url, {"do": "station", "s-kind": "station", "s-name": "重复",
                                 "s-units": [county.mg_b1.code]})
        assert resp.status_code == 400 and "以下网格已属于其他投票站" in resp.content.decode()
        resp = client.post(url, {"do": "station", "s-kind": "station", "s-name": "", "s-units": ["330421102201001"]})
        page = resp.content.decode()
        assert resp.status_code == 400 and "请填写名称" in page and "请选择本村（社区）的网格" in page
        resp = client.post(url, {"do": "mobile", "m-name": "一号", "m-units": [county.grid_b.code],
                                 "m-tags": ["elderly_alone"]})
        assert resp.status_code == 302
        assert Campaign.objects.get().name == "流动票箱：新联村一号"
        central = s.extra["central"]
        resp = client.post(url, {"do": "staff", "p-station": central.pk, "p-role": "scrutineer",
                                 "p-voter_number": s.voters[5].number})
        assert resp.status_code == 302
        resp = client.post(url, {"do": "staff", "p-station": central.pk, "p-role": "scrutineer",
                                 "p-voter_number": "nobody"})
        assert resp.status_code == 400 and "不是本村（社区）选民名单上的选民" in resp.content.decode()
        staff = StationStaff.objects.get()
        assert client.post(url, {"do": "staff_remove", "staff": staff.pk}).status_code == 302
        resp = client.post(url, {"do": "staff_remove", "staff": 987654})
        assert resp.status_code == 400 and "未找到该工作人员" in resp.content.decode()
        resp = client.post(url, {"do": "station_remove", "station": central.pk})
        assert resp.status_code == 302
    assert not s.election.stations.filter(pk=central.pk).exists()


def test_the_stations_page_is_not_found_for_outsiders(setup, county):
    from django.urls import reverse

    s = setup
    url = reverse("elections:stations", kwargs={"pk": s.election.pk})
    for user in (s.committee2_user, county.worker_b, county.worker_c, county.resident_user):
        assert _client(user).get(url).status_code == 404
        assert _client(user).post(url, {"do": "station_remove", "station": s.extra["central"].pk}).status_code == 404
    assert s.election.stations.exists()
