"""The legal team's pages in English speak English apart from the data they show."""

import datetime as dt

import pytest
from django.test import Client

from shanzhi.legal import services as svc
from shanzhi.legal.models import Slot
from shanzhi.legal.tests.conftest import NINE, TUESDAY
from shanzhi.lib import clock
from shanzhi.lib.tests.test_i18n_catalogue import chinese_left, data_words, english


@pytest.fixture
def busy(legal):
    c = legal
    with clock.frozen(NINE):
        q = svc.question_ask(actor=c.resident_user, category=c.extra["category"], text="承包地被占了怎么办",
                             is_public=True)
        svc.question_ask(actor=c.resident_user, category=c.extra["category"], text="还没答复的问题", is_public=False)
        svc.question_answer(actor=c.extra["lawyer"], question=q, answer="可以协商解决")
        slot = Slot.objects.filter(village=c.village).order_by("starts_at").first()
        b = svc.booking_create(actor=c.resident_user, slot=slot, topic="宅基地")
        svc.talk_record(actor=c.extra["lawyer"], village=c.village, held_on=dt.date(2026, 11, 20), topic="普法讲座",
                        audience=30)
    c.extra.update(question=q, booking=b)
    return c


def words(c) -> list[str]:
    return [*data_words(c), "承包地被占了怎么办", "还没答复的问题", "可以协商解决", "新联村便民服务中心", "洋桥村委会",
            "宅基地", "普法讲座"]


def pages_in_english(c, user, urls):
    client = english(Client())
    client.force_login(user)
    out = {}
    with clock.frozen(TUESDAY + dt.timedelta(hours=1)):
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, url
            out[url] = chinese_left(resp.content.decode(), words(c))
    return {u: left for u, left in out.items() if left}


def test_resident_pages_in_english(busy):
    c = busy
    urls = ["/legal/me/", "/legal/ask/", "/legal/questions/", f"/legal/questions/{c.extra['question'].pk}/",
            "/legal/village/", "/legal/slots/", "/legal/bookings/"]
    assert pages_in_english(c, c.resident_user, urls) == {}


def test_adviser_pages_in_english(busy):
    c = busy
    urls = ["/legal/adviser/", "/legal/adviser/schedule/", f"/legal/adviser/bookings/{c.extra['booking'].pk}/outcome/",
            "/legal/adviser/talks/", "/legal/adviser/log/?month=2026-11"]
    assert pages_in_english(c, c.extra["lawyer"], urls) == {}


def test_desk_pages_in_english(busy):
    c = busy
    urls = ["/legal/desk/", "/legal/referrals/", f"/legal/desk/appointments/{c.extra['appointment'].pk}/", "/legal/desk/log/?month=2026-11"]
    assert pages_in_english(c, c.admin, urls) == {}
