"""The main navigation, by who is looking: one navigation for residents (with what their posts add
below it), staff what their posts allow. The current page is marked by the longest matching prefix,
so a case of 我的诉求 still marks 我的诉求."""

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
    (_("议事协商"), "councils:index", None, "councils.view"),
    (_("会议室"), "rooms:list", None, "rooms.manage"),
    (_("指挥中心"), "dashboard:home", None, "dashboard.view"),
    (_("法律服务团"), "legal:home", None, "legal.view"),
    (_("百事服务团"), "volunteers:home", None, "volunteers.view"),
    (_("换届选举"), "elections:home", None, "elections.view"),
    (_("通知"), "cases:inbox", None, None),
    (_("审计日志"), "audit:list", None, "audit.view"),
]
RESIDENT = [
    (_("首页"), "org:home", None, None),
    (_("我要反映"), "cases:report", None, None),
    (_("我的诉求"), "cases:mine", None, None),
    (_("村里动态"), "cases:feed", None, None),
    (_("议事协商"), "councils:index", None, None),
    (_("我的任务"), "campaigns:mine", None, None),
    (_("法律咨询"), "legal:home", None, None),
    (_("百事服务"), "volunteers:home", None, None),
    (_("选举"), "elections:mine", None, None),
    (_("通知"), "cases:inbox", None, None),
]
# What a post adds to a resident's navigation (their home already shows their households).
RESIDENT_POST = [
    (_("我的待办"), "cases:queue", None, "cases.handle"),
    (_("走访与动员"), "campaigns:list", None, "campaigns.run"),
    (_("矛调中心"), "mediation:calendar", None, "mediation.view"),
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


# Pages that belong to an entry without lying under its URL: (entry URL name, other path prefixes).
ALSO = {"org:home": ("/units/", "/people/"), "dashboard:home": ("/cases/indicators/",)}


def _prefixes() -> dict[str, tuple[str, ...]]:
    out = {}
    for name, extra in ALSO.items():
        try:
            out[reverse(name)] = extra
        except NoReverseMatch:
            continue
    return out


def current(items: list[tuple[str, str]], path: str) -> str:
    """The URL of the entry the page belongs to: the longest entry URL (or one of its other prefixes)
    that prefixes the path; the home "/" only for itself."""
    best, best_len = "", 0
    also = _prefixes()
    for _label, url in items:
        for prefix in (url, *also.get(url, ())):
            hit = path == prefix or (prefix != "/" and path.startswith(prefix))
            if hit and len(prefix) > best_len:
                best, best_len = url, len(prefix)
    return best


def nav(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_nav": [], "nav_current": ""}
    from shanzhi.accounts.models import UserKind

    if getattr(user, "kind", "") == UserKind.RESIDENT:
        items = _items(RESIDENT, user)
        if scopes.is_staff_user(user):
            have = {u for _l, u in items}
            items += [(label, url) for label, url in _items(RESIDENT_POST, user) if url not in have]
    elif scopes.is_staff_user(user):
        items = _items(STAFF, user)
    else:
        items = _items(RESIDENT, user)
    return {"main_nav": items, "nav_current": current(items, request.path)}
