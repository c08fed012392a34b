import datetime as dt

import pytest

from shanzhi.accounts.services import user_create_staff
from shanzhi.lib.testing import PASSWORD
from shanzhi.mediation.models import DisputeType
from shanzhi.mediation.services import centre_create
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint


@pytest.fixture
def centres(county):
    """Centres at the county, 天凝镇 and 新联村, each with two rooms; a mediator at the town centre."""
    c = county
    county_centre = centre_create(actor=None, unit=c.county, name="嘉善县矛调中心", rooms=["第一调解室", "第二调解室"],
                                  teams=["县人民调解团", "人社局窗口"])
    town_centre = centre_create(actor=None, unit=c.town, name="天凝镇矛调中心", rooms=["调解室A", "调解室B"],
                                teams=["镇调解团"])
    village_centre = centre_create(actor=None, unit=c.village, name="新联村调解室", rooms=["村调解室"])
    mediator = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员老王",
                                 check_strength=False)
    post_appoint(actor=None, unit=c.town, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    other = user_create_staff(actor=None, username="mediator2", password=PASSWORD, display_name="调解员小李",
                              check_strength=False)
    post_appoint(actor=None, unit=c.town2, role=Role.MEDIATOR, user=other, start_date=dt.date(2024, 1, 1))
    c.extra.update(county_centre=county_centre, town_centre=town_centre, village_centre=village_centre,
                   mediator=mediator, mediator_other_town=other)
    return c


@pytest.fixture
def neighbour_type(db):
    return DisputeType.objects.get(code="neighbour")


PARTIES = [
    {"role": "applicant", "name": "张三", "id_number": "33042119900101123X", "phone": "13800000001",
     "claim": "要求对方拆除占用通道的杂物"},
    {"role": "respondent", "name": "王五", "phone": "13800000003", "claim": "杂物只是暂放"},
]
