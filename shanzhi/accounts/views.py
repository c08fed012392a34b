"""Login pages: staff by username and password, residents by phone number and one-time code."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from shanzhi.accounts.forms import CodeForm, PhoneForm, StaffLoginForm
from shanzhi.accounts.services import LoginError, otp_login, otp_request, staff_authenticate
from shanzhi.accounts.throttles import throttle_wait
from shanzhi.lib.codes import CodeError, mask_phone, normalise_phone
from shanzhi.lib.errors import DomainError

BACKEND = "shanzhi.accounts.backends.StaffPasswordBackend"
SESSION_PHONE = "shanzhi_otp_phone"


def _home() -> str:
    try:
        return reverse(settings.LOGIN_REDIRECT_URL)
    except NoReverseMatch:
        return "/"


def _next(request: HttpRequest) -> str:
    """The safe ?next= target (same host only), or the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return _home()


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """Show and check the staff login form; unknown user, wrong password and refused attempt read the same."""
    form = StaffLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_authenticate(username=form.cleaned_data["username"],
                                      password=form.cleaned_data["password"], request=request)
        except LoginError as exc:
            error = str(exc)
        else:
            login(request, user, backend=BACKEND)  # rotates the session key
            return redirect(_next(request))
    status = 200 if request.method == "GET" or not (error or form.errors) else 400
    return render(request, "accounts/login.html",
                  {"form": form, "error": error, "next": request.POST.get("next") or request.GET.get("next", "")},
                  status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def resident_login(request: HttpRequest) -> HttpResponse:
    """Step 1: a phone number gets a code (if known; the answer is the same). Step 2: the code logs in."""
    if request.GET.get("restart"):
        request.session.pop(SESSION_PHONE, None)
        return redirect("accounts:resident_login")
    phone = request.session.get(SESSION_PHONE, "")
    ctx: dict = {"next": request.POST.get("next") or request.GET.get("next", ""), "error": ""}
    status = 200
    step = request.POST.get("step") if request.method == "POST" else ("code" if phone else "phone")
    if step == "phone":
        form = PhoneForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            raw = form.cleaned_data["phone"]
            try:
                _throttle_otp(request)
                otp_request(phone=raw)
                phone = normalise_phone(raw)
            except (DomainError, CodeError) as exc:
                ctx["error"], status = str(exc), getattr(exc, "status", 400)
            else:
                request.session[SESSION_PHONE] = phone
                messages.info(request, _sent_notice(phone))
                return redirect(_self(ctx["next"]))
        elif request.method == "POST":
            status = 400
        ctx.update(step="phone", form=form)
        return render(request, "accounts/resident_login.html", ctx, status=status)
    if step == "resend":
        if not phone:
            return redirect("accounts:resident_login")
        try:
            _throttle_otp(request)
            otp_request(phone=phone)
        except (DomainError, CodeError) as exc:
            ctx["error"], status = str(exc), getattr(exc, "status", 400)
        else:
            messages.info(request, _sent_notice(phone))
            return redirect(_self(ctx["next"]))
        ctx.update(step="code", form=CodeForm(), masked=mask_phone(phone))
        return render(request, "accounts/resident_login.html", ctx, status=status)
    # step == "code"
    if not phone:
        return redirect("accounts:resident_login")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = otp_login(phone=phone, code=form.cleaned_data["code"])
            except (DomainError, CodeError) as exc:
                ctx["error"] = str(exc)
            else:
                request.session.pop(SESSION_PHONE, None)
                login(request, user, backend=BACKEND)
                return redirect(_next(request))
        status = 400
    ctx.update(step="code", form=form, masked=mask_phone(phone))
    return render(request, "accounts/resident_login.html", ctx, status=status)


class Throttled(DomainError):
    code = "throttled"
    status = 429


def _throttle_otp(request: HttpRequest) -> None:
    """Refuse a code request past this client address's rate (SHANZHI_OTP_RATE), whatever the number."""
    wait = throttle_wait(request, "otp")
    if wait is not None:
        raise Throttled(_("本机获取验证码过于频繁，请%(wait)s秒后再试") % {"wait": wait})


def _self(next_url: str) -> str:
    url = reverse("accounts:resident_login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _sent_notice(phone: str) -> str:
    # Same words whether or not the number is registered: the page must not reveal who lives here.
    return _("如果 %(phone)s 已在社区登记，验证码已发送，%(minutes)s分钟内有效。") % {
        "phone": mask_phone(phone), "minutes": settings.SHANZHI["OTP_TTL_SECONDS"] // 60}
