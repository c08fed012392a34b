"""Topics: raised by residents of the village (and only there), members and cadres by the type's rule;
accepted, or declined with a public reason; supports once per resident and the automatic acceptance;
follows and notifications."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from PIL import Image

from shanzhi.cases.models import Notification
from shanzhi.councils import services
from shanzhi.councils.models import CouncilType, Follow, Support, Topic, TopicPhoto, TopicStatus
from shanzhi.councils.tests.test_councils import MONDAY, build_setting, client_for
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 120, 30)).save(buf, "PNG")
    return buf.getvalue()


def raise_topic(s, actor=None, council=None, **kw):
    kw.setdefault("title", "村口路灯不亮")
    kw.setdefault("text", "村口三盏路灯坏了一个月，晚上出行不便，建议更换。")
    return services.topic_raise(actor=actor or s.zhang, council=council or s.council, **kw)


# ---- raising -------------------------------------------------------------------------------------

def test_a_resident_raises_a_topic_in_their_village(setting):
    s = setting
    t1, t2 = raise_topic(setting), raise_topic(setting, actor=s.li, title="垃圾分类亭")
    assert (t1.number, t2.number) == ("YS20261207-0001", "YS20261207-0002")
    assert t1.status == TopicStatus.RAISED and t1.author_user == s.zhang and t1.author_resident == s.c.resident
    assert t1.events.get().action == "raise"
    assert Follow.objects.filter(topic=t1, user=s.zhang).exists()  # the author hears of every step
    with clock.frozen(MONDAY + dt.timedelta(days=1)):
        assert raise_topic(setting).number == "YS20261208-0001"


def test_no_topic_in_another_village(setting):
    s = setting
    with pytest.raises(NotFound):
        raise_topic(s, actor=s.zhao)
    url = reverse("councils:topic_raise", args=[s.council.pk])
    missing = reverse("councils:topic_raise", args=[987654])
    client = client_for(s.zhao)
    for u in (url, missing):
        assert client.get(u).status_code == 404
        assert client.post(u, {"title": "x", "text": "y"}).status_code == 404
    assert not Topic.objects.exists()


def test_raising_follows_the_types_rule(setting):
    s = setting
    worthies = services.council_create(actor=s.cadre, type=CouncilType.objects.get(code="worthies"),
                                       unit=s.c.village)
    with pytest.raises(PermissionDenied):  # members raise topics in the worthies' council, residents do not
        raise_topic(s, council=worthies)
    assert client_for(s.zhang).post(reverse("councils:topic_raise", args=[worthies.pk]),
                                    {"title": "x", "text": "y"}).status_code == 403
    services.member_add(actor=s.cadre, council=worthies, resident=s.c.resident)
    assert raise_topic(s, council=worthies).council == worthies
    assert raise_topic(s, actor=s.cadre, council=worthies).author_name == "村干部老陈"
    CouncilType.objects.filter(code="residents").update(raisers=CouncilType.Raisers.CADRES)
    s.council.type.refresh_from_db()
    with pytest.raises(PermissionDenied):
        raise_topic(s, actor=s.li)
    with pytest.raises(NotFound):  # grid workers act for residents (proxy), not on their own
        raise_topic(s, actor=s.c.worker_a, council=worthies)


def test_bad_topics_are_refused_naming_the_field(setting):
    s = setting
    with pytest.raises(DomainError) as exc:
        raise_topic(s, title=" ", text="")
    assert set(exc.value.fields) == {"title", "text"}
    with pytest.raises(DomainError) as exc:
        raise_topic(s, title="x" * 101)
    assert "title" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        raise_topic(s, photos=[png()] * 4)
    assert "photos" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        raise_topic(s, photos=[b"not an image"])
    assert "photos" in exc.value.fields
    assert not Topic.objects.exists()


def test_the_raise_page(setting):
    s = setting
    client = client_for(s.zhang)
    url = reverse("councils:topic_raise", args=[s.council.pk])
    assert client.get(url).status_code == 200
    resp = client.post(url, {"title": "", "text": "", "category": "no-such"})
    body = resp.content.decode()
    assert resp.status_code == 400 and "请填写标题" in body and "请填写内容" in body and "请选择有效的分类" in body
    resp = client.post(url, {"title": "路灯", "text": "坏了", "photos": [io.BytesIO(b"fake")]})
    assert resp.status_code == 400 and "不是有效的图片" in resp.content.decode()
    photo = io.BytesIO(png())
    photo.name = "a.png"
    resp = client.post(url, {"title": "村口路灯不亮", "text": "坏了一个月", "anonymous": "on", "photos": [photo]})
    topic = Topic.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("councils:topic_detail", args=[topic.number])
    assert topic.anonymous and topic.photos.count() == 1
    pic = reverse("councils:photo", args=[TopicPhoto.objects.get().pk])
    assert client_for(s.li).get(pic).status_code == 200
    assert client_for(s.zhao).get(pic).status_code == 404
    assert client_for(s.c.worker_b).get(pic).status_code == 404


def test_an_anonymous_author_is_hidden_from_other_residents_but_not_from_the_cadre(setting):
    s = setting
    topic = raise_topic(s, anonymous=True)
    url = reverse("councils:topic_detail", args=[topic.number])
    assert "张三" not in client_for(s.li).get(url).content.decode()
    assert "匿名" in client_for(s.li).get(url).content.decode()
    assert "张三" in client_for(s.cadre).get(url).content.decode()
    assert "张三" in client_for(s.zhang).get(url).content.decode()
    plain = raise_topic(s, title="另一件事")
    assert "张某" in client_for(s.li).get(reverse("councils:topic_detail", args=[plain.number])).content.decode()


# ---- accept and decline --------------------------------------------------------------------------

def test_accepting_moves_the_topic_and_tells_author_and_followers(setting):
    s = setting
    topic = raise_topic(s)
    services.topic_follow(actor=s.li, topic=topic)
    services.topic_accept(actor=s.cadre, topic=topic)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ACCEPTED
    assert topic.events.filter(action="accept", actor=s.cadre, to_status="accepted").exists()
    link = reverse("councils:topic_detail", args=[topic.number])
    assert set(Notification.objects.filter(link=link).values_list("user", flat=True)) == {s.zhang.pk, s.li.pk}
    with pytest.raises(DomainError) as exc:  # not twice
        services.topic_accept(actor=s.cadre, topic=topic)
    assert exc.value.code == "invalid_state"


def test_who_may_not_accept(setting):
    s = setting
    topic = raise_topic(s)
    for outsider in (s.c.worker_a, s.c.worker_b, s.c.worker_c, s.zhao):
        with pytest.raises(NotFound):
            services.topic_accept(actor=outsider, topic=topic)
    with pytest.raises(PermissionDenied):  # a resident of the village sees it, but does not accept it
        services.topic_accept(actor=s.li, topic=topic)
    url = reverse("councils:topic_act", args=[topic.number, "accept"])
    assert client_for(s.c.worker_b).post(url).status_code == 404
    assert client_for(s.li).post(url).status_code == 403
    assert client_for(s.cadre).post(url).status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ACCEPTED


def test_no_decline_without_a_reason(setting):
    s = setting
    topic = raise_topic(s)
    with pytest.raises(DomainError) as exc:
        services.topic_decline(actor=s.cadre, topic=topic, reason="  ")
    assert "reason" in exc.value.fields
    url = reverse("councils:topic_act", args=[topic.number, "decline"])
    resp = client_for(s.cadre).post(url, {"reason": ""})
    assert resp.status_code == 400 and "请填写理由" in resp.content.decode()
    topic.refresh_from_db()
    assert topic.status == TopicStatus.RAISED
    assert client_for(s.cadre).post(url, {"reason": "路灯属镇里统一维修，已转镇城建办"}).status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECLINED and topic.decline_reason.startswith("路灯属镇里")
    body = client_for(s.li).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    assert "路灯属镇里统一维修" in body and "不予受理" in body
    assert Notification.objects.filter(user=s.zhang, link__contains=topic.number).exists()


def test_the_desk_queue_shows_topics_of_councils_i_run(setting):
    s = setting
    mine = raise_topic(s)
    other = raise_topic(s, actor=s.zhao, council=s.council2, title="洋桥村的事")
    body = client_for(s.cadre).get(reverse("councils:queue")).content.decode()
    assert mine.number in body and other.number not in body
    body = client_for(s.c.admin).get(reverse("councils:queue")).content.decode()
    assert mine.number in body and other.number in body
    accept = reverse("councils:topic_act", args=[mine.number, "accept"])
    assert accept in client_for(s.cadre).get(reverse("councils:queue")).content.decode()
    assert client_for(s.cadre).post(accept).status_code == 302
    assert mine.number not in client_for(s.cadre).get(reverse("councils:queue")).content.decode()
    body = client_for(s.cadre).get(reverse("councils:queue"), {"status": "accepted"}).content.decode()
    assert mine.number in body
    assert client_for(s.cadre).get(reverse("councils:queue"), {"status": "nonsense"}).status_code == 200
    for user in (s.c.worker_b, s.c.worker_c):
        assert mine.number not in client_for(user).get(reverse("councils:queue")).content.decode()


def test_council_page_lists_topics_by_status(setting):
    s = setting
    a, b = raise_topic(s, title="路灯"), raise_topic(s, title="停车")
    services.topic_accept(actor=s.cadre, topic=a)
    url = reverse("councils:council_detail", args=[s.council.pk])
    body = client_for(s.li).get(url, {"status": "accepted"}).content.decode()
    assert a.number in body and b.number not in body


# ---- supports ------------------------------------------------------------------------------------

def test_one_support_per_resident(setting):
    s = setting
    topic = raise_topic(s)
    services.topic_support(actor=s.li, topic=topic)
    with pytest.raises(DomainError) as exc:
        services.topic_support(actor=s.li, topic=topic)
    assert exc.value.code == "already_supported"
    topic.refresh_from_db()
    assert topic.support_count == 1 == Support.objects.filter(topic=topic).count()
    url = reverse("councils:topic_act", args=[topic.number, "support"])
    resp = client_for(s.li).post(url)
    assert resp.status_code == 400 and "您已附议过该议题" in resp.content.decode()
    assert client_for(s.wang).post(url).status_code == 302  # grid B is the same village
    topic.refresh_from_db()
    assert topic.support_count == 2


def test_the_database_refuses_a_second_support_too(setting):
    from django.db import IntegrityError, transaction

    s = setting
    topic = raise_topic(s)
    services.topic_support(actor=s.li, topic=topic)
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(topic=topic, resident=s.c.neighbour, created_at=clock.now())


def test_only_residents_of_the_village_support(setting):
    s = setting
    topic = raise_topic(s)
    with pytest.raises(NotFound):
        services.topic_support(actor=s.zhao, topic=topic)
    with pytest.raises(PermissionDenied):
        services.topic_support(actor=s.cadre, topic=topic)
    assert client_for(s.zhao).post(reverse("councils:topic_act", args=[topic.number, "support"])).status_code == 404


def test_enough_supports_accept_a_raised_topic(setting):
    s = setting
    CouncilType.objects.filter(code="residents").update(supports_needed=2)
    topic = raise_topic(s)
    services.topic_support(actor=s.li, topic=topic)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.RAISED
    services.topic_support(actor=s.wang, topic=topic)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ACCEPTED and topic.support_count == 2
    event = topic.events.get(action="accept")
    assert event.actor is None and "自动受理" in event.note
    assert Notification.objects.filter(user=s.zhang, link__contains=topic.number).exists()


def test_no_support_for_a_declined_topic(setting):
    s = setting
    topic = raise_topic(s)
    services.topic_decline(actor=s.cadre, topic=topic, reason="不属于村级事务")
    with pytest.raises(DomainError) as exc:
        services.topic_support(actor=s.li, topic=topic)
    assert exc.value.code == "invalid_state"


# ---- follows -------------------------------------------------------------------------------------

def test_follow_and_unfollow(setting):
    s = setting
    topic = raise_topic(s)
    client = client_for(s.li)
    assert client.post(reverse("councils:topic_act", args=[topic.number, "follow"])).status_code == 302
    assert client.post(reverse("councils:topic_act", args=[topic.number, "follow"])).status_code == 302
    assert Follow.objects.filter(topic=topic, user=s.li).count() == 1
    assert client.post(reverse("councils:topic_act", args=[topic.number, "unfollow"])).status_code == 302
    services.topic_accept(actor=s.cadre, topic=topic)
    assert not Notification.objects.filter(user=s.li).exists()
    assert client_for(s.zhao).post(reverse("councils:topic_act", args=[topic.number, "follow"])).status_code == 404
    assert client.post(reverse("councils:topic_act", args=[topic.number, "nonsense"])).status_code == 404


# ---- scopes both ways ----------------------------------------------------------------------------

def test_worker_b_and_other_villages_see_nothing_of_the_villages_topics(setting):
    s = setting
    topic = raise_topic(s)
    url = reverse("councils:topic_detail", args=[topic.number])
    missing = reverse("councils:topic_detail", args=["YS20000101-9999"])
    for user in (s.c.worker_a, s.c.worker_b, s.c.worker_c, s.zhao):
        assert client_for(user).get(url).status_code == 404 == client_for(user).get(missing).status_code
    for user in (s.zhang, s.li, s.wang, s.cadre, s.c.town_staff, s.c.admin):
        assert client_for(user).get(url).status_code == 200


def test_topic_lists_take_the_same_queries_for_many_topics(setting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    s = setting
    pages = [(s.cadre, reverse("councils:queue")), (s.li, reverse("councils:council_detail", args=[s.council.pk])),
             (s.c.admin, reverse("councils:queue"))]

    def counts() -> list[int]:
        out = []
        for user, url in pages:
            client = client_for(user)
            client.get(url)  # warm the session
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    raise_topic(s)
    few = counts()
    for i in range(10):
        raise_topic(s, actor=s.li if i % 2 else s.zhang, title=f"议题{i}", anonymous=bool(i % 3))
    assert counts() == few
