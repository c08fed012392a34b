"""The legal team on the small county: an adviser (a lawyer with no post) for 新联村 and one for 洋桥村,
a Tuesday morning duty cut into 30-minute slots, and resident users in both villages."""

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.legal import services as svc
from shanzhi.legal.catalogue import install as install_categories
from shanzhi.legal.models import Category
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday
TUESDAY = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))  # the next Tuesday, 9:00


def resident_user(resident) -> User:
    return User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                               resident=resident)


@pytest.fixture
def legal(county):
    c = county
    install_categories()  # a transactional test elsewhere may have flushed the migration's rows
    with clock.frozen(NINE):
        lawyer = user_create_staff(actor=None, username="lawyer_chen", password=PASSWORD, display_name="陈律师",
                                   check_strength=False)
        lawyer2 = user_create_staff(actor=None, username="lawyer_wu", password=PASSWORD, display_name="吴律师",
                                    check_strength=False)
        a = svc.appointment_create(actor=c.town_staff, adviser=lawyer, village=c.village,
                                   started_on=dt.date(2026, 1, 1), term_ends_on=dt.date(2027, 12, 31))
        a2 = svc.appointment_create(actor=c.admin, adviser=lawyer2, village=c.village2,
                                    started_on=dt.date(2026, 1, 1), term_ends_on=dt.date(2027, 12, 31))
        duty = svc.duty_add(actor=c.town_staff, appointment=a, weekday=1, starts=dt.time(9), ends=dt.time(11),
                            place="新联村便民服务中心")
        svc.duty_add(actor=c.admin, appointment=a2, weekday=1, starts=dt.time(14), ends=dt.time(15),
                     place="洋桥村委会")
    c.extra.update(lawyer=lawyer, lawyer2=lawyer2, appointment=a, appointment2=a2, duty=duty,
                   resident_b_user=resident_user(c.resident_b), resident_c_user=resident_user(c.resident_c),
                   category=Category.objects.get(code="land"))
    return c
