"""The links joining the service's pages (requests and tasks; hours, points, the store, activities): shown where
the page behind them answers the user, hidden where it would not; the time bank's pages link back home."""

from __future__ import annotations

import re

from django.urls import reverse

from shanzhi.accounts.services import user_create_staff
from shanzhi.lib.testing import PASSWORD
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403

PERSON = {"points": "volunteers:my_points", "store": "volunteers:store", "activities": "volunteers:activities",
          "ranking": "volunteers:ranking", "certificate": "volunteers:my_certificate"}
DESK = {"ledger": "volunteers:ledger", "counter": "volunteers:counter", "store": "volunteers:store",
        "activities": "volunteers:activities", "civic": "volunteers:civic", "ranking": "volunteers:ranking"}


def _hrefs(html: str, css: str) -> set[str]:
    block = re.search(rf'<(?:p|nav) class="actions {css}">(.*?)</(?:p|nav)>', html, re.S)
    return set(re.findall(r'href="([^"?]+)', block.group(1))) if block else set()


def _each_opens(client, urls: set[str]) -> None:
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_volunteer_finds_hours_points_store_activities_and_ranking_on_the_home(bank):  # noqa: F405
    zhang = client_for(bank.zhang)  # noqa: F405
    html = zhang.get(reverse("volunteers:home")).content.decode()
    assert _hrefs(html, "bank-links") == {reverse(name) for name in PERSON.values()}
    assert _hrefs(html, "desk-bank-links") == set()
    _each_opens(zhang, _hrefs(html, "bank-links"))


def test_a_resident_who_is_no_volunteer_gets_no_certificate_link_and_no_desk(bank):  # noqa: F405
    wang = client_for(bank.wang)  # noqa: F405
    html = wang.get(reverse("volunteers:home")).content.decode()
    assert _hrefs(html, "bank-links") == {reverse(PERSON[k]) for k in ("points", "store", "activities", "ranking")}
    assert _hrefs(html, "desk-bank-links") == set()
    assert wang.get(reverse("volunteers:my_certificate")).status_code == 404  # the hidden link's page refuses
    _each_opens(wang, _hrefs(html, "bank-links"))


def test_the_cadre_desk_links_the_ledger_counter_store_activities_civic_points_and_ranking(bank):  # noqa: F405
    cadre = client_for(bank.cadre)  # noqa: F405
    html = cadre.get(reverse("volunteers:home")).content.decode()
    assert _hrefs(html, "desk-bank-links") == {reverse(name) for name in DESK.values()}
    assert _hrefs(html, "bank-links") == set()  # a cadre who serves nobody has no account of their own
    _each_opens(cadre, _hrefs(html, "desk-bank-links"))


def test_a_staff_member_without_a_post_gets_no_bank_links(bank):  # noqa: F405
    nobody = user_create_staff(actor=None, username="nopost", password=PASSWORD, display_name="无岗位",
                               check_strength=False)
    client = client_for(nobody)  # noqa: F405
    html = client.get(reverse("volunteers:home")).content.decode()
    assert _hrefs(html, "desk-bank-links") == set() and _hrefs(html, "bank-links") == set()
    for name in ("volunteers:ledger", "volunteers:counter", "volunteers:civic", "volunteers:store"):
        assert client.get(reverse(name)).status_code == 404, name
    nav = _hrefs(client.get(reverse("volunteers:activities")).content.decode(), "bank-nav")
    assert nav == {reverse("volunteers:home")}  # the list would be empty for them


def test_the_time_bank_pages_link_back_to_the_service_home(bank):  # noqa: F405
    zhang = client_for(bank.zhang)  # noqa: F405
    for name in ("volunteers:my_points", "volunteers:store", "volunteers:activities", "volunteers:ranking"):
        nav = _hrefs(zhang.get(reverse(name)).content.decode(), "bank-nav")
        assert reverse("volunteers:home") in nav and reverse("volunteers:my_points") in nav, name
        assert reverse("volunteers:ledger") not in nav and reverse("volunteers:counter") not in nav, name
    nav = _hrefs(client_for(bank.cadre).get(reverse("volunteers:ledger")).content.decode(), "bank-nav")  # noqa: F405
    assert {reverse("volunteers:home"), reverse("volunteers:ledger"), reverse("volunteers:counter"),
            reverse("volunteers:civic")} <= nav and reverse("volunteers:my_points") not in nav
