"""Browser tests: Playwright driving the Debian chromium against pytest-django's live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (chromium at /usr/bin/chromium)")


def wait_until(page, expression: str, timeout_ms: float | None = None) -> None:
    """Wait until a JavaScript expression is truthy in the page.

    Playwright's wait_for_function polls by evaluating a string inside the page, which the
    Content-Security-Policy (no 'unsafe-eval') refuses; page.evaluate goes through the DevTools
    protocol, which the policy does not govern. Prefer locator assertions (expect) where they fit.
    """
    import time

    limit = (timeout_ms or float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000"))) / 1000
    deadline = time.monotonic() + limit
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(50)


def _through_the_middleware(app):
    """The live server's static handler: none, so /static/ goes through WhiteNoise as in production."""
    return app


@pytest.fixture(scope="session")
def live_server(_static_collected):
    """pytest-django's live server, with static files served by WhiteNoise (hashed, compressed, cached)
    from the session's collected files instead of Django's finders (which know no hashed names)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.static_handler = _through_the_middleware
    server.start()
    yield server
    server.stop()


@pytest.fixture
def project_static(settings):
    """Serve shanzhi/static (vendored Leaflet, htmx, site.css) from the live server.

    The package directory is not an app, so the app-directories finder misses it; settings should
    list it in STATICFILES_DIRS, and this adds it for the test when they do not.
    """
    static = Path(settings.BASE_DIR) / "static"
    dirs = [Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])]
    if static not in dirs:
        settings.STATICFILES_DIRS = [*getattr(settings, "STATICFILES_DIRS", []), static]


@pytest.fixture
def browser_page(monkeypatch, project_static):
    """A fresh headless chromium page; skips when the browser is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install the Debian 'chromium' package to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made here after
    # start (fixture teardown flushes the database) are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000")))
        from playwright.sync_api import expect

        expect.set_options(timeout=float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000")))
        refused: list[str] = []  # anything the Content-Security-Policy blocked, on any page of the test
        context.on("console", lambda msg: refused.append(msg.text)
                   if msg.type == "error" and "Content Security Policy" in msg.text else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
        assert refused == [], f"the page broke its Content-Security-Policy: {refused}"
