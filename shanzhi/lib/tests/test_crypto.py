from django.db import connection

from shanzhi.lib import crypto


def test_encryption_round_trips_and_is_not_plain():
    token = crypto.encrypt("33042119900101123X")
    assert "33042119900101123X" not in token
    assert crypto.decrypt(token) == "33042119900101123X"
    assert crypto.encrypt("x") != crypto.encrypt("x")  # random nonce


def test_lookup_hash_is_stable_and_keyed(settings):
    h = crypto.lookup_hash("13800001234")
    assert h == crypto.lookup_hash("13800001234")
    settings.PII_KEY = "A" * 43 + "="
    assert crypto.lookup_hash("13800001234") != h


def test_id_numbers_are_encrypted_at_rest(county):
    with connection.cursor() as cur:
        cur.execute("SELECT id_number_enc, phone_enc, id_number_masked FROM people_resident WHERE id = %s",
                    [county.resident.pk])
        enc, phone, masked = cur.fetchone()
    assert "33042119900101123X" not in enc and "13800000001" not in phone
    assert masked == "330421********123X"
