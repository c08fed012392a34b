"""Reads of campaigns across permission lines, and progress rolled up the tree. Out of scope is NotFound."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.campaigns.models import (
    Campaign,
    CampaignStatus,
    CheckIn,
    IncidentMeasure,
    IncidentType,
    Kind,
    Measure,
    Rule,
    SignOff,
    Site,
    Stay,
    Target,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.parsing import id_or_none
from shanzhi.org.models import OrgUnit, Post, Role
from shanzhi.people.models import CadreRegistration, CentralHousehold, Resident, ResidentStatus

# Largest id a database integer column holds; a longer number in a URL or form is simply not found.
MAX_PEOPLE = 500  # responsible persons offered in a reassign list (a village has tens)


def campaign_list_for(*, user) -> QuerySet[Campaign]:
    """Campaigns whose unit is in the user's view scope, or where they are responsible for a household."""
    q = scopes.scope_q(user, "campaigns.view", "unit")
    # Staff of a grid see campaigns declared above them that reach into their grid.
    if scopes.may_somewhere(user, "campaigns.view") and q:
        q |= Q(id__in=Campaign.objects.filter(scopes.scope_q(user, "campaigns.view", "targets__unit")).values("id"))
    rid = getattr(user, "resident_id", None)
    mine = Target.objects.filter(Q(user_id=user.pk) | (Q(resident_id=rid) if rid else Q(pk__in=[])))
    q |= Q(id__in=mine.values("campaign_id"))
    return Campaign.objects.filter(q).select_related("unit").order_by("-starts_at", "-id")


def campaign_get_for(*, user, pk) -> Campaign:
    """One campaign the user may see; missing, out of scope and malformed ids are all NotFound."""
    n = id_or_none(pk)
    try:
        return campaign_list_for(user=user).get(pk=n)
    except Campaign.DoesNotExist:
        raise NotFound("未找到该任务") from None


def targets_for(*, user, campaign: Campaign) -> QuerySet[Target]:
    """The households of a campaign the user may see: their scope's, or those they are responsible for."""
    rid = getattr(user, "resident_id", None)
    q = scopes.scope_q(user, "campaigns.view", "unit") | Q(user_id=user.pk)
    if rid:
        q |= Q(resident_id=rid)
    return Target.objects.filter(q, campaign=campaign)


def target_get_for(*, user, campaign: Campaign, pk) -> Target:
    """One household of the campaign the user may act on (theirs, or in their scope); else NotFound."""
    t = (targets_for(user=user, campaign=campaign).select_related("household", "unit", "campaign")
         .filter(pk=id_or_none(pk)).first())
    if t is None:
        raise NotFound("未找到该户")
    return t


def target_by_number_for(*, user, campaign: Campaign, number: str) -> Target | None:
    """The household of the campaign with this number, if the user may see it."""
    return (targets_for(user=user, campaign=campaign).filter(household__number=number)
            .select_related("household", "unit").first())


def mine_q(user) -> Q:
    rid = getattr(user, "resident_id", None)
    return Q(user_id=user.pk) | (Q(resident_id=rid) if rid else Q(pk__in=[]))


def is_responsible(*, user, target: Target, campaign: Campaign | None = None) -> bool:
    """Is the user the responsible person of this household in a campaign still running? No query.

    The rule behind a responsible person's grants on their own households (a central household's leader
    calling the head of a household in their care, through the audited reveal). Give `campaign` when the
    target was loaded without it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if (campaign or target.campaign).status != CampaignStatus.ACTIVE:
        return False
    rid = getattr(user, "resident_id", None)
    return target.user_id == user.pk or (rid is not None and target.resident_id == rid)


def my_targets(*, user, campaign: Campaign) -> QuerySet[Target]:
    """A responsible person's walk list, in route order."""
    return (Target.objects.filter(mine_q(user), campaign=campaign)
            .select_related("household", "unit").order_by("route_order", "id"))


@dataclass
class Progress:
    unit: OrgUnit | None
    total: int = 0
    assigned: int = 0
    acknowledged: int = 0
    reached: int = 0
    notified: int = 0
    in_place: int = 0
    met_cadre: int = 0
    pending_with_reason: int = 0
    checked_in_today: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return self.reached / self.total if self.total else None


