"""Centre indicators for a period: 受理数, 化解率, 一次化解率, 按期化解率, village/town shares, repeats, median days."""

from __future__ import annotations

import datetime as dt
from statistics import median

from django.db.models import Count, Q

from shanzhi.accounts import scopes
from shanzhi.cases.indicators import TOWN_OR_BELOW, VILLAGE_OR_BELOW, closed_on_time_q
from shanzhi.mediation.models import RESOLVED, Dispute
from shanzhi.org.models import OrgUnit


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def indicators_for(unit: OrgUnit, start: dt.datetime, end: dt.datetime) -> dict:
    """Indicators of the disputes first received by centres in a unit's area. Two queries.

    On time, the closing level and the days to resolve are read from the dispute's case, with the cases'
    own rule (cases.indicators.closed_on_time_q)."""
    qs = Dispute.objects.filter(scopes.subtree_q(unit, "first_centre__unit"), registered_at__gte=start,
                                registered_at__lt=end)
    resolved = Q(result__in=RESOLVED)
    agg = qs.aggregate(
        accepted=Count("id"),
        resolved=Count("id", filter=resolved),
        first_time=Count("id", filter=Q(first_time=True)),
        on_time=Count("id", filter=resolved & closed_on_time_q("case__")),
        in_village=Count("id", filter=resolved & Q(case__closed_level__in=VILLAGE_OR_BELOW)),
        in_town=Count("id", filter=resolved & Q(case__closed_level__in=TOWN_OR_BELOW)),
        repeats=Count("id", filter=Q(repeat_of__isnull=False)),
        petitions=Count("id", filter=Q(kind="petition")),
    )
    days = [(b - a).total_seconds() / 86400 for a, b in
            qs.filter(resolved, case__closed_at__isnull=False).values_list("registered_at", "case__closed_at")]
    a, r = agg["accepted"], agg["resolved"]
    return {
        **agg,
        "resolution_rate": _share(r, a),
        "first_time_rate": _share(agg["first_time"], a),
        "on_time_rate": _share(agg["on_time"], r),
        "village_share": _share(agg["in_village"], r),
        "town_share": _share(agg["in_town"], r),
        "median_days": median(days) if days else None,
    }
