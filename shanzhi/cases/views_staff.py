"""Staff pages of cases: the grid worker's queue, the subtree list with dispatch and bulk assign,
case detail with one-tap actions, extension approvals, hotline and patrol intake, and the inbox.

Views are thin: reads through shanzhi.cases.selectors, every write through shanzhi.cases.services,
every permission through the services' gate (services.may_step for which buttons to show). Out of scope
is 404.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.cases import contact, selectors, uploads, workflow
from shanzhi.cases import services as svc
from shanzhi.cases.deadlines import light
from shanzhi.cases.forms_staff import (
    ActionForm,
    BulkDispatchForm,
    IntakeForm,
    ListFilterForm,
    QueueFilterForm,
)
from shanzhi.cases.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Attachment,
    Case,
    Category,
    Channel,
    HandlingLevel,
    Notification,
    Status,
)
from shanzhi.lib import clock, paging, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import Department, Level, OrgUnit

PER_PAGE = 50
MAX_TARGETS = 500  # options per group in a dispatch list; a county has far fewer grids per town
LIST_RELATED = ("category", "unit", "handling_unit", "assignee", "department")

# Choice and action labels live in models and workflow as plain Chinese; listing them here puts them
# in the catalog so templates can show them in English with {% trans value %}.
CHOICE_LABELS = (
    gettext_noop("反映问题"), gettext_noop("求助"), gettext_noop("网格"), gettext_noop("村/社区"),
    gettext_noop("镇/街道"), gettext_noop("县"), gettext_noop("一般"), gettext_noop("紧急"), gettext_noop("特急"),
    gettext_noop("已上报"), gettext_noop("已受理"), gettext_noop("已派遣"), gettext_noop("处置中"),
    gettext_noop("已处置"), gettext_noop("已核查"), gettext_noop("已结案"), gettext_noop("已评价"),
    gettext_noop("挂账"), gettext_noop("作废"), gettext_noop("重复"), gettext_noop("居民上报"),
    gettext_noop("网格巡查"), gettext_noop("网格夜访"), gettext_noop("热线"), gettext_noop("来访"),
    gettext_noop("议事会"), gettext_noop("无"), gettext_noop("督办"), gettext_noop("黄牌督办"),
    gettext_noop("红牌督办"), gettext_noop("受理"), gettext_noop("派遣"), gettext_noop("开始处置"),
    gettext_noop("处置反馈"), gettext_noop("核查"), gettext_noop("核查不通过"), gettext_noop("结案"),
    gettext_noop("评价"), gettext_noop("返工"), gettext_noop("退回"), gettext_noop("上报上级"),
    gettext_noop("申请延期"), gettext_noop("批准延期"), gettext_noop("驳回延期"), gettext_noop("解除挂账"),
    gettext_noop("合并重复"), gettext_noop("记录"), gettext_noop("转交"), gettext_noop("办结"),
)
# Actions whose form asks for something beyond a tap (shown folded, with their inputs).
NEEDS_INPUT = {"dispatch", "report_back", "verify_fail", "reopen", "return", "escalate", "extension_request",
               "supervise", "park", "void", "duplicate"}
EVENT_LABELS = {"report": gettext_noop("上报"), **{a: t[3] for a, t in workflow.TRANSITIONS.items()}}
STAFF_ACTIONS = [a for a in workflow.LOOP_ACTIONS if a != "rate"]


# ---- plumbing ----------------------------------------------------------------------------------

def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _page(request: HttpRequest, qs):
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _with_lights(cases, now: dt.datetime) -> list[Case]:
    for c in cases:
        c.light = light(c, now)
    return list(cases)


def _filter_unit(user, form, field: str = "unit") -> OrgUnit | None:
    code = (form.cleaned_data.get(field) or "").strip() if hasattr(form, "cleaned_data") else ""
    if not code:
        return None
    try:
        return org_selectors.orgunit_get_for(user=user, code=code, action="cases.view")
    except NotFound:
        form.add_error(field, _("未找到该单位"))
        return None


def nav_context(user) -> dict:
    """Which staff links to show (no queries beyond the cached posts)."""
    return {
        "may_dispatch": scopes.may_somewhere(user, "cases.dispatch"),
        "may_supervise": scopes.may_somewhere(user, "cases.supervise"),
        "may_intake": scopes.may_somewhere(user, "cases.intake"),
        "may_handle": scopes.may_somewhere(user, "cases.handle"),
    }


# ---- the grid worker's queue -------------------------------------------------------------------

@staff_page
def queue(request: HttpRequest) -> HttpResponse:
    """My open cases, soonest deadline first, with a traffic light and counts per status.
    Cost: a fixed number of queries whatever the number of rows."""
    user, now = request.user, clock.now()
    form = QueueFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    unit = _filter_unit(user, form) if f else None
    common = {"overdue": bool(f.get("overdue")), "category": f.get("category") or "", "unit": unit, "now": now}
    qs = selectors.queue_for(user=user, status=f.get("status") or "", **common)
    counts = {r["status"]: r["n"] for r in
              selectors.queue_for(user=user, **common).order_by().values("status").annotate(n=Count("id"))}
    page = _page(request, qs)
    page.object_list = _with_lights(page.object_list, now)
    return render(request, "cases/staff/queue.html", {
        "form": form, "page": page, "query": _query_without_page(request), "now": now,
        "counts": [(s, Status(s).label, counts.get(s, 0)) for s in OPEN_STATUSES],
        "total": sum(counts.values()), **nav_context(user),
    })


# ---- the subtree list, dispatch and bulk assign ------------------------------------------------

def _list_filters(user, form: ListFilterForm, now: dt.datetime) -> tuple[Q | None, list[Q], OrgUnit | None]:
    """(where, narrow, unit) of the list's filters: `where` None when the form is invalid (nothing listed);
    `narrow` the filters that may name a small set. Each filter tests a column of the list's walk index
    where it can (category and unit through indexed id subqueries, not joins). Cost: the unit's lookup."""
    if not form.is_valid():
        return None, [], None
    f = form.cleaned_data
    unit = _filter_unit(user, form)
    where, narrow = Q(), []
    if f.get("status"):
        where &= Q(status=f["status"])
        narrow.append(Q(status=f["status"]))
    if f.get("overdue"):
        overdue = Q(status__in=OPEN_STATUSES, deadline_at__lt=now)
        where &= overdue
        narrow.append(overdue)
    if f.get("category"):
        codes = Category.objects.filter(Q(code=f["category"]) | Q(parent__code=f["category"])).values("id")
        where &= Q(category_id__in=codes)
        narrow.append(Q(category_id__in=codes))
    if unit is not None:
        under = OrgUnit.objects.filter(scopes.subtree_q(unit)).values("id")
        where &= Q(unit_id__in=under) | Q(handling_unit_id__in=under)
        narrow.append(Q(unit_id__in=under) | Q(handling_unit_id__in=under))
    if f.get("supervision") == "any":
        where &= ~Q(supervision="")
    elif f.get("supervision"):
        where &= Q(supervision=f["supervision"])
    if f.get("extension"):
        where &= Q(extension_requested_until__isnull=False)
    if f.get("open"):
        where &= Q(status__in=OPEN_STATUSES)
        narrow.append(Q(status__in=OPEN_STATUSES))
    if f.get("closed"):
        where &= Q(status__in=CLOSED_STATUSES)
    if f.get("since"):
        where &= Q(reported_at__gte=parsing.day_start(f["since"]))
    if f.get("until"):
        where &= Q(reported_at__lt=parsing.day_after(f["until"]))
    return where, narrow, unit