AGG = dict(
    total=Count("id"),
    assigned=Count("id", filter=Q(assigned_at__isnull=False)),
    acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
    reached=Count("id", filter=Q(reached_at__isnull=False)),
    notified=Count("id", filter=Q(notified_at__isnull=False)),
    in_place=Count("id", filter=Q(in_place_at__isnull=False)),
    met_cadre=Count("id", filter=Q(met_cadre=True)),
    pending_with_reason=Count("id", filter=Q(reached_at__isnull=True) & ~Q(pending_reason="")),
)


def progress(*, campaign: Campaign, unit: OrgUnit, children: list[OrgUnit], targets: QuerySet[Target] | None = None
             ) -> tuple[Progress, list[Progress]]:
    """Totals for a unit and each child in two grouped queries (children grouped by path prefix)."""
    qs = (targets if targets is not None else Target.objects.filter(campaign=campaign)).filter(
        scopes.subtree_q(unit, "unit"))
    total = Progress(unit=unit, **qs.aggregate(**AGG))
    by_path = {c.path: Progress(unit=c) for c in children}
    for n in sorted({len(p) for p in by_path}):
        for row in qs.annotate(k=Substr("unit__path", 1, n)).values("k").annotate(**AGG).order_by():
            p = by_path.get(row.pop("k"))
            if p is not None:
                for k, v in row.items():
                    setattr(p, k, v)
    total.checked_in_today = 0
    return total, [by_path[c.path] for c in children]


def by_assignee(*, campaign: Campaign, targets: QuerySet[Target], limit: int = 200) -> list[dict]:
    """Households and reached per responsible person (central household leader, cadre or grid worker)."""
    rows = (targets.values("central_id", "resident_id", "resident__name", "user_id", "user__display_name")
            .annotate(total=Count("id"), reached=Count("id", filter=Q(reached_at__isnull=False)),
                      acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)))
            .order_by("reached", "-total")[:limit])
    return list(rows)


def curve(*, campaign: Campaign, targets: QuerySet[Target], buckets: int = 48) -> list[tuple[dt.datetime, int]]:
    """Cumulative households reached over time since the start, in up to `buckets` steps. One query."""
    times = sorted(t for t in targets.filter(reached_at__isnull=False).values_list("reached_at", flat=True))
    start = campaign.starts_at
    if not times:
        return [(start, 0)]
    end = max(times[-1], start + dt.timedelta(minutes=1))
    step = (end - start) / buckets
    out, i = [], 0
    for b in range(1, buckets + 1):
        edge = start + step * b
        while i < len(times) and times[i] <= edge:
            i += 1
        out.append((edge, i))
    return out


def unreached(*, targets: QuerySet[Target], limit: int = 500) -> QuerySet[Target]:
    return (targets.filter(reached_at__isnull=True).select_related("household", "unit", "central__leader", "user")
            .order_by("unit__path", "household__number")[:limit])


# ---- what the pages show around a campaign ------------------------------------------------------

def campaign_counts_for(*, user, campaigns: list[Campaign]) -> dict[int, dict]:
    """Households and households reached per campaign, of those the user may see. One query."""
    visible = scopes.scope_q(user, "campaigns.view", "unit") | Q(user_id=user.pk)
    rows = (Target.objects.filter(visible, campaign_id__in=[c.pk for c in campaigns]).values("campaign_id")
            .annotate(total=Count("id"), reached=Count("id", filter=Q(reached_at__isnull=False))).order_by())
    return {r["campaign_id"]: r for r in rows}


def my_campaigns(*, user) -> tuple[list[Campaign], dict[int, dict]]:
    """The active campaigns where the user is responsible for households, with their counts. Two queries."""
    counts = (Target.objects.filter(mine_q(user), campaign__status=CampaignStatus.ACTIVE)
              .values("campaign_id")
              .annotate(total=Count("id"), acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
                        reached=Count("id", filter=Q(reached_at__isnull=False)),
                        notified=Count("id", filter=Q(notified_at__isnull=False)),
                        in_place=Count("id", filter=Q(in_place_at__isnull=False)),
                        revisit=Count("id", filter=Q(revisit_due__isnull=False, reached_at__isnull=True)))
              .order_by())
    by_id = {r["campaign_id"]: r for r in counts}
    campaigns = list(Campaign.objects.filter(pk__in=list(by_id)).select_related("unit", "incident")
                     .order_by("-starts_at", "-id"))
    return campaigns, by_id


