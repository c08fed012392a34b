"""Dashboard reads from a real streaming replica (a second PostgreSQL server started by the tests), with
fallback to the primary when it is down or behind; writes always on the primary."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from django.db import DatabaseError, connections, router

from shanzhi.cases.models import Case
from shanzhi.lib import replica
from shanzhi.lib.replica import replica_reads
from shanzhi.lib.testing import report_case

ROUTER = "shanzhi.lib.dbrouter.ReplicaRouter"
# Committed writes (no test transaction), seeded rows (categories, tags) restored before each test.
on_replica = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])


@pytest.fixture
def standby(streaming_replica, settings):
    """The replica with the router on (as settings.py does when DATABASE_REPLICA_URL is set), running and
    replaying when the test ends, and no check remembered from another test."""
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.SHANZHI = {**settings.SHANZHI, "REPLICA_MAX_LAG_SECONDS": 30}
    replica.forget()
    yield streaming_replica
    with contextlib.suppress(DatabaseError):
        connections["replica"].close()
    if not streaming_replica.running():
        streaming_replica.start()
    streaming_replica.sql("SELECT pg_wal_replay_resume()")
    replica.forget()


def _on_replica(case_id: int, timeout: float = 15.0) -> bool:
    """Wait for the case to reach the replica (streaming takes milliseconds), reading it there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Case.objects.using("replica").filter(pk=case_id).exists():
            return True
        time.sleep(0.05)
    return False


def _in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        return cur.fetchone()[0]


@pytest.mark.postgresql
@on_replica
def test_a_case_reported_on_the_primary_is_read_from_the_replica(standby, county):
    case = report_case(county)  # committed: a transactional test has no surrounding transaction
    assert _on_replica(case.pk)
    with replica_reads() as status:
        assert status.used and status.note == ""
        found = Case.objects.get(pk=case.pk)
        assert found._state.db == "replica" and found.number == case.number
        assert _in_recovery(router.db_for_read(Case))  # the server answering is the standby


@pytest.mark.postgresql
@on_replica
def test_reads_go_to_the_replica_only_inside_the_block_and_writes_always_to_the_primary(standby, county):
    assert router.db_for_read(Case) == "default"
    with replica_reads() as status:
        assert status.used and router.db_for_read(Case) == "replica"
        elsewhere = []
        thread = threading.Thread(target=lambda: elsewhere.append(router.db_for_read(Case)))
        thread.start()
        thread.join()
        assert elsewhere == ["default"]  # another thread (request) is not inside this block
        # A write inside the block goes through the service to the primary (the standby would refuse it:
        # read-only), and the service's own reads inside its transaction stay there too.
        case = report_case(county)
        assert router.db_for_write(Case) == "default"
        assert Case.objects.using("default").filter(pk=case.pk).exists()
    assert router.db_for_read(Case) == "default"
    assert not _in_recovery("default")
    assert router.allow_migrate("default", "cases") and not router.allow_migrate("replica", "cases")
    assert _on_replica(case.pk)  # and it reached the replica by streaming


@pytest.mark.postgresql
@on_replica
def test_a_stopped_replica_sends_the_reads_to_the_primary_and_says_so(standby, county):
    case = report_case(county)
    with replica_reads():
        pass  # the replica was used (and its connection opened) before it went down
    standby.stop()
    replica.forget()  # the cached check would otherwise answer for a few more seconds
    with replica_reads() as status:
        assert not status.used and status.note == "只读副本不可用，已改读主库"
        assert router.db_for_read(Case) == "default"
        assert Case.objects.get(pk=case.pk)._state.db == "default"
    standby.start()
    replica.forget()
    with replica_reads() as status:  # back up: used again
        assert status.used and status.note == ""


@pytest.mark.postgresql
@on_replica
def test_a_replica_behind_sends_the_reads_to_the_primary_and_says_how_far(standby, county, settings):
    first = report_case(county)
    assert _on_replica(first.pk)  # caught up: the last replayed transaction is recent
    standby.sql("SELECT pg_wal_replay_pause()")
    late = report_case(county)
    with replica_reads() as status:  # a little behind, within the 30 s allowed: still read there
        assert status.used
        assert not Case.objects.filter(pk=late.pk).exists()  # the paused standby has not replayed it
    settings.SHANZHI = {**settings.SHANZHI, "REPLICA_MAX_LAG_SECONDS": 1}
    deadline = time.monotonic() + 20
    while True:
        replica.forget()
        with replica_reads() as status:
            if not status.used or time.monotonic() > deadline:
                break
        time.sleep(0.2)
    assert not status.used
    seconds = re.fullmatch(r"只读副本落后 (\d+) 秒，已改读主库", status.note)
    assert seconds and int(seconds.group(1)) >= 1, status.note
    with replica_reads():
        assert Case.objects.filter(pk=late.pk).exists()  # read on the primary
    standby.sql("SELECT pg_wal_replay_resume()")
    assert _on_replica(late.pk)


