"""Registry services: validation, history, central households, reveal, scopes both ways."""

import datetime as dt

import pytest

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.codes import make_id_number
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.models import OrgUnit
from shanzhi.people import services as svc
from shanzhi.people.models import (
    CentralHousehold,
    Household,
    Registration,
    Residency,
    Resident,
    ResidentStatus,
)
from shanzhi.people.selectors import resident_list_for


def new_id(n: int, sex: str = "M") -> str:
    return make_id_number("330421", dt.date(1980, 1, 1) + dt.timedelta(days=n), n, sex)


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def test_grid_worker_registers_a_household_and_counts_roll_up(county):
    h = svc.household_create(actor=county.worker_a, number="H-NEW", micro_grid=county.mg_a2, address="二组9号",
                             registration=Registration.FLOATING)
    svc.resident_create(actor=county.worker_a, household=h, name="钱七", id_number=new_id(1),
                        residence=Registration.FLOATING, relation="head")
    assert unit(county.grid_a.code).household_count == 2
    assert unit(county.village.code).resident_count == 4
    assert unit(county.village.code).floating_count == 2
    assert AuditEntry.objects.filter(action="people.resident.create", actor=county.worker_a).count() == 1


def test_grid_worker_b_cannot_register_in_grid_a(county):
    with pytest.raises(NotFound):
        svc.household_create(actor=county.worker_b, number="H-X", micro_grid=county.mg_a1, address="x",
                             registration=Registration.REGISTERED)
    assert not Household.objects.filter(number="H-X").exists()


def test_household_must_sit_in_a_micro_grid(county):
    with pytest.raises(DomainError, match="微网格"):
        svc.household_create(actor=county.admin, number="H-G", micro_grid=county.grid_a, address="x",
                             registration=Registration.REGISTERED)


def test_bad_person_fields_are_all_reported(county):
    with pytest.raises(DomainError) as err:
        svc.resident_create(actor=county.admin, household=county.household_a, name="", id_number="123",
                            phone="999")
    assert set(err.value.fields) == {"name", "id_number", "phone"}
    assert "身份证号应为18位" in str(err.value)


def test_a_registered_id_number_cannot_be_registered_again(county):
    with pytest.raises(DomainError, match="已登记"):
        svc.resident_create(actor=county.admin, household=county.household_b, name="冒名",
                            id_number=county.resident.id_number_plain())
    assert Resident.objects.filter(name="冒名").count() == 0


def test_moving_keeps_history_and_moves_counts(county):
    svc.resident_move(actor=county.town_staff, resident=county.neighbour, to_household=county.household_b)
    stays = list(Residency.objects.filter(resident=county.neighbour).order_by("id"))
    assert [s.household_id for s in stays] == [county.household_a.pk, county.household_b.pk]
    assert stays[0].moved_out == stays[1].moved_in
    assert unit(county.grid_a.code).resident_count == 1
    assert unit(county.grid_b.code).resident_count == 2


def test_a_move_cannot_predate_the_current_stay(county):
    with pytest.raises(DomainError, match="早于本次入住"):
        svc.resident_move(actor=county.admin, resident=county.neighbour, to_household=county.household_b,
                          day=dt.date(2000, 1, 1))


def test_a_grid_worker_cannot_move_someone_into_another_grid(county):
    # the household moved to is a target: refused as a field error, the same as a missing household
    with pytest.raises(DomainError) as exc:
        svc.resident_move(actor=county.worker_a, resident=county.neighbour, to_household=county.household_b)
    assert exc.value.status == 400 and exc.value.fields == {"household": ["未找到该户"]}
    county.neighbour.refresh_from_db()
    assert county.neighbour.household_id == county.household_a.pk


