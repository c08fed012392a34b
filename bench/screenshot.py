"""Screenshot the county page of the small demo county for the README (docs/screenshot.png).

    python bench/screenshot.py [--data-dir DIR] [--out docs/screenshot.png] [--unit CODE]

Builds the small demo into DIR (a fresh temp dir by default; an existing demo there is reused),
serves it in-process, logs in as the demo county admin through the login form, and saves a
screenshot once the map has drawn. Needs chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import socketserver
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    p.add_argument("--unit", default="", help="unit code to show (default: the county)")
    p.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])
    args = p.parse_args()

    data = Path(args.data_dir or tempfile.mkdtemp(prefix="shanzhi-screenshot-"))
    data.mkdir(parents=True, exist_ok=True)
    os.environ["SHANZHI_DATA_DIR"] = str(data)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    cli = [sys.executable, "-m", "shanzhi"]
    subprocess.run([*cli, "migrate", "-v0"], check=True, env=os.environ)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    from shanzhi.demo.generator import DEMO_PASSWORD
    from shanzhi.org.models import Level, OrgUnit

    if not OrgUnit.objects.exists():
        subprocess.run([*cli, "demo", "--scale", "small"], check=True, env=os.environ)
    static = Path(settings.BASE_DIR) / "static"
    if static not in [Path(d) for d in settings.STATICFILES_DIRS]:
        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, static]
    code = args.unit or OrgUnit.objects.get(level=Level.COUNTY).code

    server = make_server("127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()),
                         server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if args.lang == "en":
            with page.expect_navigation():
                page.click("form.lang button")
        page.goto(f"{base}/units/{code}/")
        page.wait_for_selector("#map[data-loaded]")
        page.wait_for_timeout(300)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    server.shutdown()
    print(f"saved {args.out} (data in {data})")


if __name__ == "__main__":
    main()
