"""Accounts: staff creation, password login within failure limits, resident login by one-time SMS code."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from shanzhi.accounts.models import OneTimeCode, User, UserKind
from shanzhi.accounts.sms import send_sms
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.codes import CodeError, normalise_phone
from shanzhi.lib.crypto import lookup_hash
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.people.models import Resident, ResidentStatus


def _bad_credentials() -> str:
    # One answer for an unknown user, a wrong password and a refused (over the limit) attempt.
    return _("用户名或密码错误")


class LoginError(DomainError):
    code = "login_failed"
    status = 400


@transaction.atomic
def user_create_staff(*, actor, username: str, password: str, display_name: str = "",
                      is_superuser: bool = False, check_strength: bool = True,
                      is_staff: bool | None = None) -> User:
    """Create a staff account. Scope comes from posts, not from the account.

    `is_staff` opens the Django admin (still scoped); it defaults to `is_superuser`.
    """
    username = (username or "").strip()
    if not username:
        raise DomainError(_("用户名不能为空"), fields={"username": [_("必填")]})
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名“%(username)s”已存在") % {"username": username},
                          fields={"username": [_("已存在")]})
    user = User(username=username, display_name=display_name or username, kind=UserKind.STAFF,
                is_superuser=is_superuser, is_staff=is_superuser if is_staff is None else is_staff)
    if check_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(_("密码强度不足：") + "；".join(exc.messages),
                              fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="accounts.user.create", obj=user,
                 after={"username": username, "superuser": is_superuser, "admin_site": user.is_staff})
    return user


def staff_authenticate(*, username: str, password: str, request=None) -> User:
    """Check a staff password, within the failure limits of `login_limits` (django-axes).

    With a request (pages, admin, API) the check goes through `django.contrib.auth.authenticate`, which
    records failures per account and client address and refuses pairs and addresses past their limits.
    Unknown user, wrong password and refused attempt answer the same. Without a request (trusted
    in-process callers such as the demo's own checks) only the password is checked.
    """
    from django.contrib.auth import authenticate

    from shanzhi.accounts.backends import StaffPasswordBackend

    if request is not None:
        user = authenticate(request, username=username, password=password)
    else:
        user = StaffPasswordBackend().authenticate(None, username=username, password=password)
    if user is None:
        raise LoginError(_bad_credentials())
    user.last_login = clock.now()
    user.save(update_fields=["last_login"])
    return user


@transaction.atomic
def user_unlock(*, actor, user: User) -> int:
    """Forget a staff account's failed log-ins from every address (django-axes). Audited.

    Returns the failures cleared. `actor` None is the operator (command line); otherwise someone whose
    scope for appointing covers the whole tree, or who may appoint posts where the account holds one.
    Anyone else gets not found.
    """
    from shanzhi.accounts import login_limits, scopes

    if not scopes.covers_all(actor, "org.posts"):
        from shanzhi.org.models import Post

        units = Post.objects.filter(Post.current_q(), user=user).select_related("unit")
        if not any(scopes.may(actor, "org.posts", p.unit) for p in units):
            raise NotFound(_("未找到该用户"))
    failures = login_limits.failures_for(user.username)
    login_limits.reset_username(user.username)
    audit_record(actor=actor, action="accounts.user.unlock", obj=user,
                 before={"failed_logins": failures}, after={"failed_logins": 0})
    return failures


def _phone(phone: str) -> str:
    try:
        return normalise_phone(phone)
    except CodeError as exc:
        raise DomainError(str(exc), fields={"phone": [str(exc)]}) from exc


def _code_hash(phone_hash: str, code: str) -> str:
    """Keyed hash of a code. Six digits are guessable offline whatever the hasher; the secret key,
    the expiry and the attempt limit are what protect them, so a fast HMAC is enough (and does not
    depend on PASSWORD_HASHERS)."""
    return "hmac$" + salted_hmac("shanzhi.accounts.otp", f"{phone_hash}:{code}", algorithm="sha256").hexdigest()


def otp_request(*, phone: str) -> None:
    """Send a login code to a resident's phone, rate limited; unknown numbers get no code but the same answer."""
    phone = _phone(phone)
    h = lookup_hash(phone)
    now = clock.now()
    cfg = settings.SHANZHI
    with transaction.atomic():
        recent = OneTimeCode.objects.filter(phone_hash=h, created_at__gte=now - dt.timedelta(hours=1))
        last = recent.order_by("-created_at").first()
        if last and (now - last.created_at).total_seconds() < cfg["OTP_MIN_INTERVAL_SECONDS"]:
            wait = int(cfg["OTP_MIN_INTERVAL_SECONDS"] - (now - last.created_at).total_seconds()) + 1
            raise DomainError(_("验证码发送过于频繁，请%(wait)s秒后再试") % {"wait": wait}, code="throttled")
        if recent.count() >= cfg["OTP_MAX_PER_HOUR"]:
            raise DomainError(_("该号码一小时内获取验证码次数已达上限，请稍后再试"), code="throttled")
        known = Resident.objects.filter(phone_hash=h, status=ResidentStatus.ACTIVE).exists()
        code = f"{secrets.randbelow(10**6):06d}"
        OneTimeCode.objects.create(phone_hash=h, code_hash=_code_hash(h, code),
                                   created_at=now, expires_at=now + dt.timedelta(seconds=cfg["OTP_TTL_SECONDS"]))
    if known:
        # The SMS text stays Chinese: it goes to the resident's phone, not the current page.
        send_sms(phone, f"【善治】您的登录验证码是{code}，{cfg['OTP_TTL_SECONDS'] // 60}分钟内有效。")


def otp_login(*, phone: str, code: str) -> User:
    """Check a one-time code and return the resident's account, creating it on first login.

    A wrong code is counted (and the count commits even though the call fails); a code is
    single-use and expires. Unknown numbers answer like a wrong or expired code.
    """
    phone = _phone(phone)
    h = lookup_hash(phone)
    now = clock.now()
    expired = _("验证码已失效，请重新获取")
    wrong = False
    with transaction.atomic():
        otp = (OneTimeCode.objects.select_for_update()
               .filter(phone_hash=h, used_at__isnull=True, expires_at__gt=now).order_by("-created_at").first())
        if otp is None or otp.attempts >= settings.SHANZHI["OTP_MAX_ATTEMPTS"]:
            raise LoginError(expired, code="expired")
        if not constant_time_compare(_code_hash(h, (code or "").strip()), otp.code_hash):
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
            wrong = True
        else:
            resident = Resident.objects.filter(phone_hash=h, status=ResidentStatus.ACTIVE).order_by("id").first()
            if resident is None:
                raise LoginError(expired, code="expired")
            otp.used_at = now
            otp.save(update_fields=["used_at"])
            user = User.objects.filter(resident=resident).first()
            if user is None:
                user = User(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                            resident=resident, phone_hash=h)
                user.set_unusable_password()
                user.save()
                audit_record(actor=user, action="accounts.user.create", obj=user, after={"kind": "resident"})
            if not user.is_active:
                raise LoginError(expired, code="expired")
            user.last_login = now
            user.save(update_fields=["last_login"])
    if wrong:
        raise LoginError(_("验证码错误"))
    return user


@transaction.atomic
def token_issue(*, actor, user: User):
    """Return the user's API token, creating it on first use or when expired. Audited when created."""
    from rest_framework.authtoken.models import Token

    from shanzhi.accounts.tokens import token_expired

    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
        audit_record(actor=actor, action="accounts.token.issue", obj=user)
    return token


@transaction.atomic
def token_revoke(*, actor, user: User) -> bool:
    """Delete the user's API token; True when there was one. Audited."""
    from rest_framework.authtoken.models import Token

    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=actor, action="accounts.token.revoke", obj=user)
    return bool(deleted)
