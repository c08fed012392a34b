"""Exporting households and residents: round trip, audit, masking, scopes, the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.codes import make_id_number
from shanzhi.lib.errors import NotFound, PermissionDenied
from shanzhi.lib.testing import ID_B, ID_C, ID_NEIGHBOUR, ID_RESIDENT
from shanzhi.org.models import OrgUnit
from shanzhi.org.services import rollups_refresh
from shanzhi.people.exporting import HEADER, export_people, export_people_file
from shanzhi.people.importing import import_people
from shanzhi.people.models import CentralHousehold, Household, Residency, Resident, ResidentStatus
from shanzhi.people.services import resident_create, resident_end

FIXTURES = Path(__file__).parent / "fixtures"
ALL_IDS = (ID_RESIDENT, ID_NEIGHBOUR, ID_B, ID_C)


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must carry a BOM so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def snapshot() -> tuple[set, set]:
    """Households and active residents as comparable tuples (plain ID and phone)."""
    households = set(Household.objects.filter(is_active=True).values_list(
        "number", "micro_grid__code", "address", "registration", "lat", "lon"))
    residents = set()
    for r in Resident.objects.filter(status=ResidentStatus.ACTIVE).select_related("household"):
        residents.add((r.household.number, r.name, r.sex, r.birth_date, r.id_number_plain(), r.phone_plain(),
                       r.relation, r.residence, tuple(sorted(r.tags.values_list("code", flat=True)))))
    return households, residents


def empty_registry() -> None:
    """Remove every household and resident, as in a fresh database (the grid and users stay)."""
    from shanzhi.accounts.models import User

    User.objects.filter(resident__isnull=False).update(resident=None)
    CentralHousehold.objects.all().delete()
    Resident.tags.through.objects.all().delete()
    Residency.objects.all().delete()
    Resident.objects.all().delete()
    Household.objects.all().delete()
    rollups_refresh()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_registry_gives_the_same_people(county, tmp_path, fmt):
    import_people(actor=None, path_or_file=FIXTURES / "people_sample.csv")
    before = snapshot()
    content = export_people(actor=None, fmt=fmt, masked=False)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(content)
    empty_registry()
    assert not Resident.objects.exists()
    report = import_people(actor=None, path_or_file=path)
    assert report.ok, [str(e) for e in report.errors]
    assert snapshot() == before
    assert OrgUnit.objects.get(code=county.county.code).resident_count == len(before[1])


def test_the_csv_has_the_import_header_and_heads_first(county):
    rows = rows_of(export_people(actor=None, unit=county.household_a.micro_grid.code))
    assert rows[0] == HEADER
    assert [r[6] for r in rows[1:]] == ["张三", "李梅"]
    head = rows[1]
    assert head[:4] == ["H-A1-001", county.mg_a1.code, "新联村一组1号", "户籍"]
    assert head[7:] == [ID_RESIDENT, "户主", "户籍", "13800000001", "党员"]


def test_residents_who_left_are_not_exported(county):
    resident_end(actor=None, resident=county.neighbour, status=ResidentStatus.MOVED_OUT)
    names = [r[6] for r in rows_of(export_people(actor=None))[1:]]
    assert "李梅" not in names and "张三" in names


def test_a_full_export_is_audited_with_count_and_unit(county):
    export = export_people_file(actor=county.admin, unit=county.village.code, fmt="csv")
    assert (export.households, export.residents) == (2, 3)
    entry = AuditEntry.objects.get(action="people.export")
    assert entry.actor == county.admin
    assert entry.after == {"residents": 3, "households": 2, "unit": county.village.code, "format": "csv",
                           "masked": False}
    assert entry.unit_path == county.village.path


def test_a_masked_export_contains_no_full_id_numbers_or_phones(county):
    content = export_people(actor=county.admin, fmt="csv", masked=True)
    text = content.decode("utf-8-sig")
    for id_number in ALL_IDS:
        assert id_number not in text
    assert "13800000001" not in text
    assert "330421********123X" in text and "138****0001" in text
    assert AuditEntry.objects.filter(action="people.export.masked", actor=county.admin).exists()


def test_the_xlsx_keeps_id_numbers_and_phones_as_text(county):
    book = openpyxl.load_workbook(io.BytesIO(export_people(actor=None, fmt="xlsx")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    first = sheet[2]
    id_cell, phone_cell, code_cell = first[7], first[10], first[1]
    assert id_cell.value in ALL_IDS and id_cell.data_type == "s" and id_cell.number_format == "@"
    assert code_cell.data_type == "s" and code_cell.number_format == "@"
    assert phone_cell.number_format == "@"


def test_a_grid_worker_exports_only_their_grid_masked_and_not_in_full(county):
    rows = rows_of(export_people(actor=county.worker_a, masked=True))
    assert {r[0] for r in rows[1:]} == {"H-A1-001"}
    with pytest.raises(PermissionDenied, match="脱敏"):
        export_people(actor=county.worker_a, masked=False)
    assert not AuditEntry.objects.filter(action="people.export").exists()


def test_town_staff_export_their_town_and_not_another(county):
    rows = rows_of(export_people(actor=county.town_staff))
    assert {r[0] for r in rows[1:]} == {"H-A1-001", "H-B1-001"}
    assert ID_B in {r[7] for r in rows[1:]}
    with pytest.raises(NotFound):
        export_people(actor=county.town_staff, unit=county.town2.code)
    with pytest.raises(NotFound):
        export_people(actor=county.worker_b, unit=county.grid_a, masked=True)


def test_a_resident_account_may_not_export(county):
    with pytest.raises(PermissionDenied):
        export_people(actor=county.resident_user, masked=True)


def test_an_export_of_many_residents_keeps_households_together(county):
    for n in range(5):
        resident_create(actor=None, household=county.household_c, name=f"家人{n}", relation="child",
                        id_number=make_id_number("330421", dt.date(2001, 1, 1 + n), n, "F"))
    export = export_people_file(actor=None, unit=county.town2)
    assert (export.households, export.residents) == (1, 6)
    assert export.filename == f"居民_{county.town2.code}.csv"


# ------------------------------------------------------------------------------------------- the command


def test_the_export_command_writes_csv_and_xlsx(county, tmp_path):
    out = io.StringIO()
    call_command("export_people", str(tmp_path / "all.csv"), stdout=out)
    assert "已导出3户、4人到" in out.getvalue()
    assert rows_of((tmp_path / "all.csv").read_bytes())[0] == HEADER
    out = io.StringIO()
    call_command("export_people", str(tmp_path / "a.xlsx"), "--unit", county.grid_a.code, "--as", "admin",
                 "--masked", stdout=out)
    assert "已导出1户、2人（脱敏）" in out.getvalue()
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").worksheets[0]
    assert sheet.max_row == 3 and "*" in sheet["H2"].value


def test_the_export_command_refuses_with_exit_two(county, tmp_path):
    with pytest.raises(CommandError, match=r"\.csv 或 \.xlsx") as exc:
        call_command("export_people", str(tmp_path / "out.txt"), stdout=io.StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="无权导出完整") as exc:
        call_command("export_people", str(tmp_path / "out.csv"), "--as", "worker_a", stdout=io.StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="未找到该单位"):
        call_command("export_people", str(tmp_path / "out.csv"), "--unit", "999", stdout=io.StringIO())
    assert not (tmp_path / "out.csv").exists()
