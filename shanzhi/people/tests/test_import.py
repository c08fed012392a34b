"""Importing households and residents from CSV and XLSX: good files, every bad-row kind, scopes, command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.cn import ric

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.codes import make_id_number
from shanzhi.lib.errors import PermissionDenied
from shanzhi.lib.testing import ID_RESIDENT
from shanzhi.org.models import OrgUnit
from shanzhi.people.importing import ImportRefused, import_people
from shanzhi.people.models import Household, Residency, Resident

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ["户号", "微网格编码", "地址", "户籍类型", "姓名", "身份证号", "与户主关系", "人口类型", "联系电话", "关爱标签",
          "纬度", "经度"]
A1, A2, B1, C1 = "330421112201001001", "330421112201001002", "330421112201002001", "330421102201001001"


def new_id(n: int, sex: str = "M") -> str:
    return make_id_number("330421", dt.date(1960, 1, 1) + dt.timedelta(days=n), n % 500, sex)


def with_checksum(body: str) -> str:
    """A 17-digit body with its correct GB 11643 check character."""
    return body + ric.calc_check_digit(body + "0")


def person(number: str, mg: str, name: str, n: int, relation: str = "户主", **over) -> dict:
    """One resident row as a dict keyed by header; household columns filled consistently."""
    row = {"户号": number, "微网格编码": mg, "地址": f"{number}号", "户籍类型": "户籍", "姓名": name,
           "身份证号": new_id(n), "与户主关系": relation, "人口类型": "户籍", "联系电话": "", "关爱标签": "",
           "纬度": "", "经度": ""}
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def good_rows() -> list[dict]:
    """Two households: one in A1 (head + spouse, tags, a point), one floating in B1."""
    return [
        person("HH-1", A1, "陈一", 1, 联系电话="13900000001", 关爱标签="独居老人、党员", 纬度="30.85", 经度="120.92"),
        person("HH-1", A1, "陈二", 2, relation="配偶", 纬度="30.85", 经度="120.92"),
        person("HH-2", B1, "林三", 3, 户籍类型="流动", 人口类型="流动", 关爱标签="low_income;veteran"),
    ]


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def errors_of(report) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in report.errors]


def test_a_good_file_imports_and_counts_roll_up(county, tmp_path):
    before = unit(county.village.code)
    path = write_csv(tmp_path / "good.csv", good_rows())
    report = import_people(actor=county.admin, path_or_file=path)
    assert report.ok and report.committed
    assert (report.households, report.residents, report.rows) == (2, 3, 3)
    head = Resident.objects.get(name="陈一")
    assert head.household.number == "HH-1" and head.household.micro_grid_id == county.mg_a1.pk
    assert head.id_number_plain() == new_id(1) and head.phone_plain() == "13900000001"
    assert sorted(head.tags.values_list("code", flat=True)) == ["elderly_alone", "party_member"]
    assert (head.household.lat, head.household.lon) == (30.85, 120.92)
    assert sorted(Resident.objects.get(name="林三").tags.values_list("code", flat=True)) == ["low_income", "veteran"]
    assert Residency.objects.filter(resident=head, moved_out__isnull=True).count() == 1
    after = unit(county.village.code)
    assert after.household_count == before.household_count + 2
    assert after.resident_count == before.resident_count + 3
    assert after.floating_count == before.floating_count + 1
    assert unit(A1).household_count == 2 and unit(B1).resident_count == 2
    assert unit(county.town2.code).resident_count == 1  # the other town is untouched
    assert AuditEntry.objects.filter(action="people.import", actor=county.admin).exists()


def test_the_sample_file_in_fixtures_imports(county):
    report = import_people(actor=None, path_or_file=FIXTURES / "people_sample.csv")
    assert report.ok, [str(e) for e in report.errors]
    assert report.households == 2 and report.residents == 4


BAD_ROWS = [
    ("bad checksum", {"身份证号": new_id(9)[:-1] + ("0" if new_id(9)[-1] != "0" else "1")}, "身份证号", "校验位"),
    ("bad birth date", {"身份证号": with_checksum("33042119901301123")}, "身份证号", "出生日期"),
    ("short ID", {"身份证号": "33042119900101"}, "身份证号", "18位"),
    ("unknown micro-grid", {"微网格编码": "330421112201001999"}, "微网格编码", "微网格编码不存在或无权限"),
    ("a grid code, not a micro-grid", {"微网格编码": "330421112201001"}, "微网格编码", "微网格编码不存在或无权限"),
    ("missing name", {"姓名": ""}, "姓名", "姓名不能为空"),
    ("missing address", {"地址": " "}, "地址", "地址不能为空"),
    ("bad phone", {"联系电话": "12345"}, "联系电话", "手机号"),
    ("latitude out of range", {"纬度": "95", "经度": "120.9"}, "纬度", "超出范围"),
    ("longitude not a number", {"纬度": "30.8", "经度": "东经120度"}, "经度", "不是数字"),
    ("latitude without longitude", {"纬度": "30.8"}, "经度", "同时填写"),
    ("unknown tag", {"关爱标签": "独居老人、外星人"}, "关爱标签", "未知关爱标签：外星人"),
    ("household number in the database", {"户号": "H-A1-001"}, "户号", "已存在"),
    ("unknown relation", {"与户主关系": "邻居"}, "与户主关系", "无效"),
    ("unknown household registration", {"户籍类型": "临时"}, "户籍类型", "无效"),
    ("unknown residence", {"人口类型": "人户混合"}, "人口类型", "无效"),
    ("a household without a head", {"与户主关系": "配偶"}, "与户主关系", "没有户主"),
]


@pytest.mark.parametrize(("kind", "change", "column", "reason"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_each_bad_row_is_reported_with_its_line_column_and_reason(county, tmp_path, kind, change, column, reason):
    rows = [person("OK-1", A1, "好人", 1), person("BAD-1", A2, "坏行", 2, **change)]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert errors_of(report) == [(3, column)]
    assert reason in report.errors[0].reason
    assert str(report.errors[0]).startswith(f"第3行 [{column}] ")
    assert report.committed and report.households == 1
    assert Household.objects.filter(number="OK-1").exists()
    assert not Resident.objects.filter(name="坏行").exists()


def test_rows_of_one_household_that_disagree_are_refused(county, tmp_path):
    rows = [person("HH-1", A1, "甲", 1), person("HH-1", A1, "乙", 2, relation="子女", 地址="别处"),
            person("HH-1", A2, "丙", 3, relation="子女")]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert errors_of(report) == [(2, "户号"), (3, "地址"), (4, "微网格编码")]
    assert "与同户第2行的地址不一致" in report.errors[1].reason
    assert report.errors[0].reason == "同户其他行有错误"
    assert not report.committed


def test_a_household_with_two_heads_is_refused_on_both_head_rows(county, tmp_path):
    rows = [person("HH-1", A1, "甲", 1), person("HH-1", A1, "乙", 2, relation="子女"), person("HH-1", A1, "丙", 3)]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert errors_of(report) == [(2, "与户主关系"), (3, "户号"), (4, "与户主关系")]
    assert "2个户主（第2、4行）" in report.errors[0].reason


def test_default_mode_keeps_good_households_and_skips_bad_ones(county, tmp_path):
    rows = [person("BAD", A1, "甲", 1), person("GOOD", B1, "乙", 2), person("BAD", A1, "丙", 3, relation="子女",
                                                                        身份证号="123")]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert report.committed and (report.households, report.residents) == (1, 1)
    assert errors_of(report) == [(2, "户号"), (4, "身份证号")]
    assert report.errors[0].reason == "同户其他行有错误"
    assert report.rejected_rows == 2
    assert list(Household.objects.filter(number__in=["BAD", "GOOD"]).values_list("number", flat=True)) == ["GOOD"]
    assert "导入1户、1人；2行被拒绝" in report.summary()


def test_all_or_nothing_commits_nothing_when_one_row_is_bad(county, tmp_path):
    before = unit(county.county.code).resident_count
    rows = [person("GOOD", B1, "乙", 2), person("BAD", A1, "甲", 1, 身份证号="123")]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows), all_or_nothing=True)
    assert not report.committed and report.households == 0
    assert errors_of(report) == [(3, "身份证号")]
    assert not Household.objects.filter(number__in=["BAD", "GOOD"]).exists()
    assert unit(county.county.code).resident_count == before
    assert "未导入任何数据" in report.summary()


def test_all_or_nothing_commits_a_clean_file(county, tmp_path):
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", good_rows()), all_or_nothing=True)
    assert report.committed and report.residents == 3


def test_a_missing_column_refuses_the_whole_file_naming_it(county, tmp_path):
    header = [h for h in HEADER if h not in ("身份证号", "人口类型")]
    path = write_csv(tmp_path / "f.csv", good_rows(), header=header)
    with pytest.raises(ImportRefused) as exc:
        import_people(actor=None, path_or_file=path)
    assert "缺少必填列：身份证号、人口类型" in str(exc.value)
    assert not Household.objects.filter(number="HH-1").exists()


def test_a_file_with_only_a_header_is_refused(county, tmp_path):
    with pytest.raises(ImportRefused, match="没有数据行"):
        import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", []))


def test_duplicate_ids_in_the_file_and_in_the_database_are_refused(county, tmp_path):
    rows = [person("HH-1", A1, "甲", 1), person("HH-2", A1, "乙", 2, 身份证号=ID_RESIDENT),
            person("HH-3", A2, "丙", 1), person("HH-4", A2, "丁", 4)]
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert errors_of(report) == [(2, "身份证号"), (3, "身份证号"), (4, "身份证号")]
    assert "身份证号在文件中重复（第2、4行）" in report.errors[0].reason
    assert report.errors[1].reason == "该身份证号已登记"
    assert report.households == 1 and Household.objects.filter(number="HH-4").exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk_decodes(county, tmp_path, encoding):
    report = import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", good_rows(), encoding=encoding))
    assert report.ok and report.residents == 3
    assert Resident.objects.filter(name="陈一").exists()
    assert report.encoding == {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "gbk": "GBK"}[encoding]


def test_an_undecodable_file_is_refused_clearly(county, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\r\nHH-1,\x80\x80\xff\xff\r\n")
    with pytest.raises(ImportRefused, match="编码无法识别.*第2行"):
        import_people(actor=None, path_or_file=path)


def test_headers_in_any_order_english_codes_and_a_title_row_are_accepted(county, tmp_path):
    header = ["name", "id_number", "relation", "residence", "number", "micro_grid", "address", "registration",
              "备注"]
    content = "某村人口信息表\r\n" + ",".join(header) + "\r\n" + \
        f"张甲,{new_id(1)},head,floating,E-1,{A1},一组5号,mixed,无\r\n"
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode("utf-8"))
    report = import_people(actor=None, path_or_file=path)
    assert report.ok, [str(e) for e in report.errors]
    assert report.ignored_columns == ["备注"]
    h = Household.objects.get(number="E-1")
    assert h.registration == "mixed" and h.residents.get().residence == "floating"


def write_xlsx(path: Path, rows: list[list], title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def exact_integer(path: Path, shown: str, exact: str) -> None:
    """Rewrite the first number cell `shown` as the integer literal `exact`, as some office software saves it.

    openpyxl (like Excel) writes an 18-digit int as a 15-digit float; WPS and scripts may keep all digits.
    """
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(f"<v>{shown}</v>".encode(), f"<v>{exact}</v>".encode(), 1)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_xlsx_with_numeric_cells_imports_and_lost_digits_are_reported(county, tmp_path):
    rows = [
        # micro-grid code (an exact integer), phone and coordinates stored as numbers: turned back into text
        ["X-1", int(A1), "一组7号", "户籍", "数字格", new_id(1), "户主", "户籍", 13900000009, "党员", 30.81, 120.91],
        # an ID stored as a number has lost its last digits in Excel
        ["X-2", A1, "一组8号", "户籍", "丢位数", float(new_id(2)[:17] + "0"), "户主", "户籍", None, None, None, None],
        # a micro-grid code stored as a 15-significant-digit float cannot be recovered
        ["X-3", float(A2), "二组1号", "户籍", "丢编码", new_id(3), "户主", "户籍", None, None, None, None],
        [None] * 12,  # fully empty rows are ignored
        [1234, A2, "二组2号", "流动", " 空格 ", f" {new_id(4)} ", "户主", "流动", None, None, None, None],
    ]
    path = write_xlsx(tmp_path / "f.xlsx", rows, title="居民信息导入表")
    exact_integer(path, repr(float(A1)), A1)
    report = import_people(actor=None, path_or_file=path)
    assert report.encoding == "XLSX"
    assert errors_of(report) == [(4, "身份证号"), (5, "微网格编码")]  # sheet rows: title 1, header 2
    assert "被存为数字" in report.errors[0].reason
    assert "丢失精度" in report.errors[1].reason
    r = Resident.objects.get(name="数字格")
    assert r.household.micro_grid_id == county.mg_a1.pk and r.phone_plain() == "13900000009"
    assert (r.household.lat, r.household.lon) == (30.81, 120.91)
    assert Resident.objects.get(name="空格").household.number == "1234"


def test_an_old_xls_or_broken_xlsx_is_refused(county, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(ImportRefused, match="xls"):
        import_people(actor=None, path_or_file=tmp_path / "old.xls")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04broken")
    with pytest.raises(ImportRefused, match="XLSX"):
        import_people(actor=None, path_or_file=tmp_path / "bad.xlsx")


def test_town_staff_imports_into_their_town_but_not_another(county, tmp_path):
    rows = [person("T-1", A1, "本镇", 1), person("T-2", C1, "外镇", 2)]
    report = import_people(actor=county.town_staff, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert errors_of(report) == [(3, "微网格编码")]
    assert report.errors[0].reason == "微网格编码不存在或无权限"
    assert Household.objects.filter(number="T-1").exists() and not Household.objects.filter(number="T-2").exists()


def test_the_county_admin_imports_anywhere(county, tmp_path):
    rows = [person("T-1", A1, "本镇", 1), person("T-2", C1, "外镇", 2)]
    report = import_people(actor=county.admin, path_or_file=write_csv(tmp_path / "f.csv", rows))
    assert report.ok and report.households == 2


def test_a_grid_worker_may_not_import_at_all(county, tmp_path):
    with pytest.raises(PermissionDenied, match="无权导入"):
        import_people(actor=county.worker_a, path_or_file=write_csv(tmp_path / "f.csv", [person("G", A1, "甲", 1)]))
    assert not Household.objects.filter(number="G").exists()


def test_progress_is_reported_for_validation_and_writing(county, tmp_path):
    seen: list[tuple[str, int, int]] = []
    import_people(actor=None, path_or_file=write_csv(tmp_path / "f.csv", good_rows()),
                  progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert ("校验", 3, 3) in seen and ("写入", 3, 3) in seen


# ------------------------------------------------------------------------------------------- the command


def test_the_command_imports_a_good_file_and_exits_zero(county, tmp_path):
    out = io.StringIO()
    call_command("import_people", str(write_csv(tmp_path / "f.csv", good_rows())), "--no-progress", stdout=out)
    assert "导入2户、3人" in out.getvalue()


def test_the_command_lists_errors_writes_an_errors_csv_and_exits_one(county, tmp_path):
    rows = [person("GOOD", B1, "乙", 2), person("BAD", A1, "甲", 1, 身份证号="123", 备注="x")]
    errors = tmp_path / "errors.csv"
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(write_csv(tmp_path / "f.csv", rows, header=[*HEADER, "备注"])),
                     "--errors-csv", str(errors), "--no-progress", stdout=out)
    assert exc.value.returncode == 1
    text = out.getvalue()
    assert "导入1户、1人；1行被拒绝" in text
    assert "第3行 [身份证号] 身份证号应为18位（当前3位）" in text
    data = errors.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == ["行号", *HEADER, "备注", "错误原因"]
    assert lines[1][0] == "3" and lines[1][5] == "甲" and lines[1][-2] == "x"
    assert "[身份证号] 身份证号应为18位" in lines[1][-1]
    assert len(lines) == 2


def test_the_errors_csv_can_be_corrected_and_imported_again(county, tmp_path):
    rows = [person("BAD", A1, "甲", 1, 身份证号="123")]
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import_people", str(write_csv(tmp_path / "f.csv", rows)), "--errors-csv", str(errors),
                     "--no-progress", stdout=io.StringIO())
    errors.write_bytes(errors.read_bytes().replace(b",123,", f",{new_id(1)},".encode()))
    report = import_people(actor=None, path_or_file=errors)
    assert report.ok and report.residents == 1
    assert report.ignored_columns == ["行号", "错误原因"]


def test_the_command_with_all_or_nothing_commits_nothing(county, tmp_path):
    rows = [person("GOOD", B1, "乙", 2), person("BAD", A1, "甲", 1, 身份证号="123")]
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(write_csv(tmp_path / "f.csv", rows)), "--all-or-nothing",
                     "--no-progress", stdout=out)
    assert exc.value.returncode == 1
    assert "未导入任何数据" in out.getvalue()
    assert not Household.objects.filter(number="GOOD").exists()


def test_the_command_refuses_a_file_without_a_column_with_exit_two(county, tmp_path):
    path = write_csv(tmp_path / "f.csv", good_rows(), header=[h for h in HEADER if h != "户号"])
    with pytest.raises(CommandError, match="缺少必填列：户号") as exc:
        call_command("import_people", str(path), "--no-progress", stdout=io.StringIO())
    assert exc.value.returncode == 2


def test_the_command_acts_as_a_user_within_their_scope(county, tmp_path):
    rows = [person("T-1", A1, "本镇", 1), person("T-2", C1, "外镇", 2)]
    path = str(write_csv(tmp_path / "f.csv", rows))
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", path, "--as", "town", "--no-progress", stdout=out)
    assert exc.value.returncode == 1
    assert "第3行 [微网格编码] 微网格编码不存在或无权限" in out.getvalue()
    with pytest.raises(CommandError, match="无权导入") as exc:
        call_command("import_people", path, "--as", "worker_a", "--no-progress", stdout=io.StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="用户“nobody”不存在"):
        call_command("import_people", path, "--as", "nobody", "--no-progress", stdout=io.StringIO())


def test_an_uploaded_file_object_imports_like_a_path(county, tmp_path):
    data = write_csv(tmp_path / "f.csv", good_rows(), encoding="gbk").read_bytes()
    upload = io.BytesIO(data)
    upload.name = "上传.csv"
    report = import_people(actor=county.town_staff, path_or_file=upload)
    assert report.ok and report.residents == 3 and report.filename == "上传.csv"
