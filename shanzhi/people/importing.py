"""Import households and residents from CSV or XLSX files as Chinese office software exports them.

One row per resident, household columns repeated on each row; Chinese (or English) headers in any
order. Every row is validated first (IDs, micro-grid and scope, duplicates in the file and in the
database, household consistency, exactly one head); then either every good household is written
(default) or, with all_or_nothing, nothing unless the whole file is good. Writing goes through
people.bulk.registry_bulk_insert in one transaction, and the rolled-up counts follow in it.

Cost: a handful of queries per 1,000 rows (micro-grids, ID hashes and household numbers are
looked up in batches with __in), then about rows / 2,000 INSERTs per table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.lib import clock
from shanzhi.lib.crypto import lookup_hash
from shanzhi.lib.errors import DomainError, PermissionDenied
from shanzhi.org.models import Level, OrgUnit
from shanzhi.org.services import rollup_add
from shanzhi.people.bulk import HouseholdRows, registry_bulk_insert
from shanzhi.people.models import CareTag, Household, Registration, Relation, Resident
from shanzhi.people.services import clean_person

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "校验" (validating) or "写入" (writing)."""

QUERY_CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds
WRITE_CHUNK = 10_000  # residents per registry_bulk_insert call (one audit row each)
LAT_LON_KEYS = ("lat", "lon")


class ImportRefused(DomainError):
    """The whole file is refused (unreadable, missing columns, no data); nothing was written."""

    code = "import_refused"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("number", "户号", True, ("户编号", "household_number", "household")),
    Column("micro_grid", "微网格编码", True, ("微网格代码", "微网格编号", "microgrid", "micro_grid_code")),
    Column("address", "地址", True, ("住址", "家庭住址")),
    Column("registration", "户籍类型", True, ("household_registration",)),
    Column("name", "姓名", True, ()),
    Column("id_number", "身份证号", True, ("身份证号码", "公民身份号码", "id", "id_no")),
    Column("relation", "与户主关系", True, ()),
    Column("residence", "人口类型", True, ()),
    Column("phone", "联系电话", False, ("手机号", "手机号码", "电话", "mobile")),
    Column("tags", "关爱标签", False, ("标签", "care_tags")),
    Column("lat", "纬度", False, ("latitude",)),
    Column("lon", "经度", False, ("longitude", "lng")),
)
BY_KEY = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = ("micro_grid", "address", "registration", "lat", "lon")
OTHER_ROWS_BAD = "同户其他行有错误"


def _norm_header(text: Any) -> str:
    """Header cell as a lookup key: no spaces, no required-field stars, lower-case."""
    return re.sub(r"[\s*＊\ufeff\u200b]", "", str(text or "")).lower()


HEADER_LOOKUP: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.label, _c.key, *_c.aliases):
        HEADER_LOOKUP[_norm_header(_name)] = _c.key


def _choices(enum, extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {str(label): value for value, label in enum.choices}
    out.update({value: value for value in enum.values})
    out.update(extra or {})
    return out


REGISTRATIONS = _choices(Registration)
RESIDENCES = {k: v for k, v in _choices(Registration, {"户籍人口": "registered", "流动人口": "floating"}).items()
              if v != Registration.MIXED}
RELATIONS = _choices(Relation, {"本人": Relation.HEAD})
TAG_SPLIT = re.compile(r"[、,，;；]")


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class Table:
    """Rows of the first sheet or the CSV, each with its line (CSV) or row number (XLSX)."""

    name: str
    encoding: str
    rows: list[tuple[int, list[Any]]]


def _load_bytes(path_or_file: str | os.PathLike | BinaryIO | bytes) -> tuple[bytes, str]:
    if isinstance(path_or_file, bytes):
        return path_or_file, ""
    if isinstance(path_or_file, str | os.PathLike):
        path = Path(path_or_file)
        try:
            return path.read_bytes(), path.name
        except OSError as exc:
            raise ImportRefused(f"无法读取文件“{path}”：{exc.strerror or exc}") from exc
    data = path_or_file.read()
    name = Path(getattr(path_or_file, "name", "") or "").name
    return (data.encode("utf-8") if isinstance(data, str) else data), name


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_csv(data: bytes) -> tuple[str, str]:
    """Decode as UTF-16 (with its BOM), UTF-8 (with or without BOM), or else GBK/GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise ImportRefused(f"文件编码无法识别：UTF-16 内容损坏（第{_line_of(data, exc.start)}行附近）") from exc
    try:
        return data.decode("utf-8-sig"), "UTF-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "GBK"
        except UnicodeDecodeError:
            line = _line_of(data, utf8_error.start)
            raise ImportRefused(
                f"文件编码无法识别：既不是 UTF-8 也不是 GBK（第{line}行附近有无法解码的字节）。"
                "请在办公软件中另存为“CSV UTF-8”或 XLSX 后重新导入"
            ) from utf8_error


def _read_csv(data: bytes, name: str) -> Table:
    text, encoding = _decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRefused(f"CSV 格式错误（第{start}行）：{exc}") from exc
    return Table(name=name, encoding=encoding, rows=rows)


def _read_xlsx(data: bytes, name: str) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportRefused(f"XLSX 文件无法打开（文件损坏或不是 Excel 2007+ 格式）：{exc}") from exc
    try:
        if not book.worksheets:
            raise ImportRefused("XLSX 文件中没有工作表")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some software writes a wrong <dimension>; read every cell
        rows = [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    return Table(name=name, encoding="XLSX", rows=rows)


def read_table(path_or_file: str | os.PathLike | BinaryIO | bytes) -> Table:
    """Read a CSV or XLSX file (told apart by content, not by name) into numbered rows."""
    data, name = _load_bytes(path_or_file)
    if not data.strip():
        raise ImportRefused("文件为空")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后重新导入")
    return _read_csv(data, name)


def cell_text(value: Any) -> str:
    """A cell as trimmed text; whole-number floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip().strip("\ufeff\u200b").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -------------------------------------------------------------------------------------------- the report


@dataclass
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.line}行 [{self.column}] {self.reason}"


