import datetime as dt

import pytest

from shanzhi.accounts.services import user_create_staff
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.rooms.models import Room


def staff(unit, role, username, name):
    user = user_create_staff(actor=None, username=username, password=PASSWORD, display_name=name,
                             check_strength=False)
    post_appoint(actor=None, unit=unit, role=role, user=user, start_date=dt.date(2024, 1, 1))
    return user


@pytest.fixture
def rooms(county):
    """Rooms at the town (the hall), at 新联村 (village A) and at 洋桥村 (village B); a cadre of each village."""
    c = county
    c.extra.update(
        hall=Room.objects.create(unit=c.town, name="镇会议厅", capacity=80),
        room_a=Room.objects.create(unit=c.village, name="新联村会议室", capacity=20),
        room_b=Room.objects.create(unit=c.village2, name="洋桥村会议室"),
        cadre_a=staff(c.village, Role.VILLAGE_CADRE, "cadre_a", "村干部甲"),
        cadre_b=staff(c.village2, Role.VILLAGE_CADRE, "cadre_b", "村干部乙"),
    )
    return c
