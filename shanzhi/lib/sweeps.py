"""All idempotent background sweeps, run together by `shanzhi serve` and `shanzhi sweep`.

Several server nodes (or a node and a `shanzhi sweep --loop`) may share one database: one pass runs at a
time. On PostgreSQL the pass holds a session advisory lock; on SQLite, whose writers share one host, an
exclusive lock on a file beside the database. A node that finds the lock taken skips the pass (the holder
does the work); the sweeps stay idempotent, so a pass that dies half-way is finished by the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

# A fixed 63-bit key for pg_try_advisory_lock, derived from the name so it does not collide with others.
ADVISORY_KEY = zlib.crc32(b"shanzhi.sweep")


@contextlib.contextmanager
def sweep_lock() -> Iterator[bool]:
    """Hold the one sweep lock for the duration of the block; yields False when another process has it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            got = bool(cur.fetchone()[0])
        try:
            yield got
        finally:
            if got:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return
    from shanzhi.lib.files import open_private

    path = Path(settings.DATA_DIR) / "sweep.lock"
    with open_private(path) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def sweep_all(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every app's sweep once, unless another process is sweeping; return their counts merged
    (`{"skipped": 1}` when the lock was taken)."""
    from shanzhi.campaigns.sweep import sweep as campaigns_sweep
    from shanzhi.cases.sweep import sweep as cases_sweep
    from shanzhi.legal.sweep import sweep as legal_sweep

    with sweep_lock() as got:
        if not got:
            return {"skipped": 1}
        return {**cases_sweep(now), **campaigns_sweep(now), **legal_sweep(now)}
