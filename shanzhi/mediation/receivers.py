"""One door: a case of a dispute category reaches the mediation centre by itself.

A resident's online application (a dispute category raised on the phone, routed to a unit with a centre,
e.g. a land dispute to the town) and a grid's dispute case escalated to a unit with a centre both become a
dispute of that centre, on the same case and number.
"""

from __future__ import annotations

from shanzhi.audit.services import audit_record
from shanzhi.cases.models import Case, Channel
from shanzhi.mediation.models import Dispute, DisputeType, Kind, Party, Role
from shanzhi.mediation.services import centre_for


def dispute_case_arrives(sender, *, case: Case, action: str, actor=None, now=None, **kwargs) -> None:
    """Open a dispute for a dispute-category case that reaches a centre (intake online, or escalation)."""
    if action not in ("report", "escalate") or not case.category.is_dispute:
        return
    if action == "report" and case.channel not in (Channel.RESIDENT, Channel.OPEN311):
        return  # the window registers its own walk-ins with their parties
    if Dispute.objects.filter(case=case).exists():
        return
    centre = centre_for(case.handling_unit)
    if centre is None or centre.unit_id != case.handling_unit_id:
        return  # handled where there is no centre (a grid, or a village without one): an ordinary case
    dtype = DisputeType.objects.filter(category=case.category).first()
    if dtype is None:
        return
    dispute = Dispute.objects.create(case=case, kind=Kind.DISPUTE, type=dtype, centre=centre, first_centre=centre,
                                     summary=case.description[:200], registered_at=now or case.reported_at)
    Party.objects.create(dispute=dispute, role=Role.APPLICANT, name=case.reporter_name or "申请人",
                         phone_enc=case.reporter_phone_enc, phone_masked=case.reporter_phone_masked,
                         resident=getattr(case.reporter, "resident", None) if case.reporter_id else None,
                         claim=case.description[:2000])
    audit_record(actor=actor, action="mediation.arrive", obj=case, unit_path=centre.unit.path,
                 after={"centre": centre.name, "via": action})
