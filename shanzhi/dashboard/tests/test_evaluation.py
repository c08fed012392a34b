"""Grid evaluation: points, renormalisation, grades, ranks, trends, the scheme and who may see or change it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.audit.models import AuditEntry
from shanzhi.cases import services as case_services
from shanzhi.dashboard import evaluation, services
from shanzhi.dashboard.evaluation import WeightSpec, grade_for, points, scores_for
from shanzhi.dashboard.evaluation_models import EvaluationScheme, Mapping
from shanzhi.dashboard.tests import evaluation_fixtures
from shanzhi.dashboard.tests.evaluation_fixtures import (
    NOVEMBER,
    SOURCE,
    hand_scheme,
    hand_values,
    make_scheme,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.periods import month_period
from shanzhi.lib.testing import report_case
from shanzhi.org.models import Level
from shanzhi.org.services import orgunit_create

source = evaluation_fixtures.source  # the test indicator source (a fixture)
default_scheme = evaluation_fixtures.default_scheme  # what the data migration installs
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_scheme")]
NOV = month_period(*NOVEMBER)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _by_code(scores):
    return {s.grid.code: s for s in scores}


# ---- the default scheme ---------------------------------------------------------------------------------

def test_the_default_scheme_follows_common_zhejiang_practice():
    scheme = EvaluationScheme.objects.get()
    weights = {w.indicator_key: (w.weight, w.mapping) for w in scheme.weights.all()}
    assert weights == {
        "cases.on_time_rate": (Decimal(30), Mapping.SHARE),
        "cases.satisfaction_rate": (Decimal(30), Mapping.SHARE),
        "campaigns.visit_coverage": (Decimal(20), Mapping.SHARE),
        "cases.rework_rate": (Decimal(20), Mapping.SHARE_INVERSE),
    }
    assert scheme.thresholds == [("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0)]


# ---- points and grades ----------------------------------------------------------------------------------

def test_points_map_shares_and_durations_to_a_hundred():
    assert points(Mapping.SHARE, 0.932) == pytest.approx(93.2)
    assert points(Mapping.SHARE_INVERSE, 0.05) == pytest.approx(95.0)
    assert points(Mapping.TARGET_LIMIT, 24, 24, 72) == 100
    assert points(Mapping.TARGET_LIMIT, 10, 24, 72) == 100  # better than the target: still 100
    assert points(Mapping.TARGET_LIMIT, 36, 24, 72) == pytest.approx(75.0)
    assert points(Mapping.TARGET_LIMIT, 72, 24, 72) == 0
    assert points(Mapping.TARGET_LIMIT, 100, 24, 72) == 0
    assert points(Mapping.SHARE, None) is None


def test_grades_change_exactly_at_the_thresholds():
    scheme = EvaluationScheme(name="x", effective_from=dt.date(2026, 1, 1), grade_a=90, grade_b=80, grade_c=70,
                              grade_d=60)
    assert [grade_for(t, scheme) for t in (100, 90, 89.99, 80, 79.99, 70, 69.99, 60, 59.99, 0)] == \
        ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]
    assert grade_for(None, scheme) == "—"


def test_a_share_right_at_a_threshold_gets_that_grade(county, source):
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)])
    source.set(NOVEMBER, county.grid_a.code, on_time=0.6)  # 0.6 × 100 is 60.000000000000001 in floating point
    source.set(NOVEMBER, county.grid_b.code, on_time=0.7)
    got = _by_code(scores_for(county.village, NOV))
    assert (got[county.grid_a.code].total, got[county.grid_a.code].grade) == (60.0, "D")
    assert (got[county.grid_b.code].total, got[county.grid_b.code].grade) == (70.0, "C")


# ---- scores: the hand-computed example -------------------------------------------------------------------

def test_scores_match_the_hand_computed_example(county, source):
    hand_scheme()
    hand_values(source, county)
    got = _by_code(scores_for(county.county, NOV))
    a, b, c = got[county.grid_a.code], got[county.grid_b.code], got[county.grid_c.code]
    assert [(p.key.split(".")[1], p.points) for p in a.parts] == [("on_time", 90.0), ("rework", 90.0),
                                                                 ("hours", 50.0)]
    assert (a.total, a.grade) == (78.0, "C")
    assert (b.total, b.grade) == (97.14, "A")  # (40×95 + 30×100) ÷ 70: rework had no value
    assert [p.points for p in b.parts] == [95.0, None, 100.0]
    assert (c.total, c.grade, c.shown_total) == (None, "—", "—")  # no value at all: no score, not 0
    assert (b.rank_village, a.rank_village) == (1, 2)
    assert (b.rank_town, a.rank_town) == (1, 2)
    assert (c.rank_village, c.rank_town) == (None, None)
    assert (a.village, a.town) == (county.village, county.town)


def test_scores_read_every_grid_with_one_call_of_the_source(county, source, django_assert_max_num_queries):
    hand_scheme()
    hand_values(source, county)
    with django_assert_max_num_queries(4):  # grids, their towns and villages, the scheme and its weights
        scores = scores_for(county.county, NOV)
    assert len(scores) == 3
    assert source.calls == 1


def test_an_unregistered_indicator_is_left_out_and_said_so(county, source):
    make_scheme([(f"{SOURCE}.on_time", 50, Mapping.SHARE, None, None),
                 ("nowhere.visit_coverage", 50, Mapping.SHARE, None, None)])
    source.set(NOVEMBER, county.grid_a.code, on_time=0.8)
    ev = evaluation.evaluate(county.village, NOV)
    a = _by_code(ev.scores)[county.grid_a.code]
    assert (a.total, a.grade) == (80.0, "B")  # the remaining weight renormalised to the whole
    assert [p.key for p in a.parts] == [f"{SOURCE}.on_time"]
    assert ev.skipped == ["nowhere.visit_coverage"]
    assert "尚未接入" in ev.note and "nowhere.visit_coverage" in ev.note


def test_tied_grids_share_a_rank_and_the_next_one_skips(county, source):
    grid_d = orgunit_create(actor=None, code="330421112201003", name="新联村第三网格", level=Level.GRID,
                            parent=county.village)
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)])
    source.set(NOVEMBER, county.grid_a.code, on_time=0.8)
    source.set(NOVEMBER, county.grid_b.code, on_time=0.8)
    source.set(NOVEMBER, grid_d.code, on_time=0.7)
    source.set(NOVEMBER, county.grid_c.code, on_time=0.5)
    got = _by_code(scores_for(county.county, NOV))
    assert [got[g].rank_village for g in (county.grid_a.code, county.grid_b.code, grid_d.code)] == [1, 1, 3]
    assert got[county.grid_c.code].rank_village == 1  # alone in 洋桥村 and in 大云镇
    assert got[county.grid_c.code].rank_town == 1


def test_a_village_or_a_grid_is_ranked_among_its_whole_town(county, source):
    hand_scheme()
    hand_values(source, county)
    [a] = scores_for(county.grid_a, NOV)
    assert (a.grid, a.total, a.rank_village, a.rank_town) == (county.grid_a, 78.0, 2, 2)
    assert {s.grid.code for s in scores_for(county.village, NOV)} == {county.grid_a.code, county.grid_b.code}
    [c] = scores_for(county.grid_c, NOV)
    assert (c.total, c.rank_town) == (None, None)


def test_the_month_uses_the_scheme_in_force_then(county, source):
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)], start=dt.date(2026, 1, 1))
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)], name="十二月起", start=dt.date(2026, 12, 1),
                grades=(95, 85, 75, 65))
    source.set(NOVEMBER, county.grid_a.code, on_time=0.9)
    source.set((2026, 12), county.grid_a.code, on_time=0.9)
    assert _by_code(scores_for(county.village, NOV))[county.grid_a.code].grade == "A"
    assert _by_code(scores_for(county.village, month_period(2026, 12)))[county.grid_a.code].grade == "B"


def test_the_trend_gives_twelve_months_with_gaps(county, source):
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)])
    source.set(NOVEMBER, county.grid_a.code, on_time=0.9)
    source.set((2026, 9), county.grid_a.code, on_time=0.5)
    periods, totals = evaluation.trend(county.village, NOV)
    assert [p.first for p in periods][0] == dt.date(2025, 12, 1)
    assert periods[-1] == NOV
    assert totals[county.grid_a.id][-3:] == [50.0, None, 90.0]
    assert totals[county.grid_b.id] == [None] * 12
    assert source.calls == 11  # one per month from January (the scheme starts then); none before


def test_scores_from_real_cases(county):
    """Two cases in grid A in November: one closed on time and rated satisfied, one closed on time then
    rated unsatisfied (so reworked). On-time 1/1, satisfaction 1/2, rework 1/2; grid B has no case."""
    make_scheme([("cases.on_time_rate", 50, Mapping.SHARE, None, None),
                 ("cases.satisfaction_rate", 30, Mapping.SHARE, None, None),
                 ("cases.rework_rate", 20, Mapping.SHARE_INVERSE, None, None)])
    t0 = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
    for hours, satisfied in ((0, True), (1, False)):
        at = t0 + dt.timedelta(hours=hours)
        with clock.frozen(at):
            case = report_case(county)
            case_services.case_accept(actor=county.worker_a, case=case)
        with clock.frozen(at + dt.timedelta(hours=2)):
            case_services.case_start(actor=county.worker_a, case=case)
            case_services.case_report_back(actor=county.worker_a, case=case, note="已清理")
            case_services.case_verify(actor=county.admin, case=case)
            case_services.case_close(actor=county.admin, case=case)
        with clock.frozen(at + dt.timedelta(hours=3)):
            case_services.case_rate(actor=county.resident_user, case=case, rating=5 if satisfied else 2,
                                    satisfied=satisfied, comment="" if satisfied else "没扫干净")
    got = _by_code(scores_for(county.village, NOV))
    a, b = got[county.grid_a.code], got[county.grid_b.code]
    assert [p.value for p in a.parts] == [1.0, 0.5, 0.5]
    assert (a.total, a.grade, a.rank_village) == (75.0, "C", 1)  # (50×100 + 30×50 + 20×50) ÷ 100
    assert (b.total, b.grade, b.rank_village) == (None, "—", None)


# ---- the evaluation page --------------------------------------------------------------------------------

def _page(user, unit, **query):
    return _client(user).get(reverse("evaluation:unit", args=[unit.code]), {"month": "2026-11", **query})


def test_the_page_ranks_the_grids_of_a_town(county, source):
    hand_scheme()
    hand_values(source, county)
    source.set((2026, 10), county.grid_a.code, on_time=0.5)
    resp = _page(county.town_staff, county.town)
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "新联村第一网格" in body and "新联村第二网格" in body
    assert "洋桥村第一网格" not in body  # the other town's grid
    assert '<th scope="rowgroup" colspan="14">天凝镇 · 新联村</th>' in body  # the ranking grouped by village
    assert "78.0" in body and "97.1" in body
    # drawn on the server (x: 2 + month × 116/11, y: 2 + 24 × (1 − total/100)): October 50 to November 78
    assert '<polyline points="107.5,14.0 118.0,7.3">' in body
    assert "<title>2026-11: 97.1</title>" in body
    assert "format=xlsx&amp;table=ranking" in body and "format=csv&amp;table=grades" in body


def test_grid_worker_b_gets_not_found_for_grid_a_and_its_village(county, source):
    hand_scheme()
    hand_values(source, county)
    assert _page(county.worker_b, county.grid_a).status_code == 404
    assert _page(county.worker_b, county.village).status_code == 404
    assert _page(county.worker_b, county.grid_a, format="xlsx").status_code == 404
    mine = _page(county.worker_b, county.grid_b)
    assert mine.status_code == 200 and "新联村第二网格" in mine.content.decode()
    assert "新联村第一网格" not in mine.content.decode()


def test_town_staff_get_not_found_for_another_town(county):
    assert _page(county.town_staff, county.town2).status_code == 404
    assert _page(county.town_staff, county.village2).status_code == 404
    assert _page(county.admin, county.town2).status_code == 200


def test_residents_and_visitors_see_no_evaluation(county):
    assert _page(county.resident_user, county.village).status_code == 404
    resp = Client().get(reverse("evaluation:unit", args=[county.village.code]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "abc", "0000-01", "２０２６-１１"])
def test_a_bad_month_is_a_400_in_chinese(county, month):
    resp = _page(county.admin, county.village, month=month)
    assert resp.status_code == 400
    assert "月份" in resp.content.decode() and "年-月" in resp.content.decode()


def test_a_micro_grid_has_no_evaluation_of_its_own(county):
    resp = _page(county.admin, county.mg_a1)
    assert resp.status_code == 400 and "请选择网格或以上的单位" in resp.content.decode()
    assert _page(county.worker_b, county.mg_a1).status_code == 404  # out of scope first


def test_the_default_month_is_the_last_complete_one(county, source):
    make_scheme([(f"{SOURCE}.on_time", 100, Mapping.SHARE, None, None)])
    source.set(NOVEMBER, county.grid_a.code, on_time=0.9)
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 12, 3, 9, 0))):
        resp = _client(county.admin).get(reverse("evaluation:unit", args=[county.village.code]))
    assert resp.status_code == 200
    assert resp.context["month"] == "2026-11"
    assert "90.0" in resp.content.decode()


# ---- the scheme: service and page -----------------------------------------------------------------------

GOOD = [WeightSpec("cases.on_time_rate", Decimal(40)), WeightSpec("cases.satisfaction_rate", Decimal(40)),
        WeightSpec("cases.median_close_hours", Decimal(20), Mapping.TARGET_LIMIT, 24, 120)]
GRADES = {"grade_a": Decimal(92), "grade_b": Decimal(85), "grade_c": Decimal(75), "grade_d": Decimal(60)}


def test_the_county_admin_changes_the_scheme_and_it_is_audited(county):
    scheme = evaluation.current_scheme()
    services.evaluation_scheme_update(actor=county.admin, scheme=scheme, name="2026年网格考核",
                                      effective_from=dt.date(2020, 1, 15), weights=GOOD, grades=GRADES)
    scheme.refresh_from_db()
    assert scheme.name == "2026年网格考核" and scheme.effective_from == dt.date(2020, 1, 1)
    assert EvaluationScheme.objects.count() == 1  # the same start month: changed in place
    assert [(w.indicator_key, w.weight) for w in scheme.weights.all()] == [
        ("cases.on_time_rate", 40), ("cases.satisfaction_rate", 40), ("cases.median_close_hours", 20)]
    assert scheme.grade_a == 92
    entry = AuditEntry.objects.get(action="dashboard.scheme_update")
    assert entry.actor == county.admin
    assert entry.before["name"] == "网格考核（默认方案）" and entry.after["name"] == "2026年网格考核"


def test_a_later_start_month_makes_a_new_scheme_and_earlier_months_keep_the_old(county):
    old = evaluation.current_scheme()
    new = services.evaluation_scheme_update(actor=county.admin, scheme=old, name="2027年方案",
                                            effective_from=dt.date(2027, 1, 1), weights=GOOD, grades=GRADES)
    assert new.pk != old.pk and evaluation.current_scheme() == new
    assert evaluation.scheme_for(month_period(2026, 12)) == old
    assert evaluation.scheme_for(month_period(2027, 1)) == new
    assert old.weights.count() == 4
    entry = AuditEntry.objects.get(action="dashboard.scheme_create")
    assert entry.reason == "自 2027-01 起接替「网格考核（默认方案）」"


def test_town_staff_may_read_the_scheme_but_not_change_it(county):
    scheme = evaluation.current_scheme()
    with pytest.raises(PermissionDenied):
        services.evaluation_scheme_update(actor=county.town_staff, scheme=scheme, name="x",
                                          effective_from=dt.date(2026, 1, 1), weights=GOOD, grades=GRADES)
    with pytest.raises(NotFound):
        services.evaluation_scheme_update(actor=county.resident_user, scheme=scheme, name="x",
                                          effective_from=dt.date(2026, 1, 1), weights=GOOD, grades=GRADES)
    assert not AuditEntry.objects.filter(action__startswith="dashboard.scheme").exists()


def test_the_service_refuses_every_problem_at_once(county):
    bad = [WeightSpec("cases.on_time_rate", Decimal(50)), WeightSpec("cases.on_time_rate", Decimal(30)),
           WeightSpec("nowhere.thing", Decimal(0)), WeightSpec("cases.median_close_hours", Decimal(10),
                                                               Mapping.TARGET_LIMIT, None, None)]
    with pytest.raises(DomainError) as exc:
        services.evaluation_scheme_update(actor=county.admin, scheme=evaluation.current_scheme(), name=" ",
                                          effective_from=dt.date(2026, 1, 1), weights=bad,
                                          grades={**GRADES, "grade_c": Decimal(90)})
    fields = exc.value.fields
    assert set(fields) >= {"key_1", "key_2", "weight_2", "target_3", "limit_3", "grade_c", "name"}
    assert "各项权重之和须为 100，目前为 90" in fields["weights"]


def _form(**over):
    data = {"name": "新方案", "effective_from": "2026-12", "grade_a": "90", "grade_b": "80", "grade_c": "70",
            "grade_d": "60", "key_0": "cases.on_time_rate", "weight_0": "60", "key_1": "cases.rework_rate",
            "weight_1": "40", "mapping_1": "share_inverse", "key_2": "", "weight_2": ""}
    data.update(over)
    return data


def test_the_admin_saves_the_scheme_through_the_page(county):
    url = reverse("evaluation:scheme")
    client = _client(county.admin)
    page = client.get(url)
    assert page.status_code == 200 and 'name="weight_0"' in page.content.decode()
    resp = client.post(url, _form())
    assert resp.status_code == 302
    scheme = evaluation.current_scheme()
    assert scheme.name == "新方案" and scheme.effective_from == dt.date(2026, 12, 1)
    assert [(w.indicator_key, w.weight, w.mapping) for w in scheme.weights.all()] == [
        ("cases.on_time_rate", 60, "share"), ("cases.rework_rate", 40, "share_inverse")]
    assert evaluation.scheme_for(NOV).name == "网格考核（默认方案）"  # November keeps the old scheme


def test_the_scheme_form_shows_every_error_at_once_in_chinese(county):
    resp = _client(county.admin).post(reverse("evaluation:scheme"), _form(
        weight_0="-5", key_1="nowhere.thing", key_2="cases.satisfaction_rate", weight_2="30",
        mapping_2="target_limit", grade_b="95", grade_d="abc", effective_from="2026/12"))
    assert resp.status_code == 400
    body = resp.content.decode()
    for message in ("权重须大于 0", "未知的指标：nowhere.thing", "按目标值计分须填写目标值", "按目标值计分须填写限值",
                    "B 级分数线须低于 A 级（90）", "生效月份应写作 年-月", "D 级最低分"):
        assert message in body, message
    assert resp.context["form"].errors.keys() >= {"weight_0", "key_1", "target_2", "limit_2", "grade_b",
                                                  "grade_d", "effective_from"}
    assert evaluation.current_scheme().name == "网格考核（默认方案）"  # nothing saved


def test_the_weights_must_sum_to_a_hundred(county):
    resp = _client(county.admin).post(reverse("evaluation:scheme"), _form(weight_1="30"))
    assert resp.status_code == 400
    assert "各项权重之和须为 100，目前为 90" in resp.content.decode()


def test_town_staff_see_the_scheme_and_get_403_when_posting(county):
    url = reverse("evaluation:scheme")
    client = _client(county.town_staff)
    page = client.get(url)
    assert page.status_code == 200
    assert "按期结案率" in page.content.decode() and 'name="weight_0"' not in page.content.decode()
    assert client.post(url, _form()).status_code == 403
    assert evaluation.current_scheme().name == "网格考核（默认方案）"


def test_residents_and_visitors_get_no_scheme(county):
    url = reverse("evaluation:scheme")
    assert _client(county.resident_user).get(url).status_code == 404
    assert _client(county.resident_user).post(url, _form()).status_code == 404
    assert Client().post(url, _form()).status_code == 302


def test_the_page_asks_as_many_queries_for_more_grids(county, source):
    """Twelve months of every grid: the query count does not grow with the number of grids."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hand_scheme()
    hand_values(source, county)
    client = _client(county.admin)
    url = reverse("evaluation:unit", args=[county.county.code])
    client.get(url, {"month": "2026-11"})  # the session and the static manifest, once
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, {"month": "2026-11"}).status_code == 200
    for n in (3, 4, 5):
        orgunit_create(actor=None, code=f"33042111220100{n}", name=f"新联村第{n}网格", level=Level.GRID,
                       parent=county.village)
    with CaptureQueriesContext(connection) as after:
        resp = client.get(url, {"month": "2026-11"})
    assert "新联村第5网格" in resp.content.decode()
    assert len(after) == len(before)


def test_names_from_the_database_show_as_text(county, source):
    from shanzhi.org.services import orgunit_rename

    orgunit_rename(actor=None, unit=county.grid_a, name="<img src=x onerror=alert(1)>")
    hand_scheme()
    hand_values(source, county)
    body = _page(county.admin, county.village).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    report = _client(county.admin).get(reverse("evaluation:report", args=[county.village.code]),
                                       {"month": "2026-11"}).content.decode()
    assert "<img src=x" not in report and "&lt;img src=x" in report
