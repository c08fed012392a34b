"""The rooms desk over real HTTP: who sees which rooms, adding, renaming and taking rooms out of use, a room's
week; refusals named in Chinese (and English), out of sight the same as missing."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.rooms import services
from shanzhi.rooms.models import Room

NINE = clock.now().replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in Shanghai, today


def page(resp) -> str:
    return htmllib.unescape(resp.content.decode())


def login(client, user):
    client.force_login(user)
    return client


def detail(room, **q):
    return reverse("rooms:detail", args=[room.pk]) + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")


def test_a_village_sees_its_rooms_and_the_halls_above_not_the_other_village(rooms, client):
    c = rooms
    text = page(login(client, c.extra["cadre_a"]).get(reverse("rooms:list")))
    assert "新联村会议室" in text and "镇会议厅" in text and "洋桥村会议室" not in text
    assert 'id="room-new"' in text  # a village cadre manages rooms
    text = page(login(client, c.worker_a).get(reverse("rooms:list")))
    assert "新联村会议室" in text and "洋桥村会议室" not in text and 'id="room-new"' not in text


def test_the_list_costs_the_same_with_more_rooms(rooms, client):
    c = rooms
    login(client, c.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("rooms:list"))
    for i in range(5):
        Room.objects.create(unit=c.village2, name=f"活动室{i}")
    with CaptureQueriesContext(connection) as many:
        assert "活动室4" in page(client.get(reverse("rooms:list")))
    assert len(many) == len(few)


def test_residents_and_anonymous_visitors_do_not_get_the_desk(rooms, client):
    assert client.get(reverse("rooms:list")).status_code == 302  # to the log-in
    login(client, rooms.resident_user)
    assert client.get(reverse("rooms:list")).status_code == 404


def test_a_cadre_adds_a_room_to_the_village(rooms, client):
    c = rooms
    resp = login(client, c.extra["cadre_a"]).post(reverse("rooms:list"), {"unit": c.village.code, "name": " 文化礼堂 ",
                                                                        "capacity": "120"})
    room = Room.objects.get(name="文化礼堂")
    assert resp.status_code == 302 and resp["Location"] == reverse("rooms:detail", args=[room.pk])
    assert (room.unit, room.capacity, room.is_active) == (c.village, 120, True)
    assert AuditEntry.objects.filter(action="rooms.room.create", actor=c.extra["cadre_a"]).exists()


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "capacity": ""}, "名称", "该字段是必填项"),
    ({"name": "新联村会议室", "capacity": ""}, "名称", "该单位已有同名会议室"),
    ({"name": "礼堂", "capacity": "0"}, "容纳人数", "确保该值大于或等于1"),
    ({"name": "礼堂", "capacity": "many"}, "容纳人数", "输入整数"),
])
def test_bad_input_is_named_in_chinese_and_adds_nothing(rooms, client, data, field, message):
    c = rooms
    before = Room.objects.count()
    resp = login(client, c.extra["cadre_a"]).post(reverse("rooms:list"), {"unit": c.village.code, **data})
    text = page(resp)
    assert resp.status_code == 400 and f"{field}：" in text and message in text
    assert Room.objects.count() == before


def test_a_unit_out_of_scope_is_refused_like_a_missing_one(rooms, client):
    c = rooms
    login(client, c.extra["cadre_a"])
    for code in (c.village2.code, "330421999999"):
        resp = client.post(reverse("rooms:list"), {"unit": code, "name": "会议室"})
        assert resp.status_code == 400 and "所属单位：" in page(resp)
    assert not Room.objects.filter(name="会议室").exists()


def test_the_week_shows_the_bookings_with_time_purpose_and_people(rooms, client):
    c = rooms
    services.book(actor=c.admin, room=c.extra["room_a"], starts_at=NINE, ends_at=NINE + dt.timedelta(hours=2),
                  purpose="三月村民议事会", kind="councils.meeting", people=[c.worker_a], authority="councils.run")
    text = page(login(client, c.extra["cadre_a"]).get(detail(c.extra["room_a"])))
    assert "三月村民议事会" in text and "09:00–11:00" in text and "网格员甲" in text
    next_week = (clock.today() + dt.timedelta(days=7)).isoformat()
    assert "三月村民议事会" not in page(client.get(detail(c.extra["room_a"], week=next_week)))
    resp = client.get(detail(c.extra["room_a"], week="2026-02-30"))
    assert resp.status_code == 200 and "week（周）" in page(resp) and "三月村民议事会" in page(resp)


def test_another_villages_room_is_not_found_like_a_missing_one(rooms, client):
    c = rooms
    login(client, c.extra["cadre_a"])
    room_b = c.extra["room_b"]
    missing = Room(pk=room_b.pk + 1000)
    for url in (detail(room_b), detail(missing)):
        assert client.get(url).status_code == 404
    for name in ("rooms:edit", "rooms:active"):
        assert client.post(reverse(name, args=[room_b.pk]), {"name": "改名", "active": "0"}).status_code == 404
        assert client.post(reverse(name, args=[missing.pk]), {"name": "改名", "active": "0"}).status_code == 404
    room_b.refresh_from_db()
    assert (room_b.name, room_b.is_active) == ("洋桥村会议室", True)


def test_the_hall_above_is_seen_but_only_the_town_manages_it(rooms, client):
    c = rooms
    hall = c.extra["hall"]
    login(client, c.extra["cadre_a"])
    text = page(client.get(detail(hall)))
    assert "镇会议厅" in text and 'id="room-edit"' not in text
    assert client.post(reverse("rooms:edit", args=[hall.pk]), {"name": "改名"}).status_code == 403
    assert client.post(reverse("rooms:active", args=[hall.pk]), {"active": "0"}).status_code == 403
    login(client, c.town_staff)
    assert client.post(reverse("rooms:edit", args=[hall.pk]), {"name": "镇大会议厅", "capacity": "100"}).status_code == 302
    hall.refresh_from_db()
    assert (hall.name, hall.capacity) == ("镇大会议厅", 100)


def test_renaming_needs_a_name(rooms, client):
    c = rooms
    resp = login(client, c.extra["cadre_a"]).post(reverse("rooms:edit", args=[c.extra["room_a"].pk]), {"name": ""})
    assert resp.status_code == 400 and "名称：" in page(resp)


def test_a_room_taken_out_of_use_takes_no_booking_and_can_come_back(rooms, client):
    c = rooms
    room = c.extra["room_a"]
    login(client, c.extra["cadre_a"])
    assert client.post(reverse("rooms:active", args=[room.pk]), {"active": "0"}).status_code == 302
    room.refresh_from_db()
    assert not room.is_active
    assert "已停用" in page(client.get(reverse("rooms:list")))
    with pytest.raises(DomainError) as err:
        services.book(actor=c.extra["cadre_a"], room=room, starts_at=NINE, ends_at=NINE + dt.timedelta(hours=1),
                      purpose="议事", kind="", authority="councils.run")
    assert list(err.value.fields) == ["room"]
    resp = client.post(reverse("rooms:active", args=[room.pk]), {"active": "0"})
    assert resp.status_code == 400 and "该会议室已停用" in page(resp)
    assert client.post(reverse("rooms:active", args=[room.pk]), {"active": "1"}).status_code == 302
    room.refresh_from_db()
    assert room.is_active


def test_the_desk_speaks_english(rooms, client):
    c = rooms
    login(client, c.extra["cadre_a"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page(client.get(reverse("rooms:list")))
    assert "Rooms" in text and "Add a room" in text and "Capacity" in text
    resp = client.post(reverse("rooms:list"), {"unit": c.village.code, "name": ""})
    assert resp.status_code == 400 and "This field is required." in page(resp)
    text = page(client.get(detail(c.extra["room_a"])))
    assert "Bookings of the week from" in text and "Take this room out of use" in text
