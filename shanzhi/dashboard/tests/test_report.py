"""The monthly report of a unit: its indicators against last month and last year, its children, the grid
evaluation; printable page and DOCX; only for who may look at the unit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from shanzhi.accounts.services import user_create_staff
from shanzhi.dashboard.tests import evaluation_fixtures
from shanzhi.dashboard.tests.evaluation_fixtures import NOVEMBER, hand_scheme, hand_values
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

source = evaluation_fixtures.source  # the test indicator source (a fixture)
pytestmark = pytest.mark.django_db


@pytest.fixture
def months(county, source):
    """The village: 12 received in November 2026, 8 in October, 4 in November 2025; on time 90% / 80%."""
    hand_scheme()
    hand_values(source, county)
    v = county.village.code
    source.set(NOVEMBER, v, reported=12, on_time=0.9, visits=0.75)
    source.set((2026, 10), v, reported=8, on_time=0.8)
    source.set((2025, 11), v, reported=4)
    return source


def _get(user, unit, **query):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("evaluation:report", args=[unit.code]), {"month": "2026-11", **query})


def _row(rows, first):
    return next(r for r in rows if r[0] == first)


def test_the_report_prints_the_units_numbers(county, months):
    resp = _get(county.town_staff, county.village)
    assert resp.status_code == 200
    tables = {t.key: t for t in resp.context["tables"]}
    assert [c.text for c in next(r for r in tables["indicators"].rows if r[0].text == "测试受理数")] \
        == ["测试受理数", "12", "8", "+4", "4", "+8"]
    on_time = [c.text for c in next(r for r in tables["indicators"].rows if r[0].text == "测试按期率")]
    assert on_time == ["测试按期率", "90.0%", "80.0%", "+10.0 pp", "—", "—"]
    children = {r[0].text: [c.text for c in r] for r in tables["children"].rows}
    assert set(children) == {"新联村第一网格", "新联村第二网格"}
    ranking = [[c.text for c in r] for r in tables["ranking"].rows]
    assert ranking[0][0] == "新联村第二网格" and "97.1" in ranking[0] and "78.0" in ranking[1]
    body = resp.content.decode()
    for text in ("新联村 2026-11 月度报告", "+10.0 pp", "去年同月", "网格考核排名", "evaluation/report"):
        assert text in body, text
    assert "format=docx" in body


def test_the_print_stylesheet_is_a4_without_navigation(county, months):
    from django.contrib.staticfiles import finders

    css = open(finders.find("evaluation/report.css"), encoding="utf-8").read()
    assert "size: A4" in css and "header.topbar" in css and "break-before: page" in css


def test_the_report_downloads_as_docx_with_its_tables(county, months):
    resp = _get(county.admin, county.village, format="docx")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    doc = Document(io.BytesIO(resp.content))
    assert doc.styles["Normal"].font.name == "宋体"
    assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.paragraphs[0].text == "新联村 2026-11 月度报告"
    texts = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    indicators = texts[0]
    assert indicators[0] == ["指标", "2026-11", "上月", "环比", "去年同月", "同比"]
    assert _row(indicators, "测试受理数") == ["测试受理数", "12", "8", "+4", "4", "+8"]
    assert doc.tables[0].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats on each page
    ranking = next(t for t in texts if t[0][0] == "网格")
    assert _row(ranking, "新联村第一网格")[-4:] == ["78.0", "C", "2", "2"]


def test_an_indicator_needs_its_own_action(county, months):
    mediator = user_create_staff(actor=None, username="med", password="x-Shanzhi-2026", display_name="调解员",
                                 check_strength=False)
    post_appoint(actor=None, unit=county.village, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    seen = {r[0].text for r in _get(mediator, county.village).context["tables"][0].rows}
    assert "测试受理数" in seen and "测试走访覆盖率" not in seen  # campaigns.view is not a mediator's
    staff = {r[0].text for r in _get(county.town_staff, county.village).context["tables"][0].rows}
    assert "测试走访覆盖率" in staff


def test_grid_worker_b_gets_not_found_for_grid_a_and_its_village(county, months):
    assert _get(county.worker_b, county.grid_a).status_code == 404
    assert _get(county.worker_b, county.village).status_code == 404
    assert _get(county.worker_b, county.village, format="docx").status_code == 404
    assert _get(county.worker_b, county.grid_b).status_code == 200


def test_a_town_sees_only_its_own(county, months):
    assert _get(county.town_staff, county.town2).status_code == 404
    assert _get(county.town_staff, county.town).status_code == 200


def test_residents_and_visitors_get_no_report(county):
    assert _get(county.resident_user, county.village).status_code == 404
    resp = _get(None, county.village)
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.parametrize("query,message", [({"month": "2026-00"}, "年-月"), ({"format": "pdf"}, "docx、xlsx 或 csv"),
                                           ({"format": "csv", "table": "x"}, "没有这张表")])
def test_bad_input_is_a_400_in_chinese(county, query, message):
    resp = _get(county.admin, county.village, **query)
    assert resp.status_code == 400 and message in resp.content.decode()


def test_each_table_of_the_report_downloads(county, months):
    resp = _get(county.admin, county.village, format="csv", table="indicators")
    assert resp.status_code == 200
    text = resp.content.decode("utf-8-sig")
    assert "测试受理数,12,8,4,4,8" in text.replace("\r\n", "\n")
