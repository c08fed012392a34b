"""The service team's part of the staff case page: the request made from the case and "交百事服务团"."""

from django import template

from shanzhi.volunteers import selectors, services
from shanzhi.volunteers.models import ServiceRequest

register = template.Library()


@register.inclusion_tag("volunteers/_case_links.html", takes_context=True)
def volunteer_case_links(context, case) -> dict:
    """The case's service request where the user sees it; the button only where the service would allow it
    (a 求助 the user may handle, open, placed in a village, not handed over yet)."""
    user = context["request"].user
    rows = [r for r in ServiceRequest.objects.filter(case=case).select_related("volunteer", "village")
            if selectors.request_visible(user, r)]
    return {"case": case, "requests": rows, "may_hand_over": services.may_hand_over(user, case)}