def visible_root_for(*, user, campaign: Campaign) -> OrgUnit:
    """The campaign's unit, or the user's own unit below it when they see only one part of it."""
    if scopes.may(user, "campaigns.view", campaign.unit):
        return campaign.unit
    under = list(OrgUnit.objects.filter(scopes.subtree_q(campaign.unit),
                                        path__in=scopes.paths_for(user, "campaigns.view")))
    return under[0] if len(under) == 1 else campaign.unit


def drill_unit_for(*, user, root: OrgUnit, code: str) -> OrgUnit:
    """A unit under `root` the user may open on a campaign's progress page (in scope or leading to it)."""
    if not code or code == root.code:
        return root
    unit = OrgUnit.objects.filter(scopes.subtree_q(root), code=code).first()
    if unit is None or not scopes.reaches(user, "campaigns.view", unit):
        raise NotFound("未找到该单位")
    return unit


def board_scope_for(*, user, pk) -> tuple[Campaign, OrgUnit, QuerySet[Target]]:
    """The campaign, the unit whose live board the staff user sees, and its households; NotFound otherwise."""
    if not scopes.is_staff_user(user):
        raise NotFound("未找到该任务")
    campaign = campaign_get_for(user=user, pk=pk)
    targets = Target.objects.filter(campaign=campaign)
    if scopes.may(user, "campaigns.view", campaign.unit):
        return campaign, campaign.unit, targets
    # Staff below the campaign's unit see their own part of it.
    unit = (OrgUnit.objects.filter(scopes.subtree_q(campaign.unit), path__in=scopes.paths_for(user, "campaigns.view"))
            .order_by("path").first())
    if unit is None:
        raise NotFound("未找到该任务")
    return campaign, unit, targets.filter(scopes.subtree_q(unit, "unit"))


