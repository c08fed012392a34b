"""The rating page behind the short link of the rating SMS.

A link is issued when a case is closed for a reporter we can text. Opening it shows the rating form of
that case only, bound to the link's token (no session, no other page): single use, expiring after
SHANZHI_RATING_LINK_DAYS (default 7), replaced by a newer link of the same case. The rating itself goes
through cases.services.case_rate, acting as the case's reporter (the link was sent to their phone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from shanzhi.audit.services import audit_record
from shanzhi.cases import services
from shanzhi.cases.models import Case, RatingLink, Status
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound

TOKEN_BYTES = 9  # 12 URL-safe characters: short in an SMS, 72 random bits
USED = "该评价链接已使用过，每条链接只能评价一次。"
EXPIRED = "该评价链接已过期，请登录后在“我的诉求”中评价，或联系网格员。"
REPLACED = "该评价链接已失效，请使用最新短信中的链接。"
NOT_RATEABLE = "该诉求当前不能评价（可能已经评价过）。"


class LinkRefused(DomainError):
    code = "link_refused"
    status = 410


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rating_link_issue(*, case: Case, now: dt.datetime | None = None) -> str:
    """Issue a rating link for `case` and return its token (the system does this when the case closes).
    Audited without the token."""
    now = now or clock.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    days = int(settings.SHANZHI.get("RATING_LINK_DAYS", 7))
    link = RatingLink.objects.create(case=case, token_hash=_hash(token), created_at=now,
                                     expires_at=now + dt.timedelta(days=days))
    audit_record(actor=None, action="cases.rating_link.issue", obj=case, unit_path=case.handling_unit.path,
                 after={"link": link.pk, "expires_at": link.expires_at.isoformat()})
    return token


def rating_link_url(token: str) -> str:
    """The link as sent: SHANZHI_PUBLIC_URL (when set) and the page's path."""
    return f"{settings.SHANZHI.get('PUBLIC_URL', '')}{reverse('cases:rate_link', args=[token])}"


def _get(token: str, *, lock: bool = False) -> RatingLink:
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise NotFound("未找到该评价链接")
    if lock:  # lock the link row only (PostgreSQL refuses FOR UPDATE across the reporter's outer join)
        qs = RatingLink.objects.select_for_update()
    else:
        qs = RatingLink.objects.select_related("case__category", "case__handling_unit", "case__reporter")
    link = qs.filter(token_hash=_hash(token)).first()
    if link is None:
        raise NotFound("未找到该评价链接")
    return link


def _refusal(link: RatingLink, now: dt.datetime) -> str:
    if link.used_at is not None:
        return USED
    if now >= link.expires_at:
        return EXPIRED
    newest = RatingLink.objects.filter(case_id=link.case_id).order_by("-created_at", "-id").values_list(
        "pk", flat=True).first()
    if newest != link.pk:
        return REPLACED
    if link.case.status != Status.CLOSED:
        return NOT_RATEABLE
    return ""


def rating_link_check(*, token: str, now: dt.datetime | None = None) -> tuple[Case, str]:
    """The case behind a token and why it may not be rated now ('' when it may). Unknown: NotFound."""
    link = _get(token)
    return link.case, _refusal(link, now or clock.now())


def rating_link_rate(*, token: str, rating, satisfied: bool, comment: str = "",
                     now: dt.datetime | None = None) -> Case:
    """Rate the link's case through case_rate and use the link up, in one transaction. Unknown token:
    NotFound; used, expired, replaced or the case no longer closed: LinkRefused (410), nothing changes."""
    now = now or clock.now()
    with transaction.atomic():
        link = _get(token, lock=True)
        refusal = _refusal(link, now)
        if refusal:
            raise LinkRefused(refusal)
        case = Case.objects.select_for_update(of=("self",)).select_related("category", "handling_unit").get(pk=link.case_id)
        reporter = case.reporter if case.reporter_id and case.reporter.is_active else None
        services.case_rate(actor=reporter, case=case, rating=rating, satisfied=satisfied, comment=comment, now=now)
        link.used_at = now
        link.save(update_fields=["used_at"])
        audit_record(actor=reporter, action="cases.rating_link.use", obj=case, unit_path=case.handling_unit.path,
                     after={"link": link.pk, "rating": case.rating})
    return case
