"""Setting elections up: the round and its rules, an election's seats, the election committee (a member
nominated as a candidate leaves it), residents without political rights; who may and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.elections import roll, services_setup
from shanzhi.elections.models import (
    Basis,
    Candidate,
    CommitteeMember,
    CommitteeRole,
    Election,
    RightsSuspension,
    Rules,
    Stage,
    Voter,
)
from shanzhi.elections.tests.helpers_setup import (
    BUILT,
    ELECTION_DAY,
    FEB,
    build_setting,
    client_for,
    resident_user,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


@pytest.fixture
def s(db):
    return build_setting()


# ---- rounds ---------------------------------------------------------------------------------------------

def test_a_round_carries_the_national_defaults_and_the_provinces_overrides(s):
    rules = s.round.rules
    assert (rules.roll_days_before, rules.objection_days, rules.answer_days, rules.candidates_days_before,
            rules.voting_age, rules.residence_years) == (20, 5, 3, 5, 18, 1)
    with clock.frozen(BUILT):
        other = services_setup.round_create(actor=s.c.admin, unit=s.c.county, name="补选", election_day=ELECTION_DAY,
                                            objection_days="7", proxy_limit=2)
    assert other.rules.objection_days == 7 and other.rules.proxy_limit == 2
    assert AuditEntry.objects.filter(action="elections.round_create", object_id=str(other.pk)).exists()


def test_a_round_refuses_bad_rules_and_a_unit_below_the_county(s):
    with pytest.raises(DomainError) as exc:
        services_setup.round_create(actor=s.c.admin, unit=s.c.county, name="x", election_day=ELECTION_DAY,
                                    objection_days="五")
    assert "objection_days" in exc.value.fields and "应为整数" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        services_setup.round_create(actor=s.c.admin, unit=s.c.county, name="x", election_day=ELECTION_DAY,
                                    voting_age=12)
    assert "voting_age" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services_setup.round_create(actor=s.c.admin, unit=s.c.town, name="x", election_day=ELECTION_DAY)
    assert "unit" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services_setup.round_create(actor=s.c.admin, unit=s.c.county, name=" ", election_day=ELECTION_DAY)
    assert "name" in exc.value.fields
    assert Rules.objects.count() == 1  # nothing half-written


def test_only_county_staff_open_a_round(s):
    with pytest.raises(NotFound):  # town staff do not see the county
        services_setup.round_create(actor=s.c.town_staff, unit=s.c.county, name="x", election_day=ELECTION_DAY)
    with pytest.raises(NotFound):
        services_setup.round_create(actor=s.c.worker_b, unit=s.c.county, name="x", election_day=ELECTION_DAY)


# ---- elections and seats ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("vice", "members", "ok"), [(0, 2, True), (1, 3, True), (2, 4, True), (0, 1, False),
                                                       (2, 5, False), (3, 4, False)])
def test_seats_are_three_to_seven(s, vice, members, ok):
    with clock.frozen(BUILT):
        rnd = services_setup.round_create(actor=s.c.admin, unit=s.c.county, name="补选", election_day=ELECTION_DAY)
        if ok:
            e = services_setup.election_create(actor=s.c.admin, round=rnd, unit=s.c.village, vice_chairs=vice,
                                               members=members, min_women=1)
            assert e.seats == 1 + vice + members
        else:
            with pytest.raises(DomainError) as exc:
                services_setup.election_create(actor=s.c.admin, round=rnd, unit=s.c.village, vice_chairs=vice,
                                               members=members)
            assert "members" in exc.value.fields and "3至7人" in str(exc.value)


def test_women_seats_at_most_the_seats_and_one_election_per_village(s):
    with pytest.raises(DomainError) as exc:
        services_setup.election_update(actor=s.c.admin, election=s.e1, min_women=6)
    assert "min_women" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services_setup.election_create(actor=s.c.admin, round=s.round, unit=s.c.village)
    assert "unit" in exc.value.fields and "已有选举" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        services_setup.election_create(actor=s.c.admin, round=s.round, unit=s.c.grid_a)
    assert "unit" in exc.value.fields
    assert s.e1.election_day == ELECTION_DAY and s.e1.min_women == 1 and s.e1.stage == Stage.SETUP


def test_town_staff_set_up_their_own_town_only(s):
    with clock.frozen(BUILT):
        rnd = services_setup.round_create(actor=s.c.admin, unit=s.c.county, name="补选", election_day=ELECTION_DAY)
        made = services_setup.elections_create_for_town(actor=s.c.town_staff, round=rnd, town=s.c.town)
        assert [e.unit for e in made] == [s.c.village]
        assert services_setup.elections_create_for_town(actor=s.c.town_staff, round=rnd, town=s.c.town) == []
        with pytest.raises(NotFound):  # the other town's village
            services_setup.election_create(actor=s.c.town_staff, round=rnd, unit=s.c.village2)
        with pytest.raises(NotFound):
            services_setup.elections_create_for_town(actor=s.c.town_staff, round=rnd, town=s.c.town2)


def test_election_day_cannot_move_once_the_roll_is_published(s):
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
        roll.roll_publish(actor=s.c.admin, election=s.e1)
        with pytest.raises(DomainError) as exc:
            services_setup.election_update(actor=s.c.admin, election=s.e1, election_day=dt.date(2027, 4, 1))
        assert "election_day" in exc.value.fields
        services_setup.election_update(actor=s.c.admin, election=s.e1, venue="村文化礼堂")
    assert Election.objects.get(pk=s.e1.pk).venue == "村文化礼堂"


# ---- the election committee --------------------------------------------------------------------------------

def test_a_resident_of_the_village_joins_the_committee_and_leaves_with_a_reason(s):
    with clock.frozen(BUILT):
        m = services_setup.committee_add(actor=s.c.town_staff, election=s.e1, resident=s.c.resident,
                                         role=CommitteeRole.CHAIR)
        assert m.name == "张三" and m.joined_on == BUILT.date()
        with pytest.raises(DomainError) as exc:  # once at a time
            services_setup.committee_add(actor=s.c.town_staff, election=s.e1, resident=s.c.resident)
        assert "resident" in exc.value.fields
        with pytest.raises(DomainError) as exc:  # one chair
            services_setup.committee_add(actor=s.c.town_staff, election=s.e1, resident=s.c.neighbour,
                                         role=CommitteeRole.CHAIR)
        assert "role" in exc.value.fields
        with pytest.raises(DomainError) as exc:  # lives in the other village
            services_setup.committee_add(actor=s.c.admin, election=s.e1, resident=s.c.resident_c)
        assert "resident" in exc.value.fields and "居住在新联村" in str(exc.value)
        with pytest.raises(DomainError) as exc:
            services_setup.committee_remove(actor=s.c.town_staff, member=m, reason="  ")
        assert "reason" in exc.value.fields
        services_setup.committee_remove(actor=s.c.town_staff, member=m, reason="外出务工")
    m.refresh_from_db()
    assert m.left_on == BUILT.date() and m.left_reason == "外出务工"
    assert AuditEntry.objects.filter(action="elections.committee_leave", object_id=str(m.pk), reason="外出务工").exists()


def test_a_committee_member_nominated_as_a_candidate_leaves_the_committee(s):
    with clock.frozen(FEB):
        m = services_setup.committee_add(actor=s.c.admin, election=s.e1, resident=s.c.neighbour)
        assert services_setup.committee_leave_for_candidate(s.e1, s.c.resident, clock.now()) is None  # not on it
        left = services_setup.committee_leave_for_candidate(s.e1, s.c.neighbour, clock.now())
    assert left.pk == m.pk
    m.refresh_from_db()
    assert m.left_on == FEB.date() and m.left_reason == "被提名为候选人"
    # and a candidate may not join the committee (the candidate row as the nomination service writes it)
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
    voter = Voter.objects.get(election=s.e1, resident=s.c.neighbour)
    Candidate.objects.create(election=s.e1, voter=voter, position=CommitteeRole.MEMBER, name=voter.name, sex="F")
    with clock.frozen(FEB), pytest.raises(DomainError) as exc:
        services_setup.committee_add(actor=s.c.admin, election=s.e1, resident=s.c.neighbour)
    assert "候选人不得担任选举委员会成员" in str(exc.value)


def test_the_committee_runs_its_own_election_and_not_another(s):
    zhang = s.c.resident_user
    with clock.frozen(FEB):
        with pytest.raises(NotFound):  # not yet on the committee: a resident sees no desk
            roll.roll_generate(actor=zhang, election=s.e1)
        services_setup.committee_add(actor=s.c.admin, election=s.e1, resident=s.c.resident)
        assert roll.roll_generate(actor=zhang, election=s.e1) == 2
        with pytest.raises(NotFound):
            roll.roll_generate(actor=zhang, election=s.e2)
        with pytest.raises(NotFound):
            services_setup.committee_add(actor=zhang, election=s.e2, resident=s.c.resident_c)
    assert client_for(zhang).get(reverse("elections:election", args=[s.e1.pk])).status_code == 200
    assert client_for(zhang).get(reverse("elections:election", args=[s.e2.pk])).status_code == 404


def test_grid_workers_and_the_other_town_get_not_found(s):
    with clock.frozen(FEB):
        for actor in (s.c.worker_b, s.c.worker_a, s.c.worker_c):
            with pytest.raises(NotFound):
                roll.roll_generate(actor=actor, election=s.e1)
        with pytest.raises(NotFound):
            roll.roll_generate(actor=s.c.town_staff, election=s.e2)
    for user in (s.c.worker_b, s.c.worker_c):
        for name in ("election", "committee", "roll", "objections", "cards", "roll_print", "roll_xlsx"):
            assert client_for(user).get(reverse(f"elections:{name}", args=[s.e1.pk])).status_code == 404, name


# ---- rights suspensions --------------------------------------------------------------------------------------

def test_a_suspension_keeps_a_resident_off_the_roll_and_is_audited(s):
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
        entry = Voter.objects.get(election=s.e1, resident=s.c.neighbour)
        sus = services_setup.suspension_record(actor=s.c.town_staff, resident=s.c.neighbour, reason="判处剥夺政治权利二年",
                                               starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2028, 5, 31))
        entry.refresh_from_db()
        assert entry.removed_at is not None and entry.removed_reason.startswith("无政治权利")
        with pytest.raises(DomainError) as exc:
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.neighbour, basis=Basis.HUKOU,
                             reason="补登")
        assert "剥夺政治权利" in str(exc.value)
        services_setup.suspension_end(actor=s.c.town_staff, suspension=sus, reason="刑满恢复")
        sus.refresh_from_db()
        assert sus.ends_on == FEB.date()
        voter = roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.neighbour, basis=Basis.HUKOU,
                                 reason="恢复政治权利后补登")
    assert voter.number == "330421112201-0003"
    assert AuditEntry.objects.filter(action="elections.suspension_record", reason="判处剥夺政治权利二年").exists()
    assert AuditEntry.objects.filter(action="elections.suspension_end", reason="刑满恢复").exists()


def test_suspensions_need_elections_run_at_the_residents_village(s):
    with clock.frozen(FEB):
        for actor in (s.c.worker_a, s.c.worker_b):
            with pytest.raises(NotFound):
                services_setup.suspension_record(actor=actor, resident=s.c.resident, reason="x",
                                                 starts_on=dt.date(2026, 1, 1))
        with pytest.raises(NotFound):  # the other town's resident
            services_setup.suspension_record(actor=s.c.town_staff, resident=s.c.resident_c, reason="x",
                                             starts_on=dt.date(2026, 1, 1))
        with pytest.raises(DomainError) as exc:
            services_setup.suspension_record(actor=s.c.town_staff, resident=s.c.resident, reason="x",
                                             starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2025, 1, 1))
        assert "ends_on" in exc.value.fields
    assert not RightsSuspension.objects.exists()


def test_the_suspensions_page_masks_id_numbers_and_answers_in_chinese(s):
    from shanzhi.lib.testing import ID_RESIDENT

    client = client_for(s.c.town_staff)
    with clock.frozen(FEB):
        resp = client.post(reverse("elections:suspensions"), {"id_number": ID_RESIDENT, "reason": "", "starts_on": ""})
        assert resp.status_code == 400
        text = resp.content.decode()
        assert "请填写原因" in text and "请填写起始日期" in text
        resp = client.post(reverse("elections:suspensions"), {"id_number": ID_RESIDENT, "reason": "判决",
                                                              "starts_on": "2026-01-01"})
        assert resp.status_code == 302
        page = client.get(reverse("elections:suspensions")).content.decode()
    assert "张三" in page and ID_RESIDENT not in page and s.c.resident.id_number_masked in page
    assert client_for(s.c.worker_b).get(reverse("elections:suspensions")).status_code == 404
    end = reverse("elections:suspension_end", args=[RightsSuspension.objects.get().pk])
    assert client_for(s.c.worker_c).get(end).status_code == 404


# ---- pages -----------------------------------------------------------------------------------------------

def test_the_desk_pages_walk_through_set_up(s):
    client = client_for(s.c.admin)
    with clock.frozen(BUILT):
        resp = client.post(reverse("elections:rounds"), {"name": "", "election_day": "2027-13-01"})
        assert resp.status_code == 400 and "请填写名称" in resp.content.decode()
        resp = client.post(reverse("elections:election_create", args=[s.round.pk]),
                           {"unit": s.c.village.code, "vice_chairs": "3", "members": "5", "min_women": "1"})
        assert resp.status_code == 400 and "3至7人" in resp.content.decode()
        assert client.get(reverse("elections:rounds")).status_code == 200
        page = client.get(reverse("elections:round", args=[s.round.pk])).content.decode()
        assert "新联村" in page and "洋桥村" in page
        page = client.get(reverse("elections:election", args=[s.e1.pk])).content.decode()
        assert "2027-02-28" in page and "新联村村委会大礼堂" in page
        resp = client.post(reverse("elections:committee", args=[s.e1.pk]), {"id_number": "", "role": "member"})
        assert resp.status_code == 400 and "请填写居民身份证号" in resp.content.decode()
        from shanzhi.lib.testing import ID_NEIGHBOUR

        resp = client.post(reverse("elections:committee", args=[s.e1.pk]), {"id_number": ID_NEIGHBOUR,
                                                                            "role": "vice_chair"})
        assert resp.status_code == 302
        m = CommitteeMember.objects.get()
        resp = client.post(reverse("elections:committee_remove", args=[m.pk]), {"reason": ""})
        assert resp.status_code == 400 and "请填写原因" in resp.content.decode()
    town = client_for(s.c.town_staff)
    page = town.get(reverse("elections:round", args=[s.round.pk])).content.decode()
    assert "新联村" in page and "洋桥村" not in page
    assert client_for(s.c.worker_b).get(reverse("elections:round", args=[s.round.pk])).status_code == 404
    other = resident_user(s.c.resident_c)
    assert client_for(other).get(reverse("elections:round", args=[s.round.pk])).status_code == 404


def test_a_village_cadre_follows_the_election_but_does_not_run_it(s):
    """Visible but not allowed: 403, after the state check (the gate's order)."""
    from shanzhi.accounts.services import user_create_staff
    from shanzhi.lib.testing import PASSWORD
    from shanzhi.org.models import Role
    from shanzhi.org.services import post_appoint

    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部",
                              check_strength=False)
    post_appoint(actor=None, unit=s.c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=dt.date(2024, 1, 1))
    with clock.frozen(FEB):
        with pytest.raises(PermissionDenied):
            roll.roll_generate(actor=cadre, election=s.e1)
        with pytest.raises(PermissionDenied):
            services_setup.committee_add(actor=cadre, election=s.e1, resident=s.c.resident)
        client = client_for(cadre)
        assert client.get(reverse("elections:roll", args=[s.e1.pk])).status_code == 200
        assert client.post(reverse("elections:roll_generate", args=[s.e1.pk])).status_code == 403
        assert client.post(reverse("elections:committee", args=[s.e1.pk]), {"id_number": ""}).status_code == 403
        assert client.get(reverse("elections:election", args=[s.e2.pk])).status_code == 404
