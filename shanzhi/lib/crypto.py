"""Encryption at rest for personal data, and keyed hashes to find it again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[AESGCM, bytes]:
    raw = base64.b64decode(master)
    if len(raw) != 32:
        raise ValueError("SHANZHI_PII_KEY must be 32 bytes, base64-encoded")
    # Separate keys for encryption and for lookup hashes, derived from the one master key.
    enc = hmac.new(raw, b"shanzhi-pii-encrypt", hashlib.sha256).digest()
    mac = hmac.new(raw, b"shanzhi-pii-lookup", hashlib.sha256).digest()
    return AESGCM(enc), mac


def _master() -> str:
    """The master key: SHANZHI_PII_KEY, or the data dir's key file, read (or made) on first use."""
    return str(settings.PII_KEY)


def encrypt(value: str) -> str:
    """Encrypt text with AES-GCM; returns base64 (nonce + ciphertext). Empty stays empty."""
    if not value:
        return ""
    aead, _ = _keys(_master())
    nonce = os.urandom(12)
    return base64.b64encode(nonce + aead.encrypt(nonce, value.encode(), None)).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    aead, _ = _keys(_master())
    raw = base64.b64decode(token)
    return aead.decrypt(raw[:12], raw[12:], None).decode()


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a normalised value, for equality search."""
    if not value:
        return ""
    _, mac = _keys(_master())
    return hmac.new(mac, value.encode(), hashlib.sha256).hexdigest()
