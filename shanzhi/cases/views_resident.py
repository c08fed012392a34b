"""The resident's case pages, phone first: report, similar cases nearby, my cases, rate, village feed.

Views are thin: writes go through shanzhi.cases.services, reads through shanzhi.cases.selectors;
a case the resident may not see answers 404 exactly like a missing one. What other residents' cases
show is decided in shanzhi.cases.public: names as surname + 某 (or 匿名), phone and ID numbers written
into descriptions and notes masked.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import UserKind
from shanzhi.cases import deadlines, public, selectors, services, uploads, workflow
from shanzhi.cases.forms_resident import WHERE_HOME, RateForm, ReportForm, new_key
from shanzhi.cases.models import OPEN_STATUSES, Attachment, Case, Category, Channel, Kind, Status
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.geometry import distance_m
from shanzhi.org.models import Level, OrgUnit

# Labels that live in models and workflow as plain Chinese: listed so makemessages puts them in the catalog.
LABELS = (
    gettext_noop("已上报"), gettext_noop("已受理"), gettext_noop("已派遣"), gettext_noop("处置中"),
    gettext_noop("已处置"), gettext_noop("已核查"), gettext_noop("已结案"), gettext_noop("已评价"),
    gettext_noop("挂账"), gettext_noop("作废"), gettext_noop("重复"), gettext_noop("反映问题"), gettext_noop("求助"),
    gettext_noop("受理"), gettext_noop("派遣"), gettext_noop("开始处置"), gettext_noop("处置反馈"),
    gettext_noop("核查"), gettext_noop("核查不通过"), gettext_noop("结案"), gettext_noop("评价"),
    gettext_noop("返工"), gettext_noop("退回"), gettext_noop("上报上级"), gettext_noop("申请延期"),
    gettext_noop("批准延期"), gettext_noop("驳回延期"), gettext_noop("督办"), gettext_noop("解除挂账"),
    gettext_noop("合并重复"), gettext_noop("系统"), gettext_noop("居民上报"), gettext_noop("网格巡查"),
    gettext_noop("网格夜访"), gettext_noop("热线"), gettext_noop("来访"), gettext_noop("议事会"),
)
ACTION_LABELS = {"report": gettext_noop("提交诉求"), "reopen": gettext_noop("返工"),
                 **{a: t[3] for a, t in workflow.TRANSITIONS.items()}}
LIGHT_LABELS = {"green": gettext_noop("正常"), "yellow": gettext_noop("临期"), "red": gettext_noop("超期")}

SIMILAR_RADIUS_M = 300
SIMILAR_DAYS = 30
SIMILAR_LIMIT = 5
METRES_PER_DEGREE = 111_320.0


# ---- who is asking -----------------------------------------------------------------------------

def _is_resident(user) -> bool:
    return getattr(user, "kind", "") == UserKind.RESIDENT


def _queue_url() -> str:
    for name in ("cases:queue", "org:home"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


def resident_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Residents only: visitors go to the resident login, staff get a link to their queue; 404 on NotFound."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:resident_login"))
        if not _is_resident(user):
            return render(request, "cases/resident/staff_notice.html", {"queue_url": _queue_url()}, status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None

    return wrapper


def resident_object(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A resident's own object (their question, a slot to book, their booking): an id that no row can have is
    a 404 for anyone (staff included, who otherwise get the resident pages' notice); then `resident_required`."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if parsing.id_or_none(kwargs.get("pk")) is None:  # an id no row can have (a 40-digit one): not found, for anyone
            raise Http404()
        return resident_required(view)(request, *args, **kwargs)

    return wrapper


def _household(user):
    resident = getattr(user, "resident", None)
    return getattr(resident, "household", None) if resident is not None else None


# ---- how things are shown ----------------------------------------------------------------------

def _cat_label(category: Category | None) -> str:
    if category is None:
        return ""
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


def _handler(case: Case) -> str:
    """Handling unit and who in it: assignee, else department."""
    who = ""
    if case.assignee_id:
        who = str(case.assignee)
    elif case.department_id:
        who = case.department.name
    return f"{case.handling_unit.name} · {who}" if who else case.handling_unit.name


def _row(case: Case, viewer, now) -> dict:
    light = deadlines.light(case, now)
    return {"case": case, "category": _cat_label(case.category), "status": gettext(case.get_status_display()),
            "kind": gettext(case.get_kind_display()), "handler": _handler(case), "light": light,
            "light_label": gettext(LIGHT_LABELS[light]) if light else "",
            "mine": case.reporter_id == viewer.pk, "reporter": public.reporter_label(case, viewer)}


# ---- nearby open cases -------------------------------------------------------------------------

def similar_open_cases(*, user, category: Category, lat: float, lon: float, now=None,
                       radius_m: float = SIMILAR_RADIUS_M, days: int = SIMILAR_DAYS,
                       limit: int = SIMILAR_LIMIT) -> list[tuple[Case, float]]:
    """Open cases of a category the resident may follow (their village's feed) within radius_m of a point
    and `days` back, nearest first."""
    now = now or clock.now()
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    qs = (selectors.followable_for(user=user).filter(
              category=category, reported_at__gte=now - dt.timedelta(days=days),
                              lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
          .select_related("category", "unit", "handling_unit", "assignee", "department")
          .order_by("-reported_at")[:200])
    found = [(c, distance_m(lat, lon, c.lat, c.lon)) for c in qs]
    found = [(c, d) for c, d in found if d <= radius_m]
    found.sort(key=lambda cd: cd[1])
    return found[:limit]


def _point_from(request: HttpRequest, data) -> tuple[float, float] | None:
    """The place the resident chose on the form: home, or a valid pin."""
    if data.get("where") == WHERE_HOME:
        household = _household(request.user)
        if household is not None and household.lat is not None:
            return household.lat, household.lon
        return None
    try:
        lat, lon = float(data.get("lat", "")), float(data.get("lon", ""))
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _leaf(code: str) -> Category | None:
    code = (code or "").strip()
    if not code:
        return None
    return Category.objects.filter(code=code, is_active=True, children__isnull=True).first()


def _similar_rows(request: HttpRequest, data) -> list[dict]:
    category, point = _leaf(data.get("category", "")), _point_from(request, data)
    if category is None or point is None:
        return []
    user, now = request.user, clock.now()
    found = similar_open_cases(user=user, category=category, lat=point[0], lon=point[1], now=now)
    followed = set(user.followed_cases.filter(pk__in=[c.pk for c, _ in found]).values_list("pk", flat=True))
    return [{**_row(c, user, now), "distance": round(d), "followed": c.pk in followed or c.reporter_id == user.pk,
             "description": public.description(c, user)} for c, d in found]


# ---- the report page ---------------------------------------------------------------------------

def _category_groups() -> list[dict]:
    cats = list(Category.objects.filter(is_active=True).order_by("sort", "code"))
    leaves: dict[int, list] = {}
    for c in cats:
        if c.parent_id:
            leaves.setdefault(c.parent_id, []).append(c)
    groups = []
    for g in cats:
        if g.parent_id is None and leaves.get(g.pk):
            groups.append({"name": _cat_label(g), "leaves": [
                {"code": c.code, "name": _cat_label(c), "kind": c.kind,
                 "search": " ".join(filter(None, [c.name, c.name_en, c.keywords, g.name, g.name_en])).lower()}
                for c in leaves[g.pk]]})
    return groups


def _map_features(user) -> list[dict]:
    """Boundaries drawn under the pin map: the resident's village, its grids and their micro-grids."""
    village = selectors.resident_village(user)
    if village is not None:
        units = OrgUnit.objects.filter(village.subtree_q(), level__in=[Level.VILLAGE, Level.GRID, Level.MICROGRID])
    else:
        units = OrgUnit.objects.filter(level__in=[Level.COUNTY, Level.TOWN])
    return [{"type": "Feature", "geometry": u.boundary, "properties": {"name": u.name, "level": u.level}}
            for u in units.filter(is_active=True, boundary__isnull=False).order_by("path")[:500]]


def _report_context(request: HttpRequest, form: ReportForm, similar: list | None = None,
                    pending: list | None = None) -> dict:
    household = _household(request.user)
    home = None
    if household is not None and household.lat is not None:
        home = {"lat": household.lat, "lon": household.lon}
    return {
        "form": form, "groups": _category_groups(), "household": household, "home": home,
        "features": _map_features(request.user), "similar": similar or [], "pending": pending or [],
        "tile_url": settings.SHANZHI.get("TILE_URL", ""),
        "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", ""),
        "chosen_category": form["category"].value() or "", "where": form["where"].value() or "pin",
    }


