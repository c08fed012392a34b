"""The main navigation, by who is looking: residents get their own pages, staff what their posts allow."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts import scopes

STAFF = [
    (_("网格与人口"), "org:home", None, "org.view"),
    (_("我的待办"), "cases:queue", None, "cases.handle"),
    (_("诉求"), "cases:all", None, "cases.view"),
    (_("走访与动员"), "campaigns:list", None, "campaigns.view"),
    (_("矛调中心"), "mediation:calendar", None, "mediation.view"),
    (_("通知"), "cases:inbox", None, None),
    (_("审计日志"), "audit:list", None, "audit.view"),
]
RESIDENT = [
    (_("我要反映"), "cases:report", None, None),
    (_("我的诉求"), "cases:mine", None, None),
    (_("村社动态"), "cases:feed", None, None),
    (_("我的任务"), "campaigns:mine", None, None),
    (_("通知"), "cases:inbox", None, None),
]


def _items(entries, user) -> list[tuple[str, str]]:
    out = []
    for label, name, args, action in entries:
        if action and not scopes.may_somewhere(user, action):
            continue
        try:
            out.append((label, reverse(name, args=args or ())))
        except NoReverseMatch:
            continue
    return out


def nav(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_nav": []}
    if scopes.is_staff_user(user):
        return {"main_nav": _items(STAFF, user)}
    return {"main_nav": _items(RESIDENT, user)}
