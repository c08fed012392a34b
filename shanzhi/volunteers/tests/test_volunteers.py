"""Volunteers and teams: sign-up (resident by phone, staff), the village's approval or refusal, pause, resume
and leave (memberships end, history kept), teams per village and town, joining several, the leader; who may
and who may not, each way.

`build_setting` (used by the other test files of this app) gives the small county a village cadre of 新联村,
phone accounts for 张三 and 李梅 (A1), 王五 (grid B) and 赵六 (洋桥村), and 新联村's service team."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.councils import access as council_access
from shanzhi.councils.defaults import ensure_types
from shanzhi.councils.models import Member, Position
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.volunteers import access, selectors, services
from shanzhi.volunteers.models import Skill, Volunteer, VolunteerStatus

MONDAY = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 30))
WEEKDAYS = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]


def resident_user(resident) -> User:
    found = User.objects.filter(resident=resident).first()
    return found or User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT,
                                        display_name=resident.name, resident=resident)


def skill(code: str = "repair") -> Skill:
    return Skill.objects.get(code=code)


def build_setting(county) -> SimpleNamespace:
    c = county
    ensure_types()
    if not Skill.objects.exists():  # a transactional test before may have flushed the data migration's rows
        from shanzhi.volunteers.models import DEFAULT_SKILLS

        Skill.objects.bulk_create([Skill(code=k, name=n, name_en=e, sort=i) for i, (k, n, e) in enumerate(DEFAULT_SKILLS)])
    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部老陈",
                              check_strength=False)
    post_appoint(actor=None, unit=c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=dt.date(2024, 1, 1))
    cadre2 = user_create_staff(actor=None, username="cadre2", password=PASSWORD, display_name="洋桥村干部",
                               check_strength=False)
    post_appoint(actor=None, unit=c.village2, role=Role.VILLAGE_CADRE, user=cadre2, start_date=dt.date(2024, 1, 1))
    team = services.team_create(actor=cadre, unit=c.village)
    return SimpleNamespace(c=c, cadre=cadre, cadre2=cadre2, team=team, zhang=c.resident_user,
                           li=resident_user(c.neighbour), wang=resident_user(c.resident_b),
                           zhao=resident_user(c.resident_c))


def volunteer(s, user, *, skills=("repair",), approve: bool = True, availability=None, villages=()) -> Volunteer:
    v = services.volunteer_apply(actor=user, skills=[skill(k).pk for k in skills],
                                 availability=WEEKDAYS if availability is None else availability, villages=villages,
                                 intro="会修水电", village=None if user.resident_id else s.c.village)
    if approve:
        v = services.volunteer_approve(actor=s.cadre, volunteer=v)
    return v


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


# ---- sign-up ---------------------------------------------------------------------------------------

def test_a_resident_signs_up_in_their_own_village_and_it_is_audited(setting):
    s = setting
    v = services.volunteer_apply(actor=s.li, skills=[skill().pk, skill("haircut").pk], availability=WEEKDAYS[:2],
                                 intro="退休电工")
    assert v.status == VolunteerStatus.APPLIED and v.village == s.c.village and v.resident == s.c.neighbour
    assert set(v.villages.all()) == {s.c.village}
    assert AuditEntry.objects.filter(action="volunteers.volunteer_apply", object_id=str(v.pk)).exists()


def test_a_staff_member_signs_up_for_a_village_of_their_scope(setting):
    s = setting
    v = services.volunteer_apply(actor=s.c.worker_a, skills=[skill().pk], village=s.c.village)
    assert v.user == s.c.worker_a and v.village == s.c.village
    with pytest.raises(DomainError) as exc:
        services.volunteer_apply(actor=s.c.worker_c, skills=[skill().pk], village=s.c.village)
    assert "village" in exc.value.fields


@pytest.mark.parametrize("availability, message", [
    ("Monday", "格式无效"),
    ([{"weekday": 7, "start": "08:00", "end": "09:00"}], "星期无效"),
    ([{"weekday": True, "start": "08:00", "end": "09:00"}], "星期无效"),
    ([{"weekday": 1, "start": "8:00", "end": "09:00"}], "时刻无效"),
    ([{"weekday": 1, "start": "25:00", "end": "26:00"}], "时刻无效"),
    ([{"weekday": 1, "start": "10:00", "end": "09:00"}], "开始应早于结束"),
    ([{"weekday": 1, "start": "10:00", "end": "11:00"}] * 1 + [{"weekday": d % 7, "start": f"{h:02d}:00",
                                                                 "end": f"{h:02d}:30"} for d in range(7)
                                                                for h in range(8, 12)], "最多"),
])
def test_availability_is_validated_naming_the_field(setting, availability, message):
    with pytest.raises(DomainError) as exc:
        services.volunteer_apply(actor=setting.li, skills=[skill().pk], availability=availability)
    assert "availability" in exc.value.fields and message in exc.value.fields["availability"][0]
    assert not Volunteer.objects.exists()


def test_skills_and_villages_served_are_checked(setting):
    s = setting
    with pytest.raises(DomainError) as exc:
        services.volunteer_apply(actor=s.li, skills=[])
    assert "skills" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.volunteer_apply(actor=s.li, skills=[999999])
    assert "skills" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # 洋桥村 is in another town
        services.volunteer_apply(actor=s.li, skills=[skill().pk], villages=[s.c.village2.pk])
    assert "villages" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # a grid is not a village
        services.volunteer_apply(actor=s.li, skills=[skill().pk], villages=[s.c.grid_a.pk])
    assert "villages" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.volunteer_apply(actor=s.li, skills=[skill().pk], intro="长" * 201)
    assert "intro" in exc.value.fields
    assert not Volunteer.objects.exists()


def test_signing_up_twice_is_refused_but_after_leaving_one_may_apply_again(setting):
    s = setting
    v = volunteer(s, s.li, approve=False)
    with pytest.raises(DomainError) as exc:
        volunteer(s, s.li, approve=False)
    assert exc.value.code == "invalid_state"
    services.volunteer_leave(actor=s.li, volunteer=v)
    again = volunteer(s, s.li, approve=False)
    assert again.pk == v.pk and again.status == VolunteerStatus.APPLIED


def test_anonymous_and_a_plain_account_cannot_sign_up(setting):
    plain = User.objects.create(username="plain", kind=UserKind.STAFF, display_name="无岗位")
    with pytest.raises(PermissionDenied):
        services.volunteer_apply(actor=plain, skills=[skill().pk])


# ---- approval --------------------------------------------------------------------------------------

def test_the_village_approves_and_the_volunteer_joins_its_team(setting):
    s = setting
    v = volunteer(s, s.li)
    assert v.status == VolunteerStatus.ACTIVE and v.approved_by == s.cadre
    member = council_access.member_for(s.li, s.team)
    assert member is not None and member.position == Position.MEMBER
    assert AuditEntry.objects.filter(action="volunteers.volunteer_approve", actor=s.cadre).exists()
    assert AuditEntry.objects.filter(action="volunteers.team_join").exists()


def test_who_may_approve(setting):
    s = setting
    v = volunteer(s, s.li, approve=False)
    for outsider in (s.c.worker_a, s.c.worker_b, s.c.worker_c, s.cadre2, s.zhao, s.wang):  # as if missing
        with pytest.raises(NotFound):
            services.volunteer_approve(actor=outsider, volunteer=v)
    with pytest.raises(PermissionDenied):  # the volunteer sees their own record but does not approve it
        services.volunteer_approve(actor=s.li, volunteer=v)
    assert services.volunteer_approve(actor=s.c.town_staff, volunteer=v).status == VolunteerStatus.ACTIVE
    with pytest.raises(DomainError) as exc:  # approved already: the state's 400
        services.volunteer_approve(actor=s.cadre, volunteer=v)
    assert exc.value.code == "invalid_state"
    with pytest.raises(DomainError) as exc:  # the state before the role: the volunteer reads the state too
        services.volunteer_approve(actor=s.li, volunteer=v)
    assert exc.value.code == "invalid_state"


def test_the_team_leader_approves_their_villages_volunteers(setting):
    s = setting
    leader = volunteer(s, s.zhang)
    services.team_set_leader(actor=s.cadre, team=s.team, volunteer=leader)
    v = volunteer(s, s.li, approve=False)
    assert services.volunteer_approve(actor=s.zhang, volunteer=v).status == VolunteerStatus.ACTIVE


def test_refusal_needs_a_reason(setting):
    s = setting
    v = volunteer(s, s.li, approve=False)
    with pytest.raises(DomainError) as exc:
        services.volunteer_refuse(actor=s.cadre, volunteer=v, reason=" ")
    assert "reason" in exc.value.fields
    v = services.volunteer_refuse(actor=s.cadre, volunteer=v, reason="未满18周岁")
    assert v.status == VolunteerStatus.REFUSED and v.status_reason == "未满18周岁"
    assert council_access.member_for(s.li, s.team) is None


# ---- pause, resume, leave ----------------------------------------------------------------------------

def test_a_volunteer_pauses_resumes_and_leaves_and_the_membership_ends_with_history(setting):
    s = setting
    v = volunteer(s, s.li)
    v = services.volunteer_pause(actor=s.li, volunteer=v, reason="外出一个月")
    assert v.status == VolunteerStatus.PAUSED
    with pytest.raises(DomainError):
        services.volunteer_pause(actor=s.li, volunteer=v)
    v = services.volunteer_resume(actor=s.li, volunteer=v)
    assert v.status == VolunteerStatus.ACTIVE
    v = services.volunteer_leave(actor=s.li, volunteer=v, reason="搬家")
    assert v.status == VolunteerStatus.LEFT
    assert council_access.member_for(s.li, s.team) is None
    assert Member.objects.filter(council=s.team, resident=s.c.neighbour, end_reason="搬家").exists()


def test_only_the_volunteer_pauses_or_leaves(setting):
    s = setting
    v = volunteer(s, s.li)
    with pytest.raises(PermissionDenied):  # the cadre sees the record, but it is the volunteer's choice
        services.volunteer_pause(actor=s.cadre, volunteer=v)
    with pytest.raises(NotFound):
        services.volunteer_leave(actor=s.zhao, volunteer=v)
    with pytest.raises(NotFound):
        services.volunteer_pause(actor=s.c.worker_b, volunteer=v)


# ---- teams -----------------------------------------------------------------------------------------

def test_teams_per_village_and_town_and_one_volunteer_in_several(setting):
    s = setting
    v = volunteer(s, s.li)
    town_team = services.team_create(actor=s.c.town_staff, unit=s.c.town)
    services.team_join(actor=s.c.town_staff, team=town_team, volunteer=v)
    assert {m.council_id for m in selectors.teams_of(v)} == {s.team.pk, town_team.pk}
    with pytest.raises(DomainError) as exc:
        services.team_join(actor=s.c.town_staff, team=town_team, volunteer=v)
    assert "volunteer" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # one team per unit
        services.team_create(actor=s.c.town_staff, unit=s.c.town)
    assert "unit" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # not at a grid
        services.team_create(actor=s.c.town_staff, unit=s.c.grid_a)
    assert "unit" in exc.value.fields


def test_who_may_set_up_and_run_a_team(setting):
    s = setting
    with pytest.raises(NotFound):
        services.team_create(actor=s.cadre2, unit=s.c.village)
    with pytest.raises(NotFound):
        services.team_create(actor=s.c.worker_a, unit=s.c.town)
    v = volunteer(s, s.li)
    with pytest.raises(NotFound):
        services.team_set_leader(actor=s.c.worker_c, team=s.team, volunteer=v)
    with pytest.raises(PermissionDenied):  # a member sees their team but does not run it
        services.team_set_leader(actor=s.li, team=s.team, volunteer=v)


def test_joining_checks_the_volunteer_as_a_target(setting):
    s = setting
    zhao = volunteer(s, s.zhao, approve=False)
    services.volunteer_approve(actor=s.cadre2, volunteer=zhao)
    with pytest.raises(DomainError) as exc:  # serves 洋桥村, not 新联村
        services.team_join(actor=s.cadre, team=s.team, volunteer=zhao)
    assert "volunteer" in exc.value.fields
    pending = volunteer(s, s.wang, approve=False)
    with pytest.raises(DomainError) as exc:
        services.team_join(actor=s.cadre, team=s.team, volunteer=pending)
    assert "volunteer" in exc.value.fields


def test_setting_the_leader_moves_the_previous_one_back_to_member(setting):
    s = setting
    a, b = volunteer(s, s.li), volunteer(s, s.zhang)
    services.team_set_leader(actor=s.cadre, team=s.team, volunteer=a)
    assert access.is_leader(s.li, s.team)
    services.team_set_leader(actor=s.cadre, team=s.team, volunteer=b)
    assert access.is_leader(s.zhang, s.team) and not access.is_leader(s.li, s.team)
    assert council_access.member_for(s.li, s.team).position == Position.MEMBER
    assert AuditEntry.objects.filter(action="volunteers.team_leader").count() == 2
    stranger = volunteer(s, s.zhao, approve=False)
    with pytest.raises(DomainError) as exc:
        services.team_set_leader(actor=s.cadre, team=s.team, volunteer=stranger)
    assert "volunteer" in exc.value.fields


def test_leaving_a_team_by_its_runner_keeps_history(setting):
    s = setting
    v = volunteer(s, s.li)
    services.team_leave(actor=s.cadre, team=s.team, volunteer=v, reason="调整")
    assert council_access.member_for(s.li, s.team) is None
    assert Member.objects.filter(council=s.team, resident=s.c.neighbour).exists()
    with pytest.raises(DomainError) as exc:
        services.team_leave(actor=s.cadre, team=s.team, volunteer=v)
    assert "volunteer" in exc.value.fields


# ---- visibility --------------------------------------------------------------------------------------

def test_who_sees_volunteers_and_teams(setting):
    s = setting
    v = volunteer(s, s.li)
    assert selectors.volunteer_get_for(user=s.li, pk=v.pk) == v
    assert selectors.volunteer_get_for(user=s.c.town_staff, pk=v.pk) == v
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao, s.zhang, s.cadre2):
        with pytest.raises(NotFound):
            selectors.volunteer_get_for(user=outsider, pk=v.pk)
        assert v not in selectors.volunteer_list_for(user=outsider)
    assert selectors.team_get_for(user=s.li, pk=s.team.pk) == s.team  # a member
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao, s.zhang):
        with pytest.raises(NotFound):
            selectors.team_get_for(user=outsider, pk=s.team.pk)
