"""A resident on a phone: a big photo is shrunk in the browser before it is sent, with a progress bar; an
incomplete report comes back with every error at the top, focus on the first, the photo still there;
completed, it makes the case with the photo."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from shanzhi.cases.models import Attachment, Case, PendingUpload
from shanzhi.lib.testing import build_county
from shanzhi.tests_browser.conftest import wait_until
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept, resident_login

pytestmark = [pytest.mark.browser]
__all__ = ["migration_data_kept"]

LIMIT = 400 * 1024


def phone_photo(path) -> int:
    """A 4000x3000 JPEG like a phone's: smooth light with grain, taken turned (EXIF orientation 6)."""
    light = Image.linear_gradient("L").resize((4000, 3000))
    grain = Image.effect_noise((4000, 3000), 48)
    img = Image.merge("RGB", (light, Image.blend(light, grain, 0.5), grain))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show: a portrait picture
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def test_a_big_photo_is_shrunk_kept_through_errors_and_attached(migration_data_kept, transactional_db, live_server,
                                                                 browser_page, tmp_path):
    install_migration_data()
    build_county()
    page, base = browser_page, live_server.url
    picture = tmp_path / "IMG_0001.jpg"
    original = phone_photo(picture)
    assert original > 2 * LIMIT  # a real burden on a village network

    uploads = []  # the photo requests as they went over the wire
    page.on("requestfinished", lambda r: uploads.append(r)
            if r.method == "POST" and r.url.endswith("/cases/uploads/") else None)

    resident_login(page, base, "13800000001", "/cases/report/")
    page.locator("#id_photos").set_input_files(str(picture))
    item = page.locator(".photo-list .photo-item")
    expect(item).to_have_class(re.compile(r"\bdone\b"))
    assert item.locator("progress").evaluate("p => p.value === p.max")
    assert item.locator(".photo-status").inner_text() == "已上传"
    sent = [int(r.header_value("content-length") or 0) for r in uploads]
    assert len(sent) == 1 and 0 < sent[0] <= LIMIT, sent
    stored = PendingUpload.objects.get()
    assert (stored.width, stored.height) == (1200, 1600)  # longest side 1600, turned upright by its EXIF

    # -- sent with nothing else filled in: no category, no description, no place
    with page.expect_navigation():
        page.click("#report-form button[type=submit].primary")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    messages = summary.locator("li").all_inner_texts()
    assert any("请选择具体的类别" in m for m in messages)
    assert any("请描述问题" in m for m in messages)
    assert any("请在地图上点选位置" in m for m in messages)
    assert summary.bounding_box()["y"] < page.viewport_size["height"]  # at the top, in sight
    wait_until(page, "document.activeElement === document.querySelector('#error-summary a')")
    assert page.locator("#categories.has-error").count() == 1
    assert page.locator("textarea[name=description][aria-invalid=true]").count() == 1
    kept = page.locator(".photo-list .photo-item img")
    expect(kept).to_have_count(1)
    wait_until(page, "[...document.querySelectorAll('.photo-list img')].every(i => i.complete && i.naturalWidth > 0)")

    # the summary's link takes the resident to the field
    summary.locator("a", has_text="请描述问题").click()
    wait_until(page, "document.activeElement === document.querySelector('textarea[name=description]')")

    # -- completed, it makes the case with the photo, sent once
    page.fill("textarea[name=description]", "村口桥边垃圾堆了三天")
    page.locator(".chip", has_text="垃圾堆放").click()
    page.wait_for_selector("#pin-map path.leaflet-interactive")
    page.locator("#pin-map").scroll_into_view_if_needed()
    box = page.locator('#pin-map path[stroke-dasharray="6 4"]').first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.5)
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    with page.expect_navigation():
        page.click("#report-form button[type=submit].primary")
    assert "/cases/mine/" in page.url
    case = Case.objects.get()
    photo = Attachment.objects.get(case=case)
    assert (photo.width, photo.height) == (1200, 1600)
    assert PendingUpload.objects.count() == 0 and len(uploads) == 1
    expect(page.locator(".thumbs img")).to_have_count(1)


def test_a_photo_lost_to_the_network_is_sent_again_by_retry_and_a_fake_one_is_explained(
        migration_data_kept, transactional_db, live_server, browser_page, tmp_path):
    install_migration_data()
    build_county()
    page, base = browser_page, live_server.url
    picture, fake = tmp_path / "IMG_0002.jpg", tmp_path / "notes.jpg"
    Image.new("RGB", (2000, 1500), (90, 140, 60)).save(picture, "JPEG")
    fake.write_bytes(b"this is not a picture at all")
    resident_login(page, base, "13800000001", "/cases/report/")

    # the village network drops while the photo goes: the item says so and offers a retry
    page.context.set_offline(True)
    page.locator("#id_photos").set_input_files(str(picture))
    item = page.locator(".photo-list .photo-item").first
    expect(item).to_have_class(re.compile(r"\bfailed\b"))
    expect(item.locator(".photo-status")).to_have_text("网络中断，上传失败")
    page.context.set_offline(False)
    item.locator(".photo-retry").click()
    expect(item).to_have_class(re.compile(r"\bdone\b"))
    assert PendingUpload.objects.count() == 1

    # a file that is no picture: the server's Chinese reason on the item, and the form waits for a fix
    page.locator("#id_photos").set_input_files(str(fake))
    bad = page.locator(".photo-list .photo-item").nth(1)
    expect(bad).to_have_class(re.compile(r"\bfailed\b"))
    expect(bad.locator(".photo-status")).to_have_text("该文件不是有效的图片")
    page.click("#report-form button[type=submit].primary")
    expect(page.locator(".photo-note")).to_have_text("有照片上传失败，请重试或移除后再提交")
    assert page.url == f"{base}/cases/report/"  # not sent
    bad.locator(".photo-remove").click()
    expect(page.locator(".photo-list .photo-item")).to_have_count(1)
    assert PendingUpload.objects.count() == 1 and not Case.objects.exists()
