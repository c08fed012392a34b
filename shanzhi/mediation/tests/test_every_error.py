"""The reception window names every error in one round: the matter, where the parties live, each wrong
party row and what the parties as a whole lack."""

from __future__ import annotations

import pytest

from shanzhi.lib.tests.test_form_errors import summary
from shanzhi.mediation.models import Dispute
from shanzhi.mediation.tests.test_pages import as_user, frozen, url, window_data

__all__ = ["frozen"]
pytestmark = pytest.mark.usefixtures("frozen")


def test_every_error_of_the_window_comes_in_one_round(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    rows = [{"role": "respondent", "name": "", "id_number": "330421199001011234", "phone": "12345", "claim": "暂放"}]
    response = c.post(url("reception"), window_data(centres, neighbour_type, parties=rows, summary="",
                                                    unit="999999999999999"))
    assert response.status_code == 400 and Dispute.objects.count() == 0
    messages = summary(response.content.decode())
    assert messages[0].startswith("事由：") and "必填" in messages[0]
    assert "所在微网格/单位编码：未找到该编码，或不在您的受理范围" in messages
    row = [m for m in messages if m.startswith("第1位当事人 · ")]
    assert [m.split("：")[0] for m in row] == ["第1位当事人 · 姓名/名称", "第1位当事人 · 身份证号",
                                               "第1位当事人 · 联系电话"]
    assert messages[-1] == "至少需要一位申请人"


def test_the_summary_links_each_party_field(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    rows = [{"role": "applicant", "name": "张三"}, {"role": "respondent", "name": "", "claim": "暂放"}]
    html = c.post(url("reception"), window_data(centres, neighbour_type, parties=rows)).content.decode()
    assert summary(html) == ["第2位当事人 · 姓名/名称：请填写姓名"]
    assert 'href="#id_parties-1-name"' in html and 'id="id_parties-1-name"' in html


def test_a_right_window_still_registers(centres, neighbour_type, client):
    c = as_user(client, centres.extra["mediator"])
    assert c.post(url("reception"), window_data(centres, neighbour_type)).status_code == 302
    assert Dispute.objects.count() == 1


def test_staff_without_a_window_get_404_not_the_form_errors(centres, neighbour_type, client, county):
    c = as_user(client, county.worker_b)
    assert c.post(url("reception"), window_data(centres, neighbour_type, summary="")).status_code == 404
