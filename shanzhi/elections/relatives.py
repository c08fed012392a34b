"""Close relatives (近亲属) from the registry's household relations: used to refuse a candidate's close
relative as a scrutineer or teller, and for the proxy rule where a province limits proxies to relatives.

The registry records each resident's relation to the head of their household (户主, 配偶, 子女, 父母, 孙子女,
祖父母, 兄弟姐妹, 其他, 租户). Two residents of the same household are close relatives when both are kin of the
head (anything but 其他 and 租户): spouses, parents, children, siblings, grandparents and grandchildren of a
family living together. Kin in different households are not known to the registry and are not refused here
(the committee checks them by hand).
"""

from __future__ import annotations

from shanzhi.people.models import Relation, Resident

KIN = frozenset(Relation.values) - {Relation.OTHER, Relation.TENANT}


def close_relatives(resident: Resident) -> set[int]:
    """Ids of the resident's close relatives on the registry (not the resident themself)."""
    if resident.household_id is None or resident.relation not in KIN:
        return set()
    return set(Resident.objects.filter(household_id=resident.household_id, relation__in=KIN)
               .exclude(pk=resident.pk).values_list("id", flat=True))


def are_close_relatives(a: Resident, b: Resident) -> bool:
    return (a.pk != b.pk and a.household_id is not None and a.household_id == b.household_id
            and a.relation in KIN and b.relation in KIN)