def _add_service_errors(form: ReportForm, exc: DomainError) -> None:
    """Put the service's Chinese field errors next to their fields (the pin's under the map)."""
    if not exc.fields:
        form.add_error(None, str(exc))
    for field, msgs in exc.fields.items():
        if field == "idempotency_key":
            form.data["idempotency_key"] = new_key()  # someone else's key: this form gets a fresh one
            form.add_error(None, str(exc))
            continue
        target = "lat" if field == "lon" else field if field in form.fields else None
        for m in msgs:
            form.add_error(target, m)


@resident_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Raise a case: category, description, photos, place (pin, current position or home).

    The whole form is checked before the service is called, so every error shows in one round; the
    photos (tokens of photos uploaded on their own, or files sent without script) are kept as pending
    uploads and drawn again, and claimed in the same transaction as the case.
    """
    user = request.user
    household = _household(user)
    if request.method == "GET":
        form = ReportForm(initial={"kind": Kind.HELP if request.GET.get("kind") == Kind.HELP else Kind.PROBLEM,
                                    "is_public": True, "where": "pin",
                                   "idempotency_key": new_key()}, household=household)
        return render(request, "cases/resident/report.html", _report_context(request, form))
    data = request.POST.copy()
    if not data.get("idempotency_key"):
        data["idempotency_key"] = new_key()
    form = ReportForm(data, household=household)
    valid = form.is_valid()
    key = (form.cleaned_data.get("idempotency_key") or "").strip() if valid else ""
    done = Case.objects.filter(idempotency_key=key, created_by=user).first() if key else None
    if done is not None:  # the same form sent twice (a second tap): the case it made
        return redirect("cases:detail_resident", number=done.number)
    pending, photo_errors = uploads.uploads_from_request(
        actor=user, tokens=data.getlist("photo_tokens"), files=request.FILES.getlist("photos"))
    for m in photo_errors:
        form.add_error("photos", m)
    if "check_similar" in request.POST and not form.errors:  # no-JS: similar cases nearby before submitting
        return render(request, "cases/resident/report.html",
                      _report_context(request, form, _similar_rows(request, data), pending))
    if form.errors:
        return render(request, "cases/resident/report.html",
                      _report_context(request, form, _similar_rows(request, data), pending), status=400)
    cd = form.cleaned_data
    lat, lon = form.point()
    home = None
    if cd["where"] == WHERE_HOME:
        home, lat, lon = household, None, None
    try:
        with transaction.atomic():  # a refused case keeps its photos: the claim rolls back with it
            photos = uploads.uploads_claim(actor=user, tokens=[p.token for p in pending])
            case = services.case_report(
                actor=user, kind=cd["kind"], category=form.category_obj, description=cd["description"],
                channel=Channel.RESIDENT, lat=lat, lon=lon, address=cd["address"], anonymous=cd["anonymous"],
                is_public=cd["is_public"], household=home, photos=photos, idempotency_key=key)
    except IntegrityError:
        # Two taps raced past the idempotency check: the other one made the case.
        case = Case.objects.filter(idempotency_key=key, reporter=user).first()
        if case is None:
            raise
    except DomainError as exc:
        _add_service_errors(form, exc)
        pending, _errors = uploads.uploads_for(user=user, tokens=[p.token for p in pending])
        return render(request, "cases/resident/report.html",
                      _report_context(request, form, _similar_rows(request, data), pending), status=400)
    messages.success(request, gettext("已提交，编号 %(number)s。处理进展可在“我的诉求”查看。") % {"number": case.number})
    return redirect("cases:detail_resident", number=case.number)


@resident_required
@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """The htmx partial: public open cases of the chosen category near the chosen place."""
    rows = _similar_rows(request, request.GET)
    asked = bool(_leaf(request.GET.get("category", ""))) and _point_from(request, request.GET) is not None
    return render(request, "cases/resident/_similar.html", {"similar": rows, "asked": asked})


@resident_required
@require_POST
def follow(request: HttpRequest, number: str) -> HttpResponse:
    """Follow a similar case instead of raising a new one."""
    case = Case.objects.select_related("unit", "handling_unit").filter(number=number).first()
    if case is None:
        raise Http404()
    if services.can_view(request.user, case):
        messages.info(request, gettext("您已关注该诉求。"))
        return redirect("cases:detail_resident", number=case.number)
    try:
        services.case_follow(actor=request.user, case=case)
    except NotFound:
        raise Http404() from None
    messages.success(request, gettext("已关注该诉求，处理进展会显示在“我的诉求”中。"))
    return redirect("cases:detail_resident", number=case.number)


# ---- my cases, one case, rating ----------------------------------------------------------------

@resident_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Cases I reported or follow: status, category, handler, deadline and traffic light."""
    user, now = request.user, clock.now()
    qs = (selectors.case_list_for(user=user)
          .select_related("category", "handling_unit", "assignee", "department").order_by("-reported_at", "-id"))
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "cases/resident/mine.html",
                  {"page": page, "rows": [_row(c, user, now) for c in page.object_list]})


