"""A real PostgreSQL streaming replica for the replica tests (marked `postgresql`: see shanzhi/conftest.py).

On a PostgreSQL run a missing server tool is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ReplicaCluster:
    """A second PostgreSQL server on a free port, streaming from the primary, in a temporary directory.

    Made with the primary's own server binaries: `pg_basebackup -R` (a fast checkpoint, WAL streamed)
    into a fresh data directory with a minimal postgresql.conf, then `pg_ctl start`. As root the server
    runs as the postgres user. Nothing is registered with the system (no /etc/postgresql entry)."""

    def __init__(self, primary: dict) -> None:
        import psycopg

        self.primary = {"host": primary["HOST"] or "127.0.0.1", "port": int(primary["PORT"] or 5432),
                        "user": primary["USER"] or "postgres", "password": primary["PASSWORD"] or None}
        with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **self.primary) as conn:
            self.settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in (
                "server_version_num", "max_connections", "max_worker_processes", "max_wal_senders",
                "max_prepared_transactions", "max_locks_per_transaction", "hba_file")}
        major = int(self.settings["server_version_num"]) // 10000
        self.bindir = self._bindir(major)
        self.run_as = self._run_as()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="shanzhi-replica-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.run_as:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    @staticmethod
    def _bindir(major: int) -> Path:
        candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
        if shutil.which("pg_config"):
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
            if out:
                candidates.append(Path(out))
        for bindir in candidates:
            if all((bindir / tool).is_file() for tool in ("pg_basebackup", "pg_ctl", "postgres")):
                return bindir
        pytest.fail(f"PostgreSQL {major} server tools (pg_basebackup, pg_ctl, postgres) not found in "
                    f"{', '.join(map(str, candidates))}: install postgresql-{major} to run the replica tests")

    @staticmethod
    def _run_as() -> list[str]:
        if os.geteuid() != 0:
            return []  # the server runs as ourselves
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs a `postgres` user to run the replica server")
        if not shutil.which("runuser"):
            pytest.fail("running as root needs `runuser` (util-linux) to start the replica as postgres")
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {**os.environ, "PGPASSWORD": self.primary["password"] or ""}
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=self.root)

    def allow_replication(self) -> None:
        """Make sure the primary trusts replication connections from 127.0.0.1: add the rule and reload."""
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **self.primary) as conn:
            rules = conn.execute(
                "SELECT auth_method FROM pg_hba_file_rules WHERE type IN ('host', 'hostnossl') "
                "AND 'replication' = ANY(database) AND address ~ '^[0-9.]+$' "
                "AND ('127.0.0.1'::inet & netmask::inet) = address::inet ORDER BY line_number").fetchall()
            if rules and rules[0][0] == "trust":
                return
            if rules:
                pytest.fail(f"{self.settings['hba_file']}: replication from 127.0.0.1 needs {rules[0][0]}; "
                            f"the replica tests need `{REPLICATION_RULE}` before it")
            try:
                with open(self.settings["hba_file"], "a") as fh:
                    fh.write(f"\n# Shanzhi's replica tests (shanzhi/lib/tests/conftest.py)\n{REPLICATION_RULE}\n")
            except OSError as exc:
                pytest.fail(f"cannot add `{REPLICATION_RULE}` to {self.settings['hba_file']}: {exc}")
            conn.execute("SELECT pg_reload_conf()")

    def create(self) -> None:
        """Base-backup the primary into the data directory (a standby: standby.signal, primary_conninfo)."""
        self.allow_replication()
        for attempt in range(10):  # the postmaster reloads pg_hba.conf a moment after pg_reload_conf()
            done = self._run(str(self.bindir / "pg_basebackup"), "-h", self.primary["host"],
                             "-p", str(self.primary["port"]), "-U", self.primary["user"], "-D", str(self.data),
                             "-R", "-X", "stream", "-c", "fast", "--no-sync", "-w")
            if done.returncode == 0:
                break
            shutil.rmtree(self.data, ignore_errors=True)
            if "pg_hba.conf" not in done.stderr or attempt == 9:
                pytest.fail(f"pg_basebackup failed: {done.stderr}")
            time.sleep(0.3)
        conf = {
            "port": str(self.port), "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.root}'",
            "hot_standby": "on", "fsync": "off", "shared_buffers": "'16MB'", "logging_collector": "off",
            # A hot standby needs at least the primary's values of these.
            **{name: self.settings[name] for name in ("max_connections", "max_worker_processes",
                                                      "max_wal_senders", "max_prepared_transactions",
                                                      "max_locks_per_transaction")},
        }
        self._write("postgresql.conf", "".join(f"{k} = {v}\n" for k, v in conf.items()))
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")

    def _write(self, name: str, text: str) -> None:
        path = self.data / name
        path.write_text(text)
        if self.run_as:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)
        path.chmod(0o600)

    def start(self) -> None:
        done = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                         "start")
        if done.returncode != 0:
            pytest.fail(f"the replica did not start: {done.stdout}{done.stderr}\n{self.server_log()}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status").returncode == 0

    def server_log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text()[-3000:]
        return ""

    def sql(self, query: str, dbname: str = "postgres"):
        """Run one statement on the replica itself (its own connection); its first row, if it has rows."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.primary["user"], dbname=dbname,
                             password=self.primary["password"], autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(query)
            return cur.fetchone() if cur.description else None

    def remove(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup):
    """A streaming replica of the test database's server, known to Django as the "replica" alias.

    The alias is configured as settings.py configures DATABASE_REPLICA_URL (shanzhi.lib.dbrouter
    .replica_settings: a test mirror of "default", so Django neither creates nor flushes anything on
    it) and reads the test database by its name on the replica. The router is switched on per test."""
    from django.db import connections

    from shanzhi.lib.dbrouter import REPLICA, replica_settings

    default = connections["default"]
    if default.vendor != "postgresql":
        pytest.fail("the replica tests need PostgreSQL as the default database (mark them `postgresql`)")
    cluster = ReplicaCluster(default.settings_dict)
    try:
        cluster.create()
        cluster.start()
        primary = cluster.primary
        conf = replica_settings(f"postgres://{primary['user']}@127.0.0.1:{cluster.port}/"
                                f"{default.settings_dict['NAME']}", conn_max_age=0)
        conf["PASSWORD"] = primary["password"] or ""
        # Django's own defaults for a DATABASES entry (ConnectionHandler fills them for settings.DATABASES).
        conf = connections.configure_settings({"default": {}, REPLICA: conf})[REPLICA]
        connections.settings[REPLICA] = conf  # the same dict as settings.DATABASES
        yield cluster
    finally:
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            with contextlib.suppress(AttributeError):
                del connections[REPLICA]
            del connections.settings[REPLICA]
        cluster.remove()
