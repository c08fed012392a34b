"""Collected static files: hashed names with .gz and .br beside them, made once per set of sources.

`collectstatic` with WhiteNoise's compressed manifest storage takes seconds (brotli at its best), so
`ensure_collected` runs it only when the sources changed since the last run: a digest of every file
the static finders find (path and content) is kept beside the manifest. `shanzhi serve` calls it at
start; the test session calls it for a shared folder per digest (shanzhi/conftest.py).
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

STAMP = ".shanzhi-sources"
MANIFEST = "staticfiles.json"


def sources_digest() -> str:
    """One digest over every static source file's path and bytes, in a stable order."""
    from django.contrib.staticfiles import finders

    found: dict[str, str] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            found.setdefault(path, storage.path(path))  # the first finder wins, as collectstatic does
    h = hashlib.sha256()
    for path in sorted(found):
        h.update(path.encode() + b"\0" + Path(found[path]).read_bytes() + b"\0")
    return h.hexdigest()


def is_current(root: Path, digest: str) -> bool:
    stamp = root / STAMP
    return (root / MANIFEST).is_file() and stamp.is_file() and stamp.read_text() == digest


def ensure_collected(root: Path | None = None, *, digest: str | None = None) -> bool:
    """Collect the static files into `root` (default STATIC_ROOT) unless they are current. True if it ran."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    root = Path(root or settings.STATIC_ROOT)
    digest = digest or sources_digest()
    if is_current(root, digest):
        return False
    root.mkdir(parents=True, exist_ok=True)
    elsewhere = root.resolve() != Path(settings.STATIC_ROOT).resolve()
    with override_settings(STATIC_ROOT=root) if elsewhere else contextlib.nullcontext():
        call_command("collectstatic", interactive=False, verbosity=0)
    (root / STAMP).write_text(digest)
    return True