def dispatch_targets(user, units: list[OrgUnit]) -> dict[str, list[tuple[str, str]]]:
    """People, child units and departments a user may dispatch to under `units` (the service checks each
    again: services.assignee_eligible, scopes.require_target). Cost: three queries."""
    if not units:
        return {"people": [], "units": [], "departments": []}
    rows = selectors.dispatch_people_for(user=user, units=units)[:MAX_TARGETS]
    people, seen = [], set()
    for p in rows:
        if p.user_id not in seen:
            seen.add(p.user_id)
            people.append((f"user:{p.user_id}", f"{p.unit.name} · {_(p.get_role_display())} · {p.holder_name}"))
    unit_rows = selectors.dispatch_units_for(user=user, units=units).values_list("code", "name", "level")
    depts = selectors.dispatch_departments_for(user=user)[:MAX_TARGETS]
    return {
        "people": people,
        "units": [(f"unit:{code}", _("%(name)s（%(level)s）") % {"name": name, "level": _(Level(level).label)})
                  for code, name, level in unit_rows[:MAX_TARGETS]],
        "departments": [(f"dept:{d.pk}", f"{d.unit.name} · {d.name}") for d in depts],
    }


def parse_target(user, value: str) -> dict:
    """'user:ID', 'unit:CODE' or 'dept:ID' -> keyword arguments of case_dispatch (which checks the target)."""
    kind, _sep, key = (value or "").partition(":")
    bad = DomainError(_("请选择派遣对象"), fields={"target": [_("请选择派遣对象")]})
    if kind == "user" and parsing.id_or_none(key):
        person = User.objects.filter(pk=parsing.id_or_none(key)).first()
        if person is None:
            raise DomainError(svc.ASSIGNEE_REFUSED, fields={"target": [svc.ASSIGNEE_REFUSED]})
        return {"assignee": person}
    if kind == "unit" and key:
        try:
            return {"unit": org_selectors.orgunit_get_for(user=user, code=key, action="cases.dispatch")}
        except NotFound:
            raise bad from None
    if kind == "dept" and parsing.id_or_none(key):
        dept = Department.objects.filter(pk=parsing.id_or_none(key)).first()
        if dept is None:
            raise DomainError(svc.DEPARTMENT_REFUSED, fields={"target": [svc.DEPARTMENT_REFUSED]})
        return {"department": dept}
    raise bad


