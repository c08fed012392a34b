"""`shanzhi serve` starts a real server on a fresh data dir: migrates, serves pages and static files."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def server(request, tmp_path, _static_collected):
    port = _free_port()
    env = {**os.environ, "SHANZHI_DATA_DIR": str(tmp_path)}
    if "fresh_static" not in request.keywords:  # the session's collected files: serve starts at once
        env["SHANZHI_STATIC_ROOT"] = str(_static_collected)
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "shanzhi", "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(900):  # a fresh data dir collects the static files first
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read().decode())
                time.sleep(0.1)
        yield base, tmp_path, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def _stop(proc) -> str:
    """Stop the server and return everything it printed (the access log goes to stdout)."""
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    return out.decode()


@pytest.mark.fresh_static
def test_it_serves_the_login_page_and_vendored_files_on_a_fresh_data_dir(server):
    base, data, _proc = server
    status, login = _get(base + "/accounts/login/")
    assert status == 200 and "登录".encode() in login
    status, body = _get(base + "/static/vendor/leaflet/leaflet.js")
    assert status == 200 and b"Leaflet" in body[:2000]
    # The page names its stylesheet by a hashed name, served compressed and cached for good.
    css = re.search(rb'href="(/static/shanzhi/site\.[0-9a-f]{12}\.css)"', login).group(1).decode()
    with urllib.request.urlopen(urllib.request.Request(base + css, headers={"Accept-Encoding": "br, gzip"}),
                                timeout=5) as resp:
        assert resp.headers["Content-Encoding"] == "br"
        assert "immutable" in resp.headers["Cache-Control"] and "max-age=315360000" in resp.headers["Cache-Control"]
    assert (data / "static" / "staticfiles.json").exists()
    assert (data / "shanzhi.sqlite3").exists()
    assert oct(os.stat(data / "shanzhi.sqlite3").st_mode & 0o777) == oct(0o600)


def test_pages_need_a_login(server):
    base, _, _proc = server
    with urllib.request.urlopen(base + "/", timeout=5) as landing:  # "/" is the landing page (issue 9)
        assert landing.status == 200 and 'id="resident-login"' in landing.read().decode()
    req = urllib.request.Request(base + "/cases/queue/")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(req, timeout=5)
        pytest.fail("expected a redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 302 and "/accounts/login/" in exc.headers["Location"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_access_log_leaves_out_query_strings(server):
    base, _, proc = server
    search = urllib.request.Request(base + "/people/units/330421/residents/?q=33042119900101123X&phone=13800000001",
                                    headers={"Referer": base + "/people/?q=13800000002"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(search, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302  # to the log-in page: the request was served and logged
    log = _stop(proc)
    lines = [line for line in log.splitlines() if "/people/units/" in line]
    assert lines and all('"GET /people/units/330421/residents/ HTTP/1.1" 302' in line for line in lines), log
    for secret in ("33042119900101123X", "13800000001", "13800000002", "q="):
        assert secret not in log


def test_pages_go_out_compressed_and_the_api_plain(server):
    """A phone asking for gzip gets the page compressed (a fraction of its size); API JSON stays plain."""
    import gzip

    base, _, _proc = server
    ask = {"Accept-Encoding": "gzip"}
    with urllib.request.urlopen(urllib.request.Request(base + "/accounts/login/", headers=ask), timeout=5) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert "登录" in gzip.decompress(resp.read()).decode()
    status, plain = _get(base + "/accounts/login/")
    assert status == 200 and "登录".encode() in plain
    try:
        urllib.request.urlopen(urllib.request.Request(base + "/api/v1/units/", headers=ask), timeout=5)
        pytest.fail("the API answered an anonymous request")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
        assert exc.headers.get("Content-Encoding") is None and exc.read().startswith(b"{")
