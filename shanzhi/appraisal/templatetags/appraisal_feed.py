"""`{% honour_feed village %}`: the newest lines of the village's honour roll 红榜 on its resident feed."""

from __future__ import annotations

from django import template

register = template.Library()
FEED_LINES = 3


@register.inclusion_tag("appraisal/_honour_feed.html")
def honour_feed(village):
    """The village's newest honour-roll entries, with links to the whole roll and to nominate (shown where the
    village has a moral panel; two queries)."""
    from shanzhi.appraisal import selectors, services

    if services.moral_council(village) is None:
        return {"village": None, "honour_rows": []}
    rows = [{"entry": e, "citation": selectors.citation(e)}
            for e in selectors.honour_roll(village=village, limit=FEED_LINES)]
    return {"village": village, "honour_rows": rows}
