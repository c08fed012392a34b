"""Send the dashboard's reads to the PostgreSQL replica (alias "replica"), and nothing else.

Registered by settings.py only when DATABASE_REPLICA_URL is set. Reads go to the replica only inside
`shanzhi.lib.replica.replica_reads()` and only when that block found the replica reachable and current;
everywhere else, and for every write and migration, the primary ("default") is used.
"""

from __future__ import annotations

from typing import Any

REPLICA = "replica"
DEFAULT = "default"


def replica_settings(url: str, *, conn_max_age: int = 60) -> dict[str, Any]:
    """The DATABASES entry for the replica at `url` (no queries).

    Connecting gives up after 2 seconds (unless the URL sets connect_timeout), so a replica that is down
    costs the page little. In tests it mirrors the default database (TEST MIRROR): no test database is
    created on it (a replica is read-only); it keeps its own host and port and reads the test database's
    name, which streaming replication brings over from the primary."""
    import dj_database_url

    conf = dj_database_url.parse(url, conn_max_age=conn_max_age)
    conf.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    conf["CONN_HEALTH_CHECKS"] = True  # a kept connection to a replica that restarted is replaced, not used
    conf["TEST"] = {"MIRROR": DEFAULT}
    return conf


class ReplicaRouter:
    """Reads inside `replica_reads()` (when the replica is usable) to the replica; all else to default."""

    def db_for_read(self, model, **hints) -> str:
        from django.db import connections

        from shanzhi.lib.replica import current_read_alias

        alias = current_read_alias()
        if alias and not connections[DEFAULT].in_atomic_block:  # a transaction reads its own writes
            return alias
        return DEFAULT

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the primary's rows: an object read there is the same row

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == DEFAULT