def child_units(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's active children in code order (their progress comes from already scoped households)."""
    return list(OrgUnit.objects.filter(parent=unit, is_active=True).defer("boundary").order_by("code"))


def signoffs(*, campaign: Campaign) -> dict[str, tuple]:
    """Grid path -> (when, by whom) of the campaign's sign-offs. One query."""
    return {g: (at, by) for g, at, by in SignOff.objects.filter(campaign=campaign)
            .values_list("grid__path", "at", "by__display_name")}


def signoff_get(*, campaign: Campaign, grid: OrgUnit) -> SignOff | None:
    return SignOff.objects.filter(campaign=campaign, grid=grid).select_related("by").first()


def checked_in_today(*, campaign: Campaign, unit: OrgUnit, children: list[OrgUnit]) -> tuple[dict, dict]:
    """Households and persons checked in today, for the unit and each child (one grouped query)."""
    today = timezone.localdate(clock.now())
    rows = (CheckIn.objects.filter(scopes.subtree_q(unit, "target__unit"), campaign=campaign, day=today)
            .values("target__unit__path").annotate(households=Count("target_id", distinct=True),
                                                   persons=Count("id")).order_by())
    total = {"households": 0, "persons": 0}
    per: dict[str, dict] = {c.path: {"households": 0, "persons": 0} for c in children}
    for r in rows:
        path = r["target__unit__path"]
        for k in total:
            total[k] += r[k]
        for cpath, acc in per.items():
            if scopes.in_any(path, [cpath]):
                for k in acc:
                    acc[k] += r[k]
                break
    return total, per


def self_target_for(*, user) -> Target | None:
    """The measure the user's own household is under today (latest active emergency), if any."""
    resident = getattr(user, "resident", None)
    if resident is None or resident.household_id is None:
        return None
    today = timezone.localdate(clock.now())
    qs = (Target.objects.filter(household_id=resident.household_id, campaign__status=CampaignStatus.ACTIVE,
                                campaign__kind=Kind.EMERGENCY, released_at__isnull=True,
                                measure_start__lte=today, measure_end__gte=today, checkin=True)
          .select_related("campaign", "unit").order_by("-campaign__starts_at", "-id"))
    return qs.first()


def person_named(*, pk) -> Resident | None:
    """The resident a form names; whether they belong to the household is the service's decision."""
    return Resident.objects.filter(pk=id_or_none(pk)).first()


def household_member(*, target: Target, pk) -> Resident | None:
    """An active resident of the target's household (a check-in or a room is for them only)."""
    return Resident.objects.filter(pk=id_or_none(pk), household_id=target.household_id).first()


# ---- responsible persons ------------------------------------------------------------------------

def village_path(unit: OrgUnit) -> str:
    """The path of the unit's village when the unit lies below one (helpers are found per village)."""
    codes = unit.ancestor_codes
    return "".join(f"{c}/" for c in codes[:3]) if len(codes) > 3 else unit.path


def reassign_candidates(*, campaign: Campaign, unit: OrgUnit) -> list[tuple[str, str]]:
    """Who may take households over, by the campaign's rule, in the village (or unit) being viewed."""
    base = village_path(unit)
    if campaign.rule == Rule.CENTRAL_HOUSEHOLD:
        rows = (CentralHousehold.objects.filter(scopes.subtree_q(base, "household__micro_grid"),
                                                leader__status=ResidentStatus.ACTIVE, household__is_active=True)
                .values_list("id", "leader__name", "household__address").order_by("household__number")[:MAX_PEOPLE])
        return [(f"c:{i}", f"{name}（{addr}）") for i, name, addr in rows]
    if campaign.rule == Rule.CADRE:
        rows = (CadreRegistration.objects.filter(scopes.subtree_q(base, "village"), ended_on__isnull=True,
                                                 resident__status=ResidentStatus.ACTIVE)
                .values_list("resident_id", "resident__name", "village__name").distinct()
                .order_by("resident__name")[:MAX_PEOPLE])
        return [(f"r:{i}", f"{name}（{v}）") for i, name, v in rows]
    rows = (Post.objects.filter(scopes.subtree_q(base, "unit"), Post.current_q(), role=Role.GRID_WORKER,
                                user__isnull=False)
            .values_list("user_id", "user__display_name", "unit__name").order_by("unit__path")[:MAX_PEOPLE])
    return [(f"u:{i}", f"{name}（{u}）") for i, name, u in rows]


NOT_IN_CAMPAIGN = "所选责任人不在本任务范围内"


def candidate_get(*, campaign: Campaign, value: str) -> dict:
    """The person named by a form value "c:ID" / "r:ID" / "u:ID", of the kind the campaign's rule uses.

    Whether they may take a given household is the service's decision (campaign_reassign).
    Malformed, missing and of the wrong kind all answer the same 400 naming the field "to".
    """
    kind, _sep, raw = (value or "").partition(":")
    pk = id_or_none(raw)
    if pk is None:
        raise DomainError("请选择新的责任人", fields={"to": ["请选择新的责任人"]})
    obj = None
    if kind == "c" and campaign.rule == Rule.CENTRAL_HOUSEHOLD:
        obj = CentralHousehold.objects.filter(pk=pk).first()
        key = "central"
    elif kind == "r" and campaign.rule == Rule.CADRE:
        obj = Resident.objects.filter(pk=pk).first()
        key = "resident"
    elif kind == "u" and campaign.rule == Rule.GRID_WORKER:
        from shanzhi.accounts.models import User

        obj = User.objects.filter(pk=pk, is_active=True).first()
        key = "user"
    if obj is None:
        raise DomainError(NOT_IN_CAMPAIGN, fields={"to": [NOT_IN_CAMPAIGN]})
    return {key: obj}


def candidate_unit(*, under: str, central: CentralHousehold | None = None, resident: Resident | None = None,
                   user=None) -> OrgUnit | None:
    """Where a person is eligible to take households under the path `under` (a village): the central
    household's micro-grid, the village a cadre registered with, the grid of a grid worker's post; None
    when they are not eligible there. One query."""
    if central is not None:
        ch = (CentralHousehold.objects.filter(scopes.subtree_q(under, "household__micro_grid"), pk=central.pk,
                                              household__is_active=True, leader__status=ResidentStatus.ACTIVE)
              .select_related("household__micro_grid").first())
        return ch.household.micro_grid if ch else None
    if resident is not None:
        reg = (CadreRegistration.objects.filter(scopes.subtree_q(under, "village"), resident_id=resident.pk,
                                                ended_on__isnull=True, resident__status=ResidentStatus.ACTIVE)
               .select_related("village").first())
        return reg.village if reg else None
    if user is not None:
        post = (Post.objects.filter(scopes.subtree_q(under, "unit"), Post.current_q(), role=Role.GRID_WORKER,
                                    user_id=user.pk).select_related("unit").first())
        return post.unit if post else None
    return None


# ---- quarantine sites ---------------------------------------------------------------------------

def site_list_for(*, user) -> QuerySet[Site]:
    """Active sites of the user's campaign scope, with current occupancy. One query."""
    return (Site.objects.filter(scopes.scope_q(user, "campaigns.view", "unit"), is_active=True)
            .annotate(occupied=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))
            .select_related("unit").order_by("unit__path", "name"))


