"""Photos uploaded one by one as soon as they are chosen, so they survive a form sent back with errors.

Each upload is checked by content and re-encoded at once (images.validate_images), kept as a
PendingUpload owned by the uploader, and named by a random token. The form sends the tokens; the view
claims them (deleted in the same transaction as the case they join, so a refused write keeps them).
Another user's token, an expired one and one already claimed answer alike: missing.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Sequence

from django.db import transaction
from PIL import Image

from shanzhi.cases.images import MAX_PHOTOS, CleanImage, validate_images
from shanzhi.cases.models import PendingUpload
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

PENDING_HOURS = 24
MAX_PENDING = 30  # unclaimed photos one user may hold at a time
THUMB_SIDE = 240
MISSING = "照片已失效，请重新选择"


def _thumb(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGB")
        img.thumbnail((THUMB_SIDE, THUMB_SIDE))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=70)
        return buf.getvalue()


def _live(owner, now: dt.datetime):
    return PendingUpload.objects.filter(owner=owner, expires_at__gt=now)


@transaction.atomic
def upload_create(*, actor, photo, label: str = "该", now: dt.datetime | None = None) -> PendingUpload:
    """Check one photo by content, re-encode it and keep it for `actor` until PENDING_HOURS pass.

    Refuses an anonymous actor, a file that is not an image (Chinese message on `photos`, the photo named
    by `label`: "该", "第2张") and more than MAX_PENDING unclaimed photos. Expired uploads of the same owner
    are deleted on the way.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise DomainError("请先登录", fields={"photos": ["请先登录"]}, code="not_authenticated")
    now = now or clock.now()
    PendingUpload.objects.filter(owner=actor, expires_at__lte=now).delete()
    if photo is None:
        raise DomainError("请选择照片", fields={"photos": ["请选择照片"]})
    try:
        (image,) = validate_images([photo])
    except ValueError:  # an empty file: validate_images skipped it
        raise DomainError("请选择照片", fields={"photos": ["请选择照片"]}) from None
    except DomainError as exc:
        message = str(exc).replace("第1张", label)
        raise DomainError(message, fields={"photos": [message]}) from None
    if _live(actor, now).count() >= MAX_PENDING:
        raise DomainError("待提交的照片太多，请先提交或稍后再试", fields={"photos": ["待提交的照片太多"]})
    return PendingUpload.objects.create(
        token=secrets.token_urlsafe(24), owner=actor, data=image.data, thumb=_thumb(image.data),
        width=image.width, height=image.height, created_at=now,
        expires_at=now + dt.timedelta(hours=PENDING_HOURS))


def upload_get_for(*, user, token: str, now: dt.datetime | None = None) -> PendingUpload | None:
    """The user's own unexpired upload with this token, else None (someone else's is None too)."""
    if not token or not getattr(user, "is_authenticated", False):
        return None
    return _live(user, now or clock.now()).filter(token=str(token)[:48]).first()


def uploads_for(*, user, tokens: Sequence[str], now: dt.datetime | None = None) -> tuple[list[PendingUpload], int]:
    """The user's live uploads among `tokens` (in the order given, each once) and how many were missing."""
    wanted = list(dict.fromkeys(t for t in (str(t).strip()[:48] for t in tokens or []) if t))
    if not wanted or not getattr(user, "is_authenticated", False):
        return [], len(wanted)
    found = {u.token: u for u in _live(user, now or clock.now()).filter(token__in=wanted).defer("data")}
    return [found[t] for t in wanted if t in found], sum(1 for t in wanted if t not in found)


def uploads_claim(*, actor, tokens: Sequence[str], now: dt.datetime | None = None) -> list[CleanImage]:
    """Take the actor's uploads named by `tokens` for one write, once: deleted here, so call this inside the
    write's transaction (a refused write rolls the claim back). A missing token refuses the lot."""
    wanted = list(dict.fromkeys(t for t in (str(t).strip()[:48] for t in tokens or []) if t))
    if not wanted:
        return []
    if len(wanted) > MAX_PHOTOS:
        raise DomainError(f"最多上传{MAX_PHOTOS}张照片", fields={"photos": [f"最多上传{MAX_PHOTOS}张照片"]})
    now = now or clock.now()
    rows = {u.token: u for u in _live(actor, now).select_for_update().filter(token__in=wanted)}
    if len(rows) != len(wanted):
        raise DomainError(MISSING, fields={"photos": [MISSING]})
    PendingUpload.objects.filter(pk__in=[u.pk for u in rows.values()]).delete()
    return [CleanImage(bytes(rows[t].data), rows[t].width, rows[t].height) for t in wanted]


def uploads_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete every expired pending upload (the sweep calls this); return how many went."""
    deleted, _ = PendingUpload.objects.filter(expires_at__lte=now or clock.now()).delete()
    return deleted


def uploads_from_request(*, actor, tokens: Sequence[str], files: Sequence = (),
                         now: dt.datetime | None = None) -> tuple[list[PendingUpload], list[str]]:
    """The photos of a sent form as the actor's pending uploads: the tokens it carried (uploaded by script)
    and the files it carried (sent without script, kept now so they survive the form's errors).

    Returns the uploads, in order, and the Chinese errors for the photos field (a bad file, a token gone,
    too many). Each file is checked on its own so the good ones are kept.
    """
    now = now or clock.now()
    pending, missing = uploads_for(user=actor, tokens=tokens, now=now)
    errors: list[str] = []
    if missing:
        errors.append(f"有{missing}张照片已失效，请重新选择")
    files = [f for f in files or [] if f]
    if len(pending) + len(files) > MAX_PHOTOS:
        errors.append(f"最多上传{MAX_PHOTOS}张照片")
        files = files[:max(0, MAX_PHOTOS - len(pending))]
    for i, f in enumerate(files, 1):
        try:
            pending.append(upload_create(actor=actor, photo=f, label=f"第{i}张", now=now))
        except DomainError as exc:
            errors.extend(exc.fields.get("photos") or [str(exc)])
    return pending, errors