@pytest.mark.postgresql
@on_replica
def test_a_replica_cut_off_from_the_primary_counts_as_behind(standby, county, settings):
    """Nothing left to replay is not "current" when nothing more can arrive: the age of the last replayed
    transaction counts then."""
    assert _on_replica(report_case(county).pk)
    conninfo = standby.sql("SHOW primary_conninfo")[0]
    standby.sql("ALTER SYSTEM SET primary_conninfo = ''")
    standby.sql("SELECT pg_reload_conf()")
    try:
        report_case(county)  # a write the replica will not see
        settings.SHANZHI = {**settings.SHANZHI, "REPLICA_MAX_LAG_SECONDS": 1}
        deadline = time.monotonic() + 20
        while True:
            replica.forget()
            with replica_reads() as status:
                if not status.used or time.monotonic() > deadline:
                    break
            time.sleep(0.2)
        assert not status.used and re.fullmatch(r"只读副本落后 \d+ 秒，已改读主库", status.note), status.note
    finally:
        standby.sql(f"ALTER SYSTEM SET primary_conninfo = '{conninfo.replace(chr(39), chr(39) * 2)}'")
        standby.sql("SELECT pg_reload_conf()")


@pytest.mark.postgresql
@on_replica
def test_the_check_is_remembered_for_a_few_seconds(standby, county):
    with replica_reads() as status:
        assert status.used
    standby.stop()
    with replica_reads() as status:  # no new check yet: the block still chooses the replica ...
        assert status.used
    replica.forget()
    with replica_reads() as status:  # ... until the next check finds it down
        assert not status.used and "不可用" in status.note


def test_without_a_replica_there_is_no_router_and_no_note(db, settings):
    settings.DATABASE_ROUTERS = []  # as settings.py leaves it without DATABASE_REPLICA_URL (checked below)
    with replica_reads() as status:
        assert not status.used and status.note == ""
        assert router.db_for_read(Case) == "default"
    assert Case.objects.count() == 0


def _settings_of(env: dict) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            "r = s.DATABASES.get('replica'); print(json.dumps({'routers': s.DATABASE_ROUTERS, 'replica': r and "
            "{k: r[k] for k in ('HOST', 'PORT', 'NAME', 'OPTIONS')} | {'MIRROR': r['TEST']['MIRROR']}, "
            "'lag': s.SHANZHI['REPLICA_MAX_LAG_SECONDS']}))")
    env = {**env, "DJANGO_SETTINGS_MODULE": "shanzhi.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settings_add_the_router_only_when_a_replica_is_configured(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL", "SHANZHI_REPLICA_MAX_LAG_SECONDS")}
    env["SHANZHI_DATA_DIR"] = str(tmp_path)
    plain = _settings_of(env)
    assert plain == {"routers": [], "replica": None, "lag": 30.0}
    configured = _settings_of({**env, "DATABASE_REPLICA_URL": "postgres://reader@10.0.0.2:5433/shanzhi",
                               "SHANZHI_REPLICA_MAX_LAG_SECONDS": "5"})
    assert configured["routers"] == [ROUTER] and configured["lag"] == 5.0
    # No test database is ever created on the (read-only) replica: it mirrors the default one.
    assert configured["replica"] == {"HOST": "10.0.0.2", "PORT": 5433, "NAME": "shanzhi",
                                     "OPTIONS": {"connect_timeout": 2}, "MIRROR": "default"}


@pytest.mark.postgresql
@on_replica
def test_the_command_centre_says_when_it_reads_the_primary_instead(standby, county, client):
    client.force_login(county.admin)
    page = f"/dashboard/{county.county.code}/"
    with replica_reads():
        pass  # open the replica's connection while it is up
    assert "只读副本" not in client.get(page).content.decode()
    standby.stop()
    replica.forget()
    body = client.get(page).content.decode()
    assert "只读副本不可用，已改读主库" in body