@resident_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """One case with its public timeline and photos."""
    user, now = request.user, clock.now()
    case = selectors.case_get_for(user=user, number_or_id=number)
    events = list(case.events.filter(public=True).select_related("actor").prefetch_related("attachments"))
    timeline = [{"event": e, "actor": public.actor_label(e, user), "note": public.note(e, case, user),
                 "action": gettext(ACTION_LABELS.get(e.action, e.action)),
                 "status": gettext(Status(e.to_status).label) if e.to_status in Status.values else "",
                 "photos": list(e.attachments.all())} for e in events]
    mine_ = case.reporter_id == user.pk
    return render(request, "cases/resident/detail.html", {
        "row": _row(case, user, now), "case": case, "timeline": timeline, "mine": mine_,
        "description": public.description(case, user),
        "may_rate": _rate_refusal(user, case) is None})


def _rate_refusal(user, case: Case) -> tuple[str, int] | None:
    """Why this user cannot rate this case now (message, HTTP status), using the service's own checks."""
    if not services.may_step(user, case, "rate"):
        return gettext("只有提交该诉求的居民可以评价。"), 403
    if case.status not in workflow.allowed_from("rate"):
        return gettext("只有已结案的诉求可以评价（当前状态：%(status)s）。") % {
            "status": gettext(case.get_status_display())}, 400
    return None


