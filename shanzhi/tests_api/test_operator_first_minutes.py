"""The operator's first minutes: `shanzhi demo` on a new data dir, `shanzhi --help`, `serve --help`, the
demo log-ins printed again, and a README that names the real Open311 paths and every app of the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shanzhi(*args: str, data_dir: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "shanzhi", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=data_dir)


def test_help_lists_shanzhi_commands_first_with_a_line_each_then_djangos(tmp_path):
    out = shanzhi("--help", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    ours = text.index("善治命令")
    theirs = text.index("Django 命令")
    assert ours < theirs
    own_part = text[ours:theirs]
    for name in ("demo", "serve", "sweep", "import_people", "createadmin", "locate"):
        line = next(x for x in own_part.splitlines() if x.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 5  # a line saying what it does
    assert "migrate" in text[theirs:] and " migrate " not in own_part
    assert shanzhi(data_dir=tmp_path).stdout == text  # bare `shanzhi` shows the same overview


def test_serve_help_documents_every_option_and_its_default(tmp_path):
    out = shanzhi("serve", "--help", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    for option, default in (("--host", "default 127.0.0.1"), ("--port", "default 8000"),
                            ("--workers", "default 2"), ("--threads", "default 4"),
                            ("--no-migrate", "default: migrate"), ("--no-sweep", "default 60")):
        assert option in text and default in text, option


def test_demo_on_a_new_data_dir_migrates_first_and_prints_the_logins_again_later(tmp_path):
    first = shanzhi("demo", "--no-cases", "--no-progress", data_dir=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "no such table" not in first.stderr and "Traceback" not in first.stderr
    assert "演示登录" in first.stdout and "admin" in first.stdout
    again = shanzhi("demo", "--logins", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    logins = again.stdout
    assert "演示登录" in logins and "worker_a" in logins and "居民" in logins  # the resident's phone too
    refused = shanzhi("demo", "--no-cases", "--no-progress", data_dir=tmp_path)
    assert refused.returncode != 0 and "--reset" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_quickstart_prints_the_logins_again_on_existing_data():
    script = (ROOT / "quickstart").read_text()
    skip = script.index("跳过演示数据生成")
    assert "shanzhi demo --logins" in script[skip:script.index("exec ", skip)]


def test_readme_names_the_open311_paths_that_answer(client, db):
    readme = (ROOT / "README.md").read_text()
    assert "`/open311/discovery.json`" in readme and "`/open311/v2/requests.json`" in readme
    assert client.get("/open311/discovery.json").status_code == 200
    assert client.get("/open311/v2/requests.json").status_code == 200
    claimed = re.findall(r"Open311 GeoReport v2 at `(/open311/[^`]*)`", readme)
    assert claimed == []  # the old claim of an endpoint at /open311/v2/


def test_readme_layout_lists_every_app_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    layout = layout[:layout.index("Licence")]
    assert "../" not in layout
    apps = sorted(p.parent.name for p in (ROOT / "shanzhi").glob("*/apps.py"))
    assert len(apps) >= 9
    for app in apps:
        assert f"`shanzhi/{app}`" in layout, app