@staff_page
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases placed or handled in the user's subtree, with filters, dispatch and bulk assign."""
    user, now = request.user, clock.now()
    form = ListFilterForm(request.GET or {})
    where, narrow, unit = _list_filters(user, form, now)
    if where is None:
        page = paging.CappedPage([], 1, paging.CappedPaginator(0, PER_PAGE))
    else:
        page = selectors.case_list_page(user=user, where=where, narrow=narrow, per_page=PER_PAGE,
                                        number=paging.page_number(request.GET.get("page")),
                                        related=LIST_RELATED)
    page.object_list = _with_lights(page.object_list, now)
    # The bulk-dispatch pickers (up to MAX_TARGETS people and units) are not rendered here: the page fetches
    # them when the dispatch form is opened (bulk_targets), so a list page costs the list alone.
    return render(request, "cases/staff/list.html", {
        "form": form, "page": page, "query": _query_without_page(request),
        "unit_code": unit.code if unit is not None else "", **nav_context(user),
    })


MAX_CHOSEN = 500  # cases carried from the list to the full dispatch page (a list page shows PER_PAGE)


@require_http_methods(["GET", "POST"])
@staff_page(action="cases.dispatch")
def bulk_targets(request: HttpRequest) -> HttpResponse:
    """Whom the chosen cases may be dispatched to, under the list's unit filter (`unit`) or the user's
    dispatch scope. GET (htmx, when the list's dispatch form is opened): the picker fragment. POST (the
    list's form sent here without JS, with its `ids`; nothing is written): a full page with the chosen cases
    and the picker, posting to bulk_dispatch. Users who may dispatch nowhere: 404; a unit out of scope: 404.
    The targets are scoped by the selectors and checked again by the dispatch service. Cost: a fixed number
    of queries."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    code = (params.get("unit") or "").strip()[:64]
    unit = org_selectors.orgunit_get_for(user=user, code=code, action="cases.view") if code else None
    roots = [unit] if unit is not None else scopes.roots_for(user, "cases.dispatch")
    context = {"targets": dispatch_targets(user, roots), **nav_context(user)}
    if request.method == "GET":
        return render(request, "cases/staff/_bulk_picker.html", context)
    ids = [i for i in map(parsing.id_or_none, params.getlist("ids")) if i][:MAX_CHOSEN]
    chosen = list(selectors.case_list_for(user=user).filter(pk__in=ids).order_by("-reported_at", "-id")
                  .only("id", "number")) if ids else []
    return render(request, "cases/staff/bulk_pick.html", {
        **context, "chosen": chosen, "back": _next_url(request, reverse("cases:all")),
    }, status=200 if chosen else 400)


@require_POST
@staff_page
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch each selected case in its own transaction; list the failures, keep the successes."""
    user = request.user
    form = BulkDispatchForm(request.POST)
    ids = [i for i in map(parsing.id_or_none, request.POST.getlist("ids")) if i]
    done: list[Case] = []
    failed: list[tuple[str, str]] = []
    error = ""
    if not ids:
        error = _("请至少选择一条诉求")
    elif not form.is_valid():
        error = _("；").join(str(e) for es in form.errors.values() for e in es)
    else:
        try:
            target = parse_target(user, form.cleaned_data["target"])
        except DomainError as exc:
            error = str(exc)
        else:
            for pk in ids:
                label = pk
                try:
                    case = selectors.case_get_for(user=user, number_or_id=pk)
                    label = case.number
                    svc.case_dispatch(actor=user, case=case, note=form.cleaned_data["note"], **target)
                except DomainError as exc:  # NotFound and PermissionDenied too: one row, one reason
                    failed.append((label, str(exc)))
                else:
                    done.append(case)
    status = 400 if error or (failed and not done) else 200
    return render(request, "cases/staff/bulk_result.html", {
        "done": done, "failed": failed, "error": error, "back": _next_url(request, reverse("cases:all")),
        **nav_context(user),
    }, status=status)