@resident_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, number: str) -> HttpResponse:
    """Rate a closed case: 1-5 stars, satisfied or not, a comment."""
    user = request.user
    case = selectors.case_get_for(user=user, number_or_id=number)
    form = RateForm(request.POST or None)
    error, status = "", 200
    refusal = _rate_refusal(user, case)
    if refusal is not None:
        error, status = refusal
        if request.method == "GET" and status == 400:
            status = 200  # nothing was asked yet: the page just explains
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.case_rate(actor=user, case=case, rating=cd["rating"], satisfied=cd["satisfied"],
                                   comment=cd["comment"])
            except NotFound:
                raise
            except PermissionDenied as exc:
                error, status = str(exc), 403
            except DomainError as exc:
                for field, msgs in exc.fields.items():
                    for m in msgs:
                        form.add_error(field if field in form.fields else None, m)
                error = "" if exc.fields else str(exc)
            else:
                if cd["satisfied"]:
                    messages.success(request, gettext("感谢您的评价。"))
                else:
                    messages.success(request, gettext("感谢您的评价，该诉求已退回重新处理。"))
                return redirect("cases:detail_resident", number=case.number)
    return render(request, "cases/resident/rate.html",
                  {"case": case, "form": form, "error": error, "category": _cat_label(case.category),
                   "may_rate": refusal is None}, status=status)


# ---- the village feed --------------------------------------------------------------------------

@resident_required
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """Non-private cases in my village; other residents shown as surname + 某 or 匿名, never phones."""
    user, now = request.user, clock.now()
    village = selectors.resident_village(user)
    rows = []
    if village is not None:
        cases = list(selectors.public_feed(village=village).select_related(
            "unit", "handling_unit", "assignee", "department"))
        followed = set(user.followed_cases.filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
        for c in cases:
            rows.append({**_row(c, user, now), "description": public.description(c, user),
                         "followed": c.pk in followed or c.reporter_id == user.pk,
                         "followable": c.status in OPEN_STATUSES})
    return render(request, "cases/resident/feed.html", {"village": village, "rows": rows})


# ---- photos ------------------------------------------------------------------------------------

@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a case photo only to someone who may view the case (residents: public steps only)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    att = Attachment.objects.select_related("event").filter(pk=pk).first()
    if att is None:
        raise Http404()
    try:
        selectors.case_get_for(user=user, number_or_id=att.case_id)
    except NotFound:
        raise Http404() from None
    if att.event_id and not att.event.public and not scopes.is_staff_user(user):
        raise Http404()
    try:
        fh = att.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    response = FileResponse(fh, content_type=att.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    return response
