"""Photos on cases: checked by content (not by name), size-limited, resized and re-encoded (EXIF dropped)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from shanzhi.lib.errors import DomainError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def _bad(message: str) -> DomainError:
    return DomainError(message, fields={"photos": [message]})


@dataclass
class CleanImage:
    data: bytes
    width: int
    height: int


def _read(f) -> bytes:
    if isinstance(f, bytes | bytearray):
        return bytes(f)
    if hasattr(f, "size") and f.size and f.size > MAX_BYTES:
        raise _bad(f"照片“{getattr(f, 'name', '')}”超过{MAX_BYTES // 1024 // 1024}MB")
    data = f.read(MAX_BYTES + 1)
    return data


def validate_images(files: Sequence) -> list[CleanImage]:
    """Decode each upload as an image, refuse fakes and oversize, return resized JPEG bytes.

    A CleanImage (a pending upload already checked and re-encoded by this function) passes as it is."""
    files = [f for f in (files or []) if f]
    if len(files) > MAX_PHOTOS:
        raise _bad(f"最多上传{MAX_PHOTOS}张照片")
    out = []
    for i, f in enumerate(files, 1):
        if isinstance(f, CleanImage):
            out.append(f)
            continue
        data = _read(f)
        if len(data) > MAX_BYTES:
            raise _bad(f"第{i}张照片超过{MAX_BYTES // 1024 // 1024}MB")
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise _bad(f"第{i}张照片格式不支持（仅 JPEG/PNG/WebP/GIF）")
                if probe.width * probe.height > MAX_PIXELS:
                    raise _bad(f"第{i}张照片像素过大")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                # A phone stores a portrait photo as landscape pixels plus an EXIF orientation; the EXIF is
                # dropped on re-encoding, so turn the pixels first or the photo is kept on its side.
                img = ImageOps.exif_transpose(img).convert("RGB")
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=85, optimize=True)
                out.append(CleanImage(buf.getvalue(), img.width, img.height))
        except DomainError:
            raise
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise _bad(f"第{i}张文件不是有效的图片") from exc
    return out


def store_images(images: list[CleanImage], *, case, event, now: dt.datetime) -> None:
    from shanzhi.cases.models import Attachment

    for img in images:
        att = Attachment(case=case, event=event, content_type="image/jpeg", size=len(img.data), width=img.width,
                         height=img.height, created_at=now)
        att.file.save(f"{uuid.uuid4().hex}.jpg", ContentFile(img.data), save=False)
        att.save()
