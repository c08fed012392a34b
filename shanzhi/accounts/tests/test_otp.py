"""Resident login by phone number and one-time code, and the pluggable SMS backends."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import OneTimeCode, User, UserKind
from shanzhi.accounts.services import LoginError, otp_login, otp_request
from shanzhi.accounts.sms import ConsoleBackend, FileBackend, MemoryBackend, send_sms
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

PAGE = "/accounts/resident/"
PHONE = "13800000001"  # the resident persona (张三)
UNKNOWN = "13900009999"
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def english(client):
    """Ask for English pages; afterwards drop the thread's active language so later tests see Chinese."""
    from django.conf import settings as django_settings
    from django.utils import translation

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    yield
    translation.deactivate()


def last_code() -> str:
    phone, text = MemoryBackend.outbox[-1]
    return re.search(r"\d{6}", text).group(0)


def logged_in_id(client) -> int | None:
    uid = client.session.get("_auth_user_id")
    return int(uid) if uid else None


def ask(client, phone: str):
    return client.post(PAGE, {"step": "phone", "phone": phone}, follow=True)


def enter(client, code: str):
    return client.post(PAGE, {"step": "code", "code": code})


# pages -------------------------------------------------------------------------------------

def test_the_page_asks_for_a_phone_number(client):
    html = client.get(PAGE).content.decode()
    assert 'name="phone"' in html
    assert 'name="viewport"' in html  # mobile-first


def test_a_resident_logs_in_with_the_code_from_the_sms(client, county):
    res = ask(client, PHONE)
    assert res.status_code == 200
    assert 'name="code"' in res.content.decode()
    assert MemoryBackend.outbox[-1][0] == PHONE
    res = enter(client, last_code())
    assert res.status_code == 302
    assert res["Location"] == "/"
    assert logged_in_id(client) == county.resident_user.pk


def test_first_login_creates_the_resident_account(client, county):
    User.objects.filter(pk=county.resident_user.pk).delete()
    ask(client, PHONE)
    enter(client, last_code())
    user = User.objects.get(pk=logged_in_id(client))
    assert user.kind == UserKind.RESIDENT
    assert user.resident_id == county.resident.pk
    assert not user.has_usable_password()


def test_an_unknown_phone_gets_the_same_answer_and_no_sms(client, county):
    known = ask(client, PHONE).content.decode()
    other = type(client)()
    unknown = other.post(PAGE, {"step": "phone", "phone": UNKNOWN}, follow=True).content.decode()
    assert len(MemoryBackend.outbox) == 1
    strip = re.compile(r"[A-Za-z0-9]{64}|138\*{4}0001|139\*{4}9999")  # CSRF tokens, masks
    assert strip.sub("", known) == strip.sub("", unknown)
    # and a guess at the code does not reveal it either
    res = other.post(PAGE, {"step": "code", "code": "123456"})
    assert "验证码错误" in res.content.decode()


def test_a_wrong_code_is_refused_and_counted(client, county):
    ask(client, PHONE)
    res = enter(client, "000000" if last_code() != "000000" else "111111")
    assert res.status_code == 400
    assert "验证码错误" in res.content.decode()
    assert logged_in_id(client) is None
    assert OneTimeCode.objects.get().attempts == 1


def test_too_many_wrong_codes_spend_the_code(county):
    otp_request(phone=PHONE)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.SHANZHI["OTP_MAX_ATTEMPTS"]):
        with pytest.raises(LoginError):
            otp_login(phone=PHONE, code=wrong)
    with pytest.raises(LoginError, match="失效"):
        otp_login(phone=PHONE, code=code)


def test_an_expired_code_is_refused(county):
    with clock.frozen(T0):
        otp_request(phone=PHONE)
    code = last_code()
    with clock.frozen(T0 + dt.timedelta(seconds=settings.SHANZHI["OTP_TTL_SECONDS"] + 1)), \
            pytest.raises(LoginError, match="失效"):
        otp_login(phone=PHONE, code=code)
    with clock.frozen(T0 + dt.timedelta(seconds=settings.SHANZHI["OTP_TTL_SECONDS"] - 1)):
        assert otp_login(phone=PHONE, code=code) == county.resident_user


def test_a_code_works_only_once(client, county):
    ask(client, PHONE)
    code = last_code()
    assert enter(client, code).status_code == 302
    client.logout()
    with pytest.raises(LoginError):
        otp_login(phone=PHONE, code=code)


def test_a_second_request_within_the_interval_is_refused_with_the_wait(client, county):
    with clock.frozen(T0):
        ask(client, PHONE)
    with clock.frozen(T0 + dt.timedelta(seconds=20)):
        res = client.post(PAGE, {"step": "phone", "phone": PHONE})
    assert res.status_code == 400
    wait = settings.SHANZHI["OTP_MIN_INTERVAL_SECONDS"] - 20 + 1
    assert f"请{wait}秒后再试" in res.content.decode()
    assert len(MemoryBackend.outbox) == 1


def test_the_resend_button_is_throttled_too(client, county):
    with clock.frozen(T0):
        ask(client, PHONE)
        res = client.post(PAGE, {"step": "resend"})
    assert res.status_code == 400
    assert "秒后再试" in res.content.decode()
    with clock.frozen(T0 + dt.timedelta(seconds=settings.SHANZHI["OTP_MIN_INTERVAL_SECONDS"])):
        res = client.post(PAGE, {"step": "resend"}, follow=True)
    assert res.status_code == 200
    assert len(MemoryBackend.outbox) == 2


