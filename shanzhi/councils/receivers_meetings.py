"""Follow-through: a case a council decision opened closes, and the topic may be done."""

from __future__ import annotations

from shanzhi.cases.models import Case
from shanzhi.councils.models import DecisionCase
from shanzhi.lib import clock


def decision_case_event(sender, *, case: Case, action: str, actor=None, now=None, **kwargs) -> None:
    """When a decision's case leaves the open states, finish the topic if every case and task is done."""
    from shanzhi.councils.services_meetings import UNFINISHED_CASE_STATUSES, follow_through_check

    if case.status in UNFINISHED_CASE_STATUSES:
        return
    link = DecisionCase.objects.filter(case_id=case.pk).select_related("decision").first()
    if link is None:
        return
    follow_through_check(link.decision, actor=actor, now=now or clock.now())
