"""The responsible persons' phone pages (my campaigns, walk list, check-ins) and the live incident board.

Views are thin: reads go through shanzhi.campaigns.selectors, writes through shanzhi.campaigns.services.
A campaign or household out of the user's scope answers 404, exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.campaigns import selectors, services
from shanzhi.campaigns.models import Campaign, CampaignStatus, CheckIn, Kind, Outcome, Target
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.people.models import Resident, ResidentStatus

# Labels that live in models as plain Chinese: listed so makemessages puts them in the catalog.
LABELS = (
    gettext_noop("已走访"), gettext_noop("不在家"), gettext_noop("拒绝"), gettext_noop("空置"),
    gettext_noop("已搬离"), gettext_noop("已通知"), gettext_noop("已落实管控"), gettext_noop("居家隔离"),
    gettext_noop("集中隔离"), gettext_noop("网格夜访"), gettext_noop("应急动员"), gettext_noop("入户排查"),
)
CASE_KEYS_SESSION = "campaigns_case_keys"
BOARD_BUCKETS = 60
NOT_CARE = ("party_member",)  # a tag of the registry, not a need: such households are not marked


# ---- who is asking -----------------------------------------------------------------------------

def field_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in users only (visitors go to the phone login); NotFound is 404, PermissionDenied 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:resident_login"))
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise HttpForbidden(str(exc)) from None

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return uuid.uuid4().hex


def _point(data) -> tuple[float | None, float | None]:
    """The position the phone sent (hidden lat/lon); missing or unreadable is no position."""
    try:
        lat, lon = float(data.get("lat", "")), float(data.get("lon", ""))
    except (TypeError, ValueError):
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None, None
    return lat, lon


# ---- how things are shown ----------------------------------------------------------------------

def _label(value: str, choices) -> str:
    return gettext(dict(choices.choices).get(value, value)) if value else ""


def _status(t: Target, campaign: Campaign) -> tuple[str, str]:
    """A short state of one household: code for tests and styling, label for people."""
    if campaign.kind == Kind.EMERGENCY:
        if t.in_place_at:
            return "in_place", services.outcome_label(campaign, t.last_outcome or Outcome.IN_PLACE)
        if t.reached_at:
            return "done", services.outcome_label(campaign, t.last_outcome)
        if t.notified_at:
            return "notified", gettext("已通知，待落实")
        return "pending", gettext("待通知")
    if t.reached_at:
        return "done", gettext("已完成")
    if t.revisit_due:
        return "revisit", gettext("待回访")
    return "pending", gettext("待走访")


def _care_tags(household_ids: list[int]) -> dict[int, list[str]]:
    """Care tags of the active residents of each household (one query)."""
    through = Resident.tags.through
    english = (get_language() or "").startswith("en")
    rows = (through.objects.filter(resident__household_id__in=household_ids,
                                   resident__status=ResidentStatus.ACTIVE)
            .exclude(caretag__code__in=NOT_CARE)
            .values_list("resident__household_id", "caretag__name", "caretag__name_en")
            .order_by("resident__household_id", "caretag__code").distinct())
    out: dict[int, list[str]] = {}
    for hid, name, name_en in rows:
        label = name_en if english and name_en else name
        if label not in out.setdefault(hid, []):
            out[hid].append(label)
    return out


def _categories() -> list[dict]:
    """Leaf case categories grouped for a <select>, one query."""
    from shanzhi.cases.models import Category

    english = (get_language() or "").startswith("en")
    cats = list(Category.objects.filter(is_active=True).order_by("sort", "code"))
    name = {c.pk: (c.name_en if english and c.name_en else c.name) for c in cats}
    groups: dict[int, dict] = {}
    for c in cats:
        if c.parent_id:
            groups.setdefault(c.parent_id, {"name": name.get(c.parent_id, ""), "leaves": []})["leaves"].append(
                {"code": c.code, "name": name[c.pk]})
    return list(groups.values())


def _row(t: Target, campaign: Campaign, tags: dict[int, list[str]], heads: dict[int, dict] | None = None,
         user=None, **extra) -> dict:
    code, label = _status(t, campaign)
    head = (heads or {}).get(t.household_id)
    # The call button only where the reveal service would answer (it still decides, and counts the limit):
    # registry roles over the micro-grid, or the household's responsible person while the campaign runs.
    may_call = bool(head and head["phone_masked"] and user is not None
                    and (scopes.may(user, "people.reveal", t.unit) or selectors.is_responsible(user=user, target=t,
                                                                                         campaign=campaign)))
    return {"t": t, "status_code": code, "status": label, "tags": tags.get(t.household_id, []),
            "last_outcome": services.outcome_label(campaign, t.last_outcome),
            "measure": services.measure_label(campaign, t.measure) if t.measure_start else "",
            "head": head, "may_call": may_call, "key": new_key(), "case_key": new_key(), **extra}


def _groups(rows: list[dict]) -> list[dict]:
    """Rows grouped by micro-grid in route order; the first group with work left starts open."""
    groups: dict[int, dict] = {}
    for row in rows:
        t = row["t"]
        g = groups.setdefault(t.unit_id, {"unit": t.unit, "rows": [], "reached": 0})
        g["rows"].append(row)
        g["reached"] += 1 if t.reached_at else 0
    out = list(groups.values())
    first_open = next((g for g in out if g["reached"] < len(g["rows"])), out[0] if out else None)
    for g in out:
        g["open"] = len(out) == 1 or g is first_open
    return out


def _outcomes(campaign: Campaign) -> list[dict]:
    done = set(campaign.done_outcomes)
    return [{"code": o, "label": services.outcome_label(campaign, o), "done": o in done}
            for o in services.outcome_codes(campaign)]


def _duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes == 0:
        return gettext("不到1分钟")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(h)d小时%(m)d分钟") % {"h": hours, "m": minutes}
    return gettext("%(m)d分钟") % {"m": minutes}


# ---- my campaigns ------------------------------------------------------------------------------

@field_login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The active campaigns where the user is responsible for households, with counts."""
    user = request.user
    campaigns, by_id = selectors.my_campaigns(user=user)
    rows = [{"c": c, "kind": _label(c.kind, Kind), "n": by_id[c.pk], "emergency": c.kind == Kind.EMERGENCY}
            for c in campaigns]
    boards = []
    if scopes.is_staff_user(user):
        boards = list(selectors.campaign_list_for(user=user).filter(status=CampaignStatus.ACTIVE)[:20])
    self_checkin = bool(getattr(user, "resident_id", None)) and selectors.self_target_for(user=user) is not None
    return render(request, "campaigns/field/mine.html",
                  {"rows": rows, "boards": boards, "self_checkin": self_checkin})


