"""The monthly work log against numbers counted by hand, per adviser and per town, on the page, in XLSX,
and scoped (天凝镇's staff see nothing of 大云镇)."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from shanzhi.legal import selectors as sel
from shanzhi.legal import services as svc
from shanzhi.legal.models import Slot
from shanzhi.legal.tests.conftest import NINE, TUESDAY
from shanzhi.lib import clock

DEC = dt.date(2026, 12, 1)
AFTER = TUESDAY + dt.timedelta(hours=2)  # 11:00 on 12-01, all three slots started
LATE_DEC = timezone.make_aware(dt.datetime(2026, 12, 28, 18, 0))


@pytest.fixture
def month_of_work(legal):
    c = legal
    lawyer, lawyer2 = c.extra["lawyer"], c.extra["lawyer2"]
    with clock.frozen(NINE):
        qs = [svc.question_ask(actor=c.resident_user, category=c.extra["category"], text=f"第{i}个法律问题内容",
                               is_public=True) for i in range(3)]
        s1, s2, s3 = Slot.objects.filter(village=c.village).order_by("starts_at")[:3]
        b1 = svc.booking_create(actor=c.resident_user, slot=s1)
        b2 = svc.booking_create(actor=c.resident_user, slot=s2)
        b3 = svc.booking_create(actor=c.extra["resident_b_user"], slot=s3)
    with clock.frozen(NINE + dt.timedelta(days=1)):  # 11-26: November's
        svc.question_answer(actor=lawyer, question=qs[0], answer="十一月的答复")
    with clock.frozen(AFTER):
        svc.consultation_record(actor=lawyer, booking=b1, outcome="advice", advice="当场解答")
        svc.consultation_record(actor=lawyer, booking=b2, outcome="legal_aid", advice="符合条件",
                                aid_office="嘉善县法律援助中心")
        from shanzhi.mediation.models import DisputeType
        svc.consultation_record(actor=lawyer, booking=b3, outcome="mediation", advice="建议调解",
                                dispute_type=DisputeType.objects.get(code="neighbour"), dispute_summary="宅基地边界",
                                parties=[{"role": "applicant", "name": "王五"}, {"role": "respondent", "name": "李四"}])
    with clock.frozen(AFTER + dt.timedelta(days=1)):  # 12-02
        svc.question_answer(actor=lawyer, question=qs[1], answer="十二月的答复一")
        svc.question_answer(actor=lawyer, question=qs[2], answer="十二月的答复二")
    with clock.frozen(LATE_DEC):
        svc.talk_record(actor=lawyer, village=c.village, held_on=dt.date(2026, 11, 30), topic="十一月讲座", audience=99)
        svc.talk_record(actor=lawyer, village=c.village, held_on=dt.date(2026, 12, 1), topic="土地承包法", audience=30)
        svc.talk_record(actor=lawyer, village=c.village, held_on=dt.date(2026, 12, 31 - 3), topic="民法典", audience=45)
        svc.talk_record(actor=lawyer2, village=c.village2, held_on=dt.date(2026, 12, 10), topic="反诈", audience=10)
    return c


def _row(rows, name):
    return next(r for r in rows if r.adviser == name)


def test_the_log_counts_what_was_done_in_the_month(month_of_work):
    c = month_of_work
    rows = sel.monthly_log(user=c.admin, month=DEC)
    chen, wu = _row(rows, "陈律师"), _row(rows, "吴律师")
    assert (chen.answered, chen.consultations, chen.to_mediation, chen.to_legal_aid, chen.referrals, chen.talks,
            chen.audience) == (2, 3, 1, 1, 2, 2, 75)
    assert chen.villages == ["新联村"]
    assert (wu.answered, wu.consultations, wu.talks, wu.audience) == (0, 0, 1, 10)
    nov = _row(sel.monthly_log(user=c.admin, month=dt.date(2026, 11, 1)), "陈律师")
    assert (nov.answered, nov.consultations, nov.talks, nov.audience) == (1, 0, 1, 99)
    towns = {t.town.name: t for t in sel.monthly_log_by_town(user=c.admin, month=DEC)}
    assert (towns["天凝镇"].advisers, towns["天凝镇"].answered, towns["天凝镇"].consultations,
            towns["天凝镇"].referrals, towns["天凝镇"].talks, towns["天凝镇"].audience) == (1, 2, 3, 2, 2, 75)
    assert (towns["大云镇"].advisers, towns["大云镇"].talks, towns["大云镇"].audience) == (1, 1, 10)
    # the adviser's own log is theirs alone
    assert [r.adviser for r in sel.monthly_log(user=c.extra["lawyer"], month=DEC, mine=True)] == ["陈律师"]


def test_town_staff_see_only_their_town(month_of_work):
    c = month_of_work
    assert [r.adviser for r in sel.monthly_log(user=c.town_staff, month=DEC)] == ["陈律师"]
    assert [t.town.name for t in sel.monthly_log_by_town(user=c.town_staff, month=DEC)] == ["天凝镇"]
    assert sel.monthly_log(user=c.worker_c, month=DEC) == []  # grid C sees no village's work


def test_the_log_exports_as_xlsx_with_the_same_numbers(month_of_work):
    c = month_of_work
    client = Client()
    client.force_login(c.admin)
    page = client.get("/legal/desk/log/?month=2026-12")
    assert page.status_code == 200 and "陈律师" in page.content.decode()
    resp = client.get("/legal/desk/log/?month=2026-12&format=xlsx&table=advisers")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert rows[0][:9] == ["法律顾问", "受聘村（社区）", "答复咨询", "接待咨询", "转调解", "转法律援助", "转介合计",
                           "法治讲座", "听众人次"]
    assert ["陈律师", "新联村", 2, 3, 1, 1, 2, 2, 75] in rows
    assert ["吴律师", "洋桥村", 0, 0, 0, 0, 0, 1, 10] in rows
    towns = load_workbook(io.BytesIO(client.get("/legal/desk/log/?month=2026-12&format=xlsx&table=towns").content))
    trows = [[cell.value for cell in row] for row in towns.active.iter_rows()]
    assert ["天凝镇", 1, 2, 3, 1, 1, 2, 2, 75] in trows


def test_the_adviser_downloads_their_own_log(month_of_work):
    c = month_of_work
    client = Client()
    client.force_login(c.extra["lawyer"])
    resp = client.get("/legal/adviser/log/?month=2026-12&format=xlsx")
    rows = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(resp.content)).active.iter_rows()]
    assert ["陈律师", "新联村", 2, 3, 1, 1, 2, 2, 75] in rows and not any(r[0] == "吴律师" for r in rows)


def test_bad_month_and_format_are_named(month_of_work):
    c = month_of_work
    client = Client()
    client.force_login(c.admin)
    resp = client.get("/legal/desk/log/?month=2026-13")
    assert resp.status_code == 400 and "月份格式" in resp.content.decode()
    resp = client.get("/legal/desk/log/?month=2026-12&format=pdf")
    assert resp.status_code == 400
    outsider = Client()
    outsider.force_login(c.resident_user)
    assert outsider.get("/legal/desk/log/").status_code == 404
