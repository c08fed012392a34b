"""Getting in touch with a case from the field: the reporter's phone through the audited reveal, and
the case's place as a link for the phone's map app.

The reveal is the registry's reveal (shanzhi.people.services): the same hourly limit, counted over the
same audit actions, the same refusal row and the same flag to the county admins. Only someone who may
handle the case may reveal (its assignee, its department, handlers of its handling unit); one who
cannot see the case gets 404 like a missing one, one who sees it but may not handle it 403.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.cases import services as case_services
from shanzhi.cases.models import Case
from shanzhi.lib import clock, crypto
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied, RateLimited
from shanzhi.people import services as people

CALL_REASON = "联系报告人核实诉求"


def reporter_phone_plain(case: Case) -> str:
    """The reporter's phone as stored on the case, else their resident record's ('' when none)."""
    if case.reporter_phone_enc:
        return crypto.decrypt(case.reporter_phone_enc)
    resident = getattr(case.reporter, "resident", None) if case.reporter_id else None
    return resident.phone_plain() if resident is not None and resident.phone_enc else ""


def case_reporter_phone_reveal(*, actor, case: Case, reason: str = CALL_REASON,
                               now: dt.datetime | None = None) -> str:
    """Decrypt a case reporter's phone (anonymous reporters' too) for one who may handle the case, to call
    them. Audited as a phone reveal (counts against the hourly limit); refusals are audited as well, in
    their own transaction: not visible (404), not a handler (403), over the limit (429, flagged once an
    hour). No reason, or no phone on the case: 400."""
    now = now or clock.now()
    try:
        with transaction.atomic():
            return _reveal(actor=actor, case=case, reason=reason, now=now)
    except (NotFound, PermissionDenied, RateLimited) as exc:
        with transaction.atomic():
            audit_record(actor=actor, action=people.REVEAL_REFUSED, obj=case, unit_path=case.handling_unit.path,
                         reason=(reason or "").strip()[:500],
                         after={"field": "reporter_phone", "refused": exc.code, "status": exc.status})
            if isinstance(exc, RateLimited):
                people.reveal_burst_flag(actor=actor, unit_path=case.handling_unit.path, now=now)
        raise


def _reveal(*, actor, case: Case, reason: str, now: dt.datetime) -> str:
    granted = actor is not None and case_services._granted(actor, case, "cases.handle")
    scopes.require(actor, "cases.handle", case.handling_unit, what="该诉求", granted=granted,
                   visible=None if actor is None else (granted or case_services.can_view(actor, case)))
    reason = (reason or "").strip()
    if sum(ch.isalpha() for ch in reason) < 2:
        raise DomainError(people.REASON_MESSAGE, fields={"reason": [people.REASON_MESSAGE]})
    phone = reporter_phone_plain(case)
    if not phone:
        raise DomainError("该诉求没有报告人的电话", fields={"phone": ["该诉求没有报告人的电话"]})
    if actor is not None:
        people.reveal_limit_check(actor=actor, now=now)
    audit_record(actor=actor, action="people.reveal.phone", obj=case, unit_path=case.handling_unit.path,
                 reason=reason, after={"field": "reporter_phone", "anonymous": case.anonymous})
    return phone


def map_links(case: Case) -> dict[str, str]:
    """Links that open the case's place in the phone's map app: a `geo:` URI (Android and most map apps)
    and, when SHANZHI_MAP_LINK names a provider's URL template, that provider's link. Empty without a place."""
    if case.lat is None or case.lon is None:
        return {}
    lat, lon = f"{case.lat:.6f}", f"{case.lon:.6f}"
    label = (case.address or case.category.name or case.number).strip()[:60]
    safe = label.replace("(", "（").replace(")", "）")
    links = {"geo": f"geo:{lat},{lon}?q={lat},{lon}({quote(safe)})"}
    template = settings.SHANZHI.get("MAP_LINK", "")
    if template:
        try:
            links["provider"] = template.format(lat=lat, lon=lon, label=quote(label))
        except (KeyError, IndexError, ValueError):  # a bad template in the environment: no provider link
            pass
    return links
