"""Check for and remove existing county data before a demo build.

`reset_database()` empties every table that holds units, people, accounts or audit rows, plus every
table that points at those (directly or through others), so other apps' tables (cases, visits...)
are emptied too without this module knowing them. Reference data stays: tables that point at none
of them (care tags, content types, permissions) and rows that point at them only through a SET_NULL
link (e.g. case categories, whose department link is cleared). One transaction; TRUNCATE on
PostgreSQL where it can.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction

from shanzhi.lib.errors import DomainError


class DemoError(DomainError):
    code = "demo_refused"
    status = 409


def existing_rows() -> dict[str, int]:
    """Non-zero counts of the rows that make a database "not empty" for the demo, labelled in Chinese."""
    from shanzhi.accounts.models import User
    from shanzhi.org.models import OrgUnit
    from shanzhi.people.models import Household, Resident

    counts = {
        "个网格单元": OrgUnit.objects.count(),
        "户": Household.objects.count(),
        "名居民": Resident.objects.count(),
        "个账号": User.objects.count(),
    }
    return {k: v for k, v in counts.items() if v}


def _seed_models() -> set[type[models.Model]]:
    from shanzhi.accounts.models import OneTimeCode, User
    from shanzhi.audit.models import AuditEntry
    from shanzhi.cases.models import CaseNumber
    from shanzhi.elections.models import Rules
    from shanzhi.org.models import Department, OrgUnit, Post
    from shanzhi.people.models import CadreRegistration, CentralHousehold, Household, Residency, Resident

    # CaseNumber holds no link, but its counters belong to the cases that go: numbering starts afresh. An
    # election round's Rules row links to nothing, but belongs to its round (which goes with the county).
    return {OrgUnit, Department, Post, Household, Resident, Residency, CentralHousehold, CadreRegistration,
            User, OneTimeCode, AuditEntry, CaseNumber, Rules}


def _plan_reset() -> tuple[set[type[models.Model]], list[tuple[type[models.Model], models.Field]]]:
    """Models to empty, and (model, field) links to clear in the models that stay.

    A model is emptied when it holds a foreign key to an emptied model, unless that key is SET_NULL:
    then the row stays and the link is cleared (e.g. a case category's department), as deleting
    through the ORM would do. M2M tables of emptied models go too.
    """
    every = [m for m in apps.get_models(include_auto_created=True)
             if m._meta.managed and not m._meta.proxy and not m._meta.swapped]
    chosen = set(_seed_models())
    changed = True
    while changed:
        changed = False
        for m in every:
            if m not in chosen and any(
                f.is_relation and f.related_model in chosen and f.remote_field.on_delete is not models.SET_NULL
                for f in m._meta.concrete_fields
            ):
                chosen.add(m)
                changed = True
    for m in list(chosen):
        for f in m._meta.local_many_to_many:
            if f.remote_field.through._meta.auto_created:
                chosen.add(f.remote_field.through)
    clear = [(m, f) for m in every if m not in chosen for f in m._meta.concrete_fields
             if f.is_relation and f.related_model in chosen]
    return chosen, clear


def tables_to_empty() -> list[str]:
    """Names of the tables a reset empties (see _plan_reset)."""
    return sorted(m._meta.db_table for m in _plan_reset()[0])


def reset_database() -> list[str]:
    """Empty the county's tables (see module doc) in one transaction; return their names. Irreversible."""
    existing = set(connection.introspection.table_names())
    chosen, clear = _plan_reset()
    chosen = {m for m in chosen if m._meta.db_table in existing}
    clear = [(m, f) for m, f in clear if m._meta.db_table in existing]
    qn = connection.ops.quote_name
    statements = [f"UPDATE {qn(m._meta.db_table)} SET {qn(f.column)} = NULL WHERE {qn(f.column)} IS NOT NULL"
                  for m, f in clear]
    if connection.vendor == "postgresql":
        # TRUNCATE needs every table that references a truncated one in the same statement; tables that
        # stay (with a cleared link) still reference some, so those targets, and what they reference, are
        # deleted row by row instead. Foreign keys are deferred, so the order inside the transaction is free.
        slow = {f.related_model for _, f in clear}
        grow = True
        while grow:
            grow = False
            for m in list(slow):
                for f in m._meta.concrete_fields:
                    if f.is_relation and f.related_model in chosen and f.related_model not in slow:
                        slow.add(f.related_model)
                        grow = True
        fast = [m._meta.db_table for m in chosen - slow]
        if fast:
            statements += connection.ops.sql_flush(no_style(), fast, reset_sequences=True)
        statements += [f"DELETE FROM {qn(m._meta.db_table)}" for m in slow]
        statements += connection.ops.sequence_reset_sql(no_style(), list(slow))
    else:
        statements += connection.ops.sql_flush(no_style(), [m._meta.db_table for m in chosen],
                                               reset_sequences=True)
    with transaction.atomic(), connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    from shanzhi.org import locate

    transaction.on_commit(locate.invalidate)
    return sorted(m._meta.db_table for m in chosen)


def ensure_care_tags() -> None:
    """Recreate the default care tags if someone emptied that table (they come from a data migration)."""
    from shanzhi.people.models import DEFAULT_CARE_TAGS, CareTag

    have = set(CareTag.objects.values_list("code", flat=True))
    CareTag.objects.bulk_create([CareTag(code=c, name=n, name_en=e) for c, n, e in DEFAULT_CARE_TAGS if c not in have])