@dataclass
class ImportReport:
    """What happened: counts written, and every problem by line, column and reason."""

    filename: str
    encoding: str
    rows: int = 0
    households: int = 0
    residents: int = 0
    committed: bool = False
    all_or_nothing: bool = False
    header: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_rows(self) -> int:
        return len(self.bad_rows)

    def summary(self) -> str:
        """One paragraph in Chinese for the command and pages."""
        name = f"“{self.filename}”" if self.filename else "文件"
        head = f"{name}（{self.encoding}）共{self.rows}行数据："
        if self.committed:
            text = f"{head}导入{self.households}户、{self.residents}人"
            return text + (f"；{self.rejected_rows}行被拒绝" if self.rejected_rows else "") + "。"
        if self.errors and self.all_or_nothing:
            return f"{head}{self.rejected_rows}行有错误，按“全部或全不”模式未导入任何数据。"
        if self.errors:
            return f"{head}{self.rejected_rows}行被拒绝，没有可导入的户。"
        return f"{head}没有导入任何数据。"

    def errors_csv(self) -> bytes:
        """The rejected rows as CSV (UTF-8 with BOM) with a line number and an 错误原因 column.

        The importer ignores both extra columns, so the file can be corrected and imported again.
        """
        reasons: dict[int, list[str]] = defaultdict(list)
        for e in self.errors:
            reasons[e.line].append(f"[{e.column}] {e.reason}")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["行号", *self.header, "错误原因"])
        width = len(self.header)
        for line, cells in self.bad_rows:
            padded = (cells + [""] * width)[:width]
            writer.writerow([line, *padded, "；".join(reasons[line])])
        return out.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------------------------------------- validation


class _Row:
    __slots__ = ("line", "cells", "raw", "values", "errors", "unit", "person", "id_hash", "relation",
                 "residence", "registration", "lat", "lon", "tags")

    def __init__(self, line: int, cells: list[str], raw: dict[str, Any], values: dict[str, str]):
        self.line, self.cells, self.raw, self.values = line, cells, raw, values
        self.errors: list[tuple[str, str]] = []
        self.unit: OrgUnit | None = None
        self.person: dict | None = None
        self.id_hash = ""
        self.relation = self.residence = self.registration = ""
        self.lat: float | None = None
        self.lon: float | None = None
        self.tags: list[str] = []

    def error(self, key: str, reason: str) -> None:
        self.errors.append((BY_KEY[key].label, reason))

    def has_error(self, key: str) -> bool:
        return any(col == BY_KEY[key].label for col, _ in self.errors)


def _find_header(rows: list[tuple[int, list[Any]]]) -> int:
    """Index of the header row: the first of the first ten non-empty rows naming three known columns.

    Office exports often put a title row ("某村人口信息表") above the header.
    """
    non_empty = [i for i, (_, cells) in enumerate(rows) if any(cell_text(c) for c in cells)][:10]
    for i in non_empty:
        known = {HEADER_LOOKUP.get(_norm_header(c)) for c in rows[i][1]} - {None}
        if len(known) >= 3:
            return i
    if not non_empty:
        raise ImportRefused("文件中没有任何内容")
    return non_empty[0]


