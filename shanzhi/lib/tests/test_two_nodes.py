"""Two real `shanzhi serve` nodes on one database, each sweeping every 0.1 s: every overdue case escalates
once and every notice is sent once (the sweep lock, shanzhi/lib/sweeps.py).

PostgreSQL: the nodes use the test database itself (a transactional test: the set-up is committed), each
with its own data directory, as separate hosts would; the lock is an advisory lock in the database.
SQLite: the nodes share one host and data directory (the database file and the lock file beside it); the
test database (in memory) is copied to that file for them and their result copied back to be read.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Case, Event, HandlingLevel, Notification
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD, report_case
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

OVERDUE, NEAR = 12, 6  # cases past their deadline, and cases past their warning time only
SWEEP_SECONDS = "0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One `python -m shanzhi serve` process with the sweep in its master, its output in a file."""

    def __init__(self, name: str, data: Path, env: dict) -> None:
        self.port = _free_port()
        self.out = data.parent / f"{name}.log"
        data.mkdir(mode=0o700, exist_ok=True)
        with open(self.out, "wb") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "shanzhi", "serve", "--port", str(self.port), "--workers", "1",
                 "--threads", "1", "--no-migrate"],  # the test database is migrated already
                env={**env, "SHANZHI_DATA_DIR": str(data)}, stdout=fh, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_ready(self, until: float) -> None:
        while "Deadline sweep every" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > until:
                pytest.fail(f"node did not start:\n{self.log()}")
            time.sleep(0.1)

    def passes(self) -> list[dict]:
        """What each of this node's sweep passes did (passes that changed nothing are not logged)."""
        return [ast.literal_eval(line.split("sweep: ", 1)[1]) for line in self.log().splitlines()
                if "sweep: {" in line]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def due(county):
    """Overdue cases in grid A (reported 30 days ago) and cases near their deadline, with a village cadre to
    hear about the escalations. Committed (a transactional test)."""
    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部",
                              check_strength=False)
    post_appoint(actor=None, unit=county.village, role=Role.VILLAGE_CADRE, user=cadre,
                 start_date=dt.date(2024, 1, 1))
    with clock.frozen(clock.now() - dt.timedelta(days=30)):
        overdue = [report_case(county) for _ in range(OVERDUE)]
    near = [report_case(county) for _ in range(NEAR)]
    now = clock.now()
    # Past the warning point, before the deadline (set directly: the set-up, not the code under test).
    Case.objects.filter(pk__in=[c.pk for c in near]).update(warn_at=now - dt.timedelta(minutes=5),
                                                             deadline_at=now + dt.timedelta(hours=6))
    return overdue, near


def _node_env(static_root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                               f"{db['NAME']}")  # the test database
        if db["PASSWORD"]:
            env["PGPASSWORD"] = db["PASSWORD"]
    # The same keys on every node, as a deployment shares them.
    env.update({"SECRET_KEY": str(settings.SECRET_KEY), "SHANZHI_PII_KEY": str(settings.PII_KEY),
                "SHANZHI_STATIC_ROOT": str(static_root), "SHANZHI_SWEEP_INTERVAL": SWEEP_SECONDS,
                "SMS_BACKEND": "file", "LOG_LEVEL": "INFO"})
    return env


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_nodes_on_one_database_escalate_and_notify_each_case_once(due, tmp_path, _static_collected):
    overdue, near = due
    env = _node_env(_static_collected)
    sqlite = connection.vendor == "sqlite"
    if sqlite:  # one host: a shared data directory holding the database file (and the sweep's lock file)
        shared = tmp_path / "data"
        shared.mkdir(mode=0o700)
        os.close(os.open(shared / "shanzhi.sqlite3", os.O_CREAT | os.O_WRONLY, 0o600))
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(shared / "shanzhi.sqlite3")) as file_db:
            connection.connection.backup(file_db)
        homes = [shared, shared]
    else:
        homes = [tmp_path / "node-a", tmp_path / "node-b"]
    nodes = [Node(name, home, env) for name, home in zip(("a", "b"), homes, strict=True)]
    try:
        until = time.monotonic() + 90
        for node in nodes:
            node.wait_ready(until)
        # Sweep until the work is done, then some 20 more passes each, which must change nothing.
        while sum(p.get("escalated", 0) for n in nodes for p in n.passes()) < OVERDUE:
            if time.monotonic() > until:
                pytest.fail("the nodes did not escalate everything:\n" + "\n".join(n.log() for n in nodes))
            time.sleep(0.1)
        time.sleep(2.0)
    finally:
        for node in nodes:
            node.stop()
    passes = [p for n in nodes for p in n.passes()]
    # The nodes' own accounts: every case escalated and warned exactly once over all passes of both nodes.
    assert sum(p.get("escalated", 0) for p in passes) == OVERDUE, passes
    assert sum(p.get("warned", 0) for p in passes) == NEAR, passes
    if sqlite:
        connection.close()
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(homes[0] / "shanzhi.sqlite3")) as file_db:
            file_db.backup(connection.connection)  # read the nodes' result through the ORM

    for case in overdue:
        case.refresh_from_db()
        assert case.handling_level == HandlingLevel.VILLAGE
        assert Event.objects.filter(case=case, action="escalate").count() == 1
        notices = Notification.objects.filter(case=case, kind="escalated")
        assert notices.count() == 1 and notices.get().user.username == "cadre"  # one key, one row
    for case in near:
        assert AuditEntry.objects.filter(action="cases.warn", object_id=str(case.pk)).count() == 1
        notices = Notification.objects.filter(case=case, kind="warning")
        assert notices.count() == 1 and notices.get().user.username == "worker_a"
    # Nothing else was sent twice: every inbox key once per person, every SMS line (minus its time) once.
    keys = collections.Counter(Notification.objects.values_list("user_id", "dedupe_key"))
    assert keys and max(keys.values()) == 1
    sms = [line.split("\t", 1)[1] for home in set(homes) if (home / "sms-outbox.log").exists()
           for line in (home / "sms-outbox.log").read_text().splitlines()]
    assert len(sms) == len(set(sms)), sms
