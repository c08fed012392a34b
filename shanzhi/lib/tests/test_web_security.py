"""Content-Security-Policy on every page, no inline scripts or handlers, and the HTTPS settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from shanzhi import settings as shanzhi_settings

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def assert_clean(html: str, where: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {where}: {INLINE_SCRIPT.search(html).group(0)}"
    match = INLINE_HANDLER.search(html)
    assert not match, f"inline event handler in {where}: {match.group(0)[:120]}"
    assert not STYLE_BLOCK.search(html), f"<style> block in {where}"


# the policy --------------------------------------------------------------------------------

def test_the_policy_allows_scripts_only_from_our_own_static_files(client, db):
    csp = policy(client.get("/accounts/login/"))
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["style-src-attr"] == ["'unsafe-inline'"]  # attributes only; no <style> blocks
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:"]  # no tile server configured
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


@pytest.mark.parametrize("url, source", [
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"),
    ("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
    ("", None),
    ("not a url", None),
])
def test_the_tile_server_of_the_settings_is_an_allowed_image_source(url, source):
    assert shanzhi_settings._tile_source(url) == ([source] if source else [])


def test_a_404_page_and_an_api_answer_carry_the_header_too(client, county):
    assert "Content-Security-Policy" in client.get("/no/such/page/")
    assert "Content-Security-Policy" in client.get("/open311/v2/services.json")
    client.force_login(county.admin)
    assert "Content-Security-Policy" in client.get("/api/v1/units/")


# the pages ---------------------------------------------------------------------------------

def staff_pages(county) -> list[str]:
    grid = county.grid_a.code
    return [
        "/", f"/units/{county.county.code}/", f"/units/{county.town.code}/", f"/units/{grid}/",
        f"/people/units/{grid}/households/", f"/people/units/{grid}/residents/",
        f"/people/households/{county.household_a.pk}/", f"/people/residents/{county.resident.pk}/",
        "/cases/queue/", "/cases/all/", "/cases/extensions/", "/cases/hotline/", "/cases/patrol/",
        "/cases/inbox/", f"/cases/indicators/{county.county.code}/",
        "/campaigns/", "/campaigns/new/night-visit/", "/campaigns/new/incident/", "/campaigns/sites/",
        "/campaigns/mine/", "/mediation/", "/mediation/reception/", "/mediation/calendar/",
        "/audit/", "/open311/keys/", "/admin/", "/admin/accounts/user/",
    ]


def resident_pages() -> list[str]:
    return ["/", "/cases/report/", "/cases/feed/", "/cases/mine/"]


def render_all(client: Client, urls: list[str]) -> list[tuple[str, str]]:
    pages = []
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert "Content-Security-Policy" in response, f"{url} has no CSP header"
        pages.append((url, response.content.decode()))
    return pages


def test_the_main_pages_carry_the_policy_and_have_no_inline_script_or_handler(client, county):
    pages = render_all(client, ["/accounts/login/", "/accounts/resident/"])
    client.force_login(county.admin)
    pages += render_all(client, staff_pages(county))
    client.force_login(county.resident_user)
    pages += render_all(client, resident_pages())
    assert len(pages) > 30
    for url, html in pages:
        assert_clean(html, url)


def test_no_template_has_an_inline_script_handler_or_style_block():
    root = Path(settings.BASE_DIR)
    templates = [p for p in root.rglob("*.html") if "templates" in p.parts]
    assert len(templates) > 50
    for path in templates:
        assert_clean(path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def test_the_checks_catch_what_they_look_for():
    for bad in ['<script>alert(1)</script>', '<form onsubmit="x()">', '<img src=x onerror=alert(1)>',
                '<style>p{}</style>']:
        with pytest.raises(AssertionError):
            assert_clean(bad, "sample")
    assert_clean('<script src="/static/x.js"></script><script id="d" type="application/json">{}</script>'
                 '<p data-confirm="on=1">one</p>', "sample")


# HTTPS settings from the environment ---------------------------------------------------------

def settings_with(monkeypatch, tmp_path, **env) -> dict:
    """Load settings.py afresh in a subprocess-free way: exec the file with the given environment."""
    import runpy

    monkeypatch.setenv("SHANZHI_DATA_DIR", str(tmp_path))
    for name in ["SHANZHI_HSTS_SECONDS", "SHANZHI_HSTS_SUBDOMAINS", "SHANZHI_PROXY_SSL_HEADER",
                 "SHANZHI_SSL_REDIRECT", "SHANZHI_TILE_URL"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(shanzhi_settings.__file__)


def test_https_settings_are_off_by_default(monkeypatch, tmp_path):
    loaded = settings_with(monkeypatch, tmp_path)
    assert loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["SECURE_PROXY_SSL_HEADER"] is None
    assert loaded["SECURE_SSL_REDIRECT"] is False


def test_https_settings_come_from_the_environment(monkeypatch, tmp_path):
    loaded = settings_with(monkeypatch, tmp_path, SHANZHI_HSTS_SECONDS="31536000", SHANZHI_HSTS_SUBDOMAINS="1",
                           SHANZHI_PROXY_SSL_HEADER="X-Forwarded-Proto=https", SHANZHI_SSL_REDIRECT="1",
                           SHANZHI_TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png")
    assert loaded["SECURE_HSTS_SECONDS"] == 31536000
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert "https://tiles.example.cn" in loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]


def test_a_malformed_proxy_header_setting_is_refused_at_start(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="X-Forwarded-Proto=https"):
        settings_with(monkeypatch, tmp_path, SHANZHI_PROXY_SSL_HEADER="X-Forwarded-Proto")


def test_behind_the_proxy_a_forwarded_https_request_gets_hsts(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=3600"
    plain = client.get("/accounts/login/")
    assert "Strict-Transport-Security" not in plain  # HSTS is only ever sent over HTTPS
