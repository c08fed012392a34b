"""One sweep at a time across server nodes sharing a database: the others skip the pass."""

from __future__ import annotations

import datetime as dt
import fcntl
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from shanzhi.cases.models import Event, HandlingLevel
from shanzhi.lib import clock
from shanzhi.lib.sweeps import ADVISORY_KEY, sweep_all
from shanzhi.lib.testing import report_case


class OtherNode:
    """Another process holding the sweep lock: a second PostgreSQL session, or another open of the lock file."""

    def __enter__(self):
        if connection.vendor == "postgresql":
            db = settings.DATABASES["default"]
            self.conn = psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"],
                                        password=db["PASSWORD"] or None, dbname=connection.settings_dict["NAME"],
                                        autocommit=True)
            self.conn.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])
        else:
            self.handle = open(Path(settings.DATA_DIR) / "sweep.lock", "a")  # noqa: SIM115 - held until exit
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            self.conn.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])  # before closing: a closed
            self.conn.close()  # session's locks are freed only once its server process has gone
        else:
            self.handle.close()


@pytest.fixture
def overdue(county):
    with clock.frozen(clock.now() - dt.timedelta(days=30)):
        case = report_case(county)
    return case


def test_a_node_skips_the_pass_while_another_node_sweeps(overdue):
    with OtherNode():
        assert sweep_all() == {"skipped": 1}
    overdue.refresh_from_db()
    assert overdue.handling_level == HandlingLevel.GRID
    assert not Event.objects.filter(case=overdue, action="escalate").exists()


def test_the_pass_runs_once_the_other_node_is_done(overdue):
    with OtherNode():
        sweep_all()
    result = sweep_all()
    assert result.get("escalated") == 1 and "skipped" not in result
    overdue.refresh_from_db()
    assert overdue.handling_level == HandlingLevel.VILLAGE
    assert sweep_all().get("escalated") == 0  # the lock was released, and the sweep is idempotent
    assert Event.objects.filter(case=overdue, action="escalate").count() == 1
