"""Staff pages of campaigns: the list, declaring a night visit or an incident, progress rolled up the
tree with drill-down, reassigning, grid sign-off, and quarantine sites with check-in and check-out.

Views are thin: reads through shanzhi.campaigns.selectors, writes through shanzhi.campaigns.services,
permissions through shanzhi.accounts.scopes. Out of scope is 404; in scope but not allowed is 403.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from shanzhi.accounts import scopes
from shanzhi.campaigns import selectors
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.forms import CheckInForm, IncidentForm, NightVisitForm, ReassignForm, SiteForm
from shanzhi.campaigns.models import (
    Campaign,
    CampaignStatus,
    IncidentType,
    Kind,
    Outcome,
    Rule,
    Target,
)
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import Level
from shanzhi.people import selectors as people_selectors
from shanzhi.people.models import CareTag, Resident, ResidentStatus

PER_PAGE = 50
MAX_UNREACHED = 300
MAX_TO_CHECK_IN = 300

# Choice labels live in models as plain Chinese; listing them here puts them in the catalog so
# templates can show them in English with {% trans value %}.
CHOICE_LABELS = (
    gettext_noop("网格夜访"), gettext_noop("应急动员"), gettext_noop("入户排查"), gettext_noop("进行中"),
    gettext_noop("已结束"), gettext_noop("党员中心户"), gettext_noop("进村报到党员干部"), gettext_noop("网格员"),
    gettext_noop("已走访"), gettext_noop("不在家"), gettext_noop("拒绝"), gettext_noop("空置"),
    gettext_noop("已搬离"), gettext_noop("已通知"), gettext_noop("已落实管控"), gettext_noop("无"),
    gettext_noop("居家隔离"), gettext_noop("集中隔离"), gettext_noop("本村社没有可分配的责任人"), gettext_noop("本村社责任人已满（容量不足）"),
    gettext_noop("县"), gettext_noop("镇/街道"), gettext_noop("村/社区"), gettext_noop("网格"),
    gettext_noop("小区"), gettext_noop("微网格"),
)
UNIT_LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.GRID)


# ---- plumbing ----------------------------------------------------------------------------------

def nav_context(user) -> dict:
    """Which campaign links to show (no queries beyond the cached posts)."""
    return {"may_run": scopes.may_somewhere(user, "campaigns.run")}


def _require_runner(user) -> None:
    if not scopes.may_somewhere(user, "campaigns.run"):
        raise PermissionDenied("您的岗位无权发起任务")


def _form_errors(form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: on the named fields where the form has them, else on top."""
    aliases = aliases or {}
    placed = False
    for name, msgs in (exc.fields or {}).items():
        name = aliases.get(name, name)
        if name in form.fields and not form.fields[name].widget.is_hidden:
            for m in msgs:
                form.add_error(name, m)
            placed = True
    if not placed:
        form.add_error(None, str(exc))


def _unit_choices(user, action: str = "campaigns.run", levels=UNIT_LEVELS) -> list[tuple[str, str]]:
    """Units of the user's subtree for a select, indented by level. Cost: one query."""
    rows = list(org_selectors.orgunit_list_for(user=user, action=action).filter(level__in=levels)
                .order_by("path").values_list("code", "name", "level", "path"))
    if not rows:
        return []
    top = min(p.count("/") for *_x, p in rows)
    labels = dict(Level.choices)
    return [(code, "\u3000" * (path.count("/") - top) + f"{name}（{_(labels[level])}）")
            for code, name, level, path in rows]


def _tag_choices() -> list[tuple[str, str]]:
    english = translation.get_language() == "en"
    return [(c, en if english and en else n) for c, n, en in CareTag.objects.values_list("code", "name", "name_en")]


def _tile_context() -> dict:
    return {"tile_url": settings.SHANZHI.get("TILE_URL", ""),
            "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", "")}


def _detail_url(campaign_id: int, unit_code: str = "") -> str:
    url = reverse("campaigns:detail", args=[campaign_id])
    return f"{url}?{urlencode({'unit': unit_code})}" if unit_code else url


# ---- the list ----------------------------------------------------------------------------------