@staff_page
def extensions(request: HttpRequest) -> HttpResponse:
    """Open cases with an extension request that the user may approve or refuse."""
    user = request.user
    qs = (selectors.case_list_for(user=user)
          .filter(scopes.scope_q(user, "cases.supervise", "handling_unit"),
                  extension_requested_until__isnull=False, status__in=OPEN_STATUSES)
          .select_related(*LIST_RELATED).order_by("extension_requested_until", "id"))
    page = _page(request, qs)
    return render(request, "cases/staff/extensions.html", {"page": page, "query": "", **nav_context(user)})


# ---- one case ----------------------------------------------------------------------------------

def visible_actions(user, case: Case) -> list[str]:
    """The actions of the case's state that this user may do now (the buttons to show)."""
    out = []
    for action in workflow.actions_for_status(case.status):
        if action == "rate":
            continue
        if action in ("extension_approve", "extension_refuse") and not case.extension_requested_until:
            continue
        if action == "extension_request" and case.extension_requested_until:
            continue
        if action == "escalate" and case.handling_level == HandlingLevel.COUNTY:
            continue
        if svc.may_step(user, case, action):
            out.append(action)
    return out


def _reporter_phone(case: Case) -> str:
    if case.reporter_phone_masked:
        return case.reporter_phone_masked
    resident = getattr(case.reporter, "resident", None) if case.reporter_id else None
    return getattr(resident, "phone_masked", "") or ""


def _outline_code(user, case: Case) -> str:
    """The unit whose outline (with its children) frames the case's map: the micro-grid's parent."""
    codes = case.unit.ancestor_codes
    if case.unit.level == Level.MICROGRID and len(codes) > 1:
        codes = codes[:-1]
    path = "".join(f"{c}/" for c in codes)
    return codes[-1] if codes and scopes.may(user, "org.view", path) else ""


