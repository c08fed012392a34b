"""API tokens: staff exchange a password for a token (lock-out applies); residents never get one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shanzhi.accounts.models import User
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


def test_repeated_failures_lock_the_account_even_for_the_right_password(county):
    client = APIClient()
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert get_token(client, "worker_b", "wrong-password").json()["error"]["code"] == "login_failed"
    locked = get_token(client, "worker_b", "wrong-password")
    assert locked.status_code == 400
    assert locked.json()["error"]["code"] == "locked"
    assert "锁定" in locked.json()["error"]["message"]
    right = get_token(client, "worker_b", PASSWORD)
    assert right.status_code == 400 and right.json()["error"]["code"] == "locked"
    assert not Token.objects.filter(user=county.worker_b).exists()
    assert User.objects.get(pk=county.worker_b.pk).locked_until is not None


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
