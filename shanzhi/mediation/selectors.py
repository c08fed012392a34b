"""Reads of disputes across permission lines: a dispute is seen through its case (out of scope and missing
both raise NotFound), centres by the mediation scope, the calendar by the user's own sessions and centres.
No view or API builds a scoped queryset itself."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.cases.selectors import case_list_for
from shanzhi.lib.errors import NotFound
from shanzhi.mediation.models import RESOLVED, Agreement, Centre, Dispute, Session
from shanzhi.org.models import Post

DETAIL_RELATED = ("case__category", "case__unit", "case__handling_unit", "case__assignee", "case__department",
                  "type", "centre__unit", "first_centre__unit", "team", "repeat_of__case")


def dispute_list_for(*, user) -> QuerySet[Dispute]:
    """Disputes whose case the user may see (cases.selectors.case_list_for). One query when evaluated."""
    return Dispute.objects.filter(case_id__in=case_list_for(user=user).values("id"))


LIST_RELATED = ("case", "type", "centre")


def dispute_list_filtered(*, user, unit=None, start: dt.datetime | None = None, end: dt.datetime | None = None,
                          result: str = "", first_time: bool = False, on_time: bool = False, level: str = "",
                          repeat: bool = False) -> QuerySet[Dispute]:
    """Disputes the user may see, narrowed as the mediation indicators count them (indicators_for): first
    centre's unit in `unit`'s subtree, registered in [start, end); result "resolved" (agreement or
    withdrawn), "open" (none yet) or one Result; first time; resolved and closed on time; resolved at
    village/town level or below; repeats. Newest registered first, with case, type and centre joined (one
    query a page)."""
    from shanzhi.cases.indicators import TOWN_OR_BELOW, VILLAGE_OR_BELOW, closed_on_time_q

    resolved = Q(result__in=RESOLVED)
    qs = dispute_list_for(user=user)
    if unit is not None:
        qs = qs.filter(scopes.subtree_q(unit, "first_centre__unit"))
    if start is not None:
        qs = qs.filter(registered_at__gte=start)
    if end is not None:
        qs = qs.filter(registered_at__lt=end)
    if result == "resolved":
        qs = qs.filter(resolved)
    elif result == "open":
        qs = qs.filter(result="")
    elif result:
        qs = qs.filter(result=result)
    if first_time:
        qs = qs.filter(first_time=True)
    if on_time:
        qs = qs.filter(resolved & closed_on_time_q("case__"))
    if level == "village":
        qs = qs.filter(resolved, case__closed_level__in=VILLAGE_OR_BELOW)
    elif level == "town":
        qs = qs.filter(resolved, case__closed_level__in=TOWN_OR_BELOW)
    if repeat:
        qs = qs.filter(repeat_of__isnull=False)
    return qs.select_related(*LIST_RELATED).order_by("-registered_at", "-id")


def dispute_get_for(*, user, number: str) -> Dispute:
    """One dispute by its case number; NotFound when missing or out of scope."""
    found = dispute_list_for(user=user).select_related(*DETAIL_RELATED).filter(case__number=number).first()
    if found is None:
        raise NotFound("未找到该纠纷")
    return found


def visible_dispute_ids(*, user, ids) -> set[int]:
    """Which of these disputes the user may see (to name a repeat or a link only then). One query."""
    ids = [i for i in ids if i]
    if not ids:
        return set()
    return set(dispute_list_for(user=user).filter(pk__in=ids).values_list("id", flat=True))


def with_repeat_visible(qs: QuerySet[Dispute], *, user) -> QuerySet[Dispute]:
    """Annotate `repeat_visible`: may the user see the earlier matter a dispute repeats (within the same
    query, so a list costs the same whatever its rows)."""
    return qs.annotate(repeat_visible=Exists(dispute_list_for(user=user).filter(pk=OuterRef("repeat_of_id"))))


def agreement_get_for(*, user, pk: int) -> Agreement:
    """An agreement of a dispute the user may see; NotFound otherwise."""
    found = (Agreement.objects.filter(pk=pk, dispute__in=dispute_list_for(user=user))
             .select_related("dispute__case").first())
    if found is None:
        raise NotFound("未找到该协议")
    return found


def centre_get_for(*, user, code: str) -> Centre:
    """An active centre by its unit's code, when the user may see disputes there; NotFound otherwise."""
    found = Centre.objects.filter(unit__code=code, is_active=True).select_related("unit").first()
    if found is None or not scopes.may(user, "mediation.view", found.unit):
        raise NotFound("未找到该矛调中心")
    return found