def _may_call(user, case: Case) -> bool:
    """Show the call button (the reveal service decides): a handler of the case, and a phone to call."""
    has_phone = bool(case.reporter_phone_enc or case.reporter_phone_masked or _reporter_phone(case))
    return has_phone and svc.may_step(user, case, "start")


def _detail(request: HttpRequest, case: Case, *, form: ActionForm | None = None, failed: str = "",
            error: str = "", status: int = 200, pending: list | None = None, revealed_phone: str = "",
            call_error: str = "") -> HttpResponse:
    user = request.user
    actions = visible_actions(user, case)
    events = list(case.events.prefetch_related("attachments"))
    for ev in events:
        ev.label = EVENT_LABELS.get(ev.action, ev.action)
        ev.to_label = Status(ev.to_status).label if ev.to_status in Status.values else ""
    ctx = {
        "case": case, "events": events, "light": light(case, clock.now()),
        "actions": [{"name": a, "label": workflow.TRANSITIONS[a][3], "input": a in NEEDS_INPUT} for a in actions],
        "targets": dispatch_targets(user, [case.handling_unit]) if "dispatch" in actions else None,
        "reporter_phone": _reporter_phone(case), "outline": _outline_code(user, case), "form": form or ActionForm(), "failed": failed,
        "error": error, "tile_url": settings.SHANZHI.get("TILE_URL", ""),
        "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", ""),
        "duplicates": list(case.duplicates.values_list("number", flat=True)[:20]), "pending": pending or [],
        "may_call": _may_call(user, case), "map_links": contact.map_links(case),
        "call_reason": contact.CALL_REASON, "revealed_phone": revealed_phone, "call_error": call_error,
        **nav_context(user),
    }
    return render(request, "cases/staff/detail.html", ctx, status=status)


def _get_case(user, number: str) -> Case:
    return selectors.case_get_for(user=user, number_or_id=number)


@staff_page
def staff_detail(request: HttpRequest, number: str) -> HttpResponse:
    """All of a case for staff: facts, reporter (phone masked), map, timeline with photos, actions."""
    case = _get_case(request.user, number)
    return _detail(request, case)


@require_POST
@staff_page
def call_reporter(request: HttpRequest, number: str) -> HttpResponse:
    """Reveal the reporter's phone to call them (audited by the service), shown once with a tel: link;
    never stored in the page. Not visible: 404; not a handler: 403; over the hourly limit: 429."""
    # Found unscoped so that an attempt on a case out of scope reaches the service, which audits it (404).
    case = Case.objects.select_related("handling_unit", "reporter__resident").filter(number=number[:24]).first()
    if case is None:
        raise Http404()
    reason = request.POST.get("reason", contact.CALL_REASON)
    try:
        phone = contact.case_reporter_phone_reveal(actor=request.user, case=case, reason=reason)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if request.headers.get("HX-Request") == "true":
            return render(request, "cases/staff/_call.html", {"case": case, "may_call": True, "call_error": str(exc),
                                                              "call_reason": contact.CALL_REASON},
                          status=200)
        return _detail(request, case, call_error=str(exc), status=exc.status)
    if request.headers.get("HX-Request") == "true":
        return render(request, "cases/staff/_call.html", {"case": case, "may_call": True, "revealed_phone": phone})
    return _detail(request, case, revealed_phone=phone)


def _require(value, field: str, message: str):
    if not value:
        raise DomainError(message, fields={field: [message]})
    return value


