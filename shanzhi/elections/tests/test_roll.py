"""The voter roll: generated from the registry in one pass, admissions and removals with a reason, nobody on
two rolls, publication in time, objections in their windows, the resident's own entry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.elections import roll, services_setup
from shanzhi.elections.models import Basis, Objection, Stage, Voter
from shanzhi.elections.tests.helpers_setup import (
    ELECTION_DAY,
    FEB,
    ROLL_BY,
    add_resident,
    at,
    build_setting,
    client_for,
    resident_user,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.people.models import Registration, Resident, ResidentStatus
from shanzhi.people.services import household_create, resident_end, resident_move


@pytest.fixture
def s(db):
    return build_setting()


def _current(election):
    return list(Voter.objects.filter(election=election, removed_at__isnull=True).order_by("number"))


# ---- generation ---------------------------------------------------------------------------------------

def test_the_roll_is_made_from_the_registry(s):
    """Hukou residents of age, active, of the village; not the floating resident, not another village's,
    not a child, not one who died."""
    kid = add_resident(s.c.household_a, "张小宝", dt.date(2015, 5, 1))
    gone = add_resident(s.c.household_a, "张老太", dt.date(1940, 5, 1), female=True)
    with clock.frozen(FEB):
        resident_end(actor=None, resident=gone, status=ResidentStatus.DECEASED, day=FEB.date(), reason="病故")
        added = roll.roll_generate(actor=s.c.admin, election=s.e1)
    entries = _current(s.e1)
    assert added == 2 and {v.resident for v in entries} == {s.c.resident, s.c.neighbour}
    assert kid.pk not in {v.resident_id for v in entries}
    assert all(v.basis == Basis.HUKOU and v.micro_grid == s.c.mg_a1 for v in entries)
    assert all(re.fullmatch(r"[0-9a-f]{32}", v.card_token) for v in entries)
    assert Voter.objects.get(resident=s.c.neighbour).sex == "F"
    s.e1.refresh_from_db()
    assert s.e1.stage == Stage.ROLL
    assert AuditEntry.objects.filter(action="elections.roll_generate", object_id=str(s.e1.pk)).exists()


def test_age_is_counted_on_election_day(s):
    """18 on election day is in; 18 the day after is out; the refusal quotes the rule."""
    eighteen = add_resident(s.c.household_a, "生日当天", ELECTION_DAY.replace(year=ELECTION_DAY.year - 18))
    day_after = add_resident(s.c.household_a, "生日次日", ELECTION_DAY.replace(year=ELECTION_DAY.year - 18)
                             + dt.timedelta(days=1))
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
        ids = {v.resident_id for v in _current(s.e1)}
        assert eighteen.pk in ids and day_after.pk not in ids
        with pytest.raises(DomainError) as exc:
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=day_after, basis=Basis.HUKOU, reason="补登")
    assert "resident" in exc.value.fields
    assert "选举日（2027年03月20日）年满18周岁" in str(exc.value) and "届时17周岁" in str(exc.value)


def test_numbers_follow_micro_grid_then_name_and_a_rerun_adds_only_what_is_missing(s):
    h2 = household_create(actor=None, number="H-A2-009", micro_grid=s.c.mg_a2, address="新联村二组9号",
                          registration=Registration.REGISTERED)
    add_resident(h2, "阿大", dt.date(1980, 1, 1), relation="head")
    with clock.frozen(FEB):
        assert roll.roll_generate(actor=s.c.admin, election=s.e1) == 3
        numbers = [(v.number, v.micro_grid.code, v.name) for v in _current(s.e1)]
        assert [n for n, _g, _name in numbers] == ["330421112201-0001", "330421112201-0002", "330421112201-0003"]
        assert [g for _n, g, _name in numbers] == sorted(g for _n, g, _name in numbers)
        assert numbers[0][2] < numbers[1][2]  # same micro-grid: by name
        assert roll.roll_generate(actor=s.c.admin, election=s.e1) == 0
        late = add_resident(s.c.household_a, "张新", dt.date(1999, 9, 9))
        roll.voter_remove(actor=s.c.admin, voter=Voter.objects.get(resident=s.c.neighbour), reason="登记错误")
        assert roll.roll_generate(actor=s.c.admin, election=s.e1) == 1  # the newcomer, not the removed entry
    new = Voter.objects.get(resident=late)
    assert new.number == "330421112201-0004"
    assert Voter.objects.filter(election=s.e1).count() == 4


@pytest.mark.parametrize("wide", [False, True])
def test_the_whole_county_in_one_pass(s, django_assert_max_num_queries, monkeypatch, wide):
    """Both villages' rolls in one call, with a constant number of queries whatever the residents (wide: the
    plan for many villages, one path prefix for the county)."""
    if wide:
        monkeypatch.setattr(roll, "WIDE", 0)
    for i in range(30):
        add_resident(s.c.household_c, f"洋桥{i:02d}", dt.date(1960 + i, 1, 1))
    with clock.frozen(FEB), django_assert_max_num_queries(20):
        added = roll.roll_generate_all(actor=s.c.admin, round=s.round)
    assert added == {s.e1.pk: 2, s.e2.pk: 31}
    expected = Resident.objects.filter(roll.eligible_q(ELECTION_DAY, 18)).count()
    assert Voter.objects.filter(round=s.round, removed_at__isnull=True).count() == expected == 33
    with clock.frozen(FEB):
        assert roll.roll_generate_all(actor=s.c.admin, round=s.round) == {s.e1.pk: 0, s.e2.pk: 0}
        with pytest.raises(NotFound):
            roll.roll_generate_all(actor=s.c.town_staff, round=s.round)
    assert roll.duplicates_report(s.round) == []


# ---- admissions and removals -------------------------------------------------------------------------------

def test_hukou_away_needs_hukou_in_the_village(s):
    with clock.frozen(FEB):
        with pytest.raises(DomainError) as exc:  # 王五 lives in 新联村 without hukou
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.resident_b, basis=Basis.HUKOU_AWAY,
                             reason="本人申请")
        assert "basis" in exc.value.fields and "户籍不在新联村" in str(exc.value)
        v = roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.resident, basis=Basis.HUKOU_AWAY,
                             reason="在外务工，本人申请")
    assert v.basis == Basis.HUKOU_AWAY and v.added_reason == "在外务工，本人申请"
    assert AuditEntry.objects.filter(action="elections.voter_add", object_id=str(v.pk),
                                     reason="在外务工，本人申请").exists()


def test_residents_without_hukou_after_a_year_in_the_village(s):
    newcomer = s.c.resident_b  # moved in on 2027-01-04: not a year by election day
    settled = add_resident(s.c.household_b, "钱八", dt.date(1975, 7, 7), floating=True,
                           moved_in=dt.date(2025, 6, 1))
    with clock.frozen(FEB):
        with pytest.raises(DomainError) as exc:
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=newcomer, basis=Basis.RESIDENT, reason="申请")
        assert "basis" in exc.value.fields and "居住1年以上" in str(exc.value)
        v = roll.voter_admit(actor=s.c.admin, election=s.e1, resident=settled, basis=Basis.RESIDENT,
                             reason="本人申请，居住满一年")
        with pytest.raises(DomainError) as exc:  # hukou here: by hukou, not by residence
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.resident, basis=Basis.RESIDENT,
                             reason="申请")
        assert "按户籍登记" in str(exc.value)
        with pytest.raises(DomainError) as exc:
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=settled, basis=Basis.RESIDENT, reason=" ")
        assert "reason" in exc.value.fields
    assert v.basis == Basis.RESIDENT and v.micro_grid == s.c.mg_b1


def test_nobody_on_two_rolls_in_the_county(s):
    """赵六 is on 洋桥村's roll; he moves to 新联村: its roll refuses him, naming the other village, and the
    database refuses a second current entry written around the services."""
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e2)
        resident_move(actor=None, resident=s.c.resident_c, to_household=s.c.household_a, day=FEB.date())
        assert roll.roll_generate(actor=s.c.admin, election=s.e1) == 2  # 张三, 李梅: not 赵六
        with pytest.raises(DomainError) as exc:
            roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.resident_c, basis=Basis.HUKOU,
                             reason="迁入本村")
    assert exc.value.code == "double_registration" and "已登记在洋桥村的选民名单上" in str(exc.value)
    assert "不得在两地重复登记" in str(exc.value)
    other = Voter.objects.get(resident=s.c.resident_c)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voter.objects.create(election=s.e1, round=s.round, resident=s.c.resident_c, number="X-1", name="赵六",
                             sex="M", card_token="f" * 32, added_at=FEB)
    with clock.frozen(FEB):  # once off 洋桥村's roll, 新联村 takes him
        roll.voter_remove(actor=s.c.admin, voter=other, reason="已迁至新联村")
        v = roll.voter_admit(actor=s.c.admin, election=s.e1, resident=s.c.resident_c, basis=Basis.HUKOU,
                             reason="迁入本村")
    assert v.election == s.e1
    assert roll.duplicates_report(s.round) == []


def test_a_removal_keeps_the_entry_with_its_reason(s):
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
        v = Voter.objects.get(resident=s.c.neighbour)
        with pytest.raises(DomainError) as exc:
            roll.voter_remove(actor=s.c.admin, voter=v, reason="")
        assert "reason" in exc.value.fields
        roll.voter_remove(actor=s.c.admin, voter=v, reason="户口迁出")
        with pytest.raises(DomainError):
            roll.voter_remove(actor=s.c.admin, voter=v, reason="再次")
    v.refresh_from_db()
    assert v.removed_at == FEB and v.removed_reason == "户口迁出"
    assert AuditEntry.objects.filter(action="elections.voter_remove", object_id=str(v.pk), reason="户口迁出").exists()


# ---- publication --------------------------------------------------------------------------------------

def test_the_roll_is_published_at_least_twenty_days_before(s):
    with clock.frozen(FEB):
        with pytest.raises(DomainError) as exc:
            roll.roll_publish(actor=s.c.admin, election=s.e1)
        assert "为空" in str(exc.value)
        roll.roll_generate(actor=s.c.admin, election=s.e1)
        roll.roll_generate(actor=s.c.admin, election=s.e2)
    with clock.frozen(at(ROLL_BY + dt.timedelta(days=1))), pytest.raises(DomainError) as exc:
        roll.roll_publish(actor=s.c.admin, election=s.e1)
    assert exc.value.code == "out_of_time" and "选举日的20日以前公布" in str(exc.value)
    assert "2027年02月28日" in str(exc.value)
    with clock.frozen(at(ROLL_BY, 17)):
        e = roll.roll_publish(actor=s.c.admin, election=s.e1)
        assert e.stage == Stage.ROLL_PUBLISHED and e.roll_published_at == at(ROLL_BY, 17)
        with pytest.raises(DomainError) as exc:
            roll.roll_publish(actor=s.c.admin, election=s.e1)
        assert "已公布" in str(exc.value)
        with pytest.raises(DomainError) as exc:  # generation stops at publication; admissions go one by one
            roll.roll_generate(actor=s.c.admin, election=s.e1)
        assert "逐人办理" in str(exc.value)
        with pytest.raises(NotFound):
            roll.roll_publish(actor=s.c.town_staff, election=s.e2)


def test_after_publication_corrections_until_the_objection_window_closes(s):
    settled = add_resident(s.c.household_b, "钱八", dt.date(1975, 7, 7), floating=True, moved_in=dt.date(2025, 6, 1))
    published = at(dt.date(2027, 2, 20))
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
    with clock.frozen(published):
        roll.roll_publish(actor=s.c.admin, election=s.e1)
    with clock.frozen(at(dt.date(2027, 2, 25), 18)):  # publication day + 5: the last day
        roll.voter_admit(actor=s.c.admin, election=s.e1, resident=settled, basis=Basis.RESIDENT, reason="本人申请")
    with clock.frozen(at(dt.date(2027, 2, 26))):
        with pytest.raises(DomainError) as exc:
            roll.voter_remove(actor=s.c.admin, voter=Voter.objects.get(resident=settled), reason="撤回")
        assert "异议期内" in str(exc.value) and "2027年02月25日" in str(exc.value)


# ---- objections ---------------------------------------------------------------------------------------

def _published(s, day=dt.date(2027, 2, 20)):
    with clock.frozen(FEB):
        roll.roll_generate(actor=s.c.admin, election=s.e1)
    with clock.frozen(at(day)):
        roll.roll_publish(actor=s.c.admin, election=s.e1)


def test_objections_inside_their_windows(s):
    with clock.frozen(FEB), pytest.raises(DomainError) as exc:
        roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="王五", text="我应当登记")
    assert "尚未公布" in str(exc.value)
    _published(s)
    with clock.frozen(at(dt.date(2027, 2, 26))), pytest.raises(DomainError) as exc:
        roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="王五", text="我应当登记")
    assert exc.value.code == "out_of_time" and "5日内提出" in str(exc.value)
    with clock.frozen(at(dt.date(2027, 2, 24))):
        o = roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="王五", text="李梅已迁出，不应登记",
                                  about=s.c.neighbour)
    with clock.frozen(at(dt.date(2027, 2, 28))), pytest.raises(DomainError) as exc:  # raised 24th + 3 = 27th
        roll.objection_answer(actor=s.c.admin, objection=o, outcome=Objection.Outcome.REJECTED, answer="经核实仍在住")
    assert "3日内作出处理决定" in str(exc.value) and "2027年02月27日" in str(exc.value)
    with clock.frozen(at(dt.date(2027, 2, 27))):
        roll.objection_answer(actor=s.c.admin, objection=o, outcome=Objection.Outcome.UPHELD, answer="经核实已迁出")
        with pytest.raises(DomainError) as exc:
            roll.objection_answer(actor=s.c.admin, objection=o, outcome=Objection.Outcome.UPHELD, answer="再答")
        assert "已答复" in str(exc.value)
    o.refresh_from_db()
    assert o.outcome == "upheld" and o.answered_at == at(dt.date(2027, 2, 27))
    entry = Voter.objects.get(resident=s.c.neighbour)  # corrected in the same transaction, after the window
    assert entry.removed_at == at(dt.date(2027, 2, 27)) and entry.removed_reason == "异议成立：经核实已迁出"


def test_an_upheld_objection_adds_the_missing_voter_or_nothing_at_all(s):
    settled = add_resident(s.c.household_b, "钱八", dt.date(1975, 7, 7), floating=True, moved_in=dt.date(2025, 6, 1))
    _published(s)
    with clock.frozen(at(dt.date(2027, 2, 21))):
        o = roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="钱八", text="本人在村居住多年",
                                  about=settled)
        bad = roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="王五", text="我应当登记",
                                    about=s.c.resident_b)
        loose = roll.objection_record(actor=s.c.admin, election=s.e1, raised_by_name="某人", text="名单有误")
    with clock.frozen(at(dt.date(2027, 2, 23))):
        roll.objection_answer(actor=s.c.admin, objection=o, outcome=Objection.Outcome.UPHELD, answer="居住满一年")
        with pytest.raises(DomainError) as exc:  # 王五 has lived here a month: the correction is refused, so is all
            roll.objection_answer(actor=s.c.admin, objection=bad, outcome=Objection.Outcome.UPHELD, answer="同意")
        assert "不满1年" in str(exc.value)
        with pytest.raises(DomainError) as exc:
            roll.objection_answer(actor=s.c.admin, objection=loose, outcome=Objection.Outcome.UPHELD, answer="同意")
        assert "about" in exc.value.fields
        roll.objection_answer(actor=s.c.admin, objection=loose, outcome=Objection.Outcome.REJECTED, answer="无误")
    assert Voter.objects.get(resident=settled).basis == Basis.RESIDENT
    bad.refresh_from_db()
    assert bad.answered_at is None and not Voter.objects.filter(resident=s.c.resident_b).exists()


# ---- the resident's own page --------------------------------------------------------------------------------

def test_a_resident_sees_only_their_own_entry_and_objects_on_the_phone(s):
    zhang = client_for(s.c.resident_user)
    with clock.frozen(FEB):
        roll.roll_generate_all(actor=s.c.admin, round=s.round)
        page = zhang.get(reverse("elections:mine")).content.decode()
        assert "尚未公布" in page and "330421112201-" not in page
    _published_day = at(dt.date(2027, 2, 20))
    with clock.frozen(_published_day):
        roll.roll_publish(actor=s.c.admin, election=s.e1)
        roll.roll_publish(actor=s.c.admin, election=s.e2)
        mine = Voter.objects.get(resident=s.c.resident)
        neighbour = Voter.objects.get(resident=s.c.neighbour)
        page = zhang.get(reverse("elections:mine")).content.decode()
        assert mine.number in page and neighbour.number not in page and "李梅" not in page
        assert "新联村村委会大礼堂" in page and "2027-02-25" in page
        other = resident_user(s.c.resident_c)
        page = client_for(other).get(reverse("elections:mine")).content.decode()
        assert "洋桥村" in page and mine.number not in page and "张三" not in page
        wang = resident_user(s.c.resident_b)  # lives in 新联村 without hukou: not on it, and told how to object
        page = client_for(wang).get(reverse("elections:mine")).content.decode()
        assert "不在本村（社区）选民名单上" in page
        resp = client_for(wang).post(reverse("elections:mine"), {"text": "", "about_me": "on"})
        assert resp.status_code == 400 and "请填写异议内容" in resp.content.decode()
        resp = client_for(wang).post(reverse("elections:mine"), {"text": "我在村里住了很多年", "about_me": "on"})
        assert resp.status_code == 302
    o = Objection.objects.get()
    assert o.raised_by == s.c.resident_b and o.about == s.c.resident_b and o.election == s.e1
    with clock.frozen(at(dt.date(2027, 2, 26))):
        resp = client_for(wang).post(reverse("elections:mine"), {"text": "再提", "about_me": "on"})
        assert resp.status_code == 400 and "5日内提出" in resp.content.decode()
    assert Objection.objects.count() == 1


def test_the_roll_pages_for_the_desk(s):
    admin = client_for(s.c.admin)
    with clock.frozen(FEB):
        assert admin.post(reverse("elections:roll_generate", args=[s.e1.pk])).status_code == 302
        page = admin.get(reverse("elections:roll", args=[s.e1.pk]), {"area": s.c.mg_a1.code}).content.decode()
        assert "张三" in page and "李梅" in page and s.c.resident.id_number_masked not in page
        resp = admin.post(reverse("elections:voter_admit", args=[s.e1.pk]),
                          {"id_number": "", "basis": "resident", "reason": ""})
        assert resp.status_code == 400
        text = resp.content.decode()
        assert "请填写居民身份证号" in text and "请填写登记说明" in text
        from shanzhi.lib.testing import ID_B

        resp = admin.post(reverse("elections:voter_admit", args=[s.e1.pk]),
                          {"id_number": ID_B, "basis": "resident", "reason": "本人申请"})
        assert resp.status_code == 400 and "不满1年" in resp.content.decode()
        v = Voter.objects.get(resident=s.c.neighbour)
        resp = admin.post(reverse("elections:voter_remove", args=[v.pk]), {"reason": "死亡"})
        assert resp.status_code == 302
        page = admin.get(reverse("elections:roll", args=[s.e1.pk]), {"status": "removed"}).content.decode()
        assert "死亡" in page
    with clock.frozen(at(ROLL_BY + dt.timedelta(days=1))):
        resp = admin.post(reverse("elections:roll_publish", args=[s.e1.pk]))
        assert resp.status_code == 400 and "20日以前公布" in resp.content.decode()
    with clock.frozen(at(dt.date(2027, 2, 20))):
        assert admin.post(reverse("elections:roll_publish", args=[s.e1.pk])).status_code == 302
        resp = admin.post(reverse("elections:objections", args=[s.e1.pk]),
                          {"raised_by_name": "王五", "text": "", "id_number": ""})
        assert resp.status_code == 400 and "请填写异议内容" in resp.content.decode()
        resp = admin.post(reverse("elections:objections", args=[s.e1.pk]),
                          {"raised_by_name": "王五", "text": "名单有误", "id_number": ""})
        assert resp.status_code == 302
        o = Objection.objects.get()
        page = admin.get(reverse("elections:objections", args=[s.e1.pk])).content.decode()
        assert "名单有误" in page and "2027-02-23" in page  # answer due
        resp = admin.post(reverse("elections:objection_answer", args=[o.pk]), {"outcome": "upheld", "answer": "同意"})
        assert resp.status_code == 400 and "请指明需要更正的居民" in resp.content.decode()
        resp = admin.post(reverse("elections:objection_answer", args=[o.pk]), {"outcome": "rejected", "answer": "无误"})
        assert resp.status_code == 302
    worker_b = client_for(s.c.worker_b)
    for url in (reverse("elections:voter_remove", args=[v.pk]), reverse("elections:objection_answer", args=[o.pk])):
        assert worker_b.get(url).status_code == 404 and worker_b.post(url, {"reason": "x"}).status_code == 404
    assert services_setup.LEFT_FOR_CANDIDACY == "被提名为候选人"
