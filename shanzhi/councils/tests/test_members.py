"""Members of a council: residents of its village or staff users as the type says, terms ended with a reason,
history kept, officers running their own council."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.councils import access, services
from shanzhi.councils.models import CouncilType, Member, Position
from shanzhi.councils.tests.test_councils import MONDAY, build_setting, client_for
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import ID_C, ID_RESIDENT, PASSWORD


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def test_a_resident_of_the_village_joins_and_it_is_audited(setting):
    s = setting
    m = services.member_add(actor=s.cadre, council=s.council, resident=s.c.resident, position=Position.CHAIR)
    assert m.name == "张三" and access.member_for(s.zhang, s.council) == m
    entry = AuditEntry.objects.get(action="councils.member_add", object_id=str(m.pk))
    assert entry.actor == s.cadre and entry.unit_path == s.c.village.path


def test_a_resident_of_another_village_cannot_join(setting):
    s = setting
    with pytest.raises(DomainError) as exc:
        services.member_add(actor=s.cadre, council=s.council, resident=s.c.resident_c)
    assert "resident" in exc.value.fields and not Member.objects.exists()


def test_the_types_membership_rule(setting):
    s = setting
    lawyer = user_create_staff(actor=None, username="lawyer", password=PASSWORD, display_name="王律师",
                               check_strength=False)
    with pytest.raises(DomainError) as exc:  # the residents' council takes residents only
        services.member_add(actor=s.cadre, council=s.council, user=lawyer)
    assert "user" in exc.value.fields
    legal = services.council_create(actor=s.cadre, type=CouncilType.objects.get(code="legal"), unit=s.c.village)
    with pytest.raises(DomainError) as exc:  # the legal team takes staff only
        services.member_add(actor=s.cadre, council=legal, resident=s.c.resident)
    assert "resident" in exc.value.fields
    assert services.member_add(actor=s.cadre, council=legal, user=lawyer).name == "王律师"
    with pytest.raises(DomainError):  # once at a time
        services.member_add(actor=s.cadre, council=legal, user=lawyer)


def test_only_the_councils_runners_add_members(setting):
    s = setting
    with pytest.raises(NotFound):
        services.member_add(actor=s.c.worker_b, council=s.council, resident=s.c.resident)
    with pytest.raises(NotFound):
        services.member_add(actor=s.c.worker_c, council=s.council, resident=s.c.resident)
    with pytest.raises(PermissionDenied):  # a resident of the village sees it but does not run it
        services.member_add(actor=s.li, council=s.council, resident=s.c.resident)


def test_an_officer_runs_their_own_council(setting):
    s = setting
    services.member_add(actor=s.cadre, council=s.council, resident=s.c.neighbour, position=Position.SECRETARY)
    assert access.may_run(s.li, s.council)
    m = services.member_add(actor=s.li, council=s.council, resident=s.c.resident)
    assert m.council == s.council


def test_ending_a_term_needs_a_reason_and_keeps_history(setting):
    s = setting
    m = services.member_add(actor=s.cadre, council=s.council, resident=s.c.resident,
                            started_on=dt.date(2025, 1, 1))
    with pytest.raises(DomainError) as exc:
        services.member_end(actor=s.cadre, member=m, reason="  ")
    assert "reason" in exc.value.fields
    services.member_end(actor=s.cadre, member=m, reason="搬离本村")
    m.refresh_from_db()
    assert m.ended_on == clock.today() and m.end_reason == "搬离本村"
    assert access.member_for(s.zhang, s.council) is None
    with pytest.raises(DomainError):
        services.member_end(actor=s.cadre, member=m, reason="再次")
    assert AuditEntry.objects.filter(action="councils.member_end", reason="搬离本村").exists()
    body = client_for(s.zhang).get(reverse("councils:council_detail", args=[s.council.pk])).content.decode()
    assert "往届成员" in body and "张三" in body
    # rejoining later is a new term; both stay
    services.member_add(actor=s.cadre, council=s.council, resident=s.c.resident)
    assert Member.objects.filter(resident=s.c.resident).count() == 2


def test_the_member_pages(setting):
    s = setting
    client = client_for(s.cadre)
    url = reverse("councils:member_add", args=[s.council.pk])
    resp = client.post(url, {"id_number": "123", "position": "member", "chosen_by": "elected"})
    assert resp.status_code == 400 and "身份证号" in resp.content.decode()
    resp = client.post(url, {"position": "member", "chosen_by": "elected"})
    assert resp.status_code == 400 and "请填写居民身份证号或工作人员用户名" in resp.content.decode()
    resp = client.post(url, {"id_number": ID_C, "position": "member", "chosen_by": "elected"})
    assert resp.status_code == 400 and "未找到居住在新联村的该居民" in resp.content.decode()
    resp = client.post(url, {"id_number": ID_RESIDENT, "position": "boss", "chosen_by": "elected"})
    assert resp.status_code == 400
    resp = client.post(url, {"id_number": ID_RESIDENT, "position": "chair", "chosen_by": "elected",
                             "started_on": "2026-12-07", "term_ends_on": "2026-01-01"})
    assert resp.status_code == 400 and "任期届满日期不能早于任期开始" in resp.content.decode()
    resp = client.post(url, {"id_number": ID_RESIDENT, "position": "chair", "chosen_by": "elected"})
    assert resp.status_code == 302
    member = Member.objects.get(resident=s.c.resident)
    end = reverse("councils:member_end", args=[member.pk])
    assert client_for(s.c.worker_b).post(end, {"reason": "x"}).status_code == 404
    assert client_for(s.zhao).get(end).status_code == 404
    assert client_for(s.li).post(end, {"reason": "x"}).status_code == 403
    resp = client.post(end, {"reason": ""})
    assert resp.status_code == 400 and "请填写离任原因" in resp.content.decode()
    assert client.post(end, {"reason": "任期内辞职"}).status_code == 302
    assert client_for(s.c.worker_b).get(url).status_code == 404
