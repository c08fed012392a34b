"""The printable roll (print page, XLSX, DOCX) and the voter cards: name, sex, micro-grid and number; never an
ID number, a phone or an address, checked in the bytes."""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile

import pytest
from django.urls import reverse

from shanzhi.elections import roll
from shanzhi.elections.models import Voter
from shanzhi.elections.tests.helpers_setup import FEB, at, build_setting, client_for
from shanzhi.lib import clock
from shanzhi.lib.testing import ID_NEIGHBOUR, ID_RESIDENT


@pytest.fixture
def s(db):
    setting = build_setting()
    with clock.frozen(FEB):
        roll.roll_generate(actor=setting.c.admin, election=setting.e1)
    with clock.frozen(at(dt.date(2027, 2, 20))):
        roll.roll_publish(actor=setting.c.admin, election=setting.e1)
    return setting


def _forbidden(s) -> list[str]:
    r, n = s.c.resident, s.c.neighbour
    return [ID_RESIDENT, ID_NEIGHBOUR, r.id_number_masked, n.id_number_masked, "13800000001", "13800000002",
            r.phone_masked, "新联村一组1号", "1990", "0101123X"]


def _xml_text(body: bytes) -> str:
    """Every XML part of the package, character references resolved (openpyxl writes &#24352; for 张)."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return html.unescape("".join(z.read(name).decode("utf-8", "replace") for name in z.namelist()
                                     if name.endswith(".xml")))


@pytest.mark.parametrize("name", ["roll_xlsx", "roll_docx"])
def test_the_downloads_carry_the_roll_without_personal_numbers(s, name):
    resp = client_for(s.c.admin).get(reverse(f"elections:{name}", args=[s.e1.pk]))
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    text = _xml_text(resp.content)
    for v in Voter.objects.filter(election=s.e1):
        assert v.number in text and v.name in text
    assert "一组" in text and "女" in text and "新联村选民名单" in text
    for secret in _forbidden(s):
        assert secret not in text and secret.encode() not in resp.content, secret


def test_the_print_page_per_grid(s):
    client = client_for(s.c.admin)
    page = client.get(reverse("elections:roll_print", args=[s.e1.pk])).content.decode()
    assert "张三" in page and "李梅" in page and "2027年2月20日" in page
    for secret in _forbidden(s):
        assert secret not in page, secret
    page = client.get(reverse("elections:roll_print", args=[s.e1.pk]), {"area": s.c.grid_b.code}).content.decode()
    assert "张三" not in page and "新联村第二网格" in page
    resp = client.get(reverse("elections:roll_xlsx", args=[s.e1.pk]), {"area": s.c.grid_b.code})
    assert "张三" not in _xml_text(resp.content)
    # a grid of another village is no filter at all (the village's whole roll), never that village's data
    page = client.get(reverse("elections:roll_print", args=[s.e1.pk]), {"area": s.c.grid_c.code}).content.decode()
    assert "张三" in page and "洋桥" not in page


def test_voter_cards_carry_the_number_and_the_token_as_a_qr_code(s):
    import segno

    resp = client_for(s.c.admin).get(reverse("elections:cards", args=[s.e1.pk]))
    page = resp.content.decode()
    v = Voter.objects.get(resident=s.c.resident)
    assert resp.status_code == 200 and v.number in page and "新联村" in page and "2027-03-20" in page
    assert page.count("<svg") == 2
    expected = segno.make(v.card_token, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff")
    assert expected in page
    for secret in _forbidden(s):
        assert secret not in page, secret
    assert client_for(s.c.worker_b).get(reverse("elections:cards", args=[s.e1.pk])).status_code == 404
    assert client_for(s.c.resident_user).get(reverse("elections:cards", args=[s.e1.pk])).status_code == 404