@staff_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns the user may see with kind, unit, period, progress and status. Cost: fixed queries."""
    user = request.user
    page = Paginator(selectors.campaign_list_for(user=user), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    counts = selectors.campaign_counts_for(user=user, campaigns=rows)
    for c in rows:
        r = counts.get(c.pk, {"total": 0, "reached": 0})
        c.total, c.reached = r["total"], r["reached"]
        c.share = round(100 * c.reached / c.total) if c.total else None
    return render(request, "campaigns/staff/list.html", {"page": page, "rows": rows, **nav_context(user)})


# ---- declaring ---------------------------------------------------------------------------------

@staff_page
def new_night_visit(request: HttpRequest) -> HttpResponse:
    """Declare a night visit over units of the user's subtree; every household gets a responsible person."""
    user = request.user
    _require_runner(user)
    form = NightVisitForm(request.POST or None, units=_unit_choices(user), tags=_tag_choices())
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        only = d.get("tag_mode") == "only"
        try:
            scope = resolve(actor=user, units=d["units"], tags=d["tags"] if only else None)
            if d["tags"] and not only:
                scope.description["tags_first"] = sorted(d["tags"])
            campaign = svc.campaign_create(actor=user, kind=Kind.NIGHT_VISIT, name=d["name"], scope=scope,
                                           rule=d["rule"], capacity=d["capacity"], starts_at=d.get("starts_at"),
                                           ends_at=d.get("ends_at"))
        except DomainError as exc:
            _form_errors(form, exc, {"scope": "units"})
        else:
            return _created(request, campaign)
    return render(request, "campaigns/staff/new_night_visit.html", {"form": form, **nav_context(user)})


