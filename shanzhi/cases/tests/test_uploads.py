"""Photos uploaded one by one before the form: the owner only, checked by content, expiring, claimed once;
and forms that name every error in one round and keep the photos."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shanzhi.accounts.models import User, UserKind
from shanzhi.cases import uploads
from shanzhi.cases.models import Attachment, Case, PendingUpload, Status
from shanzhi.cases.sweep import sweep
from shanzhi.cases.tests.conftest import photo
from shanzhi.lib import clock
from shanzhi.lib.testing import point_in, report_case

UPLOAD = "/cases/uploads/"
REPORT = "/cases/report/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def resident(client, county, at_wednesday):
    client.force_login(county.resident_user)
    return client


@pytest.fixture
def neighbour_user(county):
    return User.objects.create(username="neighbour", kind=UserKind.RESIDENT, display_name=county.neighbour.name,
                               resident=county.neighbour)


def jpeg(name: str = "p.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo("JPEG", size), content_type="image/jpeg")


def upload(client, f=None) -> dict:
    response = client.post(UPLOAD, {"photo": f or jpeg()})
    assert response.status_code == 201, response.content.decode()
    return response.json()


def filled(**kw) -> dict:
    lat, lon = point_in(2, 5)
    data = {"kind": "problem", "category": "garbage", "description": "路边垃圾三天没人清理", "where": "pin",
            "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "is_public": "on", "idempotency_key": kw.pop("key", "k-1")}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def summary(html: str) -> list[str]:
    """The messages of the error summary at the top of the page, in order."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary on the page"
    return [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li[^>]*>(.*?)</li>", box.group(0), re.S)]


# ---- the upload endpoint -------------------------------------------------------------------------

def test_an_upload_is_checked_re_encoded_and_kept_for_its_owner(resident, county):
    body = upload(resident, jpeg(size=(4000, 3000)))
    kept = PendingUpload.objects.get(token=body["token"])
    assert kept.owner == county.resident_user and (body["width"], body["height"]) == (1600, 1200)
    assert bytes(kept.data)[:3] == b"\xff\xd8\xff" and body["size"] == len(kept.data)
    thumb = resident.get(body["thumb"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == uploads.THUMB_SIDE


def test_another_users_thumbnail_is_404_like_a_missing_one(resident, client, county, neighbour_user):
    body = upload(resident)
    client.force_login(neighbour_user)
    assert client.get(body["thumb"]).status_code == 404
    assert client.get("/cases/uploads/no-such-token/").status_code == 404


def test_bad_content_is_refused_with_a_chinese_message(resident):
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 'x'; ?>", content_type="image/jpeg")
    response = resident.post(UPLOAD, {"photo": fake})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "message": "该文件不是有效的图片",
                                        "fields": {"photos": ["该文件不是有效的图片"]}}
    assert not PendingUpload.objects.exists()


def test_no_photo_is_named(resident):
    response = resident.post(UPLOAD, {})
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"photos": ["请选择照片"]}


def test_a_visitor_may_not_upload(client, county):
    response = client.post(UPLOAD, {"photo": jpeg()})
    assert response.status_code == 403 and response.json()["error"]["message"] == "请先登录"
    assert not PendingUpload.objects.exists()


def test_one_user_may_not_pile_up_photos(resident, county):
    for _ in range(uploads.MAX_PENDING):
        uploads.upload_create(actor=county.resident_user, photo=photo("PNG", (40, 30)))
    response = resident.post(UPLOAD, {"photo": jpeg()})
    assert response.status_code == 400 and "待提交的照片太多" in response.json()["error"]["message"]


# ---- claiming ------------------------------------------------------------------------------------

def test_the_report_takes_its_uploaded_photos(resident, county):
    tokens = [upload(resident)["token"], upload(resident)["token"]]
    response = resident.post(REPORT, {**filled(), "photo_tokens": tokens})
    case = Case.objects.get()
    assert response.status_code == 302
    assert Attachment.objects.filter(case=case).count() == 2 and not PendingUpload.objects.exists()


def test_another_users_token_is_refused_like_a_missing_one(resident, client, county, neighbour_user):
    theirs = upload(resident)["token"]
    client.force_login(neighbour_user)
    with_theirs = client.post(REPORT, {**filled(key="n-1"), "photo_tokens": [theirs]})
    with_none = client.post(REPORT, {**filled(key="n-2"), "photo_tokens": ["no-such-token"]})
    assert with_theirs.status_code == with_none.status_code == 400
    assert summary(with_theirs.content.decode()) == summary(with_none.content.decode()) == [
        "照片：有1张照片已失效，请重新选择"]
    assert theirs not in with_theirs.content.decode()  # not drawn on the neighbour's page
    assert not Case.objects.exists() and PendingUpload.objects.get().token == theirs


def test_a_photo_is_claimed_once(resident, county):
    token = upload(resident)["token"]
    assert resident.post(REPORT, {**filled(key="a"), "photo_tokens": [token]}).status_code == 302
    again = resident.post(REPORT, {**filled(key="b", description="另一件事"), "photo_tokens": [token]})
    assert again.status_code == 400 and "有1张照片已失效" in again.content.decode()
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1


def test_the_same_form_sent_twice_makes_one_case_with_its_photo(resident, county):
    data = {**filled(key="twice"), "photo_tokens": [upload(resident)["token"]]}
    first, second = resident.post(REPORT, data), resident.post(REPORT, data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1


def test_an_expired_photo_is_refused_and_the_sweep_clears_it(resident, county, at_wednesday):
    token = upload(resident)["token"]
    later = at_wednesday + dt.timedelta(hours=uploads.PENDING_HOURS, minutes=1)
    with clock.frozen(later):
        response = resident.post(REPORT, {**filled(), "photo_tokens": [token]})
        assert response.status_code == 400 and "有1张照片已失效" in response.content.decode()
        assert resident.get(f"/cases/uploads/{token}/").status_code == 404
        assert sweep(later)["uploads_expired"] == 1
    assert not PendingUpload.objects.exists() and not Case.objects.exists()


def test_a_fresh_photo_outlives_the_sweep(resident, at_wednesday):
    upload(resident)
    assert "uploads_expired" not in sweep(at_wednesday + dt.timedelta(hours=1))
    assert PendingUpload.objects.count() == 1


# ---- every error at once, photos kept ------------------------------------------------------------

def test_an_empty_report_names_every_error_at_once_and_keeps_the_photo(resident, county):
    token = upload(resident)["token"]
    response = resident.post(REPORT, {"kind": "", "category": "", "description": " ", "where": "pin",
                                      "lat": "", "lon": "", "idempotency_key": "e-1", "photo_tokens": [token]})
    assert response.status_code == 400
    html = response.content.decode()
    assert summary(html) == ["类型：请选择求助或反映问题", "类别：请选择具体的类别", "描述：请描述问题",
                             "请在地图上点选位置、使用当前位置，或选择“我家”"]
    assert 'href="#id_kind_0"' in html and 'href="#categories"' in html and 'href="#id_description"' in html
    assert 'href="#pin-map"' in html
    assert f'/cases/uploads/{token}/' in html and f'name="photo_tokens" value="{token}" checked' in html
    assert PendingUpload.objects.filter(token=token).exists()


def test_photos_sent_without_script_survive_the_errors(resident, county):
    fake = SimpleUploadedFile("evil.png", b"not an image", content_type="image/png")
    response = resident.post(REPORT, {**filled(description=""), "photos": [jpeg("a.jpg"), fake]})
    html = response.content.decode()
    assert response.status_code == 400
    assert summary(html) == ["描述：请描述问题", "照片：第2张文件不是有效的图片"]
    kept = PendingUpload.objects.get()
    assert f'value="{kept.token}"' in html
    finished = resident.post(REPORT, {**filled(), "photo_tokens": [kept.token]})
    assert finished.status_code == 302 and Attachment.objects.filter(case=Case.objects.get()).count() == 1


def test_a_bad_pin_and_a_missing_category_come_together(resident):
    response = resident.post(REPORT, filled(category="", lat="123", lon="500"))
    assert summary(response.content.decode()) == ["类别：请选择具体的类别", "经纬度超出范围：纬度123.0，经度500.0"]


# ---- staff forms ---------------------------------------------------------------------------------

def test_patrol_names_every_error_at_once_and_keeps_the_photo(client, county, at_wednesday):
    client.force_login(county.worker_a)
    token = upload(client)["token"]
    response = client.post("/cases/patrol/", {"kind": "problem", "category": "", "priority": "normal",
                                              "description": "", "photo_tokens": [token]})
    assert response.status_code == 400
    assert summary(response.content.decode()) == ["类别：请选择具体的类别", "描述：请描述问题",
                                                  "纬度：巡查上报须在地图上标出位置"]
    assert f'value="{token}"' in response.content.decode()
    lat, lon = point_in(2, 5)
    done = client.post("/cases/patrol/", {"kind": "problem", "category": "garbage", "priority": "normal",
                                          "description": "井边垃圾", "lat": lat, "lon": lon, "photo_tokens": [token]})
    assert done.status_code == 302 and Attachment.objects.filter(case=Case.objects.get()).count() == 1


def test_the_hotline_names_a_bad_phone_with_the_other_errors(client, county, at_wednesday):
    client.force_login(county.town_staff)
    response = client.post("/cases/hotline/", {"kind": "problem", "category": "", "priority": "normal",
                                               "description": "", "reporter_phone": "12345"})
    messages = summary(response.content.decode())
    assert response.status_code == 400 and len(messages) == 3
    assert messages[0].startswith("来电号码：") and messages[1:] == ["类别：请选择具体的类别", "描述：请描述问题"]


def test_report_back_names_the_note_and_the_photo_together_and_keeps_the_photo(client, county, at_wednesday):
    from shanzhi.cases import services as svc

    case = report_case(county)
    svc.case_accept(actor=county.worker_a, case=case)
    svc.case_start(actor=county.worker_a, case=case)
    client.force_login(county.worker_a)
    token = upload(client)["token"]
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    url = f"/cases/staff/{case.number}/do/report_back/"
    response = client.post(url, {"note": "", "photo_tokens": [token], "photos": [fake]})
    html = response.content.decode()
    assert response.status_code == 400 and "请填写处置情况" in html and "第1张文件不是有效的图片" in html
    assert f'value="{token}"' in html
    done = client.post(url, {"note": "已清运", "photo_tokens": [token]})
    case.refresh_from_db()
    assert done.status_code == 302 and case.status == Status.HANDLED
    assert Attachment.objects.filter(case=case).count() == 1 and not PendingUpload.objects.exists()


def test_worker_b_cannot_report_back_on_a_grid_a_case_even_with_a_photo(client, county, at_wednesday):
    case = report_case(county)
    client.force_login(county.worker_a)
    token = upload(client)["token"]
    client.force_login(county.worker_b)
    assert client.post(f"/cases/staff/{case.number}/do/report_back/",
                       {"note": "x", "photo_tokens": [token]}).status_code == 404
    assert PendingUpload.objects.filter(token=token).exists()


def test_a_portrait_phone_photo_is_kept_upright():
    """Phones store portrait photos as landscape pixels with an EXIF orientation (6: turn 90° clockwise)."""
    from shanzhi.cases.images import validate_images

    img = Image.new("RGB", (400, 300), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    [clean] = validate_images([buf.getvalue()])
    assert (clean.width, clean.height) == (300, 400)
