"""The `shanzhi` console command: Django's management commands with Shanzhi's settings.

`shanzhi` or `shanzhi --help` lists Shanzhi's own commands first, one line each, then Django's.

    shanzhi demo [--scale small|full] [--seed N]    build the demo county (migrates first)
    shanzhi demo --logins                           print the demo log-ins again
    shanzhi serve [--host H] [--port P]             production server (gunicorn)
    shanzhi import_people FILE [--all-or-nothing]   households and residents from CSV/XLSX
    shanzhi migrate, shanzhi createsuperuser, ...   any Django command
"""

from __future__ import annotations

import os
import sys

HELP_FLAGS = ("help", "-h", "--help")


def _first_line(text: str) -> str:
    """The first sentence of a command's help, Chinese or English, for one line of the overview."""
    text = " ".join((text or "").split())
    for stop in ("。", ". "):
        if stop in text:
            text = text.split(stop, 1)[0] + ("。" if stop == "。" else ".")
            break
    return text if len(text) <= 90 else text[:89] + "…"


def own_commands() -> list[tuple[str, str]]:
    """(name, one line) of the management commands that Shanzhi's own apps provide, by name."""
    from django.core.management import get_commands, load_command_class

    out = []
    for name, app in sorted(get_commands().items()):
        if app.startswith("shanzhi."):
            out.append((name, _first_line(load_command_class(app, name).help)))
    return out


def overview() -> str:
    """`shanzhi --help`: Shanzhi's commands with a line each, then Django's own list."""
    from django.core.management import ManagementUtility

    ours = own_commands()
    width = max(len(n) for n, _ in ours) if ours else 10
    lines = ["用法 Usage: shanzhi <命令 command> [选项 options]；shanzhi <命令> --help 查看该命令的全部选项和默认值。",
             "", "善治命令 Shanzhi commands:"]
    lines += [f"  {name:<{width}}  {line}" for name, line in ours]
    lines += ["", "Django 命令 Django commands (shanzhi migrate, shanzhi createsuperuser, ...):"]
    django_help = ManagementUtility(["shanzhi"]).main_help_text(commands_only=True).split()
    names = [n for n in django_help if n not in dict(ours)]
    row: list[str] = []
    for n in names:
        row.append(n)
        if len(row) == 6:
            lines.append("  " + "  ".join(row))
            row = []
    if row:
        lines.append("  " + "  ".join(row))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    args = sys.argv[1:] if argv is None else argv
    if not args or (len(args) == 1 and args[0] in HELP_FLAGS):
        import django

        django.setup()
        sys.stdout.write(overview())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shanzhi", *args])


if __name__ == "__main__":
    main()