def test_requests_are_capped_per_hour(county):
    cap = settings.SHANZHI["OTP_MAX_PER_HOUR"]
    gap = dt.timedelta(seconds=settings.SHANZHI["OTP_MIN_INTERVAL_SECONDS"])
    for i in range(cap):
        with clock.frozen(T0 + i * gap):
            otp_request(phone=PHONE)
    with clock.frozen(T0 + cap * gap), pytest.raises(DomainError, match="上限"):
        otp_request(phone=PHONE)
    with clock.frozen(T0 + dt.timedelta(hours=1, seconds=1)):
        otp_request(phone=PHONE)
    assert len(MemoryBackend.outbox) == cap + 1


def test_unknown_numbers_are_throttled_the_same_way(county):
    with clock.frozen(T0):
        otp_request(phone=UNKNOWN)
        with pytest.raises(DomainError, match="秒后再试"):
            otp_request(phone=UNKNOWN)
    assert MemoryBackend.outbox == []


def test_a_malformed_phone_number_is_explained(client, county):
    res = client.post(PAGE, {"step": "phone", "phone": "12345"})
    assert res.status_code == 400
    assert "手机号" in res.content.decode()
    assert "格式错误" in res.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_a_moved_out_resident_cannot_log_in(client, county):
    from shanzhi.people.services import resident_end

    resident_end(actor=None, resident=county.resident, status="moved_out", reason="迁出")
    ask(client, PHONE)
    assert MemoryBackend.outbox == []
    assert logged_in_id(client) is None


def test_the_code_step_needs_a_phone_first(client, county):
    res = client.post(PAGE, {"step": "code", "code": "123456"})
    assert res.status_code == 302
    assert res["Location"] == PAGE


def test_change_number_starts_over(client, county):
    ask(client, PHONE)
    client.get(PAGE + "?restart=1")
    assert 'name="phone"' in client.get(PAGE).content.decode()


def test_a_resident_session_is_not_a_staff_session(client, county):
    ask(client, PHONE)
    enter(client, last_code())
    user = User.objects.get(pk=logged_in_id(client))
    assert not scopes.is_staff_user(user)
    assert client.get("/audit/").status_code == 404
    res = client.get("/admin/")
    assert res.status_code == 302
    assert res["Location"].startswith("/admin/login/")


def test_the_page_is_available_in_english(client, county, english):
    assert "Resident log-in" in client.get(PAGE).content.decode()
    res = client.post(PAGE, {"step": "phone", "phone": PHONE}, follow=True)
    assert "a code has been sent" in res.content.decode()


# SMS backends ------------------------------------------------------------------------------

class RecordingBackend:
    """A backend defined outside the app, to show the setting is honoured."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        RecordingBackend.sent.append((phone, text))


def test_the_backend_is_chosen_by_the_setting(settings, county):
    RecordingBackend.sent.clear()
    settings.SHANZHI = {**settings.SHANZHI, "SMS_BACKEND": f"{__name__}.RecordingBackend"}
    otp_request(phone=PHONE)
    assert [p for p, _ in RecordingBackend.sent] == [PHONE]
    assert MemoryBackend.outbox == []


def test_the_file_backend_appends_to_the_outbox(settings, tmp_path, capsys):
    outbox = tmp_path / "outbox.log"
    settings.SHANZHI = {**settings.SHANZHI, "SMS_BACKEND": "file", "SMS_OUTBOX": outbox}
    send_sms(PHONE, "你好 1")
    FileBackend().send(PHONE, "你好 2")
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1:] for line in lines] == [[PHONE, "你好 1"], [PHONE, "你好 2"]]
    assert oct(outbox.stat().st_mode & 0o777) == oct(0o600)
    err = capsys.readouterr().err  # numbers and codes stay out of the server's stderr by default
    assert PHONE not in err and "你好" not in err


def test_the_file_backend_echoes_to_stderr_only_when_asked(settings, tmp_path, capsys):
    settings.SHANZHI = {**settings.SHANZHI, "SMS_BACKEND": "file", "SMS_OUTBOX": tmp_path / "outbox.log",
                        "SMS_ECHO": True}
    send_sms(PHONE, "验证码 654321")
    assert f"[SMS to {PHONE}] 验证码 654321" in capsys.readouterr().err


def test_the_console_backend_prints_to_stderr(capsys):
    ConsoleBackend().send(PHONE, "验证码 123456")
    assert f"[SMS to {PHONE}] 验证码 123456" in capsys.readouterr().err


def test_the_default_outbox_lives_in_the_data_dir_and_the_env_var_switches_backend(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SHANZHI['SMS_BACKEND']); print(s.SHANZHI['SMS_OUTBOX'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shanzhi.settings", "SHANZHI_DATA_DIR": str(tmp_path)}
    env.pop("SMS_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    backend, outbox = out.stdout.split()
    assert backend == "shanzhi.accounts.sms.FileBackend"
    assert outbox == str(tmp_path / "sms-outbox.log")
    env["SMS_BACKEND"] = "shanzhi.accounts.sms.ConsoleBackend"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "shanzhi.accounts.sms.ConsoleBackend"
