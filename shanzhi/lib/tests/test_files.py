"""Files holding personal data or secrets are owner-only, made on first need; read-only commands make none.

Each check runs the real `shanzhi` settings in a fresh process, with a permissive umask (000) so that
only the code's own modes count.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import shanzhi
from shanzhi.lib.files import secret_file

ROOT = Path(shanzhi.__file__).resolve().parent.parent
PHONE = "13800000001"
USE_EVERYTHING = """
import django
django.setup()
from django.conf import settings
from django.db import connection
from shanzhi.accounts.sms import send_sms
from shanzhi.lib import crypto
connection.ensure_connection()
assert len(str(settings.SECRET_KEY)) > 40
assert crypto.decrypt(crypto.encrypt("x")) == "x"
send_sms("PHONE", "验证码 246810")
""".replace("PHONE", PHONE)


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"SHANZHI_DATA_DIR", "DATABASE_URL", "SMS_BACKEND", "SHANZHI_SMS_ECHO", "SECRET_KEY",
                        "SHANZHI_PII_KEY", "DJANGO_SETTINGS_MODULE"}}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_data_dir_and_what_it_holds_are_owner_only(tmp_path):
    data = tmp_path / "data"
    done = _run([sys.executable, "-c", USE_EVERYTHING], tmp_path, SHANZHI_DATA_DIR=str(data))
    assert done.returncode == 0, done.stderr
    assert _mode(data) == 0o700
    for name in ("shanzhi.sqlite3", "secret_key", "pii_key", "sms-outbox.log"):
        assert _mode(data / name) == 0o600, name
    assert PHONE in (data / "sms-outbox.log").read_text(encoding="utf-8")
    # The default SMS backend writes the outbox only: no numbers or codes on stderr.
    assert PHONE not in done.stderr and "246810" not in done.stderr


def test_the_sms_echo_setting_prints_messages_to_stderr(tmp_path):
    done = _run([sys.executable, "-c", USE_EVERYTHING], tmp_path, SHANZHI_DATA_DIR=str(tmp_path / "data"),
                SHANZHI_SMS_ECHO="1")
    assert done.returncode == 0, done.stderr
    assert f"[SMS to {PHONE}] 验证码 246810" in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["version"], ["help", "migrate"]])
def test_read_only_commands_create_no_files_in_the_current_directory(tmp_path, args):
    done = _run([sys.executable, "-m", "shanzhi", *args], tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == []


def test_keys_are_made_on_first_use_not_when_settings_load(tmp_path):
    code = ("import django; django.setup(); import os; from django.conf import settings; "
            "print(sorted(os.listdir(settings.DATA_DIR)) if settings.DATA_DIR.exists() else 'none'); "
            "str(settings.SECRET_KEY); print(sorted(os.listdir(settings.DATA_DIR)))")
    done = _run([sys.executable, "-c", code], tmp_path, SHANZHI_DATA_DIR=str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["none", "['secret_key']"]


def test_a_secret_is_made_once_and_kept(tmp_path):
    first = secret_file(tmp_path / "key", lambda: "one")
    assert secret_file(tmp_path / "key", lambda: "two") == first == "one"
    assert _mode(tmp_path / "key") == 0o600
    assert sorted(os.listdir(tmp_path)) == ["key"]  # no temporary file left behind
