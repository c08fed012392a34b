"""Exports of a dashboard table: XLSX and CSV read back, formulas neutralised, the evaluation's downloads."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from shanzhi.dashboard.exports import table_csv, table_response, table_xlsx
from shanzhi.dashboard.tables import Cell, Table
from shanzhi.dashboard.tests import evaluation_fixtures
from shanzhi.dashboard.tests.evaluation_fixtures import hand_scheme, hand_values
from shanzhi.lib.errors import DomainError

source = evaluation_fixtures.source  # the test indicator source (a fixture)
TABLE = Table(
    key="children", title="下级单位: 十一月/考核", headers=["单位", "受理数", "按期结案率", "办结用时", "备注"],
    rows=[
        [Cell("天凝镇"), Cell("1,234", 1234), Cell("93.2%", 0.932), Cell("12.5", 12.5), Cell("=HYPERLINK(\"x\")")],
        [Cell("大云镇\x01"), Cell("0", 0), Cell("—"), Cell("—"), Cell("+86 573")],
        [Cell("@SUM(A1)"), Cell("-3", -3), Cell("-5.0%", -0.05), Cell("—"), Cell("-1+1")],
    ],
    note="2026-11-01 至 2026-11-30；“—”为无分母",
)


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_xlsx_keeps_numbers_as_numbers_and_shares_as_percentages():
    ws = _sheet(table_xlsx(TABLE))
    assert ws.title == "下级单位 十一月 考核"  # characters a sheet name may not hold are replaced
    assert [c.value for c in ws[1]] == TABLE.headers
    assert all(c.font.bold for c in ws[1])
    assert ws["B2"].value == 1234 and ws["B2"].data_type == "n"
    assert ws["C2"].value == pytest.approx(0.932) and ws["C2"].number_format == "0.0%"
    assert ws["D2"].value == 12.5 and ws["D2"].number_format == "0.0"
    assert ws["B4"].value == -3 and ws["C4"].value == pytest.approx(-0.05)
    assert ws["C3"].value == "—"
    assert ws["A3"].value == "大云镇"  # the control character XML cannot hold is gone
    assert ws["A6"].value == TABLE.note and ws["A6"].font.italic
    assert ws.column_dimensions["A"].width >= 8 and ws.column_dimensions["E"].width > 10


def test_xlsx_writes_formula_like_text_as_text():
    data = table_xlsx(TABLE)
    ws = _sheet(data)
    for ref, text in (("E2", '=HYPERLINK("x")'), ("E3", "+86 573"), ("A4", "@SUM(A1)"), ("E4", "-1+1")):
        assert ws[ref].value == text and ws[ref].data_type == "s", ref
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_csv_has_a_bom_and_parses_back_with_plain_numbers():
    data = table_csv(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == TABLE.headers
    assert rows[1][:4] == ["天凝镇", "1234", "0.932", "12.5"]
    assert rows[2][:4] == ["大云镇", "0", "—", "—"]
    assert rows[3][1:3] == ["-3", "-0.05"]  # negative numbers stay numbers
    assert rows[-1] == [TABLE.note]


def test_csv_neutralises_formulas_with_an_apostrophe():
    rows = list(csv.reader(io.StringIO(table_csv(TABLE).decode("utf-8-sig"))))
    assert rows[1][4] == "'=HYPERLINK(\"x\")"
    assert rows[2][4] == "'+86 573"
    assert rows[3][0] == "'@SUM(A1)" and rows[3][4] == "'-1+1"


def test_a_response_names_the_file_and_refuses_other_formats():
    resp = table_response(TABLE, "xlsx", "天凝镇-排名")
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in resp["Content-Disposition"] and ".xlsx" in resp["Content-Disposition"]
    assert table_response(TABLE, "csv", "x")["Content-Type"] == "text/csv; charset=utf-8"
    with pytest.raises(DomainError) as exc:
        table_response(TABLE, "pdf", "x")
    assert "format" in exc.value.fields


# ---- the evaluation page's downloads ---------------------------------------------------------------------



def _get(user, unit, **query):
    client = Client()
    client.force_login(user)
    return client.get(reverse("evaluation:unit", args=[unit.code]), {"month": "2026-11", **query})


@pytest.mark.django_db
def test_the_ranking_downloads_as_xlsx_with_the_page_numbers(county, source):
    hand_scheme()
    hand_values(source, county)
    resp = _get(county.admin, county.county, format="xlsx", table="ranking")
    assert resp.status_code == 200
    ws = _sheet(resp.content)
    headers = [c.value for c in ws[1]]
    rows = {r[1]: dict(zip(headers, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True) if r[1]}
    a = rows[county.grid_a.code]
    assert a["总分"] == 78.0 and a["等级"] == "C" and a["村内排名"] == 2
    assert a["测试按期率"] == pytest.approx(0.9)
    b = rows[county.grid_b.code]
    assert b["总分"] == pytest.approx(97.14) and b["测试返工率"] == "—"
    assert rows[county.grid_c.code]["总分"] == "—"


@pytest.mark.django_db
def test_the_grade_distribution_and_trend_download_as_csv(county, source):
    hand_scheme()
    hand_values(source, county)
    grades = list(csv.reader(io.StringIO(
        _get(county.admin, county.county, format="csv", table="grades").content.decode("utf-8-sig"))))
    assert grades[0] == ["单位", "网格数", "A", "B", "C", "D", "E", "未评分", "平均分"]
    assert grades[1] == ["大云镇", "1", "0", "0", "0", "0", "0", "1", "—"]  # by code
    assert grades[2] == ["天凝镇", "2", "1", "0", "1", "0", "0", "0", "87.57"]  # (78 + 97.14) ÷ 2
    assert grades[3][0] == "嘉善县合计" and grades[3][1] == "3"
    trend = _get(county.admin, county.village, format="csv", table="trend")
    rows = list(csv.reader(io.StringIO(trend.content.decode("utf-8-sig"))))
    assert rows[0][2] == "2025-12" and rows[0][-1] == "2026-11"
    assert rows[1][0] == "新联村第二网格" and rows[1][-1] == "97.14"


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": ""}, {"format": "csv", "table": "nope"}])
def test_an_unknown_format_or_table_is_a_400_in_chinese(county, query):
    resp = _get(county.admin, county.village, **query)
    assert resp.status_code == 400
    body = resp.content.decode()
    assert ("导出格式只能是 xlsx 或 csv" in body) if query.get("format") != "csv" else ("没有这张表" in body)


@pytest.mark.django_db
def test_no_download_of_another_units_evaluation(county, source):
    hand_scheme()
    hand_values(source, county)
    assert _get(county.worker_b, county.village, format="csv", table="ranking").status_code == 404
    assert _get(county.town_staff, county.town2, format="xlsx").status_code == 404
    mine = _get(county.worker_b, county.grid_b, format="csv", table="ranking")
    assert mine.status_code == 200
    text = mine.content.decode("utf-8-sig")
    assert county.grid_b.code in text and county.grid_a.code not in text
