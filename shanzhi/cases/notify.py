"""Notifications: an in-app inbox row per person, plus SMS to residents through the pluggable backend.

Each notification has a dedupe key, so a sweep that runs twice notifies once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.accounts.sms import send_sms
from shanzhi.cases.models import Case, Notification
from shanzhi.lib import crypto
from shanzhi.org.models import Post


def handler_user_ids(case: Case) -> list[int]:
    """Who should hear about a case: its assignee, else its department's staff, else its unit's staff."""
    if case.assignee_id:
        return [case.assignee_id]
    posts = Post.objects.filter(Post.current_q(), user__isnull=False)
    if case.department_id:
        posts = posts.filter(department_id=case.department_id)
    else:
        posts = posts.filter(scopes.holders_q("cases.handle"), unit_id=case.handling_unit_id)
    return sorted(set(posts.values_list("user_id", flat=True)))


def _send(user_ids, case: Case | None, kind: str, text: str, key: str, now: dt.datetime, link: str = "") -> int:
    rows = [Notification(user_id=uid, case=case, kind=kind, text=text[:300], created_at=now, link=link[:200],
                         dedupe_key=f"{key}"[:100]) for uid in user_ids]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def inbox_notify(user_ids, *, kind: str, text: str, key: str, now: dt.datetime, case: Case | None = None,
                 link: str = "") -> int:
    """Put a notification in each user's inbox, once per user and key (a repeat with the same key adds none).
    `link` is where a notification of no case opens (a path on this site, e.g. a council topic)."""
    return _send(user_ids, case, kind, text, key, now, link)


def case_assigned(case: Case, *, now: dt.datetime, escalated: bool = False) -> None:
    kind = "escalated" if escalated else "assigned"
    verb = "上报至您单位" if escalated else "待您处理"
    text = f"诉求 {case.number}（{case.category.name}）{verb}，时限 {case.deadline_at:%m-%d %H:%M}"
    _send(handler_user_ids(case), case, kind, text, f"{kind}:{case.pk}:{now.timestamp()}", now)


def overdue_warning(case: Case, *, now: dt.datetime) -> None:
    text = f"诉求 {case.number} 即将超期（时限 {case.deadline_at:%m-%d %H:%M}）"
    _send(handler_user_ids(case), case, "warning", text, f"warn:{case.pk}:{case.deadline_at.isoformat()}", now)


def supervised(case: Case, *, now: dt.datetime) -> None:
    text = f"诉求 {case.number} 被{case.get_supervision_display()}，请尽快办理"
    _send(handler_user_ids(case), case, "supervised", text, f"sup:{case.pk}:{now.timestamp()}", now)


def rating_requested(case: Case, *, now: dt.datetime) -> None:
    """Ask the reporter to rate: inbox if they have an account, SMS if a phone is known (after commit)."""
    text = f"您反映的诉求 {case.number} 已办结，请对处理结果进行评价。"
    if case.reporter_id:
        _send([case.reporter_id], case, "rate", text, f"rate:{case.pk}:{now.timestamp()}", now)
    phone = crypto.decrypt(case.reporter_phone_enc) if case.reporter_phone_enc else ""
    if not phone and case.reporter_id and getattr(case.reporter, "resident", None):
        phone = case.reporter.resident.phone_plain()
    if phone:
        from shanzhi.cases.rating_links import rating_link_issue, rating_link_url

        link = rating_link_url(rating_link_issue(case=case, now=now))
        days = settings.SHANZHI.get("RATING_LINK_DAYS", 7)
        sms = f"【善治】{text}点击评价（{days}天内有效，仅限一次）：{link}"
        transaction.on_commit(lambda: send_sms(phone, sms))