def site_get_for(*, user, pk) -> Site:
    site = site_list_for(user=user).filter(pk=id_or_none(pk)).first()
    if site is None:
        raise NotFound("未找到该集中点")
    return site


def quarantine_target_get_for(*, user, pk) -> Target:
    """A household of an active campaign in the user's scope; else NotFound."""
    t = (Target.objects.filter(scopes.scope_q(user, "campaigns.view", "unit"), pk=id_or_none(pk))
         .select_related("campaign", "unit").first())
    if t is None:
        raise NotFound("未找到该户")
    return t


def site_words() -> list[str]:
    """What the active incident types call their sites (隔离点, 安置点...), in type order. One query."""
    words = IncidentType.objects.filter(is_active=True).exclude(site_label="").values_list("site_label", flat=True)
    return list(dict.fromkeys(words))


def uses_site_q() -> Q:
    """Households whose measure checks their people into a site: a measure of the campaign's incident type
    that uses one (the epidemic's 集中隔离, the evacuation's 已安置到安置点...); 集中隔离 without a type."""
    uses = IncidentMeasure.objects.filter(type_id=OuterRef("campaign__incident__kind_id"), code=OuterRef("measure"),
                                          uses_site=True)
    return Q(Exists(uses)) | Q(measure=Measure.CENTRALISED, campaign__incident__kind__isnull=True)


def to_check_in_for(*, user, limit: int) -> tuple[list[Target], dict[int, list[dict]]]:
    """Households of running campaigns in the user's scope whose measure puts them in a site (quarantined
    centrally, sheltered...), each with its measure's name (`measure_name`), and their active residents.
    Two queries."""
    name = IncidentMeasure.objects.filter(type_id=OuterRef("campaign__incident__kind_id"), code=OuterRef("measure"))
    targets = list(Target.objects.filter(scopes.scope_q(user, "campaigns.view", "unit"), uses_site_q(),
                                         released_at__isnull=True, campaign__status=CampaignStatus.ACTIVE)
                   .annotate(measure_name=Subquery(name.values("name")[:1]))
                   .select_related("household", "campaign").order_by("-campaign_id", "household__number")[:limit])
    people = (Resident.objects.filter(household_id__in=[t.household_id for t in targets],
                                      status=ResidentStatus.ACTIVE).order_by("household_id", "id")
              .values("id", "name", "household_id"))
    by_household: dict[int, list[dict]] = {}
    for p in people:
        by_household.setdefault(p["household_id"], []).append(p)
    return targets, by_household


def stays_in(*, sites: list[Site]) -> list[Stay]:
    """Current stays at the given (already scoped) sites."""
    return list(Stay.objects.filter(site__in=[s.pk for s in sites], checked_out_at__isnull=True)
                .select_related("resident", "site", "campaign").order_by("site_id", "room", "id"))


def stay_get_for(*, user, pk) -> Stay:
    sites = Site.objects.filter(scopes.scope_q(user, "campaigns.view", "unit"), is_active=True)
    stay = (Stay.objects.filter(pk=id_or_none(pk), site__in=sites.values("pk"))
            .select_related("resident", "site").first())
    if stay is None:
        raise NotFound("未找到")
    return stay


# ---- the walk list ------------------------------------------------------------------------------

def household_heads(*, household_ids: list[int]) -> dict[int, dict]:
    """Each household's head (or, without one, its first active resident): id, name, masked phone. One query."""
    from shanzhi.people.models import Relation

    out: dict[int, dict] = {}
    rows = (Resident.objects.filter(household_id__in=household_ids, status=ResidentStatus.ACTIVE)
            .values("id", "household_id", "name", "phone_masked", "relation").order_by("household_id", "id"))
    for r in rows:
        known = out.get(r["household_id"])
        if known is None or (r["relation"] == Relation.HEAD and known["relation"] != Relation.HEAD):
            out[r["household_id"]] = r
    return out


def target_head_for(*, target: Target) -> Resident | None:
    """The head of the target's household (as household_heads chooses), with their household for the reveal."""
    head = household_heads(household_ids=[target.household_id]).get(target.household_id)
    if head is None:
        return None
    return Resident.objects.select_related("household__micro_grid").filter(pk=head["id"]).first()
