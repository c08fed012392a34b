"""Pluggable SMS backends. Set SMS_BACKEND to a dotted path of a class with send(phone, text).

The short names "console", "file" and "memory" name the backends below.
"""

from __future__ import annotations

import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from shanzhi.lib import clock
from shanzhi.lib.files import open_private

_lock = threading.Lock()


class ConsoleBackend:
    """Print messages to stderr (development: chosen explicitly with SMS_BACKEND=console)."""

    def send(self, phone: str, text: str) -> None:
        print(f"[SMS to {phone}] {text}", file=sys.stderr, flush=True)


class FileBackend:
    """Append messages to the outbox file in the data dir (created owner-only), one line each.

    Numbers and codes are echoed to stderr only when SHANZHI_SMS_ECHO asks (development), so a server's
    logs never hold them."""

    def send(self, phone: str, text: str) -> None:
        line = f"{clock.now().isoformat()}\t{phone}\t{text}\n"
        with _lock, open_private(settings.SHANZHI["SMS_OUTBOX"]) as fh:
            fh.write(line)
        if settings.SHANZHI.get("SMS_ECHO"):
            ConsoleBackend().send(phone, text)


class MemoryBackend:
    """Keep messages in memory (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        MemoryBackend.outbox.append((phone, text))


ALIASES = {
    "console": "shanzhi.accounts.sms.ConsoleBackend",
    "file": "shanzhi.accounts.sms.FileBackend",
    "memory": "shanzhi.accounts.sms.MemoryBackend",
}


def get_backend():
    """Instantiate the configured backend (a dotted path or a short name)."""
    name = settings.SHANZHI["SMS_BACKEND"]
    return import_string(ALIASES.get(name, name))()


def send_sms(phone: str, text: str) -> None:
    get_backend().send(phone, text)
