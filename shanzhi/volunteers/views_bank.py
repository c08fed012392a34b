"""Pages of the time bank: the person's (my hours and points with the account's QR code, the village store,
activities with sign-up and check-in, the certificate) and the desk's (the ledger with corrections, store items,
the counter, activities with their QR screen, 志愿之星, civic points).

Thin: reads through the services' selectors, writes (and who may) through ledger, store, activities, civic and
reports. Out of scope is 404, like a missing object; a refusal is a 400 page naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.councils.views_meetings import checkin_qr
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import add_to_form, day_after, day_start, id_or_none, parse_int
from shanzhi.lib.views import staff_page, user_page
from shanzhi.org.models import OrgUnit
from shanzhi.volunteers import access, activities, civic, ledger, reports, store
from shanzhi.volunteers import forms_bank as f
from shanzhi.volunteers.models import CivicAct


def bank_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any logged-in user (`lib.views.user_page`); a refusal of a query parameter is a 400 page naming it."""

    @functools.wraps(view)
    def refusing(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            return render(request, "volunteers/bank_refused.html", {"exc": exc}, status=400)

    return user_page(refusing)


def _pk(value) -> int:
    pk = id_or_none(value)
    if pk is None:
        raise NotFound()
    return pk


def _village_param(request, choices: list[OrgUnit]) -> OrgUnit:
    """The village picked by `?village=<code>` among `choices` (else the first); none: not found."""
    code = request.GET.get("village") or request.POST.get("village") or ""
    if code:
        found = next((v for v in choices if v.code == code), None)
        if found is None:
            raise NotFound()
        return found
    if not choices:
        raise NotFound()
    return choices[0]


def _refused(form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    if aliases:
        exc = DomainError(str(exc), fields={aliases.get(k, k): v for k, v in exc.fields.items()}, code=exc.code)
    add_to_form(form, exc)


# ---- my hours and points -------------------------------------------------------------------------------

def _account_context(request, account) -> dict:
    entries = list(ledger.entries_of(account))
    return {"account": account, "entries": entries, "balance": sum(e.points for e in entries),
            "hours": sum((e.hours for e in entries), 0)}


@bank_page
def my_points(request: HttpRequest) -> HttpResponse:
    """The person's balance, every entry (their sum is the balance) and the account code as a QR code for the
    store's counter."""
    account = ledger.account_of_person(request.user)
    if account is None:
        raise NotFound()
    ctx = _account_context(request, account)
    link = request.build_absolute_uri(reverse("volunteers:counter")) + "?" + urlencode({"code": account.code})
    ctx.update(qr=checkin_qr(link), volunteer=access.volunteer_for(request.user), mine=True)
    return render(request, "volunteers/bank_points.html", ctx)


@staff_page(action="volunteers.view")
def account(request: HttpRequest, pk: int) -> HttpResponse:
    found = ledger.account_get(actor=request.user, pk=_pk(pk))
    return render(request, "volunteers/bank_points.html", {**_account_context(request, found), "mine": False})


# ---- the desk's ledger ---------------------------------------------------------------------------------

@staff_page(action="volunteers.view")
def ledger_list(request: HttpRequest) -> HttpResponse:
    villages = reports.villages_for(request.user)
    form = f.LedgerFilterForm(request.GET or None)
    village = None
    if request.GET.get("village"):
        village = _village_param(request, villages)
    if form.is_bound and not form.is_valid():
        return render(request, "volunteers/bank_ledger.html", {"form": form, "villages": villages, "page": None},
                      status=400)
    d = form.cleaned_data if form.is_bound else {}
    if d.get("first") and d.get("last") and d["last"] < d["first"]:
        form.add_error("last", _("结束日期不能早于开始日期"))
        return render(request, "volunteers/bank_ledger.html", {"form": form, "villages": villages, "page": None},
                      status=400)
    qs = ledger.entries_in_scope(request.user, village=village, kind=d.get("kind") or "",
                                 start=day_start(d["first"]) if d.get("first") else None,
                                 end=day_after(d["last"]) if d.get("last") else None, name=d.get("name") or "")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "volunteers/bank_ledger.html", {
        "form": form, "villages": villages, "village": village, "page": page,
        "may_correct": scopes.may_somewhere(request.user, "volunteers.correct")})


@staff_page(action="volunteers.view")
@require_http_methods(["GET", "POST"])
def ledger_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = ledger.entry_get(actor=request.user, pk=_pk(pk))
    scopes.require(request.user, "volunteers.correct", entry.village, what=_("该积分记录"))
    form = f.CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ledger.correct(actor=request.user, entry=entry, points=d["points"], hours=d["hours"], reason=d["reason"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("已记入更正"))
            return redirect("volunteers:account", entry.account_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "volunteers/bank_correct.html", {"entry": entry, "form": form}, status=status)


# ---- the store -----------------------------------------------------------------------------------------

@bank_page
@require_http_methods(["GET", "POST"])
def store_home(request: HttpRequest) -> HttpResponse:
    """The village's items: residents see their own village's on sale; staff pick a village in scope, and those
    who run it add items."""
    user = request.user
    village = _village_param(request, reports.villages_for(user))
    may_run = scopes.may(user, "volunteers.run", village)
    items = store.store_items(actor=user, village=village, all_items=may_run)
    form = f.ItemForm(request.POST or None) if may_run else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("您的岗位无权进行此操作"))
        if form.is_valid():
            d = form.cleaned_data
            try:
                store.item_create(actor=user, village=village, name=d["name"], price=d["price"], stock=d["stock"],
                                  is_active=d["is_active"])
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("商品已添加"))
                return redirect(reverse("volunteers:store") + "?" + urlencode({"village": village.code}))
    account = ledger.account_of_user(user)
    return render(request, "volunteers/store_home.html", {
        "village": village, "villages": reports.villages_for(user), "items": items, "form": form,
        "balance": ledger.balance(account) if account is not None else None,
        "may_counter": scopes.may(user, "volunteers.counter", village)},
        status=400 if request.method == "POST" else 200)


