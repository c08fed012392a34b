"""The `shanzhi` console command: Django's management commands with Shanzhi's settings.

    shanzhi demo [--scale small|full] [--seed N]    build the demo county
    shanzhi serve [--host H] [--port P]             production server (gunicorn)
    shanzhi import_people FILE [--all-or-nothing]   households and residents from CSV/XLSX
    shanzhi migrate, shanzhi createsuperuser, ...   any Django command
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shanzhi", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
