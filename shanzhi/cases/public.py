"""What a case shows to someone who sees it without handling it: a resident who follows it, the village
feed, Open311. One set of rules for the resident pages, the REST API and Open311.

Staff who see a case through their scope (or as its assignee or department) see it whole. Everyone else
sees other residents' names as surname + 某 (or nothing when anonymous), never phones, and free text with
the phone and ID numbers written inside it masked. The reporter sees their own words as written.
"""

from __future__ import annotations

from django.utils.translation import gettext

from shanzhi.accounts import scopes
from shanzhi.accounts.models import UserKind
from shanzhi.lib.codes import mask_text

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
                     "司徒", "夏侯", "令狐", "端木", "澹台", "南宫", "独孤", "西门", "万俟", "轩辕", "呼延")
# Steps whose note carries the reporter's own verdict (the rating comment): for the reporter only,
# like the rating comment on the case.
REPORTER_NOTES = ("rate", "reopen")


def sees_as_staff(user, case) -> bool:
    """Does `user` see `case` as staff (scope on its place or handling unit, assignee, department)?

    No query per case: posts and department grants are cached on the user for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if case.assignee_id is not None and case.assignee_id == user.pk:
        return True
    if scopes.may_department(user, case.department_id, case.unit):
        return True
    return scopes.may(user, "cases.view", case.unit) or scopes.may(user, "cases.view", case.handling_unit)


def is_reporter(user, case) -> bool:
    return case.reporter_id is not None and user is not None and case.reporter_id == user.pk


def mask_name(name: str) -> str:
    """Surname + 某 (张三 -> 张某, 欧阳修 -> 欧阳某); an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[0])
    return f"{surname}某"


def description(case, viewer) -> str:
    """The description: as written for the reporter, with phone and ID numbers masked for others."""
    return case.description if is_reporter(viewer, case) else mask_text(case.description)


def note(event, case, viewer) -> str:
    """A public step's note: as written for the reporter; for others masked, and the reporter's own
    verdict (rating comment) left out."""
    if is_reporter(viewer, case):
        return event.note
    if event.action in REPORTER_NOTES:
        return ""
    return mask_text(event.note)


def reporter_name(case, viewer) -> str:
    """The reporter's name field: theirs in full to the reporter, hidden when anonymous, else surname + 某."""
    if is_reporter(viewer, case):
        return case.reporter_name
    if case.anonymous:
        return ""
    return mask_name(case.reporter_name)


def reporter_label(case, viewer) -> str:
    """Who raised it, in words: 我, 匿名, surname + 某, or the channel when no name was given."""
    if is_reporter(viewer, case):
        return gettext("我")
    if case.anonymous:
        return gettext("匿名")
    return mask_name(case.reporter_name) or gettext(case.get_channel_display())


def actor_label(event, viewer) -> str:
    """Who took a step, in words: 我, 居民 for any resident (so an anonymous reporter stays anonymous),
    the system, or the staff member's name."""
    if event.actor_id is None:
        return gettext(event.actor_label) if event.actor_label == "系统" else event.actor_label
    if viewer is not None and event.actor_id == viewer.pk:
        return gettext("我")
    if getattr(event.actor, "kind", "") == UserKind.RESIDENT:
        return gettext("居民")
    return event.actor_label
