"""One-time-code requests are limited per client address, whatever numbers the address asks for."""

from __future__ import annotations

import pytest

from shanzhi.accounts.models import OneTimeCode
from shanzhi.accounts.sms import MemoryBackend

PAGE = "/accounts/resident/"
A = "10.0.0.1"
B = "10.0.0.2"


@pytest.fixture
def otp_rate(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "otp": "3/hour"}}
    return 3


def ask(client, phone: str, address: str):
    return client.post(PAGE, {"step": "phone", "phone": phone}, REMOTE_ADDR=address)


def test_the_default_rate_is_ten_an_hour(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["otp"] == "10/hour"


def test_one_address_asking_codes_for_many_numbers_is_refused_after_the_rate(client, county, otp_rate):
    numbers = [f"1380000{i:04d}" for i in range(otp_rate + 1)]
    for phone in numbers[:otp_rate]:
        assert ask(client, phone, A).status_code == 302  # the same "sent if registered" answer
    refused = ask(client, numbers[-1], A)
    assert refused.status_code == 429
    assert "过于频繁" in refused.content.decode()
    assert OneTimeCode.objects.count() == otp_rate  # no code was made for the refused request


def test_another_address_may_still_ask(client, county, otp_rate):
    for i in range(otp_rate):
        ask(client, f"1390000{i:04d}", A)
    assert ask(client, "13800000001", A).status_code == 429
    MemoryBackend.outbox.clear()
    assert ask(client, "13800000001", B).status_code == 302
    assert len(MemoryBackend.outbox) == 1  # the resident persona's number got its code


def test_resending_counts_against_the_same_rate(client, county, otp_rate):
    assert ask(client, "13800000001", A).status_code == 302
    for i in range(otp_rate - 1):
        ask(client, f"1390000{i:04d}", A)
    resend = client.post(PAGE, {"step": "resend"}, REMOTE_ADDR=A)
    assert resend.status_code == 429
    assert "过于频繁" in resend.content.decode()
