"""The walk list on a phone: grouped by micro-grid, the head of household with a masked phone and an audited
call, the last outcome in its own colour and words, a fixed query count, outcomes queued offline that
arrive late (both kept, the later one wins) and the service worker that keeps the page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Campaign, CampaignStatus, Kind, Outcome, Rule, Target, Visit
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.testing import point_in
from shanzhi.people.models import Relation
from shanzhi.people.services import household_create, resident_create

ID_HEAD_A2 = "330421195005056669"


def night_visit(county, unit=None):
    """Town staff send the grid workers out on a night visit of the unit (grid A by default), from 3 hours ago."""
    scope = resolve(actor=county.town_staff, units=[(unit or county.grid_a).code])
    return svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十二月网格夜访", scope=scope,
                               rule=Rule.GRID_WORKER, starts_at=clock.now() - dt.timedelta(hours=3))


def add_households(county, n: int, micro_grid=None, start: int = 10) -> list:
    """n more households in micro-grid A2 (or the one given), each with a head who has a phone and a tag."""
    out = []
    for i in range(start, start + n):
        lat, lon = point_in(7, 1 + (i % 8))
        h = household_create(actor=None, number=f"H-A2-{i:03d}", micro_grid=micro_grid or county.mg_a2,
                             address=f"新联村二组{i}号", registration="registered", lat=lat, lon=lon)
        resident_create(actor=None, household=h, name=f"户主{i}", id_number=_id_number(i),
                        phone=f"139000{i:05d}", relation=Relation.HEAD, tags=["elderly_alone"])
        out.append(h)
    return out


def _id_number(i: int) -> str:
    """A valid GB 11643 number for a test resident born in 1960 (serial i)."""
    body = f"33042119600101{i:03d}"[:17]
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def card(html: str, number: str) -> str:
    return re.search(rf'<li class="target-card[^"]*"[^>]*data-household="{number}".*?</li>', html, re.S).group(0)


@pytest.fixture
def worker_a(client, county):
    client.force_login(county.worker_a)
    return client


def test_the_walk_list_shows_the_head_the_masked_phone_the_tags_and_the_last_outcome(worker_a, county):
    (h,) = add_households(county, 1)
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=h)
    svc.visit_record(actor=county.worker_a, target=t, outcome=Outcome.NOT_HOME)
    html = worker_a.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    mine = card(html, h.number)
    assert "户主10" in mine and "139****0010" in mine and "13900000010" not in mine
    assert "独居老人" in mine
    assert 'class="outcome-badge o-not_home">不在家<' in mine and "last-not_home" in mine.split('"')[1]
    zhang = card(html, county.household_a.number)
    assert "张三" in zhang and "138****0001" in zhang and "13800000001" not in html
    assert "暂无" in zhang.split("上次结果")[1][:80]  # nothing recorded yet
    assert "data-online-only" in zhang  # a grid worker may call: the button is there


def test_the_walk_list_is_grouped_by_micro_grid(worker_a, county):
    add_households(county, 2)
    c = night_visit(county)
    html = worker_a.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    groups = re.findall(r'<details class="mg-group" id="mg-\d+" data-unit="(\d+)"( open)?>', html)
    assert [code for code, _ in groups] == [county.mg_a1.code, county.mg_a2.code]
    assert groups[0][1] == " open" and groups[1][1] == ""  # the first with work left is open, the rest folded
    a2 = html.split(f'data-unit="{county.mg_a2.code}"')[1]
    assert "2 户 · 已完成 0" in a2 and "H-A2-010" in a2 and county.household_a.number not in a2
    # the case categories are sent once for the page, not once per household
    assert html.count('<option value="elderly_care">') == 1 and html.count('id="case-categories"') == 1


def test_vacant_moved_refused_and_not_at_home_look_different_from_visited(worker_a, county):
    homes = add_households(county, 5)
    c = night_visit(county)
    outcomes = [Outcome.VISITED, Outcome.NOT_HOME, Outcome.VACANT, Outcome.MOVED, Outcome.REFUSED]
    for h, o in zip(homes, outcomes, strict=True):
        svc.visit_record(actor=county.worker_a, target=Target.objects.get(campaign=c, household=h), outcome=o)
    html = worker_a.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    seen = {}
    for h, o in zip(homes, outcomes, strict=True):
        classes = card(html, h.number).split('"')[1].split()
        badge = re.search(r'class="outcome-badge (o-\w+)">([^<]+)<', card(html, h.number))
        seen[o] = ([k for k in classes if k.startswith("last-")], badge.groups())
    assert seen == {
        "visited": (["last-visited"], ("o-visited", "已走访")),
        "not_home": (["last-not_home"], ("o-not_home", "不在家")),
        "vacant": (["last-vacant"], ("o-vacant", "空置")),
        "moved": (["last-moved"], ("o-moved", "已搬离")),
        "refused": (["last-refused"], ("o-refused", "拒绝")),
    }
    css = (open("shanzhi/static/campaigns_field/field.css", encoding="utf-8").read())
    colours = {o: re.search(rf"\.o-{o} \{{ color:(#\w+); background:(#\w+)", css).groups() for o in seen}
    assert len(set(colours.values())) == 5  # five different colours, each with its words


def test_the_walk_list_costs_the_same_queries_for_two_or_twenty_households(worker_a, county,
                                                                           django_assert_max_num_queries):
    c = night_visit(county)
    with CaptureQueriesContext(connection) as small:
        assert worker_a.get(reverse("campaigns:walk", args=[c.pk])).status_code == 200
    homes = add_households(county, 20)
    big = night_visit(county)
    for h in homes[:5]:
        svc.visit_record(actor=county.worker_a, target=Target.objects.get(campaign=big, household=h),
                         outcome=Outcome.VISITED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = worker_a.get(reverse("campaigns:walk", args=[big.pk]))
    assert r.content.decode().count('class="target-card') == 21


def test_a_grid_worker_of_grid_b_sees_nothing_of_grid_a(client, county):
    (h,) = add_households(county, 1)
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=h)
    client.force_login(county.worker_b)
    assert client.get(reverse("campaigns:walk", args=[c.pk])).status_code == 404
    assert client.post(reverse("campaigns:visit", args=[c.pk, t.pk]),
                       {"outcome": "visited", "idempotency_key": "b-1"}).status_code == 404
    assert client.post(reverse("campaigns:call", args=[c.pk, t.pk])).status_code == 404
    assert not Visit.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="people.reveal.phone").exists()
    # On a village-wide visit, B's own list holds grid B's households only.
    village = night_visit(county, county.village)
    html = client.get(reverse("campaigns:walk", args=[village.pk])).content.decode()
    assert county.household_b.number in html and "王五" in html
    assert county.household_a.number not in html and "张三" not in html and h.number not in html


def test_the_call_button_reveals_the_phone_through_the_audited_reveal(worker_a, county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    r = worker_a.post(reverse("campaigns:call", args=[c.pk, t.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'href="tel:13800000001"' in r.content.decode()
    entry = AuditEntry.objects.get(action="people.reveal.phone")
    assert entry.actor_id == county.worker_a.pk and entry.object_id == str(county.resident.pk)
    assert c.name in entry.reason


def test_the_reveal_limit_applies_to_the_call_button(worker_a, county, settings):
    settings.SHANZHI = {**settings.SHANZHI, "REVEAL_LIMIT_PER_HOUR": 1}
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    url = reverse("campaigns:call", args=[c.pk, t.pk])
    assert "tel:13800000001" in worker_a.post(url).content.decode()
    r = worker_a.post(url)
    assert r.status_code == 429 and "上限" in r.content.decode() and "tel:" not in r.content.decode()
    r = worker_a.post(url, HTTP_HX_REQUEST="true")
    assert r["X-Refused-Status"] == "429" and "138****0001" in r.content.decode()
    assert AuditEntry.objects.filter(action="people.reveal.phone").count() == 1


def _leader_campaign(county, central, capacity: int = 10):
    """A central-household night visit over grid A; the linked household H-A1-002 gets a head with a phone."""
    head = resident_create(actor=None, household=county.extra["h2"], name="钱七", id_number=_id_number(77),
                           phone="13900000077", relation=Relation.HEAD)
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    c = svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="夜访", scope=scope,
                            rule=Rule.CENTRAL_HOUSEHOLD, capacity=capacity)
    t = Target.objects.get(campaign=c, household=county.extra["h2"])
    assert t.resident_id == county.resident.pk  # 张三 leads the central household caring for H-A1-002
    return c, t, head


def test_a_central_household_leader_calls_a_household_in_their_care_through_the_audited_reveal(client, county,
                                                                                              central):
    c, t, head = _leader_campaign(county, central)
    client.force_login(county.resident_user)
    html = client.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    assert "139****0077" in html and reverse("campaigns:call", args=[c.pk, t.pk]) in html
    r = client.post(reverse("campaigns:call", args=[c.pk, t.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'href="tel:13900000077"' in r.content.decode()
    entry = AuditEntry.objects.get(action="people.reveal.phone")
    assert entry.actor_id == county.resident_user.pk and entry.object_id == str(head.pk)
    assert c.name in entry.reason


def test_the_reveal_limit_applies_to_a_leaders_calls_too(client, county, central, settings):
    settings.SHANZHI = {**settings.SHANZHI, "REVEAL_LIMIT_PER_HOUR": 1}
    c, t, _ = _leader_campaign(county, central)
    client.force_login(county.resident_user)
    url = reverse("campaigns:call", args=[c.pk, t.pk])
    assert "tel:13900000077" in client.post(url).content.decode()
    r = client.post(url)
    assert r.status_code == 429 and "tel:" not in r.content.decode()
    assert AuditEntry.objects.filter(action="people.reveal.phone").count() == 1


def test_a_leader_may_not_call_a_household_outside_their_care(client, county, central):
    (household,) = add_households(county, 1)  # in A2, beyond the leader's one household of room
    c, t, _ = _leader_campaign(county, central, capacity=1)
    other = Target.objects.get(campaign=c, household=household)
    assert other.resident_id != county.resident.pk
    client.force_login(county.resident_user)
    html = client.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    assert reverse("campaigns:call", args=[c.pk, other.pk]) not in html
    assert client.post(reverse("campaigns:call", args=[c.pk, other.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="people.reveal.phone").exists()


def test_a_leader_may_not_call_once_the_campaign_is_over(client, county, central):
    c, t, _ = _leader_campaign(county, central)
    Campaign.objects.filter(pk=c.pk).update(status=CampaignStatus.CLOSED)
    client.force_login(county.resident_user)
    html = client.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    assert "139****0077" in html and reverse("campaigns:call", args=[c.pk, t.pk]) not in html
    assert client.post(reverse("campaigns:call", args=[c.pk, t.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="people.reveal.phone").exists()
    assert AuditEntry.objects.filter(action="people.reveal.refused", actor=county.resident_user).count() == 1


def test_a_resident_without_a_post_or_a_household_in_care_gets_no_call(client, county):
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    c = svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="夜访", scope=scope,
                            rule=Rule.GRID_WORKER)
    t = Target.objects.get(campaign=c, household=county.household_a)
    client.force_login(county.resident_user)
    assert client.post(reverse("campaigns:call", args=[c.pk, t.pk])).status_code == 404


# ---- outcomes that arrive late ---------------------------------------------------------------------------

def test_an_outcome_recorded_offline_earlier_is_kept_but_the_later_one_wins(client, county):
    """A records "not at home" offline at 20:00; B records "visited" online at 20:30; A's phone syncs at 21:00."""
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    now = clock.now()
    b_time, a_time = now - dt.timedelta(minutes=30), now - dt.timedelta(minutes=60)
    svc.visit_record(actor=county.town_staff, target=t, outcome=Outcome.VISITED, now=b_time)
    client.force_login(county.worker_a)
    r = client.post(reverse("campaigns:visit", args=[c.pk, t.pk]),
                    {"outcome": "not_home", "idempotency_key": "a-offline-1", "recorded_at": a_time.isoformat()},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "以较晚的为准" in r.content.decode()
    visits = list(Visit.objects.filter(target=t).order_by("at").values_list("outcome", "by", "at"))
    assert visits == [("not_home", county.worker_a.pk, a_time), ("visited", county.town_staff.pk, b_time)]
    t.refresh_from_db()
    assert (t.last_outcome, t.revisit_due, t.reached_at) == ("visited", None, b_time)
    assert 'data-last-outcome="visited"' in r.content.decode()


def test_an_outcome_recorded_later_wins_when_it_arrives_after_an_earlier_one(client, county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    now = clock.now()
    svc.visit_record(actor=county.town_staff, target=t, outcome=Outcome.VISITED, now=now - dt.timedelta(hours=2))
    client.force_login(county.worker_a)
    client.post(reverse("campaigns:visit", args=[c.pk, t.pk]),
                {"outcome": "moved", "idempotency_key": "a-offline-2",
                 "recorded_at": (now - dt.timedelta(hours=1)).isoformat()})
    t.refresh_from_db()
    assert t.last_outcome == "moved" and Visit.objects.filter(target=t).count() == 2
    assert t.reached_at == now - dt.timedelta(hours=2)  # reached when first reached


def test_a_phone_clock_in_the_future_is_capped_at_now(county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    now = clock.now()
    v = svc.visit_record(actor=county.worker_a, target=t, outcome=Outcome.REFUSED, now=now,
                         recorded_at=now + dt.timedelta(days=3))
    assert v.at == now
    later = svc.visit_record(actor=county.town_staff, target=t, outcome=Outcome.VISITED,
                             now=now + dt.timedelta(minutes=5))
    t.refresh_from_db()
    assert later.at > v.at and t.last_outcome == "visited"  # a wrong clock cannot pin the outcome


def test_the_same_queued_outcome_sent_twice_makes_one_visit(client, county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    client.force_login(county.worker_a)
    form = {"outcome": "visited", "idempotency_key": "queued-1", "recorded_at": clock.now().isoformat()}
    for _ in range(3):
        assert client.post(reverse("campaigns:visit", args=[c.pk, t.pk]), form, HTTP_HX_REQUEST="true").status_code == 200
    assert Visit.objects.filter(target=t).count() == 1


def test_a_phone_clock_before_the_campaign_started_counts_from_the_start(county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    v = svc.visit_record(actor=county.worker_a, target=t, outcome=Outcome.VISITED,
                         recorded_at=c.starts_at - dt.timedelta(days=400))
    assert v.at == c.starts_at


def test_a_bad_recorded_time_is_refused_naming_the_field(client, county):
    c = night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    client.force_login(county.worker_a)
    for bad in ("yesterday", "2026-12-01T20:00:00"):  # not a time; no time zone
        r = client.post(reverse("campaigns:visit", args=[c.pk, t.pk]),
                        {"outcome": "visited", "idempotency_key": f"k-{bad}", "recorded_at": bad},
                        HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and "recorded_at" in r.content.decode() and "时区" in r.content.decode()
    assert not Visit.objects.exists()


# ---- the service worker ------------------------------------------------------------------------------

def test_the_service_worker_is_served_under_campaigns_for_the_walk_pages(client, county):
    r = client.get("/campaigns/sw.js")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/javascript")
    assert "shanzhi-walk-" in r.content.decode() and r["Cache-Control"] == "no-cache"
    c = night_visit(county)
    client.force_login(county.worker_a)
    r = client.get(reverse("campaigns:walk", args=[c.pk]))
    html = r.content.decode()
    assert 'data-sw="/campaigns/sw.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script: all of it in static files
    policy = r["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "worker-src" not in policy  # a worker from 'self' is allowed
