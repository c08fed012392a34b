"""Files kept with a meeting's record (services and the one read): the signed minutes, an attendance sheet, a
plan discussed. A photo is checked and re-encoded like every photo on the platform (cases.images); a PDF is
kept as sent after its header is checked. Only the council's officers and the cadres who run it add files;
staff in scope and members read them, the public never (a sheet carries names and signatures)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from shanzhi.audit.services import audit_record
from shanzhi.cases.images import validate_images
from shanzhi.councils import access
from shanzhi.councils.models import Meeting, MeetingFile, MeetingStatus
from shanzhi.councils.selectors_meetings import meeting_get_for, sees_all
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound

MAX_FILES = 10
MAX_PDF_BYTES = 10 * 1024 * 1024


def _bad(message: str) -> DomainError:
    return DomainError(message, fields={"file": [message]})


def _read(upload) -> bytes:
    if upload is None:
        raise _bad("请选择文件")
    if getattr(upload, "size", 0) and upload.size > MAX_PDF_BYTES:
        raise _bad(f"文件超过{MAX_PDF_BYTES // 1024 // 1024}MB")
    data = upload.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        raise _bad(f"文件超过{MAX_PDF_BYTES // 1024 // 1024}MB")
    if not data:
        raise _bad("文件是空的")
    return data


@transaction.atomic
def meeting_attach(*, actor, meeting: Meeting, upload, name: str = "", now: dt.datetime | None = None) -> MeetingFile:
    """Keep a photo (JPEG/PNG/WebP/GIF, stored as JPEG) or a PDF with the meeting's record."""
    now = now or clock.now()

    def state() -> None:
        if meeting.status == MeetingStatus.CANCELLED:
            raise DomainError("会议已取消，不能添加附件", code="invalid_state")
        if meeting.files.count() >= MAX_FILES:
            raise _bad(f"每次会议最多保存{MAX_FILES}个附件")

    access.require_run(actor, meeting.council, what="该会议", state=state)
    data = _read(upload)
    label = (name or getattr(upload, "name", "") or "").strip()[:100]
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise _bad("PDF 文件不完整")
        content, ext, kind = data, "pdf", "application/pdf"
    else:
        image = validate_images([ContentFile(data, name=label or "photo")])[0]  # a fake refuses here
        content, ext, kind = image.data, "jpg", "image/jpeg"
    if not label:
        raise _bad("请填写附件名称")
    kept = MeetingFile(meeting=meeting, name=label, content_type=kind, size=len(content),
                       uploaded_by=actor if getattr(actor, "pk", None) else None, created_at=now)
    kept.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(content), save=False)
    kept.save()
    audit_record(actor=actor, action="councils.meeting_attach", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"file": kept.pk, "name": label, "type": kind, "size": len(content)})
    return kept


def meeting_file_get(*, user, pk) -> MeetingFile:
    """One file of a meeting the user sees in full (staff in scope, members), or NotFound."""
    from shanzhi.lib.parsing import id_or_none

    found = MeetingFile.objects.select_related("meeting").filter(pk=id_or_none(pk) or 0).first()
    if found is None:
        raise NotFound("未找到该附件")
    meeting = meeting_get_for(user=user, pk=found.meeting_id)  # NotFound when the meeting is not visible
    if not sees_all(user, meeting.council):
        raise NotFound("未找到该附件")
    return found
