"""Writes of the dashboard: the grid evaluation's configuration (the only thing the dashboard stores)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record, diff
from shanzhi.dashboard.evaluation import WeightSpec, known_keys, scheme_errors
from shanzhi.dashboard.evaluation_models import EvaluationScheme, EvaluationWeight
from shanzhi.lib.errors import DomainError


def _snapshot(scheme: EvaluationScheme | None) -> dict:
    if scheme is None or scheme.pk is None:
        return {}
    return {
        "name": scheme.name,
        "effective_from": scheme.effective_from.isoformat(),
        "grades": [str(scheme.grade_a), str(scheme.grade_b), str(scheme.grade_c), str(scheme.grade_d)],
        "weights": [[w.indicator_key, str(w.weight), w.mapping, w.target, w.limit] for w in scheme.weights.all()],
    }


def evaluation_scheme_gate(actor) -> None:
    """Refuse who may not change the scheme: 404 to who has no evaluation to look at, 403 to other staff.

    The scheme is the whole tree's, so changing it needs dashboard.configure over all of it."""
    if actor is None:
        return
    scopes.require(actor, "dashboard.configure", None, what=_("考核方案"),
                   granted=scopes.covers_all(actor, "dashboard.configure"),
                   visible=scopes.may_somewhere(actor, "dashboard.view"))


@transaction.atomic
def evaluation_scheme_update(*, actor, scheme: EvaluationScheme | None, name: str, effective_from: dt.date,
                             weights: list[WeightSpec], grades: dict[str, Decimal]) -> EvaluationScheme:
    """Replace a scheme's name, start month, weights and grade thresholds; a new scheme when `scheme` is None
    or the start month is later than its own (months before keep being scored by the old one).

    Only who may configure the evaluation over the whole tree (county admin); other staff who may look at
    an evaluation see the scheme and get 403; anyone else 404. Every problem is refused at once (DomainError
    with a message per field). One transaction, one audit row with what changed. Cost: a few queries."""
    evaluation_scheme_gate(actor)
    name = (name or "").strip()
    rows = list(enumerate(weights))
    own = [w.indicator_key for w in scheme.weights.all()] if scheme is not None else []
    errors = scheme_errors(rows, grades, {k for k, _l in known_keys(own)})
    if not name:
        errors.setdefault("name", []).append(_("请填写方案名称"))
    if effective_from is None:
        errors.setdefault("effective_from", []).append(_("请填写生效月份"))
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, fields=errors)
    reason = ""
    if scheme is not None:
        scheme = EvaluationScheme.objects.select_for_update().get(pk=scheme.pk)
        if effective_from.replace(day=1) > scheme.effective_from:
            # from a later month: a new scheme, and earlier months keep theirs
            reason = _("自 %(month)s 起接替「%(name)s」") % {"month": effective_from.strftime("%Y-%m"),
                                                        "name": scheme.name}
            scheme = None
    before = _snapshot(scheme)
    scheme = scheme or EvaluationScheme()
    scheme.name = name[:100]
    scheme.effective_from = effective_from.replace(day=1)
    scheme.grade_a, scheme.grade_b = grades["grade_a"], grades["grade_b"]
    scheme.grade_c, scheme.grade_d = grades["grade_c"], grades["grade_d"]
    scheme.active = True
    scheme.save()
    scheme.weights.all().delete()
    EvaluationWeight.objects.bulk_create([
        EvaluationWeight(scheme=scheme, indicator_key=w.key, weight=w.weight, mapping=w.mapping,
                         target=w.target, limit=w.limit, position=i) for i, w in enumerate(weights)])
    after = _snapshot(scheme)
    old, new = diff(before, after)
    audit_record(actor=actor, action="dashboard.scheme_update" if before else "dashboard.scheme_create",
                 obj=scheme, before=old, after=new, reason=reason)
    return scheme
