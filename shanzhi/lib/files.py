"""Files with personal data or secrets (the data directory, the SQLite file, keys, the SMS outbox) are
created owner-only: directories 0700, files 0600, whatever the umask. Nothing here imports Django, so
settings can use it. Existing files and directories are left as the operator set them.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only if it does not exist yet; return it."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask; make it exact
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND):
    """Open a file for writing, creating it (and its directory) owner-only if missing. Returns a text file."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    return os.fdopen(fd, "a" if flags & os.O_APPEND else "w", encoding="utf-8")


def touch_private(path: Path) -> Path:
    """Make sure `path` exists, creating an empty owner-only file (and directory) if missing."""
    path = Path(path)
    if not path.exists():
        with open_private(path):
            pass
    return path


def secret_file(path: Path, make) -> str:
    """Read a secret kept in `path`, creating it once with `make()` so restarts keep it.

    Safe when several processes start at once: each writes a private temporary file and links it into
    place; the first link wins and everyone reads the winner's secret."""
    path = Path(path)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open_private(tmp, os.O_WRONLY | os.O_TRUNC) as fh:
            fh.write(make())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
