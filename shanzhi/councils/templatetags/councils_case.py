"""The councils' part of the staff case page: topics made from the case and the "提交议事会" button."""

from django import template

from shanzhi.councils import selectors

register = template.Library()


@register.inclusion_tag("councils/_case_links.html", takes_context=True)
def council_case_links(context, case) -> dict:
    """Links to the case's council topics the user may see; the button where the user runs a council
    at or above the case's place (the service checks again)."""
    user = context["request"].user
    return {"case": case, "topics": selectors.topic_get_for_case(user=user, case=case),
            "may_bring": bool(selectors.councils_for_case(user=user, case=case))}
