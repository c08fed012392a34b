"""Bulk registry writes for the importer and the demo generator.

One service call loads many households and residents: batched INSERTs, one audit row per call,
rolled-up counts refreshed by the caller afterwards (`org.services.rollups_refresh`). Rows must
already be validated (see people.importing); this function only writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from shanzhi.audit.services import audit_record
from shanzhi.people.models import CareTag, Household, Residency, Resident

BATCH = 2000


@dataclass
class HouseholdRows:
    """A household to insert with its residents, each with its care-tag codes."""

    household: Household
    residents: list[tuple[Resident, list[str]]] = field(default_factory=list)


def registry_bulk_insert(*, actor, items: list[HouseholdRows], moved_in: dt.date, action: str,
                         unit_path: str = "", reason: str = "") -> tuple[int, int]:
    """Insert households, residents, their tags and first residencies; return (households, residents).

    Must run inside the caller's transaction. Cost: about (rows / BATCH) INSERTs per table.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("registry_bulk_insert must run inside a transaction")
    tag_ids = dict(CareTag.objects.values_list("code", "id"))
    households = [it.household for it in items]
    Household.objects.bulk_create(households, batch_size=BATCH)
    residents: list[Resident] = []
    tag_codes: list[list[str]] = []
    for it in items:
        for r, codes in it.residents:
            r.household = it.household
            residents.append(r)
            tag_codes.append(codes)
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    through = Resident.tags.through
    links = [through(resident_id=r.pk, caretag_id=tag_ids[c]) for r, codes in zip(residents, tag_codes,
                                                                                   strict=True) for c in codes]
    through.objects.bulk_create(links, batch_size=BATCH * 2)
    Residency.objects.bulk_create(
        [Residency(resident=r, household_id=r.household_id, relation=r.relation, moved_in=moved_in,
                   reason="登记") for r in residents],
        batch_size=BATCH,
    )
    audit_record(actor=actor, action=action, object_type="people.household", object_id="*",
                 object_repr=f"{len(households)}户 {len(residents)}人", unit_path=unit_path,
                 after={"households": len(households), "residents": len(residents)}, reason=reason)
    return len(households), len(residents)
