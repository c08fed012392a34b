"""The links between the service's pages (requests and tasks; hours, points, the store, activities): each shown
only where the page behind it would answer the user (the same gates the views use; a hidden link is a courtesy,
never the check)."""

from django import template

from shanzhi.accounts import scopes
from shanzhi.volunteers import access, activities, ledger, reports, selectors

register = template.Library()


def links_for(user) -> dict:
    """What the user may open: their own (points, certificate, store, activities, ranking) and the desk's
    (ledger, counter, store items, activities, civic points, ranking)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    me = access.volunteer_for(user)
    village = access.home_village(user)
    villages = reports.villages_for(user)
    staff = scopes.is_staff_user(user)
    person = village is not None or me is not None
    return {
        "points": person or ledger.account_of_user(user) is not None,
        "certificate": me is not None,
        "store": bool(villages),
        "activities": person or selectors.may_desk(user),
        "ranking": bool(villages) or me is not None,
        "ledger": staff and scopes.may_somewhere(user, "volunteers.view"),
        "counter": staff and scopes.may_somewhere(user, "volunteers.counter"),
        "civic": staff and scopes.may_somewhere(user, "volunteers.award"),
        "activity_new": activities.teams_to_run(user).exists(),
        "desk": selectors.may_desk(user),
    }


@register.inclusion_tag("volunteers/_links.html", takes_context=True)
def volunteer_links(context, part: str = "all") -> dict:
    """`part`: "person" (my hours and points, certificate, store, activities, ranking), "desk" (ledger, counter,
    store items, activities, civic points, ranking) or "all" (the bar on the time bank's pages)."""
    return {"links": links_for(context["request"].user), "part": part}
