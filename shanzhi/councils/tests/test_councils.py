"""Council types, councils per unit, the council pages and who sees them.

`setting` (used by the other council test files too) gives the small county a residents' council in each
village, a village cadre of 新联村, and phone accounts for 李梅 (A1), 王五 (grid B) and 赵六 (洋桥村)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.councils import defaults, services
from shanzhi.councils.models import Council, CouncilType
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

MONDAY = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 30))


def resident_user(resident) -> User:
    return User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                               resident=resident)


def build_setting(county) -> SimpleNamespace:
    c = county
    defaults.ensure_types()  # a transactional test before may have flushed the data migration's rows
    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部老陈",
                              check_strength=False)
    post_appoint(actor=None, unit=c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=dt.date(2024, 1, 1))
    residents_type = CouncilType.objects.get(code="residents")
    council = services.council_create(actor=c.town_staff, type=residents_type, unit=c.village)
    council2 = services.council_create(actor=None, type=residents_type, unit=c.village2)
    return SimpleNamespace(
        c=c, cadre=cadre, type=residents_type, council=council, council2=council2,
        zhang=c.resident_user, li=resident_user(c.neighbour), wang=resident_user(c.resident_b),
        zhao=resident_user(c.resident_c))


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# ---- types ---------------------------------------------------------------------------------------

def test_the_five_default_types_exist_with_their_rules(db):
    types = {t.code: t for t in CouncilType.objects.all()}
    assert set(types) >= {"residents", "worthies", "legal", "moral", "service"}
    service = types.pop("service")
    assert service.name == "百事服务团" and service.levels == ["village", "town"]
    assert types["residents"].name == "百姓议事会" and types["residents"].supports_needed == 10
    assert types["residents"].raisers == "residents" and types["residents"].public_meetings
    assert types["moral"].majority == CouncilType.Majority.TWO_THIRDS_PRESENT
    assert types["worthies"].majority == CouncilType.Majority.HALF_PRESENT
    assert all(t.levels == ["village"] and t.quorum_percent == 50 for t in types.values())


def test_ensure_types_adds_only_what_is_missing_and_keeps_edits(db):
    CouncilType.objects.filter(code="residents").update(supports_needed=25)
    CouncilType.objects.filter(code="legal").delete()
    assert defaults.ensure_types() == 1
    assert defaults.ensure_types() == 0
    assert CouncilType.objects.get(code="residents").supports_needed == 25
    assert CouncilType.objects.get(code="legal").name == "法律服务团"


# ---- councils ------------------------------------------------------------------------------------

def test_a_town_cadre_sets_up_a_village_council_once(setting):
    s = setting
    assert s.council.name == "新联村百姓议事会" and s.council.unit == s.c.village
    assert AuditEntry.objects.filter(action="councils.council_create", object_id=str(s.council.pk)).exists()
    with pytest.raises(DomainError) as exc:
        services.council_create(actor=s.c.town_staff, type=s.type, unit=s.c.village)
    assert "type" in exc.value.fields


def test_a_council_only_at_a_level_its_type_allows(setting):
    s = setting
    with pytest.raises(DomainError) as exc:
        services.council_create(actor=s.c.town_staff, type=s.type, unit=s.c.grid_a)
    assert "unit" in exc.value.fields and not Council.objects.filter(unit=s.c.grid_a).exists()


def test_who_may_not_set_up_a_council(setting):
    s = setting
    worthies = CouncilType.objects.get(code="worthies")
    with pytest.raises(NotFound):  # grid A's worker does not see the village as a council's place
        services.council_create(actor=s.c.worker_a, type=worthies, unit=s.c.village)
    with pytest.raises(NotFound):  # the other town's worker sees nothing of it
        services.council_create(actor=s.c.worker_c, type=worthies, unit=s.c.village)
    with pytest.raises(NotFound):
        services.council_create(actor=s.zhang, type=worthies, unit=s.c.village)
    assert services.council_create(actor=s.cadre, type=worthies, unit=s.c.village).unit == s.c.village


def test_the_create_page_names_the_wrong_fields(setting):
    client = client_for(setting.c.town_staff)
    resp = client.post(reverse("councils:council_create"), {"type": "999", "unit": ""})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "请选择类型" in body and "请填写设立单位编码" in body
    resp = client.post(reverse("councils:council_create"), {"type": setting.type.pk, "unit": setting.c.village.code})
    assert resp.status_code == 400 and "已有百姓议事会" in resp.content.decode()
    resp = client.post(reverse("councils:council_create"), {"type": setting.type.pk, "unit": setting.c.village2.code})
    assert resp.status_code == 400 and "未找到该单位，或不在您的范围" in resp.content.decode()
    moral = CouncilType.objects.get(code="moral")
    resp = client.post(reverse("councils:council_create"), {"type": moral.pk, "unit": setting.c.village.code,
                                                            "founded_on": "2026-13-40"})
    assert resp.status_code == 400 and "成立日期" in resp.content.decode()
    resp = client.post(reverse("councils:council_create"), {"type": moral.pk, "unit": setting.c.village.code})
    council = Council.objects.get(type=moral, unit=setting.c.village)
    assert resp.status_code == 302 and resp["Location"] == reverse("councils:council_detail", args=[council.pk])


def test_the_create_page_is_not_there_for_a_grid_worker(setting):
    assert client_for(setting.c.worker_a).get(reverse("councils:council_create")).status_code == 404


# ---- who sees which council ----------------------------------------------------------------------

def test_a_resident_sees_their_own_villages_councils_only(setting):
    s = setting
    body = client_for(s.zhang).get(reverse("councils:index")).content.decode()
    assert "新联村百姓议事会" in body and "洋桥村百姓议事会" not in body
    assert client_for(s.zhang).get(reverse("councils:council_detail", args=[s.council.pk])).status_code == 200
    assert client_for(s.zhang).get(reverse("councils:council_detail", args=[s.council2.pk])).status_code == 404
    assert client_for(s.zhao).get(reverse("councils:council_detail", args=[s.council.pk])).status_code == 404


def test_staff_see_councils_in_their_scope_only(setting):
    s = setting
    url = reverse("councils:council_detail", args=[s.council.pk])
    assert client_for(s.c.town_staff).get(url).status_code == 200
    assert client_for(s.c.admin).get(url).status_code == 200
    # grid workers see their grid, not the village's councils; the other town's worker nothing
    for user in (s.c.worker_b, s.c.worker_c):
        assert client_for(user).get(url).status_code == 404
        assert "新联村百姓议事会" not in client_for(user).get(reverse("councils:index")).content.decode()
    missing = reverse("councils:council_detail", args=[987654])
    assert client_for(s.c.worker_b).get(missing).status_code == 404


def test_the_index_filters_by_type(setting):
    s = setting
    services.council_create(actor=s.cadre, type=CouncilType.objects.get(code="moral"), unit=s.c.village)
    body = client_for(s.c.admin).get(reverse("councils:index"), {"type": "moral"}).content.decode()
    assert "新联村道德评判团" in body and "新联村百姓议事会" not in body


def test_anonymous_visitors_are_sent_to_log_in(setting):
    resp = Client().get(reverse("councils:council_detail", args=[setting.council.pk]))
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_the_navigation_shows_councils(setting):
    link = f'href="{reverse("councils:index")}"'
    for user in (setting.zhang, setting.c.town_staff):
        body = client_for(user).get(reverse("cases:inbox")).content.decode()
        assert link in body