def _map_columns(header: list[Any], encoding: str) -> tuple[dict[str, int], list[str]]:
    """Column index of each known field; refuse missing required or doubled columns."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    doubled: list[str] = []
    for i, cell in enumerate(header):
        text = cell_text(cell)
        key = HEADER_LOOKUP.get(_norm_header(text))
        if key is None:
            if text:
                ignored.append(text)
        elif key in index:
            doubled.append(BY_KEY[key].label)
        else:
            index[key] = i
    if doubled:
        raise ImportRefused(f"列名重复：{'、'.join(doubled)}", fields={"columns": doubled})
    missing = [c.label for c in COLUMNS if c.required and c.key not in index]
    if missing:
        hint = "（文件按 GBK 解码；若它其实是 UTF-8 文件，请检查是否有损坏的字符）" if encoding == "GBK" else ""
        raise ImportRefused(f"缺少必填列：{'、'.join(missing)}；整个文件未导入{hint}", fields={"columns": missing})
    return index, ignored


class _Validator:
    """Checks rows one by one, then across rows; preloads what it needs in batches."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self.tags: dict[str, str] = {}
        for code, name, name_en in CareTag.objects.values_list("code", "name", "name_en"):
            self.tags[code] = self.tags[name] = self.tags[name_en.lower()] = code
        self.units: dict[str, OrgUnit] = {}

    def load_units(self, codes: Iterable[str]) -> None:
        """Micro-grids by code, only those the actor may import into (others look unknown)."""
        codes = sorted({c for c in codes if c})
        for i in range(0, len(codes), QUERY_CHUNK):
            qs = OrgUnit.objects.filter(code__in=codes[i:i + QUERY_CHUNK], level=Level.MICROGRID, is_active=True)
            for unit in qs.only("id", "code", "path", "name"):
                if self.actor is None or scopes.may(self.actor, "people.import", unit):
                    self.units[unit.code] = unit

    def row(self, row: _Row) -> None:
        v = row.values
        for c in COLUMNS:
            if c.required and not v[c.key]:
                row.error(c.key, f"{c.label}不能为空")
        if len(v["number"]) > 30:
            row.error("number", "户号过长（最多30个字符）")
        if len(v["address"]) > 200:
            row.error("address", "地址过长（最多200个字）")
        self._micro_grid(row)
        self._choices(row)
        self._person(row)
        self._lat_lon(row)
        self._tags(row)

    def _micro_grid(self, row: _Row) -> None:
        code, raw = row.values["micro_grid"], row.raw.get("micro_grid")
        if not code:
            return
        if isinstance(raw, float) and abs(raw) >= 1e15:
            row.error("micro_grid", "微网格编码被存为数字且超过15位，已丢失精度；请把该列设为文本格式后重新填写")
            return
        row.unit = self.units.get(code)
        if row.unit is None:
            row.error("micro_grid", "微网格编码不存在或无权限")

    def _choices(self, row: _Row) -> None:
        v = row.values
        if v["registration"]:
            row.registration = REGISTRATIONS.get(v["registration"], "")
            if not row.registration:
                row.error("registration", f"户籍类型“{v['registration']}”无效（应为户籍/流动/人户混合）")
        if v["relation"]:
            row.relation = RELATIONS.get(v["relation"], "")
            if not row.relation:
                allowed = "/".join(str(label) for _, label in Relation.choices)
                row.error("relation", f"与户主关系“{v['relation']}”无效（应为{allowed}）")
        if v["residence"]:
            row.residence = RESIDENCES.get(v["residence"], "")
            if not row.residence:
                row.error("residence", f"人口类型“{v['residence']}”无效（应为户籍/流动）")

    def _person(self, row: _Row) -> None:
        v = row.values
        if _is_number(row.raw.get("id_number")):
            row.error("id_number", "身份证号被存为数字格式，可能已丢失位数（Excel 只保留15位有效数字）；"
                                   "请把该列设为文本格式后重新填写")
        try:
            row.person = clean_person(name=v["name"], id_number=v["id_number"], phone=v["phone"])
        except DomainError as exc:
            for fld, messages in exc.fields.items():
                key = fld if fld in BY_KEY else "id_number"
                if key in ("name", "id_number") and (not v[key] or row.has_error(key)):
                    continue  # already reported as empty or stored as a number
                for message in messages:
                    row.error(key, message)
            return
        if row.has_error("id_number"):
            row.person = None
            return
        row.id_hash = lookup_hash(row.person["id_number"])

    def _lat_lon(self, row: _Row) -> None:
        v = row.values
        if not v["lat"] and not v["lon"]:
            return
        if not v["lat"] or not v["lon"]:
            key = "lat" if not v["lat"] else "lon"
            row.error(key, "经纬度须同时填写")
            return
        bounds = {"lat": 90.0, "lon": 180.0}
        parsed: dict[str, float] = {}
        for key, limit in bounds.items():
            label = BY_KEY[key].label
            try:
                number = float(v[key])
            except ValueError:
                row.error(key, f"{label}“{v[key]}”不是数字")
                continue
            if not -limit <= number <= limit:
                row.error(key, f"{label}{v[key]}超出范围（-{limit:g}～{limit:g}）")
                continue
            parsed[key] = number
        if len(parsed) == 2:
            row.lat, row.lon = parsed["lat"], parsed["lon"]

    def _tags(self, row: _Row) -> None:
        text = row.values["tags"]
        if not text:
            return
        unknown: list[str] = []
        for part in TAG_SPLIT.split(text):
            part = part.strip()
            if not part:
                continue
            code = self.tags.get(part) or self.tags.get(part.lower())
            if code is None:
                unknown.append(part)
            elif code not in row.tags:
                row.tags.append(code)
        if unknown:
            row.error("tags", f"未知关爱标签：{'、'.join(unknown)}")

    # -- across rows

    @staticmethod
    def _existing(model, field_name: str, values: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(values), QUERY_CHUNK):
            chunk = values[i:i + QUERY_CHUNK]
            found.update(model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True))
        return found

    def ids(self, rows: list[_Row]) -> None:
        """Refuse ID numbers repeated in the file (every occurrence) or already registered."""
        by_hash: dict[str, list[_Row]] = defaultdict(list)
        for r in rows:
            if r.id_hash:
                by_hash[r.id_hash].append(r)
        for same in by_hash.values():
            if len(same) > 1:
                lines = "、".join(str(r.line) for r in same)
                for r in same:
                    r.error("id_number", f"身份证号在文件中重复（第{lines}行）")
        for h in self._existing(Resident, "id_number_hash", list(by_hash)):
            for r in by_hash[h]:
                r.error("id_number", "该身份证号已登记")

    def households(self, groups: dict[str, list[_Row]]) -> None:
        """Refuse household numbers already in use, rows that disagree, and heads other than one."""
        for number in self._existing(Household, "number", list(groups)):
            for r in groups[number]:
                r.error("number", f"户号“{number}”已存在")
        for rows in groups.values():
            first = rows[0]
            for key in HOUSEHOLD_KEYS:
                label = BY_KEY[key].label
                seen: _Row | None = None
                for r in rows:
                    if not r.values[key]:
                        continue
                    if seen is None:
                        seen = r
                    elif self._household_value(r, key) != self._household_value(seen, key):
                        r.error(key, f"与同户第{seen.line}行的{label}不一致"
                                     f"（“{r.values[key]}”≠“{seen.values[key]}”）")
            heads = [r for r in rows if r.relation == Relation.HEAD]
            if not heads and not any(r.has_error("relation") for r in rows):
                for r in rows:
                    r.error("relation", f"户号“{first.values['number']}”没有户主（每户须有且只有一个户主）")
            elif len(heads) > 1:
                lines = "、".join(str(r.line) for r in heads)
                for r in heads:
                    r.error("relation", f"该户有{len(heads)}个户主（第{lines}行），每户只能有一个户主")

    @staticmethod
    def _household_value(row: _Row, key: str) -> Any:
        if key == "registration":
            return row.registration or row.values[key]
        if key in LAT_LON_KEYS:
            try:
                return float(row.values[key])
            except ValueError:
                return row.values[key]
        return row.values[key]


