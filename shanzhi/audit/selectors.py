"""Read the audit log within the caller's scope (county admins: action "audit.view")."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.errors import NotFound


def audit_scope_q(user) -> Q:
    """Rows the user may read: entries under their audit.view units, and entries tied to no unit.

    Entries with no unit (account events such as a lock-out) belong to the whole deployment, which
    serves one county; they are shown to everyone who may read the log.
    """
    if not scopes.may_somewhere(user, "audit.view"):
        raise NotFound()
    scoped = scopes.path_q(user, "audit.view", "unit_path")
    if not scoped:  # the whole tree (an empty Q): every row
        return Q()
    return Q(unit_path="") | scoped


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def audit_list_for(*, user, actor: str = "", action: str = "", object_type: str = "", object_id: str = "",
                   date_from: dt.date | None = None, date_to: dt.date | None = None,
                   text: str = "") -> QuerySet[AuditEntry]:
    """Search the log, newest first; dates are whole days in the configured time zone (inclusive).

    Raises NotFound when the user may not read the log at all. Cost: one query per evaluation.
    """
    qs = AuditEntry.objects.filter(audit_scope_q(user))
    if actor:
        qs = qs.filter(Q(actor_label__icontains=actor) | Q(actor__username=actor))
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if date_from:
        qs = qs.filter(at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if text:
        qs = qs.filter(Q(object_repr__icontains=text) | Q(reason__icontains=text))
    return qs.order_by("-at", "-id")