@bank_page
@require_http_methods(["GET", "POST"])
def store_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = store.item_get(actor=request.user, pk=_pk(pk))
    if not scopes.may(request.user, "volunteers.run", item.village):  # seen (item_get) but not run: 403
        raise PermissionDenied(_("您的岗位无权进行此操作"))
    form = f.ItemForm(request.POST or None, initial={"name": item.name, "price": item.price, "stock": item.stock,
                                                       "is_active": item.is_active})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            store.item_update(actor=request.user, item=item, name=d["name"], price=d["price"], stock=d["stock"],
                              is_active=d["is_active"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("商品已保存"))
            return redirect(reverse("volunteers:store") + "?" + urlencode({"village": item.village.code}))
    return render(request, "volunteers/store_item.html", {"item": item, "form": form},
                  status=400 if request.method == "POST" else 200)


@staff_page(action="volunteers.counter")
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """The store's counter: scan (or type) the person's code, see their name and balance, pick the item."""
    user = request.user
    code = request.POST.get("account_code") if request.method == "POST" else request.GET.get("code", "")
    found, items, status = None, [], 200
    form = f.CounterForm(request.POST or None, initial={"account_code": code})
    error = ""
    if code:
        try:
            found = store.account_at_counter(actor=user, account_code=code)
        except NotFound:
            error, status = _("未找到该积分码"), 404
    if found is not None:
        villages = [v for v in reports.villages_for(user, "volunteers.counter")
                    if scopes.may(user, "volunteers.counter", v)]
        village = found.village if scopes.may(user, "volunteers.counter", found.village) else None
        if request.GET.get("village") or request.POST.get("village"):
            village = _village_param(request, villages)
        items = list(store.store_items(actor=user, village=village)) if village is not None else []
    if request.method == "POST" and found is not None and form.is_valid():
        item = store.item_get(actor=user, pk=_pk(form.cleaned_data["item"]))
        try:
            entry = store.redeem(actor=user, account_code=found.code, item=item)
        except DomainError as exc:
            _refused(form, exc)
            status = 400
        else:
            messages.success(request, _("已兑换“%(item)s”，扣除%(points)s积分") % {
                "item": item.name, "points": -entry.points})
            return redirect(reverse("volunteers:counter") + "?" + urlencode({"code": found.code}))
    elif request.method == "POST" and status == 200:
        status = 400
    return render(request, "volunteers/store_counter.html", {
        "form": form, "account": found, "balance": ledger.balance(found) if found is not None else None,
        "items": items, "error": error, "code": code if found is not None else ""}, status=status)


# ---- activities ----------------------------------------------------------------------------------------

@bank_page
def activity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = activities.activities_for(user).order_by("-starts_at", "-id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "volunteers/activity_list.html", {
        "page": page, "may_create": activities.teams_to_run(user).exists(), "now": clock.now()})