# ------------------------------------------------------------------------------------------ the import


def _common_path(paths: Iterable[str]) -> str:
    """The deepest unit path shared by all the given paths ("" when they share nothing)."""
    parts_list = [p.split("/")[:-1] for p in paths]
    if not parts_list:
        return ""
    common: list[str] = []
    for segment in zip(*parts_list, strict=False):
        if len(set(segment)) != 1:
            break
        common.append(segment[0])
    return "".join(f"{c}/" for c in common)


def _build(rows: list[_Row]) -> HouseholdRows:
    head = next(r for r in rows if r.relation == Relation.HEAD)
    lat = next((r.lat for r in rows if r.lat is not None), None)
    lon = next((r.lon for r in rows if r.lon is not None), None)
    household = Household(number=head.values["number"], micro_grid=head.unit, address=head.values["address"],
                          registration=head.registration, lat=lat, lon=lon)
    item = HouseholdRows(household=household)
    for r in rows:
        p = r.person
        assert p is not None
        resident = Resident(name=p["name"], sex=p["sex"], birth_date=p["birth_date"], relation=r.relation,
                            residence=r.residence)
        resident.set_id_number(p["id_number"])
        if p["phone"]:
            resident.set_phone(p["phone"])
        item.residents.append((resident, r.tags))
    return item


