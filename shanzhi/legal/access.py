"""Who stands where in the legal service team: the adviser's appointment is their grant.

An adviser (a lawyer or legal worker; a staff account, often without any post) acts for the villages they
are currently appointed to: answers their questions, holds their consultations, records talks there. Staff
see the team's work through `legal.view` in scope and appoint through `legal.manage`. A resident sees their
own questions and bookings and their village's public answers. Services ask here, then the one gate
(`scopes.require(..., granted=..., visible=...)`); nothing else decides.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from shanzhi.accounts import scopes
from shanzhi.accounts.models import UserKind
from shanzhi.cases.selectors import resident_village
from shanzhi.lib import clock
from shanzhi.org.models import OrgUnit

# The adviser's own work: no role gives it, only a current appointment (the object-level grant).
ADVISE = "legal.advise"


def unanswered_days() -> int:
    """After how many days an unanswered question is flagged on the adviser's list (setting, default 3)."""
    return int(settings.SHANZHI.get("LEGAL_UNANSWERED_DAYS", 3))


def current_q(on: dt.date | None = None, field: str = "") -> Q:
    """Q for Appointment rows (through `field`) that hold on `on` (today by default)."""
    on = on or clock.today()
    pre = f"{field}__" if field else ""
    return (Q(**{f"{pre}started_on__lte": on}) & Q(**{f"{pre}term_ends_on__gte": on})
            & (Q(**{f"{pre}ended_on__isnull": True}) | Q(**{f"{pre}ended_on__gt": on})))


def adviser_village_ids(user, on: dt.date | None = None) -> set[int]:
    """Villages the user is currently appointed to (cached on the user for today)."""
    from shanzhi.legal.models import Appointment

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    on = on or clock.today()
    cached = getattr(user, "_legal_villages", None)
    if cached is not None and cached[0] == on:
        return cached[1]
    ids = set(Appointment.objects.filter(current_q(on), adviser_id=user.pk).values_list("village_id", flat=True))
    user._legal_villages = (on, ids)
    return ids


def is_adviser(user, village: OrgUnit | int) -> bool:
    """Is the user the current adviser of the village?"""
    vid = village.pk if isinstance(village, OrgUnit) else village
    return vid in adviser_village_ids(user)


def is_resident(user) -> bool:
    return getattr(user, "kind", "") == UserKind.RESIDENT


def home_village(user) -> OrgUnit | None:
    """The village of a resident user's household (None for staff and residents without one)."""
    if not is_resident(user):
        return None
    cached = getattr(user, "_legal_home", False)
    if cached is not False:
        return cached
    village = resident_village(user)
    user._legal_home = village
    return village


def sees_village(user, village: OrgUnit) -> bool:
    """Staff in scope and the village's adviser see its team's work."""
    return scopes.may(user, "legal.view", village) or is_adviser(user, village)


def question_visible(user, question) -> bool:
    """The asker, the village's adviser (or whoever answered), staff in scope; and, once answered and
    public, the village's residents."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if question.asker_id == user.pk or question.answered_by_id == user.pk:
        return True
    if sees_village(user, question.village):
        return True
    if question.is_public and question.answered_at is not None:
        village = home_village(user)
        return village is not None and village.pk == question.village_id
    return False


def booking_visible(user, booking) -> bool:
    """The resident who booked, the slot's adviser, staff in scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return booking.user_id == user.pk or sees_village(user, booking.slot.village) or (
        booking.slot.appointment.adviser_id == user.pk)


def require_advise(actor, village: OrgUnit, *, what: str, visible: bool | None = None, state=None) -> None:
    """The gate for the adviser's own work in a village: 404 when the actor cannot see it, the state's 400,
    then 403 unless the actor is the village's current adviser."""
    if visible is None:
        visible = actor is None or sees_village(actor, village)
    scopes.require(actor, ADVISE, village, what=what, granted=actor is not None and is_adviser(actor, village),
                   visible=visible, state=state)


def sees_whole(user, question) -> bool:
    """Does the user read the question as written (the asker, whoever answered, the team in scope)? Others
    (the village's residents reading a public answer) get phone and ID numbers written inside masked."""
    return user is not None and (question.asker_id == user.pk or question.answered_by_id == user.pk
                                 or sees_village(user, question.village))


def shown(user, question) -> tuple[str, str]:
    """The question's text and answer as this user may read them."""
    from shanzhi.lib.codes import mask_text

    if sees_whole(user, question):
        return question.text, question.answer
    return mask_text(question.text), mask_text(question.answer)