def _created(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    n = campaign.targets.count()
    left = campaign.targets.filter(central__isnull=True, resident__isnull=True, user__isnull=True).count()
    if left:
        messages.warning(request, _("已创建“%(name)s”：共%(n)d户，其中%(left)d户未能分配责任人，原因见下方。")
                         % {"name": campaign.name, "n": n, "left": left})
    else:
        messages.success(request, _("已创建“%(name)s”：共%(n)d户，全部已分配责任人。") % {"name": campaign.name, "n": n})
    return redirect("campaigns:detail", pk=campaign.pk)


def _index_household(user, number: str):
    number = (number or "").strip()
    if not number:
        return None
    hh = people_selectors.household_list_for(user=user).filter(number=number).first()
    if hh is None:
        raise DomainError("未找到指示病例户或无权限：" + number, fields={"index_household": ["未找到该户或无权限"]})
    return hh


def _incident_scope(user, d: dict, index) -> dict:
    mode = d["scope_mode"]
    if mode == "village":
        codes = index.micro_grid.ancestor_codes
        if len(codes) < 3:
            raise DomainError("指示病例户不在任何村社内", fields={"index_household": ["该户不在任何村社内"]})
        return {"units": [codes[2]]}
    if mode == "radius":
        return {"point": (d["lat"], d["lon"]), "radius_m": d["radius_m"]}
    if mode == "contacts":
        numbers = ([index.number] if index is not None else []) + d["contacts"]
        return {"households": list(dict.fromkeys(numbers))}
    return {"polygon": d["polygon"]}


def _incident_types():
    return list(IncidentType.objects.filter(is_active=True).prefetch_related("measures"))


@staff_page
def new_incident(request: HttpRequest) -> HttpResponse:
    """Declare an incident of a type and mobilise the affected households in one step; nothing half-done on
    errors. The type (?type=code, or the form's `kind`) gives the measures and the words of the form."""
    user = request.user
    _require_runner(user)
    now = timezone.localtime(clock.now())
    types = _incident_types()
    wanted = ((request.POST.get("kind") if request.method == "POST" else request.GET.get("type")) or "").strip()
    chosen = next((t for t in types if t.code == wanted), None) if wanted else (types[0] if types else None)
    if chosen is None:  # an unknown or inactive type, or none configured
        raise NotFound("未找到该事件类型")
    form = IncidentForm(request.POST or None, initial={"occurred_at": now.strftime("%Y-%m-%dT%H:%M")},
                        incident_type=chosen)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                index = _index_household(user, d.get("index_household"))
                scope = resolve(actor=user, **_incident_scope(user, d, index))
                cap = d.get("capacity") or settings.SHANZHI["CENTRAL_HOUSEHOLD_CAPACITY"]
                point = (d.get("lat"), d.get("lon")) if d["scope_mode"] == "radius" else (None, None)
                campaign = svc.incident_declare(
                    actor=user, type=d.get("type") or "", occurred_at=d["occurred_at"], place=d["place"],
                    scope=scope, kind=chosen, measure=d.get("measure") or "",
                    measure_days=d.get("measure_days") or 14, index_household=index,
                    index_person=d.get("index_person", ""), contacts=d["contacts"], lat=point[0], lon=point[1],
                    capacity=cap)
        except DomainError as exc:
            _form_errors(form, exc, {"point": "lat", "scope": "scope_mode", "polygon": "scope_mode",
                                     "households": "contacts"})
        else:
            return _created(request, campaign)
    root = next(iter(scopes.roots_for(user, "campaigns.run")), None)
    return render(request, "campaigns/staff/new_incident.html", {
        "form": form, "outline": root.code if root and scopes.may(user, "org.view", root) else "",
        "types": types, "incident_type": chosen,
        **_tile_context(), **nav_context(user)})


# ---- progress ----------------------------------------------------------------------------------

NOT_CARE = ("party_member",)  # a tag of the registry, not a need: such households are not put first


def _tags_by_household(household_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Care tags (code, label) of the active residents of some households. Cost: one query."""
    english = translation.get_language() == "en"
    out: dict[int, list[tuple[str, str]]] = {}
    rows = (Resident.tags.through.objects.filter(resident__household_id__in=household_ids,
                                                 resident__status=ResidentStatus.ACTIVE)
            .exclude(caretag__code__in=NOT_CARE)
            .values_list("resident__household_id", "caretag__code", "caretag__name", "caretag__name_en")
            .distinct().order_by("resident__household_id", "caretag_id"))
    for hid, code, name, en in rows:
        tag = (code, en if english and en else name)
        if tag not in out.setdefault(hid, []):
            out[hid].append(tag)
    return out


def _care_first(rows: list, campaign: Campaign) -> list:
    """Households with care tags first (the campaign's chosen tags, if any), otherwise in the given order."""
    chosen = set(campaign.scope.get("tags_first") or campaign.scope.get("tags") or [])
    tags = _tags_by_household([t.household_id for t in rows])
    for t in rows:
        t.tags = [label for _code, label in tags.get(t.household_id, [])]
        t.care = any(code in chosen for code, _label in tags.get(t.household_id, [])) if chosen else bool(t.tags)
    return sorted(rows, key=lambda t: not t.care)


def _responsible_names(targets: list[Target]) -> None:
    rids = {t.resident_id for t in targets if t.resident_id and not t.central_id}
    names = dict(Resident.objects.filter(pk__in=rids).values_list("id", "name")) if rids else {}
    for t in targets:
        if t.central_id:
            t.responsible = t.central.leader.name
        elif t.resident_id:
            t.responsible = names.get(t.resident_id, "")
        elif t.user_id:
            t.responsible = t.user.display_name or t.user.username
        else:
            t.responsible = ""


def _assignee_key(campaign: Campaign, row: dict) -> int | None:
    if campaign.rule == Rule.CENTRAL_HOUSEHOLD:
        return row["central_id"]
    return row["resident_id"] if campaign.rule == Rule.CADRE else row["user_id"]


@staff_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress rolled up from the user's visible root, per child unit, per assignee, over time, and the
    unreached households. Cost: a fixed number of queries whatever the number of households."""
    user = request.user
    campaign = selectors.campaign_get_for(user=user, pk=pk)
    targets = selectors.targets_for(user=user, campaign=campaign)
    root = selectors.visible_root_for(user=user, campaign=campaign)
    unit = selectors.drill_unit_for(user=user, root=root, code=request.GET.get("unit", ""))
    scoped = targets.filter(scopes.subtree_q(unit, "unit"))
    children = selectors.child_units(unit)
    total, rows = selectors.progress(campaign=campaign, unit=unit, children=children, targets=targets)
    rows = [r for r in rows if r.total]
    signed = selectors.signoffs(campaign=campaign)
    for r in rows:
        r.signed = signed.get(r.unit.path)
        r.may_signoff = (r.unit.level == Level.GRID and scopes.may(user, "campaigns.signoff", r.unit)
                         and campaign.status == CampaignStatus.ACTIVE)
    assignees = selectors.by_assignee(campaign=campaign, targets=scoped)
    for a in assignees:
        a["key"] = _assignee_key(campaign, a)
        a["name"] = a["resident__name"] or a["user__display_name"] or ""
    unreached = _care_first(list(selectors.unreached(targets=scoped, limit=MAX_UNREACHED)), campaign)
    _responsible_names(unreached)
    unassigned = list(scoped.filter(central__isnull=True, resident__isnull=True, user__isnull=True)
                      .values("unassigned_reason").annotate(n=Count("id")).order_by("-n"))
    may_run = scopes.may(user, "campaigns.run", campaign.unit) and campaign.status == CampaignStatus.ACTIVE
    tz = timezone.get_current_timezone()
    curve = [[timezone.localtime(t, tz).strftime("%m-%d %H:%M"), n] for t, n in
             selectors.curve(campaign=campaign, targets=scoped)]
    incident = getattr(campaign, "incident", None) if campaign.kind == Kind.EMERGENCY else None
    ctx = {
        "campaign": campaign, "unit": unit, "root": root, "total": total, "rows": rows,
        "crumbs": [a for a in org_selectors.orgunit_ancestors(unit) if scopes.in_any(a.path, [root.path])],
        "assignees": assignees, "unreached": unreached, "unassigned": unassigned,
        "unreached_more": total.total - total.reached > len(unreached), "curve": curve,
        "night": campaign.kind != Kind.EMERGENCY, "incident": incident,
        "signed_here": signed.get(unit.path), "signoff_here": unit.level == Level.GRID and scopes.may(
            user, "campaigns.signoff", unit) and campaign.status == CampaignStatus.ACTIVE,
        "may_run": may_run, "people": selectors.reassign_candidates(campaign=campaign, unit=unit) if may_run else [],
        "share": round(100 * total.reached / total.total) if total.total else None,
        "cadre_share": round(100 * total.met_cadre / total.total) if total.total else None,
        "outcome_labels": dict(Outcome.choices), "words": svc.type_words(campaign),
        "capacity": svc.capacity_of(campaign),
    }
    for t in unreached:
        t.outcome_label = svc.outcome_label(campaign, t.last_outcome)
    if incident is not None:
        m = targets.exclude(measure_start__isnull=True).exclude(measure="").values_list("measure", "measure_end").first()
        if m:
            ctx["measure"], ctx["campaign_end"] = svc.measure_label(campaign, m[0]), m[1]
    if incident is not None and campaign.all_notified_at:
        ctx["time_to_all"] = campaign.all_notified_at - campaign.starts_at
    return render(request, "campaigns/staff/detail.html", {**ctx, **nav_context(user)})


# ---- reassigning -------------------------------------------------------------------------------

def _back(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return redirect(_detail_url(campaign.pk, (request.POST.get("unit") or "").strip()))


@require_POST
@staff_page
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one household of the campaign to a chosen responsible person."""
    user = request.user
    campaign = selectors.campaign_get_for(user=user, pk=pk)
    form = ReassignForm(request.POST, people=[(request.POST.get("to", ""), "")])
    try:
        if not form.is_valid():
            raise DomainError("请填写户号并选择新的责任人")
        number = form.cleaned_data["household"].strip()
        target = selectors.target_by_number_for(user=user, campaign=campaign, number=number)
        if target is None:
            raise DomainError(f"本任务中没有户号为{number}的户")
        to = selectors.candidate_get(campaign=campaign, value=form.cleaned_data["to"])
        svc.campaign_reassign(actor=user, campaign=campaign, targets=[target], **to)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已将%(number)s改由新的责任人负责。") % {"number": number})
    return _back(request, campaign)


@require_POST
@staff_page
def reassign_absent(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand every household of an absent responsible person to others by the campaign's rule, in one step."""
    user = request.user
    campaign = selectors.campaign_get_for(user=user, pk=pk)
    absent = parsing.id_or_none(request.POST.get("absent", ""))
    if absent is None:
        messages.error(request, _("请指定缺席的责任人"))
        return _back(request, campaign)
    field = {Rule.CENTRAL_HOUSEHOLD: "central_id", Rule.CADRE: "resident_id"}.get(campaign.rule, "user_id")
    try:
        result = svc.campaign_reassign_absent(actor=user, campaign=campaign, **{field: absent})
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        moved, left = len(result.helper_of), len(result.unassigned)
        if left:
            reasons = "、".join(sorted({_(r) for r in result.unassigned.values()}))
            messages.warning(request, _("已转交%(moved)d户；%(left)d户未能分配：%(reasons)s")
                             % {"moved": moved, "left": left, "reasons": reasons})
        else:
            messages.success(request, _("已将%(moved)d户全部转交给其他责任人。") % {"moved": moved})
    return _back(request, campaign)


# ---- grid sign-off -----------------------------------------------------------------------------

@staff_page
def signoff(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A grid's pending households, each with a reason; sign-off is refused while any lacks one."""
    user = request.user
    campaign = selectors.campaign_get_for(user=user, pk=pk)
    grid = org_selectors.orgunit_get_for(user=user, code=code, action="campaigns.signoff")
    if grid.level != Level.GRID:
        raise NotFound("只能按网格签收")
    pending = list(selectors.targets_for(user=user, campaign=campaign)
                   .filter(scopes.subtree_q(grid, "unit"), reached_at__isnull=True)
                   .select_related("household", "unit").order_by("unit__path", "household__number"))
    for t in pending:
        t.reason_input = t.pending_reason
    done = selectors.signoff_get(campaign=campaign, grid=grid)
    missing: set[int] = set()
    error = ""
    if request.method == "POST":
        reasons = {t.pk: (request.POST.get(f"reason_{t.pk}") or "").strip() for t in pending}
        try:
            svc.grid_signoff(actor=user, campaign=campaign, grid=grid, reasons=reasons,
                             note=(request.POST.get("note") or "").strip())
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            error = str(exc)
            missing = {int(i) for i in exc.fields.get("reasons", []) if str(i).isdigit()}
            for t in pending:
                t.reason_input = reasons.get(t.pk) or t.pending_reason
        else:
            messages.success(request, _("%(grid)s已签收。") % {"grid": grid.name})
            return redirect(_detail_url(campaign.pk, grid.code))
    pending = _care_first(pending, campaign)
    for t in pending:
        t.missing = t.pk in missing
    return render(request, "campaigns/staff/signoff.html", {
        "campaign": campaign, "grid": grid, "pending": pending, "done": done, "error": error,
        "missing": len(missing), "note": request.POST.get("note", ""),
        "active": campaign.status == CampaignStatus.ACTIVE, "outcome_labels": dict(Outcome.choices),
        **nav_context(user)})


# ---- quarantine sites --------------------------------------------------------------------------

@staff_page
def sites(request: HttpRequest) -> HttpResponse:
    """Sites of the user's scope with occupancy (every kind: quarantine sites, shelters...); create one; check
    in and out the people of households whose measure uses a site. Cost: fixed queries."""
    user = request.user
    units = _unit_choices(user, levels=(Level.COUNTY, Level.TOWN, Level.VILLAGE))
    form = SiteForm(request.POST or None, units=units)
    if request.method == "POST":
        _require_runner(user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                unit = org_selectors.orgunit_get_for(user=user, code=d["unit"], action="campaigns.run")
                site = svc.site_create(actor=user, unit=unit, name=d["name"], rooms=d["rooms"],
                                       capacity=d["capacity"], address=d.get("address", ""))
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已新增集中点：%(name)s") % {"name": site.name})
                return redirect("campaigns:sites")
    site_rows = list(selectors.site_list_for(user=user))
    for s in site_rows:
        s.free = max(0, s.capacity - s.occupied)
    waiting, by_household = selectors.to_check_in_for(user=user, limit=MAX_TO_CHECK_IN)
    stays = selectors.stays_in(sites=site_rows)
    inside = {(s.campaign_id, s.resident_id) for s in stays}
    rows = []
    for t in waiting:
        for p in by_household.get(t.household_id, []):
            if (t.campaign_id, p["id"]) not in inside:
                rows.append({"target": t, "resident": p})
    return render(request, "campaigns/staff/sites.html", {
        "form": form, "sites": site_rows, "stays": stays, "rows": rows, "open_sites": [s for s in site_rows if s.free],
        "site_words": selectors.site_words(), **nav_context(user)})


@require_POST
@staff_page
def stay_check_in(request: HttpRequest) -> HttpResponse:
    """Check a person of a household whose measure uses a site (集中隔离, 已安置到安置点...) into a room."""
    user = request.user
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择集中点并填写房间号"))
        return redirect("campaigns:sites")
    d = form.cleaned_data
    target = selectors.quarantine_target_get_for(user=user, pk=d["target"])
    site = selectors.site_get_for(user=user, pk=d["site"])
    resident = selectors.household_member(target=target, pk=d["resident"])
    try:
        if resident is None:
            raise DomainError("该人员不在此户")
        svc.stay_check_in(actor=user, target=target, resident=resident, site=site, room=d["room"])
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s已入住%(site)s %(room)s") % {"name": resident.name, "site": site.name,
                                                                          "room": d["room"]})
    return redirect("campaigns:sites")


@require_POST
@staff_page
def stay_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    """Check a person out of a site."""
    user = request.user
    stay = selectors.stay_get_for(user=user, pk=pk)
    try:
        svc.stay_check_out(actor=user, stay=stay)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s已离开%(site)s") % {"name": stay.resident.name, "site": stay.site.name})
    return redirect("campaigns:sites")
