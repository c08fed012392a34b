"""Export households and residents in the import format (one row per active resident).

The file imports again unchanged: the same Chinese headers, labels for choices, care-tag names.
Exporting full ID numbers and phones decrypts them, so it needs the people.import role (the
posts that may load the registry in bulk may take it out in bulk) and is audited; a masked
export needs only people.view and is audited too.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import crypto
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import OrgUnit
from shanzhi.people import selectors
from shanzhi.people.models import Registration, Relation, Resident, ResidentStatus

HEADER = ["户号", "微网格编码", "地址", "户籍类型", "纬度", "经度", "姓名", "身份证号", "与户主关系", "人口类型",
          "联系电话", "关爱标签"]
# Excel must keep these exactly as typed: digits, leading zeros, and coordinates to the last digit
# (openpyxl writes floats with 16 significant digits, which does not always read back the same).
TEXT_COLUMNS = {"户号", "微网格编码", "身份证号", "联系电话", "纬度", "经度"}
WIDTHS = {"户号": 16, "微网格编码": 22, "地址": 30, "身份证号": 22, "联系电话": 14, "关爱标签": 20}
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FIELDS = ("id", "household__number", "household__micro_grid__code", "household__address",
           "household__registration", "household__lat", "household__lon", "name", "id_number_enc",
           "id_number_masked", "relation", "residence", "phone_enc", "phone_masked")


@dataclass
class Export:
    """The exported file with what it holds."""

    content: bytes
    fmt: str
    residents: int
    households: int
    filename: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]


def _resolve_unit(actor, unit: OrgUnit | str | None) -> OrgUnit | None:
    """The unit to export, in the actor's registry scope (out of scope answers like missing)."""
    if unit is None:
        return None
    code = unit.code if isinstance(unit, OrgUnit) else str(unit).strip()
    if actor is not None:
        return org_selectors.orgunit_get_for(user=actor, code=code, action="people.view")
    found = OrgUnit.objects.filter(code=code).first()
    if found is None:
        raise NotFound("未找到该单位")
    return found


def residents_for_export(*, actor, unit: OrgUnit | None, masked: bool) -> QuerySet[Resident]:
    """Active residents of active households in scope, heads first within each household."""
    if actor is None:
        qs = Resident.objects.filter(status=ResidentStatus.ACTIVE, household__isnull=False)
        if unit is not None:
            qs = qs.filter(unit.subtree_q("household__micro_grid"))
    else:
        action = "people.view" if masked else "people.import"
        if not scopes.may_somewhere(actor, action):
            if masked:
                raise PermissionDenied("您的岗位无权导出人口数据")
            raise PermissionDenied("您的岗位无权导出完整的身份证号和手机号，可选择脱敏导出")
        qs = selectors.resident_list_for(user=actor, unit=unit, action=action)
    head_first = Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.filter(household__is_active=True).annotate(head_first=head_first).order_by(
        "household__number", "head_first", "id")


def _tag_names(qs: QuerySet[Resident]) -> dict[int, list[str]]:
    through = Resident.tags.through
    names: dict[int, list[str]] = defaultdict(list)
    links = through.objects.filter(resident_id__in=qs.order_by().values("pk")).order_by("resident_id", "caretag_id")
    for resident_id, name in links.values_list("resident_id", "caretag__name"):
        names[resident_id].append(name)
    return names


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


def export_rows(qs: QuerySet[Resident], *, masked: bool) -> Iterator[list]:
    """Rows in HEADER order; decrypts ID and phone unless masked. Cost: two queries, streamed."""
    registration = dict(Registration.choices)
    relation = dict(Relation.choices)
    tags = _tag_names(qs)
    for row in qs.values_list(*_FIELDS).iterator(chunk_size=2000):
        (pk, number, code, address, reg, lat, lon, name, id_enc, id_masked, rel, residence, phone_enc,
         phone_masked) = row
        if masked:
            id_number, phone = id_masked, phone_masked
        else:
            id_number, phone = crypto.decrypt(id_enc), crypto.decrypt(phone_enc)
        yield [number, code, address, registration.get(reg, reg), _number(lat), _number(lon), name, id_number,
               relation.get(rel, rel), registration.get(residence, residence), phone, "、".join(tags.get(pk, []))]


class _Counter:
    """Counts residents and households while rows stream through (rows come grouped by household)."""

    def __init__(self, rows: Iterator[list]):
        self.rows, self.residents, self.households, self._last = rows, 0, 0, None

    def __iter__(self) -> Iterator[list]:
        for row in self.rows:
            self.residents += 1
            if row[0] != self._last:
                self.households, self._last = self.households + 1, row[0]
            yield row


def _csv_bytes(rows: Iterator[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def _xlsx_bytes(rows: Iterator[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    for i, title in enumerate(HEADER, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = WIDTHS.get(title, 10)
    sheet.append(HEADER)
    text_at = [i for i, title in enumerate(HEADER) if title in TEXT_COLUMNS]
    for values in rows:
        cells: list = list(values)
        for i in text_at:
            cell = WriteOnlyCell(sheet, value=values[i])
            cell.number_format = "@"  # text: Excel keeps all 18 digits and leading zeros
            cells[i] = cell
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_people_file(*, actor, unit: OrgUnit | str | None = None, fmt: str = "csv",
                       masked: bool = False) -> Export:
    """Export active residents in scope as CSV (UTF-8 with BOM) or XLSX; audited in one transaction.

    actor None is the operator (whole county). Out-of-scope or unknown unit: NotFound.
    """
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in FORMATS:
        raise DomainError(f"不支持的导出格式“{fmt}”（csv 或 xlsx）", fields={"fmt": ["csv 或 xlsx"]})
    found = _resolve_unit(actor, unit)
    with transaction.atomic():
        qs = residents_for_export(actor=actor, unit=found, masked=masked)
        counter = _Counter(export_rows(qs, masked=masked))
        content = _csv_bytes(iter(counter)) if fmt == "csv" else _xlsx_bytes(iter(counter))
        action = "people.export.masked" if masked else "people.export"
        scope = f"{found.name}（{found.code}）" if found else "全部"
        audit_record(actor=actor, action=action, object_type="people.resident", object_id="*",
                     object_repr=f"导出{scope}{counter.households}户{counter.residents}人",
                     unit_path=found.path if found else "",
                     after={"residents": counter.residents, "households": counter.households,
                            "unit": found.code if found else "", "format": fmt, "masked": masked})
    stem = f"居民_{found.code}" if found else "居民"
    return Export(content=content, fmt=fmt, residents=counter.residents, households=counter.households,
                  filename=f"{stem}{'_脱敏' if masked else ''}.{fmt}")


def export_people(*, actor, unit: OrgUnit | str | None = None, fmt: str = "csv", masked: bool = False) -> bytes:
    """Export active residents in scope as file bytes (see export_people_file)."""
    return export_people_file(actor=actor, unit=unit, fmt=fmt, masked=masked).content
