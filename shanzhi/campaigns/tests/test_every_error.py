"""Declaring a night visit names every error in one round, each linked to its field."""

from __future__ import annotations

from shanzhi.campaigns.models import Campaign, Rule
from shanzhi.campaigns.tests.test_staff_pages import as_user, url
from shanzhi.lib.tests.test_form_errors import summary


def test_a_night_visit_names_every_error_at_once(county, client):
    as_user(client, county.town_staff)
    response = client.post(url("new_night_visit"), {
        "name": "", "rule": Rule.GRID_WORKER, "capacity": "0", "tag_mode": "only",
        "starts_at": "2026-03-02T20:00", "ends_at": "2026-03-02T18:00"})
    html = response.content.decode()
    messages = summary(html)
    assert [m.split("：")[0] for m in messages] == [
        "名称", "范围（村社、镇街或网格，可多选）", "关爱标签", "结束时间", "每人户数上限"]
    assert "选择“只包括”时请至少选一个关爱标签" in messages[2] and "结束时间应晚于开始时间" in messages[3]
    assert 'href="#id_name"' in html and 'href="#id_capacity"' in html
    assert 'value="2026-03-02T20:00"' in html  # what was typed is kept
    assert Campaign.objects.count() == 0


def test_a_grid_worker_may_not_declare_whatever_the_form_says(county, client):
    as_user(client, county.worker_a)
    response = client.post(url("new_night_visit"), {"name": ""})
    assert response.status_code == 403 and "error-summary" not in response.content.decode()