@bank_page
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest) -> HttpResponse:
    teams = activities.teams_to_run(request.user)
    if not teams.exists():
        raise NotFound()
    form = f.ActivityForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            found = activities.activity_create(
                actor=request.user, team=d["team"], title=d["title"], text=d["text"], place=d["place"],
                skill=d["skill"], starts_at=d["starts_at"], ends_at=d["ends_at"], capacity=d["capacity"],
                multiplier=d["multiplier"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("活动已发布"))
            return redirect("volunteers:activity", found.pk)
    return render(request, "volunteers/activity_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _activity_context(request, activity, **extra) -> dict:
    user = request.user
    may_run = activities.may_run(user, activity)
    return {"activity": activity, "mine": activities.signup_of(user, activity), "may_run": may_run,
            "signups": list(activities.signups(activity)) if may_run else [],
            "taken": activity.signups.filter(cancelled_at__isnull=True).count(),
            "code_form": extra.pop("code_form", None) or f.CodeForm(), "now": clock.now(),
            "volunteer": access.volunteer_for(user), **extra}


@bank_page
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = activities.activity_get(actor=request.user, pk=_pk(pk))
    return render(request, "volunteers/activity_detail.html", _activity_context(request, found))


@bank_page
def activity_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader's screen at the venue: the QR code of the check-in link, and the code to type."""
    found = activities.activity_get(actor=request.user, pk=_pk(pk))
    activities.require_run(request.user, found)
    link = request.build_absolute_uri(reverse("volunteers:activity_checkin")) + "?" + urlencode(
        {"t": found.checkin_secret})
    return render(request, "volunteers/activity_screen.html", {"activity": found, "qr": checkin_qr(link)})


@bank_page
@require_http_methods(["GET", "POST"])
def activity_checkin(request: HttpRequest) -> HttpResponse:
    """The volunteer's phone after scanning the screen's QR code: one tap checks in, the next out."""
    secret = request.POST.get("t") if request.method == "POST" else request.GET.get("t")
    found = activities.by_secret(actor=request.user, secret=secret or "")
    if request.method == "POST":
        done = activities.scan(actor=request.user, activity=found, secret=secret)
        messages.success(request, _("已签到") if done == "in" else _("已签退"))
        return redirect("volunteers:activity", found.pk)
    return render(request, "volunteers/activity_checkin.html", {"activity": found, "secret": secret,
                                                                "mine": activities.signup_of(request.user, found)})


ACTIONS = {"signup", "cancel", "code", "mark", "close", "call_off"}


@bank_page
@require_POST
def activity_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    found = activities.activity_get(actor=user, pk=_pk(pk))
    if action not in ACTIONS:
        raise Http404()
    if action == "signup":
        activities.signup(actor=user, activity=found)
        messages.success(request, _("报名成功"))
    elif action == "cancel":
        activities.signup_cancel(actor=user, activity=found)
        messages.success(request, _("已取消报名"))
    elif action == "code":
        form = f.CodeForm(request.POST)
        if not form.is_valid():
            return render(request, "volunteers/activity_detail.html",
                          _activity_context(request, found, code_form=form), status=400)
        try:
            done = activities.scan(actor=user, activity=found, code=form.cleaned_data["code"])
        except DomainError as exc:
            _refused(form, exc)
            return render(request, "volunteers/activity_detail.html",
                          _activity_context(request, found, code_form=form), status=400)
        messages.success(request, _("已签到") if done == "in" else _("已签退"))
    elif action == "mark":
        done = activities.mark(actor=user, activity=found, signup_id=id_or_none(request.POST.get("signup")))
        messages.success(request, _("已代为签到") if done == "in" else _("已代为签退"))
    elif action == "close":
        entries = activities.close(actor=user, activity=found)
        messages.success(request, _("活动已结束，%(n)s位志愿者记入时长") % {"n": len(entries)})
    elif action == "call_off":
        activities.cancel(actor=user, activity=found, reason=request.POST.get("reason", ""))
        messages.success(request, _("活动已取消，已通知报名的志愿者"))
    return redirect("volunteers:activity", found.pk)


# ---- certificate ---------------------------------------------------------------------------------------

def _certificate(request: HttpRequest, volunteer) -> HttpResponse:
    form = f.PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            cert = reports.certificate_for(actor=request.user, volunteer=volunteer, first=d["first"], last=d["last"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            response = HttpResponse(reports.certificate_docx(cert), content_type=(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
            response["Content-Disposition"] = (
                f'attachment; filename="certificate-{volunteer.pk}-{d["first"]:%Y%m%d}-{d["last"]:%Y%m%d}.docx"')
            return response
    return render(request, "volunteers/bank_certificate.html", {"form": form, "volunteer": volunteer},
                  status=400 if form.is_bound else 200)


@bank_page
def my_certificate(request: HttpRequest) -> HttpResponse:
    volunteer = access.volunteer_for(request.user)
    if volunteer is None:
        raise NotFound()
    return _certificate(request, volunteer)


@bank_page
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    return _certificate(request, reports.volunteer_get(actor=request.user, pk=_pk(pk)))


# ---- 志愿之星 ------------------------------------------------------------------------------------------

@bank_page
def ranking(request: HttpRequest) -> HttpResponse:
    user = request.user
    villages = reports.villages_for(user)
    own = access.volunteer_for(user)
    if own is not None and all(v.pk != own.village_id for v in villages):
        villages.insert(0, own.village)
    village = _village_param(request, villages)
    today = clock.today()
    text = request.GET.get("month") or f"{today:%Y-%m}"
    parts = text.split("-")
    if len(parts) != 2:
        raise DomainError(_("月份格式应为 年-月，如 2026-12"), fields={"month": [_("月份格式应为 年-月，如 2026-12")]})
    year = parse_int("month", parts[0], required=True, min_value=2000, max_value=2999)
    month = parse_int("month", parts[1], required=True, min_value=1, max_value=12)
    rows = reports.village_ranking(actor=user, village=village, year=year, month=month)
    return render(request, "volunteers/bank_ranking.html", {
        "village": village, "villages": villages, "rows": rows, "month": f"{year:04d}-{month:02d}"})


# ---- civic points --------------------------------------------------------------------------------------

@staff_page(action="volunteers.award")
@require_http_methods(["GET", "POST"])
def civic_award(request: HttpRequest) -> HttpResponse:
    """Find a resident in scope by name, pick the act, write a note: the points go to their account."""
    user = request.user
    name = request.GET.get("name", "").strip()[:50]
    found = list(civic.residents_in_scope(user, name=name)) if name else []
    form = f.AwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        resident = civic.resident_get(actor=user, pk=_pk(d["resident"]))
        try:
            entry, created = civic.desk_award(actor=user, resident=resident, act_code=d["act_code"], note=d["note"],
                                              token=d["token"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            if created:
                messages.success(request, _("已为%(name)s记入%(points)s积分") % {
                    "name": resident.name, "points": entry.points})
            else:
                messages.info(request, _("该次记分已记录过（%(name)s %(points)s积分），未重复记入") % {
                    "name": resident.name, "points": entry.points})
            return redirect("volunteers:civic")
    token = form.data.get("token", "") if form.is_bound else ""
    if not (len(token) == 32 and token.isascii() and token.isalnum()):
        token = civic.new_token()
    return render(request, "volunteers/civic_award.html", {
        "form": form, "name": name, "found": found, "acts": CivicAct.objects.filter(is_active=True), "token": token},
        status=400 if request.method == "POST" else 200)

