"""`shanzhi sweep` runs the deadline sweep; `shanzhi serve` runs it in the background without being asked."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shanzhi.cases.models import HandlingLevel
from shanzhi.lib import clock

# Builds the small county and one resident case reported 30 days ago, long past its deadline.
SETUP = """
import datetime as dt
from shanzhi.lib import clock
from shanzhi.lib.testing import build_county, report_case
county = build_county()
with clock.frozen(clock.now() - dt.timedelta(days=30)):
    case = report_case(county)
print("CASE", case.number, case.handling_level)
"""
POLL_SECONDS = 20  # a bound on waiting, not a claim about speed


def test_one_sweep_prints_what_it_did(county, report):
    case = report()
    out = io.StringIO()
    with clock.frozen(case.deadline_at + dt.timedelta(minutes=1)):
        call_command("sweep", stdout=out)
        call_command("sweep", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [["warned=0", "escalated=1"], ["warned=0", "escalated=0"]]
    assert "released=0" in lines[0]
    case.refresh_from_db()
    assert case.handling_level == HandlingLevel.VILLAGE


def test_loop_needs_a_positive_interval(db):
    with pytest.raises(CommandError):
        call_command("sweep", loop=0)


def _shanzhi(*args: str, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "shanzhi", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, **kw)


@pytest.fixture
def overdue_data_dir(tmp_path, _static_collected) -> tuple[Path, dict, str]:
    """A fresh SQLite data dir holding one overdue grid case; returns (dir, env, case number).
    The session's collected static files are handed to serve, so it starts without collecting."""
    env = {**os.environ, "SHANZHI_DATA_DIR": str(tmp_path), "SHANZHI_SWEEP_INTERVAL": "1",
           "SMS_BACKEND": "shanzhi.accounts.sms.FileBackend", "SHANZHI_STATIC_ROOT": str(_static_collected)}
    env.pop("DATABASE_URL", None)
    for args in (("migrate", "--verbosity", "0"), ("shell", "-c", SETUP)):
        proc = _shanzhi(*args, env=env)
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out.decode()
    number, level = out.decode().split("CASE", 1)[1].split()
    assert level == HandlingLevel.GRID
    return tmp_path, env, number


def _level(data_dir: Path, number: str) -> str:
    with sqlite3.connect(data_dir / "shanzhi.sqlite3", timeout=10) as db:
        return db.execute("select handling_level from cases_case where number = ?", (number,)).fetchone()[0]


def _wait_for_level(proc: subprocess.Popen, data_dir: Path, number: str, level: str) -> str:
    seen = _level(data_dir, number)
    deadline = time.monotonic() + POLL_SECONDS
    while seen != level and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(proc.stdout.read().decode())
        time.sleep(0.2)
        seen = _level(data_dir, number)
    return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def test_serve_escalates_overdue_cases_without_being_asked(overdue_data_dir):
    data_dir, env, number = overdue_data_dir
    port = _free_port()
    proc = _shanzhi("serve", "--port", str(port), "--workers", "2", env=env)
    try:
        assert _wait_for_level(proc, data_dir, number, HandlingLevel.VILLAGE) == HandlingLevel.VILLAGE
        # The server still answers after the sweep ran beside its forked workers.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as resp:
            assert resp.status == 200
    finally:
        _stop(proc)


def test_sweep_loop_keeps_sweeping(overdue_data_dir):
    data_dir, env, number = overdue_data_dir
    proc = _shanzhi("sweep", "--loop", "1", env=env)
    try:
        assert _wait_for_level(proc, data_dir, number, HandlingLevel.VILLAGE) == HandlingLevel.VILLAGE
    finally:
        _stop(proc)


def test_serve_refuses_a_bad_interval(overdue_data_dir):
    _, env, _ = overdue_data_dir
    proc = _shanzhi("serve", "--port", str(_free_port()), env={**env, "SHANZHI_SWEEP_INTERVAL": "soon"})
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "SHANZHI_SWEEP_INTERVAL" in out.decode()
