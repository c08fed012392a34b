"""The English catalogues in one command: refresh them from the code, list what is left to translate, compile.

    python tools/i18n_check.py             # check only: exit 1 listing every untranslated or fuzzy msgid
    python tools/i18n_check.py --update    # makemessages -l en for every catalogue, then check
    python tools/i18n_check.py --compile   # check, then compilemessages (only when nothing is left)

Run from the repository root with the project's virtualenv active. The layout it keeps: each app with a
`locale/` folder holds the strings of its own code and templates (messages gathered from inside the app
folder, so references read `views.py:12`); `shanzhi/locale` (settings.LOCALE_PATHS) holds the rest: the
shared templates, `lib`, and apps without a catalogue of their own (the dashboard). Tests and static files
are left out. After --update, translate what the check lists (msgstr, and msgstr[0]/[1] for plurals; keep
%(name)s placeholders identical; remove the `#, fuzzy` line once a fuzzy guess is corrected), then run
--compile and commit the .po and .mo files.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shanzhi"
LANGUAGE = "en"
IGNORE = ["tests", "tests_*", "static", "node_modules", "conftest.py"]


def catalogue_dirs() -> list[Path]:
    """Every folder holding a `locale/` of ours: the apps first, the project (shanzhi/) last."""
    apps = sorted(p.parent for p in PACKAGE.glob("*/locale") if p.is_dir() and p.parent.name != "locale")
    return [*apps, PACKAGE]


def po_files() -> list[Path]:
    """The English .po file of every catalogue."""
    return [d / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po" for d in catalogue_dirs()]


@dataclass
class Entry:
    """One message of a .po file, as written."""

    msgid: str
    msgid_plural: str
    msgstrs: list[str]
    fuzzy: bool
    line: int

    @property
    def untranslated(self) -> bool:
        return not self.msgstrs or any(not s for s in self.msgstrs)


def _unquote(s: str) -> str:
    body = s.strip()
    if not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"not a quoted string: {s!r}")
    body = body[1:-1]
    return re.sub(r'\\(["\\ntr])', lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def parse_po(text: str) -> list[Entry]:
    """The live messages of a .po text (obsolete `#~` entries and the header left out)."""
    entries: list[Entry] = []
    flags: set[str] = set()
    fields: dict[str, str] = {}
    current: str | None = None
    start = 0

    def flush() -> None:
        nonlocal fields, flags, current
        if "msgid" in fields:
            msgstrs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            if fields["msgid"]:  # the header has an empty msgid
                entries.append(Entry(fields["msgid"], fields.get("msgid_plural", ""), msgstrs, "fuzzy" in flags, start))
        fields, flags, current = {}, set(), None

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if "msgid" in fields:
                flush()
            flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            if "msgid" in fields and current and current.startswith("msgstr"):
                flush()
        elif line.startswith('"'):
            if current is None:
                raise ValueError(f"line {n}: a string continues nothing")
            fields[current] += _unquote(line)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword == "msgid" and "msgid" in fields:
                flush()
            if keyword == "msgid":
                start = n
            if keyword not in ("msgctxt", "msgid", "msgid_plural") and not keyword.startswith("msgstr"):
                raise ValueError(f"line {n}: unknown keyword {keyword!r}")
            current = keyword
            fields[current] = _unquote(rest)
    flush()
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}|%[sd]")


def problems(path: Path) -> list[str]:
    """What is wrong with one .po file: untranslated, fuzzy, or placeholders that differ from the msgid."""
    found = []
    for e in parse_po(path.read_text(encoding="utf-8")):
        where = f"{path.relative_to(ROOT)}:{e.line}"
        if e.fuzzy:
            found.append(f"{where}: fuzzy: {e.msgid!r}")
        elif e.untranslated:
            found.append(f"{where}: untranslated: {e.msgid!r}")
        else:
            # The same placeholders as the msgid; a plural's forms may leave the number out (msgstr[0]: "one").
            want = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural))
            for s in e.msgstrs:
                have = set(PLACEHOLDER.findall(s))
                if (have != want) if not e.msgid_plural else not have <= want:
                    found.append(f"{where}: placeholders differ: {e.msgid!r} -> {s!r}")
    return found


def _django(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "shanzhi.settings"}
    subprocess.run([sys.executable, "-P", "-m", "django", *args], cwd=cwd, env=env, check=True)


def update() -> None:
    """makemessages -l en in each catalogue's folder (the project's leaves out the apps that have their own)."""
    apps = catalogue_dirs()[:-1]
    for folder in catalogue_dirs():
        ignore = IGNORE + ([a.name for a in apps] if folder == PACKAGE else [])
        _django(["makemessages", "-l", LANGUAGE, "--no-obsolete",
                 *[f"--ignore={p}" for p in ignore]], folder)


def compile_all() -> None:
    """compilemessages for every catalogue (the .mo files are committed)."""
    _django(["compilemessages", "-l", LANGUAGE], PACKAGE)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--update", action="store_true", help="run makemessages for every catalogue first")
    p.add_argument("--compile", action="store_true", help="compile the catalogues when nothing is left to do")
    args = p.parse_args()
    if args.update:
        update()
    found = [m for po in po_files() for m in problems(po)]
    for m in found:
        print(m)
    if found:
        print(f"\n{len(found)} message(s) to translate or correct", file=sys.stderr)
        return 1
    print(f"all {sum(len(parse_po(po.read_text(encoding='utf-8'))) for po in po_files())} messages translated")
    if args.compile:
        compile_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
