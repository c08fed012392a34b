"""Files kept with a meeting's record: the officers and cadres who run the council add a photo or a PDF;
staff in scope and members download them; the public, former members and other villages never see them;
a file that is neither an image nor a PDF is refused, naming the field."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from shanzhi.audit.models import AuditEntry
from shanzhi.councils import files
from shanzhi.councils.models import MeetingFile
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures
from shanzhi.lib.errors import DomainError

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    return buf.getvalue()


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def upload(user, meeting, data: bytes, name: str = "签字版会议纪要", filename: str = "minutes.pdf"):
    return client_for(user).post(reverse("councils:meeting_attach", args=[meeting.pk]),
                                 {"name": name, "file": SimpleUploadedFile(filename, data)})


def test_the_secretary_keeps_a_pdf_and_a_photo_members_and_staff_download_them(council, meeting):
    x = council.extra
    assert upload(x["secretary"], meeting, PDF).status_code == 302
    assert upload(x["cadre"], meeting, _png(), name="签到表", filename="sheet.png").status_code == 302
    pdf, photo = MeetingFile.objects.filter(meeting=meeting).order_by("id")
    assert (pdf.content_type, photo.content_type) == ("application/pdf", "image/jpeg")  # the photo re-encoded
    assert AuditEntry.objects.filter(action="councils.meeting_attach", object_id=str(meeting.pk)).count() == 2
    for who in (x["u_zhang"], x["cadre"], council.town_staff):  # a member, the village cadre, the town
        page = client_for(who).get(reverse("councils:meeting_detail", args=[meeting.pk])).content.decode()
        assert "签字版会议纪要" in page and "签到表" in page
        got = client_for(who).get(reverse("councils:meeting_file", args=[pdf.pk]))
        assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
        assert got["Content-Disposition"].startswith("attachment")


def test_nobody_else_sees_or_adds_files(council, meeting):
    x = council.extra
    upload(x["secretary"], meeting, PDF)
    kept = MeetingFile.objects.get()
    file_url = reverse("councils:meeting_file", args=[kept.pk])
    # 王五 leaves the council: living in the village they still see the public meeting, never its files
    x["m_wang"].ended_on = dt.date(2025, 1, 1)
    x["m_wang"].save()
    wang = client_for(x["u_wang"])
    page = wang.get(reverse("councils:meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200 and "签字版会议纪要" not in page.content.decode()
    for outsider in (x["u_wang"], x["u_zhao"], x["cadre2"], council.worker_c):
        assert client_for(outsider).get(file_url).status_code == 404
    assert client_for(x["cadre2"]).get(reverse("councils:meeting_file", args=[kept.pk + 999])).status_code == 404
    # a member who is no officer sees the files but may not add one; another village's cadre: as if missing
    assert upload(x["u_zhang"], meeting, PDF).status_code == 403
    assert upload(x["cadre2"], meeting, PDF).status_code == 404
    assert MeetingFile.objects.count() == 1


def test_bad_files_are_refused_naming_the_field(council, meeting):
    x = council.extra
    for data, message in ((b"MZ\x90\x00 not a document", "不是有效的图片"), (b"", "文件是空的"),
                          (b"%PDF-1.4\ncut short", "PDF 文件不完整")):
        r = upload(x["secretary"], meeting, data)
        assert r.status_code == 400 and message in r.content.decode(), message
    with pytest.raises(DomainError) as refused:
        files.meeting_attach(actor=x["secretary"], meeting=meeting, upload=None)
    assert "file" in refused.value.fields
    assert MeetingFile.objects.count() == 0
    for i in range(files.MAX_FILES):
        files.meeting_attach(actor=x["secretary"], meeting=meeting, upload=SimpleUploadedFile("a.pdf", PDF),
                             name=f"第{i}页")
    r = upload(x["secretary"], meeting, PDF)
    assert r.status_code == 400 and f"最多保存{files.MAX_FILES}个附件" in r.content.decode()
