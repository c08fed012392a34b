"""The rating SMS's short link: that case's rating page, single use, expiring, that case only."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shanzhi.accounts.sms import MemoryBackend
from shanzhi.audit.models import AuditEntry
from shanzhi.cases import services as svc
from shanzhi.cases.models import Category, Channel, Kind, RatingLink, Status
from shanzhi.cases.rating_links import rating_link_issue
from shanzhi.lib import clock
from shanzhi.lib.testing import point_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https?://[^\s]+)?(/cases/r/([A-Za-z0-9_-]+)/)")


def close(county, case):
    w = county.worker_a
    svc.case_accept(actor=w, case=case)
    svc.case_start(actor=w, case=case)
    svc.case_report_back(actor=w, case=case, note="已清理")
    svc.case_verify(actor=county.town_staff, case=case)  # not the handler: separation of duties
    svc.case_close(actor=county.town_staff, case=case)
    return case


def sent_link(phone: str) -> tuple[str, str]:
    """(path, text) of the last rating SMS to `phone`."""
    texts = [t for to, t in MemoryBackend.outbox if to == phone and "评价" in t]
    assert texts, "no rating SMS was sent"
    match = LINK.search(texts[-1])
    assert match, texts[-1]
    return match.group(2), texts[-1]


def rate(client, path: str, rating: str = "5", satisfied: str = "1", comment: str = ""):
    return client.post(path, {"rating": rating, "satisfied": satisfied, "comment": comment})


@pytest.fixture
def closed(county, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return close(county, report())


def test_the_rating_sms_carries_a_short_link_to_that_cases_rating_page(client, county, closed):
    path, text = sent_link("13800000001")
    assert "7天内有效" in text and closed.number in text
    assert len(path) <= len("/cases/r//") + 16
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert closed.number in html and 'name="rating"' in html
    assert page["Referrer-Policy"] == "no-referrer"


def test_the_public_address_is_put_before_the_path(settings, county, report, django_capture_on_commit_callbacks):
    settings.SHANZHI = {**settings.SHANZHI, "PUBLIC_URL": "https://shanzhi.example.cn"}
    with django_capture_on_commit_callbacks(execute=True):
        close(county, report())
    _path, text = sent_link("13800000001")
    assert "https://shanzhi.example.cn/cases/r/" in text


def test_the_link_rates_the_case_without_logging_in(client, county, closed):
    path, _text = sent_link("13800000001")
    response = rate(client, path, "4", "1", "很及时")
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == Status.RATED and closed.rating == 4 and closed.rating_comment == "很及时"
    event = closed.events.get(action="rate")
    assert event.actor_id == county.resident_user.pk  # rated as the reporter the link was sent to
    assert AuditEntry.objects.filter(action="cases.rating_link.use", object_id=str(closed.pk)).count() == 1


def test_a_used_link_says_so(client, county, closed):
    path, _text = sent_link("13800000001")
    rate(client, path)
    again = client.get(path)
    assert again.status_code == 410 and "该评价链接已使用过" in again.content.decode()
    second = rate(client, path, "1", "0")
    assert second.status_code == 410
    closed.refresh_from_db()
    assert closed.rating == 5 and closed.status == Status.RATED  # the second try changed nothing


def test_an_expired_link_says_so(client, county, closed):
    path, _text = sent_link("13800000001")
    with clock.frozen(clock.now() + dt.timedelta(days=7, minutes=1)):
        response = client.get(path)
        assert response.status_code == 410 and "该评价链接已过期" in response.content.decode()
        assert rate(client, path).status_code == 410
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and closed.rating is None


def test_the_expiry_follows_the_setting(settings, client, county, report, django_capture_on_commit_callbacks):
    settings.SHANZHI = {**settings.SHANZHI, "RATING_LINK_DAYS": 2}
    with django_capture_on_commit_callbacks(execute=True):
        close(county, report())
    path, text = sent_link("13800000001")
    assert "2天内有效" in text
    with clock.frozen(clock.now() + dt.timedelta(days=2, minutes=1)):
        assert client.get(path).status_code == 410
    with clock.frozen(clock.now() + dt.timedelta(days=1)):
        assert client.get(path).status_code == 200


def test_the_link_grants_that_case_only(client, county, closed, report):
    other = report(description="另一件事：路灯不亮", code="garbage", idempotency_key="other-case")
    path, _text = sent_link("13800000001")
    rate(client, path)
    other.refresh_from_db()
    assert other.status == Status.REPORTED and other.rating is None
    # the link opened no session: the reporter's other pages still ask for a log-in
    mine = client.get("/cases/mine/")
    assert mine.status_code == 302 and "/accounts/resident/" in mine["Location"]
    assert client.get(f"/cases/mine/{other.number}/").status_code == 302
    assert client.get(f"/cases/{other.number}/rate/").status_code == 302


def test_an_unknown_or_malformed_token_is_404(client, closed):
    assert client.get("/cases/r/AAAAAAAAAAAA/").status_code == 404
    assert client.get("/cases/r/" + "x" * 80 + "/").status_code == 404
    assert client.post("/cases/r/AAAAAAAAAAAA/", {"rating": "5", "satisfied": "1"}).status_code == 404


def test_a_newer_link_replaces_the_older(client, county, closed):
    old_path, _text = sent_link("13800000001")
    new_token = rating_link_issue(case=closed)
    assert "已失效" in client.get(old_path).content.decode()
    assert client.get(f"/cases/r/{new_token}/").status_code == 200


def test_a_case_already_rated_in_the_app_refuses_the_link(client, county, closed):
    path, _text = sent_link("13800000001")
    svc.case_rate(actor=county.resident_user, case=closed, rating=3, satisfied=True)
    response = client.get(path)
    assert response.status_code == 410 and "不能评价" in response.content.decode()


def test_bad_input_names_the_field_in_chinese(client, closed):
    path, _text = sent_link("13800000001")
    response = rate(client, path, rating="9", satisfied="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "评分" in html and 'class="errorlist' in html
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert not RatingLink.objects.filter(used_at__isnull=False).exists()


def test_an_unsatisfied_rating_by_link_sends_the_case_back(client, county, closed):
    path, _text = sent_link("13800000001")
    rate(client, path, "2", "0", "没清干净")
    closed.refresh_from_db()
    assert closed.status == Status.DISPATCHED and closed.reopen_count == 1


def test_a_hotline_callers_link_rates_their_case(client, county, at_wednesday, django_capture_on_commit_callbacks):
    lat, lon = point_in(2, 5)
    case = svc.case_report(actor=county.worker_a, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"),
                           description="桥头垃圾", channel=Channel.HOTLINE, lat=lat, lon=lon,
                           reporter_name="钱七", reporter_phone="13900000009")
    with django_capture_on_commit_callbacks(execute=True):
        close(county, case)
    path, _text = sent_link("13900000009")
    assert rate(client, path).status_code == 200
    case.refresh_from_db()
    assert case.status == Status.RATED
