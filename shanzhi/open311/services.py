"""Writes of the Open311 adapter: issue and revoke API keys, and raise a case from a POST request.

A key is a random string shown once; only its SHA-256 is stored, with its first 8 characters as a prefix
to recognise it by. ``address_id`` in a request is the code of one of our units (a micro-grid or grid,
the county's own addressing system): the case is placed at the unit's centre.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shanzhi.audit.services import audit_record
from shanzhi.cases.models import ApiKey, Case, Category, Channel, Event, Priority
from shanzhi.cases.routing import county_root
from shanzhi.cases.services import case_report
from shanzhi.lib import clock, crypto
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.geometry import GeometryError, check_lat_lon
from shanzhi.open311.attributes import parse_attributes
from shanzhi.open311.selectors import hash_key, may_manage_keys
from shanzhi.org.models import OrgUnit

PREFIX_LENGTH = 8
MAX_NAME = 100
MAX_MEDIA_URL = 500
# case_report's field names -> the request parameters a client sent.
PARAMETER_NAMES = {"lat": "lat", "reporter_phone": "phone", "description": "description",
                   "category": "service_code", "idempotency_key": "Idempotency-Key"}
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")


# ---- API keys ------------------------------------------------------------------------------

def _root_path() -> str:
    root = county_root()
    return root.path if root else ""


def _check_manager(actor) -> None:
    if actor is not None and not may_manage_keys(actor):
        raise NotFound("未找到")


def _new_plain_key() -> str:
    """A random key whose prefix starts with a letter or digit (so it never looks like an option)."""
    while True:
        plain = secrets.token_urlsafe(32)
        if plain[0].isalnum() and not ApiKey.objects.filter(prefix=plain[:PREFIX_LENGTH]).exists():
            return plain


@transaction.atomic
def apikey_issue(*, actor, name: str) -> tuple[ApiKey, str]:
    """Issue a key for an Open311 client; return the key row and the plain key (shown once, never stored)."""
    _check_manager(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写客户端名称"), fields={"name": [_("请填写客户端名称")]})
    if len(name) > MAX_NAME:
        msg = _("名称不能超过%(n)s字") % {"n": MAX_NAME}
        raise DomainError(msg, fields={"name": [msg]})
    plain = _new_plain_key()
    key = ApiKey.objects.create(name=name, prefix=plain[:PREFIX_LENGTH], key_hash=hash_key(plain),
                                created_at=clock.now(), created_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="open311.key_issue", obj=key, unit_path=_root_path(),
                 after={"name": key.name, "prefix": key.prefix})
    return key, plain


@transaction.atomic
def apikey_revoke(*, actor, key: ApiKey) -> ApiKey:
    """Revoke a key: from now on requests carrying it are refused with 403."""
    _check_manager(actor)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise DomainError(_("密钥 %(prefix)s… 已经吊销") % {"prefix": key.prefix}, code="already_revoked")
    key.revoked_at = clock.now()
    key.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="open311.key_revoke", obj=key, unit_path=_root_path(),
                 before={"revoked_at": None}, after={"revoked_at": key.revoked_at.isoformat()})
    return key


# ---- POST requests -------------------------------------------------------------------------

def _get(data: Mapping, name: str, limit: int = 200) -> str:
    return (data.get(name) or "").strip()[:limit]


def _service(code: str) -> Category:
    if not code:
        raise DomainError(_("缺少 service_code"), fields={"service_code": [_("必填")]})
    category = (Category.objects.filter(code=code, is_active=True)
                .exclude(pk__in=Category.objects.filter(parent__isnull=False).values("parent_id")).first())
    if category is None:
        raise DomainError(_("未知的 service_code“%(code)s”") % {"code": code},
                          fields={"service_code": [_("未知的服务代码“%(code)s”") % {"code": code}]})
    return category


def _location(data: Mapping) -> tuple[float | None, float | None, str]:
    """lat+long, address_string or address_id: at least one (the spec's rule)."""
    raw_lat, raw_lon = _get(data, "lat", 40), _get(data, "long", 40)
    address = _get(data, "address_string")
    address_id = _get(data, "address_id", 40)
    lat = lon = None
    if raw_lat or raw_lon:
        if not (raw_lat and raw_lon):
            raise DomainError(_("lat 和 long 须同时提供"), fields={"lat": [_("lat 和 long 须同时提供")]})
        try:
            lat, lon = check_lat_lon(raw_lat, raw_lon)
        except GeometryError as exc:
            raise DomainError(str(exc), fields={"lat": [str(exc)]}) from exc
    if address_id:
        unit = OrgUnit.objects.filter(code=address_id, is_active=True).first()
        if unit is None:
            raise DomainError(_("未知的 address_id“%(id)s”") % {"id": address_id},
                              fields={"address_id": [_("应为网格或微网格编码")]})
        if lat is None and unit.centre_lat is not None:
            lat, lon = unit.centre_lat, unit.centre_lon
        address = address or unit.name
    if lat is None and not address and not address_id:
        msg = _("须提供位置：lat 和 long、address_string 或 address_id 之一")
        raise DomainError(msg, fields={"lat": [msg]})
    return lat, lon, address


def _reporter_name(first: str, last: str) -> str:
    """Chinese names are family name first with no space; others "first last"."""
    if first and last and _CJK.match(first) and _CJK.match(last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _client_key(api_key: ApiKey, key: str) -> str | None:
    """Namespace a client's Idempotency-Key so two clients can never collide (fits the 64-char column)."""
    key = (key or "").strip()
    if not key:
        return None
    return f"o311-{api_key.pk}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _check_extras(data: Mapping) -> dict:
    errors: dict[str, list[str]] = {}
    email = _get(data, "email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("邮箱地址格式错误")]
    media_url = _get(data, "media_url", 2000)
    if media_url:
        try:
            if len(media_url) > MAX_MEDIA_URL:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors["media_url"] = [_("media_url 应为不超过500字符的 http(s) 地址")]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    return {"email": email, "media_url": media_url, "device_id": _get(data, "device_id", 100),
            "account_id": _get(data, "account_id", 100)}


def _renamed(exc: DomainError) -> DomainError:
    fields = {PARAMETER_NAMES.get(k, k): v for k, v in exc.fields.items()}
    return type(exc)(str(exc), fields=fields, code=exc.code)


def open311_request_create(*, api_key: ApiKey, data: Mapping, idempotency_key: str | None = None) -> Case:
    """Raise a case from a GeoReport v2 POST; a repeated Idempotency-Key returns the case already made.

    Everything is checked before anything is written; the case, its timeline, audit row and the
    client's details (media_url, device and account ids, email encrypted) commit together.
    """
    if api_key is None or api_key.revoked_at is not None:
        raise PermissionDenied(_("api_key 无效或已吊销"))
    key = _client_key(api_key, idempotency_key or "")
    if key:
        existing = Case.objects.filter(idempotency_key=key, open311_client=api_key).first()
        if existing is not None:
            return existing
    category = _service(_get(data, "service_code", 40))
    lat, lon, address = _location(data)
    answers = parse_attributes(data, category)
    extras = _check_extras(data)
    description = (data.get("description") or "").strip() or category.name
    try:
        with transaction.atomic():
            case = case_report(
                actor=None, kind=category.kind, category=category, description=description,
                channel=Channel.OPEN311, lat=lat, lon=lon, address=address,
                priority=str(answers.get("priority") or Priority.NORMAL),
                reporter_name=_reporter_name(_get(data, "first_name", 50), _get(data, "last_name", 50)),
                reporter_phone=_get(data, "phone", 40), idempotency_key=key, api_key=api_key)
            if key and Event.objects.filter(case=case, action="open311").exists():
                return case  # made a moment ago by the same submission
            Event.objects.create(
                case=case, at=case.reported_at, actor=None, actor_label=f"Open311：{api_key.name}"[:100],
                action="open311", to_status=case.status, note=extras["media_url"], public=False,
                data={"client": api_key.prefix, "media_url": extras["media_url"],
                      "device_id": extras["device_id"], "account_id": extras["account_id"],
                      "email_enc": crypto.encrypt(extras["email"]), "attributes": answers})
    except DomainError as exc:
        raise _renamed(exc) from exc
    except IntegrityError:
        # Two identical submissions at once: the other one won; answer with its case.
        existing = Case.objects.filter(idempotency_key=key, open311_client=api_key).first() if key else None
        if existing is None:
            raise
        return existing
    return case
