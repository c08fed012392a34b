"""Accounts: staff creation, password login with lock-out, resident login by one-time SMS code."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from shanzhi.accounts.models import OneTimeCode, User, UserKind
from shanzhi.accounts.sms import send_sms
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.codes import CodeError, normalise_phone
from shanzhi.lib.crypto import lookup_hash
from shanzhi.lib.errors import DomainError
from shanzhi.people.models import Resident, ResidentStatus

LOCKED_MESSAGE = "登录失败次数过多，账号已临时锁定，请{minutes}分钟后再试"


class LoginError(DomainError):
    code = "login_failed"
    status = 400


@transaction.atomic
def user_create_staff(*, actor, username: str, password: str, display_name: str = "",
                      is_superuser: bool = False, check_strength: bool = True) -> User:
    """Create a staff account. Scope comes from posts, not from the account."""
    username = (username or "").strip()
    if not username:
        raise DomainError("用户名不能为空", fields={"username": ["必填"]})
    if User.objects.filter(username=username).exists():
        raise DomainError(f"用户名“{username}”已存在", fields={"username": ["已存在"]})
    user = User(username=username, display_name=display_name or username, kind=UserKind.STAFF,
                is_superuser=is_superuser, is_staff=is_superuser)
    if check_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError("密码强度不足：" + "；".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="accounts.user.create", obj=user,
                 after={"username": username, "superuser": is_superuser})
    return user


def staff_authenticate(*, username: str, password: str) -> User:
    """Check a staff password; count failures and lock the account after too many.

    Always answers the same for an unknown user and a wrong password. Each attempt commits.
    """
    now = clock.now()
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    minutes = settings.SHANZHI["LOGIN_LOCK_MINUTES"]
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username, kind=UserKind.STAFF).first()
        if user is None:
            make_password(password)  # spend the same time as a real check
            raise LoginError("用户名或密码错误")
        if user.locked_until and user.locked_until > now:
            raise LoginError(LOCKED_MESSAGE.format(minutes=minutes), code="locked")
        if not user.is_active or not user.check_password(password):
            user.failed_logins += 1
            fields = ["failed_logins"]
            locked = user.failed_logins >= limit
            if locked:
                user.locked_until = now + dt.timedelta(minutes=minutes)
                user.failed_logins = 0
                fields.append("locked_until")
                audit_record(actor=None, action="accounts.user.locked", obj=user,
                             after={"until": user.locked_until.isoformat()})
            user.save(update_fields=fields)
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login = now
            user.save(update_fields=["failed_logins", "locked_until", "last_login"])
            return user
    if locked:
        raise LoginError(LOCKED_MESSAGE.format(minutes=minutes), code="locked")
    raise LoginError("用户名或密码错误")


def _phone(phone: str) -> str:
    try:
        return normalise_phone(phone)
    except CodeError as exc:
        raise DomainError(str(exc), fields={"phone": [str(exc)]}) from exc


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
            raise DomainError(f"验证码发送过于频繁，请{wait}秒后再试", code="throttled")
        if recent.count() >= cfg["OTP_MAX_PER_HOUR"]:
            raise DomainError("该号码一小时内获取验证码次数已达上限", code="throttled")
        known = Resident.objects.filter(phone_hash=h, status=ResidentStatus.ACTIVE).exists()
        code = f"{secrets.randbelow(10**6):06d}"
        OneTimeCode.objects.create(phone_hash=h, code_hash=make_password(code, hasher="pbkdf2_sha256"),
                                   created_at=now, expires_at=now + dt.timedelta(seconds=cfg["OTP_TTL_SECONDS"]))
    if known:
        send_sms(phone, f"【善治】您的登录验证码是{code}，{cfg['OTP_TTL_SECONDS'] // 60}分钟内有效。")


@transaction.atomic
def otp_login(*, phone: str, code: str) -> User:
    """Check a one-time code and return the resident's account, creating it on first login."""
    phone = _phone(phone)
    h = lookup_hash(phone)
    now = clock.now()
    otp = (OneTimeCode.objects.select_for_update()
           .filter(phone_hash=h, used_at__isnull=True, expires_at__gt=now).order_by("-created_at").first())
    if otp is None or otp.attempts >= settings.SHANZHI["OTP_MAX_ATTEMPTS"]:
        raise LoginError("验证码已失效，请重新获取", code="expired")
    if not check_password((code or "").strip(), otp.code_hash):
        otp.attempts += 1
        otp.save(update_fields=["attempts"])
        raise LoginError("验证码错误")
    resident = Resident.objects.filter(phone_hash=h, status=ResidentStatus.ACTIVE).order_by("id").first()
    if resident is None:
        raise LoginError("验证码已失效，请重新获取", code="expired")
    otp.used_at = now
    otp.save(update_fields=["used_at"])
    user = User.objects.filter(resident=resident).first()
    if user is None:
        user = User(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                    resident=resident, phone_hash=h)
        user.set_unusable_password()
        user.save()
        audit_record(actor=user, action="accounts.user.create", obj=user, after={"kind": "resident"})
    user.last_login = now
    user.save(update_fields=["last_login"])
    return user
