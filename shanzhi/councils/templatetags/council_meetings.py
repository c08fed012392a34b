"""`{% council_feed village %}`: the councils' part of a village feed (public meetings, published decisions),
and `|public_text`: free text as the public sees it (phones and ID numbers written into it masked)."""

from __future__ import annotations

from django import template

from shanzhi.lib.codes import mask_text

register = template.Library()


@register.inclusion_tag("councils/meeting_feed.html")
def council_feed(village):
    """Upcoming public meetings and published decisions of the village's councils (two queries)."""
    from shanzhi.councils.selectors_meetings import feed_for

    return {"council_feed": feed_for(village=village)}


@register.filter
def public_text(value) -> str:
    return mask_text(str(value or ""))