# ---- the walk list -----------------------------------------------------------------------------

def _walk_context(user, campaign: Campaign) -> dict:
    targets = list(selectors.my_targets(user=user, campaign=campaign))
    ids = [t.household_id for t in targets]
    tags = _care_tags(ids)
    heads = selectors.household_heads(household_ids=ids)
    rows = [_row(t, campaign, tags, heads, user) for t in targets]
    pending_ack = [t for t in targets if t.acknowledged_at is None]
    acked = [t.acknowledged_at for t in targets if t.acknowledged_at]
    return {"campaign": campaign, "rows": rows, "groups": _groups(rows), "targets": targets,
            "kind": _label(campaign.kind, Kind),
            "emergency": campaign.kind == Kind.EMERGENCY, "active": campaign.status == CampaignStatus.ACTIVE,
            "pending_ack": len(pending_ack), "acknowledged_at": max(acked) if acked else None,
            "reached": sum(1 for t in targets if t.reached_at), "outcomes": _outcomes(campaign),
            "categories": _categories(), "has_measure": any(t.checkin for t in targets)}


def _card(request: HttpRequest, campaign: Campaign, target: Target, **extra) -> HttpResponse:
    target.refresh_from_db()
    tags = _care_tags([target.household_id])
    heads = selectors.household_heads(household_ids=[target.household_id])
    ctx = {"campaign": campaign, "row": _row(target, campaign, tags, heads, request.user, **extra),
           "outcomes": _outcomes(campaign),
           "active": campaign.status == CampaignStatus.ACTIVE,
           "emergency": campaign.kind == Kind.EMERGENCY,
           "reached": selectors.my_targets(user=request.user, campaign=campaign).filter(
               reached_at__isnull=False).count()}
    return render(request, "campaigns/field/_card.html", ctx)


@field_login_required
@require_GET
def walk(request: HttpRequest, pk: int) -> HttpResponse:
    """The responsible person's households in route order, with one-tap outcomes."""
    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    ctx = _walk_context(request.user, campaign)
    if not ctx["targets"]:
        if scopes.is_staff_user(request.user):
            return redirect("campaigns:board", pk=campaign.pk)
        raise NotFound("您在该任务中没有负责的户")
    return render(request, "campaigns/field/walk.html", ctx)


