"""Reads for the dashboards from a PostgreSQL streaming replica (DATABASE_REPLICA_URL), writes never.

Placeholder interface, filled in by the replica work: pages wrap their indicator reads in
`with replica_reads() as status:` and show `status.note` when the replica was not used."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class ReplicaStatus:
    used: bool = False  # the reads in the block went to the replica
    note: str = ""  # why not, for the page ("副本滞后 95 秒，已改读主库"); empty when no replica is configured


@contextlib.contextmanager
def replica_reads() -> Iterator[ReplicaStatus]:
    yield ReplicaStatus()
