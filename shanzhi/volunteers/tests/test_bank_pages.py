"""The time bank's pages and read API as a whole: who sees what (a resident of the village, its staff; grid B's
worker and the other town's resident get 404 or nothing), no personal data in the API, bad filters 400."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from shanzhi.volunteers import activities, ledger, store
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import MONDAY, client_for, give


def api(user) -> Client:
    if user is None:
        return Client()
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def stocked(bank):
    s = bank
    s.item = store.item_create(actor=s.cadre, village=s.c.village, name="洗衣液", price=50, stock=3)
    s.off = store.item_create(actor=s.cadre, village=s.c.village, name="旧货", price=5, stock=1, is_active=False)
    s.item2 = store.item_create(actor=None, village=s.c.village2, name="酱油", price=20, stock=9)
    s.act = activities.activity_create(actor=s.li, team=s.team, title="河道清洁日", place="村口",
                                       starts_at=MONDAY + dt.timedelta(days=1),
                                       ends_at=MONDAY + dt.timedelta(days=1, hours=2), capacity=5)
    activities.signup(actor=s.zhang, activity=s.act)
    return s


def test_the_store_items_api_is_scoped(stocked):
    s = stocked
    url = "/api/v1/store-items/"
    rows = api(s.zhang).get(url).json()["results"]
    assert [r["name"] for r in rows] == ["洗衣液"] and rows[0]["village"] == s.c.village.code
    assert {r["name"] for r in api(s.cadre).get(url).json()["results"]} == {"洗衣液", "旧货"}
    assert {r["name"] for r in api(s.c.admin).get(url).json()["results"]} == {"洗衣液", "旧货", "酱油"}
    assert [r["name"] for r in api(s.zhao).get(url).json()["results"]] == ["酱油"]
    assert api(s.c.worker_b).get(url).json()["results"] == []
    assert api(s.c.worker_b).get(f"{url}{s.item.pk}/").status_code == 404
    assert api(s.zhao).get(f"{url}{s.item.pk}/").status_code == 404
    assert api(s.zhang).get(f"{url}{s.off.pk}/").status_code == 404
    assert api(s.zhang).get(f"{url}{s.item.pk}/").json()["price"] == 50
    assert api(s.zhang).get(f"{url}99999999999999999999/").status_code == 404
    assert api(None).get(url).status_code == 401


def test_the_activities_api_is_scoped_and_carries_no_personal_data(stocked):
    s = stocked
    url = "/api/v1/volunteer-activities/"
    rows = api(s.wang).get(url).json()["results"]  # a resident of the village
    assert [r["title"] for r in rows] == ["河道清洁日"] and rows[0]["signed"] == 1
    body = api(s.cadre).get(f"{url}{s.act.pk}/").content.decode()
    assert s.act.checkin_secret not in body and s.act.checkin_code not in body and "张三" not in body
    assert api(s.c.worker_b).get(url).json()["results"] == []
    assert api(s.zhao).get(url).json()["results"] == []
    assert api(s.c.worker_b).get(f"{url}{s.act.pk}/").status_code == 404
    assert api(s.zhao).get(f"{url}{s.act.pk}/").status_code == 404
    resp = api(s.cadre).get(url, {"status": "nope"})
    assert resp.status_code == 400 and "status" in resp.content.decode()
    resp = api(s.cadre).get(url, {"starts_after": "9999-99-99"})
    assert resp.status_code == 400 and "starts_after" in resp.content.decode()
    assert [r["title"] for r in api(s.cadre).get(url, {"status": "open", "unit": s.c.village.code}).json()[
        "results"]] == ["河道清洁日"]


def test_my_points_for_a_resident_who_is_no_volunteer(stocked):
    s = stocked
    resp = client_for(s.wang).get(reverse("volunteers:my_points"))  # an account made on first use
    assert resp.status_code == 200 and 'data-balance="0"' in resp.content.decode()
    assert ledger.account_of_user(s.wang).village == s.c.village
    assert client_for(s.c.worker_b).get(reverse("volunteers:my_points")).status_code == 404  # staff, never served
    assert Client().get(reverse("volunteers:my_points")).status_code == 302  # to the log-in


def test_every_desk_page_refuses_outsiders(stocked):
    s = stocked
    acc = ledger.account_of_volunteer(s.vol_zhang)
    entry = give(s, acc, 100, "t:1")
    pages = [reverse("volunteers:account", args=[acc.pk]), reverse("volunteers:ledger_correct", args=[entry.pk]),
             reverse("volunteers:store_item", args=[s.item.pk]), reverse("volunteers:activity", args=[s.act.pk]),
             reverse("volunteers:activity_screen", args=[s.act.pk]),
             reverse("volunteers:certificate", args=[s.vol_zhang.pk])]
    for outsider in (s.c.worker_b, s.zhao, s.c.worker_c):
        for url in pages:
            assert client_for(outsider).get(url).status_code == 404, (outsider, url)
    for url in pages:
        assert client_for(s.c.admin).get(url).status_code == 200, url
    # the desk's lists show nothing of 新联村 to grid B's worker
    body = client_for(s.c.worker_b).get(reverse("volunteers:activities")).content.decode()
    assert f'data-activity="{s.act.pk}"' not in body
    assert client_for(s.c.worker_b).get(reverse("volunteers:store")).status_code == 404
    assert client_for(s.c.worker_b).get(reverse("volunteers:counter"), {"code": acc.code}).status_code == 404
