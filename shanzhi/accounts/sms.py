"""Pluggable SMS backends. Set SMS_BACKEND to a dotted path of a class with send(phone, text).

The short names "console", "file" and "memory" name the backends below.
"""

from __future__ import annotations

import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from shanzhi.lib import clock

_lock = threading.Lock()


class ConsoleBackend:
    """Print messages to stderr (development)."""

    def send(self, phone: str, text: str) -> None:
        print(f"[SMS to {phone}] {text}", file=sys.stderr, flush=True)


class FileBackend:
    """Append messages to the outbox file in the data dir, one line each, and echo to stderr."""

    def send(self, phone: str, text: str) -> None:
        line = f"{clock.now().isoformat()}\t{phone}\t{text}\n"
        with _lock, open(settings.SHANZHI["SMS_OUTBOX"], "a", encoding="utf-8") as fh:
            fh.write(line)
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
