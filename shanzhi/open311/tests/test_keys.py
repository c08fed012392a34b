"""API keys: the county admin's page, the commands, and the audit trail — each rule both ways."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.shortcuts import resolve_url
from django.test import Client

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import ApiKey, Case
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.open311.selectors import hash_key
from shanzhi.open311.services import apikey_issue, apikey_revoke
from shanzhi.open311.tests.conftest import at, body, post

pytestmark = pytest.mark.django_db
KEYS = "/open311/keys/"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def revoke_url(key: ApiKey) -> str:
    return f"/open311/keys/{key.pk}/revoke/"


def plain_key_on(page: str) -> str:
    match = re.search(r'<code id="new-key">([^<]+)</code>', page)
    assert match, "the new key is shown"
    return match.group(1)


# --- the page -------------------------------------------------------------------------------

def test_a_county_admin_issues_a_key_and_sees_it_once(client, county):
    client.force_login(county.admin)
    response = client.post(KEYS, {"name": "12345 热线"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plain = plain_key_on(response.content.decode())
    assert KEY_RE.match(plain)
    key = ApiKey.objects.get()
    assert key.name == "12345 热线" and key.created_by == county.admin and key.prefix == plain[:8]
    assert key.key_hash == hash_key(plain) and plain not in key.key_hash
    listing = client.get(KEYS).content.decode()
    assert "12345 热线" in listing and key.prefix in listing and plain not in listing
    assert post(Client(), api_key=plain, service_code="garbage", **at(2, 5)).status_code == 200


def test_a_key_needs_a_name(client, county):
    client.force_login(county.admin)
    response = client.post(KEYS, {"name": "  "})
    assert response.status_code == 200 and 'id="new-key"' not in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_a_county_admin_revokes_a_key_and_it_stops_working(client, county, now):
    key, plain = apikey_issue(actor=None, name="城市服务平台")
    client.force_login(county.admin)
    response = client.post(revoke_url(key))
    assert response.status_code == 302 and response["Location"] == KEYS
    key.refresh_from_db()
    assert key.revoked_at == now
    assert post(Client(), api_key=plain, service_code="garbage", **at(2, 5)).status_code == 403
    page = client.get(KEYS).content.decode()
    assert revoke_url(key) not in page  # no button for a revoked key
    assert client.post(revoke_url(key)).status_code == 302  # twice: refused with a message, nothing changes
    key.refresh_from_db()
    assert key.revoked_at == now


@pytest.mark.parametrize("who", ["town_staff", "worker_a", "resident_user"])
def test_anyone_but_a_county_admin_gets_not_found(client, county, who):
    key, _plain = apikey_issue(actor=None, name="城市服务平台")
    client.force_login(getattr(county, who))
    assert client.get(KEYS).status_code == 404
    assert client.post(KEYS, {"name": "偷偷签发"}).status_code == 404
    assert client.post(revoke_url(key)).status_code == 404
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().revoked_at is None


def test_anonymous_users_are_sent_to_log_in(client, county):
    key, _plain = apikey_issue(actor=None, name="城市服务平台")
    for response in (client.get(KEYS), client.post(revoke_url(key))):
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_the_page_forms_need_a_csrf_token(county):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(county.admin)
    assert strict.post(KEYS, {"name": "x"}).status_code == 403
    assert ApiKey.objects.count() == 0


def test_revoking_is_post_only(client, county):
    key, _plain = apikey_issue(actor=None, name="x")
    client.force_login(county.admin)
    assert client.get(revoke_url(key)).status_code == 405


def test_the_page_reads_in_english(client, county):
    client.force_login(county.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(KEYS).content.decode()
    assert "Open311 API keys" in page and "Issue a new key" in page


# --- services and audit ---------------------------------------------------------------------

def test_issuing_and_revoking_are_audited_without_the_key(county):
    key, plain = apikey_issue(actor=county.admin, name="12345 热线")
    apikey_revoke(actor=county.admin, key=key)
    entries = list(AuditEntry.objects.filter(object_type="cases.apikey").order_by("id"))
    assert [e.action for e in entries] == ["open311.key_issue", "open311.key_revoke"]
    assert all(e.actor == county.admin for e in entries)
    assert all(plain not in str(e.before) + str(e.after) + e.reason for e in entries)


def test_the_services_refuse_other_staff(county):
    with pytest.raises(NotFound):
        apikey_issue(actor=county.town_staff, name="x")
    key, _plain = apikey_issue(actor=county.admin, name="x")
    with pytest.raises(NotFound):
        apikey_revoke(actor=county.worker_a, key=key)
    with pytest.raises(DomainError, match="名称"):
        apikey_issue(actor=county.admin, name="x" * 101)


# --- commands -------------------------------------------------------------------------------

def test_issue_api_key_prints_only_the_key_and_it_works(county):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_key", "--name", "12345 热线", stdout=out, stderr=err)
    printed = out.getvalue()
    assert printed.endswith("\n") and printed.count("\n") == 1
    plain = printed.strip()
    assert KEY_RE.match(plain) and err.getvalue() == ""
    assert ApiKey.objects.get().name == "12345 热线"
    response = post(Client(), api_key=plain, service_code="garbage", description="x", **at(2, 5))
    assert response.status_code == 200
    assert Case.objects.get(number=body(response)[0]["service_request_id"]).open311_client.name == "12345 热线"


def test_issue_api_key_refuses_an_empty_name(county):
    with pytest.raises(CommandError, match="名称"):
        call_command("issue_api_key", "--name", " ", stdout=io.StringIO())


def test_revoke_api_key_by_prefix(county):
    key, plain = apikey_issue(actor=None, name="城市服务平台")
    out = io.StringIO()
    call_command("revoke_api_key", key.prefix, stdout=out)
    assert key.prefix in out.getvalue()
    assert post(Client(), api_key=plain, service_code="garbage", **at(2, 5)).status_code == 403
    with pytest.raises(CommandError, match="已经吊销"):
        call_command("revoke_api_key", key.prefix, stdout=io.StringIO())
    with pytest.raises(CommandError, match="没有前缀"):
        call_command("revoke_api_key", "zzzzzzzz", stdout=io.StringIO())
