"""Staff login page: password, lock-out, unlock after the lock time, safe redirects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts.models import User
from shanzhi.audit.models import AuditEntry
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD

LOGIN = "/accounts/login/"
BAD = "用户名或密码错误"
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def english(client):
    """Ask for English pages; afterwards drop the thread's active language so later tests see Chinese."""
    from django.conf import settings as django_settings
    from django.utils import translation

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    yield
    translation.deactivate()


def post_login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def logged_in_id(client: Client) -> int | None:
    uid = client.session.get("_auth_user_id")
    return int(uid) if uid else None


def test_the_login_url_is_named_and_is_the_login_url():
    assert reverse("accounts:login") == LOGIN
    assert reverse(settings.LOGIN_URL) == LOGIN


def test_the_page_shows_username_password_and_a_button(client):
    html = client.get(LOGIN).content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'type="submit"' in html
    assert "csrfmiddlewaretoken" in html


def test_staff_logs_in_and_lands_on_home(client, county):
    res = post_login(client, "worker_a", PASSWORD)
    assert res.status_code == 302
    assert res["Location"] == "/"
    assert logged_in_id(client) == county.worker_a.pk


def test_wrong_password_is_refused(client, county):
    res = post_login(client, "worker_a", "not-the-password")
    assert res.status_code == 400
    assert BAD in res.content.decode()
    assert logged_in_id(client) is None


def error_of(res) -> str:
    html = res.content.decode()
    start = html.index('<p class="error"')
    return html[start:html.index("</p>", start)]


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, county):
    wrong = post_login(client, "worker_a", "not-the-password")
    unknown = post_login(client, "nobody", "not-the-password")
    assert BAD in error_of(unknown)
    assert error_of(wrong) == error_of(unknown)
    assert wrong.status_code == unknown.status_code


def test_an_empty_form_says_what_is_missing(client, county):
    res = client.post(LOGIN, {"username": "", "password": ""})
    assert res.status_code == 400
    assert "errorlist" in res.content.decode()
    assert logged_in_id(client) is None


def test_it_locks_the_account_after_too_many_failures_even_for_the_right_password(client, county):
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    with clock.frozen(T0):
        for _ in range(limit - 1):
            assert BAD in post_login(client, "worker_a", "wrong-password").content.decode()
        last = post_login(client, "worker_a", "wrong-password").content.decode()
        assert "锁定" in last
        res = post_login(client, "worker_a", PASSWORD)
    assert res.status_code == 400
    assert "锁定" in res.content.decode()
    assert logged_in_id(client) is None
    assert AuditEntry.objects.filter(action="accounts.user.locked", object_id=str(county.worker_a.pk)).count() == 1


def test_the_lock_lifts_after_the_lock_time(client, county):
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    minutes = settings.SHANZHI["LOGIN_LOCK_MINUTES"]
    with clock.frozen(T0):
        for _ in range(limit):
            post_login(client, "worker_a", "wrong-password")
    with clock.frozen(T0 + dt.timedelta(minutes=minutes - 1)):
        assert "锁定" in post_login(client, "worker_a", PASSWORD).content.decode()
    with clock.frozen(T0 + dt.timedelta(minutes=minutes, seconds=1)):
        res = post_login(client, "worker_a", PASSWORD)
    assert res.status_code == 302
    assert logged_in_id(client) == county.worker_a.pk


def test_a_success_resets_the_failure_count(client, county):
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        post_login(client, "worker_a", "wrong-password")
    assert post_login(client, "worker_a", PASSWORD).status_code == 302
    client.logout()
    post_login(client, "worker_a", "wrong-password")
    assert post_login(client, "worker_a", PASSWORD).status_code == 302


def test_a_lock_on_one_account_leaves_others_alone(client, county):
    for _ in range(settings.SHANZHI["LOGIN_MAX_FAILURES"]):
        post_login(client, "worker_a", "wrong-password")
    assert post_login(client, "worker_b", PASSWORD).status_code == 302


def test_it_honours_a_safe_next(client, county):
    res = post_login(client, "worker_a", PASSWORD, next="/people/households/?page=2")
    assert res["Location"] == "/people/households/?page=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_it_ignores_a_next_to_another_site(client, county, target):
    res = post_login(client, "worker_a", PASSWORD, next=target)
    assert res["Location"] == "/"


def test_the_next_from_the_query_string_is_kept_in_the_form(client):
    html = client.get(LOGIN + "?next=/audit/").content.decode()
    assert 'name="next" value="/audit/"' in html


def test_login_rotates_the_session_key(client, county):
    client.get(LOGIN)
    session = client.session
    session["marker"] = "x"
    session.save()
    before = session.session_key
    post_login(client, "worker_a", PASSWORD)
    assert client.session.session_key != before


def test_the_form_is_csrf_protected(county):
    client = Client(enforce_csrf_checks=True)
    res = post_login(client, "worker_a", PASSWORD)
    assert res.status_code == 403
    assert logged_in_id(client) is None


def test_a_resident_account_cannot_log_in_through_the_staff_form(client, county):
    user = county.resident_user
    user.set_password(PASSWORD)  # even with a password, a resident account is not a staff account
    user.save()
    res = post_login(client, user.username, PASSWORD)
    assert res.status_code == 400
    assert BAD in res.content.decode()
    assert logged_in_id(client) is None


def test_an_inactive_staff_account_cannot_log_in(client, county):
    User.objects.filter(pk=county.worker_a.pk).update(is_active=False)
    res = post_login(client, "worker_a", PASSWORD)
    assert res.status_code == 400
    assert logged_in_id(client) is None


def test_logout_ends_the_session(client, county):
    post_login(client, "worker_a", PASSWORD)
    res = client.post(reverse("accounts:logout"))
    assert res.status_code == 302
    assert logged_in_id(client) is None


def test_the_page_and_its_messages_are_available_in_english(client, county, english):
    assert "Staff login" in client.get(LOGIN).content.decode()
    html = post_login(client, "worker_a", "wrong-password").content.decode()
    assert "Wrong username or password" in html
