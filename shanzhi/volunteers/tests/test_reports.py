"""The hours certificate (DOCX) and 志愿之星: who may have them, and what they say."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from docx import Document

from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.volunteers import ledger, ranking, reports
from shanzhi.volunteers.models import Entry, EntryKind
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import MONDAY, client_for


def _credit(s, volunteer, hours: str, source: str, at: dt.datetime, kind=EntryKind.ACTIVITY, note="河道清洁日"):
    return ledger.credit(account=ledger.account_of_volunteer(volunteer), kind=kind, hours=Decimal(hours),
                         points=ledger.points_for(Decimal(hours)), village=volunteer.village, source=source, at=at,
                         note=note)


def _text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_the_certificate_lists_the_period_and_sums_the_hours(bank):
    s = bank
    _credit(s, s.vol_zhang, "2.5", "a:1", MONDAY - dt.timedelta(days=3))
    _credit(s, s.vol_zhang, "1.5", "a:2", MONDAY - dt.timedelta(days=1), note="敬老院\x07活动")
    _credit(s, s.vol_zhang, "9", "a:3", MONDAY - dt.timedelta(days=40))  # before the period
    cert = reports.certificate_for(actor=s.zhang, volunteer=s.vol_zhang, first=dt.date(2026, 12, 1),
                                   last=dt.date(2026, 12, 7))
    assert cert.hours == Decimal("4.00") and len(cert.lines) == 2
    text = _text(reports.certificate_docx(cert))
    for want in ("志愿服务时长证明", "张三", "新联村", "2026年12月01日", "2026年12月07日", "4.00", "出具单位：新联村百事服务团",
                 "出具日期：2026年12月07日"):
        assert want in text, want
    with pytest.raises(DomainError) as exc:
        reports.certificate_for(actor=s.zhang, volunteer=s.vol_zhang, first=dt.date(2026, 12, 7),
                                last=dt.date(2026, 12, 1))
    assert "last" in exc.value.fields


def test_who_may_have_a_certificate(bank):
    s = bank
    assert reports.volunteer_get(actor=s.zhang, pk=s.vol_zhang.pk) == s.vol_zhang
    assert reports.volunteer_get(actor=s.cadre, pk=s.vol_zhang.pk) == s.vol_zhang
    assert reports.volunteer_get(actor=s.li, pk=s.vol_zhang.pk) == s.vol_zhang  # the team's leader
    for outsider in (s.c.worker_b, s.c.worker_c, s.zhao, s.wang):
        with pytest.raises(NotFound):
            reports.volunteer_get(actor=outsider, pk=s.vol_zhang.pk)
    url = reverse("volunteers:certificate", args=[s.vol_zhang.pk])
    period = {"first": "2026-12-01", "last": "2026-12-07"}
    resp = client_for(s.cadre).get(url, period)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for(s.c.worker_b).get(url, period).status_code == 404
    assert client_for(s.zhao).get(url, period).status_code == 404
    resp = client_for(s.zhang).get(reverse("volunteers:my_certificate"), {"first": "2026-12-01", "last": "x"})
    assert resp.status_code == 400 and "结束日期" in resp.content.decode()
    assert client_for(s.zhang).get(reverse("volunteers:my_certificate"), period).status_code == 200
    assert client_for(s.wang).get(reverse("volunteers:my_certificate")).status_code == 404  # no volunteer


def _names(body: str) -> list[str]:
    return re.findall(r'<tr data-rank="\d+"><td>\d+</td><td>([^<]+)</td>', body)


def test_the_monthly_ranking_page(bank):
    s = bank
    _credit(s, s.vol_zhang, "2", "a:1", MONDAY - dt.timedelta(days=1))
    _credit(s, s.vol_li, "5", "a:2", MONDAY - dt.timedelta(days=2))
    _credit(s, s.vol_zhang, "9", "a:3", MONDAY - dt.timedelta(days=10))  # November
    Entry.objects.create(account=ledger.account_of_volunteer(s.vol_zhao), kind=EntryKind.ACTIVITY, hours=8,
                         points=80, village=s.c.village2, at=MONDAY, created_at=MONDAY)
    rows = ranking.monthly_ranking(s.c.village, 2026, 12)
    assert [(r.rank, r.name, r.hours) for r in rows] == [(1, "李梅", Decimal("5.00")), (2, "张三", Decimal("2.00"))]
    url = reverse("volunteers:ranking")
    for who in (s.zhang, s.wang, s.cadre, s.c.town_staff):
        body = client_for(who).get(url, {"village": s.c.village.code, "month": "2026-12"}).content.decode()
        assert _names(body) == ["李梅", "张三"]
    body = client_for(s.zhang).get(url, {"month": "2026-11"}).content.decode()
    assert _names(body) == ["张三"]
    for outsider in (s.zhao, s.c.worker_b, s.c.worker_c):
        assert client_for(outsider).get(url, {"village": s.c.village.code}).status_code == 404
    resp = client_for(s.zhang).get(url, {"month": "2026-13"})
    assert resp.status_code == 400 and "month" in resp.content.decode()
    assert client_for(s.zhang).get(url, {"month": "abc"}).status_code == 400
