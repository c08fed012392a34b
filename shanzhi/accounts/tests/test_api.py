"""API tokens: staff exchange a password for a token (lock-out applies); residents never get one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Post
from shanzhi.org.services import post_end

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def get_token(client: APIClient, username: str, password: str):
    return client.post(URL, {"username": username, "password": password}, format="json")


def test_a_grid_worker_gets_a_token_and_uses_it(county):
    client = APIClient()
    response = get_token(client, "worker_a", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=county.worker_a).key == token
    assert AuditEntry.objects.filter(action="accounts.token.issue", actor=county.worker_a).exists()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    units = client.get("/api/v1/units/")
    assert units.status_code == 200
    assert [u["code"] for u in units.json()["results"]][0] == county.grid_a.code
    # the same scope rules hold with a real token
    assert client.get(f"/api/v1/households/{county.household_b.pk}/").status_code == 404


def test_asking_again_returns_the_same_token(county):
    first = get_token(APIClient(), "town", PASSWORD).json()["token"]
    assert get_token(APIClient(), "town", PASSWORD).json()["token"] == first


def test_a_wrong_password_is_refused_in_the_api_error_format(county):
    response = get_token(APIClient(), "worker_a", "wrong-password")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "login_failed", "message": "用户名或密码错误", "fields": {}}}
    unknown = get_token(APIClient(), "nobody", "wrong-password")
    assert unknown.json() == response.json()
    assert not Token.objects.exists()


def test_missing_credentials_name_the_fields(county):
    response = APIClient().post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "password"}


def test_repeated_failures_refuse_the_pair_even_for_the_right_password_with_the_same_answer(county):
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        wrong = get_token(client, "worker_b", "wrong-password")
        assert wrong.json()["error"]["code"] == "login_failed"
    right = get_token(client, "worker_b", PASSWORD)
    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json() == get_token(client, "nobody", "x").json()
    assert not Token.objects.filter(user=county.worker_b).exists()
    # the page's failures and the API's are one count, and another address is not refused
    assert get_token(APIClient(REMOTE_ADDR="10.0.0.2"), "worker_b", PASSWORD).status_code == 200


def old_token(user, days: int) -> Token:
    token = Token.objects.create(user=user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(days=days))
    return Token.objects.get(pk=token.pk)


def test_a_token_older_than_the_lifetime_is_refused_with_401(county):
    days = settings.SHANZHI["TOKEN_TTL_DAYS"]
    assert days == 30
    token = old_token(county.worker_a, days + 1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "过期" in response.json()["error"]["message"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_within_the_lifetime_still_works(county):
    token = old_token(county.worker_a, settings.SHANZHI["TOKEN_TTL_DAYS"] - 1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/units/").status_code == 200


def test_the_lifetime_is_a_setting(county, settings):
    settings.SHANZHI = {**settings.SHANZHI, "TOKEN_TTL_DAYS": 2}
    token = old_token(county.worker_a, 3)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/units/").status_code == 401


def test_asking_with_the_password_replaces_an_expired_token_with_a_fresh_one(county):
    stale = old_token(county.worker_a, settings.SHANZHI["TOKEN_TTL_DAYS"] + 1)
    response = get_token(APIClient(), "worker_a", PASSWORD)
    assert response.status_code == 200
    fresh = response.json()["token"]
    assert fresh != stale.key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get("/api/v1/units/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {stale.key}")
    assert client.get("/api/v1/units/").status_code == 401


def test_a_resident_account_never_gets_a_token(county):
    resident_user = county.resident_user
    resident_user.set_password(PASSWORD)  # even if a password were somehow set
    resident_user.save()
    response = get_token(APIClient(), resident_user.username, PASSWORD)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "用户名或密码错误"
    assert not Token.objects.filter(user=resident_user).exists()


def test_a_resident_with_a_token_is_still_refused(county):
    token = Token.objects.create(user=county.resident_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/residents/")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "仅限在岗工作人员使用接口"


def test_a_staff_account_without_a_current_post_gets_no_token(county):
    user_create_staff(actor=None, username="retired", password=PASSWORD, check_strength=False)
    response = get_token(APIClient(), "retired", PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "岗位" in response.json()["error"]["message"]


def test_a_token_stops_working_when_the_post_ends(county):
    token = get_token(APIClient(), "worker_c", PASSWORD).json()["token"]
    post = Post.objects.get(user=county.worker_c)
    post_end(actor=None, post=post, end_date=dt.date(2024, 6, 30))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/units/").status_code == 403


def test_deleting_revokes_the_callers_token(county):
    token = get_token(APIClient(), "worker_a", PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete(URL).status_code == 204
    assert not Token.objects.filter(user=county.worker_a).exists()
    assert AuditEntry.objects.filter(action="accounts.token.revoke", actor=county.worker_a).exists()
    after = client.get("/api/v1/units/")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "authentication_failed"


def test_revoking_needs_a_signed_in_caller(county):
    response = APIClient().delete(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