@field_login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The responsible person acknowledges all their households ("received, on my way")."""
    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    try:
        n = services.campaign_acknowledge(actor=request.user, campaign=campaign)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("已确认接收，共%(n)d户。请逐户通知并落实。") % {"n": n} if n
                         else gettext("您已确认接收过。"))
    return redirect("campaigns:walk", pk=campaign.pk)


@field_login_required
@require_POST
def visit(request: HttpRequest, pk: int, target_id: int) -> HttpResponse:
    """Record one outcome for a household; a repeated form (same key) makes one record."""
    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    target = selectors.target_get_for(user=request.user, campaign=campaign, pk=target_id)
    lat, lon = _point(request.POST)
    error = notice = ""
    try:
        # An outcome queued on the phone while offline carries the time it was recorded there.
        recorded_at = parsing.parse_datetime("recorded_at", request.POST.get("recorded_at"), require_offset=True)
        v = services.visit_record(actor=request.user, target=target, outcome=request.POST.get("outcome", ""),
                                  met_whom=request.POST.get("met_whom", "").strip(), lat=lat, lon=lon,
                                  photo=request.FILES.get("photo"), note=request.POST.get("note", "").strip(),
                                  idempotency_key=request.POST.get("idempotency_key"), recorded_at=recorded_at)
        notice = gettext("已记录：%(outcome)s") % {"outcome": services.outcome_label(campaign, v.outcome)}
        if getattr(v, "superseded", False):
            notice += gettext("（该户已有更晚的记录，以较晚的为准）")
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        error = str(exc)
    except IntegrityError:  # two taps raced each other: the first one is recorded
        notice = gettext("已记录")
    if _is_htmx(request):
        return _card(request, campaign, target, error=error, notice=notice)
    if error:
        messages.error(request, f"{target.household.address}：{error}")
    else:
        messages.success(request, f"{target.household.address}：{notice}")
    return redirect(f"{reverse('campaigns:walk', args=[campaign.pk])}#t-{target.pk}")


@field_login_required
@require_POST
def call(request: HttpRequest, pk: int, target_id: int) -> HttpResponse:
    """Reveal the head of household's phone through the audited reveal (its hourly limit applies) to dial it.

    Registry roles over the household may; so may the household's responsible person in this running
    campaign (a central household's leader), as a grant given to the gate."""
    from shanzhi.people.services import resident_reveal

    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    target = selectors.target_get_for(user=request.user, campaign=campaign, pk=target_id)
    head = selectors.target_head_for(target=target)
    if head is None or not head.phone_masked:
        raise NotFound("该户没有登记电话")
    phone = error = ""
    status = 200
    try:
        phone = resident_reveal(actor=request.user, resident=head, field="phone",
                                reason=gettext("走访“%(name)s”联系户主") % {"name": campaign.name},
                                granted=selectors.is_responsible(user=request.user, target=target, campaign=campaign))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        error, status = str(exc), exc.status
    ctx = {"campaign": campaign, "t": target, "head": head, "phone": phone, "error": error}
    if _is_htmx(request):  # htmx swaps 2xx only: the refusal is shown in place, its status in a header
        response = render(request, "campaigns/field/_call.html", ctx)
        if error:
            response["X-Refused-Status"] = str(status)
    else:
        response = render(request, "campaigns/field/call.html", ctx, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The walk list's service worker, under /campaigns/ so its scope covers the walk pages."""
    response = render(request, "campaigns/field/sw.js", {}, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@field_login_required
@require_POST
def raise_case(request: HttpRequest, pk: int, target_id: int) -> HttpResponse:
    """A need found at a household becomes a case, prefilled with the household and its place."""
    from shanzhi.cases.models import Category

    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    target = selectors.target_get_for(user=request.user, campaign=campaign, pk=target_id)
    key = (request.POST.get("idempotency_key") or "")[:64]
    seen: dict = request.session.get(CASE_KEYS_SESSION, {})
    error = notice = ""
    if key and key in seen:
        notice = gettext("已上报诉求 %(number)s") % {"number": seen[key]}
    else:
        category = Category.objects.filter(code=request.POST.get("category", ""), is_active=True,
                                           parent__isnull=False).first()
        if category is None:
            error = gettext("请选择诉求类别")
        else:
            try:
                case = services.visit_raise_case(actor=request.user, target=target, category=category,
                                                 description=request.POST.get("description", ""), kind=category.kind)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                error = str(exc)
            else:
                notice = gettext("已上报诉求 %(number)s") % {"number": case.number}
                if key:
                    seen = dict(list(seen.items())[-49:]) | {key: case.number}
                    request.session[CASE_KEYS_SESSION] = seen
    if _is_htmx(request):
        return _card(request, campaign, target, error=error, notice=notice)
    (messages.error if error else messages.success)(request, f"{target.household.address}：{error or notice}")
    return redirect(f"{reverse('campaigns:walk', args=[campaign.pk])}#t-{target.pk}")


# ---- check-ins ---------------------------------------------------------------------------------

def _persons(targets: list[Target], campaign: Campaign, errors: dict | None = None) -> list[dict]:
    """Households under a measure, each with its active residents and today's check-ins (two queries)."""
    today = timezone.localdate(clock.now())
    residents = list(Resident.objects.filter(household_id__in=[t.household_id for t in targets],
                                             status=ResidentStatus.ACTIVE).order_by("household_id", "id"))
    done = {c.resident_id: c for c in CheckIn.objects.filter(campaign=campaign, day=today,
                                                              resident_id__in=[r.pk for r in residents])}
    errors = errors or {}
    by_household: dict[int, list] = {}
    for r in residents:
        by_household.setdefault(r.household_id, []).append(
            {"r": r, "checkin": done.get(r.pk), "error": errors.get(r.pk, {})})
    return [{"t": t, "measure": services.measure_label(campaign, t.measure),
             "people": by_household.get(t.household_id, [])}
            for t in targets]


@field_login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """The responsible person records each quarantined person's temperature and symptoms for today."""
    campaign = selectors.campaign_get_for(user=request.user, pk=pk)
    if campaign.kind != Kind.EMERGENCY:
        raise NotFound("该任务没有健康打卡")
    targets = [t for t in selectors.my_targets(user=request.user, campaign=campaign) if t.checkin]
    if not targets:
        raise NotFound("您在该任务中没有需要打卡的户")
    errors: dict = {}
    status = 200
    if request.method == "POST":
        by_id = {t.pk: t for t in targets}
        target = by_id.get(parsing.id_or_none(request.POST.get("target", "")))
        resident = selectors.person_named(pk=request.POST.get("resident", ""))
        if target is None or resident is None:
            raise NotFound("未找到该人员")
        try:
            ci = services.checkin_record(actor=request.user, target=target, resident=resident,
                                         temperature=request.POST.get("temperature", "").strip(),
                                         symptoms=request.POST.get("symptoms", "").strip())
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            errors[resident.pk] = {"message": str(exc), "temperature": request.POST.get("temperature", ""),
                                   "symptoms": request.POST.get("symptoms", "")}
            status = 400
        else:
            messages.success(request, gettext("%(name)s 今日已打卡：%(t)s℃") % {"name": resident.name,
                                                                             "t": ci.temperature})
            return redirect(f"{reverse('campaigns:checkin', args=[campaign.pk])}#h-{target.pk}")
    today = timezone.localdate(clock.now())
    households = _persons(targets, campaign, errors)
    shown = {p["r"].pk for h in households for p in h["people"]}
    error = next((e["message"] for rid, e in errors.items() if rid not in shown), "")
    ctx = {"campaign": campaign, "households": households, "today": today, "error": error}
    return render(request, "campaigns/field/checkin.html", ctx, status=status)


@field_login_required
@require_http_methods(["GET", "POST"])
def checkin_self(request: HttpRequest) -> HttpResponse:
    """A resident under a measure checks in for themselves: temperature and symptoms, once a day."""
    resident = getattr(request.user, "resident", None)
    if resident is None:
        raise NotFound("仅限居民本人打卡")
    target = selectors.self_target_for(user=request.user)
    today = timezone.localdate(clock.now())
    ctx: dict = {"target": target, "resident": resident, "today": today, "error": "", "values": {}}
    status = 200
    if target is None:
        ctx["error"] = gettext("您家目前不在隔离管控期内，无需健康打卡。")
        if request.method == "POST":
            status = 400
        return render(request, "campaigns/field/checkin_self.html", ctx, status=status)
    if request.method == "POST":
        try:
            ci = services.checkin_record(actor=request.user, target=target, resident=resident,
                                         temperature=request.POST.get("temperature", "").strip(),
                                         symptoms=request.POST.get("symptoms", "").strip())
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            ctx["error"], status = str(exc), 400
            ctx["values"] = {"temperature": request.POST.get("temperature", ""),
                             "symptoms": request.POST.get("symptoms", "")}
        else:
            messages.success(request, gettext("今日已打卡：%(t)s℃") % {"t": ci.temperature})
            return redirect("campaigns:checkin_self")
    ctx["checkin"] = CheckIn.objects.filter(campaign_id=target.campaign_id, resident=resident, day=today).first()
    ctx["measure"] = services.measure_label(target.campaign, target.measure)
    return render(request, "campaigns/field/checkin_self.html", ctx, status=status)


# ---- the live board ----------------------------------------------------------------------------

def _curve(origin: dt.datetime, targets, end: dt.datetime, *, emergency: bool, in_place: str = "") -> dict:
    """Cumulative households over time since the origin, in up to BOARD_BUCKETS steps. One query.

    Emergencies draw households notified and in place; other campaigns households reached.
    """
    if emergency:
        rows = list(targets.filter(notified_at__isnull=False).values_list("notified_at", "in_place_at"))
        series = [("notified", gettext("已通知"), sorted(n for n, _ in rows)),
                  ("in_place", in_place or gettext("已落实管控"), sorted(p for _, p in rows if p is not None))]
    else:
        rows = list(targets.filter(reached_at__isnull=False).values_list("reached_at", flat=True))
        series = [("reached", gettext("已完成"), sorted(rows))]
    last = max([end, *(times[-1] for _, _, times in series if times)])
    span = max(last - origin, dt.timedelta(minutes=1))
    edges = [origin + span * b / BOARD_BUCKETS for b in range(BOARD_BUCKETS + 1)]

    def cumulative(times: list[dt.datetime]) -> list[int]:
        out, i = [], 0
        for edge in edges:
            while i < len(times) and times[i] <= edge:
                i += 1
            out.append(i)
        return out

    return {"times": [int(e.timestamp() * 1000) for e in edges], "origin": int(origin.timestamp() * 1000),
            "origin_label": gettext("发生") if emergency else gettext("开始"),
            "series": [{"code": code, "name": name, "data": cumulative(times)} for code, name, times in series]}


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.0f}%" if whole else "—"


def _board_context(user, pk) -> dict:
    campaign, unit, targets = selectors.board_scope_for(user=user, pk=pk)
    incident = getattr(campaign, "incident", None)
    children = selectors.child_units(unit)
    total, per_child = selectors.progress(campaign=campaign, unit=unit, children=children, targets=targets)
    ci_total, ci_per = selectors.checked_in_today(campaign=campaign, unit=unit, children=children)
    origin = incident.occurred_at if incident else campaign.starts_at
    words = services.type_words(campaign)
    now = clock.now()
    end = campaign.closed_at or now
    rows = [{"p": p, "checked_in": ci_per.get(p.unit.path, {}).get("households", 0),
             "notified_pct": _pct(p.notified, p.total), "in_place_pct": _pct(p.in_place, p.total)}
            for p in per_child if p.total]
    return {
        "campaign": campaign, "incident": incident, "unit": unit, "total": total, "rows": rows,
        "checked_in": ci_total, "origin": origin, "now": now,
        "to_assigned": _duration(campaign.assigned_at - origin) if campaign.assigned_at else "",
        "to_in_place": _duration(campaign.all_notified_at - origin) if campaign.all_notified_at else "",
        "since": _duration(now - origin),
        "pct": {"assigned": _pct(total.assigned, total.total), "acknowledged": _pct(total.acknowledged, total.total),
                "notified": _pct(total.notified, total.total), "in_place": _pct(total.in_place, total.total),
                "checked_in": _pct(ci_total["households"], total.total)},
        "unassigned": total.total - total.assigned, "words": words,
        "curve": _curve(origin, targets, end, emergency=campaign.kind == Kind.EMERGENCY, in_place=words["in_place"]),
        "emergency": campaign.kind == Kind.EMERGENCY, "kind": _label(campaign.kind, Kind),
    }


@field_login_required
@require_GET
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """The live board of a campaign for staff who may view it, refreshing itself every 10 seconds."""
    return render(request, "campaigns/field/board.html", _board_context(request.user, pk))


@field_login_required
@require_GET
def board_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's numbers fragment, for the htmx refresh."""
    response = render(request, "campaigns/field/_board_numbers.html", _board_context(request.user, pk))
    response["Cache-Control"] = "no-store"
    return response
