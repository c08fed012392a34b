"""The county's and towns' overview of their elections: scoped by the gate, stages counted, dates at risk
shown, turnout per election, filters by town and stage, bad filters answered with the field named."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.elections import selectors_overview as sel
from shanzhi.elections.tests.overview_data import TODAY, at, make
from shanzhi.lib import clock

pytestmark = pytest.mark.django_db
URL = "/elections/"


@pytest.fixture
def data(county):
    return make(county)


def _get(user, url=URL, **params):
    client = Client()
    client.force_login(user)
    with clock.frozen(at(12, 7, 10)):
        return client.get(url, params)


def _rows(resp) -> list[str]:
    return re.findall(r'data-election="(\d+)"', resp.content.decode())


def test_home_is_the_url_the_navigation_links():
    assert reverse("elections:home") == URL


def test_the_county_admin_sees_every_village_with_stages_risks_and_turnout(county, data):
    resp = _get(county.admin)
    assert resp.status_code == 200
    assert _rows(resp) == [str(data["b"].pk), str(data["a"].pk)]  # 大云镇 (330421102) before 天凝镇 (330421112)
    html = resp.content.decode()
    assert "选民名单须在2日内公布" in html  # 洋桥村's roll is due 12-09
    assert 'data-stage="certified"' in html and 'data-stage="roll"' in html
    assert ">50%<" in html  # 新联村: one of its two voters took part
    assert resp.context["ov"].at_risk == 1 and resp.context["ov"].total == 2
    counts = {s: n for s, _label, n in resp.context["ov"].stage_counts}
    assert counts["certified"] == 1 and counts["roll"] == 1 and counts["voting"] == 0


def test_town_staff_see_their_town_s_elections_only(county, data):
    resp = _get(county.town_staff)
    assert resp.status_code == 200 and _rows(resp) == [str(data["a"].pk)]
    assert "洋桥村" not in resp.content.decode()
    other = _get(data["town2_staff"])
    assert _rows(other) == [str(data["b"].pk)] and "新联村" not in other.content.decode()


def test_grid_workers_see_no_village_election(county, data):
    for user in (county.worker_a, county.worker_b):
        resp = _get(user)
        assert resp.status_code == 200 and _rows(resp) == []
        assert "新联村" not in resp.content.decode() and "洋桥村" not in resp.content.decode()


def test_a_resident_gets_not_found(county, data):
    assert _get(county.resident_user).status_code == 404


def test_anonymous_is_sent_to_log_in(data):
    resp = Client().get(URL)
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_filters_by_town_stage_and_risk(county, data):
    assert _rows(_get(county.admin, town=county.town2.code)) == [str(data["b"].pk)]
    assert _rows(_get(county.admin, stage="certified")) == [str(data["a"].pk)]
    assert _rows(_get(county.admin, risk="1")) == [str(data["b"].pk)]
    assert _rows(_get(county.admin, town=county.town.code, stage="roll")) == []


def test_bad_filters_name_the_field(county, data):
    resp = _get(county.admin, stage="nope")
    assert resp.status_code == 400 and "阶段：阶段无效" in resp.content.decode()
    resp = _get(county.town_staff, town=county.town2.code)  # another town's code: as unknown as a wrong one
    assert resp.status_code == 400 and "镇（街道）：未找到该镇（街道）" in resp.content.decode()
    resp = _get(county.admin, round="x1")
    assert resp.status_code == 400 and "换届" in resp.content.decode()
    assert _get(county.admin, round=str(data["round"].pk + 999)).status_code == 404


def test_the_overview_reads_in_constant_queries(county, data):
    sel.overview(user=county.town_staff, today=TODAY)  # the user's posts, cached for the request
    with CaptureQueriesContext(connection) as one:
        sel.overview(user=county.town_staff, today=TODAY)
    extra = make_more(county, data)
    with CaptureQueriesContext(connection) as more:
        ov = sel.overview(user=county.town_staff, today=TODAY)
    assert ov.total == 1 + extra
    assert len(one) == len(more) <= 8


def make_more(county, data) -> int:
    """Two more villages under 天凝镇 with elections of the same round."""
    from shanzhi.elections.models import Election, Stage
    from shanzhi.org.models import Level
    from shanzhi.org.services import orgunit_create

    for i in (2, 3):
        v = orgunit_create(actor=None, code=f"33042111220{i}", name=f"新村{i}", level=Level.VILLAGE, parent=county.town,
                           kind="village")
        Election.objects.create(round=data["round"], unit=v, election_day=TODAY, stage=Stage.VOTING,
                                created_at=at(10, 1), updated_at=at(10, 1))
    return 2