def run_action(user, case: Case, action: str, data: dict) -> None:
    """Call the service behind one button with the form's inputs."""
    note = data.get("note") or ""
    simple = {"accept": svc.case_accept, "start": svc.case_start, "close": svc.case_close,
              "reopen": svc.case_reopen, "return": svc.case_return, "escalate": svc.case_escalate,
              "park": svc.case_park, "unpark": svc.case_unpark, "void": svc.case_void}
    if action in simple:
        simple[action](actor=user, case=case, note=note)
    elif action == "dispatch":
        svc.case_dispatch(actor=user, case=case, note=note, **parse_target(user, data.get("target") or ""))
    elif action == "report_back":
        svc.case_report_back(actor=user, case=case, note=note, photos=data.get("photos") or [])
    elif action in ("verify", "verify_fail"):
        svc.case_verify(actor=user, case=case, passed=action == "verify", note=note)
    elif action == "extension_request":
        until = _require(data.get("until"), "until", _("请填写延期后的时限"))
        svc.case_extension_request(actor=user, case=case, until=until, note=note)
    elif action in ("extension_approve", "extension_refuse"):
        svc.case_extension_decide(actor=user, case=case, approve=action == "extension_approve", note=note)
    elif action == "supervise":
        svc.case_supervise(actor=user, case=case, level=data.get("level") or "", note=note)
    elif action == "duplicate":
        number = _require((data.get("original") or "").strip(), "original", _("请填写原诉求编号"))
        try:
            original = selectors.case_get_for(user=user, number_or_id=number)
        except NotFound:
            raise DomainError(_("未找到原诉求"), fields={"original": [_("未找到原诉求")]}) from None
        svc.case_mark_duplicate(actor=user, case=case, original=original, note=note)
    else:
        raise NotFound()


@require_POST
@staff_page
def staff_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Run one action on a case; a refusal is shown on the case page and nothing changes."""
    user = request.user
    case = _get_case(user, number)
    if action not in STAFF_ACTIONS:
        raise Http404()
    form = ActionForm(request.POST)
    label = workflow.TRANSITIONS[action][3]
    pending: list = []
    valid = form.is_valid()
    if action == "report_back":  # photos kept as pending uploads, claimed with the step
        pending, photo_errors = uploads.uploads_from_request(
            actor=user, tokens=request.POST.getlist("photo_tokens"), files=request.FILES.getlist("photos"))
        for m in photo_errors:
            form.add_error("photos", m)
        if (valid and not (form.cleaned_data.get("note") or "").strip()  # named in the same round as the photos
                and svc.may_step(user, case, action)):  # (not allowed at all: the service's 403/400 first)
            form.add_error("note", _("请填写处置情况"))
        valid = valid and not form.errors
    if valid:
        status = 400
        try:
            with transaction.atomic():
                if pending:
                    form.cleaned_data["photos"] = uploads.uploads_claim(actor=user, tokens=[p.token for p in pending])
                run_action(user, case, action, form.cleaned_data)
        except NotFound:
            raise
        except DomainError as exc:  # PermissionDenied too (the case is visible): its reason, with its 403
            status = exc.status
            for field, msgs in exc.fields.items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
            error = str(exc)
            pending, _missing = uploads.uploads_for(user=user, tokens=[p.token for p in pending])
        else:
            messages.success(request, _("已%(action)s：%(number)s") % {"action": _(label), "number": case.number})
            return redirect(_next_url(request, reverse("cases:staff_detail", args=[case.number])))
    else:
        status = 400
        error = _("；").join(str(e) for es in form.errors.values() for e in es)
    fresh = _get_case(user, number)  # the page shows the case as stored: the refusal changed nothing
    return _detail(request, fresh, form=form, failed=action, error=error, status=status, pending=pending)


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A case photo, to whoever may see the case (others: 404)."""
    att = Attachment.objects.filter(pk=pk).select_related("case").first()
    if att is None or not svc.can_view(request.user, att.case):
        raise Http404()
    return FileResponse(att.file.open("rb"), content_type=att.content_type)


# ---- intake ------------------------------------------------------------------------------------

