"""Indicators of a unit and its children over a period, checked against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanzhi.cases import services as svc
from shanzhi.cases.indicators import indicators_for, report_for
from shanzhi.cases.models import Channel, HandlingLevel, Status
from shanzhi.cases.sweep import sweep
from shanzhi.lib import clock
from shanzhi.lib.periods import Period, period_for
from shanzhi.lib.testing import report_case
from shanzhi.org.models import OrgUnit

# Wednesday 2026-11-25 10:00 Asia/Shanghai; garbage (normal) is due at the end of the 2nd working day after.
T0 = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
DEADLINE = timezone.make_aware(dt.datetime(2026, 11, 27, 17, 30))
NOVEMBER = Period("custom", dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _close(case, actor, at: dt.datetime) -> None:
    """Start (if needed), report back, then the county admin verifies and closes, at one moment."""
    from shanzhi.accounts.models import User

    verifier = User.objects.get(username="admin")
    with clock.frozen(at):
        if case.status in (Status.ACCEPTED, Status.DISPATCHED):
            svc.case_start(actor=actor, case=case)
        svc.case_report_back(actor=actor, case=case, note="已处理")
        svc.case_verify(actor=verifier, case=case)
        svc.case_close(actor=verifier, case=case)


def _rate(county, case, at: dt.datetime, satisfied: bool) -> None:
    with clock.frozen(at):
        svc.case_rate(actor=county.resident_user, case=case, rating=5 if satisfied else 2, satisfied=satisfied,
                      comment="" if satisfied else "还是很脏")


def _at(at: dt.datetime, **kw):
    with clock.frozen(at):
        return report_case(**kw)


@pytest.fixture
def cases(county):
    """Ten cases with known outcomes (first response / close in hours after reporting):

    c1  grid A  accepted +1, closed +5 on time, rated satisfied
    c2  grid A  accepted +2, closed +6, rated unsatisfied -> reopened (still open)
    c3  grid A  never touched, auto-escalated to the village when overdue; town staff start at deadline+1h
                (56.5 h after reporting) and close at deadline+2h (57.5 h): late, closed at village level
    c4  grid B  accepted +3, escalated to village then town, closed by the town at +8 on time
    c5  grid A  voided (not counted)
    c6  grid C  (大云镇) accepted +0.5, closed +3, rated satisfied
    c7  grid A  patrol report by worker A at +2 (responded at once), closed at +4 (2 h)
    c8  grid A  duplicate of c1 (not counted)
    c9  grid A  reported +3, accepted +4.5 (1.5 h), still open
    c10 grid B  accepted +1, closed +2, unsatisfied -> reworked, closed again +7, rated satisfied
    and one case reported on 1 December at midnight, outside November.
    """
    c = county
    c3 = _at(T0, county=c)
    assert c3.deadline_at == DEADLINE
    assert sweep(DEADLINE + dt.timedelta(minutes=5))["escalated"] == 1
    c3.refresh_from_db()
    assert c3.handling_level == HandlingLevel.VILLAGE
    with clock.frozen(DEADLINE + dt.timedelta(hours=1)):  # starting is the first response ...
        svc.case_start(actor=c.town_staff, case=c3)
    _close(c3, c.town_staff, DEADLINE + dt.timedelta(hours=2))  # ... closing comes an hour later

    c1 = _at(T0, county=c)
    with clock.frozen(h(1)):
        svc.case_accept(actor=c.worker_a, case=c1)
    _close(c1, c.worker_a, h(5))
    _rate(c, c1, h(6), True)

    c2 = _at(T0, county=c)
    with clock.frozen(h(2)):
        svc.case_accept(actor=c.worker_a, case=c2)
    _close(c2, c.worker_a, h(6))
    _rate(c, c2, h(7), False)

    c4 = _at(T0, county=c, where=(15, 5))
    with clock.frozen(h(3)):
        svc.case_accept(actor=c.worker_b, case=c4)
    with clock.frozen(h(4)):
        svc.case_escalate(actor=c.worker_b, case=c4, note="需村里协调")
    with clock.frozen(h(5)):
        svc.case_escalate(actor=c.town_staff, case=c4, note="需镇里处理")
    _close(c4, c.town_staff, h(8))

    c5 = _at(T0, county=c)
    with clock.frozen(h(1)):
        svc.case_void(actor=c.town_staff, case=c5, note="误报")

    c6 = _at(T0, county=c, where=(25, 5))
    with clock.frozen(h(0.5)):
        svc.case_accept(actor=c.worker_c, case=c6)
    _close(c6, c.worker_c, h(3))
    _rate(c, c6, h(4), True)

    c7 = _at(h(2), county=c, actor=c.worker_a, channel=Channel.PATROL)
    _close(c7, c.worker_a, h(4))

    c8 = _at(h(1), county=c)
    with clock.frozen(h(1.5)):
        svc.case_mark_duplicate(actor=c.town_staff, case=c8, original=c1)

    c9 = _at(h(3), county=c)
    with clock.frozen(h(4.5)):
        svc.case_accept(actor=c.worker_a, case=c9)

    c10 = _at(T0, county=c, where=(15, 5))
    with clock.frozen(h(1)):
        svc.case_accept(actor=c.worker_b, case=c10)
    _close(c10, c.worker_b, h(2))
    _rate(c, c10, h(3), False)
    _close(c10, c.worker_b, h(7))
    _rate(c, c10, h(8), True)

    _at(timezone.make_aware(dt.datetime(2026, 12, 1, 0, 0)), county=c)
    return {"c3": c3}


def test_the_fixture_has_the_outcomes_it_claims(county, cases):
    c3 = cases["c3"]
    assert c3.closed_on_time is False and c3.closed_level == HandlingLevel.VILLAGE
    assert (c3.first_response_at - c3.reported_at) == dt.timedelta(hours=56.5)
    assert (c3.closed_at - c3.reported_at) == dt.timedelta(hours=57.5)


def test_county_indicators_match_the_hand_count(county, cases):
    ind = indicators_for(county.county, NOVEMBER.start, NOVEMBER.end)
    assert ind.reported == 8  # c1 c2 c3 c4 c6 c7 c9 c10 (c5 void, c8 duplicate, December case left out)
    assert ind.closure_rate == 0.75  # closed or rated: c1 c3 c4 c6 c7 c10 = 6 / 8
    assert ind.on_time_rate == pytest.approx(5 / 6)  # all closed but c3 = 5 / 6
    assert ind.rework_rate == pytest.approx(2 / 7)  # reopened c2 c10 = 2 / (6 closed + c2 reopened) = 2 / 7
    assert ind.satisfaction_rate == 0.75  # rated c1 c2 c6 c10, satisfied c1 c6 c10 = 3 / 4
    assert ind.village_share == pytest.approx(5 / 6)  # c4 closed by the town: 5 / 6
    assert ind.town_share == 1.0  # 6 / 6
    # first response: c7 0, c6 .5, c1 1, c10 1, c9 1.5, c2 2, c4 3, c3 56.5 -> (1 + 1.5) / 2
    assert ind.median_first_response_hours == pytest.approx(1.25)
    # close: c7 2, c6 3, c1 5, c10 7, c4 8, c3 57.5 -> (5 + 7) / 2
    assert ind.median_close_hours == pytest.approx(6.0)


def test_village_and_each_child_match_the_hand_count(county, cases):
    children = [county.grid_a, county.grid_b]
    rep = report_for(county.village, children, NOVEMBER.start, NOVEMBER.end)
    v = rep.total
    assert v.reported == 7  # all but c6 (大云镇)
    assert v.closure_rate == pytest.approx(5 / 7)  # c1 c3 c4 c7 c10
    assert v.on_time_rate == 0.8  # 4 / 5 (c3 late)
    assert v.rework_rate == pytest.approx(2 / 6)  # c2 c10 / (5 closed + c2)
    assert v.satisfaction_rate == pytest.approx(2 / 3)  # c1 c10 of c1 c2 c10
    assert v.village_share == 0.8  # 4 / 5 (c4 closed by the town)
    assert v.median_first_response_hours == 1.5  # 0 1 1 [1.5] 2 3 56.5
    assert v.median_close_hours == 7.0  # 2 5 [7] 8 57.5

    a, b = rep.children
    assert a.unit == county.grid_a and b.unit == county.grid_b
    assert a.reported == 5  # c1 c2 c3 c7 c9
    assert a.closure_rate == 0.6  # c1 c3 c7 = 3 / 5
    assert a.on_time_rate == pytest.approx(2 / 3)  # c1 c7
    assert a.rework_rate == 0.25  # c2 / (3 closed + c2)
    assert a.satisfaction_rate == 0.5  # c1 of c1 c2
    assert a.village_share == 1.0 and a.town_share == 1.0  # c1 c7 at grid, c3 at village
    assert a.median_first_response_hours == 1.5  # 0 1 [1.5] 2 56.5
    assert a.median_close_hours == 5.0  # 2 [5] 57.5
    assert b.reported == 2  # c4 c10
    assert b.closure_rate == 1.0 and b.on_time_rate == 1.0
    assert b.rework_rate == 0.5  # c10 / (c4 c10)
    assert b.satisfaction_rate == 1.0  # c10
    assert b.village_share == 0.5 and b.town_share == 1.0  # c4 closed by the town
    assert b.median_first_response_hours == 2.0  # (1 + 3) / 2
    assert b.median_close_hours == 7.5  # (7 + 8) / 2


def test_county_children_are_the_towns(county, cases):
    rep = report_for(county.county, [county.town, county.town2], NOVEMBER.start, NOVEMBER.end)
    town, town2 = rep.children
    assert (town.reported, town2.reported) == (7, 1)
    assert town2.closure_rate == 1.0 and town2.rework_rate == 0.0 and town2.satisfaction_rate == 1.0
    assert town2.median_first_response_hours == 0.5 and town2.median_close_hours == 3.0  # c6 alone


def test_micro_grids_of_a_grid_are_its_children(county, cases):
    rep = report_for(county.grid_a, [county.mg_a1, county.mg_a2], NOVEMBER.start, NOVEMBER.end)
    a1, a2 = rep.children
    assert a1.reported == 5  # every grid A case sits in micro-grid A1
    assert a1.median_close_hours == 5.0  # 2 [5] 57.5
    assert a2.reported == 0 and a2.closure_rate is None and a2.median_close_hours is None


def test_cases_placed_on_the_county_count_for_it_but_for_no_town(county, cases):
    with clock.frozen(h(1)):
        report_case(county, where=None, actor=county.admin, channel=Channel.HOTLINE, reporter_name="来电人")
    rep = report_for(county.county, [county.town, county.town2], NOVEMBER.start, NOVEMBER.end)
    assert rep.total.reported == 9  # 8 + the triage case
    assert [c.reported for c in rep.children] == [7, 1]


def test_empty_periods_show_no_rates(county, cases):
    january = Period("custom", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    ind = indicators_for(county.county, january.start, january.end)
    assert ind.reported == 0
    assert ind.closure_rate is None and ind.on_time_rate is None and ind.rework_rate is None
    assert ind.satisfaction_rate is None and ind.village_share is None
    assert ind.median_first_response_hours is None and ind.median_close_hours is None


def test_query_count_does_not_grow_with_children_or_cases(county, cases):
    towns = [county.town, county.town2]
    with CaptureQueriesContext(connection) as county_queries:
        report_for(county.county, towns, NOVEMBER.start, NOVEMBER.end)
    for _ in range(5):
        _at(h(1), county=county, where=(15, 5))
    with CaptureQueriesContext(connection) as village_queries:
        report_for(county.village, [county.grid_a, county.grid_b], NOVEMBER.start, NOVEMBER.end)
    assert len(county_queries) == len(village_queries) <= 6


def test_residents_per_grid_worker_comes_from_the_unit(county):
    county.county.refresh_from_db()
    ind = indicators_for(county.county, NOVEMBER.start, NOVEMBER.end)
    assert county.county.grid_worker_count == 3  # workers A, B, C
    assert ind.residents_per_grid_worker == round(county.county.resident_count / 3, 0)


def test_periods_are_local_calendar_ranges():
    today = dt.date(2026, 3, 15)
    assert (period_for("month", today).first, period_for("month", today).last) == (
        dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    last = period_for("month", today).previous()
    assert (last.first, last.last) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    year = period_for("year", today)
    assert year.start == timezone.make_aware(dt.datetime(2026, 1, 1))
    assert year.end == timezone.make_aware(dt.datetime(2027, 1, 1))


# ---- the old page: now the command centre ------------------------------------------------------------

def _page(client, user, unit: OrgUnit, **params):
    client.force_login(user)
    return client.get(reverse("cases:indicators", args=[unit.code]), params)


NOV_PARAMS = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}


def test_the_old_page_redirects_to_the_command_centre_keeping_the_period(client, county, cases):
    resp = _page(client, county.admin, county.county, **NOV_PARAMS)
    assert resp.status_code == 302
    assert resp["Location"] == f"/dashboard/{county.county.code}/?period=custom&from=2026-11-01&to=2026-11-30"
    body = client.get(resp["Location"]).content.decode()
    assert "结案率" in body and "75.0%" in body  # 6 / 8, as computed above
    assert "天凝镇" in body and "大云镇" in body


def test_the_old_period_names_are_translated(client, county):
    with clock.frozen(T0):
        assert _page(client, county.admin, county.town, period="this_month")["Location"] == (
            f"/dashboard/{county.town.code}/?period=month")
        assert _page(client, county.admin, county.town, period="last_month")["Location"] == (
            f"/dashboard/{county.town.code}/?period=custom&from=2026-10-01&to=2026-10-31")


def test_town_staff_are_redirected_for_their_town_but_not_the_other(client, county):
    assert _page(client, county.town_staff, county.town).status_code == 302
    assert _page(client, county.town_staff, county.town2).status_code == 404
    assert _page(client, county.town_staff, county.county).status_code == 404


def test_grid_workers_are_redirected_only_for_their_own_grid(client, county):
    assert _page(client, county.worker_a, county.grid_a).status_code == 302
    assert _page(client, county.worker_b, county.grid_a).status_code == 404


def test_residents_and_strangers_do_not_get_in(client, county):
    assert _page(client, county.resident_user, county.grid_a).status_code == 404
    client.logout()
    resp = client.get(reverse("cases:indicators", args=[county.grid_a.code]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