def centres_viewed_by(*, user) -> list[Centre]:
    """Centres at the top units of the user's mediation scope (the sub-navigation). One query."""
    paths = [p for p in scopes.paths_for(user, "mediation.view") if p]
    return list(Centre.objects.filter(unit__path__in=paths, is_active=True).select_related("unit"))


def centres_handled_by(*, user) -> list[Centre]:
    """Centres at the units where the user holds a current post that may mediate. One query."""
    holder = Q(user_id=user.pk)
    if getattr(user, "resident_id", None):
        holder |= Q(resident_id=user.resident_id)
    posts = Post.objects.filter(holder, Post.current_q(), scopes.holders_q("mediation.handle"))
    return list(Centre.objects.filter(unit_id__in=posts.values("unit_id"), is_active=True)
                .select_related("unit"))


def mediators_for(*, centre: Centre) -> QuerySet[User]:
    """Active users holding a current post that may mediate at a unit covering the centre's unit (those
    services.session_schedule accepts)."""
    posts = Post.objects.filter(Post.current_q(), scopes.holders_q("mediation.handle"),
                                unit__code__in=centre.unit.ancestor_codes, user__isnull=False)
    return User.objects.filter(id__in=posts.values("user_id"), is_active=True).order_by("display_name", "id")


def week_sessions_for(*, user, start: dt.datetime, end: dt.datetime, centres: list[Centre]) -> QuerySet[Session]:
    """Sessions in [start, end) that the user mediates or that book a room of one of `centres` (the user's
    own centres, from centres_handled_by)."""
    mine = Q(booking__people=user)
    if centres:
        mine |= Q(booking__room__unit__in=[c.unit_id for c in centres])
    return (Session.objects.filter(mine, booking__cancelled=False, booking__starts_at__gte=start,
                                   booking__starts_at__lt=end).distinct()
            .select_related("booking__room", "dispute__case", "dispute__type").prefetch_related("booking__people")
            .order_by("booking__starts_at"))


def caseload_for(*, user, now: dt.datetime) -> QuerySet[Dispute]:
    """Open disputes the user may see and either handles at their centre or mediates, oldest first, with
    the next session's time."""
    ids = (dispute_list_for(user=user).filter(result="")
           .filter(scopes.scope_q(user, "mediation.handle", "centre__unit") | Q(sessions__booking__people=user))
           .values("id"))
    return (Dispute.objects.filter(id__in=ids).select_related("case", "type", "centre")
            .annotate(next_session=Min("sessions__booking__starts_at",
                                       filter=Q(sessions__booking__starts_at__gte=now,
                                                sessions__booking__cancelled=False)))
            .order_by("registered_at", "id"))


def centre_open_disputes_for(*, user, centre: Centre) -> QuerySet[Dispute]:
    """Open disputes now held by `centre` that the user may see."""
    return dispute_list_for(user=user).filter(centre=centre, result="")


def centre_sessions_for(*, user, centre: Centre, start: dt.datetime, end: dt.datetime) -> QuerySet[Session]:
    """Sessions booked in the centre's rooms in [start, end), for a user who may see the centre."""
    centre_get_for(user=user, code=centre.unit.code)
    return (Session.objects.filter(booking__room__unit=centre.unit_id, booking__cancelled=False,
                                   booking__starts_at__gte=start, booking__starts_at__lt=end)
            .select_related("booking__room", "dispute__case", "dispute__type").prefetch_related("booking__people")
            .order_by("booking__starts_at"))


def child_centres_for(*, user, centre: Centre) -> QuerySet[Centre]:
    """Active centres one level below `centre` (their indicators on the centre head's page)."""
    centre_get_for(user=user, code=centre.unit.code)
    return Centre.objects.filter(unit__parent=centre.unit, is_active=True).select_related("unit").order_by("unit__code")


def window_household_for(*, user, number: str):
    """An active household by its number in the user's window (mediation.intake scope), or None."""
    from shanzhi.people.models import Household

    return (Household.objects.filter(number=number, is_active=True)
            .filter(scopes.unit_ids_q(user, "mediation.intake", "micro_grid")).select_related("micro_grid").first())


def window_resident_for(*, user, id_number_hash: str):
    """The registered resident with this ID number's lookup hash, when the window's scope covers them."""
    from shanzhi.people.models import Resident

    return (Resident.objects.filter(id_number_hash=id_number_hash)
            .filter(scopes.unit_ids_q(user, "mediation.intake", "household__micro_grid")).first())