def test_death_is_recorded_not_deleted(county):
    svc.resident_end(actor=county.worker_a, resident=county.neighbour, status=ResidentStatus.DECEASED)
    county.neighbour.refresh_from_db()
    assert county.neighbour.status == ResidentStatus.DECEASED
    assert "李梅" not in set(resident_list_for(user=county.worker_a).values_list("name", flat=True))
    assert resident_list_for(user=county.worker_a, include_inactive=True).filter(name="李梅").exists()
    with pytest.raises(DomainError, match="已是"):
        svc.resident_end(actor=county.worker_a, resident=county.neighbour, status=ResidentStatus.MOVED_OUT)


def test_reveal_needs_a_reason_and_is_audited(county):
    with pytest.raises(DomainError, match="事由"):
        svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="id_number", reason="")
    value = svc.resident_reveal(actor=county.worker_a, resident=county.resident, field="id_number",
                                reason="核对低保材料")
    assert value == "33042119900101123X"
    entry = AuditEntry.objects.get(action="people.reveal.id_number")
    assert entry.actor == county.worker_a and entry.reason == "核对低保材料"


def test_reveal_out_of_scope_is_not_found(county):
    with pytest.raises(NotFound):
        svc.resident_reveal(actor=county.worker_b, resident=county.resident, field="phone", reason="查看")
    (refused,) = AuditEntry.objects.filter(action__startswith="people.reveal")  # refused, and audited
    assert refused.action == "people.reveal.refused" and refused.actor == county.worker_b


def test_a_micro_grid_head_may_see_but_not_reveal(county):
    from shanzhi.org.services import post_appoint

    post_appoint(actor=county.admin, unit=county.mg_a1, role="microgrid_head", resident=county.resident,
                 start_date=dt.date(2025, 1, 1))
    assert resident_list_for(user=county.resident_user).filter(name="李梅").exists()
    with pytest.raises(PermissionDenied):
        svc.resident_reveal(actor=county.resident_user, resident=county.neighbour, field="phone", reason="联系")


def _households(county, n: int, mg) -> list[Household]:
    return [svc.household_create(actor=county.admin, number=f"H-{mg.code[-3:]}-{i}", micro_grid=mg,
                                 address=f"{i}号", registration=Registration.REGISTERED) for i in range(n)]


def test_a_central_household_links_up_to_ten_in_its_micro_grid(county):
    ch = svc.central_household_create(actor=county.worker_a, household=county.household_a, leader=county.resident)
    hs = _households(county, 11, county.mg_a1)
    assert svc.central_household_link(actor=county.worker_a, central=ch, households=hs[:10]) == 10
    with pytest.raises(DomainError, match="上限"):
        svc.central_household_link(actor=county.worker_a, central=ch, households=hs[10:])
    other = _households(county, 1, county.mg_a2)
    with pytest.raises(DomainError, match="同一微网格"):
        svc.central_household_link(actor=county.worker_a, central=CentralHousehold.objects.get(), households=other)


def test_only_a_party_member_leads_a_central_household(county):
    with pytest.raises(DomainError, match="党员"):
        svc.central_household_create(actor=county.admin, household=county.household_a, leader=county.neighbour)


def test_cadres_register_with_the_village_they_live_in(county):
    reg = svc.cadre_register(actor=county.worker_a, resident=county.resident, village=county.village,
                             kind="party_member")
    assert reg.village == county.village
    with pytest.raises(DomainError, match="已在"):
        svc.cadre_register(actor=county.worker_a, resident=county.resident, village=county.village,
                           kind="party_member")
    with pytest.raises(DomainError, match="居住地"):
        svc.cadre_register(actor=county.admin, resident=county.resident, village=county.village2, kind="cadre")
    with pytest.raises(NotFound):
        svc.cadre_register(actor=county.worker_b, resident=county.resident, village=county.village, kind="cadre")


def test_search_by_exact_id_number_and_phone(county):
    assert list(resident_list_for(user=county.admin, q="33042119900101123x")) == [county.resident]
    assert list(resident_list_for(user=county.admin, q="138-0000-0003")) == [county.resident_b]
    assert list(resident_list_for(user=county.worker_a, q="138-0000-0003")) == []
