"""The staff dispute list behind the command centre's mediation numbers: each drill link lists exactly the
disputes the indicator counts; scope both ways; bad filters answer 400 in Chinese; constant queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanzhi.lib import clock
from shanzhi.lib.periods import Period
from shanzhi.mediation import services as svc
from shanzhi.mediation.dashboard import indicators
from shanzhi.mediation.indicators import indicators_for
from shanzhi.mediation.models import Dispute, Result
from shanzhi.mediation.services import centre_create

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday
PERIOD = Period("custom", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
LIST = reverse("mediation:list")
# Indicator -> the figure of indicators_for whose rows its drill link lists (a share: its numerator).
COUNTED = {"accepted": "accepted", "resolution_rate": "resolved", "first_time_rate": "first_time",
           "on_time_rate": "on_time", "village_share": "in_village", "town_share": "in_town",
           "repeats": "repeats", "median_days": "resolved"}


def parties(a: str, b: str, phone: str = "") -> list[dict]:
    return [{"role": "applicant", "name": a, "phone": phone}, {"role": "respondent", "name": b}]


def register(c, dtype, who: tuple[str, str], *, actor=None, unit=None, phone: str = "", **kw) -> Dispute:
    return svc.dispute_register(actor=actor or c.extra["mediator"], kind="dispute", type=dtype,
                                summary="邻里纠纷", parties=parties(*who, phone=phone), unit=unit or c.mg_a1, **kw)


@pytest.fixture
def disputes(centres, neighbour_type):
    """A varied month in 天凝镇 plus one dispute before it and one in 大云镇."""
    c, m = centres, centres.extra["mediator"]
    centre_create(actor=None, unit=c.town2, name="大云镇矛调中心", rooms=["调解室"])
    with clock.frozen(NINE - dt.timedelta(days=40)):  # registered before the period, resolved
        before = register(c, neighbour_type, ("孙一", "孙二"))
        svc.dispute_conclude(actor=m, dispute=before, result=Result.WITHDRAWN)
    with clock.frozen(NINE):
        village = register(c, neighbour_type, ("张三", "王五"))  # resolved first time in the village
        svc.dispute_conclude(actor=m, dispute=village, result=Result.WITHDRAWN)
        town = register(c, neighbour_type, ("李一", "李二"), phone="13800000009")  # escalated, resolved in the town
        repeat = register(c, neighbour_type, ("李一", "李二"), phone="13800000009", confirm_repeat=True)  # repeat of `town`, referred
        svc.dispute_escalate(actor=m, dispute=town, note="转镇")
        svc.dispute_conclude(actor=m, dispute=town, result=Result.WITHDRAWN)
        svc.dispute_conclude(actor=m, dispute=repeat, result=Result.REFERRED, referred_to="诉讼")
        still_open = register(c, neighbour_type, ("赵一", "赵二"))
        late = register(c, neighbour_type, ("周一", "周二"))
        grid_b = register(c, neighbour_type, ("吴一", "吴二"), unit=c.mg_b1)  # grid B's, referred
        svc.dispute_conclude(actor=m, dispute=grid_b, result=Result.REFERRED, referred_to="派出所")
        other_town = register(c, neighbour_type, ("郑一", "郑二"), actor=c.extra["mediator_other_town"],
                              unit=c.mg_c1)
        svc.dispute_conclude(actor=c.extra["mediator_other_town"], dispute=other_town, result=Result.WITHDRAWN)
    with clock.frozen(late.case.deadline_at + dt.timedelta(days=1)):  # resolved after its deadline
        svc.dispute_conclude(actor=m, dispute=late, result=Result.WITHDRAWN)
    late.case.refresh_from_db()
    assert late.case.closed_on_time is False
    assert repeat.repeat_of == town
    c.extra.update(before=before, village=village, town=town, repeat=repeat, still_open=still_open, late=late,
                   grid_b=grid_b, other_town=other_town)
    return c


def numbers(client, url: str) -> list[str]:
    """Every dispute number listed by the page at `url`, following its pages."""
    found, page = [], 1
    while True:
        response = client.get(url, {"page": page} if page > 1 else {})
        assert response.status_code == 200, response.content.decode()[:500]
        html = response.content.decode()
        found += re.findall(r'<tr data-number="([^"]+)">', html)
        if f"page={page + 1}" not in html:
            return found
        page += 1


def raw_numbers(unit, key: str) -> set[str]:
    """The disputes the raw definition (indicators_for) counts in `key`, read by the same conditions."""
    from django.db.models import Q

    from shanzhi.accounts import scopes
    from shanzhi.cases.indicators import TOWN_OR_BELOW, VILLAGE_OR_BELOW, closed_on_time_q
    from shanzhi.mediation.models import RESOLVED

    resolved = Q(result__in=RESOLVED)
    where = {"accepted": Q(), "resolved": resolved, "first_time": Q(first_time=True),
             "on_time": resolved & closed_on_time_q("case__"),
             "in_village": resolved & Q(case__closed_level__in=VILLAGE_OR_BELOW),
             "in_town": resolved & Q(case__closed_level__in=TOWN_OR_BELOW),
             "repeats": Q(repeat_of__isnull=False)}[key]
    qs = Dispute.objects.filter(scopes.subtree_q(unit, "first_centre__unit"), where,
                                registered_at__gte=PERIOD.start, registered_at__lt=PERIOD.end)
    return set(qs.values_list("case__number", flat=True))


def test_each_indicator_links_to_exactly_the_disputes_it_counts(disputes, client):
    c, x = disputes, disputes.extra
    client.force_login(c.admin)
    by_name = {i.key.split(".", 1)[1]: i for i in indicators()}
    assert set(by_name) == set(COUNTED)
    for unit in (c.county, c.town, c.town2, c.village, c.grid_b):
        figures = indicators_for(unit, PERIOD.start, PERIOD.end)
        for name, key in COUNTED.items():
            url = by_name[name].drill(unit, PERIOD)
            assert url.startswith(LIST) and f"unit={unit.code}" in url and "since=2026-11-01" in url
            listed = numbers(client, url)
            assert len(listed) == len(set(listed)) == figures[key], (unit.name, name, listed)
            assert set(listed) == raw_numbers(unit, key), (unit.name, name)
    # The hand count for the county, so the test does not only agree with itself.
    county = {name: set(numbers(client, by_name[name].drill(c.county, PERIOD))) for name in COUNTED}
    n = {k: v.case.number for k, v in x.items() if isinstance(v, Dispute)}
    assert all(county.values())  # every link lists something here: the comparisons above are not vacuous
    assert county["accepted"] == {n[k] for k in ("village", "town", "repeat", "still_open", "late", "grid_b",
                                                 "other_town")}
    assert n["before"] not in county["accepted"]  # registered outside the period
    assert county["resolution_rate"] == {n["village"], n["town"], n["late"], n["other_town"]}
    assert county["on_time_rate"] == {n["village"], n["town"], n["other_town"]}  # not the late one
    assert county["repeats"] == {n["repeat"]}
    assert n["town"] not in county["village_share"] and n["town"] in county["town_share"]
    town = set(numbers(client, by_name["accepted"].drill(c.town, PERIOD)))
    assert n["other_town"] not in town and n["grid_b"] in town


def test_the_list_filters_by_result_and_shows_no_party_names(disputes, client):
    c, x = disputes, disputes.extra
    client.force_login(c.admin)
    assert numbers(client, f"{LIST}?result=open") == [x["still_open"].case.number]
    assert numbers(client, f"{LIST}?result=referred") == [x["grid_b"].case.number, x["repeat"].case.number]
    assert numbers(client, f"{LIST}?result=failed") == []
    everything = numbers(client, LIST)
    assert len(everything) == Dispute.objects.count() and everything[-1] == x["before"].case.number  # newest first
    html = client.get(LIST).content.decode()
    assert "张三" not in html and "王五" not in html and "13800000001" not in html
    assert f'href="{reverse("mediation:detail", args=[x["village"].case.number])}"' in html
    assert "2026-11-25 09:00" in html  # registered, Asia/Shanghai


def test_the_mediation_navigation_links_to_the_list(disputes, client):
    client.force_login(disputes.admin)
    assert f'href="{LIST}"' in client.get(reverse("mediation:calendar")).content.decode()


def test_town_staff_see_only_their_town(disputes, client):
    c, x = disputes, disputes.extra
    client.force_login(c.town_staff)
    listed = set(numbers(client, LIST))
    assert x["village"].case.number in listed and x["grid_b"].case.number in listed
    assert x["other_town"].case.number not in listed
    for code in (c.town2.code, "999999999"):  # another town's code reads exactly like a missing one
        response = client.get(LIST, {"unit": code})
        assert response.status_code == 400
        html = response.content.decode()
        assert "单位编码：未找到该单位" in html and 'data-number="' not in html
    client.force_login(c.admin)  # the county sees the other town under its code
    assert numbers(client, f"{LIST}?unit={c.town2.code}") == [x["other_town"].case.number]


def test_grid_worker_b_sees_nothing_of_grid_a(disputes, client):
    c, x = disputes, disputes.extra
    client.force_login(c.worker_b)
    listed = set(numbers(client, LIST))
    assert listed == {x["grid_b"].case.number}
    assert client.get(LIST, {"unit": c.grid_a.code}).status_code == 400
    client.force_login(c.worker_a)
    listed = set(numbers(client, LIST))
    assert x["village"].case.number in listed and x["grid_b"].case.number not in listed


def test_anonymous_is_sent_to_log_in_and_a_resident_finds_nothing(disputes, client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(disputes.resident_user)
    missing = client.get("/mediation/no-such-page/")
    response = client.get(LIST)
    assert response.status_code == missing.status_code == 404


@pytest.mark.parametrize(("params", "named"), [
    ({"since": "2026-13-01"}, "登记起"), ({"until": "yesterday"}, "登记止"), ({"since": "0001-01-01"}, "登记起"),
    ({"since": "2026-11-30", "until": "2026-11-01"}, "结束日期不能早于开始日期"),
    ({"result": "won"}, "调解结果"), ({"level": "county"}, "化解层级"), ({"unit": "x" * 30}, "单位编码"),
])
def test_bad_filters_answer_400_naming_the_field_in_chinese(disputes, client, params, named):
    client.force_login(disputes.admin)
    response = client.get(LIST, params)
    html = response.content.decode()
    errors = re.search(r'<ul class="errorlist" role="alert">(.*?)</ul>', html, re.S)
    assert response.status_code == 400 and errors and named in errors.group(1) and 'data-number="' not in html


def test_a_page_costs_the_same_queries_with_more_disputes(centres, neighbour_type, client):
    client.force_login(centres.admin)
    url = f"{LIST}?unit={centres.town.code}&since=2026-11-01&until=2026-11-30"
    with clock.frozen(NINE):
        register(centres, neighbour_type, ("甲0", "乙0"))
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert len(numbers(client, url)) == 1
    with clock.frozen(NINE):
        for i in range(1, 30):
            register(centres, neighbour_type, (f"甲{i}", f"乙{i}"))
    with CaptureQueriesContext(connection) as full:
        response = client.get(url)
        assert response.content.decode().count('<tr data-number="') == 25
    assert len(full) == len(few)
    assert len(numbers(client, url)) == 30


def test_the_command_centre_links_every_mediation_number_to_its_list(disputes, client):
    import html as htmllib

    c, x = disputes, disputes.extra
    client.force_login(c.admin)
    with clock.frozen(NINE + dt.timedelta(days=1)):
        page = client.get(f"/dashboard/{c.town.code}/", {"period": "month"})
    assert page.status_code == 200
    links = {htmllib.unescape(h) for h in re.findall(r'href="(/mediation/disputes/\?[^"]+)"', page.content.decode())}
    mine = [h for h in links if f"unit={c.town.code}" in h and "since=2026-11-01" in h and "until=2026-11-30" in h]
    for extra in ("result=resolved", "first_time=1", "on_time=1", "level=village", "level=town", "repeat=1"):
        assert any(extra in h for h in mine), (extra, links)
    assert any(h.endswith("until=2026-11-30") for h in mine)  # 受理数: all received in the period
    listed = numbers(client, next(h for h in mine if "repeat=1" in h))
    assert listed == [x["repeat"].case.number]
