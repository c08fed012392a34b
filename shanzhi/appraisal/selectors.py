"""Reads of the moral-appraisal panel, scoped: out of scope answers like missing (NotFound).

Who sees what:
- the honour roll 红榜 of a village: its residents, members of its panel, and staff who see its councils;
- nominations and complaints with their details: staff who see the village's councils and the panel's
  members (the desk), and their authors (their own, with the state);
- the criticism list 黑榜 of a village: nothing at all unless the county turned it on, then to whoever
  may read the village's honour roll, with only what the county allows (see `blacklist_rows`): never an
  ID number or a phone, the person's name only where the county allows names.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.appraisal import services
from shanzhi.appraisal.models import UPHELD, AppraisalSettings, Complaint, HonourEntry, Nomination
from shanzhi.councils import access
from shanzhi.councils.models import Council, Member
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import Level, OrgUnit


def home_village(user) -> OrgUnit | None:
    return access.home_village(user) if user is not None and getattr(user, "is_authenticated", False) else None


def _member_village_ids(user) -> QuerySet:
    """Ids of the villages whose moral panel the user is a current member of."""
    return (Council.objects.filter(type__code=services.MORAL, id__in=Member.objects.filter(
        access.current_q(), access.holder_q(user)).values("council_id")).values("unit_id"))


def may_read_village(user, village: OrgUnit) -> bool:
    """May the user read a village's honour roll (and criticism list when on)?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if scopes.may(user, "councils.view", village):
        return True
    home = home_village(user)
    if home is not None and home.pk == village.pk:
        return True
    return _member_village_ids(user).filter(unit_id=village.pk).exists()


def village_get_for(*, user, code: str) -> OrgUnit:
    """The village a page names by code (a grid's or micro-grid's code names its village), if the user
    may read it; NotFound otherwise."""
    unit = OrgUnit.objects.filter(code=code).first() if isinstance(code, str) and code.isascii() else None
    if unit is None:
        raise NotFound("未找到该村")
    village = (unit if unit.level == Level.VILLAGE
               else OrgUnit.objects.filter(code__in=unit.ancestor_codes, level=Level.VILLAGE).first())
    if village is None or not may_read_village(user, village):
        raise NotFound("未找到该村")
    return village


# ---- the honour roll ------------------------------------------------------------------------------

def honour_roll(*, village: OrgUnit, limit: int | None = 100) -> QuerySet[HonourEntry]:
    """A village's honour roll, newest first (the caller checked `may_read_village`)."""
    rows = HonourEntry.objects.filter(village=village).select_related("village").order_by("-honoured_on", "-id")
    return rows[:limit] if limit else rows


def honour_visible_q(user, field: str = "village") -> Q:
    """Q for honour entries the user may read: staff scope, their home village, their panels' villages."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = scopes.unit_ids_q(user, "councils.view", field)
    if scopes.covers_all(user, "councils.view"):
        return Q()
    home = home_village(user)
    if home is not None:
        q |= Q(**{f"{field}_id": home.pk})
    return q | Q(**{f"{field}_id__in": _member_village_ids(user)})


def honour_list_for(*, user) -> QuerySet[HonourEntry]:
    return HonourEntry.objects.filter(honour_visible_q(user)).select_related("village")


def citation(entry: HonourEntry) -> str:
    """The citation as shown to anyone: phone and ID numbers written into it masked."""
    return mask_text(entry.citation)


# ---- the desk: nominations and complaints ---------------------------------------------------------

def desk_q(user, field: str = "village") -> Q:
    """Q for nominations / complaints the user sees at the desk: staff who see the village's councils,
    and members of the village's panel."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if scopes.covers_all(user, "councils.view"):
        return Q()
    return scopes.unit_ids_q(user, "councils.view", field) | Q(**{f"{field}_id__in": _member_village_ids(user)})


