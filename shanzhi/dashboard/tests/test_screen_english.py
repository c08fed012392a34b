"""The command centre in English: the county admin's page speaks English apart from the data it shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shanzhi.lib import clock
from shanzhi.lib.testing import report_case
from shanzhi.lib.tests.test_i18n_catalogue import chinese_left, data_words, english

pytestmark = pytest.mark.django_db


def _night_visit(county):
    from shanzhi.campaigns import services as svc
    from shanzhi.campaigns.models import Kind, Rule
    from shanzhi.campaigns.scope import resolve

    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    return svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十二月网格夜访", scope=scope,
                               rule=Rule.GRID_WORKER, starts_at=clock.now() - dt.timedelta(hours=1))


def test_the_county_command_centre_in_english_has_no_chinese(client, county):
    report_case(county)
    report_case(county, where=(15, 5))
    campaign = _night_visit(county)
    client.force_login(county.admin)
    response = english(client).get(reverse("dashboard:centre", args=[county.county.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "command centre" in html and "Live feed" in html  # the page did switch, and shows its panels
    assert campaign.name in html  # the campaign table is there, so its headers are checked too
    left = chinese_left(html, [*data_words(county), campaign.name])
    assert left == [], "\n".join(left)


def test_the_county_command_centre_stays_chinese_by_default(client, county):
    client.force_login(county.admin)
    html = client.get(reverse("dashboard:centre", args=[county.county.code])).content.decode()
    assert "实时动态" in html
    assert chinese_left(html, data_words(county)) != []
