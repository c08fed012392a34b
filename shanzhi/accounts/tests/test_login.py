"""Staff login page: password, failure limits per account-and-address and per address, safe redirects."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts.models import User
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
    """POST the form; upper-case keywords (REMOTE_ADDR, HTTP_...) go into the request's META."""
    meta = {k: v for k, v in extra.items() if k.isupper()}
    data = {k: v for k, v in extra.items() if not k.isupper()}
    return client.post(LOGIN, {"username": username, "password": password, **data}, **meta)


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


A = "10.0.0.1"
B = "10.0.0.2"


def fail(client: Client, username: str, times: int, address: str = A) -> None:
    for _ in range(times):
        assert post_login(client, username, "wrong-password", REMOTE_ADDR=address).status_code == 400


def test_it_refuses_the_account_from_that_address_after_too_many_failures_even_for_the_right_password(
        client, county):
    fail(client, "worker_a", settings.SHANZHI["LOGIN_MAX_FAILURES"])
    res = post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A)
    assert res.status_code == 400
    assert BAD in error_of(res)
    assert logged_in_id(client) is None


def test_the_county_admin_locked_out_from_one_address_still_logs_in_from_another(client, county):
    fail(client, "admin", settings.SHANZHI["LOGIN_MAX_FAILURES"], address=A)
    assert post_login(client, "admin", PASSWORD, REMOTE_ADDR=A).status_code == 400
    res = post_login(client, "admin", PASSWORD, REMOTE_ADDR=B)
    assert res.status_code == 302
    assert logged_in_id(client) == county.admin.pk


def test_one_address_trying_many_usernames_is_refused_after_the_address_limit(client, county):
    ip_limit = settings.SHANZHI["LOGIN_IP_FAILURE_LIMIT"]
    per_account = settings.SHANZHI["LOGIN_MAX_FAILURES"] - 1  # never enough to refuse any one pair
    names = [f"guess{i}" for i in range(ip_limit)]
    tried = 0
    for name in names:
        for _ in range(per_account):
            if tried < ip_limit:
                post_login(client, name, "wrong-password", REMOTE_ADDR=A)
                tried += 1
    # a real account with the right password, never tried before from A, is refused there now
    assert post_login(client, "worker_b", PASSWORD, REMOTE_ADDR=A).status_code == 400
    assert logged_in_id(client) is None
    # and the same account from another address is not
    assert post_login(client, "worker_b", PASSWORD, REMOTE_ADDR=B).status_code == 302


def test_below_the_address_limit_another_account_logs_in_from_the_same_address(client, county):
    fail(client, "worker_a", settings.SHANZHI["LOGIN_MAX_FAILURES"])
    assert post_login(client, "worker_b", PASSWORD, REMOTE_ADDR=A).status_code == 302


def test_unknown_user_wrong_password_and_refused_attempt_answer_the_same(client, county):
    fail(client, "worker_a", settings.SHANZHI["LOGIN_MAX_FAILURES"])
    refused = post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A)
    wrong = post_login(client, "worker_b", "wrong-password", REMOTE_ADDR=A)
    unknown = post_login(client, "nobody", "wrong-password", REMOTE_ADDR=A)
    assert refused.status_code == wrong.status_code == unknown.status_code == 400
    assert error_of(refused) == error_of(wrong) == error_of(unknown)
    assert BAD in error_of(refused)
    # the whole form answers alike, apart from the username echoed back into its field
    def page(res, name):
        html = res.content.decode()
        main = html[html.index("<main>"):html.index("</main>")].replace(f'value="{name}"', "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)
    assert page(refused, "worker_a") == page(wrong, "worker_b") == page(unknown, "nobody")


def test_the_refusal_lifts_after_the_lock_time(client, county):
    from axes.models import AccessAttempt

    fail(client, "worker_a", settings.SHANZHI["LOGIN_MAX_FAILURES"])
    assert post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A).status_code == 400
    minutes = settings.SHANZHI["LOGIN_LOCK_MINUTES"]
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes, seconds=1))
    res = post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A)
    assert res.status_code == 302
    assert logged_in_id(client) == county.worker_a.pk


def test_a_success_resets_the_failure_count(client, county):
    limit = settings.SHANZHI["LOGIN_MAX_FAILURES"]
    fail(client, "worker_a", limit - 1)
    assert post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A).status_code == 302
    client.logout()
    fail(client, "worker_a", 1)
    assert post_login(client, "worker_a", PASSWORD, REMOTE_ADDR=A).status_code == 302


def test_the_admin_site_login_counts_against_the_same_limits(client, county):
    admin_login = "/admin/login/"
    for _ in range(settings.SHANZHI["LOGIN_MAX_FAILURES"]):
        client.post(admin_login, {"username": "admin", "password": "wrong-password"}, REMOTE_ADDR=A)
    # the password page is now refused for that pair, with the same words as a wrong password
    res = post_login(client, "admin", PASSWORD, REMOTE_ADDR=A)
    assert res.status_code == 400 and BAD in error_of(res)


def test_behind_a_proxy_the_configured_header_names_the_client(client, county, settings):
    settings.SHANZHI = {**settings.SHANZHI, "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"}
    proxy = "192.0.2.1"
    for _ in range(settings.SHANZHI["LOGIN_MAX_FAILURES"]):
        post_login(client, "admin", "wrong-password", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"1.1.1.1, {A}")
    # the client A is refused; another client behind the same proxy is not
    assert post_login(client, "admin", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=A).status_code == 400
    assert post_login(client, "admin", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=B).status_code == 302


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
    assert "Staff log-in" in client.get(LOGIN).content.decode()
    html = post_login(client, "worker_a", "wrong-password").content.decode()
    assert "Wrong username or password" in html