def may_use_desk(user) -> bool:
    """Staff who see councils somewhere, or a current member of a moral panel (to show the desk)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return scopes.may_somewhere(user, "councils.view") or _member_village_ids(user).exists()


def nomination_list_for(*, user) -> QuerySet[Nomination]:
    return (Nomination.objects.filter(desk_q(user)).select_related("topic", "village")
            .order_by("-created_at", "-id"))


def complaint_list_for(*, user) -> QuerySet[Complaint]:
    return (Complaint.objects.filter(desk_q(user)).select_related("topic", "village")
            .order_by("-created_at", "-id"))


def _by_id(qs: QuerySet, pk) -> object:
    from shanzhi.lib import parsing

    pk = parsing.id_or_none(pk)
    found = qs.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound()
    return found


def nomination_get_for(*, user, pk) -> Nomination:
    try:
        return _by_id(nomination_list_for(user=user).select_related("topic__council__unit", "honour"), pk)
    except NotFound:
        raise NotFound("未找到该推荐") from None


def complaint_get_for(*, user, pk) -> Complaint:
    try:
        return _by_id(complaint_list_for(user=user).select_related("topic__council__unit", "heard_by"), pk)
    except NotFound:
        raise NotFound("未找到该评议事项") from None


def mine(*, user) -> tuple[list[Nomination], list[Complaint]]:
    """What the user nominated and complained about (their own, not what they filed as a proxy)."""
    if not getattr(user, "is_authenticated", False):
        return [], []
    own = Q(topic__author_user_id=user.pk, topic__proxy__isnull=True)
    return (list(Nomination.objects.filter(own).select_related("topic", "honour").order_by("-created_at")[:50]),
            list(Complaint.objects.filter(own).select_related("topic").order_by("-created_at")[:50]))


# ---- the criticism list ---------------------------------------------------------------------------

def settings_of(village: OrgUnit) -> AppraisalSettings:
    return services.settings_for(services.county_of(village))


def blacklist_rows(*, village: OrgUnit, limit: int = 100) -> list[dict]:
    """The village's criticism list 黑榜, as the county allows: NotFound when the county has not turned it
    on. Each row: the act (its kind), the village, the decision's date; where allowed, the person's name,
    the hearing's public line and the decision. Never an ID number or a phone (masked out of any text)."""
    conf = settings_of(village)
    if not conf.blacklist_enabled:
        raise NotFound("未找到")
    rows = []
    complaints = (Complaint.objects.filter(village=village, decision__in=UPHELD, decided_at__isnull=False)
                  .order_by("-decided_at", "-id")[:limit])
    for c in complaints:
        row = {"kind": c.get_kind_display(), "village": village.name, "date": c.decided_at}
        if conf.show_names and c.subject_name:
            row["name"] = c.subject_name
        if conf.show_text and c.public_text:
            text = mask_text(c.public_text)
            if not conf.show_names and c.subject_name:
                text = text.replace(c.subject_name, "某某")
            row["text"] = text
        if conf.show_decision:
            row["decision"] = c.get_decision_display()
        rows.append(row)
    return rows


def blacklist_on(village: OrgUnit) -> bool:
    return settings_of(village).blacklist_enabled


def counties_for(*, user) -> list[OrgUnit]:
    """Counties whose settings the user may change."""
    return [u for u in OrgUnit.objects.filter(level=Level.COUNTY)
            if scopes.may(user, "appraisal.configure", u)]


def desk_villages(*, user, proxy: bool = False) -> list[OrgUnit]:
    """Villages with a moral panel the user may file for at the desk: where they run councils or sit on
    the panel, and (`proxy`) where they act for residents of their grid. To fill a picker; the service
    still decides."""
    councils = Council.objects.filter(type__code=services.MORAL, is_active=True).select_related("unit")
    if not scopes.covers_all(user, "councils.run"):
        member = set(_member_village_ids(user).values_list("unit_id", flat=True))
        councils = [c for c in councils if c.unit_id in member or scopes.may(user, "councils.run", c.unit)
                    or (proxy and scopes.reaches(user, "councils.proxy", c.unit))]
    return sorted({c.unit for c in councils}, key=lambda u: u.path)
