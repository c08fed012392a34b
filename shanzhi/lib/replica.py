"""Reads for the dashboards from a PostgreSQL streaming replica (DATABASE_REPLICA_URL), writes never.

Pages wrap their indicator reads in `with replica_reads() as status:` and show `status.note` when the
replica was configured but not used. Inside the block (a context variable, so another thread or request
is never affected) the router `shanzhi.lib.dbrouter.ReplicaRouter` sends ORM reads to the replica; writes
always go to the primary. Before the block uses the replica it checks it: reachable within the connect
timeout, and replaying no more than SHANZHI_REPLICA_MAX_LAG_SECONDS (default 30) behind. The answer is
kept for CHECK_SECONDS per process, so a page pays one small query at most every few seconds.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils.translation import gettext

from shanzhi.lib.dbrouter import DEFAULT, REPLICA

CHECK_SECONDS = 5.0

# The alias the router reads from in this context; None outside a block that decided to use the replica.
_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("shanzhi_replica_read", default=None)
_checked: dict[str, tuple[float, bool, float | None]] = {}  # alias -> (monotonic time, reachable, lag seconds)
_checked_lock = threading.Lock()

# Seconds the replica's replay is behind. Not behind when it is still receiving from the primary and has
# replayed everything received (an idle primary sends no transactions, so the last replayed one may be
# old); otherwise the age of the last replayed transaction; NULL when it cannot tell. (A WAL receiver's row
# in pg_stat_wal_receiver is visible to any user; its details are not.)
LAG_SQL = """
SELECT CASE
         WHEN NOT pg_is_in_recovery() THEN 0
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
              AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
         ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))
       END
"""


@dataclass
class ReplicaStatus:
    used: bool = False  # the reads in the block went to the replica
    note: str = ""  # why not, for the page ("只读副本落后 95 秒，已改读主库"); empty when no replica is configured


def current_read_alias() -> str | None:
    """The database alias reads go to in this context (the router asks); None: the primary."""
    return _read_alias.get()


def max_lag_seconds() -> float:
    """How far behind the replica may be and still be read (SHANZHI_REPLICA_MAX_LAG_SECONDS, default 30)."""
    return float(settings.SHANZHI.get("REPLICA_MAX_LAG_SECONDS", 30))


def forget() -> None:
    """Drop the cached checks, so the next block checks the replica again (after a failover, in tests)."""
    with _checked_lock:
        _checked.clear()


def _probe(alias: str) -> tuple[bool, float | None]:
    """Ask the replica how far behind it is: one query on this thread's connection to it, and when that
    connection has broken (the replica restarted), once more on a new one (connect timeout applies)."""
    conn = connections[alias]
    for _attempt in range(2):
        try:
            with conn.cursor() as cur:
                cur.execute(LAG_SQL)
                lag = cur.fetchone()[0]
        except DatabaseError:
            was_open = conn.connection is not None
            with contextlib.suppress(DatabaseError):
                conn.close()  # never keep a broken connection
            if was_open:
                continue
            return False, None
        return True, (None if lag is None else float(lag))
    return False, None


def check(alias: str = REPLICA) -> tuple[bool, float | None]:
    """Whether the replica answers, and its lag in seconds (None: unknown); cached for CHECK_SECONDS.

    At most one query (the cached answer costs none); a replica that is down costs the connect timeout."""
    now = time.monotonic()
    with _checked_lock:
        hit = _checked.get(alias)
    if hit and now - hit[0] < CHECK_SECONDS:
        return hit[1], hit[2]
    reachable, lag = _probe(alias)
    with _checked_lock:
        _checked[alias] = (time.monotonic(), reachable, lag)
    return reachable, lag


def _configured(alias: str) -> bool:
    return alias in settings.DATABASES and "shanzhi.lib.dbrouter.ReplicaRouter" in settings.DATABASE_ROUTERS


@contextlib.contextmanager
def replica_reads(alias: str = REPLICA) -> Iterator[ReplicaStatus]:
    """Within the block, ORM reads go to the replica when it is reachable and current; writes never do.

    Without a configured replica this does nothing (no note). Inside a transaction on the primary the
    reads stay there (they must see that transaction's own writes). A replica that is down or behind is
    not used and `status.note` says so in the page's language. Costs the check (see `check`)."""
    status = ReplicaStatus()
    if not _configured(alias) or connections[DEFAULT].in_atomic_block:
        yield status
        return
    reachable, lag = check(alias)
    if not reachable:
        status.note = gettext("只读副本不可用，已改读主库")
    elif lag is None:
        status.note = gettext("只读副本延迟未知，已改读主库")
    elif lag > max_lag_seconds():
        status.note = gettext("只读副本落后 %(seconds)d 秒，已改读主库") % {"seconds": round(lag)}
    if status.note:
        yield status
        return
    status.used = True
    token = _read_alias.set(alias)
    try:
        yield status
    finally:
        _read_alias.reset(token)