def _intake(request: HttpRequest, *, channel: str) -> HttpResponse:
    """The whole form checked first (every error in one round); photos kept as pending uploads and claimed
    in the case's transaction."""
    user = request.user
    if not scopes.may_somewhere(user, "cases.intake"):
        raise Http404()
    patrol = channel == Channel.PATROL
    form = IntakeForm(request.POST or None, patrol=patrol)
    status, pending = 200, []
    if request.method == "POST":
        status = 400
        valid = form.is_valid()
        pending, photo_errors = uploads.uploads_from_request(
            actor=user, tokens=request.POST.getlist("photo_tokens"), files=request.FILES.getlist("photos"))
        for m in photo_errors:
            form.add_error("photos", m)
        if valid and not photo_errors:
            d = form.cleaned_data
            try:
                with transaction.atomic():  # a refused case keeps its photos
                    photos = uploads.uploads_claim(actor=user, tokens=[p.token for p in pending])
                    case = svc.case_report(
                        actor=user, kind=d["kind"], category=d["category"], description=d["description"],
                        channel=channel, lat=d.get("lat"), lon=d.get("lon"), address=d.get("address") or "",
                        priority=d["priority"], anonymous=bool(d.get("anonymous")),
                        reporter_name=d.get("reporter_name") or "",
                        reporter_phone=d.get("reporter_phone") or "", photos=photos)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                for field, msgs in exc.fields.items():
                    for m in msgs:
                        form.add_error(field if field in form.fields else None, m)
                if not exc.fields:
                    form.add_error(None, str(exc))
                pending, _missing = uploads.uploads_for(user=user, tokens=[p.token for p in pending])
            else:
                messages.success(request, _("已登记诉求 %(number)s") % {"number": case.number})
                if svc.can_view(user, case):
                    return redirect("cases:staff_detail", number=case.number)
                return redirect(request.path)
    roots = scopes.roots_for(user)
    return render(request, "cases/staff/intake.html", {
        "form": form, "patrol": patrol, "root": roots[0] if roots else None, "pending": pending,
        "tile_url": settings.SHANZHI.get("TILE_URL", ""),
        "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", ""), **nav_context(user),
    }, status=status)


@staff_page
def hotline(request: HttpRequest) -> HttpResponse:
    """Register a caller's case (热线): no location sends it to the county triage queue."""
    return _intake(request, channel=Channel.HOTLINE)


@staff_page
def patrol(request: HttpRequest) -> HttpResponse:
    """A grid worker reports what they found on patrol (巡查上报), pinned on the map."""
    return _intake(request, channel=Channel.PATROL)


# ---- notification inbox ------------------------------------------------------------------------

def notification_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one (or every) unread notification of `user` read; return how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=clock.now())


def case_url_for(user, case: Case | None) -> str:
    """Where a notification's case opens for this user: the staff page, or the resident's page."""
    if case is None:
        return ""
    if scopes.is_staff_user(user):
        return reverse("cases:staff_detail", args=[case.number])
    for name in ("cases:detail_resident", "cases:detail"):
        try:
            return reverse(name, args=[case.number])
        except NoReverseMatch:
            continue
    return ""


@login_required
@never_cache
def inbox(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; unread ones stand out."""
    qs = Notification.objects.filter(user=request.user).select_related("case").order_by("-created_at", "-id")
    page = _page(request, qs)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "cases/inbox.html", {"page": page, "unread": unread, "query": "",
                                                "is_staff": scopes.is_staff_user(request.user)})


@login_required
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a notification's case and mark it read."""
    note = Notification.objects.filter(user=request.user, pk=pk).select_related("case").first()
    if note is None:
        raise Http404()
    notification_mark_read(user=request.user, pk=note.pk)
    link = note.link if note.link.startswith("/") and not note.link.startswith("//") else ""
    return redirect(case_url_for(request.user, note.case) or link or "cases:inbox")


@require_POST
@login_required
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not Notification.objects.filter(user=request.user, pk=pk).exists():
        raise Http404()
    notification_mark_read(user=request.user, pk=pk)
    if request.headers.get("HX-Request"):
        return inbox_count(request)
    return redirect(_next_url(request, reverse("cases:inbox")))


@require_POST
@login_required
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    n = notification_mark_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标记为已读") % {"n": n})
    return redirect(_next_url(request, reverse("cases:inbox")))


@login_required
@never_cache
def inbox_count(request: HttpRequest) -> HttpResponse:
    """A small badge fragment with the unread count, for htmx polling."""
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "cases/staff/_inbox_badge.html", {"unread": unread})
