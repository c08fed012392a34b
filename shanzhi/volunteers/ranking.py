"""Monthly rankings of a village's volunteers (志愿之星): hours credited in the village during the month
(services, activities and their corrections), then points, then name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from shanzhi.lib import periods
from shanzhi.org.models import OrgUnit
from shanzhi.volunteers.models import Account, Entry, EntryKind

EARNED = (EntryKind.SERVICE, EntryKind.ACTIVITY, EntryKind.CORRECTION)


@dataclass(frozen=True)
class Row:
    rank: int
    account_id: int
    name: str
    hours: Decimal
    points: int


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month's local start and the next month's local start, as aware datetimes."""
    p = periods.month_period(year, month)
    return p.start, p.end


def monthly_ranking(village: OrgUnit, year: int, month: int, limit: int = 10) -> list[Row]:
    """The top `limit` accounts by hours earned in the village in the month (ties share a rank)."""
    start, end = month_bounds(year, month)
    rows = list(Entry.objects.filter(village=village, at__gte=start, at__lt=end, kind__in=EARNED)
                .values("account_id").annotate(h=Sum("hours"), p=Sum("points", filter=~Q(kind=EntryKind.REDEEM)))
                .filter(h__gt=0).order_by("-h", "-p", "account_id")[:limit])
    names = dict(Account.objects.filter(id__in=[r["account_id"] for r in rows]).values_list("id", "name"))
    out: list[Row] = []
    for i, r in enumerate(rows):
        rank = out[-1].rank if out and out[-1].hours == r["h"] else i + 1
        out.append(Row(rank=rank, account_id=r["account_id"], name=names.get(r["account_id"], ""), hours=r["h"],
                       points=r["p"] or 0))
    return out
