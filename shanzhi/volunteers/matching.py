"""Who could serve a request: a pure function (no database) ranking candidate volunteers, like the campaigns'
assignment. The selectors build the `Candidate` and `Need` values from the registry; the desk's assign page
shows the suggestions with their reasons and the service still checks the chosen volunteer as a target.

Eligible: active, has the skill, serves the request's village, has not declined this request. Ranked by
(1) availability over the wanted window (covers it, covers part, does not), (2) a known distance before an
unknown one, (3) a cost of the distance in km plus `LOAD_KM` per open request, then name and id, so the
order is deterministic and, everything else equal, monotonic in distance.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

LOAD_KM = 1.0  # one open request weighs as much as a kilometre more to walk
EARTH_RADIUS_M = 6371008.8
MAX_WINDOW_DAYS = 8  # a longer window is looked at over its first eight days (every weekday is in it)

AVAILABLE, PARTLY, UNAVAILABLE = 0, 1, 2


@dataclass(frozen=True)
class Slot:
    weekday: int  # Monday 0 .. Sunday 6
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    active: bool
    skills: frozenset[int]
    villages: frozenset[int]
    availability: tuple[Slot, ...] = ()  # empty: any time
    lat: float | None = None
    lon: float | None = None
    load: int = 0  # open requests (assigned, accepted, serving)


@dataclass(frozen=True)
class Need:
    skill: int
    village: int
    wanted_from: dt.datetime | None = None  # local wall-clock times (the caller converts)
    wanted_to: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    declined: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Suggestion:
    volunteer_id: int
    name: str
    availability: int  # AVAILABLE, PARTLY, UNAVAILABLE
    distance_m: float | None
    load: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    volunteer_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Result:
    suggestions: tuple[Suggestion, ...]
    excluded: tuple[Excluded, ...]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def overlap_minutes(slots: tuple[Slot, ...], start: dt.datetime, end: dt.datetime) -> int:
    """Minutes of [start, end) inside the weekly slots (looked at over at most MAX_WINDOW_DAYS days)."""
    end = min(end, start + dt.timedelta(days=MAX_WINDOW_DAYS))
    total = 0
    day = start.date()
    while day <= end.date():
        lo = _minutes(start.time()) if day == start.date() else 0
        hi = _minutes(end.time()) if day == end.date() else 24 * 60
        for s in slots:
            if s.weekday == day.weekday():
                total += max(0, min(hi, _minutes(s.end)) - max(lo, _minutes(s.start)))
        day += dt.timedelta(days=1)
    return total


def availability_of(c: Candidate, need: Need) -> int:
    """AVAILABLE when the volunteer serves any time, no window is wanted, or their slots cover the window (or
    an hour of it when it is longer); PARTLY when they cover some of it; UNAVAILABLE otherwise."""
    if not c.availability or need.wanted_from is None:
        return AVAILABLE
    start = need.wanted_from
    end = need.wanted_to if need.wanted_to is not None and need.wanted_to > start else start + dt.timedelta(hours=1)
    window = (end - start).total_seconds() // 60
    got = overlap_minutes(c.availability, start, end)
    if got >= min(window, 60):
        return AVAILABLE
    return PARTLY if got > 0 else UNAVAILABLE


def distance_of(c: Candidate, need: Need) -> float | None:
    if None in (c.lat, c.lon, need.lat, need.lon):
        return None
    return haversine_m(c.lat, c.lon, need.lat, need.lon)


def exclusion(c: Candidate, need: Need) -> str | None:
    """Why a volunteer cannot serve this request (None when they can)."""
    if not c.active:
        return _("不在岗")
    if need.skill not in c.skills:
        return _("不具备所需技能")
    if need.village not in c.villages:
        return _("不服务该村社")
    if c.id in need.declined:
        return _("已婉拒该需求")
    return None


def _reasons(avail: int, distance: float | None, load: int) -> tuple[str, ...]:
    out = [_("具备所需技能")]
    out.append({AVAILABLE: _("时间合适"), PARTLY: _("时间部分合适"), UNAVAILABLE: _("希望时间不在其可服务时间内")}[avail])
    if distance is None:
        out.append(_("距离未知"))
    elif distance < 1000:
        out.append(_("距离约%(m)d米") % {"m": round(distance)})
    else:
        out.append(_("距离约%(km).1f公里") % {"km": distance / 1000})
    out.append(_("进行中任务%(n)d件") % {"n": load} if load else _("当前无进行中任务"))
    return tuple(out)


def sort_key(s: Suggestion) -> tuple:
    known = s.distance_m is not None
    cost = (s.distance_m / 1000 if known else 0.0) + LOAD_KM * s.load
    return (s.availability, 0 if known else 1, cost, s.name, s.volunteer_id)


def suggest(need: Need, candidates: list[Candidate] | tuple[Candidate, ...], limit: int | None = 10) -> Result:
    """Rank the eligible candidates for `need`; the others are listed with the reason they are left out."""
    chosen: list[Suggestion] = []
    excluded: list[Excluded] = []
    for c in candidates:
        why = exclusion(c, need)
        if why is not None:
            excluded.append(Excluded(c.id, c.name, why))
            continue
        avail, distance = availability_of(c, need), distance_of(c, need)
        chosen.append(Suggestion(c.id, c.name, avail, distance, c.load, _reasons(avail, distance, c.load)))
    chosen.sort(key=sort_key)
    excluded.sort(key=lambda e: (e.name, e.volunteer_id))
    return Result(tuple(chosen if limit is None else chosen[:limit]), tuple(excluded))
