"""The read side of GeoReport v2: discovery, services, service definitions and public requests.

What is published: public (``is_public``), non-void problem reports. Help requests (求助: hardship,
elderly care, medical help, policy questions) concern a person and are never published, nor are
reporter names, phones, households or anyone's personal data. For a case placed at a household's
home the address is left out and the coordinates are rounded to about 100 m.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from shanzhi.cases.models import OPEN_STATUSES, Case, Category, Channel, Event, Kind, Status
from shanzhi.lib import clock
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.open311.attributes import attributes_for

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's changeset).
CHANGESET = dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DEFAULT_DAYS = 90
MAX_SPAN_DAYS = 90
MAX_RESULTS = 1000

OPEN = (*OPEN_STATUSES, Status.PARKED)
CLOSED = (Status.CLOSED, Status.RATED, Status.VOID, Status.DUPLICATE)
# Timeline steps whose note is a public account of progress (status_notes).
NOTE_ACTIONS = ("accept", "start", "report_back", "verify", "close", "park", "unpark", "duplicate", "escalate")
NOTICES = {
    Status.REPORTED: gettext_lazy("已上报，等待受理"),
    Status.ACCEPTED: gettext_lazy("已受理"),
    Status.DISPATCHED: gettext_lazy("已派遣"),
    Status.HANDLING: gettext_lazy("处置中"),
    Status.HANDLED: gettext_lazy("已处置，等待核查"),
    Status.VERIFIED: gettext_lazy("已核查，等待结案"),
    Status.CLOSED: gettext_lazy("已结案"),
    Status.RATED: gettext_lazy("已结案并评价"),
    Status.PARKED: gettext_lazy("挂账（暂缓处置）"),
    Status.VOID: gettext_lazy("已作废"),
    Status.DUPLICATE: gettext_lazy("与其他诉求重复，已合并"),
}


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the local offset, e.g. 2026-11-25T10:00:00+08:00."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _english() -> bool:
    return (get_language() or "").startswith("en")


def label(category: Category | None) -> str:
    if category is None:
        return ""
    return category.name_en if _english() and category.name_en else category.name


# ---- discovery and services ----------------------------------------------------------------

def discovery(*, endpoint_url: str, keys_url: str) -> dict:
    return {
        "changeset": iso(CHANGESET),
        "contact": _("问题与对接请联系县社会治理中心（县级管理员）。"),
        "key_service": _("API 密钥由县级管理员在 %(url)s 签发。") % {"url": keys_url},
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url,
            "changeset": iso(CHANGESET),
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def leaf_categories() -> QuerySet[Category]:
    """Active categories without children: the services a client may request."""
    parents = Category.objects.filter(parent__isnull=False).values("parent_id")
    return Category.objects.filter(is_active=True).exclude(pk__in=parents).select_related("parent")


def service_dict(category: Category) -> dict:
    keywords = [k for k in re.split(r"[\s,，、]+", category.keywords or "") if k]
    return {
        "service_code": category.code,
        "service_name": label(category),
        "description": category.description or label(category),
        "metadata": bool(attributes_for(category)),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": label(category.parent),
    }


def service_list() -> list[dict]:
    return [service_dict(c) for c in leaf_categories()]


def service_definition(code: str) -> dict:
    category = leaf_categories().filter(code=code).first()
    if category is None:
        raise NotFound(_("未知的 service_code“%(code)s”") % {"code": code})
    return {"service_code": category.code, "attributes": [a.as_dict() for a in attributes_for(category)]}


# ---- requests ------------------------------------------------------------------------------

def published() -> QuerySet[Case]:
    """Cases the whole internet may see, with what the listing needs in one query."""
    notes = (Event.objects.filter(case=OuterRef("pk"), public=True, action__in=NOTE_ACTIONS)
             .exclude(note="").order_by("-at", "-id").values("note")[:1])
    media = (Event.objects.filter(case=OuterRef("pk"), action="open311").exclude(note="")
             .order_by("id").values("note")[:1])
    return (Case.objects.filter(is_public=True).exclude(status=Status.VOID).exclude(kind=Kind.HELP)
            .select_related("category", "unit", "handling_unit", "department")
            .defer("unit__boundary", "handling_unit__boundary", "reporter_phone_enc")
            .annotate(status_notes=Subquery(notes), media_url=Subquery(media)))


def request_dict(case: Case) -> dict:
    """A case as the whole internet sees it: free text with phone and ID numbers masked, no names."""
    at_home = case.household_id is not None
    lat, lon = case.lat, case.lon
    if at_home and lat is not None:
        lat, lon = round(lat, 3), round(lon, 3)
    return {
        "service_request_id": case.number,
        "status": "open" if case.status in OPEN else "closed",
        "status_notes": mask_text(getattr(case, "status_notes", None) or ""),
        "service_name": label(case.category),
        "service_code": case.category.code,
        "description": mask_text(case.description),
        "agency_responsible": case.department.name if case.department_id else case.handling_unit.name,
        "service_notice": str(NOTICES.get(case.status, "")),
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.deadline_at),
        "address": "" if at_home else mask_text(case.address),
        "address_id": case.unit.code,
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": getattr(case, "media_url", None) or "",
    }


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def parse_datetime(name: str, value: str) -> dt.datetime:
    """A W3C / ISO 8601 datetime with its timezone (Z or ±hh:mm); 400 naming the parameter otherwise."""
    text = _SPACE_OFFSET.sub(r"+\1", value.strip())  # an unencoded "+" arrives as a space
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or timezone.is_naive(parsed):
        msg = _("%(name)s 应为带时区的 ISO 8601 时间，例如 2026-11-25T10:00:00+08:00（收到“%(value)s”）") % {
            "name": name, "value": value[:40]}
        raise DomainError(msg, fields={name: [msg]})
    return parsed


def window(params: Mapping, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """start_date..end_date; missing ends default to a 90-day window, and no window may span more."""
    raw_start, raw_end = (params.get("start_date") or "").strip(), (params.get("end_date") or "").strip()
    start = parse_datetime("start_date", raw_start) if raw_start else None
    end = parse_datetime("end_date", raw_end) if raw_end else None
    span = dt.timedelta(days=MAX_SPAN_DAYS)
    if start is None and end is None:
        end = now
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_DAYS)
    if end is None:
        end = start + span
    if start > end:
        msg = _("start_date 不能晚于 end_date")
        raise DomainError(msg, fields={"start_date": [msg]})
    if end - start > span:
        msg = _("start_date 与 end_date 相隔不能超过%(days)s天") % {"days": MAX_SPAN_DAYS}
        raise DomainError(msg, fields={"end_date": [msg]})
    return start, end


def request_search(params: Mapping, *, now: dt.datetime | None = None) -> list[Case]:
    """GET requests: by ids (overriding every other filter), else service_code, status and date window.

    Newest first, at most 1000. One query: the window is on reported_at (indexed, and with the
    category index when service_code is given).
    """
    qs = published()
    ids = _split(params.get("service_request_id"))
    if ids:
        return list(qs.filter(number__in=ids[:MAX_RESULTS]).order_by("-reported_at", "-id"))
    statuses: list[str] = []
    for s in _split(params.get("status")):
        if s.lower() == "open":
            statuses += OPEN
        elif s.lower() == "closed":
            statuses += CLOSED
        else:
            msg = _("status 应为 open 或 closed（收到“%(value)s”）") % {"value": s[:20]}
            raise DomainError(msg, fields={"status": [msg]})
    start, end = window(params, now or clock.now())
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    codes = _split(params.get("service_code"))
    if codes:
        qs = qs.filter(category_id__in=Category.objects.filter(code__in=codes).values("id"))
    if statuses:
        qs = qs.filter(status__in=set(statuses))
    return list(qs.order_by("-reported_at", "-id")[:MAX_RESULTS])


def request_get(number: str) -> Case:
    case = published().filter(number=number).first()
    if case is None:
        raise NotFound(_("未找到诉求“%(id)s”") % {"id": number[:40]})
    return case


def token_get(token: str) -> dict:
    """Our requests are made at once, so a token is the case number of a request made through Open311."""
    number = (Case.objects.filter(number=token, channel=Channel.OPEN311).values_list("number", flat=True).first())
    if number is None:
        raise NotFound(_("未找到令牌“%(token)s”") % {"token": token[:40]})
    return {"service_request_id": number, "token": number}