def _write(*, actor, groups: list[list[_Row]], reason: str, progress: Progress | None) -> tuple[int, int]:
    """Write good households in one transaction, in chunks of whole households; roll counts up."""
    total_rows = sum(len(g) for g in groups)
    moved_in = clock.today()
    unit_path = _common_path({g[0].unit.path for g in groups if g[0].unit is not None})
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"household_count": 0, "resident_count": 0,
                                                            "floating_count": 0})
    households = residents = done = 0
    with transaction.atomic():
        batch: list[HouseholdRows] = []
        batch_rows = 0

        def flush() -> None:
            nonlocal households, residents, done, batch, batch_rows
            if not batch:
                return
            h, r = registry_bulk_insert(actor=actor, items=batch, moved_in=moved_in, action="people.import",
                                        unit_path=unit_path, reason=reason)
            households, residents, done = households + h, residents + r, done + batch_rows
            batch, batch_rows = [], 0
            if progress:
                progress("写入", done, total_rows)

        for rows in groups:
            item = _build(rows)
            c = counts[item.household.micro_grid.path]
            c["household_count"] += 1
            c["resident_count"] += len(rows)
            c["floating_count"] += sum(1 for r in rows if r.residence == Registration.FLOATING)
            batch.append(item)
            batch_rows += len(rows)
            if batch_rows >= WRITE_CHUNK:
                flush()
        flush()
        for path, c in counts.items():
            rollup_add(unit_path=path, **c)
    return households, residents


def import_people(*, actor, path_or_file: str | os.PathLike | BinaryIO | bytes, all_or_nothing: bool = False,
                  progress: Progress | None = None, filename: str = "") -> ImportReport:
    """Validate a households-and-residents file and write its good households; return the report.

    actor None is the operator (whole county). Raises ImportRefused for a file that cannot be
    used at all and PermissionDenied for a user whose posts do not allow importing. Good
    households are committed before this returns (default mode); with all_or_nothing, only a file
    without a single bad row is written.
    """
    if actor is not None and not scopes.may_somewhere(actor, "people.import"):
        raise PermissionDenied("您的岗位无权导入人口数据（需县级管理员、镇街工作人员或村社干部岗位）")
    table = read_table(path_or_file)
    report = ImportReport(filename=filename or table.name, encoding=table.encoding, all_or_nothing=all_or_nothing)
    start = _find_header(table.rows)
    header_cells = table.rows[start][1]
    index, report.ignored_columns = _map_columns(header_cells, table.encoding)
    report.header = [cell_text(c) for c in header_cells]

    rows: list[_Row] = []
    for line, cells in table.rows[start + 1:]:
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        values = {c.key: (texts[index[c.key]] if c.key in index and index[c.key] < len(texts) else "")
                  for c in COLUMNS}
        raw = {k: cells[i] for k, i in index.items() if i < len(cells)}
        rows.append(_Row(line, texts, raw, values))
    if not rows:
        raise ImportRefused("文件中没有数据行（只有表头）")
    report.rows = len(rows)

    validator = _Validator(actor)
    validator.load_units(r.values["micro_grid"] for r in rows)
    for i, r in enumerate(rows, start=1):
        validator.row(r)
        if progress and (i % 1000 == 0 or i == len(rows)):
            progress("校验", i, len(rows))
    validator.ids(rows)
    groups: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        groups[r.values["number"] or f"#{r.line}"].append(r)
    validator.households({k: v for k, v in groups.items() if not k.startswith("#")})

    good: list[list[_Row]] = []
    for members in groups.values():
        if any(r.errors for r in members):
            for r in members:
                if not r.errors:
                    r.error("number", OTHER_ROWS_BAD)
        else:
            good.append(members)
    bad = [r for r in rows if r.errors]
    report.errors = [RowError(r.line, col, reason) for r in bad for col, reason in r.errors]
    report.bad_rows = [(r.line, r.cells) for r in bad]
    if good and not (all_or_nothing and bad):
        reason = f"导入文件“{report.filename}”" if report.filename else "导入文件"
        report.households, report.residents = _write(actor=actor, groups=good, reason=reason, progress=progress)
        report.committed = True
    return report
